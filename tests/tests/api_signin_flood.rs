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
