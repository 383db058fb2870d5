//! A short load test: 32 clients at once, most of them reading the Device password (an RSA
//! unwrap and an audit entry each), the rest creating identities (a write each). Nothing fails,
//! no audit entry is lost, and the chain is intact afterwards. It asserts counts, never a time.

use keyblade_tests::{Api, TestServer, scenario::Demo};
use serde_json::json;

const UNWRAPPERS: usize = 24;
const WRITERS: usize = 8;
const EACH: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_unwraps_and_writes_lose_nothing() {
    let server = TestServer::start_api().await;
    let api = std::sync::Arc::new(Api::signed_in(&server).await);
    let demo = std::sync::Arc::new(Demo::load(&api).await);
    let before = api.get("/audit?limit=1").await.ok()["chain"]["entries"].as_u64().expect("a count");

    let mut clients = Vec::new();
    for i in 0..UNWRAPPERS + WRITERS {
        let (api, demo) = (api.clone(), demo.clone());
        clients.push(tokio::spawn(async move {
            for n in 0..EACH {
                if i < UNWRAPPERS {
                    let answer = demo.device_password(&api).await.ok();
                    assert!(answer["password"].is_string(), "{answer}");
                } else {
                    let body = json!({ "name": format!("load-{i}-{n}"), "resource_group": "databox-rg" });
                    api.post("/identities", &body).await.ok();
                }
            }
        }));
    }
    for client in clients {
        client.await.expect("a client finished without a failure");
    }

    let page = api.get("/audit?limit=1").await.ok();
    let chain = &page["chain"];
    let added = chain["entries"].as_u64().expect("a count") - before;
    assert_eq!(added, ((UNWRAPPERS + WRITERS) * EACH) as u64, "one entry per request: {chain}");
    assert_eq!(chain["intact"], true, "{chain}");
    assert_eq!(chain["sealed"], chain["entries"], "the sealed head is the last entry: {chain}");
    let (mut disclosures, mut before) = (0, String::new());
    loop {
        let page = api.get(&format!("/audit?action=order.device_password&limit=200{before}")).await.ok();
        disclosures += page["entries"].as_array().map_or(0, Vec::len);
        match page["next_before"].as_u64() {
            Some(next) => before = format!("&before={next}"),
            None => break,
        }
    }
    assert_eq!(disclosures, UNWRAPPERS * EACH, "every Device password is in the audit trail");
    let identities = api.get("/identities").await.ok();
    let created = identities
        .as_array()
        .expect("a list")
        .iter()
        .filter(|i| i["name"].as_str().is_some_and(|n| n.starts_with("load-")));
    assert_eq!(created.count(), WRITERS * EACH, "every write is there");
}
