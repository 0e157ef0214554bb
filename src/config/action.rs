//! `[[action]]`: a recovery action's own keys (its kind's were compiled by its kind),
//! its budget, and the link of an action that acts on a process check's processes to
//! that check.

use std::time::Duration;

use super::document::ActionEntry;
use super::ids::Ids;
use super::{ActionConfig, CheckConfig};
use crate::budget::Budget;
use crate::diagnostic::Report;
use crate::model::ActionId;
use crate::probe::ProbeSpec;

/// How long an action may run when it does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// An action, its id taken among `ids`.
pub(super) fn compile(entry: ActionEntry, ids: &mut Ids, report: &mut Report<'_>) -> Option<ActionConfig> {
    let ActionEntry { raw, spec } = entry;
    let mut scope = report.scope(format!("action {:?}", raw.id.get_ref()), raw.kind.span());
    let fresh = ids.take(&mut scope, &raw.id);
    let timeout = raw.timeout.as_ref().and_then(|t| scope.duration("timeout", t));
    let default = Budget::default();
    let per = raw.per.as_ref().and_then(|p| scope.duration("per", p)).unwrap_or(default.per);
    if per.is_zero() {
        let span = raw.per.as_ref().map_or(raw.id.span(), |p| p.span());
        scope.error(&span, "per", "must be more than 0", "set `per`, e.g. `10m` (default 10m)");
    }
    let max_runs = scope.count("max_runs", raw.max_runs.as_ref(), default.max_runs, 1000);
    let spec = spec?;
    let id = ActionId::parse(raw.id.get_ref()).filter(|_| fresh)?;
    Some(ActionConfig {
        name: raw.name.unwrap_or_else(|| id.to_string()),
        id,
        spec,
        timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
        confirm: raw.confirm.unwrap_or(true),
        verify: raw.verify.unwrap_or(true),
        budget: Budget { max_runs, per },
    })
}

/// Gives each action that acts on a check's processes (`signal`, `restart` with
/// `check`) that check's matcher: it must be a process check of this file.
pub(super) fn link(
    actions: &mut [ActionConfig],
    checks: &[std::sync::Arc<CheckConfig>],
    check_ids: &Ids,
    report: &mut Report<'_>,
) {
    for action in actions {
        let label = format!("action {:?}", action.id.as_str());
        let Some((id, span, matcher)) = action.spec.process_check() else { continue };
        let mut scope = report.scope(label, span.clone());
        match checks.iter().find(|c| c.id.as_str() == id).map(|c| &**c) {
            Some(CheckConfig { probe: ProbeSpec::Process(found), .. }) => *matcher = Some(found.clone()),
            Some(other) => {
                let message = format_args!("check `{id}` is a {} check, not a process check", other.kind());
                scope.error(
                    &span,
                    "check",
                    message,
                    "name a `kind = \"process\"` check: the action acts on its processes",
                );
            }
            // Its own errors are reported already.
            None if check_ids.contains(id) => {}
            None => {
                check_ids.refer(&mut scope, "check", &toml::Spanned::new(span.clone(), id.to_owned()));
            }
        }
    }
}
