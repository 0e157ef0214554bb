//! Alerting: what is told, to whom, and how it gets there.
//!
//! - `policy`: the alert policy as a pure rule taking `now` (grouping, dependency
//!   suppression, silences, reminders, quiet hours, maintenance, flapping, the
//!   network): what happened goes in, decisions come out, each sent or held and why;
//! - `channel`: the channel kinds (`desktop`, `webhook`, `command`, `alertmanager`),
//!   one module each with its keys, how they compile and its delivery, listed once in
//!   `channel::kinds!` as probe and action kinds are.
//!
//! The engine wires them: it offers what happens, records every decision, and runs
//! the deliveries (`engine::alerting`). Nothing here touches the store or the checks.

pub mod channel;
mod policy;

pub use policy::*;

/// When a snooze (`15m`, `1h`, `4h`, `tomorrow`) started at `now` ends: a while from
/// now, or tomorrow at 08:00 in `zone`. `None` for a code that is not one.
pub fn snooze_until(
    code: &str,
    now: chrono::DateTime<chrono::Utc>,
    zone: &dyn crate::clock::Zone,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let span = match code {
        "15m" => chrono::Duration::minutes(15),
        "1h" => chrono::Duration::hours(1),
        "4h" => chrono::Duration::hours(4),
        "tomorrow" => {
            let morning = (zone.local(now).date() + chrono::Days::new(1)).and_hms_opt(8, 0, 0)?;
            return zone.instant(morning);
        }
        _ => return None,
    };
    Some(now + span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snooze_ends_a_while_from_now_or_tomorrow_at_eight_local() {
        use chrono::TimeZone;
        let zone = crate::clock::FixedZone(chrono::FixedOffset::east_opt(3600).unwrap());
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 22, 30, 0).unwrap();
        assert_eq!(snooze_until("1h", now, &zone), Some(now + chrono::Duration::hours(1)));
        let morning = snooze_until("tomorrow", now, &zone).expect("an end");
        assert_eq!(morning.to_rfc3339(), "2026-12-03T07:00:00+00:00", "08:00 tomorrow in the zone, 23:30 there now");
        assert_eq!(snooze_until("forever", now, &zone), None);
    }
}
