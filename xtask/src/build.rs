//! Building the portal and the server.

use std::{env, path::PathBuf, process::Command};

use crate::tools::{Tools, announce};

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
    command
}

/// Runs a command to completion; an error says how it ended.
pub fn check(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("could not start {:?}: {e}", command.get_program()))?;
    if status.success() { Ok(()) } else { Err(format!("{:?} exited with {status}", command.get_program())) }
}

/// `trunk build --release` into `dist/`.
pub fn portal(tools: &Tools) -> Result<(), String> {
    announce("building the portal (trunk build --release)");
    check(
        Command::new(&tools.trunk).args(["build", "--release"]).current_dir(root()).env("PATH", &tools.path),
    )
}

/// Builds the `keyblade` server binary and returns its path.
pub fn server() -> Result<PathBuf, String> {
    announce("building the server");
    check(
        Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["build", "--profile", "server", "-p", "keyblade-backend", "--bin", "keyblade"])
            .current_dir(root()),
    )?;
    let target = env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    Ok(target.join("server").join("keyblade"))
}
