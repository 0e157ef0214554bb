//! What a probe observed, the verdict on it, and the recorded result.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Failure, FailureClass};

/// A value a probe observed, usable on the left of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Duration(Duration),
    Bytes(u64),
    Json(serde_json::Value),
}

impl Value {
    /// How the value reads in "expected X, got Y".
    pub fn display(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Float(v) => format!("{:.2}", v).trim_end_matches('0').trim_end_matches('.').to_owned(),
            Value::Bool(v) => v.to_string(),
            Value::Text(v) => {
                let mut shown: String = v.chars().take(80).collect();
                if shown.len() < v.len() {
                    shown.push('…');
                }
                format!("{shown:?}")
            }
            Value::Duration(d) => crate::config::units::format_duration(*d),
            Value::Bytes(b) => crate::config::units::format_size(*b),
            Value::Json(v) => {
                let text = v.to_string();
                if text.len() > 80 {
                    format!("{}…", text.chars().take(80).collect::<String>())
                } else {
                    text
                }
            }
        }
    }
}

/// What a probe saw: the raw material conditions are evaluated against. A probe that
/// could not reach its target sets `failure` and the conditions are not evaluated.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    pub latency: Option<Duration>,
    /// Named values: `status`, `exit`, `count`, `value`, `connected`, `cpu`, `memory`, ...
    pub values: Vec<(&'static str, Value)>,
    /// The response body or standard output, capped.
    pub body: Option<String>,
    /// Response headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// A one-line summary, e.g. `HTTP 200` or `3 processes`.
    pub summary: String,
    pub failure: Option<Failure>,
}

impl Observation {
    pub fn failed(class: FailureClass, message: impl Into<String>) -> Observation {
        let message = message.into();
        Observation { summary: message.clone(), failure: Some(Failure::new(class, message)), ..Default::default() }
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// The verdict on one observation after `expect` and `degraded_if`.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Up,
    /// Up, but a `degraded_if` condition holds.
    Degraded(String),
    Down(Failure),
    /// The probe itself failed: no statement about the target.
    Unknown(String),
}

impl Verdict {
    pub fn is_failure(&self) -> bool {
        matches!(self, Verdict::Down(_))
    }
}

/// One probe run, as recorded.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub at: DateTime<Utc>,
    pub latency: Option<Duration>,
    pub verdict: Verdict,
    /// The probe's summary, or the failure message.
    pub message: String,
}

impl ProbeResult {
    pub fn ok(&self) -> bool {
        matches!(self.verdict, Verdict::Up | Verdict::Degraded(_))
    }

    pub fn failure(&self) -> Option<&Failure> {
        match &self.verdict {
            Verdict::Down(failure) => Some(failure),
            _ => None,
        }
    }
}
