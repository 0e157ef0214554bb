//! The domain vocabulary shared by every layer: ids, results, failures, statuses,
//! breaker states, action runs, and the stable codes they are stored under.
//!
//! Plain data with no I/O. Wire shapes live in `api::dto`, not here: these types are
//! not serialized to the API directly.

mod action;
mod alert;
mod code;
mod failure;
mod health;
mod result;
mod status;

pub use action::{Plan, PlanFile, Quarantined, Requester, RunStatus};
pub use alert::{NotifyEvent, Outcome, Severity, Suppressed};
pub(crate) use code::codes;
pub use code::Code;
pub use failure::{Failure, FailureClass};
pub use health::{HealthWord, ServiceBreaker, ServiceBreakers, ServiceComponent, ServiceHealth};
pub use result::{Observation, ProbeResult, Value, Verdict};
pub use status::{BreakerState, GroupLevel, Status};

use std::fmt;
use std::sync::Arc;

/// Declares an id newtype: letters, digits, `-` and `_`, cheap to clone, looked up by
/// `&str` in maps.
macro_rules! id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Accepts only valid ids; config compilation reports the rest.
            pub fn parse(text: &str) -> Option<$name> {
                is_valid_id(text).then(|| $name(Arc::from(text)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

id! {
    /// A check's id from config.
    CheckId
}

id! {
    /// An action's id from config.
    ActionId
}

/// `text` as an id, or a piece of one: lowercase letters, digits and `_`, any other run
/// of characters one `-`, none at either end, at most `max` characters; `fallback` when
/// nothing is left. What bulk adds, suggestions and imports name their checks with.
pub fn id_slug(text: &str, max: usize, fallback: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '-' };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    let out: String = out.trim_matches('-').chars().take(max).collect();
    match out.trim_end_matches('-') {
        "" => fallback.to_owned(),
        out => out.to_owned(),
    }
}

/// `stem`, or `stem-2`, `stem-3`, …: the first id `taken` says is free.
pub fn unique_id(stem: &str, taken: impl Fn(&str) -> bool) -> String {
    (1..)
        .map(|n| if n == 1 { stem.to_owned() } else { format!("{stem}-{n}") })
        .find(|id| !taken(id))
        .unwrap_or_else(|| stem.to_owned())
}

/// An id is non-empty, at most 64 characters, of letters, digits, `-` and `_`.
pub fn is_valid_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
