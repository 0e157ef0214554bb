//! `kind = "self"`: Watchkeeper itself: scheduler lag, write queue, dropped results,
//! its own memory; `lag`, `queue`, `dropped` and `memory` are its values.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::figures::OwnFigures;
use crate::model::{FailureClass, Observation, Value};
use crate::units::{format_duration, format_size};

pub const NAME: &str = "self";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "watchkeeper"
kind = "self""#;
pub const FIELDS: &[&str] = &["lag", "queue", "memory", "dropped"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

/// A self check has no keys of its own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {}

#[derive(Debug, Clone)]
pub struct Spec;

pub fn compile(_: Keys, _: Common<'_>, _: &mut Scope<'_, '_>) -> Option<Spec> {
    Some(Spec)
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["lag < 1s".into(), "dropped == 0".into()]
}

pub fn target(_: &Spec) -> String {
    "watchkeeper itself".to_owned()
}

pub fn remote(_: &Spec) -> bool {
    false
}

pub async fn probe(_: &Spec, context: &ProbeContext, _: Duration, _: Duration) -> Observation {
    let own: &OwnFigures = &context.own;
    let lag = own.lag_percentile(0.99);
    let queue = OwnFigures::get(&own.queue_depth);
    let dropped = OwnFigures::get(&own.dropped);
    let memory = crate::resident::own_rss().unwrap_or(0);
    Observation {
        values: vec![
            ("lag", Value::Duration(lag)),
            ("queue", Value::Int(queue as i64)),
            ("dropped", Value::Int(dropped as i64)),
            ("memory", Value::Bytes(memory)),
        ],
        summary: format!(
            "lag p99 {}, queue {queue}, dropped {dropped}, memory {}",
            format_duration(lag),
            format_size(memory)
        ),
        ..Default::default()
    }
}
