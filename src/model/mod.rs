//! The domain vocabulary shared by every layer: ids, results, failures, statuses.
//!
//! Plain data with no I/O. Wire shapes live in `api::dto`, not here: these types are
//! not serialized to the API directly.

mod failure;
mod result;
mod status;

pub use failure::{Failure, FailureClass};
pub use result::{Observation, ProbeResult, Value, Verdict};
pub use status::{GroupLevel, Status};

use std::fmt;
use std::sync::Arc;

/// A check's id from config: letters, digits, `-` and `_`. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckId(Arc<str>);

impl CheckId {
    /// Accepts only valid ids; config compilation reports the rest.
    pub fn parse(text: &str) -> Option<CheckId> {
        is_valid_id(text).then(|| CheckId(Arc::from(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An id is non-empty, at most 64 characters, of letters, digits, `-` and `_`.
pub fn is_valid_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
