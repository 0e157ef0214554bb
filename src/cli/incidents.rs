//! `watchkeeper incidents [ID]`: incidents from the running daemon, newest first, or
//! one in full with its evidence; `watchkeeper history ID`: a check's uptime and its
//! incidents over 90 days.

use std::path::Path;

use watchkeeper::api::client::Client;
use watchkeeper::api::dto::{EvidenceDto, IdArgs, IncidentsArgs};
use watchkeeper::api::operation;
use watchkeeper::model::FailureClass;

use super::{client_error, print_json, print_table, short_time};

/// A failure class named on the command line, or the list of them.
pub fn parse_class(code: &str) -> anyhow::Result<watchkeeper::api::dto::FailureClassDto> {
    use watchkeeper::model::Code;
    FailureClass::from_code(code).map(Into::into).ok_or_else(|| {
        let codes: Vec<&str> = FailureClass::ALL.iter().map(|c| c.code()).collect();
        anyhow::anyhow!("`{code}` is not one of {}", codes.join(", "))
    })
}

pub async fn run(data_dir: &Path, args: IncidentsArgs, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
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

/// The most incidents `history` lists.
const HISTORY_INCIDENTS: usize = 10;

/// A check's uptime per window, MTTR and MTBF, and its last incidents.
pub async fn history(data_dir: &Path, id: &str, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let uptime = client.call::<operation::Uptime>(&IdArgs { id: id.to_owned() }).await.map_err(client_error)?;
    if json {
        print_json(&uptime)?;
        return Ok(0);
    }
    let w = &uptime.windows;
    let mut rows = vec![["WINDOW", "UPTIME", "DOWNTIME", "FAILED", "RESULTS"].map(String::from)];
    for window in [&w.day, &w.week, &w.month, &w.quarter] {
        rows.push([
            window.name.clone(),
            window.text.clone(),
            window.downtime_text.clone(),
            window.failures.to_string(),
            window.results.to_string(),
        ]);
    }
    print_table(&rows)?;
    say!("");
    say!("{}  {}", watchkeeper::words::MTTR.0, uptime.mttr_text.as_deref().unwrap_or("none resolved"));
    say!("{}  {}", watchkeeper::words::MTBF.0, uptime.mtbf_text.as_deref().unwrap_or("no incident"));
    if uptime.incidents.is_empty() {
        say!("\nno incidents in 90 days");
        return Ok(0);
    }
    say!("\nlast incidents:");
    let mut rows = vec![["  ID", "STARTED", "LASTED", "CAUSE"].map(String::from)];
    for incident in uptime.incidents.iter().take(HISTORY_INCIDENTS) {
        let lasted = match incident.resolved_at {
            Some(_) => incident.duration_text.clone(),
            None => format!("{} so far", incident.duration_text),
        };
        let class = watchkeeper::words::failure_class(FailureClass::from(incident.cause_class));
        rows.push([
            format!("  {}", incident.id),
            short_time(&incident.started_at),
            lasted,
            format!("{} ({class})", incident.cause),
        ]);
    }
    print_table(&rows)?;
    Ok(0)
}

/// One incident in full: its cause and what to do, then its evidence.
pub async fn one(data_dir: &Path, id: &str, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let incident = client.call::<operation::Incident>(&IdArgs { id: id.to_owned() }).await.map_err(client_error)?;
    if json {
        print_json(&incident)?;
        return Ok(0);
    }
    let class = FailureClass::from(incident.cause_class);
    let state = match &incident.resolved_at {
        Some(at) => format!("resolved {}", short_time(at)),
        None => "open".to_owned(),
    };
    say!("incident {} of {}: {state}, since {}", incident.id, incident.check, short_time(&incident.started_at));
    say!("  cause       {} ({})", incident.cause, watchkeeper::words::failure_class(class));
    say!("  fix         {}", incident.resolution);
    for condition in &incident.failed_conditions {
        say!("  failed      {condition}");
    }
    match &incident.evidence {
        Some(evidence) => evidence_lines(evidence)?,
        None => say!("\nno evidence is kept for it (only the latest incidents of a check keep theirs)"),
    }
    Ok(0)
}

fn evidence_lines(evidence: &EvidenceDto) -> anyhow::Result<()> {
    match &evidence.last_good_at {
        Some(at) if !evidence.changes.is_empty() => {
            say!("\nwhat changed since the last good result ({}):", short_time(at));
            for change in &evidence.changes {
                say!("  {}", change.text);
            }
        }
        Some(at) => say!("\nnothing differs from the last good result ({}) that the probe reads", short_time(at)),
        None => say!("\nno good result was seen since Watchkeeper started, so nothing is compared"),
    }
    let observed = &evidence.observed;
    say!("\nwhat the probe saw ({}):", short_time(&evidence.at));
    match observed.latency_ms {
        Some(ms) => say!("  {} in {}", observed.summary, watchkeeper::words::latency(ms)),
        None => say!("  {}", observed.summary),
    }
    for value in &observed.values {
        say!("  {:<22} {}", value.name, value.value);
    }
    if let Some(cert) = &observed.cert {
        say!("  certificate            {}", cert.text);
    }
    if let Some(answers) = &observed.answers {
        say!("  answers                {}", if answers.is_empty() { "none".to_owned() } else { answers.join(", ") });
    }
    if let Some(exit) = observed.exit {
        say!("  exit                   {exit}");
    }
    for header in &observed.headers {
        say!("  {:<22} {}", header.name, header.value);
    }
    for (label, text) in [("body", &observed.body_excerpt), ("output", &observed.output)] {
        if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            say!("  {label}:");
            for line in text.lines().take(20) {
                say!("    {line}");
            }
        }
    }
    if let Some(local) = &evidence.local {
        say!("\non this machine:");
        if let Some(port) = &local.port_text {
            say!("  {port}");
        }
        if let Some(memory) = &local.memory {
            say!("  {}", memory.text);
        }
        for disk in &local.disk {
            say!("  disk {}", disk.text);
        }
        let mut rows = vec![["  PID", "PROCESS", "CPU", "MEMORY"].map(String::from)];
        for process in &local.top {
            rows.push([
                format!("  {}", process.pid),
                process.process.clone(),
                process.cpu_text.clone(),
                process.memory_text.clone(),
            ]);
        }
        if rows.len() > 1 {
            print_table(&rows)?;
        }
    }
    Ok(())
}
