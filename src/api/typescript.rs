//! The dashboard's TypeScript types, generated: every wire type an operation takes or
//! answers (and those the live updates carry), the `Operations` map from each
//! operation's name to its arguments and answer, and `ROUTES`, how each is called over
//! HTTP. `ui/src/api/types.ts` is this text; a tidy test fails when it is stale.

use std::collections::BTreeMap;

use ts_rs::{Config, TypeVisitor, TS};

use super::dto;
use super::operation::{self, Operation, Visitor};

/// The header of the generated file.
const HEADER: &str = "// Generated from the Rust wire types (src/api/dto.rs) and the route table\n\
// (src/api/operation.rs) by `UPDATE_EXPECT=1 cargo test --test it tidy`. Do not edit.\n";

/// The whole of `ui/src/api/types.ts`.
pub fn typescript() -> String {
    // JSON numbers are JavaScript numbers: ids and durations fit them.
    let config = Config::new().with_large_int("number");
    let mut types = Types { config: &config, declared: BTreeMap::new() };
    types.visit::<dto::ErrorDto>();
    // The live updates' payloads.
    types.visit::<dto::HelloDto>();
    types.visit::<dto::CheckDto>();
    types.visit::<dto::IncidentDto>();
    types.visit::<dto::IncidentResolvedDto>();
    types.visit::<dto::ActionOutputDto>();
    types.visit::<dto::ActionRunDto>();
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
    out.push_str(&format!(
        "\n/** How each operation is called on the daemon; `{{id}}` is its `id` argument. */\n\
         export const ROUTES: {{ [K in keyof Operations]: {{ method: \"GET\" | \"POST\" | \"DELETE\"; path: string }} }} = {{\n{routes}}};\n"
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
