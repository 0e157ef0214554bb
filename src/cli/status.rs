//! `watchkeeper status`: the running daemon's view of every check.

use std::path::Path;

use watchkeeper::api::client::Client;
use watchkeeper::api::dto::NoArgs;
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
