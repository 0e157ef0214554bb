//! One pass from TOML text to a valid [`Config`]: syntax, unknown keys (with a
//! did-you-mean), types, then meaning (ids, units, kinds, references, cycles). Every
//! error is collected; nothing stops at the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::raw::{RawAction, RawBreaker, RawCheck, RawConfig, RawSettings};
use super::units::{parse_duration, parse_size};
use super::*;
use crate::condition::Condition;
use crate::model::{is_valid_id, CheckId};

const KINDS: &[&str] = &["http", "tcp", "system", "process", "command", "self"];
const PLANNED_KINDS: &[&str] = &["dns", "tls", "file", "heartbeat", "prometheus", "alertmanager"];
const ACTION_KINDS: &[&str] = &["command"];
const PLANNED_ACTION_KINDS: &[&str] = &["restart", "http", "signal", "cleanup"];
/// Keys of the public contract that this version does not act on yet: refused with a
/// clear message rather than silently ignored.
const PLANNED_CHECK_KEYS: &[&str] = &["auto_action", "alert", "grace"];
const PLANNED_ACTION_KEYS: &[&str] =
    &["unit", "url", "method", "path", "pattern", "older_than", "keep_newest", "max_total_size", "max_runs", "per"];

const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Compiles config text; `file` names it in messages.
pub fn compile(text: &str, file: &str) -> Result<Compiled, ConfigErrors> {
    let mut cx = Cx { source: Source::new(text, file), errors: Vec::new(), warnings: Vec::new() };
    let raw = cx.deserialize(text);
    let config = cx.compile(raw);
    if cx.errors.is_empty() {
        Ok(Compiled { config, warnings: cx.warnings })
    } else {
        cx.errors.sort_by_key(|d| (d.line, d.column));
        cx.errors.dedup();
        Err(ConfigErrors(cx.errors))
    }
}

struct Source<'a> {
    file: &'a str,
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str, file: &'a str) -> Source<'a> {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Source { file, text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }
}

struct Cx<'a> {
    source: Source<'a>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn diagnostic(&self, span: &Range<usize>, message: String, resolution: &str) -> Diagnostic {
        let (line, column) = self.source.locate(span.start);
        Diagnostic { file: self.source.file.to_owned(), line, column, message, resolution: resolution.to_owned() }
    }

    fn error(&mut self, span: &Range<usize>, message: impl Into<String>, resolution: impl AsRef<str>) {
        let diagnostic = self.diagnostic(span, message.into(), resolution.as_ref());
        self.errors.push(diagnostic);
    }

    fn warn(&mut self, span: &Range<usize>, message: impl Into<String>, resolution: impl AsRef<str>) {
        let diagnostic = self.diagnostic(span, message.into(), resolution.as_ref());
        self.warnings.push(diagnostic);
    }

    /// Syntax and keys for the whole document, then each table deserialized on its own
    /// so that one bad entry does not hide the errors of the others.
    fn deserialize(&mut self, text: &str) -> RawConfig {
        let root = match DeTable::parse(text) {
            Ok(root) => root,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                self.error(&span, format!("invalid TOML: {}", e.message().trim()), "fix the syntax at this position");
                return RawConfig::default();
            }
        };
        let mut raw = RawConfig::default();
        for (key, value) in root.get_ref().iter() {
            let span = key.span();
            match key.get_ref().as_ref() {
                "settings" => {
                    raw.settings = self.table::<RawSettings>("settings", value, &[]);
                }
                "check" => {
                    for entry in self.array_of_tables("check", value) {
                        raw.check.extend(self.table::<RawCheck>("check", &entry, PLANNED_CHECK_KEYS));
                    }
                }
                "action" => {
                    for entry in self.array_of_tables("action", value) {
                        raw.action.extend(self.table::<RawAction>("action", &entry, PLANNED_ACTION_KEYS));
                    }
                }
                other => {
                    let hint = did_you_mean(other, &["settings", "check", "action"]);
                    self.error(
                        &span,
                        format!("unknown top-level key `{other}`"),
                        format!("{hint}the file holds [settings], [[check]] and [[action]] tables"),
                    );
                }
            }
        }
        raw
    }

    fn array_of_tables<'i>(&mut self, name: &str, value: &Spanned<DeValue<'i>>) -> Vec<Spanned<DeValue<'i>>> {
        match value.get_ref() {
            DeValue::Array(items) => items.iter().cloned().collect(),
            _ => {
                self.error(
                    &value.span(),
                    format!("`{name}` must be an array of tables"),
                    format!("write each one as a [[{name}]] table"),
                );
                Vec::new()
            }
        }
    }

    /// Reports unknown keys (all of them, with a did-you-mean), drops them, then
    /// deserializes the rest.
    fn table<T: for<'de> Deserialize<'de> + JsonSchema>(
        &mut self,
        what: &str,
        value: &Spanned<DeValue<'_>>,
        planned: &[&str],
    ) -> Option<T> {
        let DeValue::Table(table) = value.get_ref() else {
            self.error(&value.span(), format!("`{what}` must be a table"), format!("write it as [{what}]"));
            return None;
        };
        let known = known_keys::<T>();
        let nested = nested_tables::<T>();
        let mut kept = DeTable::default();
        let label = format!("[[{what}]]");
        for (key, item) in table.iter() {
            let name = key.get_ref().as_ref();
            if !known.iter().any(|k| k == name) {
                self.unknown_key(&label, name, &key.span(), &known, planned);
                continue;
            }
            let item = match (nested.iter().find(|(k, _)| k == name), item.get_ref()) {
                (Some((_, keys)), DeValue::Table(inner)) => {
                    let inner = self.drop_unknown(&format!("the `{name}` table of {label}"), inner, keys);
                    Spanned::new(item.span(), DeValue::Table(inner))
                }
                _ => item.clone(),
            };
            kept.insert(key.clone(), item);
        }
        let deserializer = ValueDeserializer::from(Spanned::new(value.span(), DeValue::Table(kept)));
        match T::deserialize(deserializer) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                let span = e.span().unwrap_or_else(|| value.span());
                let message = e.message().trim().to_owned();
                let resolution = if message.starts_with("missing field") {
                    "add the field; `watchkeeper config schema` lists every key"
                } else {
                    "give the value the type the key takes (see `watchkeeper config schema`)"
                };
                self.error(&span, format!("in {label}: {message}"), resolution);
                None
            }
        }
    }

    fn drop_unknown<'i>(&mut self, label: &str, table: &DeTable<'i>, known: &[String]) -> DeTable<'i> {
        let mut kept = DeTable::default();
        for (key, item) in table.iter() {
            let name = key.get_ref().as_ref();
            if known.iter().any(|k| k == name) {
                kept.insert(key.clone(), item.clone());
            } else {
                self.unknown_key(label, name, &key.span(), known, &[]);
            }
        }
        kept
    }

    fn unknown_key(&mut self, label: &str, name: &str, span: &Range<usize>, known: &[String], planned: &[&str]) {
        if planned.contains(&name) {
            self.error(
                span,
                format!("`{name}` in {label} is not supported by this version of watchkeeper yet"),
                "remove it; `watchkeeper config schema` lists the keys this version reads",
            );
            return;
        }
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let hint = did_you_mean(name, &known);
        self.error(
            span,
            format!("unknown key `{name}` in {label}"),
            format!("{hint}`watchkeeper config schema` lists every key"),
        );
    }

    fn compile(&mut self, raw: RawConfig) -> Config {
        let settings = raw.settings.unwrap_or_default();
        let default_interval = self.duration_or(settings.interval.as_ref(), DEFAULT_INTERVAL);
        let retention = self.duration_or(settings.retention.as_ref(), Duration::from_secs(7 * 86_400));
        let max_in_flight = match settings.max_in_flight {
            Some(n) if *n.get_ref() == 0 => {
                self.error(&n.span(), "`max_in_flight` must be at least 1", "set it to 1 or more (default 256)");
                1
            }
            Some(n) => *n.get_ref() as usize,
            None => 256,
        };

        let mut action_ids: HashMap<String, Range<usize>> = HashMap::new();
        let mut actions = Vec::new();
        for raw in raw.action {
            if let Some(action) = self.action(raw, &mut action_ids) {
                actions.push(action);
            }
        }

        let check_ids: HashMap<String, Range<usize>> = {
            let mut seen: HashMap<String, Range<usize>> = HashMap::new();
            for check in &raw.check {
                let id = check.id.get_ref();
                if let Some(first) = seen.get(id) {
                    let (line, _) = self.source.locate(first.start);
                    self.error(
                        &check.id.span(),
                        format!("duplicate check id `{id}`, first defined on line {line}"),
                        "give every check a unique id",
                    );
                } else {
                    seen.insert(id.clone(), check.id.span());
                }
            }
            seen
        };

        let mut checks = Vec::new();
        let mut edges: Vec<(String, Vec<Spanned<String>>)> = Vec::new();
        for raw in raw.check {
            edges.push((raw.id.get_ref().clone(), raw.depends_on.clone().unwrap_or_default()));
            if let Some(check) = self.check(raw, default_interval, &check_ids, &action_ids) {
                checks.push(check);
            }
        }
        self.cycles(&edges);
        Config { settings: Settings { max_in_flight, retention }, checks, actions }
    }

    fn duration_or(&mut self, value: Option<&Spanned<String>>, default: Duration) -> Duration {
        let Some(value) = value else { return default };
        match parse_duration(value.get_ref()) {
            Ok(d) => d,
            Err(e) => {
                self.error(&value.span(), e.to_string(), "write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`");
                default
            }
        }
    }

    fn id(&mut self, what: &str, id: &Spanned<String>) -> bool {
        if is_valid_id(id.get_ref()) {
            return true;
        }
        self.error(
            &id.span(),
            format!("{what} id `{}` is not valid", id.get_ref()),
            "use 1 to 64 letters, digits, `-` and `_`",
        );
        false
    }

    fn action(&mut self, raw: RawAction, ids: &mut HashMap<String, Range<usize>>) -> Option<ActionConfig> {
        let valid = self.id("action", &raw.id);
        let id = raw.id.get_ref().clone();
        if let Some(first) = ids.get(&id) {
            let (line, _) = self.source.locate(first.start);
            self.error(
                &raw.id.span(),
                format!("duplicate action id `{id}`, first defined on line {line}"),
                "give every action a unique id",
            );
        } else {
            ids.insert(id.clone(), raw.id.span());
        }
        let kind = raw.kind.get_ref().as_str();
        if !ACTION_KINDS.contains(&kind) {
            self.bad_kind("action", &raw.kind, ACTION_KINDS, PLANNED_ACTION_KINDS);
            return None;
        }
        let timeout = self.duration_or(raw.timeout.as_ref(), Duration::from_secs(60));
        let command = self.command(&format!("action `{id}`"), &raw.kind.span(), raw.command, raw.env, raw.cwd)?;
        valid.then(|| ActionConfig {
            name: raw.name.unwrap_or_else(|| id.clone()),
            id,
            command,
            timeout,
            confirm: raw.confirm.unwrap_or(true),
            verify: raw.verify.unwrap_or(true),
        })
    }

    fn bad_kind(&mut self, what: &str, kind: &Spanned<String>, kinds: &[&str], planned: &[&str]) {
        let name = kind.get_ref();
        if planned.contains(&name.as_str()) {
            self.error(
                &kind.span(),
                format!("{what} kind `{name}` is not supported by this version of watchkeeper yet"),
                format!("use one of: {}", kinds.join(", ")),
            );
        } else {
            let hint = did_you_mean(name, kinds);
            self.error(
                &kind.span(),
                format!("unknown {what} kind `{name}`"),
                format!("{hint}the kinds are: {}", kinds.join(", ")),
            );
        }
    }

    fn command(
        &mut self,
        what: &str,
        at: &Range<usize>,
        command: Option<Spanned<Vec<String>>>,
        env: Option<BTreeMap<String, String>>,
        cwd: Option<String>,
    ) -> Option<CommandSpec> {
        let Some(command) = command else {
            self.error(
                at,
                format!("{what} needs `command`"),
                "add `command = [\"program\", \"arg\"]` (run without a shell)",
            );
            return None;
        };
        if command.get_ref().is_empty() || command.get_ref()[0].trim().is_empty() {
            self.error(
                &command.span(),
                format!("{what}: `command` is empty"),
                "name the program first, then its arguments",
            );
            return None;
        }
        Some(CommandSpec {
            argv: command.into_inner(),
            env: env.unwrap_or_default().into_iter().collect(),
            cwd: cwd.map(PathBuf::from),
        })
    }

    fn check(
        &mut self,
        raw: RawCheck,
        default_interval: Duration,
        check_ids: &HashMap<String, Range<usize>>,
        action_ids: &HashMap<String, Range<usize>>,
    ) -> Option<CheckConfig> {
        let valid_id = self.id("check", &raw.id);
        let id = raw.id.get_ref().clone();
        let errors_before = self.errors.len();
        let kind = raw.kind.get_ref().clone();
        let what = format!("check `{id}`");

        let interval = self.duration_or(raw.interval.as_ref(), default_interval);
        if interval < MIN_INTERVAL {
            let span = raw.interval.as_ref().map_or(raw.id.span(), |i| i.span());
            self.error(
                &span,
                format!("{what}: interval must be at least 100ms, got {}", units::format_duration(interval)),
                "raise `interval`",
            );
        }
        let timeout = self.duration_or(raw.timeout.as_ref(), DEFAULT_TIMEOUT.min(interval));
        if let Some(span) = raw.timeout.as_ref().map(|t| t.span()) {
            if timeout > interval {
                self.error(
                    &span,
                    format!(
                        "{what}: timeout {} is longer than the interval {}",
                        units::format_duration(timeout),
                        units::format_duration(interval)
                    ),
                    "make `timeout` at most `interval`, so a check never has two probes in flight",
                );
            } else if timeout.is_zero() {
                self.error(&span, format!("{what}: timeout must be more than 0"), "set `timeout`, e.g. `5s`");
            }
        }

        let probe = self.probe(&what, &kind, &raw);
        let remote = probe.as_ref().is_some_and(|p| p.is_remote());
        let breaker = self.breaker(&what, remote, raw.breaker.as_ref(), &raw.kind.span());

        let fields: &[&str] = match kind.as_str() {
            "http" => &["status", "latency", "body", "json", "header"],
            "tcp" => &["latency", "connected"],
            "system" => &["value"],
            "process" => &["count", "cpu", "memory", "uptime"],
            "command" => &["exit", "stdout", "latency"],
            "self" => &["lag", "queue", "memory", "dropped"],
            _ => &[],
        };
        let mut expect = self.conditions(&what, "expect", raw.expect.as_deref(), fields);
        if expect.is_empty() && raw.expect.is_none() {
            expect = default_expect(&kind, probe.as_ref());
        }
        let degraded_if = self.conditions(&what, "degraded_if", raw.degraded_if.as_deref(), fields);

        let failure_threshold = self.threshold(&what, "failure_threshold", raw.failure_threshold.as_ref(), 2);
        let success_threshold = self.threshold(&what, "success_threshold", raw.success_threshold.as_ref(), 1);

        let mut depends_on = Vec::new();
        for parent in raw.depends_on.iter().flatten() {
            if parent.get_ref() == &id {
                self.error(&parent.span(), format!("{what} depends on itself"), "remove it from `depends_on`");
            } else if !check_ids.contains_key(parent.get_ref()) {
                let known: Vec<&str> = check_ids.keys().map(String::as_str).collect();
                let hint = did_you_mean(parent.get_ref(), &known);
                self.error(
                    &parent.span(),
                    format!("{what} depends on unknown check `{}`", parent.get_ref()),
                    format!("{hint}name a check defined in this file"),
                );
            } else if let Some(parent) = CheckId::parse(parent.get_ref()) {
                depends_on.push(parent);
            }
        }
        let mut actions = Vec::new();
        for action in raw.actions.iter().flatten() {
            if action_ids.contains_key(action.get_ref()) {
                actions.push(action.get_ref().clone());
            } else {
                let known: Vec<&str> = action_ids.keys().map(String::as_str).collect();
                let hint = did_you_mean(action.get_ref(), &known);
                self.error(
                    &action.span(),
                    format!("{what} offers unknown action `{}`", action.get_ref()),
                    format!("{hint}declare it in an [[action]] table"),
                );
            }
        }

        let probe = probe?;
        if !valid_id || self.errors.len() > errors_before {
            return None;
        }
        let name = match (&probe, raw.name) {
            (_, Some(name)) => name.into_inner(),
            _ => id.clone(),
        };
        Some(CheckConfig {
            id: CheckId::parse(&id)?,
            name,
            probe,
            interval,
            timeout,
            expect,
            degraded_if,
            failure_threshold,
            success_threshold,
            group: raw.group,
            critical: raw.critical.unwrap_or(true),
            depends_on,
            actions,
            breaker,
        })
    }

    fn threshold(&mut self, what: &str, key: &str, value: Option<&Spanned<i64>>, default: u32) -> u32 {
        let Some(value) = value else { return default };
        match u32::try_from(*value.get_ref()) {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                self.error(
                    &value.span(),
                    format!("{what}: `{key}` must be between 1 and 1000, got {}", value.get_ref()),
                    format!("set `{key}` to 1 or more (default {default})"),
                );
                default
            }
        }
    }

    fn breaker(
        &mut self,
        what: &str,
        remote: bool,
        raw: Option<&RawBreaker>,
        at: &Range<usize>,
    ) -> Option<BreakerConfig> {
        if raw.is_some() && !remote {
            self.error(
                at,
                format!("{what}: a breaker only applies to remote checks (http, tcp)"),
                "remove the `breaker` table",
            );
            return None;
        }
        if !remote || raw.is_some_and(|b| b.enabled == Some(false)) {
            return None;
        }
        let failure_threshold =
            self.threshold(what, "breaker.failure_threshold", raw.and_then(|b| b.failure_threshold.as_ref()), 5);
        let open_for = self.duration_or(raw.and_then(|b| b.open_for.as_ref()), Duration::from_secs(30));
        Some(BreakerConfig { failure_threshold, open_for })
    }

    fn conditions(
        &mut self,
        what: &str,
        key: &str,
        raw: Option<&[Spanned<String>]>,
        fields: &[&str],
    ) -> Vec<Condition> {
        let mut out = Vec::new();
        for text in raw.unwrap_or_default() {
            match Condition::parse(text.get_ref()) {
                Ok(condition) => {
                    let root = condition.subject.root();
                    if !fields.is_empty() && !fields.contains(&root) {
                        let hint = did_you_mean(root, fields);
                        self.error(
                            &(text.span().start + 1..text.span().end),
                            format!("{what}: `{root}` is not a value this kind of check has"),
                            format!("{hint}this kind has: {}", fields.join(", ")),
                        );
                    } else {
                        out.push(condition);
                    }
                }
                Err(e) => {
                    // Point inside the string: past the opening quote, at the column.
                    let offset = text.span().start
                        + 1
                        + text.get_ref().char_indices().nth(e.column - 1).map_or(text.get_ref().len(), |(i, _)| i);
                    self.error(&(offset..offset), format!("{what}: in `{key}` condition `{}`: {}", text.get_ref(), e.message), "write conditions as `subject op value`, e.g. `status == 200`, `latency < 500ms`, `json.status == \"UP\"`");
                }
            }
        }
        out
    }

    fn probe(&mut self, what: &str, kind: &str, raw: &RawCheck) -> Option<ProbeSpec> {
        let kind_span = raw.kind.span();
        if !KINDS.contains(&kind) {
            self.bad_kind("check", &raw.kind, KINDS, PLANNED_KINDS);
            return None;
        }
        // Keys of other kinds are refused: a `url` on a tcp check is a mistake.
        let owned: &[&str] = match kind {
            "http" => &["url", "method", "headers", "body", "verify_tls", "max_redirects", "max_body"],
            "tcp" => &["host", "port"],
            "system" => &["metric", "mount"],
            "process" => &["process", "cmdline", "pid_file"],
            "command" => &["command", "env", "cwd"],
            _ => &[],
        };
        let present = [
            ("url", raw.url.is_some()),
            ("method", raw.method.is_some()),
            ("headers", raw.headers.is_some()),
            ("body", raw.body.is_some()),
            ("verify_tls", raw.verify_tls.is_some()),
            ("max_redirects", raw.max_redirects.is_some()),
            ("max_body", raw.max_body.is_some()),
            ("host", raw.host.is_some()),
            ("port", raw.port.is_some()),
            ("metric", raw.metric.is_some()),
            ("mount", raw.mount.is_some()),
            ("process", raw.process.is_some()),
            ("cmdline", raw.cmdline.is_some()),
            ("pid_file", raw.pid_file.is_some()),
            ("command", raw.command.is_some()),
            ("env", raw.env.is_some()),
            ("cwd", raw.cwd.is_some()),
        ];
        let mut foreign = false;
        for (key, is_set) in present {
            if is_set && !owned.contains(&key) {
                foreign = true;
                self.error(
                    &kind_span,
                    format!("{what}: `{key}` is not a key of {kind} checks"),
                    format!("remove `{key}`, or change `kind`"),
                );
            }
        }
        if foreign {
            return None;
        }
        match kind {
            "http" => self.http(what, raw, &kind_span),
            "tcp" => {
                let Some(host) = &raw.host else {
                    self.error(&kind_span, format!("{what} needs `host`"), "add `host = \"127.0.0.1\"`");
                    return None;
                };
                let Some(port) = &raw.port else {
                    self.error(&kind_span, format!("{what} needs `port`"), "add `port = 5432`");
                    return None;
                };
                let Ok(number @ 1..) = u16::try_from(*port.get_ref()) else {
                    self.error(
                        &port.span(),
                        format!("{what}: port must be 1 to 65535, got {}", port.get_ref()),
                        "fix the port number",
                    );
                    return None;
                };
                Some(ProbeSpec::Tcp { host: host.get_ref().clone(), port: number })
            }
            "system" => {
                let Some(metric) = &raw.metric else {
                    self.error(
                        &kind_span,
                        format!("{what} needs `metric`"),
                        "add `metric = \"cpu\"` (cpu, memory, swap, disk, load1, load5, load15)",
                    );
                    return None;
                };
                let metrics = [
                    SystemMetric::Cpu,
                    SystemMetric::Memory,
                    SystemMetric::Swap,
                    SystemMetric::Disk,
                    SystemMetric::Load1,
                    SystemMetric::Load5,
                    SystemMetric::Load15,
                ];
                let Some(found) = metrics.into_iter().find(|m| m.as_str() == metric.get_ref()) else {
                    let names: Vec<&str> = metrics.iter().map(|m| m.as_str()).collect();
                    let hint = did_you_mean(metric.get_ref(), &names);
                    self.error(
                        &metric.span(),
                        format!("{what}: unknown metric `{}`", metric.get_ref()),
                        format!("{hint}the metrics are: {}", names.join(", ")),
                    );
                    return None;
                };
                if raw.mount.is_some() && found != SystemMetric::Disk {
                    self.error(
                        &metric.span(),
                        format!("{what}: `mount` only applies to metric = \"disk\""),
                        "remove `mount`",
                    );
                    return None;
                }
                let mount = (found == SystemMetric::Disk).then(|| PathBuf::from(raw.mount.as_deref().unwrap_or("/")));
                Some(ProbeSpec::System { metric: found, mount })
            }
            "process" => {
                let given = [raw.process.is_some(), raw.cmdline.is_some(), raw.pid_file.is_some()];
                if given.iter().filter(|g| **g).count() > 1 {
                    self.error(
                        &kind_span,
                        format!("{what}: give only one of `process`, `cmdline`, `pid_file`"),
                        "keep the one that identifies the process best",
                    );
                    return None;
                }
                if let Some(name) = &raw.process {
                    return Some(process_by_name(name.get_ref()));
                }
                if let Some(pattern) = &raw.cmdline {
                    return match regex::Regex::new(pattern.get_ref()) {
                        Ok(re) => Some(ProbeSpec::Process(ProcessMatch::Cmdline(re))),
                        Err(e) => {
                            self.error(
                                &pattern.span(),
                                format!("{what}: `cmdline` is not a valid regular expression: {e}"),
                                "fix the pattern",
                            );
                            None
                        }
                    };
                }
                if let Some(path) = &raw.pid_file {
                    return Some(ProbeSpec::Process(ProcessMatch::PidFile(PathBuf::from(path))));
                }
                match &raw.name {
                    Some(name) => Some(process_by_name(name.get_ref())),
                    None => {
                        self.error(
                            &kind_span,
                            format!("{what} needs `process`, `cmdline` or `pid_file`"),
                            "add `process = \"postgres\"`",
                        );
                        None
                    }
                }
            }
            "command" => self
                .command(what, &kind_span, raw.command.clone(), raw.env.clone(), raw.cwd.clone())
                .map(ProbeSpec::Command),
            "self" => Some(ProbeSpec::Itself),
            _ => None,
        }
    }

    fn http(&mut self, what: &str, raw: &RawCheck, kind_span: &Range<usize>) -> Option<ProbeSpec> {
        let Some(url) = &raw.url else {
            self.error(kind_span, format!("{what} needs `url`"), "add `url = \"https://example.com/health\"`");
            return None;
        };
        let parsed = match reqwest::Url::parse(url.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            Ok(u) => {
                self.error(
                    &url.span(),
                    format!("{what}: `{}` is not an http or https URL (scheme `{}`)", url.get_ref(), u.scheme()),
                    "use a URL like `http://127.0.0.1:8080/health`",
                );
                return None;
            }
            Err(e) => {
                self.error(
                    &url.span(),
                    format!("{what}: `{}` is not a valid URL: {e}", url.get_ref()),
                    "use a URL like `http://127.0.0.1:8080/health`",
                );
                return None;
            }
        };
        let method = raw.method.as_ref().map_or("GET".to_owned(), |m| m.get_ref().to_ascii_uppercase());
        if reqwest::Method::from_bytes(method.as_bytes()).is_err() {
            let span = raw.method.as_ref().map_or(kind_span.clone(), |m| m.span());
            self.error(&span, format!("{what}: `{method}` is not an HTTP method"), "use GET, HEAD, POST, PUT, ...");
        }
        let max_body = match &raw.max_body {
            Some(size) => match parse_size(size.get_ref()) {
                Ok(n) if n > 0 => n,
                Ok(_) => {
                    self.error(
                        &size.span(),
                        format!("{what}: `max_body` must be more than 0"),
                        "set e.g. `max_body = \"1MB\"`",
                    );
                    1
                }
                Err(e) => {
                    self.error(&size.span(), e.to_string(), "write a size like `64KB` or `10MB`");
                    1
                }
            },
            None => 1_000_000,
        };
        let mut headers = Vec::new();
        if let Some(raw_headers) = &raw.headers {
            for (name, value) in raw_headers.get_ref() {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    self.error(
                        &raw_headers.span(),
                        format!("{what}: `{name}` is not a valid header name"),
                        "use letters, digits and `-`",
                    );
                    continue;
                }
                match resolve_secret(value) {
                    Ok(secret) => headers.push((name.clone(), secret)),
                    Err(message) => self.error(
                        &raw_headers.span(),
                        format!("{what}: header `{name}`: {message}"),
                        "set the variable or create the file, or write the value inline",
                    ),
                }
            }
        }
        let verify_tls = raw.verify_tls.unwrap_or(true);
        if !verify_tls {
            self.warn(
                kind_span,
                format!("{what}: TLS verification is off"),
                "a man-in-the-middle would go unnoticed; prefer fixing the certificate",
            );
        }
        Some(ProbeSpec::Http(HttpSpec {
            url: parsed,
            method,
            headers,
            body: raw.body.clone(),
            verify_tls,
            max_redirects: raw.max_redirects.unwrap_or(5),
            max_body,
        }))
    }

    /// Reports each dependency cycle once, at the first check of the cycle.
    fn cycles(&mut self, edges: &[(String, Vec<Spanned<String>>)]) {
        let graph: HashMap<&str, Vec<&Spanned<String>>> =
            edges.iter().map(|(id, deps)| (id.as_str(), deps.iter().collect())).collect();
        let mut reported: HashSet<String> = HashSet::new();
        for (start, _) in edges {
            // Depth-first search for a path back to `start`.
            let mut stack: Vec<(&str, Vec<&str>)> = vec![(start.as_str(), vec![start.as_str()])];
            let mut seen: HashSet<&str> = HashSet::new();
            while let Some((node, path)) = stack.pop() {
                for dep in graph.get(node).into_iter().flatten() {
                    let dep_id = dep.get_ref().as_str();
                    if dep_id == start && path.len() > 1 {
                        let mut members: Vec<&str> = path.clone();
                        members.sort_unstable();
                        if reported.insert(members.join(",")) {
                            let cycle =
                                path.iter().chain(std::iter::once(&dep_id)).copied().collect::<Vec<_>>().join(" -> ");
                            self.error(
                                &dep.span(),
                                format!("dependency cycle: {cycle}"),
                                "remove one of these `depends_on` entries",
                            );
                        }
                    } else if dep_id != start && seen.insert(dep_id) {
                        let mut next = path.clone();
                        next.push(dep_id);
                        stack.push((dep_id, next));
                    }
                }
            }
        }
    }
}

fn process_by_name(name: &str) -> ProbeSpec {
    ProbeSpec::Process(ProcessMatch::Name(name.to_owned()))
}

fn default_expect(kind: &str, probe: Option<&ProbeSpec>) -> Vec<Condition> {
    let texts: Vec<String> = match (kind, probe) {
        ("http", _) => vec!["status >= 200".into(), "status < 400".into()],
        ("tcp", _) => vec!["connected == true".into()],
        ("process", _) => vec!["count >= 1".into()],
        ("command", _) => vec!["exit == 0".into()],
        ("system", Some(ProbeSpec::System { metric, .. })) => match metric {
            SystemMetric::Cpu | SystemMetric::Memory | SystemMetric::Disk => vec!["value < 90".into()],
            SystemMetric::Swap => vec!["value < 80".into()],
            SystemMetric::Load1 | SystemMetric::Load5 | SystemMetric::Load15 => {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                vec![format!("value < {}", cores * 2)]
            }
        },
        ("self", _) => vec!["lag < 1s".into(), "dropped == 0".into()],
        _ => Vec::new(),
    };
    texts.iter().filter_map(|t| Condition::parse(t).ok()).collect()
}

fn resolve_secret(value: &str) -> Result<Secret, String> {
    let Some(reference) = value.strip_prefix("${").and_then(|r| r.strip_suffix('}')) else {
        return Ok(Secret::plain(value.to_owned()));
    };
    let resolved = if let Some(name) = reference.strip_prefix("env:") {
        std::env::var(name).map_err(|_| format!("environment variable `{name}` is not set"))?
    } else if let Some(path) = reference.strip_prefix("file:") {
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read secret file `{path}`: {e}"))?
            .trim_end()
            .to_owned()
    } else {
        return Err(format!("`${{{reference}}}` is neither `${{env:NAME}}` nor `${{file:PATH}}`"));
    };
    Ok(Secret { value: resolved, is_reference: true })
}

fn known_keys<T: JsonSchema>() -> Vec<String> {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    schema.get("properties").and_then(|p| p.as_object()).map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

/// Nested tables whose keys are checked too (e.g. a check's `breaker`).
fn nested_tables<T: JsonSchema>() -> Vec<(String, Vec<String>)> {
    if T::schema_name() == RawCheck::schema_name() {
        vec![("breaker".to_owned(), known_keys::<RawBreaker>())]
    } else {
        Vec::new()
    }
}

/// "did you mean `x`? " for the closest candidate, or nothing.
fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`? "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(text: &str, expect: Expect) {
        let out = match compile(text, "wk.toml") {
            Ok(compiled) => {
                let mut out = String::from("ok\n");
                for check in &compiled.config.checks {
                    out.push_str(&format!(
                        "check {} kind={} interval={:?} timeout={:?} thresholds={}/{} expect={:?} breaker={:?}\n",
                        check.id,
                        check.kind(),
                        check.interval,
                        check.timeout,
                        check.failure_threshold,
                        check.success_threshold,
                        check.expect.iter().map(|c| c.source.as_str()).collect::<Vec<_>>(),
                        check.breaker,
                    ));
                }
                for warning in &compiled.warnings {
                    out.push_str(&format!("warning: {warning}\n"));
                }
                out
            }
            Err(errors) => errors.to_string(),
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn compiles_a_valid_config_with_defaults() {
        check(
            r#"
[settings]
interval = "10s"

[[check]]
id = "api"
kind = "http"
url = "http://127.0.0.1:8080/health"
verify_tls = false
breaker = { failure_threshold = 3, open_for = "1m" }

[[check]]
id = "db"
kind = "tcp"
host = "127.0.0.1"
port = 5432
interval = "1s"
expect = ["latency < 100ms"]
failure_threshold = 1
depends_on = ["api"]
"#,
            expect![[r#"
                ok
                check api kind=http interval=10s timeout=10s thresholds=2/1 expect=["status >= 200", "status < 400"] breaker=Some(BreakerConfig { failure_threshold: 3, open_for: 60s })
                check db kind=tcp interval=1s timeout=1s thresholds=1/1 expect=["latency < 100ms"] breaker=Some(BreakerConfig { failure_threshold: 5, open_for: 30s })
                warning: wk.toml:7:8: check `api`: TLS verification is off
                  help: a man-in-the-middle would go unnoticed; prefer fixing the certificate
            "#]],
        );
    }

    #[test]
    fn reports_every_error_at_once_with_its_location() {
        check(
            r#"[[check]]
id = "api"
kind = "http"
url = "http://127.0.0.1/"
intervall = "10s"
expect = ["status = 200", "bogus < 3"]
timeout = "ten seconds"

[[check]]
id = "api"
kind = "tcp"
host = "localhost"
port = 70000
depends_on = ["apx"]
actions = ["restart"]

[[check]]
id = "bad id!"
kind = "htp"

[[check]]
id = "a"
kind = "system"
metric = "cpu"
depends_on = ["b"]

[[check]]
id = "b"
kind = "system"
metric = "memroy"
depends_on = ["a"]

[[check]]
id = "x"
kind = "dns"
alert = { }

[[action]]
id = "fix"
kind = "command"
command = []

[[action]]
id = "fix"
kind = "shell"
"#,
            expect![[r#"
                17 errors in config
                wk.toml:5:1: unknown key `intervall` in [[check]]
                  help: did you mean `interval`? `watchkeeper config schema` lists every key
                wk.toml:6:19: check `api`: in `expect` condition `status = 200`: use `==` to compare
                  help: write conditions as `subject op value`, e.g. `status == 200`, `latency < 500ms`, `json.status == "UP"`
                wk.toml:6:28: check `api`: `bogus` is not a value this kind of check has
                  help: this kind has: status, latency, body, json, header
                wk.toml:7:11: `ten seconds` is not a valid duration: expected a number before each unit, like `1m30s`
                  help: write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`
                wk.toml:10:6: duplicate check id `api`, first defined on line 2
                  help: give every check a unique id
                wk.toml:13:8: check `api`: port must be 1 to 65535, got 70000
                  help: fix the port number
                wk.toml:14:15: check `api` depends on unknown check `apx`
                  help: did you mean `api`? name a check defined in this file
                wk.toml:15:12: check `api` offers unknown action `restart`
                  help: declare it in an [[action]] table
                wk.toml:18:6: check id `bad id!` is not valid
                  help: use 1 to 64 letters, digits, `-` and `_`
                wk.toml:19:8: unknown check kind `htp`
                  help: did you mean `http`? the kinds are: http, tcp, system, process, command, self
                wk.toml:30:10: check `b`: unknown metric `memroy`
                  help: did you mean `memory`? the metrics are: cpu, memory, swap, disk, load1, load5, load15
                wk.toml:31:15: dependency cycle: a -> b -> a
                  help: remove one of these `depends_on` entries
                wk.toml:35:8: check kind `dns` is not supported by this version of watchkeeper yet
                  help: use one of: http, tcp, system, process, command, self
                wk.toml:36:1: `alert` in [[check]] is not supported by this version of watchkeeper yet
                  help: remove it; `watchkeeper config schema` lists the keys this version reads
                wk.toml:41:11: action `fix`: `command` is empty
                  help: name the program first, then its arguments
                wk.toml:44:6: duplicate action id `fix`, first defined on line 39
                  help: give every action a unique id
                wk.toml:45:8: unknown action kind `shell`
                  help: the kinds are: command
            "#]],
        );
    }

    #[test]
    fn syntax_and_type_errors() {
        check(
            "[[check]\nid = 1",
            expect![[r#"
            1 error in config
            wk.toml:1:9: invalid TOML: unclosed array table, expected `]`
              help: fix the syntax at this position
        "#]],
        );
        check(
            "[[check]]\nid = 1\nkind = \"tcp\"\n",
            expect![[r#"
            1 error in config
            wk.toml:2:6: in [[check]]: invalid type: integer `1`, expected a string
              help: give the value the type the key takes (see `watchkeeper config schema`)
        "#]],
        );
        check(
            "[[check]]\nkind = \"tcp\"\n",
            expect![[r#"
            1 error in config
            wk.toml:1:1: in [[check]]: missing field `id`
              help: add the field; `watchkeeper config schema` lists every key
        "#]],
        );
        check(
            "[check]\nid = \"a\"\n",
            expect![[r#"
            1 error in config
            wk.toml:1:1: `check` must be an array of tables
              help: write each one as a [[check]] table
        "#]],
        );
        check(
            "[[check]]\nid=\"a\"\nkind=\"tcp\"\nhost=\"h\"\nport=1\nbreaker = { open_fr = \"1s\" }\n",
            expect![[r#"
                1 error in config
                wk.toml:6:13: unknown key `open_fr` in the `breaker` table of [[check]]
                  help: did you mean `open_for`? `watchkeeper config schema` lists every key
            "#]],
        );
        check(
            "[[check]]\nid=\"a\"\nkind=\"tcp\"\nurl=\"http://x\"\nhost=\"h\"\nport=1\n",
            expect![[r#"
            1 error in config
            wk.toml:3:6: check `a`: `url` is not a key of tcp checks
              help: remove `url`, or change `kind`
        "#]],
        );
        check(
            "[[check]]\nid=\"a\"\nkind=\"tcp\"\nhost=\"h\"\nport=1\ninterval=\"1s\"\ntimeout=\"5s\"\n",
            expect![[r#"
            1 error in config
            wk.toml:7:9: check `a`: timeout 5s is longer than the interval 1s
              help: make `timeout` at most `interval`, so a check never has two probes in flight
        "#]],
        );
    }

    #[test]
    fn the_default_config_compiles() {
        let compiled = compile(DEFAULT_CONFIG, "default").expect("the embedded default config must compile");
        assert!(compiled.config.checks.len() >= 5, "the default watches cpu, memory, disk, swap and itself");
    }
}
