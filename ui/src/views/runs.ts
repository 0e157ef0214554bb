// The action-run log: every run, who asked, for which check and incident, its outcome.

import type { Transport } from "../client";
import { guarded, h } from "../dom";
import { formatTime } from "../model";
import { describe, quarantineControl } from "./action";

export class RunsPage {
  readonly element: HTMLElement;
  private readonly list = h("div", {});

  constructor(private readonly transport: Transport) {
    this.element = h("section", { class: "runs-page", "aria-label": "Action runs" }, h("h2", {}, "Action runs"), this.list);
  }

  load(): Promise<void> {
    return guarded(this.list, async () => {
      const { runs } = await this.transport.call("action_runs", { limit: 200 });
      this.list.replaceChildren(
        runs.length === 0
          ? h("p", { class: "empty" }, "No action has run yet.")
          : h(
              "ul",
              { class: "runs" },
              ...runs.map((run) =>
                h(
                  "li",
                  { "data-run": run.id },
                  h(
                    "details",
                    {},
                    h(
                      "summary",
                      {},
                      `${formatTime(run.started_at)} · ${run.action}`,
                      run.check ? ` · ${run.check}` : "",
                      run.incident ? ` · incident #${run.incident}` : "",
                      ` · by ${run.requested_by}`,
                      run.dry_run ? " (dry run)" : "",
                      " · ",
                      ...describe(run),
                    ),
                    h("pre", { class: "output" }, run.output),
                  ),
                  quarantineControl(this.transport, run, () => void this.load()),
                ),
              ),
            ),
      );
    });
  }
}
