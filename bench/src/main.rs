//! `cargo xtask bench`: Keyblade's benchmark suite. Every figure is measured in the same run as
//! its reference (WebCrypto for key generation, the raw engine and `/api/health` for the API, the
//! bundle download for first render) and reported as a ratio next to its target.
//!
//! Usage: `keyblade-bench --server <keyblade binary> --dist <portal build> --out <folder>`, with
//! `KEYBLADE_TEST_POSTGRES` naming a PostgreSQL server for the storage section.

mod backend;
mod browser;
mod offline;
mod report;
mod server;
mod storage;
mod weight;
mod writes;

use std::{path::PathBuf, time::Instant};

use report::Report;

struct Args {
    server: PathBuf,
    dist: PathBuf,
    out: PathBuf,
}

fn args() -> Result<Args, String> {
    let mut server = None;
    let mut dist = None;
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().map(PathBuf::from).ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--server" => server = Some(value),
            "--dist" => dist = Some(value),
            "--out" => out = Some(value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Args {
        server: server.ok_or("--server is required")?,
        dist: dist.ok_or("--dist is required")?,
        out: out.ok_or("--out is required")?,
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

    step("page weight");
    report.add(weight::measure(&args.dist));

    step("API: device password (unwrap) throughput, read latency, memory");
    let server = server::Server::start(&args.server, &args.dist).await;
    report.add(backend::measure(&server).await);
    drop(server);

    step("API: write latency with 10 and with 5,000 stored entities");
    let server = server::Server::start(&args.server, &args.dist).await;
    report.add(writes::measure(&server).await);
    drop(server);

    step("storage: SQLite and PostgreSQL, one and two replicas");
    report.add(storage::measure(&args.server, &args.dist).await);

    step("offline demo: main thread during engine work");
    report.add(offline::measure(&args.dist).await);

    step("browser: first render, key generation, long tasks, Create to usable");
    let server = server::Server::start(&args.server, &args.dist).await;
    for section in browser::measure(&server).await {
        report.add(section);
    }
    drop(server);

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
