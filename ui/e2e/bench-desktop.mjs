// The tray app's footprint and alert latency, measured (not asserted: these machines
// are shared and noisy). Run by `cargo xtask bench desktop` against a release build:
// - PSS of the whole process tree (WebKit runs child processes): in the tray with the
//   window never opened, with the dashboard open, and idle after it was closed again,
//   with the CPU used meanwhile;
// - failure to notification: a loopback target starts failing at a random moment; the
//   time until dbus-monitor sees the notification (check interval 1 s, threshold 1).

import { readFileSync } from "node:fs";

import { findEntry, processTree, startApp, startDesktop, trayItem } from "./desktop.mjs";
import { eventually, startTarget } from "./support.mjs";

const IDLE_SECONDS = Number(process.env.WK_BENCH_SECS ?? 60);
const SAMPLES = Number(process.env.WK_BENCH_SAMPLES ?? 10);
const TICKS = 100; // USER_HZ on Linux

function pss(pid) {
  try {
    const match = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function name(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;

function footprint(root, label) {
  const pids = processTree(root);
  const parts = pids.map((pid) => ({ pid, name: name(pid), pss: pss(pid) }));
  const total = parts.reduce((sum, p) => sum + p.pss, 0);
  console.log(`${label}: PSS ${mb(total)} in ${pids.length} processes (${parts.map((p) => `${p.name} ${mb(p.pss)}`).join(", ")})`);
  return total;
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
const app = await startApp(session, config, ["--minimized"]);
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
  const before = processTree(pid).reduce((sum, p) => sum + cpuTicks(p), 0);
  const started = Date.now();
  await sleep(IDLE_SECONDS * 1000);
  const used = processTree(pid).reduce((sum, p) => sum + cpuTicks(p), 0) - before;
  const seconds = (Date.now() - started) / 1000;
  const idle = footprint(pid, `window closed, after ${IDLE_SECONDS} s idle`);
  console.log(
    `idle CPU: ${((100 * used) / TICKS / seconds).toFixed(3)} % of one core over ${seconds.toFixed(0)} s (11 checks: 10 at 10 s, 1 at 1 s)`,
  );

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
  console.log(`summary: idle PSS ${mb(Math.max(closed, idle))} (bar: 60 MB), all figures above`);
} finally {
  await app.stop();
  await session.stop();
  await target.close();
  await alarm.close();
}
