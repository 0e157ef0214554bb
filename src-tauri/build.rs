//! The window may call exactly these commands (capabilities/main.json grants them).
fn main() {
    // `call` passes any operation of the route table on to the core; `subscribe`
    // forwards its live updates; `export` saves an export into the user's downloads.
    let commands = &["call", "subscribe", "export"];
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands));
    tauri_build::try_build(attributes).expect("tauri-build: the app's config and capabilities are valid");
}
