//! One pass from TOML text to a valid [`Config`]: syntax, unknown keys (with a
//! did-you-mean), types, then meaning (ids, units, kinds, references, cycles). Every
//! error is collected; nothing stops at the first. Each is said of the table and key
//! it is about: `wk.toml:5:12: check "a": interval: ...`.
//!
//! The work is split by concern: `document` reads the file and hands each kind's keys
//! to its kind; `ids` checks ids and references; `settings`, `alerts`, `action`,
//! `check` (with `breaker`) and `maintenance` compile their tables. This file runs them
//! in the order their references need.

use super::document::{self, Document};
use super::ids::{self, Ids, What};
use super::{action, alerts, check, maintenance, settings};
use super::{Compiled, Config, ConfigErrors};
use crate::alert::AlertSettings;
use crate::diagnostic::Report;

/// Compiles config text; `file` names it in messages.
pub fn compile(text: &str, file: &str) -> Result<Compiled, ConfigErrors> {
    let mut report = Report::new(text, file);
    let document = document::read(text, &mut report);
    let config = assemble(document, &mut report);
    let Report { mut errors, warnings, .. } = report;
    if errors.is_empty() {
        Ok(Compiled { config, warnings, version: super::version_of(text.as_bytes()) })
    } else {
        errors.sort_by_key(|d| (d.line, d.column));
        errors.dedup();
        Err(ConfigErrors(errors))
    }
}

/// The tables compiled, each after those it names: settings and channels, `[alerts]`
/// (naming channels), actions, checks (naming checks, actions and channels), the links
/// of actions to process checks, and maintenance windows (naming checks and groups).
fn assemble(document: Document, report: &mut Report<'_>) -> Config {
    let (settings, default_interval) =
        settings::compile(document.settings.unwrap_or_default(), &mut report.scope("settings".into(), 0..0));
    let (channels, channel_ids) = alerts::channels(document.channels, report);
    let alert_settings = match document.alerts {
        Some(raw) => alerts::settings(raw, &channel_ids, &mut report.scope("alerts".into(), 0..0)),
        None => AlertSettings::default(),
    };
    let mut action_ids = Ids::new(What::Action);
    let mut actions: Vec<_> =
        document.actions.into_iter().filter_map(|entry| action::compile(entry, &mut action_ids, report)).collect();
    actions.shrink_to_fit();
    // Every check's id first: a check may depend on one declared after it.
    let mut check_ids = Ids::new(What::Check);
    let mut group_ids = Ids::new(What::Group);
    for entry in &document.checks {
        check_ids
            .take(&mut report.scope(format!("check {:?}", entry.raw.id.get_ref()), entry.raw.id.span()), &entry.raw.id);
        if let Some(group) = &entry.raw.group {
            group_ids.declare(group);
        }
    }
    let edges: Vec<_> = document
        .checks
        .iter()
        .map(|entry| (entry.raw.id.get_ref().clone(), entry.raw.depends_on.clone().unwrap_or_default()))
        .collect();
    let context = check::Context {
        default_interval,
        checks: &check_ids,
        actions: &action_ids,
        channels: &channel_ids,
        alerts: &alert_settings,
    };
    let mut checks: Vec<_> = document
        .checks
        .into_iter()
        .filter_map(|entry| check::compile(entry, &context, report))
        .map(std::sync::Arc::new)
        .collect();
    // Collected in place, the list would keep the raw tables' buffer (some 1.4 KB a
    // check) for its pointers.
    checks.shrink_to_fit();
    ids::cycles(&edges, report);
    action::link(&mut actions, &checks, &check_ids, report);
    let maintenance = maintenance::windows(document.maintenance, (&check_ids, &group_ids), report);
    Config { settings, checks, actions, alerts: alert_settings, channels, maintenance }
}

#[cfg(test)]
pub(super) mod tests {
    use expect_test::{expect, Expect};

    use super::*;
    use crate::config::DEFAULT_CONFIG;

    /// The config compiled, or its errors, as text: what these tests snapshot.
    pub(in crate::config) fn check(text: &str, expect: Expect) {
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

    /// The compiled lists hold no more room than their entries: collected in place, the
    /// checks' list kept the raw tables' buffer (0.7 MB at 500 checks, for 4 KB of
    /// pointers) for as long as the config lived.
    #[test]
    fn compiled_lists_keep_no_room_of_the_raw_tables() {
        let mut text = String::new();
        for i in 0..100 {
            text.push_str(&format!("[[check]]\nid = \"c{i}\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n\n"));
            text.push_str(&format!("[[action]]\nid = \"a{i}\"\nkind = \"command\"\ncommand = [\"true\"]\n\n"));
        }
        let config = compile(&text, "wk.toml").expect("compiles").config;
        assert_eq!((config.checks.len(), config.checks.capacity()), (100, 100));
        assert_eq!((config.actions.len(), config.actions.capacity()), (100, 100));
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
                  help: http checks have: status, latency, body, json, header, component, cert_days
                wk.toml:7:11: check "api": timeout: `ten seconds` is not a valid duration: expected a number before each unit, like `1m30s`
                  help: write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`
                wk.toml:10:6: check "api": id: duplicate id, first defined on line 2
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
                  help: did you mean `http`? the kinds are: http, tcp, tls, system, process, prometheus, alertmanager, command, dns, docker, file, heartbeat, self
                wk.toml:30:10: check "b": metric: unknown metric `memroy`
                  help: did you mean `memory`? the metrics are: cpu, memory, swap, disk, load1, load5, load15
                wk.toml:31:15: check "b": depends_on: dependency cycle: a -> b -> a
                  help: remove one of these `depends_on` entries
                wk.toml:35:8: check "x": needs `name`
                  help: add `name = "example.com"`: the name to look up
                wk.toml:36:1: check "x": `grace` is not a key of dns checks
                  help: remove `grace`, or change `kind`
                wk.toml:41:11: action "fix": command: is empty
                  help: name the program first, then its arguments
                wk.toml:44:6: action "fix": id: duplicate id, first defined on line 39
                  help: give every action a unique id
                wk.toml:45:8: action "fix": kind: unknown kind `shell`
                  help: the kinds are: command, http, signal, restart, cleanup
            "#]],
        );
    }

    #[test]
    fn the_default_config_compiles() {
        let compiled = compile(DEFAULT_CONFIG, "default").expect("the embedded default config must compile");
        assert!(compiled.config.checks.len() >= 5, "the default watches cpu, memory, disk, swap and itself");
    }
}
