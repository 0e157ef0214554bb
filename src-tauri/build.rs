//! The window may call exactly these commands (capabilities/main.json grants them).
fn main() {
    // `call` passes any operation of the route table on to the core; `subscribe`
    // forwards its live updates.
    let commands = &["call", "subscribe"];
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands));
    tauri_build::try_build(attributes).expect("tauri-build: the app's config and capabilities are valid");
}
