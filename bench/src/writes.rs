//! Scale: what a write, a read and the server's memory cost as the stored world grows from the
//! seeded demo (about ten entities) to 1,000, 10,000 and 50,000 entities, and then with an
//! audit trail of 1,000,000 entries. Entities and entries are added straight to the server's
//! database (the server sees the new revision and reads it once, during the warm-up).

use std::time::{Duration, Instant};

use base64::Engine;
use keyblade_server::Store;
use serde_json::json;
use shared::{
    audit::{AuditAction, AuditRecord},
    crypto::{self, MasterKey},
    model::{Tenant, Timestamp, UserIdentity},
};

use crate::{
    backend::{latency, load_with},
    report::{Section, Stats, ms, ratio},
    server::Server,
};

/// Stored entities at each step, the seeded demo's own first.
const LEVELS: [usize; 4] = [0, 1_000, 10_000, 50_000];
const AUDIT_ENTRIES: usize = 1_000_000;
const WARM_UP: usize = 20;
const SAMPLES: usize = 100;
const WRITERS: usize = 8;
/// Each target compares against the seeded demo.
const LATENCY_TARGET: f64 = 1.5;
const THROUGHPUT_TARGET: f64 = 0.7;

pub async fn measure(server: &mut Server) -> Section {
    let mut section = Section::new(
        "Scale",
        &format!(
            "The release server with SQLite on disk. At each size: one write at a time (POST /api/identities, {SAMPLES} samples after {WARM_UP} warm-ups), then {WRITERS} writers at once for 4 s, and the server's resident memory (VmRSS). Entities are identities added straight to the database; the audit entries are appended through Keyblade's own store, chained and sealed as the server would. The Activity log's first page is then read (it verifies the whole chain), and the server is restarted on that data."
        ),
        &[
            "stored",
            "one write p50 / p99",
            "ratio",
            &format!("{WRITERS} writers: writes/s"),
            "ratio",
            "server memory",
        ],
    );
    let client = server.client().await;
    let (mut reference, mut stored, mut memory) = (None, 0, Vec::new());
    for level in LEVELS {
        add_identities(server, level - stored).await;
        stored = level;
        let label =
            if level == 0 { "seeded demo (~10 entities)".to_owned() } else { format!("+{level} entities") };
        let step = measure_step(server, &client).await;
        let (one_ref, many_ref) = *reference.get_or_insert((step.one.median, step.writers_per_second));
        section.row(vec![
            label,
            format!("{} / {}", ms(step.one.median), ms(step.one.p99)),
            ratio(step.one.median, one_ref),
            format!("{:.0} ({} failed)", step.writers_per_second, step.writers_failed),
            ratio(step.writers_per_second, many_ref),
            format!("{:.1} MiB", step.rss_kib as f64 / 1024.0),
        ]);
        memory.push((level, step.rss_kib));
        if level == *LEVELS.last().unwrap_or(&0) {
            section.verdict(
                format!("one write with {level} entities within {LATENCY_TARGET}x of the seeded demo"),
                format!("{} vs {}", ms(step.one.median), ms(one_ref)),
                step.one.median <= LATENCY_TARGET * one_ref,
            );
            section.verdict(
                format!("{WRITERS} writers with {level} entities at least {THROUGHPUT_TARGET}x the seeded demo's rate"),
                format!("{:.0}/s vs {many_ref:.0}/s", step.writers_per_second),
                step.writers_per_second >= THROUGHPUT_TARGET * many_ref && step.writers_failed == 0,
            );
        }
    }
    let per_entity = per_item_bytes(memory.first(), memory.last());
    section.note(format!(
        "Server memory per stored entity: {per_entity:.0} bytes (from the seeded demo to the largest world)."
    ));

    let before_audit = server.memory_kib().0;
    let appended = Instant::now();
    add_audit_entries(server, AUDIT_ENTRIES).await;
    let appending = appended.elapsed();
    let step = measure_step(server, &client).await;
    let first_page = Instant::now();
    let page = client.get(server.url("/api/audit?limit=50")).send().await.expect("a reply");
    let page_ok = page.status().is_success();
    let chain: serde_json::Value = page.json().await.unwrap_or_default();
    let first_page = first_page.elapsed();
    let next_page = Instant::now();
    let next = chain["next_before"].as_u64().map_or(String::new(), |before| format!("&before={before}"));
    let next_ok = client
        .get(server.url(&format!("/api/audit?limit=50{next}")))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    let next_page = next_page.elapsed();
    let after_page = server.memory_kib().0;
    section.row(vec![
        format!("+{AUDIT_ENTRIES} audit entries"),
        format!("{} / {}", ms(step.one.median), ms(step.one.p99)),
        ratio(step.one.median, reference.map_or(1.0, |r| r.0)),
        format!("{:.0} ({} failed)", step.writers_per_second, step.writers_failed),
        ratio(step.writers_per_second, reference.map_or(1.0, |r| r.1)),
        format!(
            "{:.1} MiB (after the Activity log's first page: {:.1} MiB)",
            step.rss_kib as f64 / 1024.0,
            after_page as f64 / 1024.0
        ),
    ]);
    let per_entry = (after_page.saturating_sub(before_audit) * 1024) as f64 / AUDIT_ENTRIES as f64;
    let restart = server.restart().await;
    section.note(format!(
        "Appending {AUDIT_ENTRIES} entries took {:.1} s. The Activity log's first page then took {} ({}; chain {}: the server checks the entries appended since its last check, here all of them, reading them a piece at a time), the next page {} ({}), and the server holds about {per_entry:.0} bytes per audit entry (it keeps the check, not the trail). A restart on this data answered /api/health after {:.2} s (the chain is checked beside serving).",
        appending.as_secs_f64(),
        ms(first_page.as_secs_f64() * 1000.0),
        if page_ok { "answered" } else { "failed" },
        chain["chain"]["intact"].as_bool().map_or("not reported", |intact| if intact { "intact" } else { "broken" }),
        ms(next_page.as_secs_f64() * 1000.0),
        if next_ok { "answered" } else { "failed" },
        restart.as_secs_f64()
    ));
    section.verdict(
        "start-up with 50,000 entities and 1,000,000 audit entries under 5 s",
        format!("{:.2} s", restart.as_secs_f64()),
        restart < Duration::from_secs(5),
    );
    section.figure("memory_per_entity_bytes", per_entity);
    section.figure("memory_per_audit_entry_bytes", per_entry);
    section.figure("restart_seconds", restart.as_secs_f64());
    section.figure("activity_log_first_page_ms", first_page.as_secs_f64() * 1000.0);
    section.figure("activity_log_next_page_ms", next_page.as_secs_f64() * 1000.0);
    section
}

struct Step {
    one: Stats,
    writers_per_second: f64,
    writers_failed: usize,
    rss_kib: u64,
}

async fn measure_step(server: &Server, client: &reqwest::Client) -> Step {
    let one = Stats::of(&write_latencies(server, client).await);
    let (writers, url) = (client.clone(), server.url("/api/identities"));
    let many = load_with(WRITERS, Duration::from_secs(4), move |worker| {
        writers.post(&url).json(
            &json!({ "name": unique_name(worker), "resource_group": shared::demo::DEMO_RESOURCE_GROUP }),
        )
    })
    .await;
    if let Some(failure) = &many.first_failure {
        eprintln!("keyblade-bench: a concurrent write failed: {failure} ({})", latency(&many));
    }
    Step {
        one,
        writers_per_second: many.per_second(),
        writers_failed: many.failed,
        rss_kib: server.memory_kib().0,
    }
}

fn unique_name(worker: usize) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("scale-{worker}-{nanos}")
}

fn per_item_bytes(first: Option<&(usize, u64)>, last: Option<&(usize, u64)>) -> f64 {
    match (first, last) {
        (Some((n0, kib0)), Some((n1, kib1))) if n1 > n0 => {
            (kib1.saturating_sub(*kib0) * 1024) as f64 / (n1 - n0) as f64
        }
        _ => 0.0,
    }
}

async fn write_latencies(server: &Server, client: &reqwest::Client) -> Vec<f64> {
    let url = server.url("/api/identities");
    let mut latencies = Vec::with_capacity(SAMPLES);
    for i in 0..WARM_UP + SAMPLES {
        let body = json!({ "name": unique_name(i), "resource_group": shared::demo::DEMO_RESOURCE_GROUP });
        let started = Instant::now();
        let reply = client.post(&url).json(&body).send().await.expect("a reply");
        assert!(reply.status().is_success(), "create identity failed: {}", reply.status());
        reply.bytes().await.expect("a body");
        if i >= WARM_UP {
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    latencies
}

/// Adds `count` identities straight to the running server's database.
async fn add_identities(server: &Server, count: usize) {
    if count == 0 {
        return;
    }
    let store = Store::open(&server.database_url()).await.expect("the server's database");
    let snapshot = store.load().await.expect("the stored world");
    let mut world = (*snapshot.world).clone();
    let tenant: Tenant = world.tenants.values().next().cloned().expect("a tenant");
    let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
    for i in 0..count {
        let id = crypto::random_hex(&mut rng, 16);
        let identity = UserIdentity {
            id: id.clone(),
            name: format!("stored-{i}-{id}"),
            resource_group: shared::demo::DEMO_RESOURCE_GROUP.into(),
            tenant_id: tenant.id.clone(),
            principal_id: crypto::random_hex(&mut rng, 16),
            client_id: crypto::random_hex(&mut rng, 16),
        };
        world.identities.insert(id, identity);
    }
    store.commit(&snapshot, &world, Vec::new()).await.expect("store the identities");
    store.close().await;
}

/// Appends `count` audit entries through Keyblade's store, sealed under the server's master key.
async fn add_audit_entries(server: &Server, count: usize) {
    let store = Store::open(&server.database_url()).await.expect("the server's database");
    let key = std::fs::read_to_string(server.data_dir().join("master.key")).expect("the master key file");
    let key = base64::engine::general_purpose::STANDARD.decode(key.trim()).expect("base64");
    store.seal_audit_with(&MasterKey::from_slice(&key).expect("32 bytes")).await.expect("sealing");
    const BATCH: usize = 20_000;
    for start in (0..count).step_by(BATCH) {
        let records = (start..(start + BATCH).min(count))
            .map(|i| AuditRecord {
                at: Timestamp(1_800_000_000 + i as i64),
                actor: "bench".into(),
                source: "127.0.0.1".into(),
                action: AuditAction::DevicePasswordDisclosure,
                subject: format!("orders/bench-{}", i % 100),
                failure: None,
            })
            .collect();
        store.append(records).await.expect("appended");
    }
    store.close().await;
}
