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
    _driver: DriverTree,
    _profile: TempDir,
}

/// ChromeDriver, ended with every browser process it started when dropped: also when a test
/// drops it without closing it, or fails while opening it (killing ChromeDriver alone would
/// leave the browser running).
struct DriverTree(Child);

impl Drop for DriverTree {
    fn drop(&mut self) {
        let mut tree = descendants(self.0.id());
        tree.push(self.0.id());
        let pids: Vec<String> = tree.iter().map(u32::to_string).collect();
        let _ = Command::new("kill").arg("-KILL").args(&pids).stderr(Stdio::null()).status();
        let _ = self.0.wait();
    }
}

/// The processes below `root`, from each process's parent in `/proc/<pid>/stat`.
fn descendants(root: u32) -> Vec<u32> {
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (command) state ppid ...": the command may hold spaces and parentheses.
        stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
    };
    let pids: Vec<u32> = std::fs::read_dir("/proc")
        .map(|dir| dir.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    let parents: Vec<(u32, u32)> = pids.into_iter().filter_map(|pid| Some((pid, parent_of(pid)?))).collect();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(parents.iter().filter(|(_, p)| *p == parent).map(|(pid, _)| *pid));
        next += 1;
    }
    found.split_off(1)
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
        let driver = DriverTree(driver);
        let profile = tempfile::tempdir().expect("a browser profile directory");
        let client = connect(port, &profile).await;
        Self { client, _driver: driver, _profile: profile }
    }

    pub async fn goto(&self, url: &str) {
        self.assert_no_panic().await;
        self.client.goto(url).await.expect("navigation");
    }

    /// Fails the test when the portal on the current page panicked or had something blocked by
    /// the content security policy (the portal records both on `window.__keybladeFaults`, see
    /// frontend/src/fatal.rs).
    pub async fn assert_no_panic(&self) {
        let script = "return (window.__keybladeFaults || []).slice();";
        let panics = self.client.execute(script, vec![]).await.unwrap_or_default();
        let panics = panics.as_array().cloned().unwrap_or_default();
        assert!(panics.is_empty(), "the portal panicked or broke its security policy: {panics:?}");
    }

    /// Waits for an element whose own visible text is exactly `text`.
    pub async fn find_text(&self, text: &str) -> Element {
        self.wait_xpath(&format!("//*[normalize-space(text())={}]", xpath_literal(text))).await
    }

    /// Waits for an element whose visible text contains `text`.
    pub async fn find_text_containing(&self, text: &str) -> Element {
        self.wait_xpath(&format!(
            "//*[contains(normalize-space(.),{})][not(*[contains(normalize-space(.),{0})])]",
            xpath_literal(text)
        ))
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

    /// Signs in through the sign-in page as the local admin and waits for the portal chrome.
    pub async fn sign_in(&self, server: &crate::TestServer) {
        self.sign_in_at(&server.url(""), backend::LOCAL_ADMIN_PASSWORD).await;
    }

    /// Signs in through the sign-in page of the portal at `base` as `admin`.
    pub async fn sign_in_at(&self, base: &str, password: &str) {
        self.goto(&format!("{base}/signin")).await;
        self.fill("Username", "admin").await;
        self.fill("Password", password).await;
        self.click_button("Sign in").await;
        self.find_button("Sign out").await;
    }

    /// Opens a portal path (e.g. "/vaults") and waits for the chrome.
    pub async fn open_path(&self, server: &crate::TestServer, path: &str) {
        self.goto(&server.url(path)).await;
        self.find_button("Sign out").await;
    }

    /// The form control labelled `label` (through `<label for>`), waiting for it.
    pub async fn control(&self, label: &str) -> Element {
        let lit = xpath_literal(label);
        let xpath = format!(
            "(//*[@id=(//label[normalize-space(.)={lit}]/@for)][not(ancestor::*[contains(@class,'hidden')])])[last()]"
        );
        self.wait_xpath(&xpath).await
    }

    /// Types `value` into the text field labelled `label`, replacing what was there.
    pub async fn fill(&self, label: &str, value: &str) {
        let input = self.control(label).await;
        input.clear().await.expect("clear the field");
        input.send_keys(value).await.expect("type into the field");
    }

    /// Sets a field's value through script (date inputs) and fires `input`/`change`.
    pub async fn set_value(&self, label: &str, value: &str) {
        let input = self.control(label).await;
        let arg = serde_json::to_value(&input).expect("an element reference");
        self.client
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true})); arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                vec![arg, serde_json::Value::String(value.to_string())],
            )
            .await
            .expect("set the value");
    }

    /// Picks the option whose text contains `option` in the dropdown labelled `label`
    /// (waiting until such an option exists and the dropdown is enabled).
    pub async fn select_option(&self, label: &str, option: &str) {
        let lit = xpath_literal(label);
        let opt = xpath_literal(option);
        let xpath = format!(
            "(//select[@id=(//label[normalize-space(.)={lit}]/@for)][not(@disabled)])[last()]//option[contains(normalize-space(.),{opt})]"
        );
        let element = self.wait_xpath(&xpath).await;
        element.click().await.expect("choose the option");
    }

    /// The value of the control labelled `label`.
    pub async fn value_of(&self, label: &str) -> String {
        let element = self.control(label).await;
        element.prop("value").await.ok().flatten().unwrap_or_default()
    }

    /// Waits until the control labelled `label` has the value `expected`.
    pub async fn wait_value(&self, label: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self.value_of(label).await;
            if value == expected {
                return;
            }
            if Instant::now() > deadline {
                panic!("{label} is {value:?}, not {expected:?}, after {PATIENCE:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks a radio button or checkbox by its label (only if it is not already in that state).
    pub async fn check(&self, label: &str, on: bool) {
        let element = self.control(label).await;
        let checked = element.prop("checked").await.ok().flatten().is_some_and(|v| v == "true");
        if checked != on {
            element.click().await.expect("toggle the control");
        }
    }

    /// Waits for an enabled button whose text or accessible name is exactly `label`.
    pub async fn find_button(&self, label: &str) -> Element {
        let lit = xpath_literal(label);
        self.wait_xpath(&format!(
            "(//button[normalize-space(.)={lit} or @aria-label={lit}][not(@disabled)])[last()]"
        ))
        .await
    }

    /// Clicks the enabled button whose text or accessible name is exactly `label`. When several
    /// match, the last one (the innermost open panel) wins.
    pub async fn click_button(&self, label: &str) {
        let button = self.find_button(label).await;
        if let Err(e) = button.click().await {
            // A notification covers the button: close it as a user would, then click.
            if !e.to_string().contains("click intercepted") {
                panic!("click {label}: {e}");
            }
            self.dismiss_notifications().await;
            button.click().await.unwrap_or_else(|e| panic!("click {label}: {e}"));
        }
    }

    /// Closes every notification on the page.
    pub async fn dismiss_notifications(&self) {
        let close = Locator::XPath("//button[@aria-label='Dismiss notification']");
        for button in self.client.find_all(close).await.unwrap_or_default() {
            let _ = button.click().await;
        }
    }

    /// Whether a button with that label exists and is disabled.
    pub async fn button_disabled(&self, label: &str) -> bool {
        let lit = xpath_literal(label);
        let button = self
            .wait_xpath(&format!("(//button[normalize-space(.)={lit} or @aria-label={lit}])[last()]"))
            .await;
        button.attr("disabled").await.ok().flatten().is_some()
    }

    /// Clicks the link with exactly this text.
    pub async fn click_link(&self, text: &str) {
        let lit = xpath_literal(text);
        let link = self.wait_xpath(&format!("(//a[normalize-space(.)={lit}])[1]")).await;
        link.click().await.unwrap_or_else(|e| panic!("click link {text}: {e}"));
    }

    /// Waits for a dialog (side sheet) with this accessible name.
    pub async fn find_dialog(&self, title: &str) -> Element {
        let lit = xpath_literal(title);
        self.wait_xpath(&format!("//*[@role='dialog'][@aria-labelledby=//h2[normalize-space(.)={lit}]/@id]"))
            .await
    }

    /// Waits until no dialog with this title is open.
    pub async fn wait_dialog_closed(&self, title: &str) {
        let lit = xpath_literal(title);
        self.wait_absent(&format!(
            "//*[@role='dialog'][@aria-labelledby=//h2[normalize-space(.)={lit}]/@id]"
        ))
        .await;
    }

    /// Waits until nothing matches `xpath`.
    pub async fn wait_absent(&self, xpath: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.client.find(Locator::XPath(xpath)).await.is_err() {
                return;
            }
            if Instant::now() > deadline {
                panic!("{xpath} still present after {PATIENCE:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the error panel showing `code` and returns it.
    pub async fn find_error(&self, code: &str) -> Element {
        let lit = xpath_literal(code);
        self.wait_xpath(&format!("//*[contains(@class,'error-panel')][.//code[normalize-space(.)={lit}]]"))
            .await
    }

    /// Clicks Fix in the error panel showing `code` and waits until the fix is applied.
    pub async fn fix_error(&self, code: &str) {
        let panel = self.find_error(code).await;
        let fix = panel
            .find(Locator::XPath(".//button[normalize-space(.)='Fix']"))
            .await
            .unwrap_or_else(|_| panic!("the {code} error offers no Fix"));
        fix.click().await.expect("click Fix");
        self.find_text("The fix was applied. Retry the operation.").await;
    }

    /// Waits for an element matching an arbitrary XPath.
    pub async fn find_xpath(&self, xpath: &str) -> Element {
        self.wait_xpath(xpath).await
    }

    /// Saves a PNG screenshot of the current page.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("write screenshot");
    }

    pub async fn close(self) {
        self.assert_no_panic().await;
        let _ = self.client.clone().close().await;
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

pub(crate) fn free_port() -> u16 {
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

/// Where the portal under test runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Served by the Keyblade server, signed in, every call over `/api`.
    Live,
    /// The `cargo xtask build` output on a plain static file server, as the offline demo.
    Offline,
}

/// A running server with the seeded demo, a signed-in API client and a browser on the portal
/// (signed in live; in the offline demo over the same world offline): the starting point of
/// every end-to-end test.
pub struct Portal {
    pub server: crate::TestServer,
    pub browser: Browser,
    pub api: crate::Api,
    pub demo: crate::scenario::Demo,
    pub mode: Mode,
    /// The static file server of offline mode.
    site: Option<crate::offline::StaticSite>,
}

impl Portal {
    pub async fn start() -> Self {
        Self::start_in(Mode::Live).await
    }

    pub async fn start_in(mode: Mode) -> Self {
        let server = crate::TestServer::start().await;
        let api = crate::Api::signed_in(&server).await;
        let demo = crate::scenario::Demo::load(&api).await;
        let browser = Browser::open().await;
        let (api, site) = match mode {
            Mode::Live => {
                browser.sign_in(&server).await;
                (api, None)
            }
            Mode::Offline => {
                let site = crate::offline::StaticSite::serve(&crate::server::dist());
                let mirror = crate::offline::Mirror::install(&browser.client, &site, &server).await;
                (api.mirrored(mirror), Some(site))
            }
        };
        Self { server, browser, api, demo, mode, site }
    }

    /// Opens a portal path (e.g. "/vaults") and waits for the chrome. Offline, the static file
    /// server has no SPA fallback: the portal is loaded at `/?demo` and navigates in-app.
    pub async fn open_path(&self, path: &str) {
        let Some(site) = &self.site else {
            return self.browser.open_path(&self.server, path).await;
        };
        self.browser.goto(&site.url("/?demo")).await;
        self.browser.find_button("Reset demo").await;
        self.browser.find_xpath("//nav[@aria-label='Portal menu']//a[normalize-space(.)='Encryption']").await;
        self.browser
            .client
            .execute(
                "history.pushState(null, '', arguments[0]); dispatchEvent(new PopStateEvent('popstate'));",
                vec![json!(path)],
            )
            .await
            .expect("navigate in the portal");
    }

    /// Continues as another account: live, by signing out and in as `user`; offline, where
    /// there is no sign-in, with the Accounts blade's "Act as".
    pub async fn act_as(&self, user: &str, password: &str) {
        let b = &self.browser;
        match self.mode {
            Mode::Live => {
                b.click_button("Sign out").await;
                b.fill("Username", user).await;
                b.fill("Password", password).await;
                b.click_button("Sign in").await;
                b.find_button("Sign out").await;
            }
            Mode::Offline => {
                self.open_path("/accounts").await;
                b.click_button(&format!("Act as {user}")).await;
                b.find_button("Reset demo").await;
                self.open_path("/accounts").await;
                b.find_xpath(&format!("//td[normalize-space(.)='{user} (you)']")).await;
            }
        }
    }

    /// Opens Settings > Encryption of the demo order.
    pub async fn open_encryption(&self) {
        self.open_path(&format!("/orders/{}/encryption", self.demo.order)).await;
        self.browser.find_text("Select type").await;
    }

    /// Opens the demo order's Overview.
    pub async fn open_overview(&self) {
        self.open_path(&format!("/orders/{}", self.demo.order)).await;
        self.browser.find_button("Device password").await;
    }

    /// Device password on the Overview; returns the error panel's code if it failed.
    pub async fn device_password_ok(&self) {
        self.browser.click_button("Device password").await;
        self.browser.find_text_containing("Device password:").await;
    }

    pub async fn close(self) {
        self.browser.close().await;
    }
}
