//! `kind = "scripted"`, in the crate's own tests only: a probe that plays a script
//! (`script = ["up", "down", "slow:2s", "hang", "error", "panic"]`, the last step
//! repeating) and counts its calls, so the engine's timing can be tested in paused
//! tokio time, where a real target's I/O would race the virtual clock. Every real kind
//! is tested against real targets in `tests/it/probes.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{FailureClass, Observation};

pub const NAME: &str = "scripted";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#""#;
pub const FIELDS: &[&str] = &["latency"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

/// The keys of a scripted check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The steps, played in order; the last repeats.
    pub script: Vec<String>,
}

#[derive(Debug, Clone)]
enum Step {
    Up,
    Down,
    Error,
    Slow(Duration),
    Hang,
    Panic,
}

#[derive(Debug, Clone)]
pub struct Spec {
    steps: Arc<Vec<Step>>,
    calls: Arc<AtomicUsize>,
}

impl Spec {
    /// How many times it was probed.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let mut steps = Vec::new();
    for step in &keys.script {
        steps.push(match step.as_str() {
            "up" => Step::Up,
            "down" => Step::Down,
            "error" => Step::Error,
            "hang" => Step::Hang,
            "panic" => Step::Panic,
            other => match other.strip_prefix("slow:").map(crate::units::parse_duration) {
                Some(Ok(delay)) => Step::Slow(delay),
                _ => {
                    scope.error(&scope.anchor(), "script", format_args!("unknown step `{other}`"), "");
                    return None;
                }
            },
        });
    }
    if steps.is_empty() {
        scope.needs("script", "");
        return None;
    }
    Some(Spec { steps: Arc::new(steps), calls: Arc::new(AtomicUsize::new(0)) })
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    Vec::new()
}

pub fn target(spec: &Spec) -> String {
    format!("a script of {} steps", spec.steps.len())
}

pub fn remote(_: &Spec) -> bool {
    true
}

pub async fn probe(spec: &Spec, _: &ProbeContext, _: Duration, _: Duration) -> Observation {
    let call = spec.calls.fetch_add(1, Ordering::SeqCst);
    let step = spec.steps.get(call).or(spec.steps.last()).cloned().unwrap_or(Step::Up);
    let up = |latency| Observation { latency: Some(latency), summary: "up".into(), ..Default::default() };
    match step {
        Step::Up => up(Duration::from_millis(1)),
        Step::Down => Observation::failed(FailureClass::Refused, "connection refused"),
        Step::Error => Observation::failed(FailureClass::ProbeError, "the script says error"),
        Step::Slow(delay) => {
            tokio::time::sleep(delay).await;
            up(delay)
        }
        Step::Hang => std::future::pending().await,
        Step::Panic => panic!("the script says panic"),
    }
}
