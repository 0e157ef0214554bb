// The .deb `cargo xtask bundle` makes, installed with dpkg as an operator would, and run
// from where it put things: the `watchkeeper` CLI on the PATH and its headless daemon,
// the tray app started by the package's autostart entry in a desktop session under Xvfb
// (its "Start at login" checked by that entry, and turned off by the user), then removed.
// `cargo xtask test` makes the package from the debug build (WATCHKEEPER_DEB).

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { test } from "node:test";

import { click, findEntry, startApp, startDesktop, trayItem } from "./desktop.mjs";
import { eventually, startDaemon, startTarget } from "./support.mjs";

const DEB = process.env.WATCHKEEPER_DEB;
const PACKAGE = "watchkeeper";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DESKTOP_ENTRY = "/usr/share/applications/Watchkeeper.desktop";
const AUTOSTART_ENTRY = "/etc/xdg/autostart/Watchkeeper.desktop";
const WAIT = 20_000;

/** The package's dpkg status (`installed`, `half-configured`, …; `not-installed` when
 *  dpkg does not know it) and version. */
function packageState() {
  const query = spawnSync("dpkg-query", ["-W", "-f", "${db:Status-Status} ${Version}", PACKAGE], { encoding: "utf8" });
  const [status, version] = query.status === 0 ? query.stdout.split(" ") : ["not-installed", ""];
  return { status, version };
}

function installedVersion() {
  const { status, version } = packageState();
  return status === "installed" ? version : null;
}

/** Why this test cannot run here, or null. */
function cannotRun() {
  if (!DEB) return "no package to install: WATCHKEEPER_DEB is not set (cargo xtask test makes one)";
  if (process.getuid() !== 0) return "dpkg -i needs root";
  if (packageState().status !== "not-installed") {
    return `a ${PACKAGE} package is on this machine already; this test installs and removes its own`;
  }
  // Files of the same names put there by hand would be replaced, then removed.
  const taken = ["/usr/bin/watchkeeper", "/usr/bin/watchkeeper-desktop", DESKTOP_ENTRY, AUTOSTART_ENTRY].filter((f) => existsSync(f));
  if (taken.length > 0) return `the package would replace files it does not own: ${taken.join(", ")}`;
  return null;
}

/** A program run as the operator would, by name on the standard PATH. */
function run(program, args, options = {}) {
  return execFileSync(program, args, { encoding: "utf8", env: { ...process.env, PATH }, ...options });
}

/** The command a desktop entry's Exec line runs, as words (no quoting in ours). */
function execOf(entry) {
  const line = readFileSync(entry, "utf8").split("\n").find((l) => l.startsWith("Exec="));
  assert.ok(line, `${entry} has an Exec line`);
  return line.slice("Exec=".length).trim().split(/\s+/);
}

test("the .deb installs with dpkg, its binaries run from the PATH, its autostart entry starts the tray, and it removes cleanly", { skip: cannotRun() ?? false }, async (t) => {
  // Whatever state a failed step left it in (unpacked, half-configured), it goes.
  t.after(() => {
    if (packageState().status !== "not-installed") spawnSync("dpkg", ["--purge", PACKAGE], { stdio: "inherit" });
  });
  run("dpkg", ["-i", DEB]);
  assert.equal(installedVersion(), "0.1.0");
  const files = run("dpkg", ["-L", PACKAGE]).split("\n");
  for (const file of ["/usr/bin/watchkeeper", "/usr/bin/watchkeeper-desktop", DESKTOP_ENTRY, AUTOSTART_ENTRY, "/usr/share/icons/hicolor/128x128/apps/watchkeeper-desktop.png"]) {
    assert.ok(files.includes(file), `the package installs ${file}: ${files.join(" ")}`);
  }
  const depends = run("dpkg-query", ["-W", "-f", "${Depends}", PACKAGE]);
  assert.match(depends, /libwebkit2gtk-4\.1-0/, "it depends on the WebKitGTK it was built against");
  // The desktop entries are valid, and each runs the tray app by name.
  run("desktop-file-validate", [DESKTOP_ENTRY, AUTOSTART_ENTRY]);
  assert.deepEqual(execOf(DESKTOP_ENTRY), ["watchkeeper-desktop"]);
  assert.deepEqual(execOf(AUTOSTART_ENTRY), ["watchkeeper-desktop", "--minimized"]);
  assert.match(readFileSync(DESKTOP_ENTRY, "utf8"), /^Icon=watchkeeper-desktop$/m);

  // The CLI is on the PATH, and so is the tray app.
  assert.equal(run("sh", ["-c", "command -v watchkeeper"]).trim(), "/usr/bin/watchkeeper");
  assert.match(run("watchkeeper", ["--version"]), /^watchkeeper 0\.1\.0$/m);
  assert.match(run("watchkeeper-desktop", ["--version"]), /^watchkeeper-desktop 0\.1\.0$/m);
  // Its systemd user unit runs the installed binary.
  assert.match(run("watchkeeper", ["install-service", "--print"]), /^ExecStart=\/usr\/bin\/watchkeeper run --config /m);

  // The headless daemon, as installed, watches a service and answers the CLI.
  let healthy = true;
  const target = await startTarget(() => healthy);
  t.after(() => target.close());
  const config = `[[check]]\nid = "web"\nname = "Web"\nkind = "http"\nurl = "${target.url}"\ninterval = "200ms"\n`;
  const daemon = await startDaemon(config, "/usr/bin/watchkeeper");
  t.after(() => daemon.stop());
  await eventually(WAIT, "the installed daemon sees the service up", async () => (await daemon.get("/api/v1/checks/web")).status === "up");
  const dataDir = `${daemon.dir}/data`;
  const status = run("watchkeeper", ["status", "--data-dir", dataDir]);
  assert.match(status, /web/, status);
  healthy = false;
  await eventually(WAIT, "the installed daemon sees it down", async () => (await daemon.get("/api/v1/checks/web")).status === "down");
  await daemon.stop();

  // The tray app, started as the session's autostart would: the entry's Exec line, found
  // on the PATH, with the package's entry in effect (the system's XDG config dirs).
  const session = await startDesktop();
  t.after(() => session.stop());
  session.env.PATH = PATH;
  session.env.XDG_CONFIG_DIRS = "/etc/xdg";
  const [program, ...args] = execOf(AUTOSTART_ENTRY);
  const app = await startApp(session, config, args, program);
  t.after(() => app.stop());
  assert.equal(readlinkSync(`/proc/${app.child.pid}/exe`), "/usr/bin/watchkeeper-desktop");
  const item = await trayItem(session);
  const startAtLogin = async () => findEntry(await session.host.ask({ op: "layout", item }), "Start at login");
  assert.equal((await eventually(WAIT, "the tray menu is drawn", startAtLogin)).toggled, 1, "the package's entry starts it at login");
  // Turning it off hides the package's entry for this user; on again, it starts.
  const userEntry = `${session.env.XDG_CONFIG_HOME}/autostart/Watchkeeper.desktop`;
  await click(session, item, "Start at login");
  await eventually(WAIT, "the user's entry hides the package's", () => existsSync(userEntry) && /^Hidden=true$/m.test(readFileSync(userEntry, "utf8")));
  await eventually(WAIT, "the menu shows it off", async () => (await startAtLogin()).toggled === 0);
  await click(session, item, "Start at login");
  await eventually(WAIT, "the user's entry starts it again", () => !/Hidden/.test(readFileSync(userEntry, "utf8")));
  await eventually(WAIT, "the menu shows it on", async () => (await startAtLogin()).toggled === 1);
  const stopped = await app.stop();
  assert.equal(stopped.code, 0, app.log());

  // Removed: nothing of it is left on the PATH or in the session's autostart.
  run("dpkg", ["-r", PACKAGE]);
  assert.equal(installedVersion(), null);
  run("dpkg", ["--purge", PACKAGE]);
  assert.equal(packageState().status, "not-installed");
  for (const file of ["/usr/bin/watchkeeper", "/usr/bin/watchkeeper-desktop", DESKTOP_ENTRY, AUTOSTART_ENTRY]) {
    assert.ok(!existsSync(file), `${file} is gone`);
  }
});
