//! Tidy: the project's rules, checked under `cargo test`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn core_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    files
}

#[test]
fn the_core_never_depends_on_tauri() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let core = manifest.split("[dependencies]").nth(1).unwrap_or("");
    let core = core.split("\n[").next().unwrap_or("");
    assert!(!core.contains("tauri"), "the core crate's dependencies must not include tauri");
    for file in core_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("tauri::"), "{} uses tauri; the core must build without it", file.display());
    }
}

/// The binary's own files: the only ones that may print.
fn is_binary(file: &Path) -> bool {
    file.ends_with("src/main.rs") || file.starts_with(root().join("src/cli"))
}

/// A file's code without its `#[cfg(test)]` module (tests may do what code may not).
fn code_of(text: &str) -> &str {
    text.split("\n#[cfg(test)]\nmod tests").next().unwrap_or(text)
}

/// Lines of the core's code (tests left out) matching `found`, outside the files
/// `allowed` says may have them: `path:line: text`.
fn offenders(found: impl Fn(&str) -> bool, allowed: impl Fn(&Path) -> bool) -> Vec<String> {
    let mut offenders = Vec::new();
    for file in core_files() {
        if allowed(&file) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in code_of(&text).lines().enumerate() {
            if !line.trim_start().starts_with("//") && found(line) {
                let relative = file.strip_prefix(root()).unwrap().display().to_string();
                offenders.push(format!("{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    offenders
}

#[test]
fn only_the_store_has_sql() {
    let sql = ["SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "CREATE TABLE", "ALTER TABLE", "PRAGMA "];
    let found = offenders(
        |line| line.contains('"') && sql.iter().any(|keyword| line.contains(keyword)),
        |file| file.starts_with(root().join("src/store")),
    );
    assert!(found.is_empty(), "SQL belongs in src/store (one module per table):\n{}", found.join("\n"));
}

#[test]
fn only_api_dto_has_wire_types() {
    // Serialize makes a wire type; Deserialize too, but for the config file's own shape
    // (config::raw and each kind's `Keys`). The one file format Watchkeeper keeps
    // besides its database, a quarantine's manifest, is its own module's; the JSON
    // columns of the database (a breaker's state, an incident's evidence) are their tables'; what a channel sends (a
    // webhook's body, a command's stdin, Alertmanager's alerts) is the channels'.
    let found = offenders(
        |line| line.contains("derive(") && (line.contains("Serialize") || line.contains(" TS")),
        |file| {
            file.ends_with("src/api/dto.rs")
                || file.ends_with("src/action/cleanup/quarantine.rs")
                || file.ends_with("src/store/check_state.rs")
                || file.ends_with("src/store/evidence.rs")
                || file.starts_with(root().join("src/alert/channel"))
        },
    );
    assert!(found.is_empty(), "wire types belong in src/api/dto.rs:\n{}", found.join("\n"));
    let found = offenders(
        |line| line.contains("derive(") && line.contains("Deserialize"),
        |file| {
            file.ends_with("src/api/dto.rs")
                || file.ends_with("src/config/raw.rs")
                || file.starts_with(root().join("src/probe"))
                || file.starts_with(root().join("src/action"))
                || file.starts_with(root().join("src/alert/channel"))
                || file.ends_with("src/store/check_state.rs")
                || file.ends_with("src/store/evidence.rs")
        },
    );
    assert!(
        found.is_empty(),
        "wire types belong in src/api/dto.rs, config shapes in config::raw:\n{}",
        found.join("\n")
    );
}

/// The core's layers, lowest first, as docs/ARCHITECTURE.md lists them under
/// "Layers" (one `- ` line each, its modules in backticks before the colon): a module
/// may use those of its own layer and below, never above.
fn layers() -> Vec<Vec<String>> {
    let map = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md exists");
    let section = map.split("\n## Layers\n").nth(1).expect("docs/ARCHITECTURE.md has a Layers section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let names = regex::Regex::new(r"`([a-z_]+)`").unwrap();
    let layers: Vec<Vec<String>> = section
        .lines()
        .filter_map(|line| line.strip_prefix("- "))
        .map(|line| {
            let modules = line.split(':').next().unwrap_or(line);
            names.captures_iter(modules).map(|c| c[1].to_owned()).collect()
        })
        .collect();
    assert!(layers.len() >= 5, "docs/ARCHITECTURE.md lists the layers, lowest first: {layers:?}");
    layers
}

#[test]
fn layers_point_down_only() {
    let layers = layers();
    let layer_of = |module: &str| layers.iter().position(|layer| layer.iter().any(|m| m == module));
    let uses = regex::Regex::new(r"crate::([a-z_]+)").unwrap();
    let mut upward = Vec::new();
    for file in core_files() {
        let relative = file.strip_prefix(root().join("src")).unwrap();
        let module =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" || is_binary(&file) {
            continue;
        }
        let layer = layer_of(&module)
            .unwrap_or_else(|| panic!("`{module}` has no layer in docs/ARCHITECTURE.md's Layers list"));
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in code_of(&text).lines().enumerate() {
            for used in uses.captures_iter(line).map(|c| c[1].to_owned()) {
                if layer_of(&used).is_some_and(|above| above > layer) {
                    upward.push(format!("{}:{}: {module} uses {used}", relative.display(), number + 1));
                }
            }
        }
    }
    assert!(upward.is_empty(), "a layer uses only those below it:\n{}", upward.join("\n"));
}

#[test]
fn no_result_with_a_string_error() {
    let found = offenders(|line| line.contains(", String>") && line.contains("Result<"), |_| false);
    assert!(found.is_empty(), "errors are typed (thiserror), not strings:\n{}", found.join("\n"));
}

#[test]
fn the_cli_and_the_window_read_no_json_by_key() {
    // `value["key"]`, `.get("key")`, `json!(...)`: reading or building JSON by hand.
    let by_key = regex::Regex::new(r#"[A-Za-z0-9_\])]\["|\.get\("|json!\("#).unwrap();
    let mut files: Vec<PathBuf> = core_files().into_iter().filter(|f| is_binary(f)).collect();
    rust_files(&root().join("src-tauri/src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in code_of(&text).lines().enumerate() {
            assert!(
                !by_key.is_match(line),
                "{}:{}: the CLI and the window use the typed client and DTOs, not JSON by key: {}",
                file.display(),
                number + 1,
                line.trim()
            );
        }
    }
}

#[test]
fn a_change_answers_once_it_is_committed() {
    // One rule for every operation (`api::operation::perform`): no front door calls an
    // operation or changes the engine around it.
    let call = regex::Regex::new(r"\b[A-Z][A-Za-z]*::call\(").unwrap();
    let change = regex::Regex::new(
        r"engine\.(pause|resume|steer_breaker|ack|add_note|silence|end_silence|run_action|reset_budget|undo)\(",
    )
    .unwrap();
    let mut files = core_files();
    rust_files(&root().join("src-tauri/src"), &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in code_of(&text).lines().enumerate() {
            let calls = call.is_match(line) && relative != "src/api/operation.rs";
            let changes =
                change.is_match(line) && !relative.starts_with("src/api/") && !relative.starts_with("src/engine/");
            if calls || changes {
                found.push(format!("{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "front doors change things through `api::operation::perform`:\n{}", found.join("\n"));
}

#[test]
fn local_time_comes_from_the_engines_zone() {
    // The front doors that start an engine name the machine's zone; everything else is
    // handed it (`clock::SharedZone`), so tests choose theirs.
    let found = offenders(
        |line| line.contains("chrono::Local") || line.contains("LocalZone") || line.contains("Local::now"),
        |file| file.ends_with("src/clock.rs") || file.ends_with("src/daemon.rs") || is_binary(file),
    );
    assert!(found.is_empty(), "local time comes from the engine's zone (`Engine::zone`):\n{}", found.join("\n"));
}

/// The dashboard's own TypeScript: not its generated types, nor its tests and fixtures.
fn dashboard_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "ts") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("ui/src"), &mut files);
    files.retain(|f| {
        let name = f.file_name().unwrap().to_string_lossy();
        !name.ends_with(".test.ts") && name != "fixtures.ts" && !f.starts_with(root().join("ui/src/api"))
    });
    files.sort();
    files
}

#[test]
fn the_dashboard_restates_no_word_nor_default_of_the_core() {
    use watchkeeper::words;
    // The core's words that only the core should write: its tables, and pieces of its
    // phrases (`open, trial in 12 s`, `2 of 3 runs in 10m`, ...).
    let mut phrases: Vec<String> = [
        "trial in",
        "trial due",
        "failures in a row",
        "runs in",
        "next run allowed",
        "Self-healing",
        "No network",
        "remote check",
        "not sent",
        "retrying (",
        "opens at",
        "no checks configured",
        "no result yet",
        "verified: the check",
        "% failed",
    ]
    .map(String::from)
    .to_vec();
    phrases.extend(
        words::breaker_states().into_iter().map(|(_, text)| text.to_owned()).filter(|t| t.contains([' ', '-'])),
    );
    phrases.extend(words::group_levels().into_iter().map(|(_, text)| text.to_owned()).filter(|t| t.contains(' ')));
    phrases.extend(words::SNOOZES.iter().map(|(_, label)| label.to_string()).filter(|l| l.contains(' ')));
    phrases.push(words::QUICK_PAUSE.1.to_owned());
    let literal = regex::Regex::new(r#""[^"]*"|'[^']*'|`[^`]*`"#).unwrap();
    // `x ?? 50`: a default of the core's, restated where the wire has none.
    let default = regex::Regex::new(r"\?\?\s*-?\d").unwrap();
    let mut found = Vec::new();
    for file in dashboard_files() {
        let relative = file.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") || code.starts_with("*") || code.starts_with("/*") {
                continue;
            }
            let restated = literal
                .find_iter(line)
                .any(|l| phrases.iter().any(|p| l.as_str().to_lowercase().contains(&p.to_lowercase())));
            if restated || default.is_match(line) {
                found.push(format!("{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the dashboard shows the core's words and defaults as the wire carries them (a DTO's phrase, or a table in ui/src/api/types.ts), never its own copy:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_module_says_what_it_owns() {
    for file in core_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//!"), "{} must start with a `//!` paragraph saying what it owns", file.display());
    }
}

#[test]
fn the_library_does_not_print() {
    for file in core_files() {
        if is_binary(&file) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            assert!(
                !code.contains("println!(") && !code.contains("eprintln!(") && !code.contains("dbg!("),
                "{}:{}: the library logs through tracing, it does not print",
                file.display(),
                number + 1
            );
        }
    }
}

/// The command line writes its output through `say!` (`cli::write_line`), which ends
/// quietly on a closed pipe: `print!` and `println!` panic there.
#[test]
fn the_command_line_prints_through_say() {
    let print = regex::Regex::new(r"\be?print(ln)?!\(").unwrap();
    let found = offenders(|line| print.is_match(line), |file| !is_binary(file));
    assert!(
        found.is_empty(),
        "print with `say!` (stdout) or `complain!` (stderr), which survive a closed pipe:\n{}",
        found.join("\n")
    );
}

/// What a person reads (a message, a resolution, help) names the command line's verbs
/// and the dashboard's pages, not the API's routes: docs/API.md is for those.
#[test]
fn words_for_people_name_no_http_route() {
    let route = regex::Regex::new(r"\b(GET|POST|PUT|PATCH|DELETE) /api/").unwrap();
    // The HTTP server's own pages speak to a browser, where a route is the way.
    let found = offenders(|line| route.is_match(line), |file| file.starts_with(root().join("src/server")));
    assert!(found.is_empty(), "say it with a CLI verb or a dashboard page:\n{}", found.join("\n"));
}

#[test]
fn the_architecture_map_names_every_module() {
    let map = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md exists");
    for file in core_files() {
        let relative = file.strip_prefix(root().join("src")).unwrap();
        let module =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" || module == "cli" {
            continue;
        }
        assert!(map.contains(&format!("`{module}")), "docs/ARCHITECTURE.md must describe the `{module}` module");
    }
}

#[test]
fn the_default_config_in_docs_matches_the_embedded_one() {
    let compiled = watchkeeper::config::compile(watchkeeper::config::DEFAULT_CONFIG, "default").unwrap();
    assert!(compiled.warnings.is_empty(), "the default config has no warnings: {:?}", compiled.warnings);
}

#[test]
fn the_config_reference_is_fresh() {
    let path = root().join("docs/config.md");
    let generated = watchkeeper::config::reference();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/config.md is stale: run `UPDATE_EXPECT=1 cargo test --test it tidy` and commit it"
    );
}

#[test]
fn the_dashboards_types_are_fresh() {
    let path = root().join("ui/src/api/types.ts");
    let generated = watchkeeper::api::typescript::typescript();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/api/types.ts is stale: run `UPDATE_EXPECT=1 cargo test --test it tidy` and commit it"
    );
}
