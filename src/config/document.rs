//! The document reader: TOML text to its tables, every table read on its own so that
//! one bad entry does not hide the errors of the others. A table's keys are split by
//! owner: its own (deserialized into its shape in `raw`, nested tables checked too),
//! its kind's (handed to the kind's `compile`: a probe, action or channel kind owns its
//! keys), and the rest, reported: a planned key as not supported yet, another kind's as
//! a mistake, an unknown one with a did-you-mean.

use std::ops::Range;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::raw::{
    RawAction, RawAlerts, RawAutoAction, RawBreaker, RawChannel, RawCheck, RawCheckAlert, RawMaintenance, RawSettings,
};
use crate::action::{self, ActionSpec};
use crate::alert::channel::{self, ChannelSpec};
use crate::diagnostic::{did_you_mean, key_names, table_schema, Report};
use crate::probe::{self, Common, ProbeSpec};

/// Kinds of the public contract that this version does not probe yet.
const PLANNED_KINDS: &[&str] = &[];
const PLANNED_ACTION_KINDS: &[&str] = &[];
/// Keys of the public contract that this version does not act on yet: refused with a
/// clear message rather than silently ignored.
const PLANNED_CHECK_KEYS: &[&str] = &[];
const PLANNED_ACTION_KEYS: &[&str] = &[];
/// Keys of `[alerts]` in the public contract that this version does not read yet.
const PLANNED_ALERTS_KEYS: &[&str] = &[];
/// Kinds that exist in the crate's own tests only (`probe::scripted`,
/// `alert::channel::recording`): never offered in a message.
const TEST_KINDS: &[&str] = &["scripted", "recording"];
/// The top-level tables.
const TABLES: &[&str] = &["settings", "check", "action", "alerts", "channel", "maintenance"];

/// The file as read: each table's own keys, its kind's compiled.
#[derive(Default)]
pub(super) struct Document {
    pub settings: Option<RawSettings>,
    pub alerts: Option<RawAlerts>,
    pub channels: Vec<ChannelEntry>,
    pub maintenance: Vec<RawMaintenance>,
    pub checks: Vec<CheckEntry>,
    pub actions: Vec<ActionEntry>,
}

/// A `[[check]]` as read: its own keys, and its probe from its kind's keys.
pub(super) struct CheckEntry {
    pub raw: RawCheck,
    pub probe: Option<ProbeSpec>,
    /// The values its kind's conditions may use.
    pub fields: &'static [&'static str],
}

/// An `[[action]]` as read: its own keys, and what it does from its kind's keys.
pub(super) struct ActionEntry {
    pub raw: RawAction,
    pub spec: Option<ActionSpec>,
}

/// A `[[channel]]` as read: its own keys, and how it delivers from its kind's keys.
pub(super) struct ChannelEntry {
    pub raw: RawChannel,
    pub spec: Option<ChannelSpec>,
}

/// Reads `text`, reporting what is wrong with it.
pub(super) fn read(text: &str, report: &mut Report<'_>) -> Document {
    Reader::new().read(text, report)
}

/// How a table is named in messages: `check "api"`, or `[[check]]` before its id is known.
pub(super) fn label(what: &str, table: &DeTable<'_>) -> String {
    match table.get("id").map(|id| id.get_ref()) {
        Some(DeValue::String(id)) => format!("{what} {:?}", id.as_ref()),
        _ => format!("[[{what}]]"),
    }
}

/// The keys a table's shape reads.
fn known_keys<T: JsonSchema>() -> Vec<String> {
    key_names(&table_schema::<T>())
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

/// The kinds and who owns which keys: read once per file (a schema is not free).
struct Reader {
    probes: Vec<probe::Kind>,
    actions: Vec<action::Kind>,
    channels: Vec<channel::Kind>,
    check_owners: Owners,
    action_owners: Owners,
    channel_owners: Owners,
    /// The keys of a check's nested tables (`breaker`, `auto_action`, `alert`).
    nested_keys: Vec<(&'static str, Vec<String>)>,
}

impl Reader {
    fn new() -> Reader {
        let probes = probe::kinds();
        let actions = action::kinds();
        let channels = channel::kinds();
        Reader {
            check_owners: Owners {
                what: "check",
                common: known_keys::<RawCheck>(),
                kinds: probes.iter().map(|k| k.name).collect(),
                kind_keys: probes.iter().map(probe::Kind::key_names).collect(),
                planned_kinds: PLANNED_KINDS,
                planned_keys: PLANNED_CHECK_KEYS,
            },
            action_owners: Owners {
                what: "action",
                common: known_keys::<RawAction>(),
                kinds: actions.iter().map(|k| k.name).collect(),
                kind_keys: actions.iter().map(action::Kind::key_names).collect(),
                planned_kinds: PLANNED_ACTION_KINDS,
                planned_keys: PLANNED_ACTION_KEYS,
            },
            channel_owners: Owners {
                what: "channel",
                common: known_keys::<RawChannel>(),
                kinds: channels.iter().map(|k| k.name).collect(),
                kind_keys: channels.iter().map(channel::Kind::key_names).collect(),
                planned_kinds: &[],
                planned_keys: &[],
            },
            probes,
            actions,
            channels,
            nested_keys: vec![
                ("breaker", known_keys::<RawBreaker>()),
                ("auto_action", known_keys::<RawAutoAction>()),
                ("alert", known_keys::<RawCheckAlert>()),
            ],
        }
    }

    fn read(&self, text: &str, report: &mut Report<'_>) -> Document {
        let root = match DeTable::parse(text) {
            Ok(root) => root,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = format!("invalid TOML: {}", e.message().trim());
                report.error(&span, message, "fix the syntax at this position");
                return Document::default();
            }
        };
        let mut document = Document::default();
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                "settings" => document.settings = table::<RawSettings>(report, "settings", value, &[]),
                "alerts" => document.alerts = table::<RawAlerts>(report, "alerts", value, PLANNED_ALERTS_KEYS),
                "check" => {
                    for entry in array_of_tables(report, "check", value) {
                        document.checks.extend(self.check(report, &entry));
                    }
                }
                "action" => {
                    for entry in array_of_tables(report, "action", value) {
                        document.actions.extend(self.action(report, &entry));
                    }
                }
                "channel" => {
                    for entry in array_of_tables(report, "channel", value) {
                        document.channels.extend(self.channel(report, &entry));
                    }
                }
                "maintenance" => {
                    for entry in array_of_tables(report, "maintenance", value) {
                        let DeValue::Table(table) = entry.get_ref() else { continue };
                        let label = label("maintenance", table);
                        let kept = keep_known::<RawMaintenance>(report, &label, table, &[]);
                        document.maintenance.extend(report.scope(label, entry.span()).deserialize(kept, entry.span()));
                    }
                }
                other => {
                    let hint = did_you_mean(other, TABLES);
                    report.error(
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

    /// A `[[check]]`: its own keys, and its kind's compiled into its probe.
    fn check(&self, report: &mut Report<'_>, value: &Spanned<DeValue<'_>>) -> Option<CheckEntry> {
        let DeValue::Table(table) = value.get_ref() else { return None };
        let label = label("check", table);
        let split = split(report, &self.nested_keys, &label, value, &self.check_owners);
        let raw: Option<RawCheck> = report.scope(label.clone(), value.span()).deserialize(split.own, value.span());
        let kind = split.kind.map(|k| &self.probes[k]);
        let probe = kind.and_then(|kind| {
            let name = raw.as_ref().and_then(|r| r.name.as_ref()).map(|n| n.get_ref().as_str());
            let conditions: Vec<&str> = raw
                .iter()
                .flat_map(|r| r.expect.iter().chain(&r.degraded_if).flatten())
                .map(|c| c.get_ref().as_str())
                .collect();
            let id = raw.as_ref().map_or("", |r| r.id.get_ref().as_str());
            let common = Common { id, name, conditions: &conditions };
            (kind.compile)(split.kind_keys, value.span(), common, &mut report.scope(label, split.kind_span))
        });
        Some(CheckEntry { raw: raw?, probe, fields: kind.map_or(&[], |k| k.fields) })
    }

    /// An `[[action]]`: its own keys, and its kind's compiled into what it does.
    fn action(&self, report: &mut Report<'_>, value: &Spanned<DeValue<'_>>) -> Option<ActionEntry> {
        let DeValue::Table(table) = value.get_ref() else { return None };
        let label = label("action", table);
        let split = split(report, &self.nested_keys, &label, value, &self.action_owners);
        let raw: Option<RawAction> = report.scope(label.clone(), value.span()).deserialize(split.own, value.span());
        let compile = split.kind.map(|k| self.actions[k].compile);
        let spec = compile
            .and_then(|compile| compile(split.kind_keys, value.span(), &mut report.scope(label, split.kind_span)));
        Some(ActionEntry { raw: raw?, spec })
    }

    /// A `[[channel]]`: its own keys, and its kind's compiled into how it delivers.
    fn channel(&self, report: &mut Report<'_>, value: &Spanned<DeValue<'_>>) -> Option<ChannelEntry> {
        let DeValue::Table(table) = value.get_ref() else { return None };
        let label = label("channel", table);
        let split = split(report, &self.nested_keys, &label, value, &self.channel_owners);
        let raw: Option<RawChannel> = report.scope(label.clone(), value.span()).deserialize(split.own, value.span());
        let compile = split.kind.map(|k| self.channels[k].compile);
        let spec = compile
            .and_then(|compile| compile(split.kind_keys, value.span(), &mut report.scope(label, split.kind_span)));
        Some(ChannelEntry { raw: raw?, spec })
    }
}

/// A single table (`[settings]`, `[alerts]`) as its shape `T`, its unknown keys reported.
fn table<T: JsonSchema + DeserializeOwned>(
    report: &mut Report<'_>,
    name: &str,
    value: &Spanned<DeValue<'_>>,
    planned: &[&str],
) -> Option<T> {
    match value.get_ref() {
        DeValue::Table(table) => {
            let kept = keep_known::<T>(report, name, table, planned);
            report.scope(name.to_owned(), value.span()).deserialize(kept, value.span())
        }
        _ => {
            report.error(&value.span(), format!("`{name}` must be a table"), format!("write it as [{name}]"));
            None
        }
    }
}

/// The entries of `[[name]]`, each a table.
fn array_of_tables<'i>(report: &mut Report<'_>, name: &str, value: &Spanned<DeValue<'i>>) -> Vec<Spanned<DeValue<'i>>> {
    let items = match value.get_ref() {
        DeValue::Array(items) => items.iter().cloned().collect(),
        _ => Vec::new(),
    };
    if items.is_empty() || items.iter().any(|item| !matches!(item.get_ref(), DeValue::Table(_))) {
        report.error(
            &value.span(),
            format!("`{name}` must be an array of tables"),
            format!("write each one as a [[{name}]] table"),
        );
    }
    items
}

/// A table's keys that `T` reads; the rest are reported, each once, with a did-you-mean.
fn keep_known<'i, T: JsonSchema>(
    report: &mut Report<'_>,
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
            unknown_key(report, label, name, &key.span(), &known, planned);
        }
    }
    kept
}

/// Splits a table's keys by owner: the table's own (nested tables checked too), its
/// kind's, and the rest, reported. An unknown kind is reported here too.
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
    use expect_test::expect;

    use crate::config::compile::tests::check;

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
                3 errors in config
                wk.toml:2:6: [[check]]: id: invalid type: integer `1`, expected a string
                  help: give the value the type the key takes (see `watchkeeper config schema`)
                wk.toml:3:8: [[check]]: needs `host`
                  help: add `host = "127.0.0.1"`
                wk.toml:3:8: [[check]]: needs `port`
                  help: add `port = 5432`
            "#]],
        );
        check(
            "[[check]]\nkind = \"tcp\"\n",
            expect![[r#"
                3 errors in config
                wk.toml:1:1: [[check]]: missing field `id`
                  help: add the field; `watchkeeper config schema` lists every key
                wk.toml:2:8: [[check]]: needs `host`
                  help: add `host = "127.0.0.1"`
                wk.toml:2:8: [[check]]: needs `port`
                  help: add `port = 5432`
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
}
