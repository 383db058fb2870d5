//! The API under load from a generator on 127.0.0.1: Device password (unwrap) operations per
//! second against the raw engine doing the same unwraps on every core, and read latency of the
//! Encryption blade's request against `/api/health` under the same concurrency.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{Client, Method};
use serde_json::{Value, json};
use shared::{
    crypto,
    demo::{DEMO_KEY, DEMO_KEY_BITS, DEMO_VAULT},
};

use crate::{
    report::{Section, Stats, ms, ratio},
    server::Server,
};

const CONCURRENCY: usize = 16;
const UNWRAP_TARGET: f64 = 800.0;
/// What a cloud key vault allows per vault (the figure the 800/s target doubles).
const CLOUD_VAULT_LIMIT: f64 = 400.0;
const P99_TARGET_MS: f64 = 10.0;

/// What one load run saw.
pub struct Load {
    pub ok: usize,
    pub failed: usize,
    pub seconds: f64,
    pub latencies_ms: Vec<f64>,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

pub async fn measure(server: &Server) -> Section {
    let mut section = Section::new(
        "API under load",
        &format!(
            "The release server (`--profile server`) as its own process with SQLite on disk; a load generator on one thread of the same machine keeps {CONCURRENCY} requests in flight. The engine reference runs the same RSA-OAEP unwraps (parse the PKCS#8 key, decrypt) in-process on every core with no HTTP or database."
        ),
        &["figure", "measured", "reference", "ratio"],
    );
    let client = server.client().await;
    let order = use_customer_key(server, &client).await;
    let idle = server.memory_kib().0;

    let engine = engine_unwraps_per_second(Duration::from_secs(3));
    let unwrap_url = server.url(&format!("/api/orders/{order}/device-password"));
    let unwrap_url = [unwrap_url];
    load(&client, Method::POST, &unwrap_url, Duration::from_secs(1)).await;
    let unwraps = load(&client, Method::POST, &unwrap_url, Duration::from_secs(8)).await;
    let per_second = unwraps.per_second();
    section.row(vec![
        "Device password (unwrap) / s".into(),
        format!("{per_second:.0} ({} failed)", unwraps.failed),
        format!("engine on all cores: {engine:.0}"),
        ratio(per_second, engine),
    ]);
    section.row(vec!["Device password p50 / p99".into(), latency(&unwraps), String::new(), String::new()]);

    let read_url = [server.url(&format!("/api/orders/{order}/encryption"))];
    let health_url = [server.url("/api/health")];
    load(&client, Method::GET, &read_url, Duration::from_secs(1)).await;
    let reads = load(&client, Method::GET, &read_url, Duration::from_secs(5)).await;
    let health = load(&client, Method::GET, &health_url, Duration::from_secs(5)).await;
    let (read, reference) = (Stats::of(&reads.latencies_ms), Stats::of(&health.latencies_ms));
    section.row(vec![
        "GET /api/orders/{order}/encryption p50 / p99".into(),
        format!("{} ({:.0} req/s, {} failed)", latency(&reads), reads.per_second(), reads.failed),
        format!("/api/health: {} ({:.0} req/s)", latency(&health), health.per_second()),
        format!("p99 {}", ratio(read.p99, reference.p99)),
    ]);
    let (_, peak) = server.memory_kib();
    section.row(vec![
        "server memory (VmHWM peak)".into(),
        format!("{:.1} MiB", peak as f64 / 1024.0),
        format!("idle after start: {:.1} MiB", idle as f64 / 1024.0),
        ratio(peak as f64, idle as f64),
    ]);

    section.figure("unwraps", json!({ "per_second": per_second, "failed": unwraps.failed, "latency_ms": Stats::of(&unwraps.latencies_ms), "engine_per_second": engine, "concurrency": CONCURRENCY }));
    section.figure("reads", json!({ "latency_ms": read, "per_second": reads.per_second(), "failed": reads.failed, "health_latency_ms": reference, "health_per_second": health.per_second() }));
    section.figure("memory_kib", json!({ "idle": idle, "peak": peak }));
    section.verdict(
        format!(
            "at least {UNWRAP_TARGET:.0} unwraps/s on 2 cores (a cloud vault allows {CLOUD_VAULT_LIMIT:.0})"
        ),
        format!("{per_second:.0}/s, {} the engine's own rate", ratio(per_second, engine)),
        per_second >= UNWRAP_TARGET && unwraps.failed == 0,
    );
    section.verdict(
        format!("read p99 under {P99_TARGET_MS:.0} ms"),
        format!("{} ({} /api/health)", ms(read.p99), ratio(read.p99, reference.p99)),
        read.p99 < P99_TARGET_MS && reads.failed == 0,
    );
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
    let deadline = Instant::now() + duration;
    let urls: Vec<Arc<str>> = urls.iter().map(|url| Arc::from(url.as_str())).collect();
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|worker| {
            let (client, method, url) = (client.clone(), method.clone(), urls[worker % urls.len()].clone());
            tokio::spawn(async move {
                let mut latencies = vec![];
                let mut failed = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let ok = match client.request(method.clone(), &*url).send().await {
                        Ok(reply) => reply.status().is_success() && reply.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if ok {
                        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    } else {
                        failed += 1;
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let mut results = vec![];
    for worker in workers {
        results.push(worker.await.expect("a load worker"));
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut load = Load { ok: 0, failed: 0, seconds, latencies_ms: vec![] };
    for (latencies, failed) in results {
        load.ok += latencies.len();
        load.failed += failed;
        load.latencies_ms.extend(latencies);
    }
    load
}

/// RSA-OAEP unwraps per second of the engine alone, on every core.
fn engine_unwraps_per_second(duration: Duration) -> f64 {
    let mut rng = rng();
    let key = crypto::generate_rsa(DEMO_KEY_BITS, &mut rng).expect("an RSA key");
    let pkcs8 = crypto::private_key_to_pkcs8(&key).expect("PKCS#8");
    let wrapped = crypto::oaep_wrap(&key.to_public_key(), &[7u8; 32], &mut rng).expect("a wrapped passkey");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let total: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| {
                    let mut rng = self::rng();
                    let deadline = Instant::now() + duration;
                    let mut done = 0;
                    while Instant::now() < deadline {
                        let private = crypto::private_key_from_pkcs8(&pkcs8).expect("a key");
                        crypto::oaep_unwrap(&private, &wrapped, &mut rng).expect("an unwrap");
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap_or(0)).sum()
    });
    total as f64 / duration.as_secs_f64()
}

fn rng() -> getrandom::rand_core::UnwrapErr<getrandom::SysRng> {
    getrandom::rand_core::UnwrapErr(getrandom::SysRng)
}
