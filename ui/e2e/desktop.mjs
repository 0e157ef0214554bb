// A desktop for the desktop end-to-end tests, made of real parts: an X server (Xvfb),
// a private D-Bus session bus, a notification server (dunst) watched by dbus-monitor,
// a minimal tray host (tray_host.py), and watchkeeper-desktop itself.

import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { ROOT, eventually } from "./support.mjs";

export const DESKTOP_BIN =
  process.env.WATCHKEEPER_DESKTOP_BIN ?? path.join(ROOT, "target", "debug", "watchkeeper-desktop");
const TRAY_HOST = path.join(ROOT, "ui", "e2e", "tray_host.py");

/** Reads a child's output into a string, and resolves `firstLine` with its first line. */
function collect(stream) {
  const out = { text: "", firstLine: null };
  out.firstLine = new Promise((resolve) => {
    stream.on("data", (chunk) => {
      out.text += chunk;
      const newline = out.text.indexOf("\n");
      if (newline >= 0) resolve(out.text.slice(0, newline).trim());
    });
  });
  return out;
}

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  // The timer goes with the race: a pending one would keep the test's process alive.
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the desktop session. `withTrayHost: false` leaves out the tray host (a
 * desktop without a tray); `withNotifications: false` the notification server.
 */
export async function startDesktop({ withTrayHost = true, withNotifications = true } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "wk-desktop-"));
  const runtime = path.join(dir, "run");
  mkdirSync(runtime, { mode: 0o700 });
  const children = [];
  const start = (program, args, env, stdio = ["ignore", "pipe", "pipe"]) => {
    const child = spawn(program, args, { stdio, env });
    children.push(child);
    return child;
  };

  // Xvfb picks a free display and writes its number to fd 3.
  const xvfb = start("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], process.env, [
    "ignore",
    "ignore",
    "pipe",
    "pipe",
  ]);
  const display = `:${await within(10_000, collect(xvfb.stdio[3]).firstLine, "Xvfb starts")}`;
  // A session bus of its own that starts no service on demand: what runs is what the
  // test started (no portal, no accessibility bus, no notification server unless asked).
  const busConfig = path.join(dir, "session.conf");
  writeFileSync(
    busConfig,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${runtime}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const bus = start("dbus-daemon", [`--config-file=${busConfig}`, "--nofork", "--print-address=1"], process.env);
  const address = await within(10_000, collect(bus.stdout).firstLine, "the session bus starts");
  const env = {
    ...process.env,
    DISPLAY: display,
    DBUS_SESSION_BUS_ADDRESS: address,
    XDG_RUNTIME_DIR: runtime,
    HOME: path.join(dir, "home"),
    XDG_CONFIG_HOME: path.join(dir, "config"),
    XDG_DATA_HOME: path.join(dir, "data-home"),
    XDG_CACHE_HOME: path.join(dir, "cache"),
    // The system's autostart entries (an installed package's) stay out of the session.
    XDG_CONFIG_DIRS: path.join(dir, "config-dirs"),
    // No accessibility bus and no desktop portal: neither exists in this session.
    NO_AT_BRIDGE: "1",
    GTK_USE_PORTAL: "0",
    WATCHKEEPER_LOG: "info",
  };
  mkdirSync(env.HOME, { recursive: true });

  // dbus-monitor first, so it sees every notification.
  // The calls and signals of the notification interface, and replies (the server's id
  // for each notification is in the reply to its Notify).
  const monitor = start(
    "dbus-monitor",
    ["--session", "interface='org.freedesktop.Notifications'", "type='method_return'"],
    env,
  );
  const monitored = { text: "" };
  const arrivals = [];
  monitor.stdout.on("data", (chunk) => {
    monitored.text += chunk;
    arrivals.push({ at: Date.now(), upTo: monitored.text.length });
  });
  await eventually(10_000, "dbus-monitor is attached", () => monitored.text.includes("NameAcquired"));
  if (withNotifications) {
    start("dunst", [], env);
    await eventually(10_000, "dunst owns the notification service", () => busHasName(env, "org.freedesktop.Notifications"));
  }

  let host = null;
  if (withTrayHost) {
    const child = start("/usr/bin/python3", [TRAY_HOST], env, ["pipe", "pipe", "pipe"]);
    const lines = [];
    const waiting = [];
    let buffered = "";
    let errors = "";
    child.stderr.on("data", (chunk) => (errors += chunk));
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        const next = waiting.shift();
        if (next) next(line);
        else lines.push(line);
      }
    });
    const nextLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => waiting.push(r)));
    await within(10_000, nextLine(), `the tray host starts ${errors}`);
    host = {
      async ask(request) {
        child.stdin.write(JSON.stringify(request) + "\n");
        const answer = await within(10_000, nextLine(), `the tray host answers ${JSON.stringify(request)}`);
        if ("error" in answer) throw new Error(`tray host: ${answer.error}`);
        return answer.ok;
      },
    };
  }

  return {
    dir,
    env,
    display,
    host,
    iconDir: path.join(runtime, `watchkeeper-tray-${process.getuid()}`),
    /** Notifications sent so far, in order: {summary, body, actions, at}. */
    notifications: () => parseNotifications(monitored.text, arrivals),
    /** Presses a notification's button as the server reports it: ActionInvoked(id, action). */
    invokeAction: (notification, action) => {
      execFileSync(
        "dbus-send",
        [
          "--session",
          "--type=signal",
          "/org/freedesktop/Notifications",
          "org.freedesktop.Notifications.ActionInvoked",
          `uint32:${notification.serverId}`,
          `string:${action}`,
        ],
        { env },
      );
    },
    /** Notifications closed by their sender so far (a burst's earlier notice). */
    closed: () => (monitored.text.match(/member=CloseNotification/g) ?? []).length,
    /** The whole screen as PNG bytes. */
    /** Writes the whole screen to `out` as PNG, in a process of its own: converting a
     *  screen here would stall this process's loopback targets past their checks'
     *  timeouts (a spurious failure). */
    screenshot: (out) =>
      new Promise((resolve, reject) =>
        execFile(process.execPath, [path.join(ROOT, "ui", "e2e", "screenshot.mjs"), display, out], { env }, (error) =>
          error ? reject(error) : resolve(),
        ),
      ),
    /** Closes a window as its close button would (WM_DELETE_WINDOW); false when none is named so. */
    closeWindow: (name) => {
      try {
        execFileSync("/usr/bin/python3", [path.join(ROOT, "ui", "e2e", "close_window.py"), name], { env });
        return true;
      } catch {
        return false;
      }
    },
    /** Top-level window names on the screen. A window that goes away while xwininfo
     *  walks the tree makes it fail (Bad Window): the walk is done again. */
    windows: () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return execFileSync("xwininfo", ["-root", "-tree", "-display", display], { encoding: "utf8", stdio: "pipe" });
        } catch (error) {
          if (attempt >= 5 || !/Bad (Window|Drawable)/.test(String(error.message))) throw error;
        }
      }
    },
    async stop() {
      for (const child of children.reverse()) {
        if (child.exitCode === null) child.kill("SIGTERM");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function busHasName(env, name) {
  try {
    const names = execFileSync(
      "dbus-send",
      ["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"],
      { env, encoding: "utf8" },
    );
    return names.includes(`"${name}"`);
  } catch {
    return false;
  }
}

/** dbus-monitor's text → the Notify calls: summary, body, actions, the urgency hint, the expiry. */
function parseNotifications(text, arrivals) {
  const found = [];
  // A call's arguments run until the next message (a body may span lines).
  const pattern = /member=Notify\n([\s\S]*?)(?=\n(?:method call|method return|signal|error) |$)/g;
  let match;
  while ((match = pattern.exec(text))) {
    // A call not yet followed by another message may still be arriving (its hints and
    // expiry in dbus-monitor's next write): it is read once the next one is here (its
    // reply, soon after).
    if (match.index + match[0].length === text.length) break;
    // The hints (a dict) come after the actions, then the expiry: strings up to them.
    const args = match[1];
    const hintsAt = args.indexOf("dict entry(");
    const head = hintsAt >= 0 ? args.slice(0, hintsAt) : args;
    const strings = [...head.matchAll(/^\s+string "((?:[^"\\]|\\.)*)"/gm)].map((m) => m[1]);
    const urgency = args.match(/string "urgency"\s+variant\s+byte (\d+)/)?.[1];
    const expire = [...args.matchAll(/^\s+int32 (-?\d+)/gm)].at(-1)?.[1];
    const at = arrivals.find((a) => a.upTo >= match.index)?.at ?? Date.now();
    // app name, icon, summary, body, then the actions (id, label, ...).
    // The server's id for it is in the reply to this call: the return sent to the
    // caller's connection with the call's serial, after it. (Serials count per
    // connection, so a serial alone matches other connections' returns too.)
    const header = text.slice(text.lastIndexOf("\n", match.index) + 1, match.index);
    const caller = header.match(/ sender=(\S+)/)?.[1];
    const serial = header.match(/ serial=(\d+)/)?.[1];
    const escaped = caller?.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const reply =
      caller &&
      serial &&
      text
        .slice(match.index)
        .match(new RegExp(`method return [^\\n]* destination=${escaped} [^\\n]*reply_serial=${serial}\\n\\s+uint32 (\\d+)`));
    found.push({
      summary: strings[2] ?? "",
      body: strings[3] ?? "",
      actions: strings.slice(4),
      urgency: urgency === undefined ? null : Number(urgency),
      expire: expire === undefined ? null : Number(expire),
      at,
      serverId: reply ? Number(reply[1]) : null,
    });
  }
  return found;
}

/** Starts watchkeeper-desktop (`bin`: a path, or a name looked up on the session's PATH)
 *  in the session; resolves once its API listens. */
export async function startApp(session, config, args = ["--minimized"], bin = DESKTOP_BIN) {
  const dir = path.join(session.dir, `app-${Date.now()}`);
  const dataDir = path.join(dir, "data");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const configPath = path.join(dir, "watchkeeper.toml");
  writeFileSync(configPath, config);
  const child = spawn(bin, ["--config", configPath, "--data-dir", dataDir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: session.env,
  });
  let log = "";
  child.stdout.on("data", (chunk) => (log += chunk));
  child.stderr.on("data", (chunk) => (log += chunk));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const api = await eventually(30_000, "the desktop app writes api.json", () => {
    if (child.exitCode !== null) throw new Error(`the desktop app exited (${child.exitCode}):\n${log}`);
    try {
      const api = JSON.parse(readFileSync(path.join(dataDir, "api.json"), "utf8"));
      return api.pid === child.pid ? api : null;
    } catch {
      return null;
    }
  });
  const call = async (method, route, body) => {
    const response = await fetch(`${api.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  return {
    api,
    dataDir,
    child,
    exited,
    log: () => log,
    get: async (route) => (await call("GET", route)).body,
    post: (route, body) => call("POST", route, body ?? {}),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return within(20_000, exited, `the desktop app exits:\n${log}`);
    },
  };
}

/** A process and its descendants, by pid (from /proc). */
export function processTree(root) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  // Zombies are not running.
  return all.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
      return false;
    }
  });
}

/** The tray item the app registered with the tray host. */
export async function trayItem(session) {
  return eventually(20_000, "the app's tray item registers", async () => (await session.host.ask({ op: "items" }))[0]);
}

/** A menu entry by its label, searched depth first. */
/** The first entry whose label starts with `prefix` (a check's entry: `Name — Down, ...`). */
export function findEntryStarting(menu, prefix) {
  if (menu.label?.startsWith(prefix)) return menu;
  for (const child of menu.children) {
    const found = findEntryStarting(child, prefix);
    if (found) return found;
  }
  return null;
}

/** Clicks the tray menu's entry labelled `label`. */
export async function click(session, item, label) {
  await clickFound(session, item, label, (menu) => findEntry(menu, label));
}

/** Clicks the entry `find` finds in the menu (`what` names it), reading the layout again
 *  when the menu was redrawn between the read and the click. */
export async function clickFound(session, item, what, find) {
  await eventually(20_000, `a click on ${what}`, async () => {
    const menu = await session.host.ask({ op: "layout", item });
    const entry = find(menu);
    if (!entry) throw new Error(`the tray menu has no ${what}: ${JSON.stringify(menu)}`);
    try {
      await session.host.ask({ op: "click", item, id: entry.id });
      return true;
    } catch (error) {
      if (/does not refer to a menu item/.test(String(error))) return null;
      throw error;
    }
  });
}

export function findEntry(menu, label) {
  if (menu.label === label) return menu;
  for (const child of menu.children) {
    const found = findEntry(child, label);
    if (found) return found;
  }
  return null;
}

// ---- WebDriver: tauri-driver in front of WebKitWebDriver (Debian webkit2gtk-driver).

async function freePort() {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts tauri-driver and a WebDriver session on watchkeeper-desktop with `args`. */
export async function driveApp(session, args) {
  const [port, nativePort] = [await freePort(), await freePort()];
  const driver = spawn(
    process.env.TAURI_DRIVER ?? "tauri-driver",
    ["--port", String(port), "--native-port", String(nativePort), "--native-driver", "/usr/bin/WebKitWebDriver"],
    { env: session.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  driver.stdout.on("data", (chunk) => (log += chunk));
  driver.stderr.on("data", (chunk) => (log += chunk));
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, route, body) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(`WebDriver ${method} ${route}: ${response.status} ${JSON.stringify(answer)}`);
    return answer.value;
  };
  await eventually(20_000, `tauri-driver listens ${log}`, async () => {
    if (driver.exitCode !== null) throw new Error(`tauri-driver exited: ${log}`);
    return fetch(`${base}/status`).then(
      (r) => r.ok,
      () => false,
    );
  });
  const created = await call("POST", "/session", {
    capabilities: { alwaysMatch: { "tauri:options": { application: DESKTOP_BIN, args } } },
  });
  const id = created.sessionId;
  const s = (route) => `/session/${id}${route}`;
  const web = {
    /** The first element matching `css`, waited for. */
    async find(css, what = css) {
      let last = "";
      return eventually(20_000, `the window shows ${what} (last answer: ${last})`, async () => {
        // While the page (re)loads the driver answers with an error: asked again.
        const found = await call("POST", s("/elements"), { using: "css selector", value: css }).catch((e) => {
          last = String(e);
          return [];
        });
        return found.length ? Object.values(found[0])[0] : null;
      });
    },
    click: (element) => call("POST", s(`/element/${element}/click`), {}),
    text: (element) => call("GET", s(`/element/${element}/text`)),
    script: (source, args = []) => call("POST", s("/execute/sync"), { script: source, args }),
    /** Runs `source` with a callback as its last argument; resolves with what it passes. */
    scriptAsync: (source, args = []) => call("POST", s("/execute/async"), { script: source, args }),
    screenshot: async () => Buffer.from(await call("GET", s("/screenshot")), "base64"),
    async close() {
      await call("DELETE", s("")).catch(() => {});
      driver.kill("SIGTERM");
    },
    log: () => log,
  };
  return web;
}
