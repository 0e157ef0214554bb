//! Humane durations (`500ms`, `10s`, `5m`, `7d`) and sizes (`10MB`, `2GiB`).
//!
//! Owns parsing and display of these units for config and conditions alike.
//! It must not know where a string came from: callers attach locations.

use std::fmt;
use std::time::Duration;

/// Parses `500ms`, `10s`, `1m30s`, `2h`, `7d`. A bare number is refused: the unit is
/// what makes a duration unambiguous.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(UnitError::new(text, "duration", "a number with a unit, like `10s`"));
    }
    let mut total = Duration::ZERO;
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
        total += Duration::from_secs_f64(number * seconds);
    }
    Ok(total)
}

/// Parses `512`, `10KB`, `10MB`, `2GB`, `1GiB`. Decimal units are powers of 1000, binary
/// units (`KiB`, `MiB`, ...) powers of 1024; a bare number is bytes.
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
    Ok((number * factor).round() as u64)
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
}

impl UnitError {
    fn new(text: &str, what: &'static str, expected: &'static str) -> UnitError {
        UnitError { text: text.to_owned(), what, expected }
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a valid {}: expected {}", self.text, self.what, self.expected)
    }
}

impl std::error::Error for UnitError {}

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
            &["500ms", "10s", "1m30s", "2h", "7d", "1.5s", "10", "", "5x", "ms"],
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
    }
}
