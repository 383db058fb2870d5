//! The Python virtualenv the SDK and schemathesis tests run from (`tools/venv`, which
//! `cargo xtask test` fills and names in `KEYBLADE_VENV`).

use std::path::PathBuf;

/// The program `name` of the virtualenv (`python`, `schemathesis`); fails saying how to get it.
pub fn venv_tool(name: &str) -> PathBuf {
    let venv = std::env::var_os("KEYBLADE_VENV").unwrap_or_else(|| {
        panic!(
            "KEYBLADE_VENV must name the Python virtualenv with the test tools (cargo xtask test installs it)"
        )
    });
    let binary = PathBuf::from(venv).join("bin").join(name);
    assert!(binary.exists(), "{} is missing: run cargo xtask test, which installs it", binary.display());
    binary
}

/// Runs `tests/sdk/{script}` with the virtualenv's Python and `env`, fails the test with the
/// script's output unless it succeeds, and returns what it printed.
pub async fn run_sdk_script<'a>(script: &str, env: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk").join(script);
    let output = tokio::process::Command::new(venv_tool("python"))
        .arg(path)
        .envs(env)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the SDK script {script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
