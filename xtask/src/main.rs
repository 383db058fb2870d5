//! The project's commands. `cargo xtask run` builds the portal and starts the server;
//! `cargo xtask test` installs whatever is missing and runs every test; `cargo xtask bench`
//! runs the benchmark suite and writes its report to `bench-results/`.

mod build;
mod postgres;
mod tools;

use std::{
    env,
    process::{Command, ExitCode},
};

const USAGE: &str = "usage: cargo xtask <run [keyblade flags…] | test | bench [--only sections] | build>";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("build") => tools::ensure_build_tools().and_then(|t| build::portal(&t)),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the portal and the server, then becomes the server (so Ctrl-C reaches it directly).
fn run(server_args: &[String]) -> Result<(), String> {
    let tools = tools::ensure_build_tools()?;
    build::portal(&tools)?;
    let server = build::server()?;
    let mut command = Command::new(server);
    command.args(server_args).current_dir(build::root());
    if env::var_os("KEYBLADE_DIST").is_none() {
        command.env("KEYBLADE_DIST", build::dist());
    }
    exec(command)
}

#[cfg(unix)]
fn exec(mut command: Command) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    Err(format!("could not start the server: {}", command.exec()))
}

#[cfg(not(unix))]
fn exec(mut command: Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("could not start the server: {e}"))?;
    status.success().then_some(()).ok_or_else(|| format!("server exited with {status}"))
}

/// The benchmark suite against the release portal and server (see `bench/`).
fn bench(flags: &[String]) -> Result<(), String> {
    let tools = tools::ensure_build_tools()?;
    let browser = tools::ensure_browser()?;
    build::portal(&tools)?;
    let server = build::server()?;
    let postgres = postgres::Cluster::start()?;
    tools::announce("running the benchmarks");
    build::check(
        build::cargo(&tools)
            .args(["run", "--profile", "server", "-p", "keyblade-bench", "--"])
            .arg("--server")
            .arg(server)
            .arg("--dist")
            .arg(build::dist())
            .arg("--out")
            .arg(build::root().join("bench-results"))
            .args(flags)
            .env("CHROMEDRIVER", &browser.chromedriver)
            .env("CHROMIUM", &browser.chromium)
            .env("KEYBLADE_TEST_POSTGRES", &postgres.url),
    )
}

/// Every test: native unit and integration tests (API and end-to-end in headless Chromium),
/// the engine built for wasm32, and the portal's wasm-bindgen tests in headless Chromium.
fn test() -> Result<(), String> {
    let tools = tools::ensure_build_tools()?;
    let browser = tools::ensure_browser()?;
    let venv = tools::ensure_python_tools()?;
    let postgres = postgres::Cluster::start()?;
    build::portal(&tools)?;

    let mut failures = Vec::new();
    let mut step = |name: &str, command: &mut Command| {
        tools::announce(name);
        if let Err(e) = build::check(command) {
            failures.push(format!("{name}: {e}"));
        }
    };
    step("formatting (cargo fmt --check)", build::cargo(&tools).args(["fmt", "--all", "--", "--check"]));
    step(
        "lints (cargo clippy, native)",
        build::cargo(&tools).args([
            "clippy",
            "--workspace",
            "--exclude",
            "keyblade-frontend",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    );
    step(
        "lints (cargo clippy, the portal for wasm32)",
        build::cargo(&tools).args([
            "clippy",
            "-p",
            "keyblade-frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    );
    step(
        "engine for wasm32",
        build::cargo(&tools).args(["build", "-p", "keyblade-shared", "--target", "wasm32-unknown-unknown"]),
    );
    step(
        "native tests (unit, API, end-to-end)",
        build::cargo(&tools)
            .args(["test", "--workspace", "--exclude", "keyblade-frontend"])
            .env("KEYBLADE_DIST", build::dist())
            .env("KEYBLADE_VENV", &venv)
            .env("CHROMEDRIVER", &browser.chromedriver)
            .env("CHROMIUM", &browser.chromium)
            .env("KEYBLADE_TEST_POSTGRES", &postgres.url),
    );
    step(
        "API and SDK tests again, every server on PostgreSQL",
        build::cargo(&tools)
            .args(["test", "-p", "keyblade-tests"])
            .args(server_test_targets()?)
            .env("KEYBLADE_VENV", &venv)
            .env("KEYBLADE_TEST_POSTGRES", &postgres.url)
            .env("KEYBLADE_TEST_STORE", "postgres"),
    );
    step(
        "portal tests in headless Chromium (wasm-bindgen-test)",
        build::cargo(&tools)
            .args(["test", "-p", "keyblade-frontend", "--target", "wasm32-unknown-unknown"])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
            .env("CHROMEDRIVER", &browser.chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    );
    drop(postgres);
    if failures.is_empty() {
        println!("\nxtask: every test passed");
        Ok(())
    } else {
        Err(format!("failed steps:\n  {}", failures.join("\n  ")))
    }
}

/// `--test api_…` and `--test sdk_…` for every API and official-SDK test file in `tests/tests`,
/// so a new one joins the PostgreSQL pass without being listed.
fn server_test_targets() -> Result<Vec<String>, String> {
    let dir = build::root().join("tests/tests");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .filter(|name| name.starts_with("api_") || name.starts_with("sdk_"))
        .collect();
    names.sort();
    Ok(names.into_iter().flat_map(|name| ["--test".to_owned(), name]).collect())
}
