//! Embeds the built dashboard (ui/dist) into the binary. A release build (and every
//! profile that inherits release: desktop, bench) stops without it, saying the command
//! that builds it; a debug build goes on without, and the daemon then says it has no
//! dashboard rather than printing a link to one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = manifest.join("ui").join("dist");
    println!("cargo::rerun-if-changed=ui/dist");
    hot_code(&manifest);
    let mut files = Vec::new();
    if dist.is_dir() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let built = files.iter().any(|(relative, _)| relative == "index.html");
    if !built && std::env::var("PROFILE").as_deref() == Ok("release") {
        println!(
            "cargo::error=the dashboard is not built (ui/dist/index.html is missing): run `cargo xtask ui` \
             (or `cd ui && npm ci && npm run build`), then build again"
        );
        return;
    }
    let mut out = String::from("/// The built dashboard: (path, bytes).\npub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (relative, absolute) in &files {
        writeln!(out, "    ({relative:?}, include_bytes!({:?})),", absolute.display().to_string())
            .expect("write to string");
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("ui_assets.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}

/// The release daemon's hot functions laid together at the front of its code
/// (`src/hot-code.ld`, written by `cargo xtask hot-code`): a steady daemon then keeps
/// resident little more code than it runs, where the kernel would map 64 KB around each
/// touched page of functions spread over the whole text. Linux only, where the linker
/// (LLD, as rustc uses by default there, or GNU ld) reads such a script; other builds
/// and debug builds link as they always have.
fn hot_code(manifest: &Path) {
    let script = manifest.join("src").join("hot-code.ld");
    println!("cargo::rerun-if-changed=src/hot-code.ld");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    if linux && std::env::var("PROFILE").as_deref() == Ok("release") && script.is_file() {
        println!("cargo::rustc-link-arg-bin=watchkeeper=-Wl,-T,{}", script.display());
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let relative = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            files.push((relative, path));
        }
    }
}
