//! The dashboard's TypeScript types, generated: every wire type an operation takes or
//! answers (and those the live updates carry), the `Operations` map from each
//! operation's name to its arguments and answer, and `ROUTES`, how each is called over
//! HTTP. `ui/src/api/types.ts` is this text; a tidy test fails when it is stale.

use std::collections::BTreeMap;

use ts_rs::{Config, TypeVisitor, TS};

use super::dto;
use super::operation::{self, Operation, Visitor};
use crate::model::Status;
use crate::words;

/// The header of the generated file.
const HEADER: &str = "// Generated from the Rust wire types (src/api/dto.rs) and the route table\n\
// (src/api/operation.rs) by `UPDATE_EXPECT=1 cargo test --test it tidy`. Do not edit.\n";

/// The whole of `ui/src/api/types.ts`.
pub fn typescript() -> String {
    // JSON numbers are JavaScript numbers: ids and durations fit them.
    let config = Config::new().with_large_int("number");
    let mut types = Types { config: &config, declared: BTreeMap::new() };
    types.visit::<dto::ErrorDto>();
    // Every live update, one tagged type.
    types.visit::<dto::LiveUpdate>();
    // The export is a file, not an operation's JSON: its arguments alone.
    types.visit::<dto::ExportArgs>();
    types.visit::<dto::SavedExportDto>();
    let mut table = Table { config: &config, types: &mut types, map: String::new(), routes: String::new() };
    operation::visit_all(&mut table);
    let (map, routes) = (table.map, table.routes);
    let mut out = String::from(HEADER);
    for declaration in types.declared.values() {
        // ts-rs leaves a space before the line break that opens a field's doc comment.
        let declaration: Vec<&str> = declaration.lines().map(str::trim_end).collect();
        out.push_str(&format!("\nexport {}\n", declaration.join("\n")));
    }
    out.push_str(&format!(
        "\n/** Every operation: its arguments and its answer. */\nexport interface Operations {{\n{map}}}\n"
    ));
    out.push_str(&tables());
    out.push_str(&format!(
        "\n/** How each operation is called on the daemon; `{{id}}` is its `id` argument. */\n\
         export const ROUTES: {{ [K in keyof Operations]: {{ method: \"GET\" | \"POST\" | \"PUT\" | \"DELETE\"; path: string }} }} = {{\n{routes}}};\n"
    ));
    out
}

/// The core's tables the dashboard draws with, so that it restates none: each update's
/// name, the statuses worst first, the words of breaker states and group levels, the
/// snoozes offered, and what `words::duration` says of some durations (the
/// dashboard's countdowns must say the same; a unit test of its checks).
fn tables() -> String {
    let json = |value: serde_json::Value| serde_json::to_string(&value).unwrap_or_default();
    let mut statuses: Vec<Status> = Status::ALL.to_vec();
    statuses.sort_by_key(|s| std::cmp::Reverse(s.severity()));
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let breaker_words: serde_json::Map<String, serde_json::Value> =
        words::breaker_states().into_iter().map(|(state, text)| (state.as_str().to_owned(), text.into())).collect();
    let level_words: serde_json::Map<String, serde_json::Value> =
        words::group_levels().into_iter().map(|(level, text)| (level.as_str().to_owned(), text.into())).collect();
    let snoozes: Vec<serde_json::Value> =
        words::SNOOZES.iter().map(|(code, label)| serde_json::json!({ "code": code, "label": label })).collect();
    let durations: Vec<serde_json::Value> =
        words::duration_examples().into_iter().map(|(ms, text)| serde_json::json!([ms, text])).collect();
    let mut out = String::new();
    out.push_str(&format!(
        "\n/** Every live update's name (`update`). */\nexport const LIVE_UPDATES: LiveUpdate[\"update\"][] = {};\n",
        json(dto::LiveUpdate::NAMES.into())
    ));
    out.push_str(&format!(
        "\n/** What pasted lines may become in a bulk add (`BulkArgs.kind`). */\nexport const BULK_KINDS: string[] = {};\n",
        json(crate::config::bulk::BulkKind::NAMES.into())
    ));
    out.push_str(&format!(
        "\n/** What the Suggestions page looks for. */\nexport const SUGGESTION_SOURCES = {};\n",
        json(crate::suggest::SOURCES.into())
    ));
    out.push_str(&format!(
        "\n/** The statuses, worst first. */\nexport const STATUS_ORDER: Status[] = {};\n",
        json(statuses.into())
    ));
    out.push_str(&format!(
        "\n/** A breaker's states in words. */\nexport const BREAKER_STATE_WORDS: Record<BreakerState, string> = {};\n",
        json(breaker_words.into())
    ));
    out.push_str(&format!(
        "\n/** A group's levels in words. */\nexport const GROUP_LEVEL_WORDS: Record<GroupLevel, string> = {};\n",
        json(level_words.into())
    ));
    let levels: Vec<&str> = words::group_levels().into_iter().map(|(level, _)| level.as_str()).collect();
    out.push_str(&format!(
        "\n/** A group's levels, best first. */\nexport const GROUP_LEVEL_ORDER: GroupLevel[] = {};\n",
        json(levels.into())
    ));
    out.push_str(&format!(
        "\n/** The snoozes offered: a silence of one check (`SilenceArgs.snooze`). */\nexport const SNOOZES: {{ code: string; label: string }}[] = {};\n",
        json(snoozes.into())
    ));
    let ranges: Vec<serde_json::Value> = words::HISTORY_RANGES
        .iter()
        .map(|(range, label)| serde_json::json!({ "range": range, "label": label }))
        .collect();
    out.push_str(&format!(
        "\n/** The ranges a check's chart offers (`HistoryArgs.range`), with their buttons. */\nexport const HISTORY_RANGES: {{ range: string; label: string }}[] = {};\n",
        json(ranges.into())
    ));
    out.push_str(&format!(
        "\n/** Mean time to recover and between failures: their names and what they mean. */\nexport const MEAN_TIMES = {};\n",
        json(serde_json::json!({
            "mttr": { "label": words::MTTR.0, "hint": words::MTTR.1 },
            "mtbf": { "label": words::MTBF.0, "hint": words::MTBF.1 },
        }))
    ));
    out.push_str(&format!(
        "\n/** The quick pause a check's page offers: for how long, and its button. */\nexport const QUICK_PAUSE = {};\n",
        json(serde_json::json!({ "for": words::QUICK_PAUSE.0, "label": words::QUICK_PAUSE.1 }))
    ));
    let table = |pairs: Vec<(&str, &str)>| -> serde_json::Value {
        pairs.into_iter().map(|(code, text)| (code.to_owned(), serde_json::Value::from(text))).collect()
    };
    let classes =
        table(crate::model::FailureClass::ALL.iter().map(|c| (c.as_str(), words::failure_class(*c))).collect());
    out.push_str(&format!(
        "\n/** A failure's class in words. */\nexport const FAILURE_CLASS_WORDS: Record<FailureClass, string> = {};\n",
        json(classes)
    ));
    let runs = table(crate::model::RunStatus::ALL.iter().map(|s| (s.as_str(), words::run_status(*s))).collect());
    out.push_str(&format!(
        "\n/** How an action run ended, in words. */\nexport const RUN_STATUS_WORDS: Record<RunStatus, string> = {};\n",
        json(runs)
    ));
    let requesters = table(crate::model::Requester::ALL.iter().map(|r| (r.as_str(), words::requester(*r))).collect());
    out.push_str(&format!(
        "\n/** Who asked for an action run, in words. */\nexport const REQUESTER_WORDS: Record<Requester, string> = {};\n",
        json(requesters)
    ));
    let events: serde_json::Map<String, serde_json::Value> = crate::model::NotifyEvent::ALL
        .iter()
        .map(|event| (event.as_str().to_owned(), words::notify_event(*event).into()))
        .collect();
    out.push_str(&format!(
        "\n/** What a notification is about, in words. */\nexport const NOTIFY_EVENT_WORDS: Record<NotifyEvent, string> = {};\n",
        json(events.into())
    ));
    let outcomes: Vec<serde_json::Value> = words::OUTCOMES
        .iter()
        .map(|outcome| {
            let code = serde_json::to_value(dto::OutcomeStateDto::from(*outcome)).unwrap_or_default();
            serde_json::json!({ "code": code, "label": words::outcome_state(*outcome) })
        })
        .collect();
    out.push_str(&format!(
        "\n/** Where a notification can stand, as the log's filter offers it. */\nexport const OUTCOME_STATES: {{ code: OutcomeState; label: string }}[] = {};\n",
        json(outcomes.into())
    ));
    out.push_str(&format!(
        "\n/** What a check's page and the tray call silencing it (a menu of `SNOOZES`) and acknowledging its incident. */\nexport const SILENCE_MENU = {};\nexport const ACKNOWLEDGE = {};\n",
        json(words::SILENCE_MENU.into()),
        json(words::ACKNOWLEDGE.into())
    ));
    out.push_str(&format!(
        "\n/** Durations in milliseconds and how the core says them: countdowns say them the same. */\nexport const DURATION_EXAMPLES: [number, string][] = {};\n",
        json(durations.into())
    ));
    out
}

/// Declares every exportable type met, and those it depends on, by name.
struct Types<'c> {
    config: &'c Config,
    declared: BTreeMap<String, String>,
}

impl TypeVisitor for Types<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() || self.declared.contains_key(&T::ident(self.config)) {
            return;
        }
        self.declared.insert(T::ident(self.config), T::decl(self.config));
        T::visit_dependencies(self);
    }
}

/// Each operation's line of `Operations` and of `ROUTES`, and its types declared.
struct Table<'c, 't> {
    config: &'c Config,
    types: &'t mut Types<'c>,
    map: String,
    routes: String,
}

impl Visitor for Table<'_, '_> {
    fn visit<O: Operation>(&mut self) {
        self.types.visit::<O::Args>();
        self.types.visit::<O::Output>();
        let (args, output) = (O::Args::name(self.config), O::Output::name(self.config));
        self.map.push_str(&format!("  {}: [{args}, {output}];\n", O::NAME));
        self.routes.push_str(&format!(
            "  {}: {{ method: \"{}\", path: \"{}\" }},\n",
            O::NAME,
            O::METHOD.as_str(),
            O::PATH
        ));
    }
}
