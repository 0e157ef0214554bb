// The app shell: header, banners, routing between pages, live updates and keyboard.

import { html, nothing, render } from "lit-html";

import type { ApiError, Connection, Transport, Update } from "./client";
import { asApiError } from "./client";
import { badge } from "./dom";
import { LiveState, zoneName } from "./model";
import { deliverOutput } from "./views/action";
import { AlertsPage } from "./views/alerts";
import { CheckPage } from "./views/check";
import { BulkPage } from "./views/bulk";
import { EditPage } from "./views/edit";
import { IncidentPage } from "./views/incident";
import { incidentQuery, IncidentsPage, type IncidentQuery } from "./views/incidents";
import { Overview } from "./views/overview";
import { RunsPage } from "./views/runs";
import { SuggestionsPage } from "./views/suggestions";

export type Route = { page: "overview" } | { page: "check"; id: string; run: string | null } | { page: "incidents"; query: IncidentQuery } | { page: "incident"; id: string } | { page: "runs" } | { page: "alerts" } | { page: "edit"; id: string | null; kind: string | null } | { page: "bulk" } | { page: "suggestions" };

export function parseRoute(hash: string): Route {
  const [path, search = ""] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "check" && parts[1] && parts[2] === "edit") return { page: "edit", id: decodeURIComponent(parts[1]), kind: null };
  if (parts[0] === "check" && parts[1]) return { page: "check", id: decodeURIComponent(parts[1]), run: params.get("run") };
  if (parts[0] === "checks" && parts[1] === "bulk") return { page: "bulk" };
  if (parts[0] === "suggestions") return { page: "suggestions" };
  if (parts[0] === "checks" && parts[1] === "new") return { page: "edit", id: null, kind: params.get("kind") };
  if (parts[0] === "incident" && parts[1]) return { page: "incident", id: decodeURIComponent(parts[1]) };
  if (parts[0] === "incidents") return { page: "incidents", query: incidentQuery(params) };
  if (parts[0] === "runs") return { page: "runs" };
  if (parts[0] === "alerts") return { page: "alerts" };
  return { page: "overview" };
}

const PAGES: { page: Route["page"]; href: string; label: string }[] = [
  { page: "overview", href: "#/", label: "Overview" },
  { page: "incidents", href: "#/incidents", label: "Incidents" },
  { page: "runs", href: "#/runs", label: "Action runs" },
  { page: "alerts", href: "#/alerts", label: "Alerts" },
  { page: "suggestions", href: "#/suggestions", label: "Suggestions" },
  { page: "edit", href: "#/checks/new", label: "Add check" },
];

/** The navigation entry a route is under (an incident under Incidents; editing a
 *  check under none: "Add check" is for new ones). */
function current(route: Route): Route["page"] | null {
  if (route.page === "incident") return "incidents";
  if (route.page === "edit" && route.id !== null) return null;
  if (route.page === "bulk") return "edit";
  return route.page;
}

export class App {
  private readonly state = new LiveState();
  private readonly overview: Overview;
  private page: CheckPage | IncidentPage | IncidentsPage | RunsPage | AlertsPage | EditPage | BulkPage | SuggestionsPage | Overview;
  private route_: Route = { page: "overview" };
  private stop: (() => void) | null = null;
  /** Why the core cannot be reached, while it cannot. */
  private down: ApiError | null = null;
  /** What `/healthz` says is off. */
  private degraded: string[] = [];

  constructor(
    private readonly root: HTMLElement,
    private readonly transport: Transport,
  ) {
    this.overview = new Overview(this.state, (id) => (location.hash = `#/check/${encodeURIComponent(id)}`));
    this.page = this.overview;
  }

  start(): void {
    window.addEventListener("hashchange", () => void this.route());
    document.addEventListener("keydown", (event) => this.onKey(event));
    // Relative times and countdowns ("open, trial in 12 s") tick each second.
    // The overview's uptimes are read again each minute (its strips grow live).
    setInterval(() => {
      if (this.down === null) void this.loadStrips(false);
    }, 60_000);
    setInterval(() => {
      // While the core is away what is shown is its last word: no countdown runs on.
      if (this.down !== null) return;
      if (this.page === this.overview) this.overview.tick();
      else if (this.page instanceof CheckPage) this.page.tick();
    }, 1_000);
    this.root.replaceChildren(); // the page's "Loading…", before the shell takes its place
    this.render();
    this.connect();
    void this.resync().then(() => this.route());
  }

  /** (Re)starts live updates; the retry button calls it too. */
  connect(): void {
    this.stop?.();
    this.stop = this.transport.subscribe(
      (update) => this.onUpdate(update),
      (connection) => this.onConnection(connection),
    );
  }

  /** The shell, drawn from its state: banners, the header as the core words it, the
   *  navigation, and the page. */
  private render(): void {
    const overview = this.state.overview;
    const network = overview?.network_down ?? null;
    const retry = () => {
      this.connect();
      void this.resync();
    };
    document.title = !overview || overview.level === "up" ? "Watchkeeper" : `(${overview.summary}) Watchkeeper`;
    render(
      html`<div class="banner down" role="alert" id="banner" ?hidden=${this.down === null}>
          ${this.down
            ? html`<strong>Core unreachable: </strong>${this.down.message}<span class="resolution"
                  >${this.down.resolution ? ` — ${this.down.resolution}` : ""}</span
                >
                <button type="button" id="retry" @click=${retry}>Retry now</button>`
            : nothing}
        </div>
        <div class="banner degraded" role="status" id="degraded" ?hidden=${this.degraded.length === 0}>
          <strong>Degraded: </strong>${this.degraded.join("; ")}
        </div>
        <div class="banner degraded" role="status" id="no-network" ?hidden=${network === null}>${network?.text ?? ""}</div>
        <header class=${this.down ? "away" : ""}>
          <h1>Watchkeeper</h1>
          <span id="overall" class="badge ${overview?.level ?? "unknown"}">${overview?.level ?? "…"}</span>
          <span id="summary" class="summary">${overview?.summary ?? ""}</span>
          <span class="zone" title="Times on these pages are local">times in ${zoneName()}</span>
          <nav>
            ${PAGES.map(
              (p) => html`<a href=${p.href} data-page=${p.page} aria-current=${current(this.route_) === p.page ? "" : nothing}>${p.label}</a>`,
            )}
          </nav>
        </header>
        <main id="view" class=${this.down ? "away" : ""} aria-busy=${this.down ? "true" : "false"}>${this.page.element}</main>`,
      this.root,
    );
  }

  private onConnection(connection: Connection): void {
    if (connection.state === "down") this.showDown(connection.error);
    else if (connection.state === "live") {
      this.down = null;
      this.render();
    }
  }

  private showDown(error: ApiError): void {
    this.down = error;
    this.render();
  }

  /** Each check's latest results and uptime (or the uptimes alone). A failure leaves the
   *  strips as they were: the overview still works without them. */
  private async loadStrips(withResults: boolean): Promise<void> {
    try {
      const strips = await this.transport.call("strips", withResults ? {} : { results: 0 });
      this.state.setStrips(strips, withResults);
      if (this.page === this.overview) this.overview.render();
    } catch {
      // Said by the banner when the core is away; nothing to add here.
    }
  }

  /** Fetches everything again: at start and after every `hello`. */
  private async resync(): Promise<void> {
    try {
      const [status, incidents, health] = await Promise.all([
        this.transport.call("status", {}),
        this.transport.call("incidents", { open: true, limit: 100 }),
        this.transport.call("health", {}).catch(() => null),
        this.loadStrips(true),
      ]);
      this.state.replaceChecks(status.checks);
      const { checks: _, ...overview } = status;
      this.state.overview = overview;
      this.state.incidents = incidents.incidents;
      this.down = null;
      this.degraded = health?.degraded ?? [];
      this.render();
      // The overview is drawn when it is shown (`route`), not behind another page.
      if (this.page === this.overview) this.overview.render();
      if (this.page instanceof CheckPage) this.page.onCheck();
    } catch (error) {
      this.showDown(asApiError(error));
    }
  }

  private onUpdate(update: Update): void {
    if (update.update === "action_output") deliverOutput(update.output.ref, update.output.text);
    const changed = this.state.apply(update);
    if (changed.resync) {
      void this.resync();
      return;
    }
    if (changed.checks.length > 0) {
      if (this.page === this.overview) this.overview.update(changed.checks);
      if (this.page instanceof CheckPage && changed.checks.includes(this.page.id)) this.page.render();
    }
    if (changed.overview) {
      this.render();
      if (this.page === this.overview) this.overview.refreshGroups();
    }
    if (changed.incidents) {
      if (this.page instanceof CheckPage) this.page.onIncidents();
      if (this.page instanceof IncidentsPage || this.page instanceof IncidentPage) void this.page.load();
    }
    if (update.update === "action_run") {
      if (this.page instanceof CheckPage) this.page.onRun();
      if (this.page instanceof RunsPage) void this.page.load();
    }
  }

  private async route(): Promise<void> {
    const route = parseRoute(location.hash);
    if (this.page instanceof CheckPage) this.page.destroy();
    this.route_ = route;
    switch (route.page) {
      case "overview":
        this.page = this.overview;
        this.render();
        this.overview.render();
        return;
      case "check": {
        const page = new CheckPage(this.transport, this.state, route.id);
        this.page = page;
        this.render();
        await page.load();
        // The tray asks for an action that needs confirmation: its dialog, once.
        if (route.run) {
          history.replaceState(null, "", `#/check/${encodeURIComponent(route.id)}`);
          void page.openRun(route.run);
        }
        return;
      }
      case "incidents": {
        const page = new IncidentsPage(this.transport, this.state, route.query);
        this.page = page;
        this.render();
        return page.load();
      }
      case "incident": {
        const page = new IncidentPage(this.transport, this.state, route.id);
        this.page = page;
        this.render();
        return page.load();
      }
      case "runs": {
        const page = new RunsPage(this.transport, this.state);
        this.page = page;
        this.render();
        return page.load();
      }
      case "alerts": {
        const page = new AlertsPage(this.transport, this.state);
        this.page = page;
        this.render();
        return page.load();
      }
      case "suggestions": {
        const page = new SuggestionsPage(this.transport);
        this.page = page;
        this.render();
        return page.load();
      }
      case "bulk": {
        const page = new BulkPage(this.transport);
        this.page = page;
        this.render();
        return page.load();
      }
      case "edit": {
        const page = new EditPage(this.transport, route.id, route.kind);
        this.page = page;
        this.render();
        return page.load();
      }
    }
  }

  private onKey(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    const typing = target.matches?.("input, select, textarea") ?? false;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "Escape") {
      if (this.page === this.overview && this.overview.clearSearch()) return;
      if (this.page !== this.overview) location.hash = "#/";
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (this.page !== this.overview) return;
    switch (event.key) {
      case "/":
        event.preventDefault();
        this.overview.focusSearch();
        break;
      case "j":
      case "ArrowDown":
        event.preventDefault();
        this.overview.move(1);
        break;
      case "k":
      case "ArrowUp":
        event.preventDefault();
        this.overview.move(-1);
        break;
      case "Enter":
        if (this.overview.openSelected()) event.preventDefault();
        break;
    }
  }
}

/** Shown instead of a blank page when even the shell fails. */
export function fatal(root: HTMLElement, error: unknown): void {
  const e = asApiError(error);
  // Into an element of its own: the shell may have rendered into `root` already.
  const shown = document.createElement("div");
  render(html`<div class="banner down" role="alert">${badge("down")} ${e.message} — ${e.resolution}</div>`, shown);
  root.replaceChildren(shown);
}
