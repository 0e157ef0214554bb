//! Conditions: `status == 200`, `latency < 500ms`, `json.db.status == "UP"`,
//! `body contains "ok"`, `value < 90`, `exit == 0`, `count >= 1`.
//!
//! Owns the grammar, parsing (errors carry the column) and evaluation against an
//! [`Observation`]. It must not know which probe kinds exist: config compilation checks
//! that a subject suits the check's kind.

use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

use crate::model::{Observation, Value};
use crate::units::{format_duration, format_size, parse_duration, parse_size};

/// A parsed condition, e.g. `latency < 500ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub subject: Subject,
    pub op: Op,
    pub literal: Literal,
    /// The condition as written, for messages.
    pub source: String,
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// A named value of the observation: `status`, `latency`, `value`, `exit`, ...
    Field(String),
    /// `json.<path>`: segments are keys or array indexes.
    Json(Vec<PathSegment>),
    /// `header.<name>`, name lowercased.
    Header(String),
    /// `component.<name>`: the status a service's health body gives that component
    /// (`component.db`, `component.db.primary`).
    Component(String),
}

impl Subject {
    /// The name the subject is known by: the field, `json` or `header`.
    pub fn root(&self) -> &str {
        match self {
            Subject::Field(name) => name,
            Subject::Json(_) => "json",
            Subject::Header(_) => "header",
            Subject::Component(_) => "component",
        }
    }
}

impl fmt::Display for Subject {
    /// As it is written in a condition: `status`, `json.db.status`, `json.items[0]`,
    /// `header.content-type`, `component.db`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Field(name) => f.write_str(name),
            Subject::Json(path) => {
                f.write_str("json")?;
                for segment in path {
                    match segment {
                        PathSegment::Key(key) => write!(f, ".{key}")?,
                        PathSegment::Index(i) => write!(f, "[{i}]")?,
                    }
                }
                Ok(())
            }
            Subject::Header(name) => write!(f, "header.{name}"),
            Subject::Component(name) => write!(f, "component.{name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    NotContains,
    Matches,
}

#[derive(Debug, Clone)]
pub enum Literal {
    Number(f64),
    Text(String),
    Bool(bool),
    Null,
    Duration(Duration),
    Size(u64),
    Regex(regex::Regex),
}

impl PartialEq for Literal {
    fn eq(&self, other: &Literal) -> bool {
        match (self, other) {
            (Literal::Number(a), Literal::Number(b)) => a == b,
            (Literal::Text(a), Literal::Text(b)) => a == b,
            (Literal::Bool(a), Literal::Bool(b)) => a == b,
            (Literal::Null, Literal::Null) => true,
            (Literal::Duration(a), Literal::Duration(b)) => a == b,
            (Literal::Size(a), Literal::Size(b)) => a == b,
            (Literal::Regex(a), Literal::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Text(t) => write!(f, "{t:?}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
            Literal::Duration(d) => f.write_str(&format_duration(*d)),
            Literal::Size(s) => f.write_str(&format_size(*s)),
            Literal::Regex(r) => write!(f, "{:?}", r.as_str()),
        }
    }
}

/// A condition that does not parse; `column` is 1-based within the condition text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, ParseError> {
        let mut cursor = Cursor { text, pos: 0 };
        cursor.skip_space();
        let subject = cursor.subject()?;
        cursor.skip_space();
        let op = cursor.op()?;
        cursor.skip_space();
        let literal = cursor.literal(op)?;
        cursor.skip_space();
        if cursor.pos < text.len() {
            return Err(cursor.error("unexpected text after the value; write one condition per string"));
        }
        Ok(Condition { subject, op, literal, source: text.trim().to_owned() })
    }

    /// `Ok` when the condition holds; otherwise what was expected and what was seen.
    pub fn evaluate(&self, observation: &Observation, json: &mut JsonCache) -> Result<(), Mismatch> {
        let (holds, got) = self.test(observation, json);
        if holds {
            Ok(())
        } else {
            Err(Mismatch { expected: self.source.clone(), got })
        }
    }

    /// Whether the condition holds, and what was seen.
    pub fn test(&self, observation: &Observation, json: &mut JsonCache) -> (bool, String) {
        match self.resolve(observation, json) {
            Ok(got) => (self.holds(&got), got.display()),
            Err(absent) => (false, absent.to_string()),
        }
    }

    /// What the subject reads in an observation, as "got" shows it; `None` when it is
    /// not there.
    pub fn read(&self, observation: &Observation, json: &mut JsonCache) -> Option<String> {
        self.resolve(observation, json).ok().map(|value| value.display())
    }

    fn resolve(&self, observation: &Observation, json: &mut JsonCache) -> Result<Value, Absent<'_>> {
        match &self.subject {
            Subject::Field(name) => observation.value(name).map(|v| v.into_owned()).ok_or(Absent::Value(name)),
            Subject::Header(name) => observation
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| Value::Text(v.clone()))
                .ok_or(Absent::Header(name)),
            Subject::Component(name) => match &observation.health {
                Some(health) => {
                    health.component(name).map(|c| Value::Text(c.status.clone())).ok_or(Absent::Component(name))
                }
                None => Err(Absent::NotHealth),
            },
            Subject::Json(path) => {
                let root = json.get(observation).ok_or(Absent::NotJson)?;
                let mut node = root;
                for segment in path {
                    let next = match segment {
                        PathSegment::Key(key) => node.get(key),
                        PathSegment::Index(i) => node.get(*i),
                    };
                    node = next.ok_or(Absent::NoPath)?;
                }
                Ok(Value::Json(node.clone()))
            }
        }
    }

    fn holds(&self, got: &Value) -> bool {
        use Literal as L;
        use Value as V;
        let op = self.op;
        match (got, &self.literal) {
            (_, L::Regex(re)) => text_of(got).is_some_and(|t| re.is_match(&t)),
            (_, L::Text(needle)) if matches!(op, Op::Contains | Op::NotContains) => {
                let found = match got {
                    V::Json(serde_json::Value::Array(items)) => {
                        items.iter().any(|i| i.as_str() == Some(needle.as_str()))
                    }
                    _ => text_of(got).is_some_and(|t| t.contains(needle.as_str())),
                };
                found == (op == Op::Contains)
            }
            (V::Duration(d), L::Duration(want)) => compare(op, d.cmp(want)),
            (V::Duration(d), L::Number(ms)) => compare_f64(op, d.as_secs_f64() * 1000.0, *ms),
            (V::Bytes(b), L::Size(want)) => compare(op, b.cmp(want)),
            (V::Int(v), L::Size(want)) => compare(op, (*v as i128).cmp(&(*want as i128))),
            (_, L::Number(want)) => number_of(got).is_some_and(|n| compare_f64(op, n, *want)),
            (_, L::Text(want)) => text_of(got).is_some_and(|t| compare(op, t.as_str().cmp(want))),
            (V::Bool(b), L::Bool(want)) => compare(op, b.cmp(want)),
            (V::Json(serde_json::Value::Bool(b)), L::Bool(want)) => compare(op, b.cmp(want)),
            (V::Json(serde_json::Value::Null), L::Null) => op == Op::Eq,
            (V::Json(_), L::Null) => op == Op::Ne,
            (V::Json(serde_json::Value::Number(n)), L::Duration(want)) => {
                n.as_f64().is_some_and(|ms| compare_f64(op, ms, want.as_secs_f64() * 1000.0))
            }
            _ => op == Op::Ne,
        }
    }
}

/// A condition that did not hold: "expected X, got Y".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The condition as written.
    pub expected: String,
    /// What was seen, or what was missing.
    pub got: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, got {}", self.expected, self.got)
    }
}

/// What a condition's subject found missing, as "got ..." reads it.
enum Absent<'a> {
    Value(&'a str),
    Header(&'a str),
    NotJson,
    NoPath,
    Component(&'a str),
    NotHealth,
}

impl fmt::Display for Absent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Absent::Value(name) => write!(f, "no value `{name}`"),
            Absent::Header(name) => write!(f, "no header `{name}`"),
            Absent::NotJson => f.write_str("a body that is not JSON"),
            Absent::NoPath => f.write_str("nothing at that path"),
            Absent::Component(name) => write!(f, "no component `{name}` in the service's health"),
            Absent::NotHealth => f.write_str("a body that is not a health body (Actuator or health+json)"),
        }
    }
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Text(t) => Some(t.clone()),
        Value::Json(serde_json::Value::String(s)) => Some(s.clone()),
        Value::Json(other) => Some(other.to_string()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Bytes(b) => Some(*b as f64),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Json(serde_json::Value::Number(n)) => n.as_f64(),
        Value::Json(serde_json::Value::String(s)) | Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn compare(op: Op, ordering: Ordering) -> bool {
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Contains | Op::NotContains | Op::Matches => false,
    }
}

fn compare_f64(op: Op, got: f64, want: f64) -> bool {
    match got.partial_cmp(&want) {
        Some(ordering) => compare(op, ordering),
        None => op == Op::Ne,
    }
}

/// Parses a body as JSON at most once per evaluation of a check's conditions.
#[derive(Default)]
pub struct JsonCache {
    parsed: Option<Option<serde_json::Value>>,
}

impl JsonCache {
    fn get(&mut self, observation: &Observation) -> Option<&serde_json::Value> {
        self.parsed.get_or_insert_with(|| observation.body().and_then(|b| serde_json::from_str(b).ok())).as_ref()
    }
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError { column: self.text[..self.pos].chars().count() + 1, message: message.into() }
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | ':')))
            .unwrap_or(self.rest().len());
        self.pos += len;
        &self.text[start..self.pos]
    }

    fn subject(&mut self) -> Result<Subject, ParseError> {
        let start = self.pos;
        let word = self.word().to_owned();
        if word.is_empty() {
            return Err(self.error("expected a subject such as `status`, `latency` or `json.path`"));
        }
        let at = |cursor: &Cursor, offset: usize, message: String| ParseError {
            column: cursor.text[..start + offset].chars().count() + 1,
            message,
        };
        if let Some(path) = word.strip_prefix("json.") {
            let mut segments = Vec::new();
            let mut offset = 5;
            for part in path.split('.') {
                let (key, indexes) = match part.find('[') {
                    Some(i) => (&part[..i], &part[i..]),
                    None => (part, ""),
                };
                if key.is_empty() && indexes.is_empty() {
                    return Err(at(self, offset, "empty segment in the JSON path".to_owned()));
                }
                if !key.is_empty() {
                    segments.push(PathSegment::Key(key.to_owned()));
                }
                let mut rest = indexes;
                while !rest.is_empty() {
                    let close = rest.find(']').filter(|_| rest.starts_with('['));
                    let index = close.and_then(|c| rest[1..c].parse::<usize>().ok());
                    match (close, index) {
                        (Some(c), Some(index)) => {
                            segments.push(PathSegment::Index(index));
                            rest = &rest[c + 1..];
                        }
                        _ => return Err(at(self, offset + key.len(), "an array index is written `[0]`".to_owned())),
                    }
                }
                offset += part.len() + 1;
            }
            return Ok(Subject::Json(segments));
        }
        if word == "json" {
            return Ok(Subject::Json(Vec::new()));
        }
        if let Some(name) = word.strip_prefix("component.") {
            if name.is_empty() {
                return Err(at(self, 10, "expected a component name after `component.`".to_owned()));
            }
            return Ok(Subject::Component(name.to_owned()));
        }
        if let Some(name) = word.strip_prefix("header.") {
            if name.is_empty() {
                return Err(at(self, 7, "expected a header name after `header.`".to_owned()));
            }
            return Ok(Subject::Header(name.to_ascii_lowercase()));
        }
        if !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(at(self, 0, format!("`{word}` is not a subject; use a name like `status` or `json.a.b`")));
        }
        Ok(Subject::Field(word))
    }

    fn op(&mut self) -> Result<Op, ParseError> {
        let rest = self.rest();
        let ops = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("!contains", Op::NotContains),
            ("not contains", Op::NotContains),
            ("contains", Op::Contains),
            ("matches", Op::Matches),
        ];
        for (token, op) in ops {
            if rest.starts_with(token) {
                self.pos += token.len();
                return Ok(op);
            }
        }
        if rest.starts_with('=') {
            return Err(self.error("use `==` to compare"));
        }
        Err(self.error("expected an operator: == != < <= > >= contains !contains matches"))
    }

    fn literal(&mut self, op: Op) -> Result<Literal, ParseError> {
        let rest = self.rest();
        if rest.is_empty() {
            return Err(self.error("expected a value after the operator"));
        }
        if let Some(body) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = body.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        self.pos += i + 2;
                        if op == Op::Matches {
                            return regex::Regex::new(&out)
                                .map(Literal::Regex)
                                .map_err(|e| self.error(format!("invalid regular expression: {e}")));
                        }
                        return Ok(Literal::Text(out));
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, 't')) => out.push('\t'),
                        Some((_, other)) => out.push(other),
                        None => break,
                    },
                    _ => out.push(c),
                }
            }
            return Err(self.error("unterminated string: add the closing `\"`"));
        }
        if op == Op::Matches {
            return Err(self.error("`matches` takes a quoted regular expression, like `\"^ok\"`"));
        }
        let start = self.pos;
        let token = self.word().to_owned();
        let token = if self.rest().starts_with('%') {
            self.pos += 1;
            token
        } else {
            token
        };
        if token.is_empty() {
            return Err(self.error("expected a value: a number, a quoted string, a duration or a size"));
        }
        let fail = |message: String| ParseError { column: self.text[..start].chars().count() + 1, message };
        match token.as_str() {
            "true" => return Ok(Literal::Bool(true)),
            "false" => return Ok(Literal::Bool(false)),
            "null" => return Ok(Literal::Null),
            _ => {}
        }
        if let Ok(number) = token.parse::<f64>() {
            return Ok(Literal::Number(number));
        }
        if token.starts_with(|c: char| c.is_ascii_digit()) {
            if let Ok(duration) = parse_duration(&token) {
                return Ok(Literal::Duration(duration));
            }
            if let Ok(size) = parse_size(&token) {
                return Ok(Literal::Size(size));
            }
            return Err(fail(format!("`{token}` is neither a number, a duration (`500ms`) nor a size (`10MB`)")));
        }
        Err(fail(format!("`{token}` is not a value; quote strings: `\"{token}\"`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn observation() -> Observation {
        Observation {
            latency: Some(Duration::from_millis(812)),
            values: vec![
                ("status", Value::Int(500)),
                ("value", Value::Float(93.5)),
                ("count", Value::Int(0)),
                ("memory", Value::Bytes(3_000_000_000)),
                (
                    "body",
                    Value::Text(
                        r#"{"status":"DOWN","components":{"db":{"status":"UP"}},"items":[1,2],"ok":false}"#.into(),
                    ),
                ),
            ],
            headers: vec![("content-type".into(), "application/json".into())],
            ..Default::default()
        }
    }

    fn check(conditions: &[&str], expect: Expect) {
        let observation = observation();
        let mut out = String::new();
        for text in conditions {
            let line = match Condition::parse(text) {
                Err(e) => format!("{text:<36} parse error: {e}\n"),
                Ok(c) => match c.evaluate(&observation, &mut JsonCache::default()) {
                    Ok(()) => format!("{text:<36} holds\n"),
                    Err(e) => format!("{text:<36} fails: {e}\n"),
                },
            };
            out.push_str(&line);
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn evaluates_against_an_observation() {
        check(
            &[
                "status == 200",
                "status >= 500",
                "status != 200",
                "latency < 500ms",
                "latency < 1s",
                "latency <= 900",
                "json.status == \"UP\"",
                "json.components.db.status == \"UP\"",
                "json.items[1] == 2",
                "json.items contains \"x\"",
                "json.missing.path == 1",
                "json.ok == false",
                "body contains \"DOWN\"",
                "body !contains \"DOWN\"",
                "body matches \"^\\\\{\"",
                "header.Content-Type contains \"json\"",
                "value < 90",
                "value < 95%",
                "count >= 1",
                "memory < 2GB",
                "exit == 0",
            ],
            expect![[r#"
                status == 200                        fails: expected status == 200, got 500
                status >= 500                        holds
                status != 200                        holds
                latency < 500ms                      fails: expected latency < 500ms, got 812ms
                latency < 1s                         holds
                latency <= 900                       holds
                json.status == "UP"                  fails: expected json.status == "UP", got "DOWN"
                json.components.db.status == "UP"    holds
                json.items[1] == 2                   holds
                json.items contains "x"              fails: expected json.items contains "x", got [1,2]
                json.missing.path == 1               fails: expected json.missing.path == 1, got nothing at that path
                json.ok == false                     holds
                body contains "DOWN"                 holds
                body !contains "DOWN"                fails: expected body !contains "DOWN", got "{\"status\":\"DOWN\",\"components\":{\"db\":{\"status\":\"UP\"}},\"items\":[1,2],\"ok\":false}"
                body matches "^\\{"                  holds
                header.Content-Type contains "json"  holds
                value < 90                           fails: expected value < 90, got 93.5
                value < 95%                          holds
                count >= 1                           fails: expected count >= 1, got 0
                memory < 2GB                         fails: expected memory < 2GB, got 3GB
                exit == 0                            fails: expected exit == 0, got no value `exit`
            "#]],
        );
    }

    #[test]
    fn parse_errors_point_at_the_column() {
        check(
            &[
                "status = 200",
                "status == UP",
                "latency < 5xs",
                "== 200",
                "status",
                "status == ",
                "json.a..b == 1",
                "json.a[x] == 1",
                "body contains \"open",
                "body matches \"(\"",
                "status == 200 200",
                "header. == 1",
                "component. == \"UP\"",
            ],
            expect![[r#"
                status = 200                         parse error: column 8: use `==` to compare
                status == UP                         parse error: column 11: `UP` is not a value; quote strings: `"UP"`
                latency < 5xs                        parse error: column 11: `5xs` is neither a number, a duration (`500ms`) nor a size (`10MB`)
                == 200                               parse error: column 1: expected a subject such as `status`, `latency` or `json.path`
                status                               parse error: column 7: expected an operator: == != < <= > >= contains !contains matches
                status ==                            parse error: column 11: expected a value after the operator
                json.a..b == 1                       parse error: column 8: empty segment in the JSON path
                json.a[x] == 1                       parse error: column 7: an array index is written `[0]`
                body contains "open                  parse error: column 15: unterminated string: add the closing `"`
                body matches "("                     parse error: column 17: invalid regular expression: regex parse error:
                    (
                    ^
                error: unclosed group
                status == 200 200                    parse error: column 15: unexpected text after the value; write one condition per string
                header. == 1                         parse error: column 8: expected a header name after `header.`
                component. == "UP"                   parse error: column 11: expected a component name after `component.`
            "#]],
        );
    }
}
