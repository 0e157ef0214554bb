// The one client of the Watchkeeper core. Two transports behind the same calls: HTTP
// and the event stream against the daemon (in a browser), Tauri IPC commands and
// window events (in the desktop app). Views never know which one they talk to.

import type { ApiError, ExportArgs, LiveUpdate, Operations, SavedExport } from "./api/types";
import { LIVE_UPDATES, ROUTES } from "./api/types";

// The wire types are generated from the Rust DTOs (ui/src/api/types.ts): re-exported
// here so views import the client and its types from one place.
export type * from "./api/types";

/** One live update from the core: the generated, tagged `LiveUpdate`. */
export type Update = LiveUpdate;

export type Connection = { state: "connecting" } | { state: "live" } | { state: "down"; error: ApiError };

export type Op = keyof Operations;

export interface Transport {
  readonly kind: "http" | "tauri";
  call<K extends Op>(op: K, args: Operations[K][0]): Promise<Operations[K][1]>;
  /** Starts live updates; reconnects by itself. Returns a function that stops them. */
  subscribe(onUpdate: (update: Update) => void, onConnection: (connection: Connection) => void): () => void;
  /** An export as a file, with the name the core gave it (a browser saves it). */
  download?(args: ExportArgs): Promise<{ name: string; file: Blob }>;
  /** An export saved by the desktop app into the user's downloads: where it went. */
  save?(args: ExportArgs): Promise<SavedExport>;
}

export const UNREACHABLE: ApiError = {
  code: "unreachable",
  message: "cannot reach the Watchkeeper core",
  resolution: "is it running? Start it with `watchkeeper run`; retrying by itself",
};

export function isApiError(value: unknown): value is ApiError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

/** Any thrown value as an ApiError, so views always have a message and a resolution. */
export function asApiError(value: unknown): ApiError {
  if (isApiError(value)) return { code: value.code, message: value.message, resolution: value.resolution ?? "" };
  if (value instanceof TypeError) return UNREACHABLE;
  return { code: "client_error", message: String(value), resolution: "reload the page; if it persists, report it" };
}

/** Turns an event (its name and JSON data) into an update: one the core sends, whose
 *  tag is its name; anything else is dropped. */
export function toUpdate(name: string, data: string): Update | null {
  if (!(LIVE_UPDATES as string[]).includes(name)) return null;
  let update: unknown;
  try {
    update = JSON.parse(data);
  } catch {
    return null;
  }
  const tagged = typeof update === "object" && update !== null && (update as { update?: unknown }).update === name;
  return tagged ? (update as Update) : null;
}

/** Splits server-sent event text into blocks and parses each; returns the unparsed rest. */
export function parseEvents(buffer: string, onEvent: (name: string, data: string) => void): string {
  let end: number;
  buffer = buffer.replace(/\r\n/g, "\n");
  while ((end = buffer.indexOf("\n\n")) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    let name = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length > 0 || name !== "message") onEvent(name, data.join("\n"));
  }
  return buffer;
}

function query(args: Record<string, unknown>, skip: string[] = []): string {
  const pairs = Object.entries(args)
    .filter(([key, value]) => value !== undefined && value !== null && !skip.includes(key))
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  return pairs.length ? `?${pairs.join("&")}` : "";
}

/** The route of an operation against the daemon, from the generated route table: `{id}`
 * in the path is the `id` argument; a GET's other arguments are its query. */
export function route<K extends Op>(
  op: K,
  args: Operations[K][0],
): { method: "GET" | "POST" | "PUT" | "DELETE"; path: string } {
  const { method, path } = ROUTES[op];
  if (!path) throw new Error(`unknown operation ${String(op)}`);
  const a = args as Record<string, unknown>;
  const filled = path.replace("{id}", encodeURIComponent(String(a.id ?? "")));
  return { method, path: hasBody(method) ? filled : filled + query(a, pathArgs(op)) };
}

/** Whether a method's arguments travel as a JSON body (else as the query). */
function hasBody(method: string): boolean {
  return method === "POST" || method === "PUT";
}

/** The arguments an operation's path carries. */
function pathArgs(op: Op): string[] {
  return ROUTES[op].path.includes("{id}") ? ["id"] : [];
}

/** A POST's JSON body: its arguments but those in its path. */
export function body<K extends Op>(op: K, args: Operations[K][0]): string {
  const skip = pathArgs(op);
  return JSON.stringify(Object.fromEntries(Object.entries(args).filter(([key]) => !skip.includes(key))));
}

const TOKEN_KEY = "watchkeeper.token";

/** Reads the token from `#token=...` once, keeps it for reloads, hides it from the URL. */
export function takeToken(location: Location, storage: Storage, history: History_): string {
  const match = location.hash.match(/token=([0-9a-fA-F]+)/);
  if (match) {
    storage.setItem(TOKEN_KEY, match[1]);
    const rest = location.hash.replace(/[#&]?token=[0-9a-fA-F]+/, "").replace(/^&/, "#");
    history.replaceState(null, "", location.pathname + location.search + (rest && rest !== "#" ? rest : ""));
    return match[1];
  }
  return storage.getItem(TOKEN_KEY) ?? "";
}
type History_ = Pick<globalThis.History, "replaceState">;

/** HTTP and the event stream, against the daemon that served this page (or `base`). */
export class HttpTransport implements Transport {
  readonly kind = "http" as const;
  constructor(
    private readonly token: string,
    private readonly base = "",
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

  async call<K extends Op>(op: K, args: Operations[K][0]): Promise<Operations[K][1]> {
    const { method, path } = route(op, args);
    let response: Response;
    try {
      response = await this.fetcher(this.base + path, {
        method,
        body: hasBody(method) ? body(op, args) : undefined,
        headers: { Authorization: `Bearer ${this.token}`, "Content-Type": "application/json" },
      });
    } catch {
      throw UNREACHABLE;
    }
    const parsed: unknown = await response.json().catch(() => null);
    if (!response.ok) throw httpError(response.status, parsed);
    return parsed as Operations[K][1];
  }

  async download(args: ExportArgs): Promise<{ name: string; file: Blob }> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(args)) if (value !== undefined && value !== null) query.set(key, String(value));
    let response: Response;
    try {
      response = await this.fetcher(`${this.base}/api/v1/export?${query}`, { headers: { Authorization: `Bearer ${this.token}` } });
    } catch {
      throw UNREACHABLE;
    }
    if (!response.ok) throw httpError(response.status, await response.json().catch(() => null));
    const disposition = response.headers.get("content-disposition") ?? "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `watchkeeper-${args.what}.${args.format ?? "csv"}`;
    return { name, file: await response.blob() };
  }

  subscribe(onUpdate: (update: Update) => void, onConnection: (connection: Connection) => void): () => void {
    let stopped = false;
    let delay = 1000;
    const controller = new AbortController();
    const loop = async () => {
      while (!stopped) {
        onConnection({ state: "connecting" });
        let error: ApiError = UNREACHABLE;
        try {
          const response = await this.fetcher(`${this.base}/api/v1/events`, {
            headers: { Authorization: `Bearer ${this.token}` },
            signal: controller.signal,
          });
          if (!response.ok || !response.body) {
            error = httpError(response.status, await response.json().catch(() => null));
            throw error;
          }
          onConnection({ state: "live" });
          delay = 1000;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer = parseEvents(buffer + value, (name, data) => {
              const update = toUpdate(name, data);
              if (update) onUpdate(update);
            });
          }
        } catch {
          if (stopped) return;
        }
        if (stopped) return;
        onConnection({ state: "down", error });
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 15_000);
      }
    };
    void loop();
    return () => {
      stopped = true;
      controller.abort();
    };
  }
}

function httpError(status: number, body: unknown): ApiError {
  if (isApiError(body)) {
    if (body.code === "unauthorized") {
      return {
        ...body,
        resolution: "its API token was replaced (`watchkeeper token rotate`): open the new dashboard link it printed",
      };
    }
    return body;
  }
  return { code: `http_${status}`, message: `the core answered HTTP ${status}`, resolution: "retrying by itself" };
}

/** Tauri IPC: the window's `call` command passes any operation on to the core (by name,
 * through the Rust client); updates come as `watchkeeper://update` window events. */
export class TauriTransport implements Transport {
  readonly kind = "tauri" as const;

  async call<K extends Op>(op: K, args: Operations[K][0]): Promise<Operations[K][1]> {
    const { invoke } = await import("@tauri-apps/api/core");
    try {
      return await invoke<Operations[K][1]>("call", { op, args });
    } catch (error) {
      throw asApiError(error);
    }
  }

  async save(args: ExportArgs): Promise<SavedExport> {
    const { invoke } = await import("@tauri-apps/api/core");
    try {
      return await invoke<SavedExport>("export", { args });
    } catch (error) {
      throw asApiError(error);
    }
  }

  subscribe(onUpdate: (update: Update) => void, onConnection: (connection: Connection) => void): () => void {
    let stop: (() => void) | null = null;
    let stopped = false;
    onConnection({ state: "connecting" });
    void import("@tauri-apps/api/event")
      .then(({ listen }) =>
        listen<{ name: string; data: string }>("watchkeeper://update", (event) => {
          const update = toUpdate(event.payload.name, event.payload.data);
          if (update) onUpdate(update);
        }),
      )
      .then(async (unlisten) => {
        if (stopped) return unlisten();
        stop = unlisten;
        // The shell starts forwarding once the window listens, and says hello first.
        const { invoke } = await import("@tauri-apps/api/core");
        await invoke("subscribe", { args: {} });
        onConnection({ state: "live" });
      })
      .catch((error) => onConnection({ state: "down", error: asApiError(error) }));
    return () => {
      stopped = true;
      stop?.();
    };
  }
}

/** The transport for where this page runs. */
export function connect(): Transport {
  if (typeof window !== "undefined" && "__TAURI_INTERNALS__" in window) return new TauriTransport();
  return new HttpTransport(takeToken(window.location, window.sessionStorage, window.history));
}
