//! Rollups: each check's results per minute, hour and UTC day (`rollup_minute`,
//! `rollup_hour`, `rollup_day`), added up by the writer as it commits the results and
//! written every `WRITE_EVERY` (and at a flush or a stop), with the id of the last
//! result they hold (`rollup_mark`), in one transaction: a check probed every second
//! costs three row updates every ten seconds, not every second. Results committed after
//! the mark (the process was killed before the rows were written) are rolled up when
//! the next writer starts, so rollups and results never disagree for long and agree
//! after every start. Charts over long ranges and uptime windows read them, not the results; they
//! lag the results by `WRITE_EVERY` at most.
//!
//! A rollup holds the count of results by status, the time the check was down, the
//! latency's sum, highest and a sketch of its distribution, and the measured value's
//! sum and highest. Counts, sums and highest values are exact. Quantiles come from the
//! sketch: latencies fall in logarithmic bins (DDSketch's), so a quantile is within 1%
//! (`ALPHA`) of the true one, whatever the range, and two sketches merge exactly: a
//! point over many rows is as accurate as one row.
//!
//! Downtime: the time from a `down` result to the check's next result (at most
//! `MAX_GAP`), split across the minutes and hours it spans. A pause forgets the last
//! result, so a paused check's silence is not counted; so does a restart.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::model::{CheckId, Status};

/// The sketch's relative error: a quantile is within 1% of the true value.
pub const ALPHA: f64 = 0.01;
/// The longest gap after a `down` result counted as downtime: past it the check was
/// likely not watched (removed from the config, the clock stepped).
pub const MAX_GAP_MS: i64 = 86_400_000;

/// How often the writer writes the rollups it added up.
pub const WRITE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// The rows held in memory past which they are written sooner (a burst of checks, or
/// of late results spread over many slots).
pub const HELD_ROWS: usize = 65_536;

/// A rollup's span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolution {
    Minute,
    Hour,
    /// A UTC day.
    Day,
}

impl Resolution {
    pub const ALL: [Resolution; 3] = [Resolution::Minute, Resolution::Hour, Resolution::Day];

    pub fn ms(self) -> i64 {
        match self {
            Resolution::Minute => 60_000,
            Resolution::Hour => 3_600_000,
            Resolution::Day => 86_400_000,
        }
    }

    /// The start of the first slot at or after `at_ms`.
    pub fn ceil(self, at_ms: i64) -> i64 {
        self.slot(at_ms.saturating_add(self.ms() - 1))
    }

    /// The start of the slot holding `at_ms`.
    pub fn slot(self, at_ms: i64) -> i64 {
        at_ms.div_euclid(self.ms()) * self.ms()
    }

    fn table(self) -> &'static str {
        match self {
            Resolution::Minute => "rollup_minute",
            Resolution::Hour => "rollup_hour",
            Resolution::Day => "rollup_day",
        }
    }
}

/// A latency distribution in logarithmic bins: bin `i` holds values in
/// `(γ^(i-1), γ^i]` µs, with `γ = (1+α)/(1-α)`; values under 1 µs are counted apart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sketch {
    zeros: u64,
    /// `(bin, count)`, by bin.
    bins: Vec<(u16, u64)>,
}

fn ln_gamma() -> f64 {
    ((1.0 + ALPHA) / (1.0 - ALPHA)).ln()
}

impl Sketch {
    fn bin(us: i64) -> Option<u16> {
        if us < 1 {
            return None;
        }
        let bin = ((us as f64).ln() / ln_gamma()).ceil();
        Some(bin.clamp(0.0, f64::from(u16::MAX)) as u16)
    }

    pub fn add(&mut self, us: i64) {
        self.add_n(Sketch::bin(us), 1);
    }

    fn add_n(&mut self, bin: Option<u16>, n: u64) {
        let Some(bin) = bin else {
            self.zeros = self.zeros.saturating_add(n);
            return;
        };
        match self.bins.binary_search_by_key(&bin, |(b, _)| *b) {
            Ok(at) => self.bins[at].1 = self.bins[at].1.saturating_add(n),
            Err(at) => self.bins.insert(at, (bin, n)),
        }
    }

    pub fn merge(&mut self, other: &Sketch) {
        self.zeros = self.zeros.saturating_add(other.zeros);
        if self.bins.is_empty() {
            self.bins.clone_from(&other.bins);
            return;
        }
        for &(bin, n) in &other.bins {
            self.add_n(Some(bin), n);
        }
    }

    pub fn count(&self) -> u64 {
        self.bins.iter().fold(self.zeros, |sum, (_, n)| sum.saturating_add(*n))
    }

    /// The `q` quantile (0 to 1) in µs: within `ALPHA` of the value ranked
    /// `⌊q·(n-1)⌋` among the `n` sorted values.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * (count - 1) as f64).floor() as u64;
        if rank < self.zeros {
            return Some(0.0);
        }
        let mut seen = self.zeros;
        for &(bin, n) in &self.bins {
            seen = seen.saturating_add(n);
            if seen > rank {
                let gamma = ln_gamma().exp();
                return Some((f64::from(bin) * ln_gamma()).exp() * 2.0 / (gamma + 1.0));
            }
        }
        None
    }

    /// Varints: the zeros, then each bin as its distance from the last and its count.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.bins.len() * 3);
        varint(&mut out, self.zeros);
        let mut last = 0u16;
        for &(bin, n) in &self.bins {
            varint(&mut out, u64::from(bin - last));
            varint(&mut out, n);
            last = bin;
        }
        out
    }

    /// `None` for bytes `encode` never writes.
    pub fn decode(bytes: &[u8]) -> Option<Sketch> {
        let mut at = 0;
        let zeros = read_varint(bytes, &mut at)?;
        let mut bins = Vec::new();
        let mut last = 0u64;
        while at < bytes.len() {
            let bin = last.checked_add(read_varint(bytes, &mut at)?)?;
            if bin > u64::from(u16::MAX) || (!bins.is_empty() && bin == last) {
                return None;
            }
            bins.push((bin as u16, read_varint(bytes, &mut at)?));
            last = bin;
        }
        Some(Sketch { zeros, bins })
    }
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        n |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// One check's results over a span (a rollup row, or rows merged for a chart's point).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollup {
    pub count: u64,
    pub up: u64,
    pub degraded: u64,
    pub down: u64,
    pub unknown: u64,
    pub downtime_ms: i64,
    pub latency_count: u64,
    pub latency_sum_us: i64,
    pub latency_max_us: Option<i64>,
    pub latency: Sketch,
    pub value_count: u64,
    pub value_sum: f64,
    pub value_max: Option<f64>,
}

impl Rollup {
    /// Counts one result.
    pub fn add(&mut self, status: Status, latency_us: Option<i64>, value: Option<f64>) {
        self.count += 1;
        match status {
            Status::Up => self.up += 1,
            Status::Degraded => self.degraded += 1,
            Status::Down => self.down += 1,
            // Results are never paused or in maintenance; counted as unknown if one is.
            Status::Unknown | Status::Paused | Status::Maintenance => self.unknown += 1,
        }
        if let Some(us) = latency_us {
            self.latency_count += 1;
            self.latency_sum_us = self.latency_sum_us.saturating_add(us);
            self.latency_max_us = Some(self.latency_max_us.map_or(us, |m| m.max(us)));
            self.latency.add(us);
        }
        if let Some(value) = value.filter(|v| v.is_finite()) {
            self.value_count += 1;
            self.value_sum += value;
            self.value_max = Some(self.value_max.map_or(value, |m| m.max(value)));
        }
    }

    pub fn merge(&mut self, other: &Rollup) {
        self.count += other.count;
        self.up += other.up;
        self.degraded += other.degraded;
        self.down += other.down;
        self.unknown += other.unknown;
        self.downtime_ms = self.downtime_ms.saturating_add(other.downtime_ms);
        self.latency_count += other.latency_count;
        self.latency_sum_us = self.latency_sum_us.saturating_add(other.latency_sum_us);
        self.latency_max_us = self.latency_max_us.max(other.latency_max_us);
        self.latency.merge(&other.latency);
        self.value_count += other.value_count;
        self.value_sum += other.value_sum;
        if let Some(max) = other.value_max {
            self.value_max = Some(self.value_max.map_or(max, |m| m.max(max)));
        }
    }

    /// Results that failed: `down`.
    pub fn failures(&self) -> u64 {
        self.down
    }

    /// The share of known results that were up or degraded, in percent.
    pub fn uptime_pct(&self) -> Option<f64> {
        let known = self.up + self.degraded + self.down;
        (known > 0).then(|| (self.up + self.degraded) as f64 * 100.0 / known as f64)
    }

    /// A latency quantile in µs, never above the highest latency.
    pub fn latency_quantile(&self, q: f64) -> Option<f64> {
        let value = self.latency.quantile(q)?;
        Some(self.latency_max_us.map_or(value, |max| value.min(max as f64)))
    }

    pub fn latency_avg_us(&self) -> Option<f64> {
        (self.latency_count > 0).then(|| self.latency_sum_us as f64 / self.latency_count as f64)
    }

    pub fn value_avg(&self) -> Option<f64> {
        (self.value_count > 0).then(|| self.value_sum / self.value_count as f64)
    }
}

/// A check's last result, for the downtime after it.
#[derive(Debug, Clone, Copy)]
struct Last {
    at_ms: i64,
    down: bool,
}

/// What the writer keeps between batches: each check's last result, and what committed
/// batches added since the rows were last written (held: a row is read, merged and
/// written once every `WRITE_EVERY`, so nothing of it need stay in memory between).
#[derive(Debug, Default)]
pub struct Rollups {
    last: HashMap<CheckId, Last>,
    /// Added by committed batches, not written yet: their results are committed, and
    /// rolled up again by the next writer if the process dies first.
    held: Additions,
}

/// A batch's additions: held (`Rollups::hold`) once the batch commits, or written in
/// its transaction with those held (`Rollups::write`) and then let go
/// (`Rollups::written`): a batch that fails is tried again from the same start.
#[derive(Debug, Default)]
pub struct Additions {
    /// By check: one lookup a result.
    checks: HashMap<CheckId, Added>,
}

/// One check's additions in a batch.
#[derive(Debug, Default)]
struct Added {
    /// `(minute, rollup)`, mostly one. An hour's and a day's additions are the sum of
    /// their minutes' (a minute lies in one hour and one UTC day), added up when they
    /// are written: a result is counted once, and a third of the rows is held.
    minutes: Vec<(i64, Rollup)>,
    /// Its last result after the batch, when the batch changes it (`Some(None)`:
    /// forgotten).
    last: Option<Option<Last>>,
}

impl Added {
    fn minute(&mut self, slot: i64) -> &mut Rollup {
        let found = self.minutes.iter().rposition(|(s, _)| *s == slot);
        let at = found.unwrap_or_else(|| {
            self.minutes.push((slot, Rollup::default()));
            self.minutes.len() - 1
        });
        &mut self.minutes[at].1
    }

    /// Adds `length` ms of downtime from `from`, split across the minutes it spans.
    fn downtime(&mut self, from: i64, length: i64) {
        let end = from.saturating_add(length);
        let mut at = from;
        while at < end {
            let slot = Resolution::Minute.slot(at);
            let slot_end = slot.saturating_add(Resolution::Minute.ms()).min(end);
            let row = self.minute(slot);
            row.downtime_ms = row.downtime_ms.saturating_add(slot_end - at);
            at = slot_end;
        }
    }
}

/// The rows at `resolution` that `minutes` add up to, by slot (sorted first: a day's
/// gap holds 1,440 minutes).
fn rows_of<'a>(resolution: Resolution, minutes: impl Iterator<Item = &'a (i64, Rollup)>) -> Vec<(i64, Rollup)> {
    let mut slots: Vec<(i64, &Rollup)> = minutes.map(|(minute, rollup)| (resolution.slot(*minute), rollup)).collect();
    slots.sort_by_key(|(slot, _)| *slot);
    let mut rows: Vec<(i64, Rollup)> = Vec::with_capacity(slots.len());
    for (slot, rollup) in slots {
        match rows.last_mut() {
            Some((last, row)) if *last == slot => row.merge(rollup),
            _ => rows.push((slot, rollup.clone())),
        }
    }
    rows
}

impl Rollups {
    /// Holds a committed batch's additions until the rows are next written.
    pub fn hold(&mut self, additions: Additions) {
        self.held.absorb(additions);
    }

    /// Adds a committed result of `check` to what is held.
    pub fn add(&mut self, check: &CheckId, at_ms: i64, status: Status, latency_us: Option<i64>, value: Option<f64>) {
        let last = &self.last;
        self.held.add(|| last.get(check.as_str()).copied(), check, at_ms, status, latency_us, value);
    }

    /// A check paused (committed): the silence until its next result is not downtime.
    pub fn forget(&mut self, check: &CheckId) {
        self.held.forget(check);
    }

    /// The rows held, not written yet.
    pub fn held_rows(&self) -> usize {
        self.held.checks.values().map(|added| added.minutes.len()).sum()
    }

    /// A check's last result after what is written and held.
    fn last_of(&self, check: &str) -> Option<Last> {
        match self.held.checks.get(check).and_then(|added| added.last) {
            Some(last) => last,
            None => self.last.get(check).copied(),
        }
    }

    /// Writes every row held or in `batch`: what the database has, plus both.
    pub fn write(&self, tx: &Transaction<'_>, batch: &Additions) -> rusqlite::Result<()> {
        let held = self.held.checks.iter().map(|(check, held)| (check, Some(held), batch.checks.get(check.as_str())));
        let only_batch = batch.checks.iter().filter(|(check, _)| !self.held.checks.contains_key(check.as_str()));
        for (check, held, added) in held.chain(only_batch.map(|(check, added)| (check, None, Some(added)))) {
            for resolution in Resolution::ALL {
                let minutes = held.into_iter().chain(added).flat_map(|added| &added.minutes);
                for (slot, row) in rows_of(resolution, minutes) {
                    merge_row(tx, check, resolution, slot, &row)?;
                }
            }
        }
        Ok(())
    }

    /// Once `write` is committed: lets go of the rows held and `batch`'s, and keeps
    /// each check's last result.
    pub fn written(&mut self, batch: Additions) {
        self.hold(batch);
        for (check, added) in std::mem::take(&mut self.held).checks {
            match added.last {
                Some(Some(last)) => {
                    self.last.insert(check, last);
                }
                Some(None) => {
                    self.last.remove(check.as_str());
                }
                None => {}
            }
        }
    }
}

/// Adds `added` to the row the database has (or none) and writes it.
fn merge_row(
    tx: &Transaction<'_>,
    check: &CheckId,
    resolution: Resolution,
    slot: i64,
    added: &Rollup,
) -> rusqlite::Result<()> {
    let mut row = read_row(tx, check, resolution, slot)?.unwrap_or_default();
    row.merge(added);
    write_row(tx, check, resolution, slot, &row)
}

impl Additions {
    /// Adds a result of `check`, and the downtime since its last result when that was
    /// down.
    pub fn result(
        &mut self,
        kept: &Rollups,
        check: &CheckId,
        at_ms: i64,
        status: Status,
        latency_us: Option<i64>,
        value: Option<f64>,
    ) {
        self.add(|| kept.last_of(check.as_str()), check, at_ms, status, latency_us, value);
    }

    /// `result`, with the check's last result before these additions from `before`.
    fn add(
        &mut self,
        before: impl FnOnce() -> Option<Last>,
        check: &CheckId,
        at_ms: i64,
        status: Status,
        latency_us: Option<i64>,
        value: Option<f64>,
    ) {
        let added = match self.checks.get_mut(check.as_str()) {
            Some(added) => added,
            None => self.checks.entry(check.clone()).or_default(),
        };
        let last = match added.last {
            Some(last) => last,
            None => before(),
        };
        if let Some(last) = last.filter(|l| l.down && at_ms > l.at_ms) {
            added.downtime(last.at_ms, (at_ms - last.at_ms).min(MAX_GAP_MS));
        }
        added.minute(Resolution::Minute.slot(at_ms)).add(status, latency_us, value);
        added.last = Some(Some(Last { at_ms, down: status == Status::Down }));
    }

    /// A check paused: the silence until its next result is not downtime.
    pub fn forget(&mut self, check: &CheckId) {
        self.checks.entry(check.clone()).or_default().last = Some(None);
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Adds `later` (additions made after these) to these.
    fn absorb(&mut self, later: Additions) {
        if self.checks.is_empty() {
            *self = later;
            return;
        }
        for (check, added) in later.checks {
            let Some(mine) = self.checks.get_mut(check.as_str()) else {
                self.checks.insert(check, added);
                continue;
            };
            for (slot, rollup) in added.minutes {
                mine.minute(slot).merge(&rollup);
            }
            if added.last.is_some() {
                mine.last = added.last;
            }
        }
    }

    #[cfg(test)]
    fn get(&self, check: &str, resolution: Resolution, slot: i64) -> Option<Rollup> {
        let rows = rows_of(resolution, self.checks.get(check)?.minutes.iter());
        rows.into_iter().find(|(s, _)| *s == slot).map(|(_, row)| row)
    }
}

const COLUMNS: &str = "t, count, up, degraded, down, unknown, downtime_ms, latency_count, latency_sum_us,
     latency_max_us, latency_sketch, value_count, value_sum, value_max";

fn write_row(
    tx: &Connection,
    check: &CheckId,
    resolution: Resolution,
    slot: i64,
    row: &Rollup,
) -> rusqlite::Result<()> {
    // Updated in place when the row exists: its key and time index stay as they are.
    let sql = format!(
        "INSERT INTO {} (check_id, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (check_id, t) DO UPDATE SET count = ?3, up = ?4, degraded = ?5, down = ?6, unknown = ?7,
         downtime_ms = ?8, latency_count = ?9, latency_sum_us = ?10, latency_max_us = ?11, latency_sketch = ?12,
         value_count = ?13, value_sum = ?14, value_max = ?15",
        resolution.table()
    );
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    tx.prepare_cached(&sql)?.execute(params![
        check.as_str(),
        slot,
        count(row.count),
        count(row.up),
        count(row.degraded),
        count(row.down),
        count(row.unknown),
        row.downtime_ms,
        count(row.latency_count),
        row.latency_sum_us,
        row.latency_max_us,
        row.latency.encode(),
        count(row.value_count),
        row.value_sum,
        row.value_max,
    ])?;
    Ok(())
}

fn read_row(
    connection: &Connection,
    check: &CheckId,
    resolution: Resolution,
    slot: i64,
) -> rusqlite::Result<Option<Rollup>> {
    let sql = format!("SELECT {COLUMNS} FROM {} WHERE check_id = ?1 AND t = ?2", resolution.table());
    let mut statement = connection.prepare_cached(&sql)?;
    statement
        .query_row(params![check.as_str(), slot], |row| from_row(row, check, resolution).map(|(_, r)| r))
        .optional()
}

fn from_row(row: &rusqlite::Row<'_>, check: &CheckId, resolution: Resolution) -> rusqlite::Result<(i64, Rollup)> {
    let count = |index: usize| row.get::<_, i64>(index).map(|n| u64::try_from(n).unwrap_or(0));
    let t: i64 = row.get(0)?;
    let bytes: Vec<u8> = row.get(10)?;
    let Some(latency) = Sketch::decode(&bytes) else {
        let key = format!("{check} at {t}");
        let bad = super::BadValue {
            table: resolution.table(),
            row: key,
            column: "latency_sketch".into(),
            value: format!("{} bytes", bytes.len()),
            what: "latency sketch",
        };
        return Err(rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Blob, Box::new(bad)));
    };
    let rollup = Rollup {
        count: count(1)?,
        up: count(2)?,
        degraded: count(3)?,
        down: count(4)?,
        unknown: count(5)?,
        downtime_ms: row.get(6)?,
        latency_count: count(7)?,
        latency_sum_us: row.get(8)?,
        latency_max_us: row.get(9)?,
        latency,
        value_count: count(11)?,
        value_sum: row.get(12)?,
        value_max: row.get(13)?,
    };
    Ok((t, rollup))
}

/// A check's rows of `resolution` with `t` in `[from, to)`, oldest first.
fn rows(
    connection: &Connection,
    check: &CheckId,
    resolution: Resolution,
    from_ms: i64,
    to_ms: i64,
) -> rusqlite::Result<Vec<(i64, Rollup)>> {
    let sql =
        format!("SELECT {COLUMNS} FROM {} WHERE check_id = ?1 AND t >= ?2 AND t < ?3 ORDER BY t", resolution.table());
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(params![check.as_str(), from_ms, to_ms], |row| from_row(row, check, resolution))?;
    rows.collect()
}

/// A check's counts and downtime (no latencies) over `[from, to)`: what uptime windows
/// need, without decoding sketches. Whole days come from the daily rows, the hours
/// before the first of them from the hourly ones, and the minutes before the first
/// whole hour from the minutes (while they are kept): 90 days are some 90 + 24 + 60
/// rows, three ranges of the primary key.
pub(super) fn totals(connection: &Connection, check: &CheckId, from_ms: i64, to_ms: i64) -> rusqlite::Result<Rollup> {
    let mut total = Rollup::default();
    let spans = [
        (Resolution::Minute, from_ms, Resolution::Hour.ceil(from_ms)),
        (Resolution::Hour, Resolution::Hour.ceil(from_ms), Resolution::Day.ceil(from_ms)),
        (Resolution::Day, Resolution::Day.ceil(from_ms), to_ms),
    ];
    for (resolution, from, to) in spans {
        let to = to.min(to_ms);
        if from >= to {
            continue;
        }
        let sql = format!(
            "SELECT COALESCE(SUM(count), 0), COALESCE(SUM(up), 0), COALESCE(SUM(degraded), 0), COALESCE(SUM(down), 0),
                    COALESCE(SUM(unknown), 0), COALESCE(SUM(downtime_ms), 0)
             FROM {} WHERE check_id = ?1 AND t >= ?2 AND t < ?3",
            resolution.table()
        );
        let mut statement = connection.prepare_cached(&sql)?;
        let rollup = statement.query_row(params![check.as_str(), from, to], |row| {
            let count = |index: usize| row.get::<_, i64>(index).map(|n| u64::try_from(n).unwrap_or(0));
            Ok(Rollup {
                count: count(0)?,
                up: count(1)?,
                degraded: count(2)?,
                down: count(3)?,
                unknown: count(4)?,
                downtime_ms: row.get(5)?,
                ..Rollup::default()
            })
        })?;
        total.merge(&rollup);
    }
    Ok(total)
}

/// Where a chart's points are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Results,
    Rollups(Resolution),
}

/// A check's history over `[from, to)` in points of `bucket_ms` from `from` (which
/// the caller aligns to the source's resolution), oldest first; empty points are left
/// out. From results, each point is built from its rows as the writer builds rollups
/// (without downtime).
pub(super) fn points(
    connection: &Connection,
    check: &CheckId,
    source: Source,
    from_ms: i64,
    to_ms: i64,
    bucket_ms: i64,
) -> rusqlite::Result<Vec<(i64, Rollup)>> {
    let bucket_ms = bucket_ms.max(1);
    let mut points: Vec<(i64, Rollup)> = Vec::new();
    // Rows come oldest first: a row goes in the last point, or starts the next.
    fn into(points: &mut Vec<(i64, Rollup)>, from_ms: i64, bucket_ms: i64, t: i64) -> &mut Rollup {
        let start = from_ms + (t - from_ms).div_euclid(bucket_ms) * bucket_ms;
        if points.last().is_none_or(|(at, _)| *at != start) {
            points.push((start, Rollup::default()));
        }
        let last = points.len() - 1;
        &mut points[last].1
    }
    match source {
        Source::Rollups(resolution) => {
            for (t, row) in rows(connection, check, resolution, from_ms, to_ms)? {
                into(&mut points, from_ms, bucket_ms, t).merge(&row);
            }
        }
        Source::Results => {
            // Newest first: counted oldest first.
            for (at, status, latency_us, value) in
                super::results::range(connection, check, from_ms, to_ms)?.into_iter().rev()
            {
                let status = <Status as crate::model::Code>::from_code(&status).unwrap_or(Status::Unknown);
                into(&mut points, from_ms, bucket_ms, at).add(status, latency_us, value);
            }
        }
    }
    Ok(points)
}

/// How a chart of `[from, to)` in at most `points` points is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub source: Source,
    /// The first point's start: `from`, aligned down to the rollups' minute or hour.
    pub from_ms: i64,
    /// Each point's span: whole seconds, whole minutes or whole hours.
    pub bucket_ms: i64,
}

/// The finest source that has `from` (by `horizons`, what is still kept) and whose
/// rows are no wider than a point: results while a point is under a minute, minutes
/// while it is under an hour, hours while it is under a day, then days. A 30-day chart
/// reads some 720 rows.
pub fn plan(horizons: &super::Horizons, from_ms: i64, to_ms: i64, points: u32) -> Plan {
    // Both positive: unsigned `div_ceil` is stable.
    let span = to_ms.saturating_sub(from_ms).max(1) as u64;
    let wanted = span.div_ceil(u64::from(points.max(1))) as i64;
    let round_up = |unit: i64| (wanted.max(unit) as u64).div_ceil(unit as u64) as i64 * unit;
    let kept = |horizon: chrono::DateTime<chrono::Utc>| from_ms >= super::to_millis(horizon);
    if wanted < Resolution::Minute.ms() && kept(horizons.results) {
        return Plan { source: Source::Results, from_ms, bucket_ms: round_up(1000) };
    }
    let resolution = if wanted < Resolution::Hour.ms() && kept(horizons.minutes) {
        Resolution::Minute
    } else if wanted < Resolution::Day.ms() {
        Resolution::Hour
    } else {
        Resolution::Day
    };
    Plan {
        source: Source::Rollups(resolution),
        from_ms: resolution.slot(from_ms),
        bucket_ms: round_up(resolution.ms()),
    }
}

/// When a check's rollups begin: its oldest minute, or its oldest hour where the
/// minutes of that hour are no longer kept.
pub(super) fn oldest(connection: &Connection, check: &CheckId) -> rusqlite::Result<Option<i64>> {
    let mut first = [None, None];
    for (i, resolution) in [Resolution::Minute, Resolution::Hour].into_iter().enumerate() {
        let sql = format!("SELECT MIN(t) FROM {} WHERE check_id = ?1", resolution.table());
        first[i] = connection.prepare_cached(&sql)?.query_row(params![check.as_str()], |row| row.get(0))?;
    }
    Ok(match first {
        [Some(minute), Some(hour)] if Resolution::Hour.slot(minute) == hour => Some(minute),
        [_, Some(hour)] => Some(hour),
        [minute, None] => minute,
    })
}

/// Deletes rows of `resolution` whose slot ended before `before_ms`.
pub(super) fn prune(tx: &Transaction<'_>, resolution: Resolution, before_ms: i64) -> rusqlite::Result<usize> {
    let sql = format!("DELETE FROM {} WHERE t < ?1", resolution.table());
    tx.execute(&sql, params![before_ms.saturating_sub(resolution.ms())])
}

/// Rollups are built from results older than their tables once, by `build`, this
/// many results to a transaction.
const BUILD_CHUNK: i64 = 50_000;

/// Rolls up the results committed after the rollups' mark: the last run was killed
/// before it wrote the rollups it held (`WRITE_EVERY` of results at most). Their
/// downtime starts from their first result, as after any restart.
pub(super) fn catch_up(connection: &mut Connection) -> rusqlite::Result<()> {
    let (mark, newest): (i64, i64) = connection.query_row(
        "SELECT (SELECT last_result_id FROM rollup_mark), (SELECT COALESCE(MAX(id), 0) FROM results)",
        [],
        |row| Ok((row.get::<_, Option<i64>>(0)?.unwrap_or(0), row.get(1)?)),
    )?;
    if newest <= mark {
        return Ok(());
    }
    tracing::info!(after = mark, until = newest, "rolling up the results the last run had not rolled up yet");
    let tx = connection.transaction()?;
    tx.execute("DELETE FROM rollup_mark", [])?;
    tx.execute("INSERT INTO rollup_mark (last_result_id) VALUES (?1)", params![mark])?;
    tx.execute("INSERT INTO rollup_build (last_result_id, until_id) VALUES (?1, ?2)", params![mark, newest])?;
    tx.commit()?;
    build(connection)
}

/// Marks the rollups as holding every result committed so far (in the transaction that
/// writes them).
pub(super) fn mark(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute("UPDATE rollup_mark SET last_result_id = (SELECT COALESCE(MAX(id), 0) FROM results)", [])?;
    Ok(())
}

/// Builds the rollups of the results in `rollup_build`'s range: those a database kept
/// before it had rollups (schema 14), once, or those `catch_up` found; a chunk to a
/// transaction: an interrupted build goes on at the next open. Progress is in the log.
pub(super) fn build(connection: &mut Connection) -> rusqlite::Result<()> {
    let read = |c: &Connection| {
        c.query_row("SELECT last_result_id, until_id FROM rollup_build", [], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })
        .optional()
    };
    let Some((mut last_id, until_id)) = read(connection)? else { return Ok(()) };
    let total: i64 = connection.query_row(
        "SELECT COUNT(*) FROM results WHERE id > ?1 AND id <= ?2",
        params![last_id, until_id],
        |row| row.get(0),
    )?;
    tracing::info!(results = total, "building the rollups of the results kept so far");
    let mut kept = Rollups::default();
    let mut done = 0i64;
    loop {
        let tx = connection.transaction()?;
        let mut additions = Additions::default();
        let mut rows = 0i64;
        {
            let mut statement = tx.prepare_cached(
                "SELECT id, check_id, at, status, latency_us, value FROM results
                 WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
            )?;
            let mut cursor = statement.query(params![last_id, until_id, BUILD_CHUNK])?;
            while let Some(row) = cursor.next()? {
                last_id = row.get(0)?;
                rows += 1;
                // A row this version cannot read is left out of the rollups, not the build.
                let check = row.get::<_, String>(1).ok().and_then(|id| CheckId::parse(&id));
                let status = row.get::<_, String>(3).ok().and_then(|s| <Status as crate::model::Code>::from_code(&s));
                if let (Some(check), Some(status)) = (check, status) {
                    additions.result(&kept, &check, row.get(2)?, status, row.get(4)?, row.get(5)?);
                }
            }
        }
        kept.write(&tx, &additions)?;
        if rows == 0 {
            tx.execute("DELETE FROM rollup_build", [])?;
            tx.execute("UPDATE rollup_mark SET last_result_id = MAX(last_result_id, ?1)", params![until_id])?;
            tx.commit()?;
            tracing::info!(results = done, "rollups built");
            return Ok(());
        }
        tx.execute("UPDATE rollup_build SET last_result_id = ?1", params![last_id])?;
        tx.commit()?;
        kept.written(additions);
        done += rows;
        tracing::info!(done, of = total, "building rollups: {}%", done * 100 / total.max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact(sorted: &[i64], q: f64) -> f64 {
        sorted[(q * (sorted.len() - 1) as f64).floor() as usize] as f64
    }

    proptest! {
        #[test]
        fn a_quantile_is_within_alpha_of_the_true_one(
            values in proptest::collection::vec(0i64..10_000_000_000, 1..400),
            q in 0.0f64..=1.0,
        ) {
            let mut sketch = Sketch::default();
            for v in &values {
                sketch.add(*v);
            }
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let truth = exact(&sorted, q);
            let got = sketch.quantile(q).unwrap();
            prop_assert!((got - truth).abs() <= truth * ALPHA + 1e-9, "q {q}: {got} against {truth}");
        }

        #[test]
        fn merged_sketches_equal_one_sketch_of_all(
            a in proptest::collection::vec(0i64..100_000_000, 0..100),
            b in proptest::collection::vec(0i64..100_000_000, 0..100),
        ) {
            let of = |values: &[i64]| {
                let mut s = Sketch::default();
                values.iter().for_each(|v| s.add(*v));
                s
            };
            let mut merged = of(&a);
            merged.merge(&of(&b));
            let all: Vec<i64> = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(&merged, &of(&all));
            prop_assert_eq!(Sketch::decode(&merged.encode()), Some(merged));
        }

        #[test]
        fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Some(sketch) = Sketch::decode(&bytes) {
                prop_assert_eq!(Sketch::decode(&sketch.encode()), Some(sketch));
            }
        }
    }

    #[test]
    fn downtime_is_split_across_the_minutes_and_hours_it_spans() {
        let check = CheckId::parse("c").unwrap();
        let kept = Rollups::default();
        let mut additions = Additions::default();
        // Down at 00:59:30, next result at 01:01:15.
        let at = |s: i64| s * 1000;
        additions.result(&kept, &check, at(3570), Status::Down, Some(10), None);
        additions.result(&kept, &check, at(3675), Status::Up, Some(10), None);
        let downtime = |resolution: Resolution, slot_s: i64| {
            additions.get("c", resolution, at(slot_s)).map_or(0, |r| r.downtime_ms)
        };
        assert_eq!(downtime(Resolution::Minute, 3540), 30_000);
        assert_eq!(downtime(Resolution::Minute, 3600), 60_000);
        assert_eq!(downtime(Resolution::Minute, 3660), 15_000);
        assert_eq!(downtime(Resolution::Hour, 0), 30_000);
        assert_eq!(downtime(Resolution::Hour, 3600), 75_000);
    }

    #[test]
    fn a_pause_and_a_gap_past_the_bound_are_not_downtime() {
        let check = CheckId::parse("c").unwrap();
        let kept = Rollups::default();
        let mut additions = Additions::default();
        additions.result(&kept, &check, 0, Status::Down, None, None);
        additions.forget(&check);
        additions.result(&kept, &check, 600_000, Status::Down, None, None);
        additions.result(&kept, &check, 600_000 + 3 * MAX_GAP_MS, Status::Up, None, None);
        let minutes = &additions.checks.get("c").unwrap().minutes;
        let total: i64 = rows_of(Resolution::Hour, minutes.iter()).iter().map(|(_, row)| row.downtime_ms).sum();
        assert_eq!(total, MAX_GAP_MS, "the paused 10 minutes are not counted; the gap is cut at its bound");
    }
}
