//! Two Keyblade replicas on one PostgreSQL database, as behind a load balancer: writes through
//! either are seen by both, a race on one entity has one winner and one 409, sessions and the
//! audit trail are shared, and a rewrap whose runner is killed with SIGKILL is finished by the
//! other replica, exactly once, with every passkey still opening. API keys are shared too. A
//! replica killed while both serve unwraps fails nothing on the other, and loses no audit entry.
//!
//! Needs a PostgreSQL server (`KEYBLADE_TEST_POSTGRES`); `cargo xtask test` starts one.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Keyblade, Settings};

const ORDERS_PER_REPLICA: usize = 20;

/// A new database on the test PostgreSQL server, which the first replica creates.
fn new_database() -> String {
    let server = std::env::var("KEYBLADE_TEST_POSTGRES").expect(
        "KEYBLADE_TEST_POSTGRES must name a PostgreSQL server (postgres://user@host:port); \
         `cargo xtask test` starts one",
    );
    let suffix: String = rand_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{server}/replicas_{suffix}")
}

/// Creates an order through `server` and puts it on the demo's customer-managed key; returns
/// its id and device password once every write was acknowledged.
async fn customer_managed_order(
    server: &Keyblade,
    name: &str,
    subscription: &Value,
    version: &Value,
) -> (String, String) {
    let body = json!({"name": name, "subscription_id": subscription, "resource_group": "databox-rg"});
    let order = server.post("/orders", body).await;
    let id = order["id"].as_str().expect("an order id").to_owned();
    let principal = order["system_identity"]["principal_id"].clone();
    let policy = json!({"principal_id": principal, "permissions": ["Get", "WrapKey", "UnwrapKey"]});
    server.put("/vaults/contoso-kv/access-policies", policy).await;
    let settings = json!({"type": "CustomerManaged", "vault": "contoso-kv", "key": "databox-key",
        "version": version, "identity": {"type": "SystemAssigned"}});
    server.put(&format!("/orders/{id}/encryption"), json!({"settings": settings})).await;
    let password = server.device_password(&id).await;
    (id, password)
}

async fn orders_through(
    server: &Keyblade,
    prefix: &str,
    subscription: &Value,
    version: &Value,
) -> Vec<(String, String)> {
    let mut made = Vec::new();
    for i in 0..ORDERS_PER_REPLICA {
        made.push(customer_managed_order(server, &format!("{prefix}-{i:02}"), subscription, version).await);
    }
    made
}

#[tokio::test]
async fn two_replicas_share_one_database_and_finish_a_rewrap_once_when_one_is_killed() {
    let database_url = new_database();
    let master_key = base64::engine::general_purpose::STANDARD.encode(rand_bytes());
    let settings = Settings {
        database_url: Some(database_url),
        master_key: Some(master_key),
        test_clock: true,
        ..Settings::default()
    };
    let (dir_a, dir_b) =
        (tempfile::tempdir().expect("a directory"), tempfile::tempdir().expect("a directory"));
    // Both start at once over a database that does not exist yet: it is created, migrated,
    // checked against the master key and seeded once, and neither start fails.
    let client = reqwest::Client::builder().cookie_store(true).build().expect("an HTTP client");
    let (a, b) = tokio::join!(
        Keyblade::launch(dir_a.path(), client.clone(), settings.clone()),
        Keyblade::launch(dir_b.path(), client, settings.clone()),
    );
    // Cookies go to the host whatever the port: B gets the session made on A.
    a.sign_in().await;
    let orders = b.get("/orders").await;
    assert_eq!(orders.as_array().map(Vec::len), Some(1), "the demo seeded once: {orders}");
    assert_eq!(b.get("/session").await["username"], "admin", "a session made on A holds on B");

    // An API key made on A trades for a token on B, and that token works on A.
    let secret = a.post("/api-keys", json!({"name": "replicas"})).await["secret"]
        .as_str()
        .expect("the key's secret")
        .to_owned();
    // A client of its own, as an SDK would be: no session cookie.
    let sdk = reqwest::Client::new();
    let root = |server: &Keyblade| server.base.trim_end_matches("/api").to_owned();
    let token = sdk
        .post(format!("{}/identity/token", root(&b)))
        .form(&[("grant_type", "urn:ibm:params:oauth:grant-type:apikey"), ("apikey", secret.as_str())])
        .send()
        .await
        .expect("a token reply");
    let status = token.status();
    let token: Value = token.json().await.expect("a JSON answer");
    assert_eq!(status, StatusCode::OK, "B knows A's API key: {token}");
    let keys = sdk
        .get(format!("{}/api/v2/keys", root(&a)))
        .bearer_auth(token["access_token"].as_str().expect("an access token"))
        .header("Bluemix-Instance", "contoso-kv")
        .send()
        .await
        .expect("a key list");
    assert_eq!(keys.status(), StatusCode::OK, "A accepts B's token");

    // Mixed writes through both at once.
    let subscription = a.get("/orders").await[0]["subscription_id"].clone();
    let version = b.get("/vaults/contoso-kv/keys/databox-key").await["versions"][0]["id"].clone();
    let (through_a, through_b) = tokio::join!(
        orders_through(&a, "Replica-A", &subscription, &version),
        orders_through(&b, "Replica-B", &subscription, &version),
    );
    let acknowledged: Vec<(String, String)> = through_a.into_iter().chain(through_b).collect();
    for (order, password) in &acknowledged {
        assert_eq!(&a.device_password(order).await, password, "A sees {order} as written");
        assert_eq!(&b.device_password(order).await, password, "B sees {order} as written");
    }

    // One entity changed through both from the same read: one wins, the other is told.
    let (order, _) = &acknowledged[0];
    let seen = a.etag(&format!("/orders/{order}")).await;
    let path = format!("/orders/{order}/encryption/revert");
    let (first, second) = tokio::join!(a.post_if_match(&path, seen), b.post_if_match(&path, seen));
    let statuses = [first, second];
    assert!(statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT), "{statuses:?}");
    let settings_now = b.get(&format!("/orders/{order}/encryption")).await;
    assert_eq!(settings_now["type"], "MicrosoftManaged", "the winning write is kept: {settings_now}");
    let kept: Vec<&(String, String)> = acknowledged.iter().skip(1).collect();

    // A rotation's rewrap, with its runner killed partway.
    let rotation = a.post("/vaults/contoso-kv/keys/databox-key/rotate", json!({})).await;
    let handle = rotation["rewrap_operation"].as_str().expect("a rewrap operation").to_owned();
    let new_version = rotation["version"].as_str().expect("the new version").to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let operation = b.get(&format!("/operations/{handle}")).await;
        assert_eq!(operation["state"], "Running", "the kill must land inside the rewrap: {operation}");
        if operation["done"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the rewrap made no progress: {operation}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    a.kill();
    // A's claim on the operation lapses after 30 s of engine time; B's clock moves past it.
    b.post("/clock", json!({"advance_seconds": 31})).await;

    let deadline = Instant::now() + Duration::from_secs(180);
    let operation = loop {
        let operation = b.get(&format!("/operations/{handle}")).await;
        if operation["state"] != "Running" {
            break operation;
        }
        assert!(Instant::now() < deadline, "B never finished the rewrap: {operation}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(operation["state"], "Succeeded", "{operation}");
    let steps = operation["steps"].as_array().expect("steps");
    assert!(steps.iter().all(|s| s["state"] == "Done"), "every step done: {operation}");
    let rewraps = b.get("/operations").await;
    let rewraps = rewraps
        .as_array()
        .expect("operations")
        .iter()
        .filter(|op| op["kind"]["type"] == "rewrap_registrations")
        .count();
    assert_eq!(rewraps, 1, "the rewrap was started once");

    // A back on its feet: everything acknowledged is there, through both, every passkey opens.
    let a = Keyblade::launch(dir_a.path(), b.client.clone(), settings).await;
    for (order, password) in kept {
        for replica in [&a, &b] {
            let settings = replica.get(&format!("/orders/{order}/encryption")).await;
            assert_eq!(settings["version"], new_version.as_str(), "order {order} is on the new version");
            assert_eq!(&replica.device_password(order).await, password, "order {order} keeps its passkey");
        }
    }
    let audit = a.get("/audit").await;
    assert_eq!(
        audit["chain"]["intact"], true,
        "both replicas appended to one unbroken trail: {}",
        audit["chain"]
    );
}

/// Unwrappers per replica.
const UNWRAPPERS: usize = 16;

/// What one replica's unwrappers saw: answers, and failures with the first one's reason.
#[derive(Default)]
struct Tally {
    answered: AtomicUsize,
    failed: AtomicUsize,
    first_failure: std::sync::Mutex<Option<String>>,
}

/// Asks `server` for the order's device password until `stop`, checking every answer.
async fn unwrap_until(
    server: String,
    client: reqwest::Client,
    order: String,
    password: String,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let reply = client
            .post(format!("{server}/orders/{order}/device-password"))
            .header("X-Keyblade-Request", "load")
            .send()
            .await;
        let failure = match reply {
            Ok(reply) if reply.status().is_success() => match reply.json::<Value>().await {
                Ok(answer) if answer["password"] == password.as_str() => None,
                Ok(answer) => Some(format!("a wrong answer: {answer}")),
                Err(e) => Some(e.to_string()),
            },
            Ok(reply) => Some(format!("{}: {}", reply.status(), reply.text().await.unwrap_or_default())),
            Err(e) => Some(e.to_string()),
        };
        match failure {
            None => tally.answered.fetch_add(1, Ordering::Relaxed),
            Some(failure) => {
                tally.first_failure.lock().expect("the tally").get_or_insert(failure);
                tally.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// Waits until `tally` counts `count` answers, or fails after a generous deadline.
async fn until_answered(tally: &Tally, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while tally.answered.load(Ordering::Relaxed) < count {
        assert!(Instant::now() < deadline, "only {} answers", tally.answered.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_replica_killed_under_load_fails_no_request_on_the_other_and_loses_no_audit_entry() {
    let settings = Settings {
        database_url: Some(new_database()),
        master_key: Some(base64::engine::general_purpose::STANDARD.encode(rand_bytes())),
        ..Settings::default()
    };
    let (dir_a, dir_b) =
        (tempfile::tempdir().expect("a directory"), tempfile::tempdir().expect("a directory"));
    let client = reqwest::Client::builder().cookie_store(true).build().expect("an HTTP client");
    let a = Keyblade::launch(dir_a.path(), client.clone(), settings.clone()).await;
    let b = Keyblade::launch(dir_b.path(), client.clone(), settings).await;
    a.sign_in().await;
    let subscription = a.get("/orders").await[0]["subscription_id"].clone();
    let version = a.get("/vaults/contoso-kv/keys/databox-key").await["versions"][0]["id"].clone();
    let (order, password) = customer_managed_order(&a, "Killed-Under-Load", &subscription, &version).await;

    let stop = Arc::new(AtomicBool::new(false));
    let (on_a, on_b) = (Arc::new(Tally::default()), Arc::new(Tally::default()));
    let mut unwrappers = Vec::new();
    for (server, tally) in [(&a, &on_a), (&b, &on_b)] {
        for _ in 0..UNWRAPPERS {
            let task = unwrap_until(
                server.base.clone(),
                client.clone(),
                order.clone(),
                password.clone(),
                tally.clone(),
                stop.clone(),
            );
            unwrappers.push(tokio::spawn(task));
        }
    }
    until_answered(&on_a, 200).await;
    until_answered(&on_b, 200).await;
    a.kill();
    let at_kill = on_b.answered.load(Ordering::Relaxed);
    until_answered(&on_b, at_kill + 500).await;
    stop.store(true, Ordering::Relaxed);
    for unwrapper in unwrappers {
        unwrapper.await.expect("an unwrapper");
    }

    let failed_on_b = on_b.failed.load(Ordering::Relaxed);
    let first = on_b.first_failure.lock().expect("the tally").clone();
    assert_eq!(failed_on_b, 0, "the surviving replica failed requests: {first:?}");
    assert!(on_a.failed.load(Ordering::Relaxed) > 0, "the killed replica's clients noticed");

    // Every answered request was recorded before it was answered, on either replica.
    let answered = on_a.answered.load(Ordering::Relaxed) + on_b.answered.load(Ordering::Relaxed);
    let (mut recorded, mut before) = (0, None::<u64>);
    loop {
        let cursor = before.map(|b| format!("&before={b}")).unwrap_or_default();
        let page =
            b.get(&format!("/audit?action=order.device_password&subject={order}&limit=200{cursor}")).await;
        recorded +=
            page["entries"].as_array().expect("entries").iter().filter(|e| e["failure"].is_null()).count();
        match page["next_before"].as_u64() {
            Some(next) => before = Some(next),
            None => {
                assert_eq!(page["chain"]["intact"], true, "one unbroken trail: {}", page["chain"]);
                break;
            }
        }
    }
    // The order's setup disclosed its password once more; the killed replica may have recorded
    // requests whose answer it never sent.
    assert!(
        recorded > answered,
        "{recorded} entries recorded for {answered} answered disclosures and the setup's one"
    );
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("random bytes");
    bytes
}
