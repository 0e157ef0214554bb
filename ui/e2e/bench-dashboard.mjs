// The dashboard with 1,000 checks: how long until every row shows, how long a search
// takes to apply, and how much script heap the page holds, in Debian's Chromium
// against the real daemon. Run by `cargo xtask bench dashboard`; prints figures, asserts
// nothing about time (these machines are shared and noisy).

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
  // Let live updates flow for a few seconds, then measure a search.
  await page.waitForTimeout(5000);
  const search = await page.evaluate(async () => {
    const input = document.querySelector("#search");
    const t0 = performance.now();
    input.value = "service 99";
    input.dispatchEvent(new Event("input"));
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    const t1 = performance.now();
    return { ms: t1 - t0, visible: [...document.querySelectorAll("tr.check")].filter((r) => !r.hidden).length };
  });
  const cdp = await page.context().newCDPSession(page);
  const heap = (await cdp.send("Runtime.getHeapUsage")).usedSize;
  console.log(`checks: ${COUNT}`);
  console.log(`all rows shown: ${firstRender} ms after navigation`);
  console.log(`search "service 99": ${search.ms.toFixed(1)} ms to the next frame, ${search.visible} rows shown`);
  console.log(`script heap in use: ${(heap / 1048576).toFixed(1)} MB`);
} finally {
  await browser.close();
  await daemon.stop();
  await target.close();
}
