//! Installs what the build and the tests need, from package registries only, and says so.
//! A second run finds everything in place and installs nothing.

use std::{
    env,
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::build::{check, root};

/// `wasm-split-cli` splits the portal's lazily loaded blades into chunks; it must understand
/// the split points of the `wasm_split_helpers` version in Cargo.lock (0.2.x).
const WASM_SPLIT_VERSION: &str = "0.2.3";
/// The npm package `binaryen` ships a current wasm-opt; Debian's is too old for today's wasm.
const BINARYEN_VERSION: &str = "132.0.0";
const WASM_OPT_VERSION: &str = "version 132";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Python packages the tests drive (schemathesis, the Key Protect and Element SDKs), pinned; installed into the
/// git-ignored `tools/venv`.
const PYTHON_PACKAGES: [&str; 6] = [
    "schemathesis==4.32.5",
    "keyprotect==3.0.1",
    "solidfire-sdk-python==12.3.0.203",
    "azure-keyvault-keys==4.11.3",
    "azure-identity==1.27.0",
    "azure-mgmt-databox==4.0.0",
];

/// Where the build tools are, and the PATH that finds `wasm-bindgen` and `wasm-opt`.
pub struct Tools {
    pub wasm_split: PathBuf,
    pub path: OsString,
}

pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

pub fn announce(what: &str) {
    println!("\n==> {what}");
}

pub fn ensure_build_tools() -> Result<Tools, String> {
    let cargo_bin = cargo_home().join("bin");
    let npm_bin = root().join("tools/node_modules/.bin");
    let path = env::join_paths(
        [npm_bin.clone(), cargo_bin.clone()]
            .into_iter()
            .chain(env::split_paths(&env::var_os("PATH").unwrap_or_default())),
    )
    .map_err(|e| e.to_string())?;

    ensure_wasm_target()?;
    let wasm_split = cargo_bin.join("wasm-split-cli");
    ensure_cargo_tool(
        &wasm_split,
        "wasm_split_cli_support",
        WASM_SPLIT_VERSION,
        &["--locked", "--features", "build-binary"],
    )?;
    let bindgen_version = wasm_bindgen_version()?;
    // wasm-bindgen-cli cannot be installed with --locked here: one locked dependency is
    // missing from the registry.
    ensure_cargo_tool(&cargo_bin.join("wasm-bindgen"), "wasm-bindgen-cli", &bindgen_version, &[])?;
    ensure_wasm_opt(&npm_bin.join("wasm-opt"))?;
    Ok(Tools { wasm_split, path })
}

pub fn ensure_browser() -> Result<Browser, String> {
    let browser = Browser {
        chromium: PathBuf::from("/usr/bin/chromium"),
        chromedriver: PathBuf::from("/usr/bin/chromedriver"),
    };
    if browser.chromium.exists() && browser.chromedriver.exists() {
        println!("chromium and chromedriver: present");
        return Ok(browser);
    }
    announce("installing Chromium and ChromeDriver (Debian packages chromium, chromium-driver)");
    let apt = |args: &[&str]| {
        let mut command = sudo_if_needed("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        check(&mut command)
    };
    apt(&["update"]).and_then(|()| apt(&["install", "-y", "chromium", "chromium-driver"])).map_err(|e| {
        format!(
            "Chromium is required for the browser tests and could not be installed ({e}). \
                 Install the Debian packages `chromium` and `chromium-driver` and run again."
        )
    })?;
    if browser.chromium.exists() && browser.chromedriver.exists() {
        Ok(browser)
    } else {
        Err("apt-get finished but /usr/bin/chromium or /usr/bin/chromedriver is missing".into())
    }
}

/// The virtualenv holding the Python tools the tests drive (schemathesis), created and filled
/// when missing or out of date. Its path goes to the tests as `KEYBLADE_VENV`.
pub fn ensure_python_tools() -> Result<PathBuf, String> {
    let venv = root().join("tools/venv");
    let marker = venv.join("keyblade-packages.txt");
    let wanted = PYTHON_PACKAGES.join("\n");
    if fs::read_to_string(&marker).is_ok_and(|installed| installed == wanted) {
        println!("Python tools ({}): present", PYTHON_PACKAGES.join(", "));
        return Ok(venv);
    }
    announce(&format!("installing {} into tools/venv", PYTHON_PACKAGES.join(", ")));
    if check(Command::new("python3").args(["-m", "venv"]).arg(&venv)).is_err() {
        // Debian splits venv support off the interpreter.
        let mut apt = sudo_if_needed("apt-get");
        apt.args(["install", "-y", "python3-venv"]).env("DEBIAN_FRONTEND", "noninteractive");
        check(&mut apt).map_err(|e| format!("python3 with venv support is required ({e})"))?;
        check(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    check(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PYTHON_PACKAGES),
    )
    .map_err(|e| format!("pip could not install the test tools: {e}"))?;
    fs::write(&marker, wanted).map_err(|e| e.to_string())?;
    Ok(venv)
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        println!("{WASM_TARGET} target: present");
        return Ok(());
    }
    announce(&format!("installing the {WASM_TARGET} target"));
    check(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_cargo_tool(binary: &Path, package: &str, version: &str, extra: &[&str]) -> Result<(), String> {
    let name = binary.file_name().unwrap_or_default().to_string_lossy();
    // Asked of cargo rather than the binary: not every tool answers `--version`.
    let installed = output(Command::new("cargo").args(["install", "--list"])).unwrap_or_default();
    if binary.exists() && installed.lines().any(|l| l.starts_with(&format!("{package} v{version}:"))) {
        println!("{name} {version}: present");
        return Ok(());
    }
    announce(&format!("installing {package} {version} with cargo install"));
    check(
        Command::new("cargo")
            .args(["install", package, "--version", version, "--force"])
            .args(extra)
            .env_remove("CARGO_TARGET_DIR"),
    )
}

fn ensure_wasm_opt(binary: &Path) -> Result<(), String> {
    if installed_version(binary).is_some_and(|v| v.contains(WASM_OPT_VERSION)) {
        println!("wasm-opt {WASM_OPT_VERSION}: present");
        return Ok(());
    }
    announce(&format!("installing wasm-opt (npm package binaryen@{BINARYEN_VERSION}) into tools/"));
    let tools = root().join("tools");
    fs::create_dir_all(&tools).map_err(|e| e.to_string())?;
    check(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .arg(format!("binaryen@{BINARYEN_VERSION}")),
    )
    .map_err(|e| format!("{e} (wasm-opt comes from npm: is Node.js installed?)"))
}

/// The wasm-bindgen version locked in Cargo.lock; the CLI must match it exactly.
fn wasm_bindgen_version() -> Result<String, String> {
    let lock = fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_string());
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

fn installed_version(binary: &Path) -> Option<String> {
    output(Command::new(binary).arg("--version")).ok()
}

fn output(command: &mut Command) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("could not run {:?}: {e}", command.get_program()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn cargo_home() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

pub fn sudo_if_needed(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut command = Command::new("sudo");
        command.arg(program);
        command
    }
}
