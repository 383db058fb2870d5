use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;

/// How long a test waits for something to appear before failing.
const PATIENCE: Duration = Duration::from_secs(20);

/// Headless Chromium under its own ChromeDriver, closed when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    pub async fn open() -> Self {
        let chromedriver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let profile = tempfile::tempdir().expect("a browser profile directory");
        let client = connect(port, &profile).await;
        Self { client, driver, _profile: profile }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigation");
    }

    /// Waits for an element whose own visible text is exactly `text`.
    pub async fn find_text(&self, text: &str) -> Element {
        self.wait_xpath(&format!("//*[normalize-space(text())={}]", xpath_literal(text))).await
    }

    /// Waits for an element whose visible text contains `text`.
    pub async fn find_text_containing(&self, text: &str) -> Element {
        self.wait_xpath(&format!("//*[contains(normalize-space(.),{})][not(*[contains(normalize-space(.),{0})])]", xpath_literal(text)))
            .await
    }

    /// Waits for an element with the given ARIA role whose text contains `text`.
    pub async fn find_role(&self, role: &str, text: &str) -> Element {
        self.wait_xpath(&format!(
            "//*[@role={}][contains(normalize-space(.),{})]",
            xpath_literal(role),
            xpath_literal(text)
        ))
        .await
    }

    async fn wait_xpath(&self, xpath: &str) -> Element {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(element) = self.client.find(Locator::XPath(xpath)).await {
                return element;
            }
            if Instant::now() > deadline {
                let body = self.client.source().await.unwrap_or_default();
                panic!("nothing matched {xpath} within {PATIENCE:?}; page was:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG screenshot of the current page.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("write screenshot");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

async fn connect(port: u16, profile: &TempDir) -> Client {
    let mut args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--window-size=1280,800".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    if let Some(binary) = std::env::var_os("CHROMIUM") {
        args.push(format!("--binary={}", PathBuf::from(binary).display()));
    }
    let capabilities = json!({ "goog:chromeOptions": { "args": args } });
    let capabilities = capabilities.as_object().cloned().expect("an object");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities.clone());
        match builder.connect(&url).await {
            Ok(client) => return client,
            Err(e) if Instant::now() > deadline => panic!("ChromeDriver did not start a session: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// A required external program: from the environment, else its Debian location. Missing is fatal.
fn tool(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.exists(),
        "{} is missing: install the Debian packages chromium and chromium-driver, or run `cargo xtask test`",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Quotes a string for XPath 1.0, which has no escape sequences.
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
