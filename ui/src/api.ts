// The one client of the core: HTTP and server-sent events against the daemon. The
// desktop app (next issue) adds a Tauri transport behind the same functions.

export type Status = "up" | "degraded" | "down" | "unknown" | "paused" | "maintenance";

export interface Failure {
  class: string;
  resolution: string;
}

export interface Check {
  id: string;
  name: string;
  kind: string;
  group: string | null;
  status: Status;
  since: string;
  reason: string | null;
  breaker: { state: string; consecutive_failures: number; next_trial_at: string | null } | null;
  last: { at: string; ok: boolean; latency_ms: number | null; message: string; failure: Failure | null } | null;
}

export interface StatusReport {
  overall: Status;
  checks: Check[];
  groups: { id: string; level: string }[];
}

export interface Incident {
  id: number;
  check: string;
  started_at: string;
  resolved_at: string | null;
  cause: string;
  cause_class: string;
  acked: boolean;
}

export interface ApiError {
  code: string;
  message: string;
  resolution: string;
}

export type StreamEvent =
  | { kind: "hello" }
  | { kind: "check"; check: Check }
  | { kind: "incident"; incident: Incident }
  | { kind: "incident_resolved"; id: number };

const TOKEN_KEY = "watchkeeper.token";

/** Reads the token from `#token=...` once, keeps it for reloads, hides it from the URL. */
export function token(): string {
  const match = location.hash.match(/token=([0-9a-f]+)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, "", location.pathname + location.search);
    return match[1];
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: { ...(init.headers ?? {}), Authorization: `Bearer ${token()}`, "Content-Type": "application/json" },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error: ApiError = body ?? { code: "http_" + response.status, message: response.statusText, resolution: "" };
    throw error;
  }
  return body as T;
}

export const getStatus = () => request<StatusReport>("/api/v1/status");
export const getIncidents = () => request<{ incidents: Incident[] }>("/api/v1/incidents?limit=20");
export const runAction = (id: string, dryRun: boolean) =>
  request<Record<string, unknown>>(`/api/v1/actions/${encodeURIComponent(id)}/run`, {
    method: "POST",
    body: JSON.stringify({ dry_run: dryRun }),
  });

/** Streams `/api/v1/events` (fetch, not EventSource: it sends the token header) and
 *  reconnects with backoff from 1 s to 30 s. Returns a function that stops it. */
export function subscribe(onEvent: (event: StreamEvent) => void, onState: (connected: boolean) => void): () => void {
  let stopped = false;
  let delay = 1000;
  const controller = new AbortController();
  const loop = async () => {
    while (!stopped) {
      try {
        const response = await fetch("/api/v1/events", {
          headers: { Authorization: `Bearer ${token()}` },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        onState(true);
        delay = 1000;
        await readEvents(response.body, onEvent);
      } catch {
        if (stopped) return;
      }
      onState(false);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  };
  void loop();
  return () => {
    stopped = true;
    controller.abort();
  };
}

async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: StreamEvent) => void) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const parsed = parseEvent(block);
      if (parsed) onEvent(parsed);
    }
  }
}

export function parseEvent(block: string): StreamEvent | null {
  let name = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0 && name !== "hello") return null;
  const payload = data.length ? JSON.parse(data.join("\n")) : {};
  switch (name) {
    case "hello":
      return { kind: "hello" };
    case "check":
      return { kind: "check", check: payload as Check };
    case "incident":
      return { kind: "incident", incident: payload as Incident };
    case "incident_resolved":
      return { kind: "incident_resolved", id: payload.id as number };
    default:
      return null;
  }
}
