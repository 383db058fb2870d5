//! The `keyblade` binary as the crash and replica tests run it: a real process on a free port,
//! signed in over HTTP, killed with SIGKILL when the test says so.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "crash-test-admin";

/// Settings a server takes from its environment besides the data directory.
#[derive(Clone, Default)]
pub struct Settings {
    /// `KEYBLADE_DATABASE_URL`; the SQLite file in the data directory when unset.
    pub database_url: Option<String>,
    /// `KEYBLADE_MASTER_KEY`; `master.key` in the data directory when unset.
    pub master_key: Option<String>,
    /// `--test-clock`.
    pub test_clock: bool,
    /// Further environment variables.
    pub environment: Vec<(String, String)>,
}

pub struct Keyblade {
    child: Child,
    pub base: String,
    pub client: Client,
    settings: Settings,
}

impl Keyblade {
    pub async fn start(data_dir: &Path) -> Keyblade {
        Keyblade::start_with(data_dir, Settings::default()).await
    }

    /// A server with `settings`, signed in.
    pub async fn start_with(data_dir: &Path, settings: Settings) -> Keyblade {
        let client = Client::builder().cookie_store(true).build().expect("an HTTP client");
        let server = Keyblade::launch(data_dir, client, settings).await;
        server.sign_in().await;
        server
    }

    /// Signs in as the admin; the session cookie goes to every server the client talks to.
    pub async fn sign_in(&self) {
        let signed_in = self.post("/session", json!({"username": "admin", "password": PASSWORD})).await;
        assert_eq!(signed_in["username"], "admin");
    }

    /// The binary over `data_dir`, once it answers; `client` keeps its session cookie (sessions
    /// are stored, so one from before a crash, or from another replica, still holds).
    pub async fn launch(data_dir: &Path, client: Client, settings: Settings) -> Keyblade {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_keyblade"));
        command
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--dist")
            .arg(data_dir.join("no-portal"))
            .env("KEYBLADE_ADMIN_PASSWORD", PASSWORD)
            .env("KEYBLADE_LOG", "warn")
            .stdout(Stdio::null());
        if let Some(url) = &settings.database_url {
            command.env("KEYBLADE_DATABASE_URL", url);
        }
        if let Some(key) = &settings.master_key {
            command.env("KEYBLADE_MASTER_KEY", key);
        }
        if settings.test_clock {
            command.arg("--test-clock");
        }
        command.envs(settings.environment.iter().map(|(name, value)| (name, value)));
        let child = command.spawn().expect("the keyblade binary starts");
        let mut server = Keyblade { child, base: format!("http://127.0.0.1:{port}/api"), client, settings };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.client.get(format!("{}/health", server.base)).send().await.is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server stopped at start ({status}); its error is printed above");
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server
    }

    /// kill -9, then the binary again over the same data directory, signed in as before.
    pub async fn crash_and_restart(self, data_dir: &Path) -> Keyblade {
        let (client, settings) = (self.client.clone(), self.settings.clone());
        self.kill();
        Keyblade::launch(data_dir, client, settings).await
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.expect("an answer");
        response.json().await.expect("JSON")
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.send(reqwest::Method::POST, path, body).await;
        assert!(status.is_success(), "POST {path}: {status} {answer}");
        answer
    }

    pub async fn put(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.send(reqwest::Method::PUT, path, body).await;
        assert!(status.is_success(), "PUT {path}: {status} {answer}");
        answer
    }

    /// Any request with a JSON body; the status and the answer, whatever they are.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("an answer");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The version an entity's `ETag` names.
    pub async fn etag(&self, path: &str) -> u64 {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.expect("an answer");
        let tag = response.headers().get("etag").and_then(|v| v.to_str().ok()).expect("an ETag");
        tag.trim_matches('"').parse().expect("a numeric ETag")
    }

    /// A body-less POST made on the condition that the entity is still at `version`.
    pub async fn post_if_match(&self, path: &str, version: u64) -> StatusCode {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("X-Keyblade-Request", "crash-test")
            .header("If-Match", format!("\"{version}\""))
            .send()
            .await
            .expect("an answer");
        response.status()
    }

    /// Device password: a body-less POST, marked as the portal marks it.
    pub async fn device_password(&self, order: &str) -> String {
        let response = self
            .client
            .post(format!("{}/orders/{order}/device-password", self.base))
            .header("X-Keyblade-Request", "crash-test")
            .send()
            .await
            .expect("an answer");
        assert!(response.status().is_success(), "device password of {order}: {}", response.status());
        let answer: Value = response.json().await.expect("JSON");
        answer["password"].as_str().expect("a device password").to_owned()
    }

    /// kill -9: no shutdown, no flush, no goodbye.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("the process is gone");
    }
}

impl Drop for Keyblade {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
