// A minimal live dashboard: overall status, the checks, recent incidents. The full
// dashboard (groups, charts, actions) comes with the desktop issue.
import "./style.css";
import { getIncidents, getStatus, subscribe, type ApiError, type Check, type Incident, type Status } from "./api";

const checks = new Map<string, Check>();
let incidents: Incident[] = [];

const $ = (id: string) => document.getElementById(id)!;

function time(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

function cell(text: string, className = ""): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(check: Check): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.id = check.id;
  const badge = document.createElement("span");
  badge.className = `badge ${check.status}`;
  badge.textContent = check.status;
  const status = document.createElement("td");
  status.append(badge);
  const message = check.reason ?? check.last?.message ?? "";
  const hint = check.last?.failure?.resolution;
  const messageCell = cell(message, "message");
  if (hint) {
    const help = document.createElement("div");
    help.className = "hint";
    help.textContent = hint;
    messageCell.append(help);
  }
  tr.append(
    status,
    cell(check.name),
    cell(time(check.since)),
    cell(check.last?.latency_ms != null ? `${check.last.latency_ms.toFixed(1)} ms` : "—"),
    cell(check.breaker?.state ?? "—"),
    messageCell,
  );
  return tr;
}

function renderChecks() {
  const all = [...checks.values()];
  const worst: Status[] = ["down", "unknown", "degraded", "maintenance", "paused", "up"];
  const overall = worst.find((s) => all.some((c) => c.status === s)) ?? "up";
  const badge = $("overall");
  badge.className = `badge ${overall}`;
  badge.textContent = overall;
  const counts = worst
    .map((s) => [s, all.filter((c) => c.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  $("counts").textContent = counts.join(" · ");
  $("checks").replaceChildren(...all.map(row));
}

function renderIncidents() {
  const items = incidents.slice(0, 20).map((incident) => {
    const li = document.createElement("li");
    li.className = incident.resolved_at ? "resolved" : "open";
    li.textContent = `#${incident.id} ${incident.check}: ${incident.cause} — ${time(incident.started_at)} → ${
      incident.resolved_at ? time(incident.resolved_at) : "open"
    }`;
    return li;
  });
  if (items.length === 0) {
    const li = document.createElement("li");
    li.textContent = "No incidents.";
    items.push(li);
  }
  $("incidents").replaceChildren(...items);
}

function banner(text: string | null) {
  const element = $("banner");
  element.hidden = text === null;
  element.textContent = text ?? "";
}

async function refresh() {
  try {
    const [status, recent] = await Promise.all([getStatus(), getIncidents()]);
    checks.clear();
    for (const check of status.checks) checks.set(check.id, check);
    incidents = recent.incidents;
    renderChecks();
    renderIncidents();
    banner(null);
  } catch (error) {
    const e = error as ApiError;
    banner(e.message ? `${e.message} — ${e.resolution}` : "Core unreachable — retrying");
  }
}

subscribe(
  (event) => {
    switch (event.kind) {
      case "hello":
        void refresh();
        break;
      case "check":
        checks.set(event.check.id, event.check);
        renderChecks();
        break;
      case "incident":
        incidents = [event.incident, ...incidents.filter((i) => i.id !== event.incident.id)];
        renderIncidents();
        break;
      case "incident_resolved":
        void getIncidents().then((r) => {
          incidents = r.incidents;
          renderIncidents();
        });
        break;
    }
  },
  (connected) => banner(connected ? null : "Core unreachable — retrying"),
);
void refresh();
