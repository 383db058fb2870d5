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
