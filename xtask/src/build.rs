//! Building the portal and the server.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::tools::{Tools, WASM_TARGET, announce};

/// The main bundle's file names: `<MAIN_NAME>.js` and `<MAIN_NAME>_bg.wasm`.
const MAIN_NAME: &str = "keyblade-frontend";
/// The wasm features rustc's wasm32 target emits, which wasm-opt must accept.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-multivalue",
];

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits inside the workspace").to_path_buf()
}

pub fn dist() -> PathBuf {
    root().join("dist")
}

/// A `cargo` command run from the workspace root with the project's tools on PATH.
pub fn cargo(tools: &Tools) -> Command {
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root()).env("PATH", &tools.path);
    // A CI run starts from a clean clone, so incremental caches (gigabytes) would never be reused.
    if env::var_os("CI").is_some_and(|ci| !ci.is_empty() && ci != "false") {
        command.env("CARGO_INCREMENTAL", "0");
    }
    command
}

/// Runs a command to completion; an error says how it ended.
pub fn check(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("could not start {:?}: {e}", command.get_program()))?;
    if status.success() { Ok(()) } else { Err(format!("{:?} exited with {status}", command.get_program())) }
}

/// Builds the portal into `dist/`: the main bundle split into lazily loaded chunks, the
/// key-generation worker, the stylesheet and `index.html`. No packager splits a wasm module, so
/// the steps are run here: cargo, `wasm-split-cli`, `wasm-bindgen`, `wasm-opt`.
pub fn portal(tools: &Tools) -> Result<(), String> {
    announce("building the portal (release, split into chunks)");
    let staging = target_dir().join("portal");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    let app_dir = main_bundle(tools, &staging)?;
    worker(tools, &staging)?;
    let css = stylesheet(&staging)?;
    write_index(&staging, &app_dir, &css)?;
    let dist = dist();
    let _ = fs::remove_dir_all(&dist);
    fs::rename(&staging, &dist).map_err(|e| format!("cannot move the build into {}: {e}", dist.display()))
}

/// The main bundle, in `app-<hash>/` (the hash of the linked wasm, so a new build never meets
/// a cached chunk of an old one). Returns that directory's name.
fn main_bundle(tools: &Tools, staging: &Path) -> Result<String, String> {
    // Relocations let wasm-split move each lazily loaded blade into its own chunk.
    check(cargo(tools).args([
        "rustc",
        "--release",
        "-p",
        "keyblade-frontend",
        "--bin",
        "keyblade-frontend",
        "--target",
        WASM_TARGET,
        "--features",
        "split",
        "--",
        "-C",
        "link-arg=--emit-relocs",
    ]))?;
    let linked = target_dir().join(WASM_TARGET).join("release/keyblade-frontend.wasm");
    let bytes = fs::read(&linked).map_err(|e| format!("{}: {e}", linked.display()))?;
    let app_dir = format!("app-{:016x}", fnv1a(&bytes));
    let out = staging.join(&app_dir);
    let split_dir = target_dir().join("portal-split");
    let _ = fs::remove_dir_all(&split_dir);
    check(
        Command::new(&tools.wasm_split)
            .arg(&linked)
            .arg(&split_dir)
            .args(["--out-name", MAIN_NAME])
            .env("PATH", &tools.path),
    )?;
    check(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--keep-lld-exports", "--no-typescript", "--out-name", MAIN_NAME])
            .arg("--out-dir")
            .arg(&out)
            .arg(split_dir.join(format!("{MAIN_NAME}.wasm")))
            .env("PATH", &tools.path),
    )?;
    optimize(tools, &out.join(format!("{MAIN_NAME}_bg.wasm")), "-Oz")?;
    for entry in fs::read_dir(&split_dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().to_string();
        if name == format!("{MAIN_NAME}.wasm") {
            continue;
        }
        fs::copy(&path, out.join(&name)).map_err(|e| e.to_string())?;
        if name.ends_with(".wasm") {
            optimize(tools, &out.join(&name), "-Oz")?;
        }
    }
    Ok(app_dir)
}

/// The key-generation worker (also the offline demo's engine), built whole for speed, with the
/// loader the portal starts it through (`keygen::WORKER_URL`).
fn worker(tools: &Tools, staging: &Path) -> Result<(), String> {
    check(cargo(tools).args([
        "build",
        "--profile",
        "worker",
        "-p",
        "keyblade-frontend",
        "--bin",
        "keygen-worker",
        "--target",
        WASM_TARGET,
    ]))?;
    let linked = target_dir().join(WASM_TARGET).join("worker/keygen-worker.wasm");
    check(
        Command::new("wasm-bindgen")
            .args(["--target", "no-modules", "--no-typescript", "--out-name", "keygen-worker"])
            .arg("--out-dir")
            .arg(staging)
            .arg(&linked)
            .env("PATH", &tools.path),
    )?;
    optimize(tools, &staging.join("keygen-worker_bg.wasm"), "-O3")?;
    fs::write(
        staging.join("keygen-worker_loader.js"),
        "importScripts(\"./keygen-worker.js\");wasm_bindgen(\"./keygen-worker_bg.wasm\");",
    )
    .map_err(|e| e.to_string())
}

/// `style/portal.css` as `portal-<hash>.css`; returns that name.
fn stylesheet(staging: &Path) -> Result<String, String> {
    let css = fs::read(root().join("style/portal.css")).map_err(|e| format!("style/portal.css: {e}"))?;
    let name = format!("portal-{:016x}.css", fnv1a(&css));
    fs::write(staging.join(&name), css).map_err(|e| e.to_string())?;
    Ok(name)
}

/// `index.html`: the stylesheet, the main bundle preloaded, and the one inline script that
/// starts it (the server's Content-Security-Policy allows it by its hash).
fn write_index(staging: &Path, app_dir: &str, css: &str) -> Result<(), String> {
    let js = format!("/{app_dir}/{MAIN_NAME}.js");
    let wasm = format!("/{app_dir}/{MAIN_NAME}_bg.wasm");
    let html = format!(
        r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Keyblade</title>
    <link rel="stylesheet" href="/{css}" />
    <link rel="modulepreload" href="{js}" />
    <link rel="preload" href="{wasm}" as="fetch" type="application/wasm" crossorigin />
    <script type="module">import init from "{js}"; await init({{ module_or_path: "{wasm}" }});</script>
  </head>
  <body></body>
</html>
"#
    );
    fs::write(staging.join("index.html"), html).map_err(|e| e.to_string())
}

fn optimize(tools: &Tools, wasm: &Path, level: &str) -> Result<(), String> {
    // Quiet unless it fails: wasm-opt warns once per chunk about the linker's name subsections.
    let out = Command::new("wasm-opt")
        .arg(level)
        .args(WASM_FEATURES)
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .env("PATH", &tools.path)
        .output()
        .map_err(|e| format!("could not start wasm-opt: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("wasm-opt failed on {}: {}", wasm.display(), String::from_utf8_lossy(&out.stderr)))
    }
}

/// A content hash for file names (FNV-1a, 64 bits): stable across builds of the same bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Builds the `keyblade` server binary and returns its path.
pub fn server() -> Result<PathBuf, String> {
    announce("building the server");
    check(
        Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["build", "--profile", "server", "-p", "keyblade-backend", "--bin", "keyblade"])
            .current_dir(root()),
    )?;
    Ok(target_dir().join("server").join("keyblade"))
}
