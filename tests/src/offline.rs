//! Offline mode of the end-to-end tests: the built portal served by a plain static file server
//! (no `/api` at all), running the offline demo in the browser.
//!
//! Tests arrange and check state with the same [`crate::Api`] calls in both modes. Offline,
//! those calls go to a shadow server whose world mirrors the browser's: the browser's world is
//! copied into the server's database before each request and the server's world back into the
//! browser after it. Every step a test takes *in the browser* runs on the in-browser engine.

use std::{
    net::TcpStream,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use backend::Store;
use fantoccini::Client;
use serde_json::{Value, json};
use shared::model::World;

use crate::TestServer;

/// The browser storage entry of the offline demo (frontend/src/api/offline.rs): world, seed,
/// master key and clock offset, as JSON.
const DEMO_ENTRY: &str = "keyblade.demo";

/// `python3 -m http.server` over a directory: a static file server that knows nothing of the
/// portal (no SPA fallback, no `/api`). Stopped when dropped.
pub struct StaticSite {
    child: Child,
    port: u16,
}

impl StaticSite {
    pub fn serve(dir: &Path) -> Self {
        let port = crate::browser::free_port();
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "-d"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts a static file server (install python3)");
        wait_for_port(port);
        Self { child, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the static file server did not start on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Keeps a server's world and a browser's offline demo world the same (see the module docs).
pub struct Mirror {
    browser: Client,
    store: Store,
    /// The world last given to the browser: the browser's world is pulled only when it differs
    /// (so a step the server's operations runner committed meanwhile is not reverted).
    pushed: std::sync::Mutex<Option<String>>,
}

impl Mirror {
    /// Gives the browser (currently on a page of `site`) the server's world and master key, so
    /// the offline demo starts from the server's seeded world instead of seeding its own.
    pub async fn install(browser: &Client, site: &StaticSite, server: &TestServer) -> Mirror {
        // Any page of the site's origin gives access to its storage; a missing file does not
        // start the portal, which would begin seeding on its own.
        browser.goto(&site.url("/__no_such_page__")).await.expect("open the static site");
        let store = Store::open(&format!("sqlite://{}", server.data_dir().join("keyblade.db").display()))
            .await
            .expect("open the server's database");
        let master =
            std::fs::read_to_string(server.data_dir().join("master.key")).expect("the server's master key");
        // What the demo records joins the server's trail as the server would write it: sealed.
        let key = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, master.trim())
            .expect("a base64 master key");
        let key = shared::crypto::MasterKey::from_slice(&key).expect("a 32-byte master key");
        store.seal_audit_with(&key).await.expect("the trail's head sealed");
        let mirror = Mirror { browser: browser.clone(), store, pushed: Default::default() };
        let world = mirror.server_world().await;
        let demo = json!({"world": world, "seed": world, "master": master.trim(), "clock_offset": 0});
        mirror.set_demo(&demo).await;
        *mirror.pushed.lock().unwrap_or_else(|p| p.into_inner()) = Some(world);
        mirror
    }

    /// Browser -> server, before an API request.
    pub async fn pull(&self) {
        let Some(text) = browser_world(&self.browser).await else { return };
        if self.pushed.lock().unwrap_or_else(|p| p.into_inner()).as_deref() == Some(text.as_str()) {
            return;
        }
        let world: World = serde_json::from_str(&text).expect("the browser's world");
        // The shadow server's runner may commit meanwhile (an operation step): then read again.
        for _ in 0..10 {
            let snapshot = self.store.load_with_audit().await.expect("load the server's world");
            // What the demo recorded since the last push joins the server's audit trail.
            let recorded = world.audit.iter().skip(snapshot.world.audit.len()).map(record_of).collect();
            match self.store.commit(&snapshot, &world, recorded).await {
                Ok(_) => return,
                Err(backend::StoreError::Conflict) => continue,
                Err(e) => panic!("store the browser's world: {e}"),
            }
        }
        panic!("the browser's world could not be stored: the server kept changing");
    }

    /// Server -> browser, after an API request.
    pub async fn push(&self) {
        let world = self.server_world().await;
        let mut demo = stored_demo(&self.browser).await.expect("the browser has a demo");
        demo["world"] = json!(world);
        self.set_demo(&demo).await;
        *self.pushed.lock().unwrap_or_else(|p| p.into_inner()) = Some(world);
    }

    async fn server_world(&self) -> String {
        let snapshot = self.store.load_with_audit().await.expect("load the server's world");
        serde_json::to_string(&snapshot.world).expect("a world as JSON")
    }

    async fn set_demo(&self, demo: &Value) {
        let text = demo.to_string();
        self.browser
            .execute(
                "localStorage.setItem(arguments[0], arguments[1]);",
                vec![json!(DEMO_ENTRY), json!(text)],
            )
            .await
            .expect("write the browser's storage");
    }
}

/// The offline demo as the browser stores it, if it has one.
async fn stored_demo(browser: &Client) -> Option<Value> {
    let value = browser
        .execute("return localStorage.getItem(arguments[0]);", vec![json!(DEMO_ENTRY)])
        .await
        .expect("read the browser's storage");
    match value {
        Value::String(text) => serde_json::from_str(&text).ok(),
        _ => None,
    }
}

/// The offline demo's world as the browser keeps it (JSON), if it has one.
pub async fn browser_world(browser: &Client) -> Option<String> {
    stored_demo(browser).await?.get("world")?.as_str().map(str::to_owned)
}

/// An audit entry recorded by the demo, to be chained again onto the server's trail.
fn record_of(entry: &shared::audit::AuditEntry) -> shared::audit::AuditRecord {
    let entry = entry.clone();
    shared::audit::AuditRecord {
        at: entry.at,
        actor: entry.actor,
        source: entry.source,
        action: entry.action,
        subject: entry.subject,
        failure: entry.failure,
    }
}
