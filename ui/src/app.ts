// The app shell: header, banners, routing between pages, live updates and keyboard.

import type { ApiError, Connection, Transport, Update } from "./client";
import { asApiError } from "./client";
import { badge, guarded, h } from "./dom";
import { LiveState } from "./model";
import { deliverOutput } from "./views/action";
import { AlertsPage } from "./views/alerts";
import { CheckPage } from "./views/check";
import { IncidentsPage } from "./views/incidents";
import { Overview } from "./views/overview";
import { RunsPage } from "./views/runs";

export type Route = { page: "overview" } | { page: "check"; id: string; run: string | null } | { page: "incidents"; check: string | null } | { page: "runs" } | { page: "alerts" };

export function parseRoute(hash: string): Route {
  const [path, search = ""] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "check" && parts[1]) return { page: "check", id: decodeURIComponent(parts[1]), run: params.get("run") };
  if (parts[0] === "incidents") return { page: "incidents", check: params.get("check") };
  if (parts[0] === "runs") return { page: "runs" };
  if (parts[0] === "alerts") return { page: "alerts" };
  return { page: "overview" };
}

export class App {
  private readonly state = new LiveState();
  private readonly overview: Overview;
  private readonly main = h("main", { id: "view" });
  private readonly connectionBanner = h("div", { class: "banner down", role: "alert", id: "banner", hidden: true });
  private readonly degradedBanner = h("div", { class: "banner degraded", role: "status", id: "degraded", hidden: true });
  private readonly networkBanner = h("div", { class: "banner degraded", role: "status", id: "no-network", hidden: true });
  private readonly overall = h("span", { id: "overall", class: "badge unknown" }, "…");
  private readonly summaryText = h("span", { id: "summary", class: "summary" });
  private readonly nav: HTMLElement;
  private page: CheckPage | IncidentsPage | RunsPage | AlertsPage | Overview | null = null;
  private stop: (() => void) | null = null;
  private loaded = false;

  constructor(
    root: HTMLElement,
    private readonly transport: Transport,
  ) {
    this.overview = new Overview(this.state, (id) => (location.hash = `#/check/${encodeURIComponent(id)}`));
    this.nav = h(
      "nav",
      {},
      h("a", { href: "#/", "data-page": "overview" }, "Overview"),
      h("a", { href: "#/incidents", "data-page": "incidents" }, "Incidents"),
      h("a", { href: "#/runs", "data-page": "runs" }, "Action runs"),
      h("a", { href: "#/alerts", "data-page": "alerts" }, "Alerts"),
    );
    root.replaceChildren(
      this.connectionBanner,
      this.degradedBanner,
      this.networkBanner,
      h("header", {}, h("h1", {}, "Watchkeeper"), this.overall, this.summaryText, this.nav),
      this.main,
    );
  }

  start(): void {
    window.addEventListener("hashchange", () => void this.route());
    document.addEventListener("keydown", (event) => this.onKey(event));
    // Relative times and breaker countdowns ("open, trial in 12 s") tick each second.
    setInterval(() => {
      if (this.page === this.overview) this.overview.tick();
      else if (this.page instanceof CheckPage) this.page.tick();
    }, 1_000);
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

  private onConnection(connection: Connection): void {
    if (connection.state === "down") this.showDown(connection.error);
    else if (connection.state === "live") this.connectionBanner.hidden = true;
  }

  private showDown(error: ApiError): void {
    const retry = h("button", { type: "button", id: "retry" }, "Retry now");
    retry.addEventListener("click", () => {
      this.connect();
      void this.resync();
    });
    this.connectionBanner.replaceChildren(
      h("strong", {}, "Core unreachable: "),
      error.message,
      h("span", { class: "resolution" }, error.resolution ? ` — ${error.resolution}` : ""),
      " ",
      retry,
    );
    this.connectionBanner.hidden = false;
  }

  /** Fetches everything again: at start and after every `hello`. */
  private async resync(): Promise<void> {
    try {
      const [status, incidents, health] = await Promise.all([
        this.transport.call("status", {}),
        this.transport.call("incidents", { open: true, limit: 100 }),
        this.transport.call("health", {}).catch(() => null),
      ]);
      this.state.replaceChecks(status.checks);
      const { checks: _, ...overview } = status;
      this.state.overview = overview;
      this.state.incidents = incidents.incidents;
      this.loaded = true;
      this.connectionBanner.hidden = true;
      if (health && health.degraded.length > 0) {
        this.degradedBanner.replaceChildren(h("strong", {}, "Degraded: "), health.degraded.join("; "));
        this.degradedBanner.hidden = false;
      } else {
        this.degradedBanner.hidden = true;
      }
      this.refreshHeader();
      this.overview.render();
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
      this.overview.update(changed.checks);
      if (this.page instanceof CheckPage && changed.checks.includes(this.page.id)) this.page.onCheck();
    }
    if (changed.overview) {
      this.refreshHeader();
      this.overview.refreshGroups();
    }
    if (changed.incidents) {
      if (this.page instanceof CheckPage) this.page.onIncidents();
      if (this.page instanceof IncidentsPage) void this.page.load();
    }
    if (update.update === "action_run") {
      if (this.page instanceof CheckPage) this.page.onRun();
      if (this.page instanceof RunsPage) void this.page.load();
    }
  }

  /** The header as the core words it: its level, its summary, the network. */
  private refreshHeader(): void {
    const overview = this.state.overview;
    if (!overview) return;
    this.overall.className = `badge ${overview.level}`;
    this.overall.textContent = overview.level;
    this.summaryText.textContent = overview.summary;
    const network = overview.network_down;
    this.networkBanner.hidden = network === null;
    this.networkBanner.textContent = network?.text ?? "";
    document.title = overview.level === "up" ? "Watchkeeper" : `(${overview.summary}) Watchkeeper`;
  }

  private async route(): Promise<void> {
    const route = parseRoute(location.hash);
    if (this.page instanceof CheckPage) this.page.destroy();
    for (const link of this.nav.querySelectorAll("a")) {
      link.toggleAttribute("aria-current", link.dataset.page === route.page);
    }
    switch (route.page) {
      case "overview":
        this.page = this.overview;
        this.main.replaceChildren(this.overview.element);
        if (!this.loaded) this.overview.render();
        this.overview.tick();
        return;
      case "check": {
        const page = new CheckPage(this.transport, this.state, route.id);
        this.page = page;
        this.main.replaceChildren(page.element);
        await guarded(page.element, () => page.load());
        // The tray asks for an action that needs confirmation: its dialog, once.
        if (route.run) {
          history.replaceState(null, "", `#/check/${encodeURIComponent(route.id)}`);
          void page.openRun(route.run);
        }
        return;
      }
      case "incidents": {
        const page = new IncidentsPage(this.transport, this.state, route.check);
        this.page = page;
        this.main.replaceChildren(page.element);
        return page.load();
      }
      case "runs": {
        const page = new RunsPage(this.transport);
        this.page = page;
        this.main.replaceChildren(page.element);
        return page.load();
      }
      case "alerts": {
        const page = new AlertsPage(this.transport, this.state);
        this.page = page;
        this.main.replaceChildren(page.element);
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
  root.replaceChildren(h("div", { class: "banner down", role: "alert" }, badge("down"), ` ${e.message} — ${e.resolution}`));
}
