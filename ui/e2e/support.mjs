// Shared parts of the end-to-end tests: a loopback target whose health a test
// switches, the real daemon as a child process, and Debian's Chromium.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ARTIFACTS = path.join(ROOT, "target", "e2e");
export const CHROMIUM = process.env.WATCHKEEPER_CHROMIUM ?? "/usr/bin/chromium";
export const BIN = process.env.WATCHKEEPER_BIN ?? path.join(ROOT, "target", "debug", "watchkeeper");

/** Chromium as this machine needs it: headless, no sandbox (root), no network chatter. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** A loopback HTTP target answering 200 while `healthy()`, else 503; `onBody` gets each
 * request body (a webhook's deliveries). */
export async function startTarget(healthy, onBody = null) {
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      if (onBody && body) onBody(body);
      const ok = healthy();
      response.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      response.end(ok ? "ok" : "unavailable");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/health`, port, close: () => new Promise((r) => server.close(r)) };
}

/** The daemon (`bin`, with `env` added to this process's) as a process with its own
 *  config and data dir; resolves once api.json exists. */
export async function startDaemon(config, bin = BIN, env = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "wk-e2e-"));
  const configPath = path.join(dir, "watchkeeper.toml");
  const dataDir = path.join(dir, "data");
  mkdirSync(dataDir, { mode: 0o700 });
  writeFileSync(configPath, config);
  let log = "";
  /** `watchkeeper run` on this dir, listening on `listen`, once it has written its api.json. */
  const spawnOne = async (listen) => {
    const child = spawn(bin, ["run", "--config", configPath, "--data-dir", dataDir, "--listen", listen], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RUST_LOG: "warn", ...env },
    });
    child.stdout.on("data", (chunk) => (log += chunk));
    child.stderr.on("data", (chunk) => (log += chunk));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const api = await eventually(20_000, "the daemon writes api.json", () => {
      if (child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode}):\n${log}`);
      try {
        const api = JSON.parse(readFileSync(path.join(dataDir, "api.json"), "utf8"));
        return api.pid === child.pid ? api : null;
      } catch {
        return null;
      }
    });
    return { child, exited, api };
  };
  let running = await spawnOne("127.0.0.1:0");
  const kill = async () => {
    if (running.child.exitCode === null) {
      running.child.kill("SIGTERM");
      await running.exited;
    }
  };
  const daemon = {
    dir,
    api: running.api,
    dashboard: `${running.api.url}/#token=${running.api.token}`,
    log: () => log,
    /** A GET of the API, as JSON. */
    async get(route) {
      const response = await fetch(`${daemon.api.url}${route}`, { headers: { authorization: `Bearer ${daemon.api.token}` } });
      if (!response.ok) throw new Error(`GET ${route} answered ${response.status}`);
      return response.json();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    kill,
    /** Starts it again on the same data dir and address (after `kill`). */
    async restart() {
      await kill();
      running = await spawnOne(new URL(daemon.api.url).host);
      daemon.api = running.api;
    },
  };
  return daemon;
}

/** A private D-Bus bus with a fake systemd manager on it whose failed units are
 *  `failed` (`{"backup.service": "Nightly backup"}`); `address` is the bus's. */
export async function startFakeSystemd(failed) {
  const dir = mkdtempSync(path.join(tmpdir(), "wk-bus-"));
  const address = `unix:path=${path.join(dir, "bus")}`;
  const bus = spawn("dbus-daemon", ["--session", "--nofork", "--nopidfile", "--address", address], { stdio: "ignore" });
  await eventually(10_000, "the private bus listens", () => existsSync(path.join(dir, "bus")));
  const units = Object.entries(failed).map(([unit, description]) => `${unit}=${description}`);
  const manager = spawn("/usr/bin/python3", [path.join(ROOT, "ui", "e2e", "fake_systemd.py"), ...units], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, DBUS_STARTER_ADDRESS: address },
  });
  let said = "";
  manager.stdout.on("data", (chunk) => (said += chunk));
  await eventually(10_000, "the fake manager owns its name", () => said.includes("ready"));
  return {
    address,
    stop() {
      manager.kill();
      bus.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns something other than null/undefined/false. `what`
 *  says what is awaited: a text, or a function giving it (read at the timeout, so it can
 *  say what was last seen). */
export async function eventually(limitMs, what, probe) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting until ${typeof what === "function" ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function screenshotPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
