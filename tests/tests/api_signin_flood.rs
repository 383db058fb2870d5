//! Sign-in cannot exhaust the server: 64 clients on 127.0.0.1 guess passwords at once (a bounded
//! number of guesses each) while a signed-in user asks for the Device password, which must keep
//! answering. Password hashing runs on one thread of its own behind a short queue; guesses beyond
//! it are refused at once (429), and guesses sent together are throttled before any is checked.

use std::time::{Duration, Instant};

use keyblade_tests::{
    Api, TestServer,
    scenario::{DEMO_KEY, DEMO_VAULT, Demo, system_assigned},
};
use serde_json::json;

/// The password hashing thread and its queues are one per process: two floods in one test
/// binary at once would crowd each other's sign-ins, so these tests take turns.
static ONE_FLOOD_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const GUESSERS: usize = 64;
const GUESSES_EACH: usize = 5;
const PASSWORD_REQUESTS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_password_keeps_answering_during_a_flood_of_bad_sign_ins() {
    let _turn = ONE_FLOOD_AT_A_TIME.lock().await;
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    demo.save_cmk(&api, DEMO_VAULT, DEMO_KEY, &demo.version, system_assigned()).await.ok();

    let url = server.url("/api/session");
    let guessers: Vec<_> = (0..GUESSERS)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut statuses = Vec::new();
                for g in 0..GUESSES_EACH {
                    // Unknown names and the real one alike.
                    let username = if i % 2 == 0 { "admin".to_owned() } else { format!("nobody-{i}") };
                    let body = json!({ "username": username, "password": format!("guess-{i}-{g}") });
                    let reply = http.post(&url).json(&body).send().await.expect("an answer");
                    statuses.push(reply.status().as_u16());
                }
                statuses
            })
        })
        .collect();

    let mut latencies = Vec::with_capacity(PASSWORD_REQUESTS);
    for _ in 0..PASSWORD_REQUESTS {
        let started = Instant::now();
        let password = demo.device_password(&api).await.ok();
        latencies.push(started.elapsed());
        assert!(password["password"].is_string());
    }
    let mut statuses = Vec::new();
    for guesser in guessers {
        statuses.extend(guesser.await.expect("a guesser"));
    }
    latencies.sort();
    let p50 = latencies[latencies.len() / 2];
    let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1];
    let refused = statuses.iter().filter(|s| **s == 429).count();
    println!(
        "Device password during {} bad sign-ins: p50 {p50:?}, p99 {p99:?}; {refused} guesses refused with 429",
        statuses.len()
    );
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "a guess got through: {statuses:?}");
    assert!(refused > 0, "guesses sent at once are throttled");
    assert!(p99 < Duration::from_secs(2), "Device password p99 {p99:?} under a sign-in flood");
}

/// A client of its own (cookies kept) from `source`.
fn client_from(source: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .local_address(std::net::IpAddr::from(source))
        .build()
        .expect("an HTTP client")
}

/// Element's JSON-RPC with HTTP Basic.
async fn element_call(client: &reqwest::Client, base: &str, user: &str, password: &str) -> u16 {
    use base64::Engine;
    let credential = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let body = r#"{"method": "GetSoftwareEncryptionAtRestInfo", "params": {}, "id": 1}"#;
    let reply = client
        .post(format!("{base}/json-rpc/12.3"))
        .header("Authorization", format!("Basic {credential}"))
        .body(body)
        .send()
        .await
        .expect("an answer");
    reply.status().as_u16()
}

/// Key Protect's token endpoint with an API key.
async fn token_exchange(client: &reqwest::Client, base: &str, apikey: &str) -> u16 {
    let form = [("grant_type", "urn:ibm:params:oauth:grant-type:apikey"), ("apikey", apikey)];
    let reply = client.post(format!("{base}/identity/token")).form(&form).send().await.expect("an answer");
    reply.status().as_u16()
}

async fn sign_in(client: &reqwest::Client, server: &TestServer, password: &str) -> u16 {
    let body = json!({ "username": "admin", "password": password });
    let reply = client.post(server.url("/api/session")).json(&body).send().await.expect("an answer");
    reply.status().as_u16()
}

/// Counts the audit trail's failed sign-ins.
async fn refused_sign_ins_recorded(api: &Api) -> usize {
    let page = api.get("/audit?action=session.sign_in&limit=200").await.ok();
    let entries = page["entries"].as_array().cloned().unwrap_or_default();
    entries.iter().filter(|e| !e["failure"].is_null()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_wrong_passwords_locks_out_nobody_but_the_flooder() {
    let _turn = ONE_FLOOD_AT_A_TIME.lock().await;
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let password = backend::LOCAL_ADMIN_PASSWORD;
    // The owner's browser signed in from the flooder's address before (it holds its device
    // cookie); a colleague's client comes from another address and never signed in.
    let browser = client_from([127, 0, 0, 1]);
    assert_eq!(sign_in(&browser, &server, password).await, 200);
    let colleague = client_from([127, 0, 0, 2]);
    // An Element script and a Key Protect script on the flooder's address, which used their
    // credentials before.
    let script = client_from([127, 0, 0, 1]);
    let base = server.url("");
    assert_eq!(element_call(&script, &base, "admin", password).await, 200);
    let created = api.post("/api-keys", &json!({ "name": "flood survivor" })).await.ok();
    let apikey = created["secret"].as_str().expect("a secret").to_owned();

    let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flooders: Vec<_> = (0..16)
        .map(|i| {
            let (url, base, flooding) = (server.url("/api/session"), server.url(""), flooding.clone());
            tokio::spawn(async move {
                let http = client_from([127, 0, 0, 1]);
                let mut sent = 0usize;
                while flooding.load(std::sync::atomic::Ordering::SeqCst) {
                    let username = if sent.is_multiple_of(2) {
                        "admin".to_owned()
                    } else {
                        format!("nobody-{i}-{sent}")
                    };
                    let guess = format!("guess-{i}-{sent}");
                    // Every credential surface: the portal, Element, the token endpoint.
                    let answered = match sent % 3 {
                        0 => {
                            let body = json!({ "username": username, "password": guess });
                            http.post(&url).json(&body).send().await.is_ok()
                        }
                        1 => element_call(&http, &base, &username, &guess).await != 0,
                        _ => token_exchange(&http, &base, &guess).await != 0,
                    };
                    sent += usize::from(answered);
                }
                sent
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut tries, mut succeeded) = (0, 0);
    for _ in 0..20 {
        for client in [&browser, &colleague] {
            tries += 1;
            succeeded += usize::from(sign_in(client, &server, password).await == 200);
        }
        tries += 2;
        succeeded += usize::from(token_exchange(&script, &base, &apikey).await == 200);
        succeeded += usize::from(element_call(&script, &base, "admin", password).await == 200);
    }
    flooding.store(false, std::sync::atomic::Ordering::SeqCst);
    let mut guesses = 0;
    for flooder in flooders {
        guesses += flooder.await.expect("a flooder");
    }
    let share = succeeded as f64 / tries as f64;
    println!("{succeeded} of {tries} correct sign-ins succeeded during {guesses} wrong ones");
    assert!(share >= 0.95, "only {:.0} % of correct sign-ins succeeded during the flood", share * 100.0);
    assert_eq!(sign_in(&colleague, &server, password).await, 200, "right after the flood");
    assert_eq!(sign_in(&client_from([127, 0, 0, 3]), &server, password).await, 200, "a new client");
    let recorded = refused_sign_ins_recorded(&api).await;
    assert!(guesses > 100, "the flood was a flood: {guesses} guesses");
    assert!(recorded <= 4, "{recorded} audit rows for {guesses} refused guesses: repeats are aggregated");
}
