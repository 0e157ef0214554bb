// The tray app's footprint and alert latency, measured (not asserted: these machines
// are shared and noisy). Run by `cargo xtask bench desktop` against the build
// `cargo xtask run` makes:
// - PSS of the whole process tree (WebKit runs child processes): in the tray with the
//   window never opened, with the dashboard open, and idle after it was closed again;
// - idle CPU with the window closed, from the scheduler's own per-thread run times
//   (/proc/PID/task/TID/schedstat, nanoseconds; the 10 ms ticks of /proc/PID/stat are
//   too coarse for a 0.1 % bar): watching 10 HTTP checks at 10 s (one probe a second),
//   and out of the box (the embedded default config: this machine's cpu, memory, disk,
//   swap, and itself);
// - failure to notification: a loopback target starts failing at a random moment; the
//   time until dbus-monitor sees the notification (check interval 1 s, threshold 1).

import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

import { findEntry, processTree, startApp, startDesktop, trayItem } from "./desktop.mjs";
import { ROOT, eventually, startTarget } from "./support.mjs";

const IDLE_SECONDS = Number(process.env.WK_BENCH_SECS ?? 120);
const SAMPLES = Number(process.env.WK_BENCH_SAMPLES ?? 10);

function read(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function pss(pid) {
  const match = read(`/proc/${pid}/smaps_rollup`)?.match(/^Pss:\s+(\d+) kB/m);
  return match ? Number(match[1]) : 0;
}

const name = (pid) => read(`/proc/${pid}/comm`)?.trim() ?? "?";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;

function footprint(root, label) {
  const pids = processTree(root);
  const parts = pids.map((pid) => ({ pid, name: name(pid), pss: pss(pid) }));
  const total = parts.reduce((sum, p) => sum + p.pss, 0);
  console.log(`${label}: PSS ${mb(total)} in ${pids.length} processes (${parts.map((p) => `${p.name} ${mb(p.pss)}`).join(", ")})`);
  return total;
}

/** CPU time of every thread in the tree (ns), by "pid/tid name". */
function runTimes(root) {
  const times = new Map();
  for (const pid of processTree(root)) {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      const ns = read(`/proc/${pid}/task/${tid}/schedstat`);
      if (ns !== null) times.set(`${pid}/${tid} ${name(`${pid}/task/${tid}`)}`, Number(ns.split(" ")[0]));
    }
  }
  return times;
}

/**
 * CPU used by the tree over `seconds`, sampled twice a second so threads that end
 * meanwhile still count (a thread first seen later counts from its start).
 */
async function idleCpu(root, seconds) {
  const first = runTimes(root);
  const last = new Map(first);
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    await sleep(500);
    for (const [thread, ns] of runTimes(root)) last.set(thread, ns);
  }
  const elapsed = (Date.now() - started) / 1000;
  const threads = [...last].map(([thread, ns]) => [thread, ns - (first.get(thread) ?? 0)]);
  const used = threads.reduce((sum, [, ns]) => sum + ns, 0);
  const busiest = threads
    .filter(([, ns]) => ns > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([thread, ns]) => `${thread.split(" ").slice(1).join(" ")} ${(ns / 1e6).toFixed(1)} ms`);
  return { percent: (100 * used) / 1e9 / elapsed, usedMs: used / 1e6, elapsed, busiest };
}

function reportCpu(label, cpu, probes) {
  const perProbe = probes > 0 ? `, ${((cpu.usedMs * 1000) / probes).toFixed(0)} µs a probe` : "";
  console.log(
    `idle CPU, ${label}: ${cpu.percent.toFixed(3)} % of one core over ${cpu.elapsed.toFixed(0)} s` +
      ` (${cpu.usedMs.toFixed(1)} ms${perProbe}; busiest threads: ${cpu.busiest.join(", ")})`,
  );
}

const session = await startDesktop();
const target = await startTarget(() => true);
let config = "";
for (let i = 0; i < 10; i++) {
  config += `[[check]]\nid = "svc-${i}"\nname = "Service ${i}"\nkind = "http"\nurl = "${target.url}"\ninterval = "10s"\n\n`;
}
let failing = false;
const alarm = await startTarget(() => !failing);
config += `[[check]]\nid = "alarm"\nname = "Alarm"\nkind = "http"\nurl = "${alarm.url}"\ninterval = "1s"\ntimeout = "500ms"\nfailure_threshold = 1\nbreaker = { enabled = false }\n`;
let app = await startApp(session, config, ["--minimized"]);
const summary = [];
try {
  const item = await trayItem(session);
  const pid = app.child.pid;
  await sleep(5000);
  footprint(pid, "in the tray, window never opened");
  const menu = await session.host.ask({ op: "layout", item });
  const open = findEntry(menu, "Open dashboard");
  await session.host.ask({ op: "click", item, id: open.id });
  await eventually(30_000, "the dashboard window is on screen", () => session.windows().includes('"Watchkeeper"'));
  await sleep(5000);
  footprint(pid, "window open");
  if (!session.closeWindow("Watchkeeper")) throw new Error("cannot close the window");
  await eventually(10_000, "the window is gone", () => !session.windows().includes('"Watchkeeper"'));
  await sleep(10_000);
  const closed = footprint(pid, "window closed, settled");

  // Idle with the 1 s alarm paused: the 10 checks at 10 s, one probe a second. (The
  // target is Node's HTTP server, which closes idle connections after 5 s: each probe
  // connects anew, as against most servers at this interval.)
  await app.post("/api/v1/checks/alarm/pause");
  await sleep(2000);
  const watching = await idleCpu(pid, IDLE_SECONDS);
  reportCpu("10 HTTP checks at 10 s", watching, watching.elapsed);
  const idle = footprint(pid, `window closed, after ${IDLE_SECONDS} s idle`);
  await app.post("/api/v1/checks/alarm/resume");

  // Failure to notification, each failure after the last burst window (5 s) is over.
  const latencies = [];
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(5500 + Math.random() * 1000);
    const seen = session.notifications().filter((n) => n.summary === "Alarm down").length;
    failing = true;
    const t0 = Date.now();
    const notice = await eventually(10_000, "the alarm notification", () =>
      session.notifications().filter((n) => n.summary === "Alarm down")[seen],
    );
    latencies.push(notice.at - t0);
    failing = false;
    await eventually(10_000, "the recovery", async () => (await app.get("/api/v1/checks/alarm")).status === "up");
  }
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(
    `failure to notification (interval 1 s, threshold 1, ${SAMPLES} failures): median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${latencies.at(-1)} ms`,
  );
  summary.push(`idle PSS ${mb(Math.max(closed, idle))} (bar: 60 MB)`, `idle CPU ${watching.percent.toFixed(3)} % with 10 checks (bar: 0.1 %)`);
  await app.stop();

  // Out of the box: the config a first start writes.
  app = await startApp(session, readFileSync(path.join(ROOT, "src", "config", "default.toml"), "utf8"), ["--minimized"]);
  await trayItem(session);
  await sleep(10_000);
  const defaults = await idleCpu(app.child.pid, IDLE_SECONDS);
  reportCpu("the default config", defaults, 0);
  const defaultPss = footprint(app.child.pid, "the default config, window never opened");
  summary.push(`default config: ${defaults.percent.toFixed(3)} %, ${mb(defaultPss)}`);
  console.log(`summary: ${summary.join("; ")}; all figures above`);
} finally {
  await app.stop();
  await session.stop();
  await target.close();
  await alarm.close();
}
