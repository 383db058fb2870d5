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

const GUESSERS: usize = 64;
const GUESSES_EACH: usize = 5;
const PASSWORD_REQUESTS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_password_keeps_answering_during_a_flood_of_bad_sign_ins() {
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
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let password = backend::LOCAL_ADMIN_PASSWORD;
    // The owner's browser signed in from the flooder's address before (it holds its device
    // cookie); a colleague's client comes from another address and never signed in.
    let browser = client_from([127, 0, 0, 1]);
    assert_eq!(sign_in(&browser, &server, password).await, 200);
    let colleague = client_from([127, 0, 0, 2]);

    let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flooders: Vec<_> = (0..16)
        .map(|i| {
            let (url, flooding) = (server.url("/api/session"), flooding.clone());
            tokio::spawn(async move {
                let http = client_from([127, 0, 0, 1]);
                let mut sent = 0usize;
                while flooding.load(std::sync::atomic::Ordering::SeqCst) {
                    let username = if sent.is_multiple_of(2) {
                        "admin".to_owned()
                    } else {
                        format!("nobody-{i}-{sent}")
                    };
                    let body = json!({ "username": username, "password": format!("guess-{i}-{sent}") });
                    if http.post(&url).json(&body).send().await.is_ok() {
                        sent += 1;
                    }
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
