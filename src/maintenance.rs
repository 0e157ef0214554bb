//! Maintenance windows: spans of local time when some checks are being worked on.
//! Inside one a check shows `maintenance`: it is still probed and recorded, but opens
//! no incident and notifies nobody; a check still down when its window ends opens its
//! incident then. A window recurs on a 5-field cron schedule for a `duration`, or is
//! one fixed span. Pure: `now` and the zone are arguments.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};

use crate::clock::Zone;
use crate::model::CheckId;

/// A `[[maintenance]]` window.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceWindow {
    pub id: String,
    pub checks: Vec<CheckId>,
    pub groups: Vec<String>,
    pub when: When,
    /// Why, for people (shown with the window).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum When {
    /// From each time the schedule names (local time), for `duration`.
    Recurring { cron: Cron, duration: Duration },
    /// Once.
    Fixed { start: DateTime<Utc>, end: DateTime<Utc> },
}

/// One span of a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl MaintenanceWindow {
    /// Whether the window is about this check (named, or through its group).
    pub fn covers(&self, check: &CheckId, group: Option<&str>) -> bool {
        self.checks.contains(check) || group.is_some_and(|g| self.groups.iter().any(|w| w == g))
    }

    /// The span `now` is in, if any.
    pub fn active(&self, now: DateTime<Utc>, zone: &dyn Zone) -> Option<Span> {
        match &self.when {
            When::Fixed { start, end } => (*start <= now && now < *end).then_some(Span { start: *start, end: *end }),
            When::Recurring { cron, duration } => {
                let start = cron.last(now, zone)?;
                let end = crate::clock::later(start, *duration);
                (now < end).then_some(Span { start, end })
            }
        }
    }

    /// The next span to start after `now`.
    pub fn next(&self, now: DateTime<Utc>, zone: &dyn Zone) -> Option<Span> {
        match &self.when {
            When::Fixed { start, end } => (now < *start).then_some(Span { start: *start, end: *end }),
            When::Recurring { cron, duration } => {
                let start = cron.next(now, zone)?;
                Some(Span { start, end: crate::clock::later(start, *duration) })
            }
        }
    }

    /// When [`active`](Self::active) can next change, given the span it is in now
    /// (`active`'s answer): the end of that span, or the next start.
    pub fn next_edge(&self, active: Option<Span>, now: DateTime<Utc>, zone: &dyn Zone) -> Option<DateTime<Utc>> {
        match active {
            // A later start within this span moves its end: wake then too.
            Some(span) => Some(self.next(now, zone).map_or(span.end, |next| next.start.min(span.end))),
            None => self.next(now, zone).map(|next| next.start),
        }
    }
}

/// A 5-field cron schedule (minute, hour, day of month, month, day of week), much as
/// crontab(5) has it: `*`, lists, ranges, steps, month and day names, and `@hourly`, `@daily`,
/// `@weekly`, `@monthly`, `@yearly`. A day matches when the day of month or the day of
/// week does, if both are restricted (anything but `*` restricts, `*/2` too).
#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    source: String,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    any_day: bool,
    any_weekday: bool,
}

/// A schedule's fields as the values each names: minutes 0–59, hours 0–23, months 1–12;
/// `days` (1–31) and `weekdays` (0 Sunday – 6) empty when they restrict nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct CronFields {
    pub minutes: Vec<u32>,
    pub hours: Vec<u32>,
    pub days: Vec<u32>,
    pub months: Vec<u32>,
    pub weekdays: Vec<u32>,
}

/// Why a schedule was refused, in words for the config's error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct CronError(String);

/// How far [`Cron`] looks for the next or last time before it gives up (a schedule such
/// as `0 0 30 2 *` never comes).
const HORIZON_DAYS: i64 = 5 * 366;

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        let expanded = match text.trim() {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            "@monthly" => "0 0 1 * *",
            "@yearly" | "@annually" => "0 0 1 1 *",
            other if other.starts_with('@') => {
                return Err(CronError(format!(
                    "unknown shorthand `{other}`: use @hourly, @daily, @weekly, @monthly or @yearly"
                )))
            }
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(CronError(format!(
                "has {} fields, not 5: minute hour day-of-month month day-of-week, e.g. `0 2 * * sun`",
                fields.len()
            )));
        };
        let weekdays = field(weekday, "day of week", 0, 7, &WEEKDAYS)?;
        let cron = Cron {
            source: text.trim().to_owned(),
            minutes: field(minute, "minute", 0, 59, &[])?,
            hours: field(hour, "hour", 0, 23, &[])?,
            days: field(day, "day of month", 1, 31, &[])?,
            months: field(month, "month", 1, 12, &MONTHS)?,
            // 7 is Sunday too.
            weekdays: (weekdays | (weekdays >> 7)) & 0x7f,
            any_day: day == "*",
            any_weekday: weekday == "*",
        };
        if cron.next_local(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default().into()).is_none() {
            return Err(CronError(format!("`{}` never happens (no such date)", cron.source)));
        }
        Ok(cron)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// What it names, field by field, for words (`words::cron`).
    pub fn fields(&self) -> CronFields {
        let list = |set: u64, from: u32, to: u32| (from..=to).filter(|n| bit(set, *n)).collect();
        CronFields {
            minutes: list(self.minutes, 0, 59),
            hours: list(self.hours, 0, 23),
            days: if self.any_day { Vec::new() } else { list(self.days, 1, 31) },
            months: list(self.months, 1, 12),
            weekdays: if self.any_weekday { Vec::new() } else { list(self.weekdays, 0, 6) },
        }
    }

    /// The first time the schedule names after `after`.
    pub fn next(&self, after: DateTime<Utc>, zone: &dyn Zone) -> Option<DateTime<Utc>> {
        let mut local = zone.local(after);
        // Past a local hour that comes twice, minute by minute at worst.
        for _ in 0..128 {
            let named = self.next_local(local)?;
            match self.instant(named, zone) {
                Some(at) if at > after => return Some(at),
                _ => local = named,
            }
        }
        None
    }

    /// The last time the schedule named at or before `at`.
    pub fn last(&self, at: DateTime<Utc>, zone: &dyn Zone) -> Option<DateTime<Utc>> {
        let mut local = zone.local(at);
        for _ in 0..128 {
            let named = self.last_local(local)?;
            match self.instant(named, zone) {
                Some(instant) if instant <= at => return Some(instant),
                _ => local = named - chrono::Duration::minutes(1),
            }
        }
        None
    }

    /// A local time as an instant; one skipped when the clocks went forward happens at
    /// the first minute after the change (as cron does).
    fn instant(&self, local: NaiveDateTime, zone: &dyn Zone) -> Option<DateTime<Utc>> {
        (0..=180).find_map(|m| zone.instant(local + chrono::Duration::minutes(m)))
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let day = bit(self.days, date.day());
        let weekday = bit(self.weekdays, date.weekday().num_days_from_sunday());
        match (self.any_day, self.any_weekday) {
            (true, true) => true,
            (true, false) => weekday,
            (false, true) => day,
            (false, false) => day || weekday,
        }
    }

    /// The first local minute the schedule names after `after`.
    fn next_local(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        let limit = after + chrono::Duration::days(HORIZON_DAYS);
        let mut t = minute_of(after) + chrono::Duration::minutes(1);
        while t <= limit {
            let date = t.date();
            if !bit(self.months, date.month()) {
                let (year, month) =
                    if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
                t = NaiveDate::from_ymd_opt(year, month, 1)?.into();
            } else if !self.day_matches(date) {
                t = date.succ_opt()?.into();
            } else if !bit(self.hours, t.hour()) {
                t = hour_of(t) + chrono::Duration::hours(1);
            } else {
                match (t.minute()..60).find(|m| bit(self.minutes, *m)) {
                    Some(m) => return Some(hour_of(t) + chrono::Duration::minutes(i64::from(m))),
                    None => t = hour_of(t) + chrono::Duration::hours(1),
                }
            }
        }
        None
    }

    /// The last local minute the schedule names at or before `at`.
    fn last_local(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        let limit = at - chrono::Duration::days(HORIZON_DAYS);
        let mut t = minute_of(at);
        while t >= limit {
            let date = t.date();
            let minute = chrono::Duration::minutes(1);
            if !bit(self.months, date.month()) {
                t = NaiveDateTime::from(NaiveDate::from_ymd_opt(date.year(), date.month(), 1)?) - minute;
            } else if !self.day_matches(date) {
                t = NaiveDateTime::from(date) - minute;
            } else if !bit(self.hours, t.hour()) {
                t = hour_of(t) - minute;
            } else {
                match (0..=t.minute()).rev().find(|m| bit(self.minutes, *m)) {
                    Some(m) => return Some(hour_of(t) + chrono::Duration::minutes(i64::from(m))),
                    None => t = hour_of(t) - minute,
                }
            }
        }
        None
    }
}

fn refuse<T>(why: String) -> Result<T, CronError> {
    Err(CronError(why))
}

fn bit(set: u64, n: u32) -> bool {
    n < 64 && set & (1 << n) != 0
}

fn minute_of(t: NaiveDateTime) -> NaiveDateTime {
    t.date().and_hms_opt(t.hour(), t.minute(), 0).unwrap_or(t)
}

fn hour_of(t: NaiveDateTime) -> NaiveDateTime {
    t.date().and_hms_opt(t.hour(), 0, 0).unwrap_or(t)
}

/// One field's values as a bit set: `*`, `5`, `1-5`, `*/15`, `10-40/10`, lists of those,
/// and names (`mon`, `jan`) where `names` gives them (the first is `low`).
fn field(text: &str, what: &str, low: u32, high: u32, names: &[&str]) -> Result<u64, CronError> {
    let value = |word: &str| -> Result<u32, CronError> {
        let lower = word.to_ascii_lowercase();
        if let Some(i) = names.iter().position(|n| *n == lower) {
            return Ok(low + i as u32);
        }
        match word.parse::<u32>() {
            Ok(n) if (low..=high).contains(&n) => Ok(n),
            Ok(n) => refuse(format!("{what} {n} is out of range {low}-{high}")),
            Err(_) if !names.is_empty() => refuse(format!(
                "{what} `{word}` is not a number from {low} to {high} or a name ({}…)",
                names[..3].join(", ")
            )),
            Err(_) => refuse(format!("{what} `{word}` is not a number from {low} to {high}")),
        }
    };
    let mut set = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => match step.parse::<u32>() {
                Ok(step) if step > 0 => (range, step),
                _ => return refuse(format!("{what} step `{step}` must be a whole number above 0")),
            },
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" => (low, high),
            _ => match range.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                // `5/15`: from 5 to the end, every 15.
                None if part.contains('/') => (value(range)?, high),
                None => {
                    let n = value(range)?;
                    (n, n)
                }
            },
        };
        if from > to {
            return refuse(format!("{what} range `{range}` runs backwards: write the smaller value first"));
        }
        for n in (from..=to).step_by(step as usize) {
            set |= 1 << n;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Central Europe in 2026: +1, +2 from 29 March 01:00 UTC to 25 October 01:00 UTC.
    struct Cet;

    impl Cet {
        fn offset(at: DateTime<Utc>) -> i64 {
            let summer = Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()
                ..Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap();
            if summer.contains(&at) {
                2
            } else {
                1
            }
        }
    }

    impl Zone for Cet {
        fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
            (at + chrono::Duration::hours(Cet::offset(at))).naive_utc()
        }

        fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
            [2, 1].into_iter().map(|h| local.and_utc() - chrono::Duration::hours(h)).find(|at| self.local(*at) == local)
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn local(at: Option<DateTime<Utc>>) -> String {
        at.map_or("never".to_owned(), |at| Cet.local(at).format("%a %Y-%m-%d %H:%M").to_string())
    }

    /// The next three times after `from` (UTC), in local time.
    fn nexts(cron: &str, from: &str) -> String {
        let cron = Cron::parse(cron).unwrap();
        let mut at = utc(from);
        let mut out = Vec::new();
        for _ in 0..3 {
            match cron.next(at, &Cet) {
                Some(next) => {
                    out.push(local(Some(next)));
                    at = next;
                }
                None => out.push("never".to_owned()),
            }
        }
        out.join(" | ")
    }

    #[test]
    fn schedules_name_the_times_crontab_does() {
        let from = "2026-05-13T10:07:30Z"; // Wednesday, 12:07:30 local
        assert_eq!(nexts("*/15 * * * *", from), "Wed 2026-05-13 12:15 | Wed 2026-05-13 12:30 | Wed 2026-05-13 12:45");
        assert_eq!(nexts("0 2 * * sun", from), "Sun 2026-05-17 02:00 | Sun 2026-05-24 02:00 | Sun 2026-05-31 02:00");
        assert_eq!(nexts("30 1 1,15 * *", from), "Fri 2026-05-15 01:30 | Mon 2026-06-01 01:30 | Mon 2026-06-15 01:30");
        assert_eq!(nexts("0 22 * * 1-5", from), "Wed 2026-05-13 22:00 | Thu 2026-05-14 22:00 | Fri 2026-05-15 22:00");
        assert_eq!(nexts("0 0 1 jan *", from), "Fri 2027-01-01 00:00 | Sat 2028-01-01 00:00 | Mon 2029-01-01 00:00");
        assert_eq!(nexts("@monthly", from), "Mon 2026-06-01 00:00 | Wed 2026-07-01 00:00 | Sat 2026-08-01 00:00");
        // Both days restricted: either matches (the 13th, or any Friday).
        assert_eq!(nexts("0 9 13 * fri", from), "Fri 2026-05-15 09:00 | Fri 2026-05-22 09:00 | Fri 2026-05-29 09:00");
        assert_eq!(nexts("0 0 29 2 *", from), "Tue 2028-02-29 00:00 | Sun 2032-02-29 00:00 | Fri 2036-02-29 00:00");
        assert_eq!(nexts("0 0 * * 7", from), "Sun 2026-05-17 00:00 | Sun 2026-05-24 00:00 | Sun 2026-05-31 00:00");
    }

    #[test]
    fn a_time_skipped_by_the_clocks_going_forward_happens_just_after() {
        // 29 March 2026: 02:00 local does not exist; 02:30 runs at 03:00 summer time.
        assert_eq!(
            nexts("30 2 * * *", "2026-03-28T12:00:00Z"),
            "Sun 2026-03-29 03:00 | Mon 2026-03-30 02:30 | Tue 2026-03-31 02:30"
        );
        // 25 October 2026: 02:30 comes twice; the schedule names it once.
        assert_eq!(
            nexts("30 2 * * *", "2026-10-24T12:00:00Z"),
            "Sun 2026-10-25 02:30 | Mon 2026-10-26 02:30 | Tue 2026-10-27 02:30"
        );
        let cron = Cron::parse("30 2 * * *").unwrap();
        assert_eq!(
            cron.next(utc("2026-10-24T12:00:00Z"), &Cet),
            Some(utc("2026-10-25T00:30:00Z")),
            "the first of the two"
        );
        assert_eq!(
            cron.last(utc("2026-03-29T01:10:00Z"), &Cet),
            Some(utc("2026-03-29T01:00:00Z")),
            "03:10 local: it ran at 03:00"
        );
    }

    #[test]
    fn bad_schedules_are_refused_with_what_is_wrong() {
        let refused = |text: &str| Cron::parse(text).unwrap_err().to_string();
        assert_eq!(
            refused("0 2 * *"),
            "has 4 fields, not 5: minute hour day-of-month month day-of-week, e.g. `0 2 * * sun`"
        );
        assert_eq!(refused("61 * * * *"), "minute 61 is out of range 0-59");
        assert_eq!(
            refused("0 2 * * funday"),
            "day of week `funday` is not a number from 0 to 7 or a name (sun, mon, tue…)"
        );
        assert_eq!(refused("*/0 * * * *"), "minute step `0` must be a whole number above 0");
        assert_eq!(refused("0 5-2 * * *"), "hour range `5-2` runs backwards: write the smaller value first");
        assert_eq!(refused("0 0 31 feb *"), "`0 0 31 feb *` never happens (no such date)");
        assert_eq!(
            refused("@fortnightly"),
            "unknown shorthand `@fortnightly`: use @hourly, @daily, @weekly, @monthly or @yearly"
        );
    }

    #[test]
    fn a_window_is_active_from_each_start_for_its_duration() {
        let window = MaintenanceWindow {
            id: "backup".into(),
            checks: vec![CheckId::parse("db").unwrap()],
            groups: vec!["shop".into()],
            when: When::Recurring { cron: Cron::parse("0 2 * * *").unwrap(), duration: Duration::from_secs(90 * 60) },
            reason: None,
        };
        // 02:00 local in May is 00:00 UTC.
        let at = |text: &str| utc(&format!("2026-05-13T{text}Z"));
        assert_eq!(window.active(at("23:59:59").checked_sub_signed(chrono::Duration::days(1)).unwrap(), &Cet), None);
        let span = Span { start: at("00:00:00"), end: at("01:30:00") };
        assert_eq!(window.active(at("00:00:00"), &Cet), Some(span), "from its start");
        assert_eq!(window.active(at("01:29:59"), &Cet), Some(span));
        assert_eq!(window.active(at("01:30:00"), &Cet), None, "until its end, not including it");
        assert_eq!(
            window.next_edge(window.active(at("00:10:00"), &Cet), at("00:10:00"), &Cet),
            Some(at("01:30:00")),
            "active: its end"
        );
        assert_eq!(
            window.next_edge(window.active(at("01:30:00"), &Cet), at("01:30:00"), &Cet),
            Some(utc("2026-05-14T00:00:00Z")),
            "then the next start"
        );
        assert!(window.covers(&CheckId::parse("db").unwrap(), None));
        assert!(window.covers(&CheckId::parse("cart").unwrap(), Some("shop")), "through its group");
        assert!(!window.covers(&CheckId::parse("cart").unwrap(), Some("blog")));

        let fixed = MaintenanceWindow { when: When::Fixed { start: at("10:00:00"), end: at("11:00:00") }, ..window };
        assert_eq!(fixed.active(at("09:59:59"), &Cet), None);
        assert_eq!(fixed.next(at("09:00:00"), &Cet).map(|s| s.start), Some(at("10:00:00")));
        assert_eq!(fixed.active(at("10:30:00"), &Cet).map(|s| s.end), Some(at("11:00:00")));
        assert_eq!(
            fixed.next_edge(fixed.active(at("11:00:00"), &Cet), at("11:00:00"), &Cet),
            None,
            "over: nothing more"
        );
    }

    /// The span's end is a sum of a time and a duration: past the end of time, it
    /// stops there.
    #[test]
    fn a_window_longer_than_time_ends_at_its_end() {
        let when = When::Recurring { cron: Cron::parse("0 2 * * *").unwrap(), duration: Duration::MAX };
        let window = MaintenanceWindow { id: "forever".into(), checks: vec![], groups: vec![], when, reason: None };
        let now = utc("2026-05-13T12:00:00Z");
        assert_eq!(window.active(now, &Cet).map(|s| s.end), Some(DateTime::<Utc>::MAX_UTC));
        assert_eq!(window.next(now, &Cet).map(|s| s.end), Some(DateTime::<Utc>::MAX_UTC));
    }
}
