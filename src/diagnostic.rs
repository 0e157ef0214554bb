//! Diagnostics for files people write (the config): each error or warning located by
//! file, line and column, said of the thing it is about (`check "api": interval: ...`)
//! and with a resolution; collected, never stopping at the first.
//!
//! A leaf: it knows spans and text, not what a check or a probe is. `Scope` is a view
//! of the report for one table (a check, an action, the settings), so that the code
//! compiling that table only names its keys.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use crate::units::{parse_duration, parse_size};

/// One problem in a file, located and with a resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The table it is about, as messages name it (`check "api"`), when one is.
    pub table: Option<String>,
    /// The key of that table it is about, when one is.
    pub key: Option<String>,
    pub message: String,
    pub resolution: String,
}

impl Diagnostic {
    /// A problem with the file as a whole (it cannot be read), at its start.
    pub fn of_file(file: &str, message: impl Into<String>, resolution: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            line: 1,
            column: 1,
            table: None,
            key: None,
            message: message.into(),
            resolution: resolution.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)?;
        if !self.resolution.is_empty() {
            write!(f, "\n  help: {}", self.resolution)?;
        }
        Ok(())
    }
}

/// Every error found in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<Diagnostic>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} error{} in config", if n == 1 { "" } else { "s" })?;
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// The errors and warnings of one file.
pub struct Report<'a> {
    file: &'a str,
    text: &'a str,
    line_starts: Vec<usize>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl<'a> Report<'a> {
    pub fn new(text: &'a str, file: &'a str) -> Report<'a> {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Report { file, text, line_starts, errors: Vec::new(), warnings: Vec::new() }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    fn diagnostic(&self, span: &Range<usize>, message: String, resolution: &str) -> Diagnostic {
        let (line, column) = self.locate(span.start);
        Diagnostic {
            file: self.file.to_owned(),
            line,
            column,
            table: None,
            key: None,
            message,
            resolution: resolution.to_owned(),
        }
    }

    pub fn error(&mut self, span: &Range<usize>, message: impl Into<String>, resolution: impl AsRef<str>) {
        let diagnostic = self.diagnostic(span, message.into(), resolution.as_ref());
        self.errors.push(diagnostic);
    }

    pub fn warn(&mut self, span: &Range<usize>, message: impl Into<String>, resolution: impl AsRef<str>) {
        let diagnostic = self.diagnostic(span, message.into(), resolution.as_ref());
        self.warnings.push(diagnostic);
    }

    /// A view for one table: its messages start with `label` (`check "api"`), and
    /// `anchor` is where to point when a key is missing.
    pub fn scope(&mut self, label: String, anchor: Range<usize>) -> Scope<'_, 'a> {
        Scope { report: self, label, anchor }
    }
}

/// The report, for one table.
pub struct Scope<'r, 'a> {
    report: &'r mut Report<'a>,
    label: String,
    anchor: Range<usize>,
}

impl Scope<'_, '_> {
    /// The table's label, as messages start: `check "api"`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Where the table is pointed at when a key is missing (a check's `kind`).
    pub fn anchor(&self) -> std::ops::Range<usize> {
        self.anchor.clone()
    }

    /// An error about `key` (`check "api": port: ...`); `key` may be empty for the
    /// table as a whole.
    pub fn error(&mut self, span: &Range<usize>, key: &str, message: impl fmt::Display, resolution: impl AsRef<str>) {
        let message = self.message(key, message);
        self.report.error(span, message, resolution);
        self.name_place(key, |report| &mut report.errors);
    }

    pub fn warn(&mut self, span: &Range<usize>, key: &str, message: impl fmt::Display, resolution: impl AsRef<str>) {
        let message = self.message(key, message);
        self.report.warn(span, message, resolution);
        self.name_place(key, |report| &mut report.warnings);
    }

    /// Names this table and `key` on the diagnostic just reported.
    fn name_place(&mut self, key: &str, list: impl for<'x> FnOnce(&'x mut Report<'_>) -> &'x mut Vec<Diagnostic>) {
        if let Some(last) = list(self.report).last_mut() {
            last.table = Some(self.label.clone());
            last.key = (!key.is_empty()).then(|| key.to_owned());
        }
    }

    /// A key the table must have, reported at the table's anchor.
    pub fn needs(&mut self, key: &str, resolution: &str) {
        let anchor = self.anchor.clone();
        self.error(&anchor, "", format_args!("needs `{key}`"), resolution);
        // Said of the key it needs (the first, where any of several would do): a form
        // shows it at that field.
        let first = key.split('`').next().unwrap_or(key);
        self.name_place(first, |report| &mut report.errors);
    }

    /// A duration (`500ms`, `10s`, `5m`); `None` (reported) when it does not parse.
    pub fn duration(&mut self, key: &str, value: &Spanned<String>) -> Option<Duration> {
        match parse_duration(value.get_ref()) {
            Ok(duration) => Some(duration),
            Err(e) if e.over_limit => {
                self.error(
                    &value.span(),
                    key,
                    e,
                    format!("write `{key}` as at most `36500d`; `1h`, `7d` or `365d` are typical"),
                );
                None
            }
            Err(e) => {
                self.error(&value.span(), key, e, "write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`");
                None
            }
        }
    }

    /// A size (`64KB`, `10MB`); `None` (reported) when it does not parse.
    pub fn size(&mut self, key: &str, value: &Spanned<String>) -> Option<u64> {
        match parse_size(value.get_ref()) {
            Ok(size) => Some(size),
            Err(e) if e.over_limit => {
                self.error(
                    &value.span(),
                    key,
                    e,
                    format!("write `{key}` as at most `1000000TB`; `10MB` or `2GB` are typical"),
                );
                None
            }
            Err(e) => {
                self.error(&value.span(), key, e, "write a size like `64KB` or `10MB`");
                None
            }
        }
    }

    /// A whole number from 1 to `max` under `key`: `default` when absent, or when out of
    /// range (reported).
    pub fn count(&mut self, key: &str, value: Option<&Spanned<i64>>, default: u32, max: u32) -> u32 {
        let Some(value) = value else { return default };
        match u32::try_from(*value.get_ref()) {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                let message = format_args!("must be between 1 and {max}, got {}", value.get_ref());
                let resolution = format!("set `{key}` to 1 or more (default {default})");
                self.error(&value.span(), key, message, resolution);
                default
            }
        }
    }

    /// A percentage above 0 and at most 100 under `key`: `default` when absent, or when
    /// out of range (reported).
    pub fn percent(&mut self, key: &str, value: Option<&Spanned<f64>>, default: f64) -> f64 {
        let Some(value) = value else { return default };
        let n = *value.get_ref();
        if n > 0.0 && n <= 100.0 {
            return n;
        }
        let message = format_args!("must be a percentage above 0 and at most 100, got {n}");
        self.error(&value.span(), key, message, format!("set `{key}` to e.g. 50 (default {default})"));
        default
    }

    /// Deserializes a table whose keys are known to be `T`'s (unknown ones were reported
    /// and dropped). A value of the wrong type is reported at the value, with its key.
    pub fn deserialize<T: DeserializeOwned>(&mut self, table: DeTable<'_>, span: Range<usize>) -> Option<T> {
        let values: Vec<(String, Range<usize>)> =
            table.iter().map(|(key, value)| (key.get_ref().to_string(), value.span())).collect();
        match T::deserialize(ValueDeserializer::from(Spanned::new(span.clone(), DeValue::Table(table)))) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                let at = e.span().unwrap_or(span);
                let key = values.iter().find(|(_, value)| value.start <= at.start && at.end <= value.end);
                let message = e.message().trim().to_owned();
                let resolution = if message.starts_with("missing field") {
                    "add the field; `watchkeeper config schema` lists every key"
                } else {
                    "give the value the type the key takes (see `watchkeeper config schema`)"
                };
                self.error(&at, key.map_or("", |(key, _)| key.as_str()), message, resolution);
                None
            }
        }
    }

    /// Where the file is, for messages that point at another line ("first defined on line 3").
    pub fn line_of(&self, span: &Range<usize>) -> usize {
        self.report.locate(span.start).0
    }

    fn message(&self, key: &str, message: impl fmt::Display) -> String {
        match key {
            "" => format!("{}: {message}", self.label),
            key => format!("{}: {key}: {message}", self.label),
        }
    }
}

/// The JSON Schema of a table's keys (a serde struct with doc comments): what the
/// docs, the editor schema and the unknown-key checks read.
pub fn table_schema<T: schemars::JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::SchemaGenerator::default().into_root_schema_for::<T>()).unwrap_or_default()
}

/// The names of the keys a table schema (`table_schema`) has.
pub fn key_names(schema: &serde_json::Value) -> Vec<String> {
    schema["properties"].as_object().map(|keys| keys.keys().cloned().collect()).unwrap_or_default()
}

/// "did you mean `x`? " for the closest candidate, or nothing.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`? "))
        .unwrap_or_default()
}
