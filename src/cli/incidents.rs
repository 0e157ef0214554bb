//! `watchkeeper incidents`: incidents from the running daemon, newest first.

use std::path::Path;

use watchkeeper::api::client::Client;
use watchkeeper::api::dto::IncidentsArgs;
use watchkeeper::api::operation;
use watchkeeper::model::FailureClass;

use super::{client_error, print_json, print_table, short_time};

pub async fn run(data_dir: &Path, check: Option<String>, open: bool, limit: u32, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let args = IncidentsArgs { check, open: Some(open), limit: Some(limit) };
    let answer = client.call::<operation::Incidents>(&args).await.map_err(client_error)?;
    if json {
        print_json(&answer)?;
        return Ok(0);
    }
    let mut rows = vec![["ID", "CHECK", "STARTED", "RESOLVED", "CAUSE"].map(String::from)];
    for incident in &answer.incidents {
        rows.push([
            incident.id.to_string(),
            incident.check.clone(),
            short_time(&incident.started_at),
            incident.resolved_at.as_deref().map_or_else(|| "open".to_owned(), short_time),
            format!(
                "{} ({})",
                incident.cause,
                watchkeeper::words::failure_class(FailureClass::from(incident.cause_class))
            ),
        ]);
    }
    if rows.len() == 1 {
        say!("no incidents");
    } else {
        print_table(&rows)?;
    }
    Ok(0)
}
