//! `watchkeeper status [ID]`: the running daemon's view of every check, or of one in
//! full.

use std::path::Path;

use watchkeeper::api::client::Client;
use watchkeeper::api::dto::{IdArgs, NoArgs};
use watchkeeper::api::operation;
use watchkeeper::model::Status;

use super::{client_error, print_json, print_state_table, short_time};

pub async fn run(data_dir: &Path, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let report = client.call::<operation::Status>(&NoArgs {}).await.map_err(client_error)?;
    let overall = Status::from(report.overview.overall);
    if json {
        print_json(&report)?;
        return Ok(overall.exit_code() as u8);
    }
    let mut rows = vec![["CHECK", "ID", "SINCE", "LATENCY", "BREAKER", "STATE"].map(String::from)];
    for check in &report.checks {
        let last = check.last.as_ref();
        rows.push([
            check.name.clone(),
            check.id.clone(),
            short_time(&check.since),
            last.and_then(|l| l.latency_ms).map(|l| format!("{l:.1}ms")).unwrap_or_else(|| "-".into()),
            check.breaker.as_ref().map_or_else(|| "-".to_owned(), |b| b.phrase.text.clone()),
            check.text.clone(),
        ]);
    }
    say!("overall: {} ({})", super::paint(overall, &overall.as_str().to_uppercase()), report.overview.summary);
    let statuses: Vec<Status> = report.checks.iter().map(|c| Status::from(c.status)).collect();
    print_state_table(&rows, &statuses)?;
    Ok(overall.exit_code() as u8)
}

/// One check in full, as its page in the dashboard shows it; exits by its status.
pub async fn one(data_dir: &Path, id: &str, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let detail = client.call::<operation::Check>(&IdArgs { id: id.to_owned() }).await.map_err(client_error)?;
    let status = Status::from(detail.check.status);
    if json {
        print_json(&detail)?;
        return Ok(status.exit_code() as u8);
    }
    let check = &detail.check;
    say!("{} ({}): {}", check.name, check.id, super::paint(status, &check.text));
    let mut lines: Vec<(&str, String)> = vec![
        ("target", format!("{}: {}", check.kind, detail.target)),
        ("since", short_time(&check.since)),
        ("expect", if detail.expect.is_empty() { "-".to_owned() } else { detail.expect.join(" · ") }),
    ];
    if !detail.degraded_if.is_empty() {
        lines.push(("degraded if", detail.degraded_if.join(" · ")));
    }
    if let Some(breaker) = &check.breaker {
        lines.push(("breaker", breaker.phrase.text.clone()));
    }
    if let Some(hint) = &check.hint {
        lines.push(("fix", hint.clone()));
    }
    if let Some(push) = &detail.push {
        lines.push(("push URL", push.url.clone()));
        lines.push(("on success", push.curl.clone()));
        lines.push(("on failure", push.curl_fail.clone()));
    }
    for (label, value) in lines {
        say!("  {label:<11} {value}");
    }
    Ok(status.exit_code() as u8)
}
