//! `watchkeeper check [ID...] [--json]`: every check (or those named) probed once, here,
//! without a daemon; exits as monitoring plugins do: 0 up, 1 degraded, 2 down, 3 unknown.

use std::path::Path;

use watchkeeper::model::{FailureClass, Status};
use watchkeeper::units::format_duration;

use super::{fail, print_json, print_status_table, Exit};

pub async fn run(config_path: &Path, ids: &[String], json: bool) -> anyhow::Result<u8> {
    let config = super::config::load(config_path)?;
    for id in ids {
        if config.check(id).is_none() {
            return Err(fail(
                Exit::Data,
                format!(
                    "no check has the id `{id}` [unknown_check]\n  help: the config at {} defines: {}",
                    config_path.display(),
                    config.checks.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if !json && config.checks.len() > 20 {
        complain!("probing {} checks...", if ids.is_empty() { config.checks.len() } else { ids.len() });
    }
    let report = watchkeeper::api::check_once(&config, ids).await;
    let overall = Status::from(report.overall);
    if json {
        print_json(&report)?;
        return Ok(overall.exit_code() as u8);
    }
    let mut rows = vec![["STATUS", "CHECK", "LATENCY", "MESSAGE"].map(String::from)];
    for check in &report.checks {
        rows.push([
            Status::from(check.status).as_str().to_uppercase(),
            check.id.clone(),
            check
                .latency_ms
                // Back to whole nanoseconds: the probe's own latency, exactly.
                .map(|ms| format_duration(std::time::Duration::from_nanos((ms * 1e6).round() as u64)))
                .unwrap_or_else(|| "-".into()),
            check.message.clone(),
        ]);
    }
    let statuses: Vec<Status> = report.checks.iter().map(|c| Status::from(c.status)).collect();
    print_status_table(&rows, &statuses)?;
    for check in &report.checks {
        if let Some(failure) = &check.failure {
            let class = FailureClass::from(failure.class);
            say!("\n{}: {} ({class})\n  help: {}", check.id, check.message, failure.resolution);
        }
    }
    Ok(overall.exit_code() as u8)
}
