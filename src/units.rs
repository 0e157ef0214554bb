//! Humane durations (`500ms`, `10s`, `5m`, `7d`) and sizes (`10MB`, `2GiB`), and text
//! cut to a size in bytes.
//!
//! Owns parsing and display of these units for config and conditions alike.
//! It must not know where a string came from: callers attach locations.

use std::fmt;
use std::time::Duration;

/// The longest duration anything here takes (an interval, a retention, a silence):
/// 100 years. Bounding it where it is parsed keeps every sum of times finite.
pub const MAX_DURATION: Duration = Duration::from_secs(36_500 * 86_400);

/// The largest size anything here takes: 1 EB (10^18 bytes), well inside `u64`.
pub const MAX_SIZE: u64 = 1_000_000_000_000_000_000;

/// Parses `500ms`, `10s`, `1m30s`, `2h`, `7d`. A bare number is refused: the unit is
/// what makes a duration unambiguous. At most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(UnitError::new(text, "duration", "a number with a unit, like `10s`"));
    }
    let too_long = || UnitError::over(text, "duration", "36500d (100 years)");
    let mut total = 0.0_f64;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return Err(UnitError::new(text, "duration", "a number before each unit, like `1m30s`"));
        }
        let number: f64 =
            rest[..digits].parse().map_err(|_| UnitError::new(text, "duration", "a plain number, like `1.5s`"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let seconds = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "" => return Err(UnitError::new(text, "duration", "a unit: ms, s, m, h or d (e.g. `30s`)")),
            _ => return Err(UnitError::new(text, "duration", "one of the units ms, s, m, h, d")),
        };
        total += number * seconds;
        // Checked at each part, so that no sum grows past what a float holds exactly.
        if !total.is_finite() || total > MAX_DURATION.as_secs_f64() {
            return Err(too_long());
        }
    }
    Duration::try_from_secs_f64(total).map_err(|_| too_long())
}

/// Parses `512`, `10KB`, `10MB`, `2GB`, `1GiB`. Decimal units are powers of 1000, binary
/// units (`KiB`, `MiB`, ...) powers of 1024; a bare number is bytes. At most
/// [`MAX_SIZE`].
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    let trimmed = text.trim();
    let digits = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
    if digits == 0 {
        return Err(UnitError::new(text, "size", "a number with an optional unit, like `10MB`"));
    }
    let number: f64 =
        trimmed[..digits].parse().map_err(|_| UnitError::new(text, "size", "a plain number, like `1.5GB`"))?;
    let factor: f64 = match trimmed[digits..].trim() {
        "" | "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(UnitError::new(text, "size", "one of the units B, KB, MB, GB, TB, KiB, MiB, GiB")),
    };
    let bytes = (number * factor).round();
    if !bytes.is_finite() || bytes > MAX_SIZE as f64 {
        return Err(UnitError::over(text, "size", "1000000TB (1 EB)"));
    }
    Ok(bytes as u64)
}

/// Formats a duration the way config writes it: `250ms`, `10s`, `5m`, `1h30m`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        if millis == 0 && duration > Duration::ZERO {
            return format!("{}µs", duration.as_micros());
        }
        return format!("{millis}ms");
    }
    if millis % 1000 != 0 && millis < 60_000 {
        return format!("{:.1}s", duration.as_secs_f64()).replace(".0s", "s");
    }
    let mut secs = duration.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

/// At most `max` bytes of `text`, its start, cut at a character boundary.
pub fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Formats a byte count with decimal units, as `parse_size` reads them back.
pub fn format_size(bytes: u64) -> String {
    let units = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)];
    for (unit, size) in units {
        if bytes as f64 >= size {
            let value = bytes as f64 / size;
            return if value.fract() < 0.05 { format!("{value:.0}{unit}") } else { format!("{value:.1}{unit}") };
        }
    }
    format!("{bytes}B")
}

/// A string that is not a valid duration or size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError {
    pub text: String,
    pub what: &'static str,
    pub expected: &'static str,
    /// The text reads as one, but past the limit, which `expected` then is.
    pub over_limit: bool,
}

impl UnitError {
    fn new(text: &str, what: &'static str, expected: &'static str) -> UnitError {
        UnitError { text: shown(text), what, expected, over_limit: false }
    }

    fn over(text: &str, what: &'static str, limit: &'static str) -> UnitError {
        UnitError { text: shown(text), what, expected: limit, over_limit: true }
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.over_limit {
            return write!(f, "`{}` is past the limit: a {} is at most {}", self.text, self.what, self.expected);
        }
        write!(f, "`{}` is not a valid {}: expected {}", self.text, self.what, self.expected)
    }
}

impl std::error::Error for UnitError {}

/// What an error quotes of what was written: enough to find it, never a whole
/// megabyte pasted back.
fn shown(text: &str) -> String {
    const AT_MOST: usize = 40;
    match text.char_indices().nth(AT_MOST) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn check(inputs: &[&str], expect: expect_test::Expect) {
        let mut out = String::new();
        for input in inputs {
            let line = match parse_duration(input) {
                Ok(d) => format!("{input:<6} => {d:?} ({})\n", format_duration(d)),
                Err(e) => format!("{input:<6} => error: {e}\n"),
            };
            out.push_str(&line);
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn durations() {
        check(
            &[
                "500ms",
                "10s",
                "1m30s",
                "2h",
                "7d",
                "1.5s",
                "10",
                "",
                "5x",
                "ms",
                "36500d",
                "36500d1ms",
                "99999999999999999999d",
                "106751991167301d",
                "9999999999999999999m",
                "1e3s",
            ],
            expect![[r#"
                500ms  => 500ms (500ms)
                10s    => 10s (10s)
                1m30s  => 90s (1m30s)
                2h     => 7200s (2h)
                7d     => 604800s (7d)
                1.5s   => 1.5s (1.5s)
                10     => error: `10` is not a valid duration: expected a unit: ms, s, m, h or d (e.g. `30s`)
                       => error: `` is not a valid duration: expected a number with a unit, like `10s`
                5x     => error: `5x` is not a valid duration: expected one of the units ms, s, m, h, d
                ms     => error: `ms` is not a valid duration: expected a number before each unit, like `1m30s`
                36500d => 3153600000s (36500d)
                36500d1ms => error: `36500d1ms` is past the limit: a duration is at most 36500d (100 years)
                99999999999999999999d => error: `99999999999999999999d` is past the limit: a duration is at most 36500d (100 years)
                106751991167301d => error: `106751991167301d` is past the limit: a duration is at most 36500d (100 years)
                9999999999999999999m => error: `9999999999999999999m` is past the limit: a duration is at most 36500d (100 years)
                1e3s   => error: `1e3s` is not a valid duration: expected one of the units ms, s, m, h, d
            "#]],
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("1KiB"), Ok(1024));
        assert_eq!(parse_size("2 GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("512"), Ok(512));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10XB").is_err());
        assert_eq!(format_size(1_500_000), "1.5MB");
        assert_eq!(format_size(999), "999B");
        assert_eq!(parse_size("1000000TB"), Ok(MAX_SIZE));
        let over = parse_size("99999999999999999999999999TB").unwrap_err();
        assert_eq!(
            over.to_string(),
            "`99999999999999999999999999TB` is past the limit: a size is at most 1000000TB (1 EB)"
        );
        let long = "9".repeat(400);
        let quoted = parse_size(&long).unwrap_err().to_string();
        assert!(quoted.len() < 120, "a long input is quoted cut: {quoted}");
    }
}
