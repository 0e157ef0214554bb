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
        if file.ends_with("src/main.rs") {
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

#[test]
fn the_architecture_map_names_every_module() {
    let map = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md exists");
    for file in core_files() {
        let relative = file.strip_prefix(root().join("src")).unwrap();
        let module =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
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
