import http from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { HttpTransport, parseEvents, route, takeToken, toUpdate, type Connection, type Update } from "./client";

describe("event stream parsing", () => {
  it("splits blocks, keeps the rest, skips comments", () => {
    const seen: [string, string][] = [];
    const rest = parseEvents(': keep-alive\n\nevent: hello\ndata: {}\n\nevent: checks\ndata: [{"id":"a"}]\n\nevent: inc', (n, d) =>
      seen.push([n, d]),
    );
    expect(seen).toEqual([
      ["hello", "{}"],
      ["checks", '[{"id":"a"}]'],
    ]);
    expect(rest).toBe("event: inc");
  });

  it("accepts CRLF and multi-line data", () => {
    const seen: string[] = [];
    parseEvents("event: x\r\ndata: a\r\ndata: b\r\n\r\n", (_, d) => seen.push(d));
    expect(seen).toEqual(["a\nb"]);
  });

  it("turns events into updates, and refuses what it does not know", () => {
    expect(toUpdate("hello", '{"update":"hello","missed":3}')).toEqual({ update: "hello", missed: 3 });
    expect(toUpdate("checks", '{"update":"checks","checks":[]}')).toEqual({ update: "checks", checks: [] });
    expect(toUpdate("checks", "[]")).toBeNull();
    expect(toUpdate("checks", '{"update":"hello"}')).toBeNull();
    const output = '{"update":"action_output","output":{"ref":"r","action":"fix","text":"hi"}}';
    expect(toUpdate("action_output", output)).toEqual({
      update: "action_output",
      output: { ref: "r", action: "fix", text: "hi" },
    });
    const restartLoop = '{"update":"restart_loop","restart_loop":{"check":"a"}}';
    expect(toUpdate("restart_loop", restartLoop)).toMatchObject({ update: "restart_loop" });
    expect(toUpdate("bogus", '{"update":"bogus"}')).toBeNull();
    expect(toUpdate("incident", "{not json")).toBeNull();
  });
});

describe("routes", () => {
  it("maps operations onto the daemon's API", () => {
    expect(route("status", {})).toEqual({ method: "GET", path: "/api/v1/status" });
    expect(route("history", { id: "a b", range: "7d", points: 168 }).path).toBe(
      "/api/v1/checks/a%20b/history?range=7d&points=168",
    );
    expect(route("incidents", { check: "api", open: true }).path).toBe("/api/v1/incidents?check=api&open=true");
    expect(route("incidents", {}).path).toBe("/api/v1/incidents");
    expect(route("run_action", { id: "fix", ref: "r" })).toEqual({ method: "POST", path: "/api/v1/actions/fix/run" });
    expect(route("pause", { id: "api", for: "1h" })).toEqual({ method: "POST", path: "/api/v1/checks/api/pause" });
    expect(route("resume", { id: "api" })).toEqual({ method: "POST", path: "/api/v1/checks/api/resume" });
  });
});

describe("token", () => {
  it("is taken from the fragment once, kept for reloads and hidden", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    } as Storage;
    let replaced = "";
    const history = { replaceState: (_: unknown, __: string, url?: string | URL | null) => (replaced = String(url)) };
    const location = { hash: "#token=abc123", pathname: "/", search: "" } as Location;
    expect(takeToken(location, storage, history)).toBe("abc123");
    expect(replaced).toBe("/");
    const later = { hash: "#/check/api", pathname: "/", search: "" } as Location;
    expect(takeToken(later, storage, history)).toBe("abc123");
  });
});

describe("HTTP transport against a real server", () => {
  let server: http.Server;
  let base = "";
  const requests: { url: string; auth: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        requests.push({ url: request.url ?? "", auth: request.headers.authorization, body });
        if (request.headers.authorization !== "Bearer good") {
          response.writeHead(401, { "content-type": "application/json" });
          response.end(JSON.stringify({ code: "unauthorized", message: "missing or wrong token", resolution: "x" }));
          return;
        }
        if (request.url === "/api/v1/events") {
          response.writeHead(200, { "content-type": "text/event-stream" });
          response.write('event: hello\ndata: {"update":"hello","missed":null}\n\n');
          response.write('event: checks\ndata: {"update":"checks","checks":[{"id":"a","status":"down"}]}\n\nevent: action_output\n');
          setTimeout(
            () => response.end('data: {"update":"action_output","output":{"ref":"r","action":"fix","text":"hi"}}\n\n'),
            50,
          );
          return;
        }
        if (request.url === "/api/v1/checks/nope") {
          response.writeHead(404, { "content-type": "application/json" });
          response.end(JSON.stringify({ code: "unknown_check", message: "no check has the id `nope`", resolution: "see status" }));
          return;
        }
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ overall: "up", level: "up", summary: "", checks: [], groups: [], echo: body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends the token and the body, and returns JSON", async () => {
    const transport = new HttpTransport("good", base);
    const status = await transport.call("status", {});
    expect(status.overall).toBe("up");
    await transport.call("run_action", { id: "fix", dry_run: true, ref: "r1" });
    const post = requests.find((r) => r.url === "/api/v1/actions/fix/run")!;
    expect(post.auth).toBe("Bearer good");
    expect(JSON.parse(post.body)).toEqual({ dry_run: true, ref: "r1" });
  });

  it("passes API errors through with their code and resolution", async () => {
    const transport = new HttpTransport("good", base);
    await expect(transport.call("check", { id: "nope" })).rejects.toMatchObject({ code: "unknown_check" });
    const stale = new HttpTransport("old", base);
    await expect(stale.call("status", {})).rejects.toMatchObject({
      code: "unauthorized",
      resolution: expect.stringContaining("watchkeeper token rotate"),
    });
  });

  it("reports an unreachable core as such", async () => {
    const transport = new HttpTransport("good", "http://127.0.0.1:9");
    await expect(transport.call("status", {})).rejects.toMatchObject({ code: "unreachable" });
  });

  it("streams updates, and says when the stream is down", async () => {
    const transport = new HttpTransport("good", base);
    const updates: Update[] = [];
    const states: Connection["state"][] = [];
    const stop = transport.subscribe(
      (u) => updates.push(u),
      (c) => states.push(c.state),
    );
    await expect.poll(() => states.includes("down"), { timeout: 5000 }).toBe(true);
    stop();
    expect(updates.map((u) => u.update)).toEqual(["hello", "checks", "action_output"]);
    expect(states.slice(0, 3)).toEqual(["connecting", "live", "down"]);
  });
});
