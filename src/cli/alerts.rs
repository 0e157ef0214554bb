//! `watchkeeper ack ID`, `silence CHECK --for 1h --reason ...`, `silences`,
//! `unsilence ID` and `notifications`: the alert policy's front door on the command
//! line, through the running daemon (the policy lives there).

use std::path::Path;

use watchkeeper::api::client::Client;
use watchkeeper::api::dto::{AckArgs, IdArgs, NoArgs, NotificationsArgs, SilenceArgs, SilencesArgs};
use watchkeeper::api::operation;

use super::{client_error, print_json, print_table, short_time};

pub async fn ack(data_dir: &Path, id: &str, note: Option<String>, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let args = AckArgs { id: id.to_owned(), note };
    let incident = client.as_cli().call::<operation::Ack>(&args).await.map_err(client_error)?;
    if json {
        print_json(&incident)?;
        return Ok(0);
    }
    say!(
        "incident {} of `{}` acknowledged: no more reminders; it ends when the check recovers",
        incident.id,
        incident.check
    );
    Ok(0)
}

/// What to silence and for how long, as the command line says it.
pub struct SilenceRequest {
    pub checks: Vec<String>,
    pub groups: Vec<String>,
    pub r#for: Option<String>,
    pub until: Option<String>,
    pub reason: String,
}

pub async fn silence(data_dir: &Path, request: SilenceRequest, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let args = SilenceArgs {
        checks: Some(request.checks),
        groups: Some(request.groups),
        r#for: request.r#for,
        until: request.until,
        snooze: None,
        reason: request.reason,
    };
    let silence = client.as_cli().call::<operation::CreateSilence>(&args).await.map_err(client_error)?;
    if json {
        print_json(&silence)?;
        return Ok(0);
    }
    say!(
        "silence {} on {} until {}: notifications muted, probing goes on (end it with `watchkeeper unsilence {}`)",
        silence.id,
        silence.targets,
        short_time(&silence.ends_at),
        silence.id
    );
    Ok(0)
}

pub async fn silences(data_dir: &Path, all: bool, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let answer = client.call::<operation::Silences>(&SilencesArgs { all: Some(all) }).await.map_err(client_error)?;
    if json {
        print_json(&answer)?;
        return Ok(0);
    }
    let silences = answer.silences;
    if silences.is_empty() {
        say!("{}", if all { "no silences" } else { "no silences now (`--all` shows ended ones)" });
        return Ok(0);
    }
    let mut rows = vec![["ID", "ON", "FROM", "UNTIL", "BY", "REASON"].map(String::from)];
    for s in &silences {
        let until = match &s.ended_at {
            Some(ended) => format!("{} (ended)", short_time(ended)),
            None if s.active => short_time(&s.ends_at),
            None => format!("{} (expired)", short_time(&s.ends_at)),
        };
        rows.push([
            s.id.to_string(),
            s.targets.clone(),
            short_time(&s.starts_at),
            until,
            s.created_by.clone(),
            s.reason.clone(),
        ]);
    }
    print_table(&rows)?;
    Ok(0)
}

pub async fn unsilence(data_dir: &Path, id: &str, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let silence =
        client.as_cli().call::<operation::EndSilence>(&IdArgs { id: id.to_owned() }).await.map_err(client_error)?;
    if json {
        print_json(&silence)?;
        return Ok(0);
    }
    say!("silence {} on {} ended: its checks notify again", silence.id, silence.targets);
    Ok(0)
}

/// What `watchkeeper notifications` keeps of the log: the values as the API spells them.
pub struct LogFilter {
    pub check: Option<String>,
    pub channel: Option<String>,
    pub event: Option<String>,
    pub outcome: Option<String>,
}

pub async fn notifications(data_dir: &Path, filter: LogFilter, limit: u32, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    // The flags' values are the API's codes (clap allows no other).
    fn code<T: serde::de::DeserializeOwned>(value: Option<String>) -> serde_json::Result<Option<T>> {
        value.map(serde_json::Value::String).map(serde_json::from_value).transpose()
    }
    let args = NotificationsArgs {
        check: filter.check,
        channel: filter.channel,
        event: code(filter.event)?,
        outcome: code(filter.outcome)?,
        incident: None,
        limit: Some(limit),
    };
    let answer = client.call::<operation::Notifications>(&args).await.map_err(client_error)?;
    if json {
        print_json(&answer)?;
        return Ok(0);
    }
    let log = answer.notifications;
    if log.is_empty() {
        say!("no notifications yet");
        return Ok(0);
    }
    let mut rows = vec![["ID", "AT", "EVENT", "CHANNEL", "OUTCOME", "TITLE"].map(String::from)];
    for n in &log {
        rows.push([
            n.id.to_string(),
            short_time(&n.at),
            n.event_text.clone(),
            n.channel.clone(),
            n.outcome.text.clone(),
            n.title.clone(),
        ]);
    }
    print_table(&rows)?;
    Ok(0)
}

pub async fn maintenance(data_dir: &Path, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir).map_err(client_error)?;
    let answer = client.call::<operation::Maintenance>(&NoArgs {}).await.map_err(client_error)?;
    if json {
        print_json(&answer)?;
        return Ok(0);
    }
    if answer.windows.is_empty() {
        say!("no maintenance windows (declare them as [[maintenance]] in the config)");
        return Ok(0);
    }
    let mut rows = vec![["ID", "WHEN", "NOW", "COVERS", "REASON"].map(String::from)];
    for w in &answer.windows {
        rows.push([
            w.id.clone(),
            w.when.clone(),
            w.now.clone(),
            w.covers_names.join(", "),
            w.reason.clone().unwrap_or_default(),
        ]);
    }
    print_table(&rows)?;
    say!("times and schedules are in local time");
    Ok(0)
}
