//! What a probe observed, the verdict on it, and the recorded result.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Failure, FailureClass, Status};

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
            Value::Duration(d) => crate::units::format_duration(*d),
            Value::Bytes(b) => crate::units::format_size(*b),
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
    /// Named values: `status`, `exit`, `count`, `value`, `connected`, `cpu`, `memory`,
    /// and text such as the response `body` or a command's `stdout` (capped).
    pub values: Vec<(&'static str, Value)>,
    /// Response headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// A one-line summary, e.g. `HTTP 200` or `3 processes`.
    pub summary: String,
    pub failure: Option<Failure>,
    /// What the service says about itself, when its body is a health body.
    pub health: Option<super::ServiceHealth>,
    /// The service's own circuit breakers, for an http check with `breakers_url`.
    pub service_breakers: Option<super::ServiceBreakers>,
}

impl Observation {
    pub fn failed(class: FailureClass, message: impl Into<String>) -> Observation {
        let message = message.into();
        Observation { summary: message.clone(), failure: Some(Failure::new(class, message)), ..Default::default() }
    }

    /// A named value; `latency` is every observation's own.
    pub fn value(&self, name: &str) -> Option<Cow<'_, Value>> {
        if name == "latency" {
            return self.latency.map(|latency| Cow::Owned(Value::Duration(latency)));
        }
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| Cow::Borrowed(v))
    }

    /// The text `json.` conditions read: the `body`, when it is text.
    pub fn body(&self) -> Option<&str> {
        match self.values.iter().find(|(n, _)| *n == "body") {
            Some((_, Value::Text(text))) => Some(text),
            _ => None,
        }
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

    /// The status this verdict alone gives (thresholds aside): the one rule from a
    /// verdict to a status.
    pub fn status(&self) -> Status {
        match self {
            Verdict::Up => Status::Up,
            Verdict::Degraded(_) => Status::Degraded,
            Verdict::Down(_) => Status::Down,
            Verdict::Unknown(_) => Status::Unknown,
        }
    }

    /// The failure class of a verdict that is not up: its failure's, or `probe_error`
    /// when the probe itself failed.
    pub fn failure_class(&self) -> Option<FailureClass> {
        match self {
            Verdict::Up | Verdict::Degraded(_) => None,
            Verdict::Down(failure) => Some(failure.class),
            Verdict::Unknown(_) => Some(FailureClass::ProbeError),
        }
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
    /// What the check measures, when its kind measures one (`ProbeSpec::measure`): a
    /// system metric, a process's CPU, the number a command prints.
    pub value: Option<f64>,
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
