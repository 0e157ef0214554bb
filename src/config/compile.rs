//! One pass from TOML text to a valid [`Config`]: syntax, unknown keys (with a
//! did-you-mean), types, then meaning (ids, units, kinds, references, cycles). Every
//! error is collected; nothing stops at the first. Each is said of the table and key
//! it is about: `wk.toml:5:12: check "a": interval: ...`.
//!
//! A check's own keys are read here; its kind's keys are its kind's module's
//! (`probe::kinds()`), which compiles them into the check's probe.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::time::Duration;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::alerts;
use super::raw::{
    RawAction, RawAlerts, RawAutoAction, RawBreaker, RawChannel, RawCheck, RawCheckAlert, RawConnectivity,
    RawMaintenance, RawSettings, RawWindow,
};
use super::{ActionConfig, CheckConfig, Compiled, Config, ConfigErrors, Connectivity, SentinelTarget, Settings};
use crate::action::{self, ActionSpec};
use crate::alert::channel::{self, ChannelSpec};
use crate::alert::AlertSettings;
use crate::breaker::{BreakerConfig, Trip, Window};
use crate::budget::Budget;
use crate::condition::Condition;
use crate::diagnostic::{did_you_mean, key_names, table_schema, Report, Scope};
use crate::healing::AutoAction;
use crate::model::{is_valid_id, ActionId, CheckId};
use crate::probe::{self, Common, Kind, ProbeSpec};
use crate::units;

/// Kinds of the public contract that this version does not probe yet.
const PLANNED_KINDS: &[&str] = &["dns", "tls", "file", "heartbeat", "prometheus", "alertmanager"];
const PLANNED_ACTION_KINDS: &[&str] = &[];
/// Keys of the public contract that this version does not act on yet: refused with a
/// clear message rather than silently ignored.
const PLANNED_CHECK_KEYS: &[&str] = &["grace"];
const PLANNED_ACTION_KEYS: &[&str] = &[];
/// Keys of `[alerts]` in the public contract that this version does not read yet.
const PLANNED_ALERTS_KEYS: &[&str] = &[];

/// Kinds that exist in the crate's own tests only (`probe::scripted`,
/// `alert::channel::recording`): never offered in a message.
const TEST_KINDS: &[&str] = &["scripted", "recording"];

const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const MIN_INTERVAL: Duration = Duration::from_millis(100);
const CONDITIONS: &str =
    "write conditions as `subject op value`, e.g. `status == 200`, `latency < 500ms`, `json.status == \"UP\"`";

/// Compiles config text; `file` names it in messages.
pub fn compile(text: &str, file: &str) -> Result<Compiled, ConfigErrors> {
    let kinds = probe::kinds();
    let action_kinds = action::kinds();
    let channel_kinds = channel::kinds();
    let mut cx = Compiler {
        report: Report::new(text, file),
        check_owners: Owners {
            what: "check",
            common: known_keys::<RawCheck>(),
            kinds: kinds.iter().map(|k| k.name).collect(),
            kind_keys: kinds.iter().map(Kind::key_names).collect(),
            planned_kinds: PLANNED_KINDS,
            planned_keys: PLANNED_CHECK_KEYS,
        },
        action_owners: Owners {
            what: "action",
            common: known_keys::<RawAction>(),
            kinds: action_kinds.iter().map(|k| k.name).collect(),
            kind_keys: action_kinds.iter().map(action::Kind::key_names).collect(),
            planned_kinds: PLANNED_ACTION_KINDS,
            planned_keys: PLANNED_ACTION_KEYS,
        },
        channel_owners: Owners {
            what: "channel",
            common: known_keys::<RawChannel>(),
            kinds: channel_kinds.iter().map(|k| k.name).collect(),
            kind_keys: channel_kinds.iter().map(channel::Kind::key_names).collect(),
            planned_kinds: &[],
            planned_keys: &[],
        },
        kinds,
        action_kinds,
        channel_kinds,
        nested_keys: vec![
            ("breaker", known_keys::<RawBreaker>()),
            ("auto_action", known_keys::<RawAutoAction>()),
            ("alert", known_keys::<RawCheckAlert>()),
        ],
    };
    let document = cx.read(text);
    let config = cx.compile(document);
    let Report { mut errors, warnings, .. } = cx.report;
    if errors.is_empty() {
        Ok(Compiled { config, warnings })
    } else {
        errors.sort_by_key(|d| (d.line, d.column));
        errors.dedup();
        Err(ConfigErrors(errors))
    }
}

struct Compiler<'a> {
    report: Report<'a>,
    kinds: Vec<Kind>,
    action_kinds: Vec<action::Kind>,
    channel_kinds: Vec<channel::Kind>,
    /// Who owns which keys of a check, an action and a channel: read once per file (a
    /// schema is not free), in the order of their kinds.
    check_owners: Owners,
    action_owners: Owners,
    channel_owners: Owners,
    /// The keys of a check's nested tables (`breaker`, `auto_action`).
    nested_keys: Vec<(&'static str, Vec<String>)>,
}

/// The file as read: each table's keys, types checked.
#[derive(Default)]
struct Document {
    settings: Option<RawSettings>,
    alerts: Option<RawAlerts>,
    channels: Vec<ChannelEntry>,
    maintenance: Vec<RawMaintenance>,
    checks: Vec<Entry>,
    actions: Vec<ActionEntry>,
}

/// Who owns which keys of a table: the table itself, or one of its kinds.
struct Owners {
    /// "check", "action" or "channel".
    what: &'static str,
    common: Vec<String>,
    kinds: Vec<&'static str>,
    /// Each kind's keys, in the order of `kinds`.
    kind_keys: Vec<Vec<String>>,
    planned_kinds: &'static [&'static str],
    planned_keys: &'static [&'static str],
}

/// A table's keys, split by owner.
struct Split<'i> {
    own: DeTable<'i>,
    kind_keys: DeTable<'i>,
    /// The kind, when `kind` names a known one.
    kind: Option<usize>,
    /// Where `kind` is (the table when it has none).
    kind_span: Range<usize>,
}

/// An `[[action]]` as read: its own keys, and what it does from its kind's keys.
struct ActionEntry {
    raw: RawAction,
    spec: Option<ActionSpec>,
}

/// A `[[channel]]` as read: its own keys, and how it delivers from its kind's keys.
pub(super) struct ChannelEntry {
    pub raw: RawChannel,
    pub spec: Option<ChannelSpec>,
}

/// A `[[check]]` as read: its own keys, and its probe from its kind's keys.
struct Entry {
    raw: RawCheck,
    probe: Option<ProbeSpec>,
    /// The values its kind's conditions may use.
    fields: &'static [&'static str],
}

/// How a table is named in messages: `check "api"`, or `[[check]]` before its id is known.
fn label(what: &str, table: &DeTable<'_>) -> String {
    match table.get("id").map(|id| id.get_ref()) {
        Some(DeValue::String(id)) => format!("{what} {:?}", id.as_ref()),
        _ => format!("[[{what}]]"),
    }
}

/// `[settings] connectivity`: on by default (a route and the resolver, every 10 s).
fn connectivity(raw: Option<RawConnectivity>, scope: &mut Scope<'_, '_>) -> Option<Connectivity> {
    let default = Connectivity { targets: Vec::new(), interval: Duration::from_secs(10) };
    let Some(raw) = raw else { return Some(default) };
    let interval = match &raw.interval {
        Some(i) => match scope.duration("connectivity.interval", i) {
            Some(d) if d >= Duration::from_millis(500) => d,
            Some(_) => {
                let message = "must be at least 500ms";
                scope.error(&i.span(), "connectivity.interval", message, "set e.g. `interval = \"10s\"`");
                default.interval
            }
            None => default.interval,
        },
        None => default.interval,
    };
    let mut targets = Vec::new();
    for target in raw.targets.as_deref().unwrap_or_default() {
        let text = target.get_ref();
        let parsed = reqwest::Url::parse(text).ok().and_then(|url| match url.scheme() {
            "tcp" => Some(SentinelTarget::Tcp { host: probe::bare_host(&url)?.to_owned(), port: url.port()? }),
            "http" | "https" if url.host().is_some() => Some(SentinelTarget::Http(url)),
            _ => None,
        });
        match parsed {
            Some(parsed) => targets.push(parsed),
            None => scope.error(
                &target.span(),
                "connectivity.targets",
                format_args!("`{text}` is not `tcp://HOST:PORT` or an http(s) URL"),
                "write e.g. `tcp://192.0.2.1:443` or `https://example.org/`",
            ),
        }
    }
    raw.enabled.unwrap_or(true).then_some(Connectivity { targets, interval })
}

fn known_keys<T: JsonSchema>() -> Vec<String> {
    key_names(&table_schema::<T>())
}

impl<'a> Compiler<'a> {
    fn scope(&mut self, label: &str, anchor: Range<usize>) -> Scope<'_, 'a> {
        self.report.scope(label.to_owned(), anchor)
    }

    /// Syntax and keys for the whole document, then each table read on its own so
    /// that one bad entry does not hide the errors of the others.
    fn read(&mut self, text: &str) -> Document {
        let root = match DeTable::parse(text) {
            Ok(root) => root,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = format!("invalid TOML: {}", e.message().trim());
                self.report.error(&span, message, "fix the syntax at this position");
                return Document::default();
            }
        };
        let mut document = Document::default();
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                "settings" => match value.get_ref() {
                    DeValue::Table(table) => {
                        let kept = self.keep_known::<RawSettings>("settings", table, &[]);
                        let mut scope = self.scope("settings", value.span());
                        document.settings = scope.deserialize(kept, value.span());
                    }
                    _ => self.report.error(&value.span(), "`settings` must be a table", "write it as [settings]"),
                },
                "check" => {
                    for entry in self.array_of_tables("check", value) {
                        document.checks.extend(self.check_entry(&entry));
                    }
                }
                "action" => {
                    for entry in self.array_of_tables("action", value) {
                        document.actions.extend(self.action_entry(&entry));
                    }
                }
                "alerts" => match value.get_ref() {
                    DeValue::Table(table) => {
                        let kept = self.keep_known::<RawAlerts>("alerts", table, PLANNED_ALERTS_KEYS);
                        document.alerts = self.scope("alerts", value.span()).deserialize(kept, value.span());
                    }
                    _ => self.report.error(&value.span(), "`alerts` must be a table", "write it as [alerts]"),
                },
                "channel" => {
                    for entry in self.array_of_tables("channel", value) {
                        document.channels.extend(self.channel_entry(&entry));
                    }
                }
                "maintenance" => {
                    for entry in self.array_of_tables("maintenance", value) {
                        let DeValue::Table(table) = entry.get_ref() else { continue };
                        let label = label("maintenance", table);
                        let kept = self.keep_known::<RawMaintenance>(&label, table, &[]);
                        document.maintenance.extend(self.scope(&label, entry.span()).deserialize(kept, entry.span()));
                    }
                }
                other => {
                    let hint =
                        did_you_mean(other, &["settings", "check", "action", "alerts", "channel", "maintenance"]);
                    self.report.error(
                        &key.span(),
                        format!("unknown top-level key `{other}`"),
                        format!(
                            "{hint}the file holds [settings], [alerts], [[check]], [[action]], [[channel]] and [[maintenance]] tables"
                        ),
                    );
                }
            }
        }
        document
    }

    /// The entries of `[[name]]`, each a table.
    fn array_of_tables<'i>(&mut self, name: &str, value: &Spanned<DeValue<'i>>) -> Vec<Spanned<DeValue<'i>>> {
        let items = match value.get_ref() {
            DeValue::Array(items) => items.iter().cloned().collect(),
            _ => Vec::new(),
        };
        if items.is_empty() || items.iter().any(|item| !matches!(item.get_ref(), DeValue::Table(_))) {
            self.report.error(
                &value.span(),
                format!("`{name}` must be an array of tables"),
                format!("write each one as a [[{name}]] table"),
            );
        }
        items
    }

    /// A table's keys that `T` reads; the rest are reported, each once, with a
    /// did-you-mean.
    fn keep_known<'i, T: JsonSchema + DeserializeOwned>(
        &mut self,
        label: &str,
        table: &DeTable<'i>,
        planned: &[&str],
    ) -> DeTable<'i> {
        let known = known_keys::<T>();
        let mut kept = DeTable::default();
        for (key, item) in table.iter() {
            let name = key.get_ref().as_ref();
            if known.iter().any(|k| k == name) {
                kept.insert(key.clone(), item.clone());
            } else {
                unknown_key(&mut self.report, label, name, &key.span(), &known, planned);
            }
        }
        kept
    }

    /// A `[[check]]`: its own keys, and its kind's compiled into its probe.
    fn check_entry(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Entry> {
        let DeValue::Table(table) = value.get_ref() else { return None };
        let label = label("check", table);
        let split = split(&mut self.report, &self.nested_keys, &label, value, &self.check_owners);
        let raw: Option<RawCheck> = self.scope(&label, value.span()).deserialize(split.own, value.span());
        let kind = split.kind.map(|k| (self.kinds[k].compile, self.kinds[k].fields));
        let probe = kind.and_then(|(compile, _)| {
            let name = raw.as_ref().and_then(|r| r.name.as_ref()).map(|n| n.get_ref().as_str());
            compile(split.kind_keys, value.span(), Common { name }, &mut self.scope(&label, split.kind_span))
        });
        Some(Entry { raw: raw?, probe, fields: kind.map_or(&[], |(_, fields)| fields) })
    }

    /// An `[[action]]`: its own keys, and its kind's compiled into what it does.
    fn action_entry(&mut self, value: &Spanned<DeValue<'_>>) -> Option<ActionEntry> {
        let DeValue::Table(table) = value.get_ref() else { return None };
        let label = label("action", table);
        let split = split(&mut self.report, &self.nested_keys, &label, value, &self.action_owners);
        let raw: Option<RawAction> = self.scope(&label, value.span()).deserialize(split.own, value.span());
        let compile = split.kind.map(|k| self.action_kinds[k].compile);
        let spec = compile
            .and_then(|compile| compile(split.kind_keys, value.span(), &mut self.scope(&label, split.kind_span)));
        Some(ActionEntry { raw: raw?, spec })
    }

    /// A `[[channel]]`: its own keys, and its kind's compiled into how it delivers.
    fn channel_entry(&mut self, value: &Spanned<DeValue<'_>>) -> Option<ChannelEntry> {
        let DeValue::Table(table) = value.get_ref() else { return None };
        let label = label("channel", table);
        let split = split(&mut self.report, &self.nested_keys, &label, value, &self.channel_owners);
        let raw: Option<RawChannel> = self.scope(&label, value.span()).deserialize(split.own, value.span());
        let compile = split.kind.map(|k| self.channel_kinds[k].compile);
        let spec = compile
            .and_then(|compile| compile(split.kind_keys, value.span(), &mut self.scope(&label, split.kind_span)));
        Some(ChannelEntry { raw: raw?, spec })
    }

    fn compile(&mut self, document: Document) -> Config {
        let settings = self.settings(document.settings.unwrap_or_default());
        let channels = alerts::channels(document.channels, &mut self.report);
        let alert_settings = match document.alerts {
            Some(raw) => alerts::settings(raw, &channels, &mut self.scope("alerts", 0..0)),
            None => AlertSettings::default(),
        };
        let mut action_ids: HashMap<String, Range<usize>> = HashMap::new();
        let mut actions = Vec::new();
        for entry in document.actions {
            actions.extend(self.action(entry, &mut action_ids));
        }
        let mut check_ids: HashMap<String, Range<usize>> = HashMap::new();
        for entry in &document.checks {
            let id = &entry.raw.id;
            match check_ids.get(id.get_ref()) {
                Some(first) => {
                    let label = format!("check {:?}", id.get_ref());
                    let mut scope = self.scope(&label, id.span());
                    let line = scope.line_of(first);
                    let message = format_args!("duplicate id, first defined on line {line}");
                    scope.error(&id.span(), "", message, "give every check a unique id");
                }
                None => {
                    check_ids.insert(id.get_ref().clone(), id.span());
                }
            }
        }
        let groups: HashSet<String> = document.checks.iter().filter_map(|e| e.raw.group.clone()).collect();
        let mut checks = Vec::new();
        let mut edges: Vec<(String, Vec<Spanned<String>>)> = Vec::new();
        for entry in document.checks {
            edges.push((entry.raw.id.get_ref().clone(), entry.raw.depends_on.clone().unwrap_or_default()));
            checks.extend(self.check(entry, settings.1, &check_ids, &action_ids, (&alert_settings, &channels)));
        }
        self.cycles(&edges);
        self.link(&mut actions, &checks, &check_ids);
        let maintenance = alerts::windows(document.maintenance, (&check_ids, &groups), &mut self.report);
        Config { settings: settings.0, checks, actions, alerts: alert_settings, channels, maintenance }
    }

    /// Gives each action that acts on a check's processes (`signal`, `restart` with
    /// `check`) that check's matcher: it must be a process check of this file.
    fn link(
        &mut self,
        actions: &mut [ActionConfig],
        checks: &[CheckConfig],
        check_ids: &HashMap<String, Range<usize>>,
    ) {
        for action in actions {
            let label = format!("action {:?}", action.id.as_str());
            let Some((id, span, matcher)) = action.spec.process_check() else { continue };
            let span = &span;
            let mut scope = self.scope(&label, span.clone());
            match checks.iter().find(|c| c.id.as_str() == id) {
                Some(CheckConfig { probe: ProbeSpec::Process(found), .. }) => *matcher = Some(found.clone()),
                Some(other) => {
                    let message = format_args!("check `{id}` is a {} check, not a process check", other.kind());
                    scope.error(
                        span,
                        "check",
                        message,
                        "name a `kind = \"process\"` check: the action acts on its processes",
                    );
                }
                // Its own errors are reported already.
                None if check_ids.contains_key(id) => {}
                None => {
                    let known: Vec<&str> = check_ids.keys().map(String::as_str).collect();
                    let hint = did_you_mean(id, &known);
                    let message = format_args!("unknown check `{id}`");
                    scope.error(span, "check", message, format!("{hint}name a process check defined in this file"));
                }
            }
        }
    }

    /// The settings, and the default interval of checks.
    fn settings(&mut self, raw: RawSettings) -> (Settings, Duration) {
        let mut scope = self.scope("settings", 0..0);
        let interval = raw.interval.as_ref().and_then(|i| scope.duration("interval", i)).unwrap_or(DEFAULT_INTERVAL);
        let retention = raw.retention.as_ref().and_then(|r| scope.duration("retention", r));
        let max_in_flight = match raw.max_in_flight {
            Some(n) if *n.get_ref() == 0 => {
                scope.error(&n.span(), "max_in_flight", "must be at least 1", "set it to 1 or more (default 256)");
                1
            }
            Some(n) => *n.get_ref() as usize,
            None => 256,
        };
        let retention = retention.unwrap_or(Duration::from_secs(7 * 86_400));
        let connectivity = connectivity(raw.connectivity, &mut scope);
        (Settings { max_in_flight, retention, connectivity }, interval)
    }

    /// An id is valid and not taken; `what` is "check" or "action".
    fn id(&mut self, scope_label: &str, id: &Spanned<String>) -> bool {
        if is_valid_id(id.get_ref()) {
            return true;
        }
        let message = format_args!("`{}` is not a valid id", id.get_ref());
        self.scope(scope_label, id.span()).error(&id.span(), "id", message, "use 1 to 64 letters, digits, `-` and `_`");
        false
    }

    fn action(&mut self, entry: ActionEntry, ids: &mut HashMap<String, Range<usize>>) -> Option<ActionConfig> {
        let ActionEntry { raw, spec } = entry;
        let label = format!("action {:?}", raw.id.get_ref());
        let valid = self.id(&label, &raw.id);
        let mut scope = self.scope(&label, raw.kind.span());
        match ids.get(raw.id.get_ref()) {
            Some(first) => {
                let line = scope.line_of(first);
                let message = format_args!("duplicate id, first defined on line {line}");
                scope.error(&raw.id.span(), "", message, "give every action a unique id");
            }
            None => {
                ids.insert(raw.id.get_ref().clone(), raw.id.span());
            }
        }
        let timeout = raw.timeout.as_ref().and_then(|t| scope.duration("timeout", t));
        let per = raw.per.as_ref().and_then(|p| scope.duration("per", p)).unwrap_or(Budget::default().per);
        if per.is_zero() {
            let span = raw.per.as_ref().map_or(raw.id.span(), |p| p.span());
            scope.error(&span, "per", "must be more than 0", "set `per`, e.g. `10m` (default 10m)");
        }
        let max_runs = self.threshold(&label, "max_runs", raw.max_runs.as_ref(), Budget::default().max_runs);
        let spec = spec?;
        let id = ActionId::parse(raw.id.get_ref()).filter(|_| valid)?;
        Some(ActionConfig {
            name: raw.name.unwrap_or_else(|| id.to_string()),
            id,
            spec,
            timeout: timeout.unwrap_or(Duration::from_secs(60)),
            confirm: raw.confirm.unwrap_or(true),
            verify: raw.verify.unwrap_or(true),
            budget: Budget { max_runs, per },
        })
    }

    fn check(
        &mut self,
        entry: Entry,
        default_interval: Duration,
        check_ids: &HashMap<String, Range<usize>>,
        action_ids: &HashMap<String, Range<usize>>,
        (alert_settings, channels): (&AlertSettings, &[channel::ChannelConfig]),
    ) -> Option<CheckConfig> {
        let Entry { raw, probe, fields } = entry;
        let id = raw.id.get_ref().clone();
        let label = format!("check {id:?}");
        let errors_before = self.report.errors.len();
        let valid_id = self.id(&label, &raw.id);
        let (interval, timeout) = self.timing(&label, &raw, default_interval);
        let kind = raw.kind.get_ref().as_str();
        let remote = probe.as_ref().is_some_and(ProbeSpec::is_remote);
        let breaker = self.breaker(&label, remote, raw.breaker.as_ref(), &raw.kind.span(), timeout);
        let mut expect = self.conditions(&label, "expect", raw.expect.as_deref(), kind, fields);
        if expect.is_empty() && raw.expect.is_none() {
            let defaults = probe.as_ref().map(ProbeSpec::default_expect).unwrap_or_default();
            expect = defaults.iter().filter_map(|text| Condition::parse(text).ok()).collect();
        }
        let degraded_if = self.conditions(&label, "degraded_if", raw.degraded_if.as_deref(), kind, fields);
        let failure_threshold = self.threshold(&label, "failure_threshold", raw.failure_threshold.as_ref(), 2);
        let success_threshold = self.threshold(&label, "success_threshold", raw.success_threshold.as_ref(), 1);
        let depends_on = self.references(&label, &id, raw.depends_on.as_deref(), check_ids);
        let mut actions = self.actions(&label, "actions", raw.actions.as_deref(), action_ids);
        let auto_action = self.auto_action(&label, &raw, action_ids);
        let alert =
            alerts::check_alert(raw.alert.as_ref(), alert_settings, channels, &mut self.scope(&label, raw.id.span()));
        if let Some(auto) = &auto_action {
            if !actions.iter().any(|a| a == auto.action.as_str()) {
                actions.push(auto.action.to_string());
            }
        }
        let probe = probe?;
        let remote = raw.network.unwrap_or(false) || probe.off_machine();
        if !valid_id || self.report.errors.len() > errors_before {
            return None;
        }
        Some(CheckConfig {
            name: raw.name.map_or_else(|| id.clone(), Spanned::into_inner),
            id: CheckId::parse(&id)?,
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
            actions: actions.into_iter().filter_map(|a| ActionId::parse(&a)).collect(),
            breaker,
            auto_action,
            alert,
            remote,
        })
    }

    /// `auto_action` and `stable_for`; `stable_for` alone is a warning (it has nothing to settle).
    fn auto_action(
        &mut self,
        label: &str,
        raw: &RawCheck,
        action_ids: &HashMap<String, Range<usize>>,
    ) -> Option<AutoAction> {
        let mut scope = self.scope(label, raw.id.span());
        let stable_for = raw.stable_for.as_ref().and_then(|s| scope.duration("stable_for", s));
        let Some(auto) = &raw.auto_action else {
            if let Some(given) = &raw.stable_for {
                let resolution = "add `auto_action = { action = \"ID\" }`, or remove `stable_for`";
                scope.warn(&given.span(), "stable_for", "has no effect without `auto_action`", resolution);
            }
            return None;
        };
        let backoff = auto.backoff.as_ref().and_then(|b| scope.duration("auto_action.backoff", b));
        let max_backoff = auto.max_backoff.as_ref().and_then(|b| scope.duration("auto_action.max_backoff", b));
        let backoff = backoff.unwrap_or(Duration::from_secs(30));
        let max_backoff = max_backoff.unwrap_or(Duration::from_secs(600));
        if max_backoff < backoff {
            let span = auto.max_backoff.as_ref().map_or(auto.action.span(), |b| b.span());
            let message = format_args!(
                "{} is shorter than the backoff {}",
                units::format_duration(max_backoff),
                units::format_duration(backoff)
            );
            scope.error(&span, "auto_action.max_backoff", message, "make `max_backoff` at least `backoff`");
        }
        let after = self.threshold(label, "auto_action.after", auto.after.as_ref(), 3);
        let known = self.actions(label, "auto_action.action", Some(std::slice::from_ref(&auto.action)), action_ids);
        let action = ActionId::parse(known.first()?)?;
        Some(AutoAction {
            action,
            after,
            backoff,
            max_backoff,
            stable_for: stable_for.unwrap_or(Duration::from_secs(600)),
        })
    }

    /// The interval (at least 100 ms) and the timeout (more than 0, at most the interval).
    fn timing(&mut self, label: &str, raw: &RawCheck, default_interval: Duration) -> (Duration, Duration) {
        let mut scope = self.scope(label, raw.id.span());
        let interval = raw.interval.as_ref().and_then(|i| scope.duration("interval", i)).unwrap_or(default_interval);
        if interval < MIN_INTERVAL {
            let span = raw.interval.as_ref().map_or(raw.id.span(), |i| i.span());
            let message = format_args!("must be at least 100ms, got {}", units::format_duration(interval));
            scope.error(&span, "interval", message, "raise `interval`");
        }
        let Some(given) = &raw.timeout else { return (interval, DEFAULT_TIMEOUT.min(interval)) };
        let timeout = scope.duration("timeout", given).unwrap_or(DEFAULT_TIMEOUT.min(interval));
        if timeout > interval {
            let (timeout, interval) = (units::format_duration(timeout), units::format_duration(interval));
            scope.error(
                &given.span(),
                "timeout",
                format_args!("{timeout} is longer than the interval {interval}"),
                "make `timeout` at most `interval`, so a check never has two probes in flight",
            );
        } else if timeout.is_zero() {
            scope.error(&given.span(), "timeout", "must be more than 0", "set `timeout`, e.g. `5s`");
        }
        (interval, timeout)
    }

    fn threshold(&mut self, label: &str, key: &str, value: Option<&Spanned<i64>>, default: u32) -> u32 {
        let Some(value) = value else { return default };
        match u32::try_from(*value.get_ref()) {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                let message = format_args!("must be between 1 and 1000, got {}", value.get_ref());
                let resolution = format!("set `{key}` to 1 or more (default {default})");
                self.scope(label, value.span()).error(&value.span(), key, message, resolution);
                default
            }
        }
    }

    fn breaker(
        &mut self,
        label: &str,
        remote: bool,
        raw: Option<&RawBreaker>,
        at: &Range<usize>,
        timeout: Duration,
    ) -> Option<BreakerConfig> {
        if raw.is_some() && !remote {
            let message = "only applies to remote checks (http, tcp)";
            self.scope(label, at.clone()).error(at, "breaker", message, "remove the `breaker` table");
            return None;
        }
        if !remote || raw.is_some_and(|b| b.enabled == Some(false)) {
            return None;
        }
        let Some(raw) = raw else { return Some(BreakerConfig::first_form(5, timeout)) };
        let mut scope = self.scope(label, at.clone());
        let mut duration = |key: &str, value: Option<&Spanned<String>>, default: Duration| {
            value.and_then(|v| scope.duration(key, v)).unwrap_or(default)
        };
        let open_for = duration("breaker.open_for", raw.open_for.as_ref(), Duration::from_secs(30));
        let max_open_for = duration("breaker.max_open_for", raw.max_open_for.as_ref(), Duration::from_secs(600));
        let slow_call = duration("breaker.slow_call", raw.slow_call.as_ref(), timeout);
        let rate_keys = [
            raw.window.as_ref().map(|w| ("window", w.span())),
            raw.failure_rate.as_ref().map(|r| ("failure_rate", r.span())),
            raw.slow_rate.as_ref().map(|r| ("slow_rate", r.span())),
            raw.min_calls.as_ref().map(|m| ("min_calls", m.span())),
        ];
        let rate_key = rate_keys.into_iter().flatten().next();
        let trip = match (&raw.failure_threshold, rate_key) {
            (Some(threshold), Some((key, _))) => {
                let message = format_args!("`failure_threshold` (failures in a row) and `{key}` (rates over a window) are two ways to open a breaker");
                self.scope(label, threshold.span()).error(
                    &threshold.span(),
                    "breaker",
                    message,
                    "keep one: `failure_threshold = 5`, or `window`, `failure_rate`, `slow_rate` and `min_calls`",
                );
                return None;
            }
            (_, None) => {
                Trip::Consecutive(self.threshold(label, "breaker.failure_threshold", raw.failure_threshold.as_ref(), 5))
            }
            (None, Some(_)) => Trip::Rates {
                window: self.breaker_window(label, raw.window.as_ref()),
                failure_rate: self.percent(label, "breaker.failure_rate", raw.failure_rate.as_ref(), 50.0),
                slow_rate: self.percent(label, "breaker.slow_rate", raw.slow_rate.as_ref(), 100.0),
                min_calls: self.count(label, "breaker.min_calls", raw.min_calls.as_ref(), 10, 10_000),
            },
        };
        let default_trials = if matches!(trip, Trip::Consecutive(_)) { 1 } else { 3 };
        let half_open_calls =
            self.count(label, "breaker.half_open_calls", raw.half_open_calls.as_ref(), default_trials, 100);
        if let (Some(given), true) = (&raw.max_open_for, max_open_for < open_for) {
            let message = format_args!(
                "{} is shorter than `open_for` ({})",
                units::format_duration(max_open_for),
                units::format_duration(open_for)
            );
            self.scope(label, given.span()).error(
                &given.span(),
                "breaker.max_open_for",
                message,
                "make `max_open_for` at least `open_for`",
            );
        }
        for (key, value) in [("breaker.open_for", open_for), ("breaker.slow_call", slow_call)] {
            if value.is_zero() {
                self.scope(label, at.clone()).error(at, key, "must be more than 0", format!("set `{key}`, e.g. `30s`"));
            }
        }
        Some(BreakerConfig { trip, slow_call, half_open_calls, open_for, max_open_for })
    }

    /// A breaker's window: 1 to 1000 calls, or a period of 1 s to a day.
    fn breaker_window(&mut self, label: &str, raw: Option<&Spanned<RawWindow>>) -> Window {
        const DEFAULT: Window = Window::Count(20);
        let Some(raw) = raw else { return DEFAULT };
        let mut scope = self.scope(label, raw.span());
        let key = "breaker.window";
        let resolution = "set `window` to a number of calls (`20`) or a period (`\"60s\"`)";
        match raw.get_ref() {
            RawWindow::Calls(n) => match u32::try_from(*n) {
                Ok(n) if (1..=1000).contains(&n) => Window::Count(n),
                _ => {
                    scope.error(&raw.span(), key, format_args!("must be 1 to 1000 calls, got {n}"), resolution);
                    DEFAULT
                }
            },
            RawWindow::Period(text) => match units::parse_duration(text) {
                Ok(period) if (Duration::from_secs(1)..=Duration::from_secs(86_400)).contains(&period) => {
                    Window::Time(period)
                }
                Ok(period) => {
                    let message = format_args!("must be 1s to 1d, got {}", units::format_duration(period));
                    scope.error(&raw.span(), key, message, resolution);
                    DEFAULT
                }
                Err(e) => {
                    scope.error(&raw.span(), key, e, resolution);
                    DEFAULT
                }
            },
        }
    }

    /// A percentage above 0, at most 100.
    fn percent(&mut self, label: &str, key: &str, value: Option<&Spanned<f64>>, default: f64) -> f64 {
        let Some(value) = value else { return default };
        let n = *value.get_ref();
        if n > 0.0 && n <= 100.0 {
            return n;
        }
        let message = format_args!("must be a percentage above 0 and at most 100, got {n}");
        let resolution = format!("set `{key}` to e.g. 50 (default {default})");
        self.scope(label, value.span()).error(&value.span(), key, message, resolution);
        default
    }

    /// A whole number from 1 to `max`.
    fn count(&mut self, label: &str, key: &str, value: Option<&Spanned<i64>>, default: u32, max: u32) -> u32 {
        let Some(value) = value else { return default };
        match u32::try_from(*value.get_ref()) {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                let message = format_args!("must be between 1 and {max}, got {}", value.get_ref());
                let resolution = format!("set `{key}` to 1 or more (default {default})");
                self.scope(label, value.span()).error(&value.span(), key, message, resolution);
                default
            }
        }
    }

    /// Conditions of `key`, each on a value the kind has.
    fn conditions(
        &mut self,
        label: &str,
        key: &str,
        raw: Option<&[Spanned<String>]>,
        kind: &str,
        fields: &[&str],
    ) -> Vec<Condition> {
        let mut out = Vec::new();
        for text in raw.unwrap_or_default() {
            let mut scope = self.scope(label, text.span());
            match Condition::parse(text.get_ref()) {
                Ok(condition) => {
                    let root = condition.subject.root();
                    if !fields.is_empty() && !fields.contains(&root) {
                        let hint = did_you_mean(root, fields);
                        let at = text.span().start + 1..text.span().end;
                        let message = format_args!("`{root}` is not a value of {kind} checks");
                        scope.error(&at, key, message, format!("{hint}{kind} checks have: {}", fields.join(", ")));
                    } else {
                        out.push(condition);
                    }
                }
                Err(e) => {
                    // Point inside the string: past the opening quote, at the column.
                    let source = text.get_ref();
                    let offset = text.span().start
                        + 1
                        + source.char_indices().nth(e.column - 1).map_or(source.len(), |(i, _)| i);
                    let message = format_args!("in condition `{source}`: {}", e.message);
                    scope.error(&(offset..offset), key, message, CONDITIONS);
                }
            }
        }
        out
    }

    /// `depends_on`: checks of this file, not itself.
    fn references(
        &mut self,
        label: &str,
        id: &str,
        parents: Option<&[Spanned<String>]>,
        check_ids: &HashMap<String, Range<usize>>,
    ) -> Vec<CheckId> {
        let mut depends_on = Vec::new();
        for parent in parents.unwrap_or_default() {
            let mut scope = self.scope(label, parent.span());
            if parent.get_ref() == id {
                scope.error(&parent.span(), "depends_on", "a check cannot depend on itself", "remove it");
            } else if !check_ids.contains_key(parent.get_ref()) {
                let known: Vec<&str> = check_ids.keys().map(String::as_str).collect();
                let hint = did_you_mean(parent.get_ref(), &known);
                let message = format_args!("unknown check `{}`", parent.get_ref());
                scope.error(&parent.span(), "depends_on", message, format!("{hint}name a check defined in this file"));
            } else if let Some(parent) = CheckId::parse(parent.get_ref()) {
                depends_on.push(parent);
            }
        }
        depends_on
    }

    /// `actions`: actions of this file.
    fn actions(
        &mut self,
        label: &str,
        key: &str,
        actions: Option<&[Spanned<String>]>,
        action_ids: &HashMap<String, Range<usize>>,
    ) -> Vec<String> {
        let mut offered = Vec::new();
        for action in actions.unwrap_or_default() {
            if action_ids.contains_key(action.get_ref()) {
                offered.push(action.get_ref().clone());
                continue;
            }
            let known: Vec<&str> = action_ids.keys().map(String::as_str).collect();
            let hint = did_you_mean(action.get_ref(), &known);
            let message = format_args!("unknown action `{}`", action.get_ref());
            let resolution = format!("{hint}declare it in an [[action]] table");
            self.scope(label, action.span()).error(&action.span(), key, message, resolution);
        }
        offered
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
                            let label = format!("check {node:?}");
                            let mut scope = self.scope(&label, dep.span());
                            let message = format_args!("dependency cycle: {cycle}");
                            scope.error(&dep.span(), "depends_on", message, "remove one of these `depends_on` entries");
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

/// Splits a table's keys by owner: the table's own (nested tables checked too),
/// its kind's, and the rest, reported: a planned key as not supported yet, another
/// kind's as a mistake, an unknown one with a did-you-mean. An unknown kind is
/// reported here too.
fn split<'i>(
    report: &mut Report<'_>,
    nested_keys: &[(&str, Vec<String>)],
    label: &str,
    value: &Spanned<DeValue<'i>>,
    owners: &Owners,
) -> Split<'i> {
    let mut split =
        Split { own: DeTable::default(), kind_keys: DeTable::default(), kind: None, kind_span: value.span() };
    let DeValue::Table(table) = value.get_ref() else { return split };
    let kind_name = match table.get("kind").map(|k| (k.get_ref(), k.span())) {
        Some((DeValue::String(name), span)) => {
            split.kind_span = span;
            Some(name.as_ref())
        }
        _ => None,
    };
    split.kind = kind_name.and_then(|name| owners.kinds.iter().position(|k| *k == name));
    if let (Some(name), None) = (kind_name, split.kind) {
        bad_kind(report, label, name, &split.kind_span, owners);
    }
    let kind_keys = split.kind.map(|k| owners.kind_keys[k].as_slice()).unwrap_or_default();
    for (key, item) in table.iter() {
        let name = key.get_ref().as_ref();
        if owners.common.iter().any(|k| k == name) {
            split.own.insert(key.clone(), nested(report, nested_keys, label, name, item));
        } else if kind_keys.iter().any(|k| k == name) {
            split.kind_keys.insert(key.clone(), item.clone());
        } else if owners.kind_keys.iter().flatten().any(|k| k == name) {
            // A key of another kind; with an unknown kind, that error says it all.
            if let (Some(kind), Some(_)) = (kind_name, split.kind) {
                let message = format_args!("`{name}` is not a key of {kind} {}s", owners.what);
                let resolution = format!("remove `{name}`, or change `kind`");
                report.scope(label.to_owned(), key.span()).error(&key.span(), "", message, resolution);
            }
        } else {
            let candidates: Vec<String> = owners.common.iter().chain(kind_keys).cloned().collect();
            unknown_key(report, label, name, &key.span(), &candidates, owners.planned_keys);
        }
    }
    split
}

fn bad_kind(report: &mut Report<'_>, label: &str, name: &str, span: &Range<usize>, owners: &Owners) {
    let mut scope = report.scope(label.to_owned(), span.clone());
    // The crate's own test kinds are not ones to offer.
    let offered: Vec<&str> = owners.kinds.iter().copied().filter(|k| !TEST_KINDS.contains(k)).collect();
    let kinds = offered.join(", ");
    if owners.planned_kinds.contains(&name) {
        let message = format_args!("`{name}` is not supported by this version of watchkeeper yet");
        scope.error(span, "kind", message, format!("use one of: {kinds}"));
    } else {
        let hint = did_you_mean(name, &offered);
        scope.error(span, "kind", format_args!("unknown kind `{name}`"), format!("{hint}the kinds are: {kinds}"));
    }
}

/// A nested table (a check's `breaker`, `auto_action`) with its unknown keys reported
/// and dropped; any other value as it is.
fn nested<'i>(
    report: &mut Report<'_>,
    nested_keys: &[(&str, Vec<String>)],
    label: &str,
    name: &str,
    item: &Spanned<DeValue<'i>>,
) -> Spanned<DeValue<'i>> {
    let DeValue::Table(inner) = item.get_ref() else { return item.clone() };
    let Some((_, known)) = nested_keys.iter().find(|(table, _)| *table == name) else { return item.clone() };
    let mut kept = DeTable::default();
    for (key, value) in inner.iter() {
        if known.iter().any(|k| k == key.get_ref().as_ref()) {
            kept.insert(key.clone(), value.clone());
        } else {
            unknown_key(report, &format!("{label}: {name}"), key.get_ref(), &key.span(), known, &[]);
        }
    }
    Spanned::new(item.span(), DeValue::Table(kept))
}

fn unknown_key(
    report: &mut Report<'_>,
    label: &str,
    name: &str,
    span: &Range<usize>,
    known: &[String],
    planned: &[&str],
) {
    let mut scope = report.scope(label.to_owned(), span.clone());
    if planned.contains(&name) {
        let message = format_args!("`{name}` is not supported by this version of watchkeeper yet");
        scope.error(span, "", message, "remove it; `watchkeeper config schema` lists the keys this version reads");
        return;
    }
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let hint = did_you_mean(name, &known);
    let resolution = format!("{hint}`watchkeeper config schema` lists every key");
    scope.error(span, "", format_args!("unknown key `{name}`"), resolution);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_CONFIG;
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
                check api kind=http interval=10s timeout=10s thresholds=2/1 expect=["status >= 200", "status < 400"] breaker=Some(BreakerConfig { trip: Consecutive(3), slow_call: 10s, half_open_calls: 1, open_for: 60s, max_open_for: 600s })
                check db kind=tcp interval=1s timeout=1s thresholds=1/1 expect=["latency < 100ms"] breaker=Some(BreakerConfig { trip: Consecutive(5), slow_call: 1s, half_open_calls: 1, open_for: 30s, max_open_for: 600s })
                warning: wk.toml:9:14: check "api": verify_tls: TLS verification is off
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
grace = "1m"

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
                wk.toml:5:1: check "api": unknown key `intervall`
                  help: did you mean `interval`? `watchkeeper config schema` lists every key
                wk.toml:6:19: check "api": expect: in condition `status = 200`: use `==` to compare
                  help: write conditions as `subject op value`, e.g. `status == 200`, `latency < 500ms`, `json.status == "UP"`
                wk.toml:6:28: check "api": expect: `bogus` is not a value of http checks
                  help: http checks have: status, latency, body, json, header, component
                wk.toml:7:11: check "api": timeout: `ten seconds` is not a valid duration: expected a number before each unit, like `1m30s`
                  help: write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`
                wk.toml:10:6: check "api": duplicate id, first defined on line 2
                  help: give every check a unique id
                wk.toml:13:8: check "api": port: must be 1 to 65535, got 70000
                  help: fix the port number
                wk.toml:14:15: check "api": depends_on: unknown check `apx`
                  help: did you mean `api`? name a check defined in this file
                wk.toml:15:12: check "api": actions: unknown action `restart`
                  help: declare it in an [[action]] table
                wk.toml:18:6: check "bad id!": id: `bad id!` is not a valid id
                  help: use 1 to 64 letters, digits, `-` and `_`
                wk.toml:19:8: check "bad id!": kind: unknown kind `htp`
                  help: did you mean `http`? the kinds are: http, tcp, system, process, command, self
                wk.toml:30:10: check "b": metric: unknown metric `memroy`
                  help: did you mean `memory`? the metrics are: cpu, memory, swap, disk, load1, load5, load15
                wk.toml:31:15: check "b": depends_on: dependency cycle: a -> b -> a
                  help: remove one of these `depends_on` entries
                wk.toml:35:8: check "x": kind: `dns` is not supported by this version of watchkeeper yet
                  help: use one of: http, tcp, system, process, command, self
                wk.toml:36:1: check "x": `grace` is not supported by this version of watchkeeper yet
                  help: remove it; `watchkeeper config schema` lists the keys this version reads
                wk.toml:41:11: action "fix": command: is empty
                  help: name the program first, then its arguments
                wk.toml:44:6: action "fix": duplicate id, first defined on line 39
                  help: give every action a unique id
                wk.toml:45:8: action "fix": kind: unknown kind `shell`
                  help: the kinds are: command, http, signal, restart, cleanup
            "#]],
        );
    }

    #[test]
    fn recovery_keys_budgets_and_self_healing() {
        let config = r#"
[[check]]
id = "api"
kind = "tcp"
host = "127.0.0.1"
port = 1
auto_action = { action = "restart", after = 2, backoff = "5s" }
stable_for = "1m"

[[action]]
id = "restart"
kind = "command"
command = ["true"]
max_runs = 5
per = "1h"
"#;
        let compiled = compile(config, "wk.toml").expect("valid");
        let api = &compiled.config.checks[0];
        let auto = api.auto_action.as_ref().expect("an auto action");
        assert_eq!((auto.after, auto.backoff, auto.max_backoff), (2, Duration::from_secs(5), Duration::from_secs(600)));
        assert_eq!(auto.stable_for, Duration::from_secs(60));
        assert_eq!(api.actions, [ActionId::parse("restart").unwrap()], "the check offers its auto action");
        let budget = compiled.config.actions[0].budget;
        assert_eq!((budget.max_runs, budget.per), (5, Duration::from_secs(3600)));

        check(
            r#"[[check]]
id = "a"
kind = "tcp"
host = "h"
port = 1
auto_action = { action = "restrat", after = 0, backoff = "1m", max_backoff = "10s" }

[[check]]
id = "b"
kind = "tcp"
host = "h"
port = 1
stable_for = "1m"
auto_action = { actoin = "restart" }

[[check]]
id = "c"
kind = "tcp"
host = "h"
port = 1
stable_for = "1m"

[[action]]
id = "restart"
kind = "command"
command = ["true"]
max_runs = 0
per = "0s"
"#,
            expect![[r#"
                7 errors in config
                wk.toml:6:26: check "a": auto_action.action: unknown action `restrat`
                  help: did you mean `restart`? declare it in an [[action]] table
                wk.toml:6:45: check "a": auto_action.after: must be between 1 and 1000, got 0
                  help: set `auto_action.after` to 1 or more (default 3)
                wk.toml:6:78: check "a": auto_action.max_backoff: 10s is shorter than the backoff 1m
                  help: make `max_backoff` at least `backoff`
                wk.toml:14:15: check "b": auto_action: missing field `action`
                  help: add the field; `watchkeeper config schema` lists every key
                wk.toml:14:17: check "b": auto_action: unknown key `actoin`
                  help: did you mean `action`? `watchkeeper config schema` lists every key
                wk.toml:27:12: action "restart": max_runs: must be between 1 and 1000, got 0
                  help: set `max_runs` to 1 or more (default 3)
                wk.toml:28:7: action "restart": per: must be more than 0
                  help: set `per`, e.g. `10m` (default 10m)
            "#]],
        );
    }

    #[test]
    fn stable_for_without_auto_action_is_a_warning() {
        check(
            "[[check]]\nid = \"c\"\nkind = \"tcp\"\nhost = \"h\"\nport = 1\nstable_for = \"1m\"\n",
            expect![[r#"
                ok
                check c kind=tcp interval=30s timeout=10s thresholds=2/1 expect=["connected == true"] breaker=Some(BreakerConfig { trip: Consecutive(5), slow_call: 10s, half_open_calls: 1, open_for: 30s, max_open_for: 600s })
                warning: wk.toml:6:14: check "c": stable_for: has no effect without `auto_action`
                  help: add `auto_action = { action = "ID" }`, or remove `stable_for`
            "#]],
        );
    }

    #[test]
    fn a_bad_duration_names_the_check_and_the_key() {
        check(
            "[[check]]\nid = \"a\"\nkind = \"tcp\"\nhost = \"h\"\ninterval = \"fast\"\nport = 1\n",
            expect![[r#"
            1 error in config
            wk.toml:5:12: check "a": interval: `fast` is not a valid duration: expected a number before each unit, like `1m30s`
              help: write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`
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
            2 errors in config
            wk.toml:2:6: [[check]]: id: invalid type: integer `1`, expected a string
              help: give the value the type the key takes (see `watchkeeper config schema`)
            wk.toml:3:8: [[check]]: needs `host`
              help: add `host = "127.0.0.1"`
        "#]],
        );
        check(
            "[[check]]\nkind = \"tcp\"\n",
            expect![[r#"
            2 errors in config
            wk.toml:1:1: [[check]]: missing field `id`
              help: add the field; `watchkeeper config schema` lists every key
            wk.toml:2:8: [[check]]: needs `host`
              help: add `host = "127.0.0.1"`
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
                wk.toml:6:13: check "a": breaker: unknown key `open_fr`
                  help: did you mean `open_for`? `watchkeeper config schema` lists every key
            "#]],
        );
        check(
            "[[check]]\nid=\"a\"\nkind=\"tcp\"\nurl=\"http://x\"\nhost=\"h\"\nport=1\n",
            expect![[r#"
            1 error in config
            wk.toml:4:1: check "a": `url` is not a key of tcp checks
              help: remove `url`, or change `kind`
        "#]],
        );
        check(
            "[[check]]\nid=\"a\"\nkind=\"tcp\"\nhost=\"h\"\nport=1\ninterval=\"1s\"\ntimeout=\"5s\"\n",
            expect![[r#"
                1 error in config
                wk.toml:7:9: check "a": timeout: 5s is longer than the interval 1s
                  help: make `timeout` at most `interval`, so a check never has two probes in flight
            "#]],
        );
        check(
            "[[check]]\nid=\"a\"\nkind=\"tcp\"\nhost=\"h\"\nport=\"80\"\n",
            expect![[r#"
            1 error in config
            wk.toml:5:6: check "a": port: invalid type: string "80", expected i64
              help: give the value the type the key takes (see `watchkeeper config schema`)
        "#]],
        );
    }

    #[test]
    fn each_kind_reads_its_own_keys() {
        check(
            r#"
[[check]]
id = "web"
kind = "http"
url = "ftp://example.com/"
method = "GE T"
max_body = "0B"

[[check]]
id = "disk"
kind = "system"
metric = "cpu"
mount = "/"

[[check]]
id = "worker"
kind = "process"

[[check]]
id = "job"
kind = "command"
command = [""]
"#,
            expect![[r#"
                4 errors in config
                wk.toml:5:7: check "web": url: `ftp://example.com/` is not an http or https URL (scheme `ftp`)
                  help: use a URL like `http://127.0.0.1:8080/health`
                wk.toml:12:10: check "disk": mount: only applies to metric = "disk"
                  help: remove `mount`
                wk.toml:17:8: check "worker": needs `process`, `cmdline` or `pid_file`
                  help: add `process = "postgres"`
                wk.toml:22:11: check "job": command: is empty
                  help: name the program first, then its arguments
            "#]],
        );
    }

    #[test]
    fn breakers_take_rates_over_a_window_or_failures_in_a_row_and_refuse_bad_values() {
        let tcp = "[[check]]\nid=\"a\"\nkind=\"tcp\"\nhost=\"h\"\nport=1\n";
        check(
            &format!("{tcp}breaker = {{ window = \"60s\", failure_rate = 40.5, min_calls = 5, slow_call = \"2s\" }}\n"),
            expect![[r#"
                ok
                check a kind=tcp interval=30s timeout=10s thresholds=2/1 expect=["connected == true"] breaker=Some(BreakerConfig { trip: Rates { window: Time(60s), failure_rate: 40.5, slow_rate: 100.0, min_calls: 5 }, slow_call: 2s, half_open_calls: 3, open_for: 30s, max_open_for: 600s })
            "#]],
        );
        check(
            &format!(
                "{tcp}breaker = {{ window = 20, half_open_calls = 2, open_for = \"10s\", max_open_for = \"1m\" }}\n"
            ),
            expect![[r#"
                ok
                check a kind=tcp interval=30s timeout=10s thresholds=2/1 expect=["connected == true"] breaker=Some(BreakerConfig { trip: Rates { window: Count(20), failure_rate: 50.0, slow_rate: 100.0, min_calls: 10 }, slow_call: 10s, half_open_calls: 2, open_for: 10s, max_open_for: 60s })
            "#]],
        );
        check(
            &format!("{tcp}breaker = {{ failure_threshold = 3, failure_rate = 50 }}\n"),
            expect![[r#"
                1 error in config
                wk.toml:6:33: check "a": breaker: `failure_threshold` (failures in a row) and `failure_rate` (rates over a window) are two ways to open a breaker
                  help: keep one: `failure_threshold = 5`, or `window`, `failure_rate`, `slow_rate` and `min_calls`
            "#]],
        );
        check(
            &format!(
                "{tcp}breaker = {{ window = 0, failure_rate = 150, slow_rate = 0, min_calls = -1, half_open_calls = 1000, open_for = \"1m\", max_open_for = \"10s\" }}\n"
            ),
            expect![[r#"
                6 errors in config
                wk.toml:6:22: check "a": breaker.window: must be 1 to 1000 calls, got 0
                  help: set `window` to a number of calls (`20`) or a period (`"60s"`)
                wk.toml:6:40: check "a": breaker.failure_rate: must be a percentage above 0 and at most 100, got 150
                  help: set `breaker.failure_rate` to e.g. 50 (default 50)
                wk.toml:6:57: check "a": breaker.slow_rate: must be a percentage above 0 and at most 100, got 0
                  help: set `breaker.slow_rate` to e.g. 50 (default 100)
                wk.toml:6:72: check "a": breaker.min_calls: must be between 1 and 10000, got -1
                  help: set `breaker.min_calls` to 1 or more (default 10)
                wk.toml:6:94: check "a": breaker.half_open_calls: must be between 1 and 100, got 1000
                  help: set `breaker.half_open_calls` to 1 or more (default 3)
                wk.toml:6:132: check "a": breaker.max_open_for: 10s is shorter than `open_for` (1m)
                  help: make `max_open_for` at least `open_for`
            "#]],
        );
        check(
            &format!("{tcp}breaker = {{ window = \"soon\" }}\n"),
            expect![[r#"
                1 error in config
                wk.toml:6:22: check "a": breaker.window: `soon` is not a valid duration: expected a number before each unit, like `1m30s`
                  help: set `window` to a number of calls (`20`) or a period (`"60s"`)
            "#]],
        );
        check(
            &format!("{tcp}breaker = {{ window = \"2d\" }}\n"),
            expect![[r#"
                1 error in config
                wk.toml:6:22: check "a": breaker.window: must be 1s to 1d, got 2d
                  help: set `window` to a number of calls (`20`) or a period (`"60s"`)
            "#]],
        );
        check(
            &format!("{tcp}breaker = {{ window = [1] }}\n"),
            expect![[r#"
                1 error in config
                wk.toml:6:22: check "a": breaker: invalid type: sequence, expected a number of calls (`20`) or a period (`"60s"`)
                  help: give the value the type the key takes (see `watchkeeper config schema`)
            "#]],
        );
    }

    #[test]
    fn alerts_channels_and_a_checks_alert_compile_and_bad_ones_are_located() {
        let text = r#"
[alerts]
group_wait = "2s"
repeat = "1h"
max_reminders = 5
quiet_hours = { from = "22:00", to = "07:00" }
channels = ["desktop", "team"]

[[channel]]
id = "team"
kind = "webhook"
url = "https://hooks.example.org/wk"
headers = { Authorization = "Bearer abc" }

[[channel]]
id = "pager"
kind = "command"
command = ["notify-pager"]
timeout = "3s"

[[check]]
id = "db"
kind = "tcp"
host = "127.0.0.1"
port = 5432
alert = { severity = "critical", channels = ["pager"], repeat = "10m" }

[[check]]
id = "web"
kind = "tcp"
host = "127.0.0.1"
port = 80
"#;
        let config = compile(text, "wk.toml").expect("valid").config;
        let channels: Vec<(&str, &str)> = config.channels.iter().map(|c| (c.id.as_str(), c.spec.kind())).collect();
        assert_eq!(channels, [("desktop", "desktop"), ("team", "webhook"), ("pager", "command")]);
        assert_eq!(config.alerts.group_wait, Duration::from_secs(2));
        assert_eq!(config.alerts.max_reminders, 5);
        let quiet = config.alerts.quiet_hours.as_ref().expect("quiet hours");
        assert_eq!(quiet.except, [crate::model::Severity::Critical], "critical breaks through by default");
        let db = &config.checks[0].alert;
        assert_eq!(
            (db.severity, db.channels.as_slice(), db.repeat),
            (crate::model::Severity::Critical, ["pager".to_owned()].as_slice(), Some(Duration::from_secs(600)))
        );
        let web = &config.checks[1].alert;
        assert_eq!(
            (web.severity, web.channels.as_slice(), web.repeat),
            (
                crate::model::Severity::Warning,
                ["desktop".to_owned(), "team".to_owned()].as_slice(),
                Some(Duration::from_secs(3600))
            )
        );

        check(
            r#"
[alerts]
group_wait = "1h"
repeat = "0s"
max_reminders = -1
quiet_hours = { from = "22h", to = "22:00", except = ["loud"] }
channels = ["desktp"]
flap = { window = 2, high = 120.0, low = 30 }

[[channel]]
id = "hook"
kind = "webhook"
url = "ftp://example.org"
command = ["x"]

[[channel]]
id = "hook"
kind = "webhook"
url = "http://127.0.0.1:9/"

[[channel]]
id = "am"
kind = "alertmanager"
resend = "0s"

[[channel]]
id = "x"
kind = "pager"

[[channel]]
id = "run"
kind = "command"

[[check]]
id = "a"
kind = "tcp"
host = "127.0.0.1"
port = 1
alert = { severity = "high", on = ["degraded", "up"], channels = ["nope"], repeat = "soon", bogus = 1 }

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
                33 errors in config
                wk.toml:3:14: alerts: group_wait: is longer than 10m
                  help: a failure would wait that long to be told; use e.g. `5s`
                wk.toml:4:10: alerts: repeat: must be at least 1s
                  help: set `repeat`, e.g. `1h`
                wk.toml:5:17: alerts: max_reminders: must be 0 to 1000
                  help: set e.g. `max_reminders = 3`
                wk.toml:6:24: alerts: quiet_hours.from: `22h` is not a time of day
                  help: write it as `HH:MM`, 24-hour local time, e.g. `22:00`
                wk.toml:6:55: alerts: quiet_hours.except: unknown severity `loud`
                  help: use `warning` or `critical`
                wk.toml:7:13: alerts: channels: unknown channel `desktp`
                  help: did you mean `desktop`? declare it in a [[channel]] table
                wk.toml:8:19: alerts: flap.window: must be 3 to 64 results
                  help: set e.g. `window = 21`
                wk.toml:8:29: alerts: flap.high: must be a percent, 0 to 100
                  help: set e.g. `high = 50`
                wk.toml:13:7: channel "hook": url: is not an http(s) URL
                  help: write `http://` or `https://`, a host and a path
                wk.toml:14:1: channel "hook": `command` is not a key of webhook channels
                  help: remove `command`, or change `kind`
                wk.toml:17:6: channel "hook": id: duplicate id, first defined on line 11
                  help: give every channel a unique id
                wk.toml:23:8: channel "am": needs `url`
                  help: add the Alertmanager's URL, e.g. `url = "http://127.0.0.1:9093"`
                wk.toml:28:8: channel "x": kind: unknown kind `pager`
                  help: the kinds are: desktop, webhook, command, alertmanager
                wk.toml:32:8: channel "run": needs `command`
                  help: add `command = ["program", "arg"]` (run without a shell)
                wk.toml:39:22: check "a": alert.severity: unknown severity `high`
                  help: use `warning` or `critical`
                wk.toml:39:36: check "a": alert.on: `degraded` is not supported by this version of watchkeeper yet
                  help: use `on = ["down"]`; a degraded check shows on the dashboard and in the tray
                wk.toml:39:48: check "a": alert.on: unknown state `up`
                  help: use `["down"]`
                wk.toml:39:67: check "a": alert.channels: unknown channel `nope`
                  help: declare it in a [[channel]] table
                wk.toml:39:85: check "a": alert.repeat: `soon` is not a valid duration: expected a number before each unit, like `1m30s`
                  help: write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`
                wk.toml:39:93: check "a": alert: unknown key `bogus`
                  help: `watchkeeper config schema` lists every key
                wk.toml:42:6: maintenance "m": needs `checks`
                  help: add `checks = ["db"]` or `groups = ["shop"]`: the checks it is about
                wk.toml:42:6: maintenance "m": needs `schedule`
                  help: add `schedule = "0 2 * * sun"` with `duration = "2h"`, or `start` and `end` (RFC 3339)
                wk.toml:46:16: maintenance "nightly": checks: unknown check `b`
                  help: name checks defined in this file
                wk.toml:47:11: maintenance "nightly": groups: unknown group `shop`
                  help: name a `group` some check has
                wk.toml:48:12: maintenance "nightly": schedule: hour 25 is out of range 0-23
                  help: write 5 fields in local time, e.g. `0 2 * * sun` (Sundays at 02:00)
                wk.toml:49:12: maintenance "nightly": duration: must be 1m to 31d
                  help: set e.g. `duration = "2h"`
                wk.toml:50:7: maintenance "nightly": end: `end` goes with `start`, not with `schedule`
                  help: remove it: a recurring window lasts `duration`
                wk.toml:55:9: maintenance "move": start: `2026-12-24 18:00` is not an RFC 3339 time: premature end of input
                  help: write e.g. `2026-12-24T18:00:00+01:00`
                wk.toml:57:12: maintenance "move": duration: `duration` goes with `schedule`; a fixed window has `end`
                  help: replace it with `end`, an RFC 3339 time
                wk.toml:62:12: maintenance "both": schedule: give either `schedule` (with `duration`) or `start` (with `end`), not both
                  help: keep the one you mean
                wk.toml:69:7: maintenance "backwards": end: is not after `start`
                  help: make the window end after it starts
                wk.toml:72:6: maintenance "nightly": id: duplicate id, first defined on line 45
                  help: give every maintenance window a unique id
                wk.toml:76:1: maintenance "nightly": unknown key `every`
                  help: `watchkeeper config schema` lists every key
            "#]],
        );
    }

    #[test]
    fn the_default_config_compiles() {
        let compiled = compile(DEFAULT_CONFIG, "default").expect("the embedded default config must compile");
        assert!(compiled.config.checks.len() >= 5, "the default watches cpu, memory, disk, swap and itself");
    }
}
