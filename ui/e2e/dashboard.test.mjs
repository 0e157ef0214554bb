// The dashboard in Debian's Chromium against the real daemon: a check goes down
// without a reload, a recovery action runs from the page with live output and is
// verified, the dark theme follows the system, and the banner shows when the core
// goes away. Screenshots land in target/e2e/.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, test } from "node:test";

import { BIN, eventually, launchChromium, screenshotPath, startDaemon, startFakeSystemd, startTarget } from "./support.mjs";

const WAIT = 20_000;
let target;
let daemon;
let browser;
let failing = false;
let fixedFile;

before(async () => {
  target = await startTarget(() => !failing || existsSync(fixedFile));
  const scratch = path.join(process.env.TMPDIR ?? "/tmp", `wk-e2e-fixed-${process.pid}`);
  fixedFile = scratch;
  rmSync(fixedFile, { force: true });
  daemon = await startDaemon(`
[[check]]
id = "orders-api"
name = "Orders API"
kind = "http"
url = "${target.url}"
group = "orders"
interval = "500ms"
timeout = "400ms"
failure_threshold = 1
expect = ["status == 200"]
actions = ["restart-orders"]
breaker = { enabled = false }

[[check]]
id = "orders-port"
name = "Orders port"
kind = "tcp"
host = "127.0.0.1"
port = ${target.port}
group = "orders"
interval = "1s"

[[check]]
id = "self"
name = "Watchkeeper"
kind = "self"
interval = "2s"

[[action]]
id = "restart-orders"
kind = "command"
command = ["sh", "-c", "echo restarting orders; sleep 1; touch '${fixedFile}'; echo restarted"]
timeout = "10s"
`);
  browser = await launchChromium();
});

after(async () => {
  // The daemon's log beside the screenshots, to read when a test here fails.
  writeFileSync(screenshotPath("dashboard-daemon.log"), daemon?.log() ?? "");
  await browser?.close();
  await daemon?.stop();
  await target?.close();
  rmSync(fixedFile, { force: true });
});

/** A config of one tcp check, `id` (`port` unless given), on the target. */
const portConfig = (id = "port") => `
[[check]]
id = "${id}"
kind = "tcp"
host = "127.0.0.1"
port = ${target.port}
interval = "1s"
`;
const row = (page, id) => page.locator(`tr.check[data-id="${id}"]`);

test("a failing check shows down live, and a recovery action runs from the page", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: "light" });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(daemon.dashboard);
  assert.ok(!page.url().includes("token="), "the token is taken out of the address bar");
  await row(page, "orders-api").locator(".badge", { hasText: "up" }).waitFor({ timeout: WAIT });
  assert.equal(await page.locator("#app > .loading").count(), 0, "the page's placeholder gave way to the app");
  await page.evaluate(() => (window.__sameDocument = true));

  failing = true;
  await row(page, "orders-api").locator(".badge", { hasText: "down" }).waitFor({ timeout: WAIT });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "updated live, without a reload");
  const message = await row(page, "orders-api").locator("td.message").innerText();
  assert.match(message, /503/, "the row says why");
  assert.match(message, /unexpected status/, "with the resolution hint");
  // The core's summary, the tray's too: the worst is its group's outage.
  assert.equal(await page.locator("#summary").innerText(), "orders: partial outage (Orders API down)");
  // Its group is in partial outage (its port is still up): a banner says so and why.
  const banner = page.locator('.group-banner[data-group="orders"]');
  await banner.waitFor({ timeout: WAIT });
  assert.equal(await banner.innerText(), "orders: partial outage (Orders API down)");
  assert.match(await banner.getAttribute("class"), /partial_outage/);
  assert.equal(await page.locator('tbody[data-group="orders"] tr.group .badge').innerText(), "partial outage");
  await page.screenshot({ path: screenshotPath("dashboard-failing.png"), fullPage: true });

  await row(page, "orders-api").click();
  await page.locator(".check-page h2", { hasText: "Orders API" }).waitFor({ timeout: WAIT });
  await page.locator(".chart canvas, .chart .empty").first().waitFor({ timeout: WAIT });
  await page.locator(".incidents tr.open").first().waitFor({ timeout: WAIT });

  await page.locator('button[data-action="restart-orders"]').click();
  const dialog = page.locator("dialog.action-dialog");
  await dialog.locator(".preview", { hasText: "would run: sh -c" }).waitFor({ timeout: WAIT });
  await dialog.locator("#confirm-run").click();
  // The first line shows while the action still runs (it sleeps before the second).
  await dialog.locator("pre.live", { hasText: "restarting orders" }).waitFor({ timeout: WAIT });
  const whileRunning = await dialog.locator(".outcome").innerText();
  assert.match(whileRunning, /running/, "output is live, before the run ends");
  await dialog.locator(".outcome", { hasText: "verified" }).waitFor({ timeout: WAIT });
  const outcome = await dialog.locator(".outcome").innerText();
  assert.match(outcome, /ok · exit 0/);
  assert.match(await dialog.locator("pre.live").innerText(), /restarted/);
  await page.screenshot({ path: screenshotPath("action-run.png") });
  await dialog.locator("button", { hasText: "Close" }).click();

  await page.locator(".check-page h2 .badge", { hasText: "up" }).waitFor({ timeout: WAIT });
  await page.locator(".runs li", { hasText: "restart-orders" }).first().waitFor({ timeout: WAIT });
  // The run counts against the action's budget, and the page resets it.
  const item = page.locator('li[data-item="restart-orders"]');
  await item.locator(".budget", { hasText: "1 of 3 runs in 10m" }).waitFor({ timeout: WAIT });
  await item.locator("button[data-reset]").click();
  await item.locator(".budget", { hasText: "0 of 3 runs in 10m" }).waitFor({ timeout: WAIT });

  // The tray opens an action that needs confirmation as this page with `?run=`.
  await page.goto(`${daemon.api.url}/#/check/orders-api?run=restart-orders`);
  await page.locator("dialog.action-dialog .preview", { hasText: "would run: sh -c" }).waitFor({ timeout: WAIT });
  await page.locator("dialog.action-dialog button", { hasText: "Cancel" }).click();
  assert.ok(!page.url().includes("run="), "the dialog opens once, not on every reload");

  // Pause from the page: no probes, shown paused; Resume brings it back.
  await page.locator(".check-page h2 button.pause", { hasText: "Pause 1 h" }).click();
  await page.locator(".check-page h2 .badge", { hasText: "paused" }).waitFor({ timeout: WAIT });
  assert.match(await page.locator(".check-page p.state").innerText(), /^Paused: by the user until (\d{4}-\d\d-\d\d )?\d\d:\d\d \S+$/);
  await page.locator(".check-page h2 button.pause", { hasText: "Resume" }).click();
  await page.locator(".check-page h2 .badge", { hasText: "up" }).waitFor({ timeout: WAIT });

  await page.locator("nav a", { hasText: "Incidents" }).click();
  // The incident this test caused (a busy machine may have made one of its own at start).
  const caused = page.locator(".incidents-page tr.resolved", { hasText: "Orders API" }).filter({ hasText: "503" });
  await caused.waitFor({ timeout: WAIT });
  assert.match(await caused.first().locator("td.recovery").innerText(), /restart-orders by the dashboard or API: ok · fixed/, "the run is on the incident's timeline");
  await page.locator("nav a", { hasText: "Action runs" }).click();
  // The newest real run (the dialog opened through `?run=` made a dry run since).
  const run = await page.locator(".runs-page li", { hasNotText: "dry run" }).first().innerText();
  assert.match(run, /restart-orders · Orders API · incident #\d+ · by the dashboard or API/, "the run is filed on the incident");
  assert.deepEqual(errors, [], "no script errors");
  await page.close();
});

test("search, filter and keyboard navigation", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(daemon.dashboard);
  await row(page, "self").waitFor({ timeout: WAIT });
  await page.keyboard.press("/");
  await page.keyboard.type("port");
  await eventually(WAIT, "only the matching check shows", async () => (await page.locator("tr.check:visible").count()) === 1);
  assert.equal(await page.locator("tr.check:visible").getAttribute("data-id"), "orders-port");
  await page.keyboard.press("Escape");
  await eventually(WAIT, "the search is cleared", async () => (await page.locator("tr.check:visible").count()) === 3);
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  assert.equal(await page.locator("tr.check.selected").getAttribute("data-id"), "orders-port", "groups first, by name");
  await page.keyboard.press("Enter");
  await page.locator(".check-page h2", { hasText: "Orders port" }).waitFor({ timeout: WAIT });
  await page.keyboard.press("Escape");
  await page.locator(".overview").waitFor({ timeout: WAIT });
  await page.selectOption("#status-filter", "up");
  assert.equal(await page.locator("tr.check:visible").count(), 3);
  await page.close();
});

test("the dark theme follows the system", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
  await page.goto(daemon.dashboard);
  await row(page, "orders-api").waitFor({ timeout: WAIT });
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 150, `a dark background, got ${background}`);
  await page.screenshot({ path: screenshotPath("dashboard-dark.png"), fullPage: true });
  await page.close();
});

test("self-healing that gives up shows why, with a countdown, and a reset starts it over", async () => {
  // Old logs for the cleanup at the end of this test.
  const logs = mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "wk-e2e-logs-"));
  const old = new Date(Date.now() - 10 * 86_400_000);
  for (const name of ["a.log", "b.log"]) {
    writeFileSync(path.join(logs, name), "x".repeat(1000));
    utimesSync(path.join(logs, name), old, old);
  }
  writeFileSync(path.join(logs, "new.log"), "fresh");
  const healing = await startDaemon(`
[[check]]
id = "worker"
name = "Queue worker"
kind = "command"
command = ["false"]
interval = "300ms"
timeout = "250ms"
failure_threshold = 1
actions = ["prune-logs"]
auto_action = { action = "kick-worker", after = 1, backoff = "200ms" }

[[action]]
id = "prune-logs"
name = "Prune old logs"
kind = "cleanup"
path = "${logs}"
pattern = "*.log"
older_than = "7d"

[[action]]
id = "kick-worker"
name = "Kick the worker"
kind = "command"
command = ["sh", "-c", "echo kicked"]
confirm = false
verify = false
max_runs = 2
per = "1h"
`);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  try {
    await page.goto(healing.dashboard);
    await row(page, "worker").click();
    const line = page.locator(".check-page p.healing.gave_up");
    await line.waitFor({ timeout: WAIT });
    assert.match(await line.innerText(), /Self-healing gave up: kick-worker ran 2 times and the check is still down; next try in \d+ min/);
    const item = page.locator('li[data-item="kick-worker"]');
    await item.locator(".budget.spent", { hasText: "2 of 2 runs in 1h · budget spent" }).waitFor({ timeout: WAIT });
    assert.match(await item.innerText(), /runs by itself when this check fails/);
    assert.match(await page.locator(".runs").innerText(), /kick-worker · by self-healing/, "the runs say who asked");
    await page.screenshot({ path: screenshotPath("healing-gave-up.png"), fullPage: true });

    // A reset: two more automatic runs, and it gives up again.
    await item.locator("button[data-reset]").click();
    await eventually(WAIT, "two more runs after the reset", async () => {
      const runs = await healing.get("/api/v1/action-runs?action=kick-worker");
      return runs.runs.filter((r) => r.status !== "running").length === 4;
    });
    await page.reload();
    await page.locator(".check-page p.healing.gave_up").waitFor({ timeout: WAIT });

    // A cleanup: the dialog shows exactly what would go, the run moves it to the
    // quarantine, and Undo puts it back.
    await page.locator('button[data-action="prune-logs"]').click();
    const dialog = page.locator("dialog.action-dialog");
    await dialog.locator(".preview", { hasText: "would remove 2 files (2KB)" }).waitFor({ timeout: WAIT });
    const plan = await dialog.locator(".preview").innerText();
    assert.ok(plan.includes("/a.log (1KB)") && plan.includes("/b.log (1KB)"), plan);
    assert.doesNotMatch(await dialog.locator(".preview").innerText(), /new\.log \(/, "the fresh log is not in the plan");
    await page.screenshot({ path: screenshotPath("cleanup-plan.png") });
    await dialog.locator("#confirm-run").click();
    await dialog.locator(".outcome", { hasText: "ok" }).waitFor({ timeout: WAIT });
    await dialog.locator("button", { hasText: "Close" }).click();
    assert.ok(!existsSync(path.join(logs, "a.log")) && existsSync(path.join(logs, "new.log")), "the old logs went, the new one stayed");
    const undo = page.locator(".runs .quarantine button.undo").first();
    await undo.waitFor({ timeout: WAIT });
    assert.match(await page.locator(".runs .quarantine").first().innerText(), /2 files \(2KB\) in quarantine until/);
    await undo.click();
    await page.locator(".runs .quarantine", { hasText: "put back" }).first().waitFor({ timeout: WAIT });
    assert.ok(existsSync(path.join(logs, "a.log")) && existsSync(path.join(logs, "b.log")), "undo put them back");
    await page.screenshot({ path: screenshotPath("cleanup-undone.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors");
  } finally {
    writeFileSync(screenshotPath("healing-daemon.log"), healing.log());
    await page.close();
    await healing.stop();
    rmSync(logs, { recursive: true, force: true });
  }
});

test("a breaker shows its state, window, rates and countdown, and the page steers it", async () => {
  let healthy = true;
  const own = await startTarget(() => healthy);
  const breakers = await startDaemon(`
[[check]]
id = "orders"
name = "Orders API"
kind = "http"
url = "${own.url}"
interval = "300ms"
timeout = "250ms"
breaker = { window = 10, min_calls = 4, failure_rate = 50, half_open_calls = 2, open_for = "1m" }
`);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: "light" });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  try {
    await page.goto(breakers.dashboard);
    await row(page, "orders").locator(".badge", { hasText: "up" }).waitFor({ timeout: WAIT });
    healthy = false;
    // The overview says it in one phrase, counting down.
    const cell = row(page, "orders").locator("td.breaker.open");
    await cell.waitFor({ timeout: WAIT });
    const first = await cell.innerText();
    assert.match(first, /^open, trial in (59|60|1 min|5\d) ?s?/, first);
    await eventually(WAIT, "the countdown ticks", async () => (await cell.innerText()) !== first);
    await page.screenshot({ path: screenshotPath("breaker-overview.png") });

    await row(page, "orders").click();
    const panel = page.locator(".breaker-panel");
    await panel.waitFor({ timeout: WAIT });
    assert.equal(await panel.locator('.state.current').getAttribute("data-state"), "open", "the diagram lights open");
    const strip = panel.locator(".strip .call");
    assert.ok((await strip.count()) >= 4, "the window's calls are a strip");
    assert.ok((await panel.locator(".strip .call.failed").count()) >= 2, "with its failures");
    assert.match(await panel.locator('[data-rate="Failed"]').innerText(), /\d+% \(\d+ of \d+\) · opens at 50%/);
    // The bar is drawn under the dashboard's CSP (no style attributes): filled, with
    // the threshold mark half-way.
    const bar = panel.locator('[data-rate="Failed"] .bar');
    const [whole, fill, mark] = await Promise.all(
      [bar, bar.locator(".fill"), bar.locator(".threshold")].map((part) => part.boundingBox()),
    );
    assert.ok(fill.width >= whole.width / 2 - 1, `the failure rate fills the bar past half: ${fill.width} of ${whole.width}`);
    assert.ok(Math.abs(mark.x - (whole.x + whole.width / 2)) <= 3, `the threshold mark is half-way: ${mark.x}`);
    const countdown = panel.locator(".breaker-now .countdown");
    const before = await countdown.innerText();
    await eventually(WAIT, "the next trial counts down", async () => (await countdown.innerText()) !== before);
    // Not probed, it says its last real failure and when it was: never stale, never up.
    const header = page.locator(".check-header p.state");
    assert.match(
      await header.innerText(),
      /^Down, behind an open breaker: .*(unexpected status|503).* \(the last real result, at \d\d:\d\d:\d\d \S+\)$/,
    );
    assert.equal((await breakers.get("/api/v1/checks/orders")).marks[0].kind, "breaker_open");
    assert.match(await panel.locator(".breaker-changes").innerText(), /closed → open · failure rate \d+% ≥ 50% over \d+ calls/);
    await page.screenshot({ path: screenshotPath("breaker-open.png"), fullPage: true });

    // Steering: forced open, then a reset; each is the page's (the API's) and shows.
    await panel.locator('button[data-steer="forced_open"]').click();
    await page.locator('.breaker-panel[data-breaker="forced_open"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator(".breaker-changes li").first().innerText(), /open → forced open by the dashboard or API/);
    healthy = true;
    await page.locator('.breaker-panel button[data-steer="closed"]').click();
    await page.locator('.breaker-panel[data-breaker="closed"]').waitFor({ timeout: WAIT });
    // The page reloads its changes once the steering answered.
    await page.locator(".breaker-changes li", { hasText: "forced open → closed by the dashboard or API" }).first().waitFor({ timeout: WAIT });
    await page.locator(".check-header .badge", { hasText: "up" }).waitFor({ timeout: WAIT });
    const check = await breakers.get("/api/v1/checks/orders");
    assert.equal(check.breaker.state, "closed");
    // Read from history at once: a steering answers only once it is committed.
    assert.deepEqual(
      check.breaker_changes.slice(0, 2).map((c) => `${c.from}>${c.to} ${c.by}`),
      ["forced_open>closed api", "open>forced_open api"],
    );
    await page.screenshot({ path: screenshotPath("breaker-reset.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors");
  } finally {
    writeFileSync(screenshotPath("breaker-daemon.log"), breakers.log());
    await page.close();
    await breakers.stop();
    await own.close();
  }
});

test("silences, the notification log and an incident's acknowledgement and notes", async () => {
  let healthy = true;
  const own = await startTarget(() => healthy);
  const received = [];
  const hook = await startTarget(() => true, (body) => received.push(JSON.parse(body)));
  const http = (id, name) => `
[[check]]
id = "${id}"
name = "${name}"
kind = "http"
url = "${own.url}"
group = "shop"
interval = "300ms"
timeout = "250ms"
failure_threshold = 1
breaker = { enabled = false }
`;
  const alerts = await startDaemon(`
[settings]
# Nothing listens on port 1: the network is "down", for the remote check below.
connectivity = { targets = ["tcp://127.0.0.1:1"], interval = "1s" }

[alerts]
group_wait = "0s"
channels = ["hook"]

[[channel]]
id = "hook"
kind = "webhook"
url = "${hook.url}"
${http("web", "Web")}${http("cart", "Cart")}
[[check]]
id = "batch"
name = "Batch"
kind = "http"
url = "${own.url}"
group = "jobs"
interval = "300ms"
timeout = "250ms"
failure_threshold = 1

[[check]]
id = "vpn"
name = "VPN gateway"
kind = "http"
url = "${own.url}"
network = true
interval = "300ms"
timeout = "250ms"
breaker = { enabled = false }

[[maintenance]]
id = "nightly"
groups = ["jobs"]
schedule = "* * * * *"
duration = "1h"
reason = "re-indexing"

[[maintenance]]
id = "move"
checks = ["web"]
start = "${new Date(Date.now() + 86400_000).toISOString()}"
end = "${new Date(Date.now() + 90000_000).toISOString()}"
`);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: "light" });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  try {
    await page.goto(alerts.dashboard);
    await row(page, "cart").locator(".badge", { hasText: "up" }).waitFor({ timeout: WAIT });
    await row(page, "batch").locator(".badge", { hasText: "maintenance" }).waitFor({ timeout: WAIT });
    // The remote check fails with the network (healthy = false below): until then it is
    // up, as the sentinel's failure alone blames nothing.
    await row(page, "vpn").locator(".badge", { hasText: "up" }).waitFor({ timeout: WAIT });
    await page.locator('nav a[data-page="alerts"]').click();
    await page.locator("#silences .empty").waitFor({ timeout: WAIT });
    // The windows: one on now (through its group), one to come.
    const nightly = page.locator('#maintenance-windows tr[data-window="nightly"]');
    await nightly.waitFor({ timeout: WAIT });
    assert.match(await nightly.innerText(), /every minute for 1 h[\s\S]*on until[\s\S]*next[\s\S]*Batch[\s\S]*re-indexing/);
    assert.match(await page.locator('#maintenance-windows tr[data-window="move"]').innerText(), /once[\s\S]*next .+ to .+[\s\S]*Web/);

    // A silence needs a reason: the page says so and creates nothing.
    await page.locator("#silence-target").selectOption("check:cart");
    await page.locator("#silence-create").click();
    await page.locator(".alerts-page .view-error", { hasText: "reason" }).waitFor({ timeout: WAIT });
    await page.locator("#silence-for").selectOption("4h");
    await page.locator("#silence-reason").fill("replacing the cart's disk");
    await page.locator("#silence-create").click();
    const silence = page.locator("#silences tr.active");
    await silence.waitFor({ timeout: WAIT });
    assert.match(await silence.innerText(), /checks cart[\s\S]*api[\s\S]*replacing the cart's disk/);
    const [created] = (await alerts.get("/api/v1/silences")).silences;
    // What the hook had before the silence (a probe that timed out on a busy machine is
    // told as it should be) is not the silence's to mute.
    const beforeSilence = received.length;
    assert.equal((Date.parse(created.ends_at) - Date.parse(created.starts_at)) / 3600_000, 4, "for 4 hours");

    // Both fail: the silenced one is decided and held, the other is delivered.
    healthy = false;
    await eventually(WAIT, "the webhook has web down", () => received.find((n) => n.title === "Web down"));
    // The remote one is the network's: unknown, and the banner (on every page) says so.
    await eventually(WAIT, "the remote check is unknown: no network", async () => {
      const vpn = (await alerts.get("/api/v1/status")).checks.find((c) => c.id === "vpn");
      return vpn.status === "unknown" && vpn.reason.startsWith("no network");
    });
    const banner = page.locator("#no-network");
    await banner.waitFor({ state: "visible", timeout: WAIT });
    assert.match(await banner.innerText(), /No network: 1 remote check is unknown until it is back/);
    assert.equal(received.filter((n) => n.title === "VPN gateway down").length, 0, "not told as down");
    await eventually(WAIT, "the log has both", async () => (await alerts.get("/api/v1/notifications")).notifications.length >= 2);
    await page.reload();
    const log = page.locator("#notification-log table.notifications");
    await log.waitFor({ timeout: WAIT });
    await eventually(WAIT, "the log shows what was sent and what was not, and why", async () => {
      const text = await log.innerText();
      return /Cart down[\s\S]*not sent: silenced/.test(text) && /Web down[\s\S]*delivered/.test(text);
    });
    const told = received.slice(beforeSilence).map((n) => n.title);
    assert.equal(told.filter((title) => title === "Cart down").length, 0, `the silence muted it: ${JSON.stringify(told)}`);
    assert.equal(received.filter((n) => /Batch/.test(n.title)).length, 0, "in maintenance: nobody is told");
    assert.equal((await alerts.get("/api/v1/incidents")).incidents.filter((i) => i.check === "batch").length, 0, "nor an incident opened");
    await page.screenshot({ path: screenshotPath("alerts.png"), fullPage: true });
    // The log's filters: only what was held back, then only Web's.
    await page.locator("#log-outcome").selectOption("held");
    await eventually(WAIT, "only what was not sent", async () => {
      const outcomes = await log.locator("tbody td:last-child").allInnerTexts();
      return outcomes.length > 0 && outcomes.every((o) => o.startsWith("not sent")) ? outcomes : null;
    });
    await page.locator("#log-outcome").selectOption("");
    await page.locator("#log-check").selectOption("web");
    await eventually(WAIT, "only Web's", async () => {
      const about = await page.locator("#notification-log table.notifications tbody td:nth-child(4)").allInnerTexts();
      return about.length > 0 && about.every((a) => a === "Web") ? about : null;
    });
    assert.match(await page.locator("#notification-log").innerText(), /Web[\s\S]*down/, "the event in words");
    await page.locator("#log-check").selectOption("");

    // The overview says each state as it is: the silenced one is muted and says until
    // when, by whom and why; the remote one blames the network.
    await page.locator('nav a[data-page="overview"]').click();
    const cartRow = row(page, "cart");
    await cartRow.locator(".mark.silenced").waitFor({ timeout: WAIT });
    assert.match(await cartRow.locator(".mark.silenced").innerText(), /^silenced until (\d{4}-\d\d-\d\d )?\d\d:\d\d \S+ by the dashboard or API \(replacing the cart's disk\)$/);
    assert.equal(await cartRow.locator("td.attended .badge.down").count(), 1, "its badge is drawn muted");
    assert.equal(await row(page, "web").locator("td.attended").count(), 0, "a plain failure is not");
    assert.match(await row(page, "vpn").locator("td.message").innerText(), /the network is down/);
    await page.screenshot({ path: screenshotPath("overview-states.png"), fullPage: true });

    // The check page: its state in one line; Acknowledge and Silence beside Pause.
    await cartRow.locator("a").click();
    const state = page.locator(".check-page p.state");
    await state.waitFor({ timeout: WAIT });
    assert.match(await state.innerText(), /^Down, silenced until (\d{4}-\d\d-\d\d )?\d\d:\d\d \S+ by the dashboard or API \(replacing the cart's disk\): /);
    assert.equal(await page.locator(".check-page h2 button.unsilence").count(), 1, "a silenced check offers to end it");
    await page.locator(".check-page h2 button.ack", { hasText: "Acknowledge" }).click();
    await page.locator(".check-page p.state", { hasText: "acknowledged" }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator(".check-page h2 button.ack").count(), 0, "nothing left to acknowledge");
    await page.screenshot({ path: screenshotPath("check-silenced-acked.png"), fullPage: true });
    await page.goto(`${alerts.api.url}/#/check/web`);
    await page.locator(".check-page h2 select.silence").selectOption("15m");
    await page.locator(".check-page p.state", { hasText: "silenced until" }).waitFor({ timeout: WAIT });
    const fromPage = (await alerts.get("/api/v1/silences")).silences.find((s) => s.checks.includes("web"));
    assert.equal((Date.parse(fromPage.ends_at) - Date.parse(fromPage.starts_at)) / 60_000, 15, "for 15 minutes");
    await page.locator(".check-page h2 button.unsilence").click();
    await page.locator(".check-page h2 select.silence").waitFor({ timeout: WAIT });

    await page.locator('nav a[data-page="alerts"]').click();
    await silence.locator("button.end-silence").click();
    await page.locator("#silences .empty").waitFor({ timeout: WAIT });

    // The incidents page: acknowledge Web's, note it.
    await page.locator('nav a[data-page="incidents"]').click();
    const open = page.locator("table.incidents tr.open", { hasText: "Web" }).first();
    await open.waitFor({ timeout: WAIT });
    await open.locator("button.ack").click();
    await open.locator(".acked").waitFor({ timeout: WAIT });
    const noted = open;
    await noted.locator("input.note-text").fill("swapped the disk, watching it");
    await noted.locator(".note-form button").click();
    await page.locator("table.incidents .note", { hasText: "swapped the disk, watching it" }).waitFor({ timeout: WAIT });
    const incidents = (await alerts.get("/api/v1/incidents?open=true")).incidents;
    const acked = incidents.find((i) => i.acked && i.check === "web");
    assert.ok(acked?.acked_at, JSON.stringify(incidents));
    assert.deepEqual(acked.notes.map((n) => `${n.author}: ${n.text}`), ["api: swapped the disk, watching it"]);
    await page.screenshot({ path: screenshotPath("incidents-acked.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors");
  } finally {
    writeFileSync(screenshotPath("alerts-daemon.log"), alerts.log());
    await page.close();
    await alerts.stop();
    await own.close();
    await hook.close();
  }
});

test("a clear banner when the core goes away", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(daemon.dashboard);
  await row(page, "orders-api").waitFor({ timeout: WAIT });
  await daemon.kill();
  const banner = page.locator("#banner");
  await banner.waitFor({ state: "visible", timeout: WAIT });
  assert.match(await banner.innerText(), /Core unreachable/);
  assert.equal(await page.locator("#retry").count(), 1, "with a retry");
  const ink = await page.locator("#retry").evaluate((button) => {
    const style = getComputedStyle(button);
    return { color: style.color, background: style.backgroundColor };
  });
  assert.notEqual(ink.color, ink.background, "the retry button's words are drawn in another colour than its face");
  assert.equal(await row(page, "orders-api").count(), 1, "the last known state stays on screen");
  assert.equal(await page.locator("main#view.away").count(), 1, "dimmed, as it may be stale");
  const since = await row(page, "orders-api").locator("td").nth(2).innerText();
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  assert.equal(await row(page, "orders-api").locator("td").nth(2).innerText(), since, "its times stand still");
  await page.screenshot({ path: screenshotPath("core-unreachable.png") });

  // The core comes back (the same data dir, so the same token): the page reconnects by
  // itself, is live again and asks for nothing.
  const token = daemon.api.token;
  await daemon.restart();
  assert.equal(daemon.api.token, token, "the token survived the restart");
  await banner.waitFor({ state: "hidden", timeout: WAIT });
  assert.equal(await page.locator("main#view.away").count(), 0, "no longer dimmed");
  await eventually(WAIT, "live again: its times tick", async () =>
    (await row(page, "orders-api").locator("td").nth(2).innerText()) !== since,
  );
  await page.reload();
  await row(page, "orders-api").locator(".badge", { hasText: "up" }).waitFor({ timeout: WAIT });
  writeFileSync(screenshotPath("README.txt"), "Screenshots of the dashboard end-to-end tests (ui/e2e).\n");
  await page.close();
});

test("a damaged history is moved aside and the banner says where the old file is", async () => {
  const own = await startDaemon(`
[[check]]
id = "port"
name = "Port"
kind = "tcp"
host = "127.0.0.1"
port = ${target.port}
interval = "1s"
`);
  try {
    await own.kill();
    const history = path.join(own.dir, "data", "history.db");
    writeFileSync(history, Buffer.alloc(64 * 1024, 0x5a));
    rmSync(`${history}-wal`, { force: true });
    rmSync(`${history}-shm`, { force: true });
    await own.restart();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(own.dashboard);
    const banner = page.locator("#degraded");
    await banner.waitFor({ state: "visible", timeout: WAIT });
    const said = await banner.innerText();
    assert.match(said, /the database was damaged and moved to .*history\.db\.corrupt-\d{8}T\d{6}/, said);
    await row(page, "port").waitFor({ timeout: WAIT });
    await page.screenshot({ path: screenshotPath("history-moved-aside.png") });
    await page.close();
  } finally {
    await own.stop();
  }
});

test("a saved config shows live; a config with an error is said in the banner until it is fixed", async () => {
  const live = await startDaemon(portConfig());
  const file = path.join(live.dir, "watchkeeper.toml");
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(live.dashboard);
    await row(page, "port").waitFor({ timeout: WAIT });
    // Saved: the new check appears without a reload of the page.
    writeFileSync(file, portConfig() + portConfig("added"));
    await row(page, "added").waitFor({ timeout: WAIT });
    // An error: the banner says where and how to fix it; the checks stay.
    writeFileSync(file, portConfig() + portConfig("added").replace(`port = ${target.port}`, "port = 70000"));
    const banner = page.locator("#degraded");
    await banner.waitFor({ state: "visible", timeout: WAIT });
    const said = await banner.innerText();
    assert.match(said, /config: .*watchkeeper\.toml:\d+:\d+: check "added": port: must be 1 to 65535/, said);
    assert.match(said, /the running config stays/, said);
    assert.equal(await row(page, "added").count(), 1, "the running config stays");
    await page.screenshot({ path: screenshotPath("config-error-banner.png") });
    // Fixed: the banner goes.
    writeFileSync(file, portConfig());
    await banner.waitFor({ state: "hidden", timeout: WAIT });
    await row(page, "added").waitFor({ state: "detached", timeout: WAIT });
    await page.close();
  } finally {
    await live.stop();
  }
});

test("a check is added, tested, refused at its field, edited and removed from the dashboard; every kind has its form", async () => {
  const desk = await startDaemon(`\n# my checks${portConfig()}`);
  const file = path.join(desk.dir, "watchkeeper.toml");
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(desk.dashboard);
    await row(page, "port").waitFor({ timeout: WAIT });
    await page.click('nav a[data-page="edit"]');
    const form = page.locator("form.check-form");
    await form.waitFor({ timeout: WAIT });
    // Every kind's form, with the keys it requires marked.
    const schema = await desk.get("/api/v1/config/schema");
    for (const [kind, keys] of Object.entries(schema.$defs.kinds)) {
      await page.selectOption('select[name="kind"]', kind);
      for (const key of keys.required) {
        const field = page.locator(`.field[data-key="${key}"]`);
        await field.waitFor({ timeout: WAIT });
        assert.equal(await field.locator(".required").count(), 1, `${kind}: ${key} is marked required`);
        assert.ok((await field.locator(".help").innerText()).length > 0, `${kind}: ${key} has its help`);
      }
      await page.screenshot({ path: screenshotPath(`add-check-${kind}.png`), fullPage: true });
    }
    await page.selectOption('select[name="kind"]', "tcp");
    await page.fill('input[name="id"]', "db");
    await page.fill('input[name="host"]', "127.0.0.1");
    await page.fill('input[name="port"]', String(target.port));
    await page.click("#test");
    await page.locator('.trial .badge.up').waitFor({ timeout: WAIT });
    // Out of range: said at its field, nothing written.
    const before = readFileSync(file, "utf8");
    await page.fill('input[name="port"]', "70000");
    await page.click("#save");
    const error = page.locator('.field[data-key="port"] .field-error');
    await error.waitFor({ timeout: WAIT });
    assert.match(await error.innerText(), /must be 1 to 65535/);
    assert.equal(readFileSync(file, "utf8"), before, "a refused check writes nothing");
    await page.screenshot({ path: screenshotPath("add-check-refused.png"), fullPage: true });
    await page.fill('input[name="port"]', String(target.port));
    await page.click("#save");
    await page.waitForURL(/#\/check\/db$/, { timeout: WAIT });
    const saved = readFileSync(file, "utf8");
    assert.ok(saved.startsWith(before) && saved.includes('id = "db"'), saved);
    // Edited: the name shows on its page.
    await page.locator("a.edit").click();
    await page.locator('input[name="host"]').waitFor({ timeout: WAIT });
    assert.equal(await page.inputValue('input[name="host"]'), "127.0.0.1", "the form starts from the file");
    await page.fill('input[name="name"]', "Database");
    await page.screenshot({ path: screenshotPath("edit-check.png"), fullPage: true });
    await page.click("#save");
    await page.waitForURL(/#\/check\/db$/, { timeout: WAIT });
    await page.locator("h2", { hasText: "Database" }).waitFor({ timeout: WAIT });
    assert.ok(readFileSync(file, "utf8").startsWith("\n# my checks\n[[check]]\nid = \"port\""), "the rest is kept");
    // Removed.
    await page.locator("a.edit").click();
    await page.locator("#remove").click();
    await page.waitForURL(/#\/$/, { timeout: WAIT });
    await row(page, "db").waitFor({ state: "detached", timeout: WAIT });
    assert.ok(!readFileSync(file, "utf8").includes('id = "db"'));
    await page.close();
  } finally {
    await desk.stop();
  }
});

test("lines pasted in bulk are reviewed, then added at once", async () => {
  const desk = await startDaemon(portConfig());
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(desk.dashboard);
    await row(page, "port").waitFor({ timeout: WAIT });
    await page.click('nav a[data-page="edit"]');
    await page.click("#bulk");
    await page.fill('textarea[name="lines"]', `127.0.0.1:${target.port}\nhttp://127.0.0.1:${target.port}/\nnot a host\n`);
    await page.fill('input[name="interval"]', "1s");
    await page.click("#review");
    await page.locator("table.proposals tr.refused").waitFor({ timeout: WAIT });
    assert.equal(await page.locator("table.proposals tr.ok").count(), 2);
    assert.match(await page.locator("table.proposals tr.refused").innerText(), /a line is one URL/);
    await page.screenshot({ path: screenshotPath("bulk-add-review.png"), fullPage: true });
    await page.click("#add-all");
    await page.waitForURL(/#\/$/, { timeout: WAIT });
    await row(page, `127-0-0-1-${target.port}`).waitFor({ timeout: WAIT });
    await row(page, `127-0-0-1-${target.port}-2`).waitFor({ timeout: WAIT });
    await page.close();
  } finally {
    await desk.stop();
  }
});

test("a service this machine runs is suggested and added in one click", async () => {
  const service = await startTarget(() => true);
  // A failed unit, as a (fake) systemd on the daemon's system bus says.
  const systemd = await startFakeSystemd({ "backup.service": "Nightly backup" });
  const desk = await startDaemon(portConfig(), BIN, {
    DBUS_SYSTEM_BUS_ADDRESS: systemd.address,
    DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus",
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(desk.dashboard);
    await row(page, "port").waitFor({ timeout: WAIT });
    await page.click('nav a[data-page="suggestions"]');
    const item = page.locator("ul.suggestions li", { hasText: `http://127.0.0.1:${service.port}/health` });
    await item.waitFor({ timeout: WAIT });
    assert.match(await item.innerText(), /answers HTTP on \/health/);
    assert.equal(await page.locator("ul.suggestions li", { hasText: `127.0.0.1:${target.port} ` }).count(), 0, "a watched port is not suggested");
    const unit = page.locator("ul.suggestions li.unit", { hasText: "backup.service" });
    await unit.waitFor({ timeout: WAIT });
    assert.match(await unit.innerText(), /system unit backup\.service \(Nightly backup\)[\s\S]*systemctl/);
    await page.screenshot({ path: screenshotPath("suggestions.png"), fullPage: true });
    await item.locator("button.add").click();
    await item.locator(".added").waitFor({ timeout: WAIT });
    const id = await item.getAttribute("data-suggestion");
    await page.click('nav a[data-page="overview"]');
    await row(page, id).waitFor({ timeout: WAIT });
    await page.close();
  } finally {
    await desk.stop();
    await service.close();
    systemd.stop();
  }
});

test("another monitor's config is uploaded, reviewed and imported", async () => {
  const desk = await startDaemon(portConfig());
  const gatus = path.join(desk.dir, "gatus.yaml");
  writeFileSync(
    gatus,
    `endpoints:\n  - name: web\n    url: "http://127.0.0.1:${target.port}/health"\n    interval: 1s\n    conditions:\n      - "[STATUS] == 200"\n      - "[DOMAIN_EXPIRATION] > 720h"\n  - name: pinger\n    url: "icmp://127.0.0.1"\n`,
  );
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(desk.dashboard);
    await row(page, "port").waitFor({ timeout: WAIT });
    await page.evaluate(() => (location.hash = "#/checks/bulk"));
    await page.setInputFiles("#import-file", gatus);
    const panel = page.locator(".imported[data-format=gatus]");
    await panel.waitFor({ timeout: WAIT });
    assert.match(await panel.locator(".skipped").innerText(), /pinger.*no ping check/s);
    assert.match(await panel.locator(".notes").innerText(), /DOMAIN_EXPIRATION/);
    await page.screenshot({ path: screenshotPath("import-review.png"), fullPage: true });
    await page.click("#add-imported");
    await page.waitForURL(/#\/$/, { timeout: WAIT });
    await row(page, "web").waitFor({ timeout: WAIT });
    await page.close();
  } finally {
    await desk.stop();
  }
});

test("every page is usable at 800 and 1280 px: no page-wide scroll, no word broken, every button on screen", async () => {
  // A failure, for an open incident (its Acknowledge button) and a failing row.
  rmSync(fixedFile, { force: true });
  failing = true;
  const open = await eventually(WAIT, "Orders API has an open incident", async () =>
    (await daemon.get("/api/v1/incidents?check=orders-api&open=true")).incidents[0] ?? null,
  );
  const pages = [
    ["incident", `#/incident/${open.id}`, () => ".incident-page .evidence .changes-panel"],
    ["overview", "#/", () => "tr.check"],
    ["check", "#/check/orders-api", () => ".check-page .incidents tr.open button.ack"],
    ["incidents", "#/incidents", () => "table.incidents tr.open button.ack"],
    ["runs", "#/runs", () => ".runs-page li, .runs-page .empty"],
    ["alerts", "#/alerts", () => "#notification-log table, #notification-log .empty"],
  ];
  for (const width of [800, 1280]) {
    const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: "light" });
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(daemon.dashboard);
    await row(page, "orders-api").waitFor({ timeout: WAIT });
    for (const [name, hash, ready] of pages) {
      await page.goto(`${daemon.api.url}/${hash}`);
      await page.locator(ready()).first().waitFor({ timeout: WAIT });
      // Let the live update settle the layout (the chart is drawn after its data).
      await page.waitForTimeout(300);
      const layout = await page.evaluate(() => {
        const wide = document.documentElement.scrollWidth;
        const off = [...document.querySelectorAll("button, select, input")]
          .filter((e) => e.offsetParent !== null && !e.closest("dialog:not([open])"))
          .map((e) => ({ e, box: e.getBoundingClientRect() }))
          // A control inside a panel that scrolls sideways is reached by scrolling it.
          .filter(({ e, box }) => box.right > innerWidth + 1 && !e.closest(".scroll"))
          .map(({ e }) => e.outerHTML.slice(0, 80));
        // A word broken in the middle: a text node whose single word wraps over lines.
        const broken = [...document.querySelectorAll("td, .message, .hint, p.state, h2, dd")]
          .filter((e) => getComputedStyle(e).overflowWrap === "anywhere" || getComputedStyle(e).wordBreak === "break-all")
          .map((e) => e.tagName + "." + e.className);
        return { wide, off, broken };
      });
      assert.ok(layout.wide <= width + 1, `${name} at ${width} px scrolls the whole page sideways: ${layout.wide} px`);
      assert.deepEqual(layout.off, [], `${name} at ${width} px: every control on screen`);
      assert.deepEqual(layout.broken, [], `${name} at ${width} px: no text may break inside a word`);
      await page.screenshot({ path: screenshotPath(`${name}-${width}.png`), fullPage: true });
    }
    assert.deepEqual(errors, [], "no script errors");
    await page.close();
  }
  failing = false;
  writeFileSync(fixedFile, "");
});

test("a system check charts what it measures, with its unit, and lists it by result", async () => {
  const system = await startDaemon(`
[[check]]
id = "cpu"
name = "CPU"
kind = "system"
metric = "cpu"
interval = "300ms"
`);
  try {
    await eventually(WAIT, "a few results", async () => (await system.get("/api/v1/checks/cpu/results")).results.length >= 3);
    for (const width of [800, 1280]) {
      const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: "light" });
      await page.goto(system.dashboard);
      await row(page, "cpu").waitFor({ timeout: WAIT });
      await page.goto(`${system.api.url}/#/check/cpu`);
      const figures = page.locator(".figures");
      await figures.locator(".label", { hasText: "Average CPU" }).waitFor({ timeout: WAIT });
      assert.match(await figures.innerText(), /\d+(\.\d+)? %[\s\S]*Average CPU[\s\S]*Highest CPU/);
      await page.locator(".chart canvas").waitFor({ timeout: WAIT });
      assert.equal(await page.locator("table.results th").nth(2).innerText(), "CPU", "the results name what they measured");
      assert.match(await page.locator("table.results tbody td.num").first().innerText(), /^\d+(\.\d+)? %$/);
      await page.screenshot({ path: screenshotPath(`check-measured-${width}.png`), fullPage: true });
      await page.close();
    }
  } finally {
    await system.stop();
  }
});

test("a heartbeat's page shows its push URL and curl lines, and a ping shows live", async () => {
  const beats = await startDaemon(`
[[check]]
id = "nightly"
name = "Nightly backup job"
kind = "heartbeat"
grace = "1h"
interval = "500ms"
`);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    await page.goto(beats.dashboard);
    await row(page, "nightly").waitFor({ timeout: WAIT });
    await page.goto(`${beats.api.url}/#/check/nightly`);
    const panel = page.locator("section.push");
    await panel.waitFor({ timeout: WAIT });
    const url = await panel.locator('[data-push="url"] code').innerText();
    assert.match(url, new RegExp(`^${beats.api.url}/push/nightly/[0-9a-f]{32}$`));
    assert.equal(await panel.locator('[data-push="curl"] code').innerText(), `curl -fsS -m 10 -X POST ${url}`);
    await panel.locator('[data-push="curl"] button.copy').click();
    await eventually(WAIT, "the copy button says what it did", async () =>
      /^(Copied|Selected: press Ctrl\+C)$/.test(await panel.locator('[data-push="curl"] button.copy').innerText()),
    );

    const answer = await fetch(`${url}?status=fail&msg=${encodeURIComponent("disk full on /backup")}`, { method: "POST" });
    assert.equal((await answer.json()).status, "down");
    const state = page.locator(".check-page [data-state]");
    await eventually(WAIT, "the failure shows live", async () => /reported a failure.*disk full on \/backup/.test(await state.innerText()));
    await page.screenshot({ path: screenshotPath("check-heartbeat.png"), fullPage: true });
    await fetch(url, { method: "POST", body: "done in 4 min" });
    await eventually(WAIT, "a later ping recovers it", async () => /last ping (just now|.* ago): done in 4 min/.test(await state.innerText()));
    await page.close();
  } finally {
    await beats.stop();
  }
});

test("an incident's page shows its evidence: what changed as a diff, what the probe saw, this machine", async () => {
  // A JSON service whose database goes down; its body also says a password.
  let db = "UP";
  const server = http.createServer((_, response) => {
    response.writeHead(db === "UP" ? 200 : 503, { "content-type": "application/json", "x-served-by": "orders-7" });
    response.end(JSON.stringify({ status: db, db: { status: db }, password: "hunter2" }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  const api = await startDaemon(`
[[check]]
id = "orders"
name = "Orders API"
kind = "http"
url = "http://127.0.0.1:${port}/health"
interval = "300ms"
timeout = "250ms"
failure_threshold = 1
breaker = { enabled = false }
expect = ["status == 200", "json.db.status == \\"UP\\""]
`);
  try {
    await eventually(WAIT, "Orders API is up", async () => (await api.get("/api/v1/checks/orders")).status === "up");
    db = "DOWN";
    const opened = await eventually(WAIT, "an incident opens", async () =>
      (await api.get("/api/v1/incidents?check=orders")).incidents[0] ?? null,
    );
    // This machine's figures are added to its evidence once read.
    await eventually(WAIT, "the evidence has this machine's figures", async () =>
      (await api.get(`/api/v1/incidents/${opened.id}`)).evidence?.local,
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    // From the incidents table, its number leads to its page.
    await page.goto(`${api.dashboard}`);
    await page.goto(`${api.api.url}/#/incidents`);
    await page.locator(`tr[data-incident="${opened.id}"] a[href="#/incident/${opened.id}"]`).click();
    const changes = page.locator(".incident-page table.changes");
    await changes.waitFor({ timeout: WAIT });
    const rows = await changes.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll("th, td")].map((cell) => cell.innerText)),
    );
    assert.deepEqual(rows.slice(0, 2), [
      ["status", "200", "503"],
      ["json.db.status", '"UP"', '"DOWN"'],
    ]);
    assert.equal(await page.locator(".incident-page .resolution").innerText(), opened.resolution);
    const body = await page.locator("pre.body-excerpt").innerText();
    assert.match(body, /"db": \{\s+"status": "DOWN"\s+\}/);
    assert.ok(!body.includes("hunter2") && body.includes("••••"), body);
    assert.ok(!(await page.content()).includes("hunter2"), "the password is nowhere on the page");
    // This test's own process listens on the port.
    const owner = await page.locator(".local-panel .port-owner").innerText();
    assert.match(owner, new RegExp(`^\\S+ \\(pid ${process.pid}\\) listens on ${port}$`));
    assert.ok((await page.locator(".local-panel table.top tbody tr").count()) > 0, "the busiest processes are listed");
    await page.locator("details.headers summary").click();
    assert.match(await page.locator("details.headers").innerText(), /x-served-by\s+orders-7/);
    await page.screenshot({ path: screenshotPath("incident-evidence.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors");
    await page.close();
  } finally {
    await api.stop();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("a check's page shows uptime over four windows with MTTR and MTBF, and a range picker from 1 hour to 90 days with incidents on the chart", async () => {
  let up = true;
  const server = http.createServer((_, response) => {
    response.writeHead(up ? 200 : 503);
    response.end(up ? "ok" : "down");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const api = await startDaemon(`
[[check]]
id = "shop"
name = "Shop"
kind = "http"
url = "http://127.0.0.1:${server.address().port}/"
interval = "200ms"
timeout = "150ms"
failure_threshold = 1
breaker = { enabled = false }
`);
  try {
    await eventually(WAIT, "Shop is up", async () => (await api.get("/api/v1/checks/shop")).status === "up");
    up = false;
    await eventually(WAIT, "an incident opens", async () => (await api.get("/api/v1/incidents?check=shop")).incidents.length > 0);
    up = true;
    await eventually(WAIT, "it is resolved", async () => (await api.get("/api/v1/incidents?check=shop")).incidents[0].resolved_at !== null);
    const uptime = await api.get("/api/v1/checks/shop/uptime");
    assert.ok(uptime.windows["24h"].failures > 0 && uptime.windows["24h"].uptime < 100, JSON.stringify(uptime.windows["24h"]));
    assert.ok(uptime.mttr_s > 0 && uptime.mtbf_s > 0, JSON.stringify(uptime));

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(api.dashboard);
    // The page reads the uptime again when an incident changes: its tiles say what the
    // core said last.
    let told = null;
    page.on("response", (r) => {
      if (r.url().includes("/api/v1/checks/shop/uptime")) told = r.json();
    });
    await page.goto(`${api.api.url}/#/check/shop`);
    const tiles = page.locator(".uptime");
    await tiles.locator('[data-window="90d"]').waitFor({ timeout: WAIT });
    await eventually(WAIT, "the tiles say what the core said last", async () => {
      const shown = await told;
      for (const name of ["24h", "7d", "30d", "90d"]) {
        const text = await tiles.locator(`[data-window="${name}"] .value`).innerText();
        assert.match(text, /^\d+(\.\d+)?%$/);
        if (text !== shown.windows[name].text) return false;
      }
      return true;
    });
    assert.match(await tiles.innerText(), /MTTR \(90 d\)[\s\S]*MTBF \(90 d\)/);
    assert.ok(!(await tiles.innerText()).includes("—"), "MTTR and MTBF are known after one incident");
    // Each range is answered from the right source, and the incident is on the chart.
    for (const [range, source] of [["1h", "results"], ["24h", "minute"], ["90d", "hour"]]) {
      const answered = page.waitForResponse((r) => r.url().includes("/history") && r.url().includes(`range=${range}`));
      await page.locator(`.range button[data-range="${range}"]`).click();
      assert.equal((await (await answered).json()).source, source, range);
      assert.equal(await page.locator(`.range button[data-range="${range}"]`).getAttribute("aria-pressed"), "true");
      await page.locator(".chart canvas").waitFor({ timeout: WAIT });
      let seen = null;
      await eventually(
        WAIT,
        () => `the ${range} chart shades the incidents (it shades ${seen})`,
        async () => {
          // Each of the core's incidents (a slow probe may have opened another).
          const { incidents } = await told;
          seen = await page.locator(".chart").getAttribute("data-incidents");
          return incidents.length > 0 && seen === String(incidents.length);
        },
      );
      await page.screenshot({ path: screenshotPath(`check-range-${range}.png`), fullPage: true });
    }
    // The incidents page exports them as the core writes them: a file named by the core.
    await page.goto(`${api.api.url}/#/incidents`);
    const saved = page.waitForEvent("download");
    await page.locator('button[data-export="csv"]').click();
    const download = await saved;
    assert.match(download.suggestedFilename(), /^watchkeeper-incidents-\d{8}T\d{6}Z\.csv$/);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\r\n");
    assert.equal(csv[0], "id,check,started_at,resolved_at,class,cause,failed_conditions,acked,acked_at,note");
    const { incidents } = await api.get("/api/v1/incidents?check=shop");
    assert.ok(csv.length >= 2 && csv.length - 1 <= incidents.length, "its incidents, one a line");
    assert.match(csv[1], /^1,shop,.*,http_status,"expected status < 400, got 503",/, "quoted where it holds a comma");
    // Filtered by class and time, in the page's address; a class it never had lists none.
    await page.locator("#incident-class").selectOption("refused");
    await page.locator(".incidents-page p.empty", { hasText: "No incidents." }).waitFor({ timeout: WAIT });
    await page.locator("#incident-class").selectOption("http_status");
    await page.locator("#incident-range").selectOption("1h");
    await page.locator(".incidents-page table.incidents tr[data-incident]").first().waitFor({ timeout: WAIT });
    assert.equal(new URL(page.url()).hash, "#/incidents?class=http_status&range=1h");
    assert.equal(await page.locator("#incident-class").inputValue(), "http_status", "the filter reads back from the address");
    await page.screenshot({ path: screenshotPath("incidents-filtered.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors");
    await page.close();
  } finally {
    await api.stop();
    server.close();
  }
});

test("the overview shows each check's latest results as a strip that grows live, and its 24 h uptime", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(daemon.dashboard);
  const strip = row(page, "orders-api").locator("canvas.strip");
  await eventually(WAIT, "the strip shows results", async () => Number(await strip.getAttribute("data-ticks")) > 0);
  const { length } = await daemon.get("/api/v1/strips");
  // A result every 500 ms: the strip takes each as it comes, without a reload, up to
  // as many as the core says, then the oldest leave.
  const before = Number(await strip.getAttribute("data-ticks"));
  await eventually(WAIT, "the strip grows from the live stream", async () => {
    const now = Number(await strip.getAttribute("data-ticks"));
    return now > before || now === length;
  });
  const box = await strip.boundingBox();
  assert.equal(Math.round(box.width), length * 6 - 2, "room for as many results as the core says");
  // The newest tick, at the right, tells its time, status and latency.
  await strip.hover({ position: { x: box.width - 2, y: box.height / 2 } });
  assert.match(await strip.getAttribute("title"), /^\d\d:\d\d:\d\d · (up|down) · [\d.]+ ms$/);
  const label = await row(page, "orders-api").locator(".strip-window").getAttribute("aria-label");
  assert.match(label, /^last \d+ results: \d+ (up|down)/, "the strip's summary for a screen reader, drawn or not");
  const uptime = await row(page, "orders-api").locator("td.uptime-cell").innerText();
  assert.match(uptime, /^\d+(\.\d+)?%$/);
  await page.screenshot({ path: screenshotPath("overview-strips.png"), fullPage: true });
  assert.deepEqual(errors, [], "no script errors");
  await page.close();
});
