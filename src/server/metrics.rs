//! `/metrics` in the Prometheus text exposition format: per-check status, latency and
//! breaker state, per-action budgets, and Watchkeeper's own figures.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use crate::breaker::BreakerView;
use crate::figures::OwnFigures;
use crate::model::Status;

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = render(&state.engine);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body)
}

pub fn render(engine: &crate::engine::Engine) -> String {
    let mut out = String::with_capacity(4096);
    let snapshot = engine.snapshot();
    let _ = writeln!(out, "# HELP watchkeeper_check_status 1 for the check's current status, 0 for the others.");
    let _ = writeln!(out, "# TYPE watchkeeper_check_status gauge");
    for check in &snapshot {
        for &status in Status::ALL {
            let value = u8::from(check.status == status);
            let _ = writeln!(
                out,
                "watchkeeper_check_status{{check=\"{}\",status=\"{status}\"}} {value}",
                label(check.config.id.as_str())
            );
        }
    }
    let _ = writeln!(out, "# HELP watchkeeper_check_latency_seconds Latency of the check's last probe.");
    let _ = writeln!(out, "# TYPE watchkeeper_check_latency_seconds gauge");
    for check in &snapshot {
        if let Some(latency) = check.last.as_ref().and_then(|r| r.latency) {
            let _ = writeln!(
                out,
                "watchkeeper_check_latency_seconds{{check=\"{}\"}} {}",
                label(check.config.id.as_str()),
                latency.as_secs_f64()
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP watchkeeper_breaker_state Breaker state: 0 closed, 1 open, 2 half-open, 3 disabled, 4 forced open."
    );
    let _ = writeln!(out, "# TYPE watchkeeper_breaker_state gauge");
    let breakers: Vec<_> =
        snapshot.iter().filter_map(|c| Some((label(c.config.id.as_str()), c.breaker.as_ref()?))).collect();
    for (check, breaker) in &breakers {
        let _ = writeln!(out, "watchkeeper_breaker_state{{check=\"{check}\"}} {}", breaker.state.as_metric());
    }
    let _ = writeln!(out, "# HELP watchkeeper_breaker_calls Calls in the breaker's window (half-open: its trials).");
    let _ = writeln!(out, "# TYPE watchkeeper_breaker_calls gauge");
    for (check, breaker) in &breakers {
        let counts = breaker.counts;
        for (outcome, n) in [("all", counts.calls), ("failed", counts.failed), ("slow", counts.slow)] {
            let _ = writeln!(out, "watchkeeper_breaker_calls{{check=\"{check}\",outcome=\"{outcome}\"}} {n}");
        }
    }
    type Rate = fn(&BreakerView) -> Option<f64>;
    let rates: [(&str, &str, Rate); 2] = [
        ("failure_rate", "Percent of the window's calls that failed (absent below min_calls).", |b| b.failure_rate),
        ("slow_rate", "Percent of the window's calls that were slow (absent below min_calls).", |b| b.slow_rate),
    ];
    for (name, help, rate) in rates {
        let _ = writeln!(out, "# HELP watchkeeper_breaker_{name} {help}");
        let _ = writeln!(out, "# TYPE watchkeeper_breaker_{name} gauge");
        for (check, breaker) in &breakers {
            if let Some(value) = rate(breaker) {
                let _ = writeln!(out, "watchkeeper_breaker_{name}{{check=\"{check}\"}} {value}");
            }
        }
    }
    let _ = writeln!(out, "# HELP watchkeeper_action_runs_in_window Runs counted against the action's budget now.");
    let _ = writeln!(out, "# TYPE watchkeeper_action_runs_in_window gauge");
    let config = engine.config();
    let budgets: Vec<_> =
        config.actions.iter().filter_map(|a| Some((a.id.as_str(), engine.budget(a.id.as_str())?))).collect();
    for (action, budget) in &budgets {
        let _ = writeln!(
            out,
            "watchkeeper_action_runs_in_window{{action=\"{}\"}} {}",
            label(action),
            budget.runs_in_window
        );
    }
    let _ = writeln!(out, "# HELP watchkeeper_action_max_runs The action's budget: most runs in its window.");
    let _ = writeln!(out, "# TYPE watchkeeper_action_max_runs gauge");
    for (action, budget) in &budgets {
        let _ = writeln!(out, "watchkeeper_action_max_runs{{action=\"{}\"}} {}", label(action), budget.budget.max_runs);
    }
    let _ = writeln!(out, "# HELP watchkeeper_action_budget_spent 1 while the action's budget refuses runs.");
    let _ = writeln!(out, "# TYPE watchkeeper_action_budget_spent gauge");
    for (action, budget) in &budgets {
        let spent = u8::from(budget.blocked_until.is_some());
        let _ = writeln!(out, "watchkeeper_action_budget_spent{{action=\"{}\"}} {spent}", label(action));
    }
    let figures = engine.figures();
    let gauges: [(&str, &str, f64); 10] = [
        (
            "watchkeeper_scheduler_lag_p50_seconds",
            "Median scheduler lag over recent probes.",
            figures.lag_percentile(0.5).as_secs_f64(),
        ),
        (
            "watchkeeper_scheduler_lag_p99_seconds",
            "99th percentile scheduler lag over recent probes.",
            figures.lag_percentile(0.99).as_secs_f64(),
        ),
        (
            "watchkeeper_write_queue_depth",
            "Operations waiting in the history write queue.",
            engine.writer().depth() as f64,
        ),
        (
            "watchkeeper_db_commit_seconds",
            "Duration of the last history commit.",
            OwnFigures::get(&figures.db_commit_us) as f64 / 1e6,
        ),
        (
            "watchkeeper_results_dropped_total",
            "Results dropped because the write queue was full.",
            OwnFigures::get(&figures.dropped) as f64,
        ),
        (
            "watchkeeper_write_failures_total",
            "History batches that failed to commit.",
            OwnFigures::get(&figures.write_failures) as f64,
        ),
        ("watchkeeper_probes_total", "Probes run since start.", OwnFigures::get(&figures.probes) as f64),
        (
            "watchkeeper_history_bytes",
            "Bytes the history database uses (its free pages not counted).",
            OwnFigures::get(&figures.db_bytes) as f64,
        ),
        (
            "watchkeeper_history_size_pruned_total",
            "Rows pruned before their retention to keep the history under max_db_size.",
            OwnFigures::get(&figures.size_pruned) as f64,
        ),
        (
            "watchkeeper_resident_memory_bytes",
            "Resident memory of the watchkeeper process.",
            crate::resident::own_rss().unwrap_or(0) as f64,
        ),
    ];
    for (name, help, value) in gauges {
        let kind = if name.ends_with("_total") { "counter" } else { "gauge" };
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    }
    let lags = figures.lag_histogram();
    let name = "watchkeeper_scheduler_lag_seconds";
    let _ = writeln!(out, "# HELP {name} How late each probe since start began against its schedule.");
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (bound, count) in &lags.buckets {
        let le = if *bound == u64::MAX { "+Inf".to_owned() } else { (*bound as f64 / 1e6).to_string() };
        let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {count}");
    }
    let count = lags.buckets.last().map_or(0, |(_, n)| *n);
    let _ = writeln!(out, "{name}_sum {}\n{name}_count {count}", lags.sum_us as f64 / 1e6);
    out
}

fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
