//! Ids and references: one rule for the ids of every kind of table (checks, actions,
//! channels, maintenance windows: valid, and not taken by an earlier table of its
//! kind), one for names of other tables (a check's `depends_on` and `actions`, a
//! channel list, a window's `checks` and `groups`: each must name one the file
//! declares, or it is reported with a did-you-mean), and the dependency cycles among
//! checks.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use crate::diagnostic::{did_you_mean, Report, Scope};
use crate::model::is_valid_id;

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum What {
    Check,
    Action,
    Channel,
    MaintenanceWindow,
    /// A check's `group` (not a table: a name some check has).
    Group,
}

impl What {
    fn noun(self) -> &'static str {
        match self {
            What::Check => "check",
            What::Action => "action",
            What::Channel => "channel",
            What::MaintenanceWindow => "maintenance window",
            What::Group => "group",
        }
    }

    /// What to do about a name that names nothing.
    fn declare(self) -> &'static str {
        match self {
            What::Check => "name a check defined in this file",
            What::Action => "declare it in an [[action]] table",
            What::Channel => "declare it in a [[channel]] table",
            What::MaintenanceWindow => "declare it in a [[maintenance]] table",
            What::Group => "name a `group` some check has",
        }
    }
}

/// The names of one kind, as the file declares them.
pub(super) struct Ids {
    what: What,
    /// Each name and where it was first declared.
    seen: HashMap<String, Range<usize>>,
}

impl Ids {
    pub fn new(what: What) -> Ids {
        Ids { what, seen: HashMap::new() }
    }

    /// Takes `id` for a table of this kind: it must be a valid id and not taken by an
    /// earlier one; else it is reported (as the table's `id`) and `false`.
    pub fn take(&mut self, scope: &mut Scope<'_, '_>, id: &Spanned<String>) -> bool {
        if !is_valid_id(id.get_ref()) {
            let message = format_args!("`{}` is not a valid id", id.get_ref());
            scope.error(&id.span(), "id", message, "use 1 to 64 letters, digits, `-` and `_`");
            return false;
        }
        if let Some(first) = self.seen.get(id.get_ref()) {
            let line = scope.line_of(first);
            let message = format_args!("duplicate id, first defined on line {line}");
            scope.error(&id.span(), "id", message, format!("give every {} a unique id", self.what.noun()));
            return false;
        }
        self.seen.insert(id.get_ref().clone(), id.span());
        true
    }

    /// A name that is there without a table of its own (the implicit `desktop` channel,
    /// a group some check has).
    pub fn declare(&mut self, name: &str) {
        self.seen.entry(name.to_owned()).or_insert(0..0);
    }

    pub fn contains(&self, name: &str) -> bool {
        self.seen.contains_key(name)
    }

    /// Whether `name`, written under `key`, names one of these; if not, it is reported
    /// with a did-you-mean.
    pub fn refer(&self, scope: &mut Scope<'_, '_>, key: &str, name: &Spanned<String>) -> bool {
        if self.contains(name.get_ref()) {
            return true;
        }
        let mut known: Vec<&str> = self.seen.keys().map(String::as_str).collect();
        known.sort_unstable();
        let hint = did_you_mean(name.get_ref(), &known);
        let message = format_args!("unknown {} `{}`", self.what.noun(), name.get_ref());
        scope.error(&name.span(), key, message, format!("{hint}{}", self.what.declare()));
        false
    }

    /// The names of `names` that name one of these, each once, in order; the others
    /// reported.
    pub fn refer_all(&self, scope: &mut Scope<'_, '_>, key: &str, names: &[Spanned<String>]) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for name in names {
            if self.refer(scope, key, name) && !found.contains(name.get_ref()) {
                found.push(name.get_ref().clone());
            }
        }
        found
    }
}

/// Reports each dependency cycle among checks once, at the first check of the cycle;
/// `edges` are each check's id and its `depends_on`.
pub(super) fn cycles(edges: &[(String, Vec<Spanned<String>>)], report: &mut Report<'_>) {
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
                        let mut scope = report.scope(format!("check {node:?}"), dep.span());
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
