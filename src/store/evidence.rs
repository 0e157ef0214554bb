//! An incident's evidence: what the probe saw when the check went down, what changed
//! against its last good result, and this machine at that moment. Kept as one JSON
//! column of the incident's row (`incidents.evidence`), bounded where it is built
//! (`engine::evidence`), and kept for the latest [`KEPT_PER_CHECK`] incidents of each
//! check.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::{from_millis, to_millis};

/// The incidents of one check that keep their evidence; older ones keep their record.
pub const KEPT_PER_CHECK: u32 = 20;

/// The evidence of one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(with = "millis")]
    pub at: DateTime<Utc>,
    pub observed: Observed,
    /// When the result compared with was seen (none since Watchkeeper started: `None`,
    /// and no changes).
    #[serde(default, with = "millis_opt")]
    pub last_good_at: Option<DateTime<Utc>>,
    pub changes: Vec<Change>,
    /// This machine at that moment, for a target on it.
    #[serde(default)]
    pub local: Option<Local>,
}

/// What a probe saw, each part as its kind has it; secrets shown as `••••`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// The probe's one line (`HTTP 503`, `connection refused`).
    pub summary: String,
    #[serde(default)]
    pub status: Option<i64>,
    /// Response headers, names lowercased, in the order received.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body_excerpt: Option<String>,
    /// Named values as conditions read them (`json.db.status`: `"DOWN"`).
    #[serde(default)]
    pub values: Vec<(String, String)>,
    #[serde(default)]
    pub cert: Option<Cert>,
    #[serde(default)]
    pub answers: Option<Vec<String>>,
    #[serde(default)]
    pub exit: Option<i64>,
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub latency_ms: Option<f64>,
}

/// A certificate as a tls (or https) probe read it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cert {
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    pub days_left: Option<i64>,
}

/// One thing that differs from the last good result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub what: String,
    pub before: String,
    pub after: String,
}

/// This machine when the incident opened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Local {
    /// The port the check reaches, when it reaches one.
    #[serde(default)]
    pub port: Option<u16>,
    /// Who listens on it (`None`: nobody, or no port).
    #[serde(default)]
    pub port_owner: Option<PortOwner>,
    /// The busiest processes, by CPU then memory.
    pub top: Vec<TopProcess>,
    pub disk: Vec<DiskUse>,
    #[serde(default)]
    pub memory: Option<MemoryUse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortOwner {
    /// `None` when the socket's process cannot be seen (another user's, without root).
    pub pid: Option<u32>,
    /// Its name (`postgres`), or whose it is when it cannot be seen (`uid 999`).
    pub process: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopProcess {
    pub pid: u32,
    pub process: String,
    /// Percent of one core.
    pub cpu: f64,
    /// Resident bytes.
    pub memory: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiskUse {
    pub mount: String,
    pub used_percent: f64,
    pub available: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryUse {
    pub used_percent: f64,
    pub available: u64,
    pub total: u64,
}

mod millis {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(super::to_millis(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        i64::deserialize(deserializer).map(super::from_millis)
    }
}

mod millis_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_some(&super::to_millis(*at)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<i64>::deserialize(deserializer).map(|at| at.map(super::from_millis))
    }
}

/// Keeps `evidence` with incident `id` (of `check`), and drops the evidence of that
/// check's incidents older than the latest [`KEPT_PER_CHECK`].
pub(super) fn keep(tx: &Transaction<'_>, id: i64, check: &str, evidence: &Evidence) -> rusqlite::Result<()> {
    write(tx, id, evidence)?;
    tx.prepare_cached(
        "UPDATE incidents SET evidence = NULL
         WHERE check_id = ?1 AND evidence IS NOT NULL
           AND id NOT IN (SELECT id FROM incidents WHERE check_id = ?1 ORDER BY id DESC LIMIT ?2)",
    )?
    .execute(params![check, KEPT_PER_CHECK])?;
    Ok(())
}

/// Adds this machine's figures to incident `id`'s evidence, if it keeps some.
pub(super) fn add_local(tx: &Transaction<'_>, id: i64, local: &Local) -> rusqlite::Result<()> {
    let Some(mut evidence) = read(tx, id)? else { return Ok(()) };
    evidence.local = Some(local.clone());
    write(tx, id, &evidence)
}

fn write(tx: &Transaction<'_>, id: i64, evidence: &Evidence) -> rusqlite::Result<()> {
    let json = serde_json::to_string(evidence).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached("UPDATE incidents SET evidence = ?2 WHERE id = ?1")?.execute(params![id, json])?;
    Ok(())
}

/// The evidence of incident `id`: `None` when it has none (opened before evidence was
/// kept, or one of its check's older incidents). Evidence that no longer reads (a file
/// edited by hand) is `None` too, and said in the log: the incident itself still reads.
pub(super) fn read(connection: &Connection, id: i64) -> rusqlite::Result<Option<Evidence>> {
    let json: Option<String> = connection
        .prepare_cached("SELECT evidence FROM incidents WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?
        .flatten();
    Ok(json.and_then(|json| match serde_json::from_str(&json) {
        Ok(evidence) => Some(evidence),
        Err(error) => {
            tracing::warn!(incident = id, %error, "an incident's evidence cannot be read; it is left out");
            None
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_reads_back_as_it_was_kept() {
        let evidence = Evidence {
            at: from_millis(1_700_000_000_123),
            observed: Observed {
                summary: "HTTP 503".into(),
                status: Some(503),
                headers: vec![("content-type".into(), "application/json".into())],
                body_excerpt: Some("{\"db\":\"DOWN\"}".into()),
                values: vec![("json.db".into(), "\"DOWN\"".into())],
                latency_ms: Some(12.5),
                ..Observed::default()
            },
            last_good_at: Some(from_millis(1_700_000_000_000)),
            changes: vec![Change { what: "status".into(), before: "200".into(), after: "503".into() }],
            local: Some(Local {
                port: Some(8080),
                port_owner: Some(PortOwner { pid: Some(42), process: "java".into() }),
                top: vec![TopProcess { pid: 42, process: "java".into(), cpu: 99.5, memory: 1 << 30 }],
                disk: vec![DiskUse { mount: "/".into(), used_percent: 97.0, available: 1 << 20 }],
                memory: Some(MemoryUse { used_percent: 50.0, available: 1 << 30, total: 2 << 30 }),
            }),
        };
        let json = serde_json::to_string(&evidence).unwrap();
        assert_eq!(serde_json::from_str::<Evidence>(&json).unwrap(), evidence);
        assert_eq!(to_millis(evidence.at), 1_700_000_000_123);
    }
}
