//! The same load on each database and deployment: SQLite and PostgreSQL, one replica and two
//! replicas sharing the database (requests alternate between them, as behind a load balancer).
//! Each is reported against SQLite with one replica, measured in the same run.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use base64::Engine;
use reqwest::{Client, Method};
use serde_json::json;

use crate::{
    backend::{latency, load, use_customer_key},
    report::{Section, Stats, ms, ratio},
    server::{Replica, Server},
};

const WRITES: usize = 300;
/// Writes alternating between two replicas, against the same database with one: at most this.
const TWO_REPLICA_WRITES: f64 = 1.2;

struct Deployment {
    database: &'static str,
    replicas: usize,
}

const DEPLOYMENTS: [Deployment; 4] = [
    Deployment { database: "SQLite", replicas: 1 },
    Deployment { database: "SQLite", replicas: 2 },
    Deployment { database: "PostgreSQL", replicas: 1 },
    Deployment { database: "PostgreSQL", replicas: 2 },
];

pub async fn measure(binary: &Path, dist: &Path) -> Section {
    let mut section = Section::new(
        "Storage: SQLite and PostgreSQL, one and two replicas",
        &format!(
            "Release servers as their own processes. Write latency: {WRITES} sequential creates (POST /api/identities), alternating between the replicas. Device password: 16 clients asking for it at once, spread evenly over the replicas. Two SQLite replicas share one database file; two PostgreSQL replicas share one database on a local server (synchronous_commit off, like SQLite's WAL at synchronous=NORMAL). Server CPU per unwrap is each replica's own CPU time over its share of the unwraps: with two machines' worth of cores, throughput would scale by how little it grows. Ratios are to SQLite with one replica; the targets compare two replicas with one on the same database. A replica that finds the world moved by another reads only the rows written or deleted since the world it keeps."
        ),
        &[
            "database",
            "replicas",
            "write p50 / p99",
            "Device password / s",
            "p50 / p99",
            "server CPU per unwrap, each replica",
            "ratio (writes, unwraps)",
        ],
    );
    let mut reference: Option<(f64, f64)> = None;
    let mut one_replica_writes = 0.0;
    for deployment in DEPLOYMENTS {
        let (servers, _shared) = start(binary, dist, &deployment).await;
        let client = servers[0].client().await;
        let order = use_customer_key(&servers[0], &client).await;
        let writes = Stats::of(&write_latencies(&servers, &client).await);
        let urls: Vec<String> =
            servers.iter().map(|s| s.url(&format!("/api/orders/{order}/device-password"))).collect();
        load(&client, Method::POST, &urls, Duration::from_secs(1)).await;
        let cpu_before: Vec<f64> = servers.iter().map(Server::cpu_seconds).collect();
        let unwraps = load(&client, Method::POST, &urls, Duration::from_secs(5)).await;
        let per_second = unwraps.per_second();
        // Each replica served an equal share (the workers are spread evenly over them).
        let share = unwraps.ok.max(1) as f64 / servers.len() as f64;
        let cpu_us: Vec<f64> = servers
            .iter()
            .zip(&cpu_before)
            .map(|(s, before)| 1e6 * (s.cpu_seconds() - before) / share)
            .collect();
        let cpu = cpu_us.iter().map(|us| format!("{us:.0} µs")).collect::<Vec<_>>().join(", ");
        let (write_ref, unwrap_ref) = *reference.get_or_insert((writes.median, per_second));
        section.row(vec![
            deployment.database.into(),
            deployment.replicas.to_string(),
            format!("{} / {}", ms(writes.median), ms(writes.p99)),
            format!("{per_second:.0} ({} failed)", unwraps.failed),
            latency(&unwraps),
            cpu,
            format!("{}, {}", ratio(writes.median, write_ref), ratio(per_second, unwrap_ref)),
        ]);
        section.figure(
            &format!("{}_{}", deployment.database.to_lowercase(), deployment.replicas),
            json!({ "write_latency_ms": writes, "unwraps_per_second": per_second, "unwraps_failed": unwraps.failed, "cpu_us_per_unwrap_each_replica": cpu_us }),
        );
        if deployment.replicas == 1 {
            one_replica_writes = writes.median;
        } else if deployment.database == "PostgreSQL" {
            section.verdict(
                format!(
                    "{}: writes alternating between {} replicas at most {TWO_REPLICA_WRITES}x one replica's (p50)",
                    deployment.database, deployment.replicas
                ),
                format!("{} of {}", ms(writes.median), ms(one_replica_writes)),
                writes.median <= TWO_REPLICA_WRITES * one_replica_writes,
            );
        }
        section.verdict(
            format!(
                "{} with {} replica(s): every request answered",
                deployment.database, deployment.replicas
            ),
            format!("{} failed unwraps", unwraps.failed),
            unwraps.failed == 0,
        );
    }
    section
}

/// The deployment's servers, and what they share (kept alive as long as they run).
async fn start(binary: &Path, dist: &Path, deployment: &Deployment) -> (Vec<Server>, tempfile::TempDir) {
    let shared = tempfile::tempdir().expect("a directory");
    let database_url = match deployment.database {
        "SQLite" => format!("sqlite://{}", shared.path().join("keyblade.db").display()),
        _ => harness::new_postgres_database(),
    };
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("random bytes");
    let replica = Replica {
        database_url: Some(database_url),
        master_key: Some(base64::engine::general_purpose::STANDARD.encode(key)),
    };
    let mut servers = Vec::new();
    for _ in 0..deployment.replicas {
        servers.push(Server::start_replica(binary, dist, &replica).await);
    }
    (servers, shared)
}

async fn write_latencies(servers: &[Server], client: &Client) -> Vec<f64> {
    let mut latencies = Vec::with_capacity(WRITES);
    for i in 0..WRITES {
        let url = servers[i % servers.len()].url("/api/identities");
        let body =
            json!({ "name": format!("storage-{i}"), "resource_group": shared::demo::DEMO_RESOURCE_GROUP });
        let started = Instant::now();
        let reply = client.post(&url).json(&body).send().await.expect("a reply");
        assert!(reply.status().is_success(), "create identity failed: {}", reply.status());
        reply.bytes().await.expect("a body");
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    latencies
}
