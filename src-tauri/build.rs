//! The window may call exactly these commands (capabilities/main.json grants them).
fn main() {
    let commands = &[
        "status",
        "health",
        "check",
        "results",
        "history",
        "incidents",
        "action_runs",
        "run_action",
        "pause",
        "resume",
        "subscribe",
    ];
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands));
    tauri_build::try_build(attributes).expect("tauri-build: the app's config and capabilities are valid");
}
