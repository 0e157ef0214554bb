// One incident's page: its row (state, duration, cause, recovery, response), what to do,
// then its evidence: what changed against the last good result (a diff), what the
// probe saw, and this machine at that moment.

import { html, nothing, render } from "lit-html";

import type { Evidence, Incident, Local, Observed, Transport } from "../client";
import { load, loaded, LOADING, prose, type Loaded } from "../dom";
import { formatLatency, formatTime, type LiveState } from "../model";
import { incidentTable, Responding } from "./incidents";

export class IncidentPage {
  readonly element = document.createElement("section");
  private incident: Loaded<Incident> = LOADING;
  private readonly responding: Responding;

  constructor(
    private readonly transport: Transport,
    private readonly state: LiveState,
    private readonly id: string,
  ) {
    this.element.className = "incident-page";
    this.element.setAttribute("aria-label", `Incident ${id}`);
    this.responding = new Responding(transport, () => void this.load());
  }

  async load(): Promise<void> {
    this.render();
    this.incident = await load(() => this.transport.call("incident", { id: this.id }));
    this.render();
  }

  render(): void {
    const names = new Map([...this.state.checks.values()].map((c) => [c.id, c.name]));
    render(
      html`<div class="toolbar">
          <h2>Incident ${this.id}</h2>
          <a href="#/incidents">All incidents</a>
        </div>
        ${loaded(
          this.incident,
          (incident) => html`${incidentTable([incident], true, names, this.responding, Date.now())}
            <p class="hint resolution">${incident.resolution}</p>
            ${incident.evidence
              ? evidence(incident.evidence)
              : html`<p class="empty">No evidence is kept for this incident: only the latest incidents of a check keep theirs.</p>`}`,
        )}`,
      this.element,
    );
  }
}

function evidence(evidence: Evidence) {
  return html`<div class="evidence">
    <div class="panel changes-panel">
      <h3>What changed</h3>
      ${evidence.last_good_at === null
        ? html`<p class="empty">No good result was seen since Watchkeeper started, so nothing is compared.</p>`
        : evidence.changes.length === 0
          ? html`<p class="empty">Nothing the probe reads differs from the last good result (${formatTime(evidence.last_good_at)}).</p>`
          : html`<table class="changes">
              <thead>
                <tr>
                  <th>What</th>
                  <th>Last good, ${formatTime(evidence.last_good_at)}</th>
                  <th>At the failure, ${formatTime(evidence.at)}</th>
                </tr>
              </thead>
              <tbody>
                ${evidence.changes.map(
                  (change) => html`<tr data-change=${change.what} title=${change.text}>
                    <th scope="row">${change.what}</th>
                    <td class="before"><del>${change.before}</del></td>
                    <td class="after"><ins>${change.after}</ins></td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    </div>
    ${observed(evidence.observed, evidence.at)} ${evidence.local ? local(evidence.local) : nothing}
  </div>`;
}

function observed(seen: Observed, at: string) {
  const rows: [string, string][] = [];
  if (seen.status !== null) rows.push(["status", String(seen.status)]);
  if (seen.exit !== null) rows.push(["exit", String(seen.exit)]);
  if (seen.latency_ms !== null) rows.push(["latency", formatLatency(seen.latency_ms)]);
  for (const value of seen.values) rows.push([value.name, value.value]);
  if (seen.answers !== null) rows.push(["answers", seen.answers.join(", ") || "none"]);
  if (seen.cert) {
    rows.push(["certificate", seen.cert.text]);
    if (seen.cert.sans.length) rows.push(["names", seen.cert.sans.join(", ")]);
  }
  return html`<div class="panel observed-panel">
    <h3>What the probe saw <span class="id">${formatTime(at)}</span></h3>
    <p class="message">${prose(seen.summary)}</p>
    ${rows.length
      ? html`<table class="values">
          <tbody>
            ${rows.map(([name, value]) => html`<tr><th scope="row">${name}</th><td>${value}</td></tr>`)}
          </tbody>
        </table>`
      : nothing}
    ${seen.headers.length
      ? html`<details class="headers">
          <summary>${seen.headers.length} response headers</summary>
          <table class="values">
            <tbody>
              ${seen.headers.map((h) => html`<tr><th scope="row">${h.name}</th><td>${h.value}</td></tr>`)}
            </tbody>
          </table>
        </details>`
      : nothing}
    ${seen.body_excerpt ? html`<h4>Body</h4><pre class="excerpt body-excerpt">${seen.body_excerpt}</pre>` : nothing}
    ${seen.output ? html`<h4>Output</h4><pre class="excerpt output">${seen.output}</pre>` : nothing}
  </div>`;
}

function local(here: Local) {
  return html`<div class="panel local-panel">
    <h3>On this machine</h3>
    <ul class="local-facts">
      ${here.port_text ? html`<li class="port-owner">${here.port_text}</li>` : nothing}
      ${here.memory ? html`<li>${here.memory.text}</li>` : nothing}
      ${here.disk.map((disk) => html`<li>${disk.text}</li>`)}
    </ul>
    ${here.top.length
      ? html`<table class="top">
          <thead>
            <tr>
              <th>Process</th>
              <th class="num">PID</th>
              <th class="num">CPU</th>
              <th class="num">Memory</th>
            </tr>
          </thead>
          <tbody>
            ${here.top.map(
              (p) => html`<tr>
                <td>${p.process}</td>
                <td class="num">${p.pid}</td>
                <td class="num">${p.cpu_text}</td>
                <td class="num">${p.memory_text}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : nothing}
  </div>`;
}
