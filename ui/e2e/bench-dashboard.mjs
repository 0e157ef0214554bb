// The dashboard with 1,000 checks: how long until every row shows, how busy the page
// is while live updates flow, how long a search takes to apply, and how much script
// heap the page holds, in Debian's Chromium against the real daemon. Run by `cargo
// xtask bench dashboard`; prints figures, asserts nothing about time (these machines
// are shared and noisy).

import { launchChromium, startDaemon, startTarget } from "./support.mjs";

const COUNT = Number(process.env.WK_BENCH_CHECKS ?? 1000);
const target = await startTarget(() => true);
let config = "";
for (let i = 0; i < COUNT; i++) {
  config += `[[check]]\nid = "c${i}"\nname = "Service ${i}"\nkind = "tcp"\nhost = "127.0.0.1"\nport = ${target.port}\ngroup = "group-${i % 20}"\ninterval = "10s"\n\n`;
}
const daemon = await startDaemon(config);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const started = Date.now();
  await page.goto(daemon.dashboard);
  await page.waitForFunction((n) => document.querySelectorAll("tr.check").length === n, COUNT, { timeout: 60_000 });
  const firstRender = Date.now() - started;
  // Let live updates flow, and measure the page's main-thread time while they do (the
  // rows' relative times and countdowns tick each second too).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const busy = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const value = (name) => metrics.find((m) => m.name === name)?.value ?? 0;
    return { script: value("ScriptDuration"), task: value("TaskDuration") };
  };
  const LIVE_SECS = 10;
  const before = await busy();
  await page.waitForTimeout(LIVE_SECS * 1000);
  const after = await busy();
  const search = await page.evaluate(async () => {
    const input = document.querySelector("#search");
    const t0 = performance.now();
    input.value = "service 99";
    input.dispatchEvent(new Event("input"));
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    const t1 = performance.now();
    return { ms: t1 - t0, visible: [...document.querySelectorAll("tr.check")].filter((r) => !r.hidden).length };
  });
  // Every row with its results strip (a canvas of 30 ticks, filled or kept for results
  // to come, drawn once on screen) and its uptime: the page loaded again, and the main
  // thread's work until the strips on screen show.
  const strips = await daemon.get("/api/v1/strips");
  const RELOADS = 5;
  /** The page loaded again: when the screen shows its rows with their strips drawn,
   *  after its data arrived, and when every row is there. */
  const reload = async () => {
    const beforeReload = await busy();
    const reloaded = Date.now();
    await page.reload();
    // The screen filled with rows whose strips are all drawn (rows further down are
    // drawn a few frames later, their strips once scrolled to), then every row there.
    await page.waitForFunction(
      () => {
        let filled = false;
        const shown = [];
        for (const w of document.querySelectorAll(".strip-window")) {
          const box = w.getBoundingClientRect();
          if (box.top >= innerHeight) {
            filled = true;
            break;
          }
          if (box.bottom > 0) shown.push(w);
        }
        // Drawn from the strips the page fetched (each check has results by now).
        const drawn = (w) => Number(w.querySelector("canvas.strip")?.dataset.ticks ?? 0) > 0;
        if (!filled || !shown.every(drawn)) return false;
        window.wkDrawnAt = performance.now();
        window.wkShown = shown.length;
        return true;
      },
      null,
      { timeout: 60_000, polling: "raf" },
    );
    await page.waitForFunction((n) => document.querySelectorAll(".strip-window").length === n, COUNT, {
      timeout: 60_000,
      polling: "raf",
    });
    const all = await page.evaluate(() => performance.now() - window.wkDrawnAt);
    const shown = Date.now() - reloaded;
    const afterReload = await busy();
    // From the last of what the overview is drawn from arriving (the status, the
    // strips, the open incidents and /healthz; the first answer of each, as the live
    // stream's hello fetches them all again) to the strips on screen drawn: the JSON
    // read and the overview's first screen drawn.
    const drawn = await page.evaluate(() => {
      const first = new Map();
      for (const e of performance.getEntriesByType("resource")) {
        const kind = /\/api\/v1\/(strips|status|incidents)|\/healthz/.exec(e.name)?.[0];
        if (kind && !(first.get(kind) <= e.responseEnd)) first.set(kind, e.responseEnd);
      }
      return { ms: window.wkDrawnAt - Math.max(...first.values()), rows: window.wkShown };
    });
    return { shown, work: (afterReload.task - beforeReload.task) * 1000, drawn: drawn.ms, rows: drawn.rows, all };
  };
  // Five reloads (the machine is shared: the median, and every run, are told).
  const reloads = [];
  for (let run = 0; run < RELOADS; run++) reloads.push(await reload());
  const median = (key) => [...reloads].map((r) => r[key]).sort((a, b) => a - b)[Math.floor(RELOADS / 2)];
  const [stripsShown, work, render, allRows] = ["shown", "work", "drawn", "all"].map(median);
  const shownRows = reloads[0].rows;
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = (await cdp.send("Runtime.getHeapUsage")).usedSize;
  console.log(`checks: ${COUNT}`);
  console.log(`all rows shown: ${firstRender} ms after navigation`);
  const perSecond = (key) => (((after[key] - before[key]) * 1000) / LIVE_SECS).toFixed(1);
  console.log(`live, ${LIVE_SECS} s: ${perSecond("task")} ms of main-thread work a second (${perSecond("script")} ms of script)`);
  console.log(`search "service 99": ${search.ms.toFixed(1)} ms to the next frame, ${search.visible} rows shown`);
  console.log(
    `all ${COUNT} rows, their strips on screen (${strips.length} ticks each) and uptimes shown ${stripsShown} ms after a reload, ${work | 0} ms of main-thread work (medians of ${RELOADS} reloads)`,
  );
  console.log(
    `the overview on screen, ${shownRows} rows with their strips drawn, ${render.toFixed(1)} ms after its data arrived (median; goal < 100 ms); all ${COUNT} rows ${allRows.toFixed(0)} ms later`,
  );
  console.log(`  each reload: ${reloads.map((r) => `${r.drawn.toFixed(1)} ms`).join(", ")}`);
  console.log(`script heap in use after a collection: ${(heap / 1048576).toFixed(1)} MB`);
} finally {
  await browser.close();
  await daemon.stop();
  await target.close();
}
