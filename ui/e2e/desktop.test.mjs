// The desktop app end to end, under Xvfb with a private session bus: notifications seen
// on D-Bus, the tray read and clicked through a tray host, the window driven through
// tauri-driver, and `cargo xtask run`'s choice between the tray app and the daemon.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import {
  DESKTOP_BIN,
  click,
  clickFound,
  driveApp,
  findEntry,
  findEntryStarting,
  processTree,
  startApp,
  startDesktop,
  trayItem,
} from "./desktop.mjs";
import { ROOT, eventually, screenshotPath, startTarget } from "./support.mjs";

const WAIT = 20_000;

function config(orders, payments) {
  const http = (id, name, url, extra = "") => `
[[check]]
id = "${id}"
name = "${name}"
kind = "http"
url = "${url}"
interval = "200ms"
timeout = "150ms"
failure_threshold = 1
breaker = { enabled = false }
${extra}`;
  return (
    // Failures within a second become one notification.
    '[alerts]\ngroup_wait = "1s"\n' +
    http("orders-api", "Orders API", orders.url, 'actions = ["restart-orders"]') +
    http("payments-api", "Payments API", payments.url, 'group = "payments"') +
    http("payments-db", "Payments DB", payments.url, 'group = "payments"\nalert = { severity = "critical" }') +
    http("payments-queue", "Payments queue", payments.url, 'group = "payments"') +
    `
[[action]]
id = "restart-orders"
name = "Restart orders"
kind = "command"
command = ["sh", "-c", "echo restarting orders; sleep 0.3; echo restarted"]
confirm = false
verify = false
max_runs = 10
`
  );
}

/** The tray icon's state, by comparing its pixels with icons/tray-*@2x.png. The app
 *  writes each icon to a new file and removes the one before: a file gone between
 *  reading the icon's name and its pixels is an icon being replaced, asked again. */
async function iconState(session, item) {
  let shown;
  try {
    shown = await session.host.ask({ op: "icon", item });
  } catch (error) {
    if (/No such file or directory/.test(String(error))) return "being replaced";
    throw error;
  }
  for (const state of ["ok", "degraded", "down", "unknown"]) {
    const digest = await session.host.ask({ op: "digest", path: path.join(ROOT, "icons", `tray-${state}@2x.png`) });
    if (digest === shown.digest) return state;
  }
  return `unrecognised icon ${shown.path}`;
}

async function trayShows(session, item, label, state) {
  let seen = "nothing yet";
  return eventually(WAIT, () => `the tray shows "${label}" with the ${state} icon (it shows ${seen})`, async () => {
    const props = await session.host.ask({ op: "props", item });
    const icon = await iconState(session, item);
    seen = `"${props.XAyatanaLabel}" with the ${icon} icon`;
    return props.XAyatanaLabel === label && icon === state ? props : null;
  });
}

/** Clicks the entry `label`. The app redraws its menu whenever what it shows changes (a
 *  check's state line too), so an id read just before a redraw can be gone: then the
 *  layout is read again. */
test("a failure is notified on D-Bus, and the tray shows it and acts on it", async (t) => {
  let ordersHealthy = true;
  let paymentsHealthy = true;
  const orders = await startTarget(() => ordersHealthy);
  const payments = await startTarget(() => paymentsHealthy);
  const session = await startDesktop();
  t.after(async () => {
    await session.stop();
    await orders.close();
    await payments.close();
  });
  const app = await startApp(session, config(orders, payments));
  t.after(() => {
    // The app's log and what D-Bus saw, beside the screenshots, to read when this fails.
    writeFileSync(screenshotPath("desktop-app.log"), app.log());
    writeFileSync(screenshotPath("desktop-notifications.json"), JSON.stringify(session.notifications(), null, 1));
    return app.stop();
  });

  const item = await trayItem(session);
  const props = await trayShows(session, item, "all 4 up", "ok");
  assert.ok(props.Title, "the item has a title");
  const health = await app.get("/healthz");
  assert.ok(!health.degraded.some((d) => d.startsWith("tray:")), `a tray host is there: ${health.degraded}`);

  // One check fails: one notification with its name, cause and resolution.
  const failedAt = Date.now();
  ordersHealthy = false;
  // With the server's answer (its id for it): its buttons are pressed by that id.
  const notification = await eventually(WAIT, "a notification for Orders API", () =>
    session.notifications().find((n) => n.summary === "Orders API down" && n.serverId),
  );
  const latency = notification.at - failedAt;
  console.log(`# failure to notification: ${latency} ms (interval 200 ms, failure_threshold 1)`);
  assert.match(notification.body, /503/, "the cause");
  assert.deepEqual([notification.urgency, notification.expire], [null, -1], "a warning: ordinary, expires as the server likes");
  assert.match(notification.body, /unexpected status/, "the resolution");
  assert.deepEqual(
    notification.actions.slice(0, 6),
    ["snooze", "Snooze 1 h", "ack", "Acknowledge", "open", "Open"],
    "the buttons",
  );
  assert.deepEqual(
    notification.actions.slice(6, 8),
    ["run", "Run Restart orders"],
    "and its first action that needs no confirmation",
  );
  await eventually(WAIT, "the log has it, shown on the desktop", async () =>
    (await app.get("/api/v1/notifications?check=orders-api")).notifications.find((n) => n.channel === "desktop" && n.delivered),
  );
  await trayShows(session, item, "1 down: Orders API", "down");
  const menu = await session.host.ask({ op: "layout", item });
  assert.equal(menu.children[0].label, "1 down: Orders API", "the summary heads the menu");
  assert.equal(menu.children[0].enabled, false, "as a disabled entry");
  const failing = findEntryStarting(menu, "Orders API — Down: ");
  assert.ok(failing, `the failing check is listed with its state in words: ${JSON.stringify(menu)}`);
  assert.deepEqual(
    failing.children.map((c) => c.label),
    ["Restart orders", "Silence", "Acknowledge", "Pause 1 h", "Show"],
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  await session.screenshot(screenshotPath("desktop-notification.png"));
  // Its "Run" button runs the action, as the desktop.
  session.invokeAction(notification, "run");
  const fromNotification = await eventually(WAIT, "the notification's Run button runs the action", async () => {
    const runs = (await app.get("/api/v1/action-runs?action=restart-orders")).runs;
    return runs.length === 1 && runs[0].status !== "running" ? runs[0] : null;
  });
  assert.equal(fromNotification.requested_by, "desktop");
  // The run's outcome is told on the desktop too: seen before the burst is counted.
  await eventually(WAIT, "the run's outcome is notified", () =>
    session.notifications().find((n) => n.summary.startsWith("restart-orders: ")),
  );

  // Three of one group fail together: one notification for all three, naming the group.
  const before = session.notifications().length;
  paymentsHealthy = false;
  const burst = await eventually(WAIT, "one notification for the burst", () =>
    session.notifications().find((n) => n.summary === "3 checks of group payments down"),
  );
  assert.match(burst.body, /Payments (API|DB|queue), Payments (API|DB|queue), Payments (API|DB|queue)/);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sent = session.notifications().slice(before);
  assert.equal(sent.length, 1, `a burst is one notification: ${JSON.stringify(sent)}`);
  await trayShows(session, item, "4 down: Orders API, Payments API, Payments DB, +1", "down");
  // A critical check among them: it stays until dismissed, marked urgent, with its buttons.
  assert.deepEqual([burst.urgency, burst.expire], [2, 0], `critical: urgent and resident: ${JSON.stringify(burst)}`);
  assert.deepEqual(burst.actions.slice(0, 8), ["default", "", "snooze", "Snooze 1 h", "ack", "Acknowledge", "open", "Open"]);
  const urgentShown = await eventually(WAIT, "the urgent one's id", () =>
    session.notifications().find((n) => n.summary === burst.summary && n.serverId),
  );
  session.invokeAction(urgentShown, "ack");
  await eventually(WAIT, "its Acknowledge button acknowledges the group's incidents", async () => {
    const open = (await app.get("/api/v1/incidents?check=payments-api&open=true")).incidents[0];
    return open?.acked ? open : null;
  });

  // Acknowledged, a check says so in the tray, which no longer offers to.
  const ackedMenu = await eventually(WAIT, "the tray says the acknowledgement", async () => {
    const menu = await session.host.ask({ op: "layout", item });
    return findEntryStarting(menu, "Payments API — Down, acknowledged: ") ? menu : null;
  });
  const paymentsApi = findEntryStarting(ackedMenu, "Payments API — Down, acknowledged: ");
  assert.ok(!paymentsApi.children.some((c) => c.label === "Acknowledge"), "nothing left to acknowledge");

  // The tray's Silence submenu: a silence of one check (its notifications muted, still probed).
  const db = findEntryStarting(ackedMenu, "Payments DB — Down");
  const snoozeEntry = findEntry(findEntry(db, "Silence"), "15 min");
  assert.deepEqual(
    findEntry(db, "Silence").children.map((c) => c.label),
    ["15 min", "1 h", "4 h", "until tomorrow 08:00"],
  );
  assert.ok(snoozeEntry);
  await clickFound(session, item, "Payments DB's Silence 15 min", (menu) => {
    const silence = findEntryStarting(menu, "Payments DB — Down")?.children.find((c) => c.label === "Silence");
    return silence?.children.find((c) => c.label === "15 min");
  });
  const snoozed = await eventually(WAIT, "the tray's snooze is a silence", async () =>
    (await app.get("/api/v1/silences")).silences.find((s) => s.reason === "snoozed from the tray"),
  );
  assert.deepEqual([snoozed.checks, snoozed.created_by], [["payments-db"], "desktop"]);
  assert.equal((Date.parse(snoozed.ends_at) - Date.parse(snoozed.starts_at)) / 60_000, 15, "for 15 minutes");
  assert.equal((await app.get("/api/v1/checks/payments-db")).status, "down", "snoozed, not paused");
  const silencedEntry = await eventually(WAIT, "the tray says the silence, until when and by whom", async () =>
    findEntryStarting(await session.host.ask({ op: "layout", item }), "Payments DB — Down, silenced until "),
  );
  assert.match(silencedEntry.label, /^Payments DB — Down, silenced until (\d{4}-\d\d-\d\d )?\d\d:\d\d \S+ by the desktop app \(snoozed from the tray\)/);

  // An action from the tray runs, is recorded as the desktop's, and says how it went.
  await click(session, item, "Restart orders");
  const run = await eventually(WAIT, "the action run is recorded", async () => {
    const runs = (await app.get("/api/v1/action-runs?action=restart-orders")).runs;
    return runs.length === 2 && runs[0].status !== "running" ? runs[0] : null;
  });
  assert.equal(run.requested_by, "desktop");
  assert.equal(run.status, "ok");
  assert.match(run.output, /restarted/);
  await eventually(WAIT, "a notification says how the action went", () =>
    session.notifications().filter((n) => n.summary.startsWith("restart-orders: ok")).length === 2,
  );

  // Pause 1 h on one check, then Pause all: no notification while paused.
  await click(session, item, "Pause 1 h");
  await eventually(WAIT, "Orders API is paused", async () => (await app.get("/api/v1/checks/orders-api")).status === "paused");
  await click(session, item, "Pause all");
  // The core first (a failure here is the click's or the operation's), then the tray.
  await eventually(WAIT, "every check is paused", async () =>
    (await app.get("/api/v1/status")).checks.every((check) => check.status === "paused"),
  );
  await trayShows(session, item, "4 paused: Orders API, Payments API, Payments DB, +1", "unknown");
  const whilePaused = session.notifications().length;
  ordersHealthy = true;
  paymentsHealthy = true;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(session.notifications().length, whilePaused, "nothing is notified while paused");
  await click(session, item, "Resume all");
  await trayShows(session, item, "all 4 up", "ok");
  await eventually(WAIT, "the recoveries are notified, grouped", () =>
    session.notifications().slice(whilePaused).find((n) => /recovered/.test(n.summary)),
  );

  // A notification's "Snooze 1 h" button silences its check for an hour (probing goes
  // on), and "Acknowledge" acknowledges its incident. (After the last burst of failures
  // is over, so this one is notified on its own.)
  const lastDown = session.notifications().filter((n) => / down$/.test(n.summary)).at(-1) ?? burst;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastDown.at + 1_500 - Date.now())));
  const downs = session.notifications().filter((n) => n.summary === "Orders API down").length;
  ordersHealthy = false;
  // Once the server's answer (its id for it) is in too: the buttons are pressed by that id.
  const again = await eventually(WAIT, "Orders API down, notified again", () => {
    const notification = session.notifications().filter((n) => n.summary === "Orders API down")[downs];
    return notification?.serverId ? notification : null;
  });
  assert.ok(again.serverId, "the server answered with the notification's id");
  session.invokeAction(again, "snooze");
  const silence = await eventually(WAIT, "Orders API snoozed: a silence of one check", async () =>
    (await app.get("/api/v1/silences")).silences.find((s) => s.checks.includes("orders-api") && s.reason.includes("notification")),
  );
  assert.equal(silence.created_by, "desktop");
  const hours = (Date.parse(silence.ends_at) - Date.parse(silence.starts_at)) / 3600_000;
  assert.ok(Math.abs(hours - 1) < 0.01, `for an hour: ${JSON.stringify(silence)}`);
  assert.equal((await app.get("/api/v1/checks/orders-api")).status, "down", "snoozed, not paused: still probed");
  session.invokeAction(again, "ack");
  const acked = await eventually(WAIT, "its incident acknowledged", async () => {
    const open = (await app.get("/api/v1/incidents?check=orders-api&open=true")).incidents[0];
    return open?.acked ? open : null;
  });
  assert.ok(acked.acked_at, JSON.stringify(acked));

  // Start at login: the autostart entry appears and goes with the menu's check box.
  const entry = path.join(session.env.XDG_CONFIG_HOME, "autostart", "Watchkeeper.desktop");
  await click(session, item, "Start at login");
  await eventually(WAIT, "the autostart entry is written", () => existsSync(entry));
  assert.match(readFileSync(entry, "utf8"), /--minimized/);
  await click(session, item, "Start at login");
  await eventually(WAIT, "the autostart entry is removed", () => !existsSync(entry));

  // Open dashboard makes a window, in a process of its own; closing the window ends
  // that process (and WebKit's with it), and the app stays in the tray.
  await click(session, item, "Open dashboard");
  await eventually(WAIT, "the dashboard window is on screen", () => session.windows().includes('"Watchkeeper"'));
  assert.ok(processTree(app.child.pid).length > 1, "the window runs in child processes");
  assert.ok(session.closeWindow("Watchkeeper"), "the window takes a close request");
  await eventually(WAIT, "the window is destroyed, not hidden", () => !session.windows().includes('"Watchkeeper"'));
  await eventually(WAIT, "the window's processes are gone", () => processTree(app.child.pid).length === 1);
  assert.equal((await app.get("/api/v1/status")).checks.length, 4, "the app runs on in the tray");

  // "Add check…" opens the window on the form for a new check.
  await click(session, item, "Add check…");
  await eventually(WAIT, "the window opens for a new check", () => session.windows().includes('"Watchkeeper"'));
  const commands = processTree(app.child.pid).map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      return "";
    }
  });
  assert.ok(commands.some((c) => c.includes("--route #/checks/new")), `the window is asked for the form: ${commands}`);
  assert.ok(session.closeWindow("Watchkeeper"), "the window takes a close request");
  await eventually(WAIT, "the form's window is closed", () => !session.windows().includes('"Watchkeeper"'));
  await eventually(WAIT, "and its processes gone", () => processTree(app.child.pid).length === 1);

  // A second launch opens the first one's window and ends.
  const second = spawn(DESKTOP_BIN, ["--config", path.join(session.dir, "unused.toml")], {
    env: session.env,
    stdio: "ignore",
  });
  const secondExit = await new Promise((resolve) => second.on("exit", (code) => resolve(code)));
  assert.equal(secondExit, 0, "the second instance hands over and exits");
  await eventually(WAIT, "the first instance shows its window", () => session.windows().includes('"Watchkeeper"'));

  // Quit ends the app cleanly.
  await click(session, item, "Quit");
  const exit = await app.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, app.log());
  assert.ok(!existsSync(path.join(app.dataDir, "api.json")), "api.json is removed on exit");
  assert.deepEqual(readdirSync(session.iconDir), [], "no tray icon file is left behind");
});

test("10,000 state changes leave a handful of tray icon files", async (t) => {
  const target = await startTarget(() => true);
  const session = await startDesktop();
  t.after(async () => {
    await session.stop();
    await target.close();
  });
  const app = await startApp(
    session,
    `[[check]]\nid = "api"\nname = "API"\nkind = "http"\nurl = "${target.url}"\ninterval = "200ms"\n`,
  );
  t.after(() => app.stop());
  const item = await trayItem(session);
  await trayShows(session, item, "all 1 up", "ok");

  // Each pause and resume turns the check paused and back: a state change, and another
  // tray icon (unknown / ok). Bounded in count and in time.
  const deadline = Date.now() + 120_000;
  let changes = 0;
  let most = 0;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const { status, body } = await app.post(i % 2 === 0 ? "/api/v1/checks/api/pause" : "/api/v1/checks/api/resume");
    assert.equal(status, 200, JSON.stringify(body));
    changes += body.changed;
    if (i % 500 === 0) most = Math.max(most, readdirSync(session.iconDir).length);
  }
  console.log(`# ${changes} state changes; at most ${most} icon files seen meanwhile`);
  assert.equal(changes, 10_000, "every pause and resume changed the state");
  await trayShows(session, item, "all 1 up", "ok");
  const left = readdirSync(session.iconDir);
  assert.ok(left.length <= 3 && most <= 3, `a handful of icon files at most: ${left.length} left, ${most} seen`);
  const exit = await app.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, "SIGTERM ends the app cleanly");
  const icons = app.log().match(/tray stopped icon_changes=(\d+)/);
  assert.ok(icons && Number(icons[1]) >= 10, `the icon really changed many times: ${icons?.[0]}`);
  console.log(`# ${icons[1]} tray icon changes drawn`);
  assert.deepEqual(readdirSync(session.iconDir), [], "none is left after exit");
});

test("self-healing that gives up is told once, as a restart loop notification", async (t) => {
  const session = await startDesktop({ withTrayHost: false });
  t.after(() => session.stop());
  const app = await startApp(
    session,
    `[[check]]
id = "worker"
name = "Queue worker"
kind = "command"
command = ["false"]
interval = "300ms"
timeout = "250ms"
failure_threshold = 1
auto_action = { action = "kick", after = 1, backoff = "200ms" }

[[action]]
id = "kick"
name = "Kick the worker"
kind = "command"
command = ["true"]
confirm = false
verify = false
max_runs = 2
per = "1h"
`,
  );
  t.after(() => app.stop());
  const loop = await eventually(WAIT, "a restart loop notification", () =>
    session.notifications().find((n) => n.summary === "Queue worker: restart loop" && n.serverId),
  );
  assert.match(loop.body, /Kick the worker ran 2 times in 1h and Queue worker is still down; no automatic run until (\d{4}-\d\d-\d\d )?\d\d:\d\d/);
  assert.match(loop.body, /Reset the action's budget in the dashboard to try again now/);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const told = session.notifications().filter((n) => n.summary === "Queue worker: restart loop").length;
  assert.equal(told, 1, "told once, however long it stays down");
  const runs = (await app.get("/api/v1/action-runs?action=kick")).runs;
  assert.equal(runs.length, 2, "and no run past the budget");
});

test("the tray's check submenu resets an open breaker, as the desktop's", async (t) => {
  let healthy = false;
  const target = await startTarget(() => healthy);
  const session = await startDesktop();
  t.after(async () => {
    await session.stop();
    await target.close();
  });
  const app = await startApp(
    session,
    `[[check]]\nid = "api"\nname = "API"\nkind = "http"\nurl = "${target.url}"\ninterval = "200ms"\ntimeout = "150ms"\nfailure_threshold = 1\nbreaker = { failure_threshold = 2, open_for = "1h" }\n`,
  );
  t.after(() => app.stop());
  const item = await trayItem(session);
  await eventually(WAIT, "the breaker opens", async () => (await app.get("/api/v1/checks/api")).breaker.state === "open");
  const entry = await eventually(WAIT, "the check's submenu offers a reset", async () => {
    const menu = await session.host.ask({ op: "layout", item });
    return findEntryStarting(menu, "API — Down, behind an open breaker: ")?.children.find((c) => c.label === "Reset breaker") ?? null;
  });
  assert.ok(entry);
  healthy = true;
  await clickFound(session, item, "API's Reset breaker", (menu) =>
    findEntryStarting(menu, "API — Down, behind an open breaker: ")?.children.find((c) => c.label === "Reset breaker"),
  );
  const reset = await eventually(WAIT, "the reset probes again and the check is up", async () => {
    const check = await app.get("/api/v1/checks/api");
    return check.status === "up" ? check : null;
  });
  assert.equal(reset.breaker.state, "closed");
  assert.deepEqual(
    reset.breaker_changes.slice(0, 2).map((c) => `${c.from}>${c.to} ${c.by}`),
    ["open>closed desktop", "closed>open breaker"],
    "recorded as the desktop's",
  );
});

test("without a tray host, a notification service or a display the app keeps running and says so", async (t) => {
  const target = await startTarget(() => true);
  const session = await startDesktop({ withTrayHost: false, withNotifications: false });
  t.after(async () => {
    await session.stop();
    await target.close();
  });
  const cfg = `[[check]]\nid = "api"\nname = "API"\nkind = "http"\nurl = "${target.url}"\ninterval = "200ms"\n`;
  const app = await startApp(session, cfg);
  const health = await app.get("/healthz");
  assert.ok(
    health.degraded.some((d) => d.startsWith("tray: no tray host")),
    `degraded names the tray: ${JSON.stringify(health.degraded)}`,
  );
  assert.ok(
    health.degraded.some((d) => d.startsWith("notifications: no notification service")),
    `degraded names the notifications: ${JSON.stringify(health.degraded)}`,
  );
  await eventually(WAIT, "the check still runs", async () => (await app.get("/api/v1/checks/api")).status === "up");
  assert.deepEqual(await app.stop(), { code: 0, signal: null });

  // A config error is said plainly (file, line, column, help) and ends the app.
  const badConfig = path.join(session.dir, "bad.toml");
  writeFileSync(badConfig, '[[check]]\nid = "x"\nkind = "nope"\n');
  const bad = spawn(DESKTOP_BIN, ["--config", badConfig, "--data-dir", path.join(session.dir, "bad")], {
    env: session.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let badOut = "";
  bad.stderr.on("data", (chunk) => (badOut += chunk));
  const badExit = await new Promise((resolve) => bad.on("exit", (code) => resolve(code)));
  assert.equal(badExit, 3, badOut);
  assert.match(badOut, /error: .*\n?.*bad\.toml:3:8: check "x": kind: unknown kind `nope`/);
  assert.doesNotMatch(badOut, /panicked/);

  // No display: the headless daemon, and where its dashboard is.
  const env = { ...session.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const headless = spawn(DESKTOP_BIN, ["--config", path.join(session.dir, "none.toml"), "--data-dir", path.join(session.dir, "headless")], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  headless.stdout.on("data", (chunk) => (out += chunk));
  headless.stderr.on("data", () => {});
  const exited = new Promise((resolve) => headless.on("exit", (code) => resolve(code)));
  await eventually(WAIT, "it runs the daemon and prints its dashboard", () => /dashboard\s+http:\/\/127\.0\.0\.1:\d+\/#token=/.test(out));
  assert.match(out, /no display \(DISPLAY and WAYLAND_DISPLAY are unset\): running the headless daemon instead/);
  headless.kill("SIGTERM");
  assert.equal(await exited, 0);
});

test("the dashboard window runs an action through Tauri IPC (tauri-driver)", async (t) => {
  let healthy = true;
  const orders = await startTarget(() => healthy);
  const payments = await startTarget(() => true);
  const session = await startDesktop();
  t.after(async () => {
    await session.stop();
    await orders.close();
    await payments.close();
  });
  // The tray app runs; tauri-driver starts its window process, as "Open dashboard" does.
  const app = await startApp(session, config(orders, payments));
  t.after(() => app.stop());
  const web = await driveApp(session, ["--window", "--data-dir", app.dataDir]);
  t.after(() => web.close());
  const dataDir = app.dataDir;

  assert.equal(await web.script("return '__TAURI_INTERNALS__' in window"), true, "the page runs inside Tauri");
  await web.find('tr.check[data-id="orders-api"] .badge.up', "Orders API up");
  healthy = false;
  await web.find('tr.check[data-id="orders-api"] .badge.down', "Orders API down, live over IPC");
  await web.click(await web.find('tr.check[data-id="orders-api"] td.name'));
  await web.find(".check-page h2", "the check page");
  await web.click(await web.find('button[data-action="restart-orders"]'));
  await web.click(await web.find("dialog.action-dialog #confirm-run", "the confirmation"));
  const output = await web.find("dialog.action-dialog pre.live", "live output");
  await eventually(WAIT, "the output arrives", async () => /restarted/.test(await web.text(output)));
  const outcome = await web.find("dialog.action-dialog .outcome");
  await eventually(WAIT, "the run's outcome: ok, exit 0", async () => /exit 0/.test(await web.text(outcome)));
  writeFileSync(screenshotPath("desktop-window-action.png"), await web.screenshot());

  // Recorded as the desktop's, on the incident.
  const api = JSON.parse(readFileSync(path.join(dataDir, "api.json"), "utf8"));
  const runs = await fetch(`${api.url}/api/v1/action-runs?action=restart-orders`, {
    headers: { authorization: `Bearer ${api.token}` },
  }).then((r) => r.json());
  assert.equal(runs.runs[0].requested_by, "desktop");
  assert.ok(runs.runs[0].incident, "filed on the open incident");

  // Pause from the window, over IPC too.
  await web.script("document.querySelector('dialog.action-dialog').close()");
  await web.click(await web.find(".check-page h2 button.pause", "the pause button"));
  await web.find(".check-page h2 .badge.paused", "the check paused");
  const paused = await fetch(`${api.url}/api/v1/checks/orders-api`, {
    headers: { authorization: `Bearer ${api.token}` },
  }).then((r) => r.json());
  assert.equal(paused.status, "paused");

  // Only the listed commands: anything else is refused by the capability.
  const refused = await web.script(
    "return window.__TAURI_INTERNALS__.invoke('plugin:window|set_title', { label: 'main', value: 'x' }).then(() => 'allowed', (e) => String(e));",
  );
  assert.match(String(refused), /not allowed/i, "the window's own title is not the page's to set");

  // The incidents page exports into the user's downloads, and says where.
  await web.script("location.hash = '#/incidents?check=orders-api'");
  await web.find("table.incidents tr[data-incident]", "the incidents of Orders API");
  await web.click(await web.find('button[data-export="csv"]', "the export button"));
  const saved = await web.find(".incidents-page .saved", "where the export went");
  const said = await web.text(saved);
  const downloads = path.join(session.env.HOME, "Downloads");
  const file = readdirSync(downloads).find((name) => /^watchkeeper-incidents-\d{8}T\d{6}Z\.csv$/.test(name));
  assert.ok(file, `saved in ${downloads}: ${readdirSync(downloads)}`);
  assert.ok(said.includes(path.join(downloads, file)), said);
  const lines = readFileSync(path.join(downloads, file), "utf8").trim().split("\r\n");
  assert.match(lines[0], /^id,check,started_at,/);
  assert.ok(lines.length >= 2 && lines.slice(1).every((line) => line.split(",")[1] === "orders-api"), lines.join("\n"));
});

test("cargo xtask run starts the tray app with a display, the daemon without", async (t) => {
  const target = await startTarget(() => true);
  const session = await startDesktop();
  t.after(async () => {
    await session.stop();
    await target.close();
  });
  const configPath = path.join(session.dir, "run.toml");
  writeFileSync(configPath, `[[check]]\nid = "api"\nname = "API"\nkind = "http"\nurl = "${target.url}"\n`);
  const run = async (env, dataDir, expected) => {
    // `--dev`: the debug build the tests already made, not a release build.
    const args = ["xtask", "run", "--dev", "--", "--config", configPath, "--data-dir", path.join(session.dir, dataDir)];
    const child = spawn("cargo", args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    try {
      await eventually(300_000, `cargo xtask run prints "${expected}"`, () => {
        if (child.exitCode !== null) throw new Error(`cargo xtask run exited:\n${out}`);
        return out.includes(expected);
      });
    } finally {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await exited;
    }
    return out;
  };
  // cargo and rustup live in the real home.
  const withDisplay = { ...session.env, HOME: process.env.HOME };
  const desktop = await run(withDisplay, "with-display", "watchkeeper-desktop is running in the tray");
  assert.match(desktop, /run the tray app \(a display is available\)/);
  const withoutDisplay = { ...withDisplay };
  delete withoutDisplay.DISPLAY;
  delete withoutDisplay.WAYLAND_DISPLAY;
  const headless = await run(withoutDisplay, "without-display", "watchkeeper is running");
  assert.match(headless, /run the headless daemon \(no display\)/);
  assert.doesNotMatch(headless, /watchkeeper-desktop is running/);
});
