//! `cargo xtask bench`: Keyblade's benchmark suite. Every figure is measured in the same run as
//! its reference (WebCrypto for key generation, the raw engine and `/api/health` for the API, the
//! bundle download for first render) and reported as a ratio next to its target.
//!
//! Usage: `keyblade-bench --server <keyblade binary> --dist <portal build> --out <folder> [--only
//! api,writes]`, with `KEYBLADE_TEST_POSTGRES` naming a PostgreSQL server for the storage section.

mod backend;
mod browser;
mod offline;
mod report;
mod server;
mod storage;
mod throughput;
mod weight;
mod writes;

use std::{path::PathBuf, time::Instant};

use report::Report;

struct Args {
    server: PathBuf,
    dist: PathBuf,
    out: PathBuf,
    /// The sections to run (`--only api,writes`); every section when empty.
    only: Vec<String>,
}

impl Args {
    fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

/// The section names `--only` takes, in the order they run.
const SECTIONS: [&str; 7] = ["weight", "throughput", "api", "scale", "storage", "offline", "browser"];

fn args() -> Result<Args, String> {
    let mut server = None;
    let mut dist = None;
    let mut out = None;
    let mut only = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().map(PathBuf::from).ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--server" => server = Some(value),
            "--dist" => dist = Some(value),
            "--out" => out = Some(value),
            "--only" => {
                only = value.to_string_lossy().split(',').map(str::to_owned).collect();
                if let Some(unknown) = only.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
                    return Err(format!("unknown section {unknown} (sections: {})", SECTIONS.join(", ")));
                }
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Args {
        server: server.ok_or("--server is required")?,
        dist: dist.ok_or("--dist is required")?,
        out: out.ok_or("--out is required")?,
        only,
    })
}

// One thread: the load generator must not take both cores from the server it measures.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("keyblade-bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let mut report = Report::new();

    if args.runs("weight") {
        step("page weight");
        report.add(weight::measure(&args.dist));
    }
    if args.runs("throughput") {
        step("throughput: unwraps on every surface against bare RSA");
        let server = server::Server::start(&args.server, &args.dist).await;
        report.add(throughput::measure(&server).await);
    }
    if args.runs("api") {
        step("API: read latency under load, memory");
        let server = server::Server::start(&args.server, &args.dist).await;
        report.add(backend::measure(&server).await);
    }
    if args.runs("scale") {
        step("scale: writes and memory with 10 to 50,000 entities and 1,000,000 audit entries");
        let mut server = server::Server::start(&args.server, &args.dist).await;
        report.add(writes::measure(&mut server).await);
    }
    if args.runs("storage") {
        step("storage: SQLite and PostgreSQL, one and two replicas");
        report.add(storage::measure(&args.server, &args.dist).await);
    }
    if args.runs("offline") {
        step("offline demo: main thread during engine work");
        report.add(offline::measure(&args.dist).await);
    }
    if args.runs("browser") {
        step("browser: first render, key generation, long tasks, Create to usable");
        let server = server::Server::start(&args.server, &args.dist).await;
        for section in browser::measure(&server).await {
            report.add(section);
        }
    }

    report.finish(started.elapsed());
    match report.write(&args.out) {
        Ok(markdown) => {
            println!("\n{markdown}");
            println!("keyblade-bench: report written to {}", args.out.display());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("keyblade-bench: cannot write the report: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn step(what: &str) {
    println!("keyblade-bench: {what}…");
}
