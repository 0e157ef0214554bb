//! `[[maintenance]]`: windows of time, recurring (a cron schedule in local time and a
//! duration) or fixed (a start and an end), each covering checks and groups the file
//! declares.

use std::time::Duration;

use chrono::{DateTime, Utc};
use toml::Spanned;

use super::ids::{Ids, What};
use super::raw::RawMaintenance;
use crate::diagnostic::{Report, Scope};
use crate::maintenance::{Cron, MaintenanceWindow, When};
use crate::model::CheckId;

/// The `[[maintenance]]` windows, their checks and groups checked against those the
/// file declares.
pub(super) fn windows(
    raw: Vec<RawMaintenance>,
    (checks, groups): (&Ids, &Ids),
    report: &mut Report<'_>,
) -> Vec<MaintenanceWindow> {
    let mut windows: Vec<MaintenanceWindow> = Vec::new();
    let mut ids = Ids::new(What::MaintenanceWindow);
    for entry in raw {
        let mut scope = report.scope(format!("maintenance {:?}", entry.id.get_ref()), entry.id.span());
        if !ids.take(&mut scope, &entry.id) {
            continue;
        }
        let covered: Vec<CheckId> = checks
            .refer_all(&mut scope, "checks", entry.checks.as_deref().unwrap_or_default())
            .iter()
            .filter_map(|id| CheckId::parse(id))
            .collect();
        let covered_groups = groups.refer_all(&mut scope, "groups", entry.groups.as_deref().unwrap_or_default());
        if entry.checks.as_ref().is_none_or(Vec::is_empty) && entry.groups.as_ref().is_none_or(Vec::is_empty) {
            scope.needs("checks", "add `checks = [\"db\"]` or `groups = [\"shop\"]`: the checks it is about");
        }
        let Some(when) = when(&entry, &mut scope) else { continue };
        windows.push(MaintenanceWindow {
            id: entry.id.into_inner(),
            checks: covered,
            groups: covered_groups,
            when,
            reason: entry.reason.map(Spanned::into_inner),
        });
    }
    windows
}

/// `schedule` + `duration`, or `start` + `end`.
fn when(entry: &RawMaintenance, scope: &mut Scope<'_, '_>) -> Option<When> {
    match (&entry.schedule, &entry.start) {
        (Some(schedule), None) => {
            for (key, given) in [("end", &entry.end)] {
                if let Some(given) = given {
                    let message = format_args!("`{key}` goes with `start`, not with `schedule`");
                    scope.error(&given.span(), key, message, "remove it: a recurring window lasts `duration`");
                }
            }
            let cron = match Cron::parse(schedule.get_ref()) {
                Ok(cron) => Some(cron),
                Err(why) => {
                    scope.error(
                        &schedule.span(),
                        "schedule",
                        why,
                        "write 5 fields in local time, e.g. `0 2 * * sun` (Sundays at 02:00)",
                    );
                    None
                }
            };
            let Some(given) = &entry.duration else {
                scope.needs("duration", "add how long each window lasts, e.g. `duration = \"2h\"`");
                return None;
            };
            let duration = scope.duration("duration", given)?;
            if duration < Duration::from_secs(60) || duration > Duration::from_secs(31 * 86_400) {
                scope.error(&given.span(), "duration", "must be 1m to 31d", "set e.g. `duration = \"2h\"`");
                return None;
            }
            Some(When::Recurring { cron: cron?, duration })
        }
        (None, Some(start)) => {
            if let Some(given) = &entry.duration {
                let message = "`duration` goes with `schedule`; a fixed window has `end`";
                scope.error(&given.span(), "duration", message, "replace it with `end`, an RFC 3339 time");
            }
            let start_at = instant(scope, "start", start);
            let Some(end) = &entry.end else {
                scope.needs("end", "add `end`, e.g. `end = \"2026-12-24T20:00:00+01:00\"`");
                return None;
            };
            let end_at = instant(scope, "end", end)?;
            let start_at = start_at?;
            if end_at <= start_at {
                scope.error(&end.span(), "end", "is not after `start`", "make the window end after it starts");
                return None;
            }
            Some(When::Fixed { start: start_at, end: end_at })
        }
        (Some(schedule), Some(_)) => {
            let message = "give either `schedule` (with `duration`) or `start` (with `end`), not both";
            scope.error(&schedule.span(), "schedule", message, "keep the one you mean");
            None
        }
        (None, None) => {
            scope.needs(
                "schedule",
                "add `schedule = \"0 2 * * sun\"` with `duration = \"2h\"`, or `start` and `end` (RFC 3339)",
            );
            None
        }
    }
}

fn instant(scope: &mut Scope<'_, '_>, key: &str, value: &Spanned<String>) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(value.get_ref()) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(e) => {
            let message = format_args!("`{}` is not an RFC 3339 time: {e}", value.get_ref());
            scope.error(&value.span(), key, message, "write e.g. `2026-12-24T18:00:00+01:00`");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::config::compile::tests::check;

    #[test]
    fn windows_are_recurring_or_fixed_over_checks_and_groups_the_file_has() {
        check(
            r#"
[[check]]
id = "a"
kind = "tcp"
host = "127.0.0.1"
port = 1

[[maintenance]]
id = "m"

[[maintenance]]
id = "nightly"
checks = ["a", "b"]
groups = ["shop"]
schedule = "0 25 * * *"
duration = "30s"
end = "2026-01-01T00:00:00Z"

[[maintenance]]
id = "move"
checks = ["a"]
start = "2026-12-24 18:00"
end = "2026-12-24T17:00:00Z"
duration = "1h"

[[maintenance]]
id = "both"
checks = ["a"]
schedule = "@daily"
start = "2026-12-24T18:00:00Z"

[[maintenance]]
id = "backwards"
checks = ["a"]
start = "2026-12-24T18:00:00Z"
end = "2026-12-24T17:00:00Z"

[[maintenance]]
id = "nightly"
checks = ["a"]
schedule = "@daily"
duration = "1h"
every = "day"
"#,
            expect![[r#"
                13 errors in config
                wk.toml:9:6: maintenance "m": needs `checks`
                  help: add `checks = ["db"]` or `groups = ["shop"]`: the checks it is about
                wk.toml:9:6: maintenance "m": needs `schedule`
                  help: add `schedule = "0 2 * * sun"` with `duration = "2h"`, or `start` and `end` (RFC 3339)
                wk.toml:13:16: maintenance "nightly": checks: unknown check `b`
                  help: name a check defined in this file
                wk.toml:14:11: maintenance "nightly": groups: unknown group `shop`
                  help: name a `group` some check has
                wk.toml:15:12: maintenance "nightly": schedule: hour 25 is out of range 0-23
                  help: write 5 fields in local time, e.g. `0 2 * * sun` (Sundays at 02:00)
                wk.toml:16:12: maintenance "nightly": duration: must be 1m to 31d
                  help: set e.g. `duration = "2h"`
                wk.toml:17:7: maintenance "nightly": end: `end` goes with `start`, not with `schedule`
                  help: remove it: a recurring window lasts `duration`
                wk.toml:22:9: maintenance "move": start: `2026-12-24 18:00` is not an RFC 3339 time: premature end of input
                  help: write e.g. `2026-12-24T18:00:00+01:00`
                wk.toml:24:12: maintenance "move": duration: `duration` goes with `schedule`; a fixed window has `end`
                  help: replace it with `end`, an RFC 3339 time
                wk.toml:29:12: maintenance "both": schedule: give either `schedule` (with `duration`) or `start` (with `end`), not both
                  help: keep the one you mean
                wk.toml:36:7: maintenance "backwards": end: is not after `start`
                  help: make the window end after it starts
                wk.toml:39:6: maintenance "nightly": id: duplicate id, first defined on line 12
                  help: give every maintenance window a unique id
                wk.toml:43:1: maintenance "nightly": unknown key `every`
                  help: `watchkeeper config schema` lists every key
            "#]],
        );
    }
}
