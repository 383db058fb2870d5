//! Read latency under load from a generator on 127.0.0.1, against `/api/health` under the same
//! concurrency; and the load generator the other sections use.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{Client, Method, RequestBuilder};
use serde_json::{Value, json};
use shared::demo::{DEMO_KEY, DEMO_VAULT};

use crate::{
    report::{Section, Stats, ms, ratio},
    server::Server,
};

const CONCURRENCY: usize = 16;
/// Readers at once for the read-latency figure.
const READERS: usize = 64;
const P99_TARGET_MS: f64 = 5.0;

/// What one load run saw.
pub struct Load {
    pub ok: usize,
    pub failed: usize,
    pub seconds: f64,
    pub latencies_ms: Vec<f64>,
    /// What the first failed request got, for the report.
    pub first_failure: Option<String>,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

pub async fn measure(server: &Server) -> Section {
    let mut section = Section::new(
        "Reads under load",
        &format!(
            "The release server (`--profile server`) as its own process with SQLite on disk; a load generator on one thread of the same machine keeps {READERS} reads in flight: one key's metadata (GET /api/vaults/{{vault}}/keys/{{key}}), the Encryption blade's request, and `/api/health` (no engine, no store) as the reference. Then the same reads while 8 writers create identities: a read never waits for a write."
        ),
        &["figure", "measured", "reference", "ratio"],
    );
    let client = server.client().await;
    let order = use_customer_key(server, &client).await;
    let idle = server.memory_kib().0;

    let key_url = server.url(&format!("/api/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}"));
    let read_url = server.url(&format!("/api/orders/{order}/encryption"));
    let health_url = server.url("/api/health");
    let reads_of = |url: String| {
        let client = client.clone();
        move |_| client.get(&url)
    };
    load_with(READERS, Duration::from_secs(1), reads_of(key_url.clone())).await;
    let key = load_with(READERS, Duration::from_secs(5), reads_of(key_url.clone())).await;
    let blade = load_with(READERS, Duration::from_secs(5), reads_of(read_url)).await;
    let health = load_with(READERS, Duration::from_secs(5), reads_of(health_url)).await;
    let writers = {
        let (client, url) = (client.clone(), server.url("/api/identities"));
        tokio::spawn(load_with(8, Duration::from_secs(5), move |worker| {
            let name = format!(
                "reader-bench-{worker}-{}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            );
            client.post(&url).json(&json!({ "name": name, "resource_group": "databox-rg" }))
        }))
    };
    let during_writes = load_with(READERS - 8, Duration::from_secs(5), reads_of(key_url)).await;
    let writes = writers.await.expect("the writers");
    let reference = Stats::of(&health.latencies_ms);
    let mut p99s = Vec::new();
    for (name, load) in [
        ("one key's metadata", &key),
        ("the Encryption blade's request", &blade),
        ("one key's metadata, 8 writers at once", &during_writes),
    ] {
        let stats = Stats::of(&load.latencies_ms);
        p99s.push((name, stats.p99, load.failed));
        section.row(vec![
            format!("{name}: p50 / p99"),
            format!("{} ({:.0} req/s, {} failed)", latency(load), load.per_second(), load.failed),
            format!("/api/health: {} ({:.0} req/s)", latency(&health), health.per_second()),
            format!("p99 {}", ratio(stats.p99, reference.p99)),
        ]);
        if let Some(failure) = &load.first_failure {
            let failure: String = failure.chars().take(300).collect();
            section.note(format!("{name}: the first failure was {failure}"));
        }
    }
    section.row(vec![
        "writes during the reads".into(),
        format!(
            "{:.0} writes/s ({} failed), p50 / p99 {}",
            writes.per_second(),
            writes.failed,
            latency(&writes)
        ),
        String::new(),
        String::new(),
    ]);
    let (_, peak) = server.memory_kib();
    section.row(vec![
        "server memory (VmHWM peak)".into(),
        format!("{:.1} MiB", peak as f64 / 1024.0),
        format!("idle after start: {:.1} MiB", idle as f64 / 1024.0),
        ratio(peak as f64, idle as f64),
    ]);

    section.figure("reads", json!({ "key_latency_ms": Stats::of(&key.latencies_ms), "blade_latency_ms": Stats::of(&blade.latencies_ms), "during_writes_latency_ms": Stats::of(&during_writes.latencies_ms), "health_latency_ms": reference, "readers": READERS }));
    section.figure("memory_kib", json!({ "idle": idle, "peak": peak }));
    for (name, p99, failed) in p99s {
        section.verdict(
            format!("{name}: p99 under {P99_TARGET_MS:.0} ms at {READERS} clients"),
            format!("{} ({failed} failed)", ms(p99)),
            p99 < P99_TARGET_MS && failed == 0,
        );
    }
    section
}

pub fn latency(load: &Load) -> String {
    let s = Stats::of(&load.latencies_ms);
    format!("{} / {}", ms(s.median), ms(s.p99))
}

/// Switches the seeded order to the seeded customer-managed key, so a Device password is an RSA
/// unwrap, and returns the order id.
pub async fn use_customer_key(server: &Server, client: &Client) -> String {
    let get = |path: &str| {
        let request = client.get(server.url(path));
        async move { request.send().await.expect("a reply").json::<Value>().await.expect("JSON") }
    };
    let order = crate::server::demo_order(server, client).await;
    let key = get(&format!("/api/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await;
    let version = key["versions"][0]["id"].as_str().expect("a key version").to_string();
    let body = json!({
        "settings": { "type": "CustomerManaged", "vault": DEMO_VAULT, "key": DEMO_KEY, "version": version, "identity": { "type": "SystemAssigned" } }
    });
    let reply = client
        .put(server.url(&format!("/api/orders/{order}/encryption")))
        .json(&body)
        .send()
        .await
        .expect("a reply");
    assert!(
        reply.status().is_success(),
        "saving the customer-managed key failed: {}",
        reply.text().await.unwrap_or_default()
    );
    order
}

/// `CONCURRENCY` requests in flight for `duration`, spread evenly over `urls` (the same
/// request to each replica of a deployment).
pub async fn load(client: &Client, method: Method, urls: &[String], duration: Duration) -> Load {
    let urls: Vec<Arc<str>> = urls.iter().map(|url| Arc::from(url.as_str())).collect();
    let client = client.clone();
    load_with(CONCURRENCY, duration, move |worker| {
        client.request(method.clone(), &*urls[worker % urls.len()])
    })
    .await
}

/// `concurrency` workers, each sending the request `request(worker)` builds, one after the
/// other, for `duration`. A request fails unless it is answered with a success.
pub async fn load_with<F>(concurrency: usize, duration: Duration, request: F) -> Load
where
    F: Fn(usize) -> RequestBuilder + Send + Sync + 'static,
{
    let deadline = Instant::now() + duration;
    let request = Arc::new(request);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let request = request.clone();
            tokio::spawn(async move {
                let (mut latencies, mut failed, mut first_failure) = (vec![], 0, None);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let failure = match request(worker).send().await {
                        Ok(reply) if reply.status().is_success() => {
                            reply.bytes().await.err().map(|e| e.to_string())
                        }
                        Ok(reply) => {
                            let status = reply.status();
                            Some(format!("{status}: {}", reply.text().await.unwrap_or_default()))
                        }
                        Err(e) => Some(e.to_string()),
                    };
                    match failure {
                        None => latencies.push(sent.elapsed().as_secs_f64() * 1000.0),
                        Some(failure) => {
                            failed += 1;
                            first_failure.get_or_insert(failure);
                        }
                    }
                }
                (latencies, failed, first_failure)
            })
        })
        .collect();
    let mut results = vec![];
    for worker in workers {
        results.push(worker.await.expect("a load worker"));
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut load = Load { ok: 0, failed: 0, seconds, latencies_ms: vec![], first_failure: None };
    for (latencies, failed, first_failure) in results {
        load.ok += latencies.len();
        load.failed += failed;
        load.latencies_ms.extend(latencies);
        load.first_failure = load.first_failure.or(first_failure);
    }
    load
}
