//! Writes cost what they change: the median latency of one write (create a user-assigned
//! identity) against a server holding the seeded demo (about ten entities), and against the
//! same server once 5,000 more entities are stored.

use std::time::Instant;

use keyblade_server::Store;
use serde_json::json;
use shared::{
    crypto,
    model::{Tenant, UserIdentity},
};

use crate::{
    report::{Section, Stats, ms, ratio},
    server::Server,
};

const STORED: usize = 5_000;
const WARM_UP: usize = 20;
const SAMPLES: usize = 200;

pub async fn measure(server: &Server) -> Section {
    let mut section = Section::new(
        "Write latency against stored entities",
        &format!(
            "One write (POST /api/identities) at a time, {SAMPLES} samples after {WARM_UP} warm-ups, against the release server with the seeded demo, then again after {STORED} identities were added to its database. A write serialises and stores only the entities it changed, so its cost should not grow with what is stored."
        ),
        &["stored entities", "create identity p50 / p99", "ratio to the seeded demo"],
    );
    let client = server.client().await;
    let small = write_latencies(server, &client).await;
    add_identities(server, STORED).await;
    let large = write_latencies(server, &client).await;
    let (small, large) = (Stats::of(&small), Stats::of(&large));
    section.row(vec![
        "seeded demo (~10)".into(),
        format!("{} / {}", ms(small.median), ms(small.p99)),
        "1.00x".into(),
    ]);
    section.row(vec![
        format!("+{STORED}"),
        format!("{} / {}", ms(large.median), ms(large.p99)),
        ratio(large.median, small.median),
    ]);
    section.figure("write_p50_ms_small", small.median);
    section.figure("write_p50_ms_large", large.median);
    section.verdict(
        format!("create identity with {STORED} stored entities within 2x of the seeded demo (median)"),
        format!("{} vs {}: {}", ms(large.median), ms(small.median), ratio(large.median, small.median)),
        large.median <= 2.0 * small.median,
    );
    section
}

async fn write_latencies(server: &Server, client: &reqwest::Client) -> Vec<f64> {
    let url = server.url("/api/identities");
    let mut latencies = Vec::with_capacity(SAMPLES);
    for i in 0..WARM_UP + SAMPLES {
        let body =
            json!({ "name": format!("bench-{i}"), "resource_group": shared::demo::DEMO_RESOURCE_GROUP });
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

/// Adds `count` identities straight to the running server's database (the server sees the new
/// revision and reloads once, during the warm-up).
async fn add_identities(server: &Server, count: usize) {
    let store = Store::open(&server.database_url()).await.expect("the server's database");
    let snapshot = store.load().await.expect("the stored world");
    let mut world = (*snapshot.world).clone();
    let tenant: Tenant = world.tenants.values().next().cloned().expect("a tenant");
    let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
    for i in 0..count {
        let id = crypto::random_hex(&mut rng, 16);
        let identity = UserIdentity {
            id: id.clone(),
            name: format!("stored-{i}"),
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
