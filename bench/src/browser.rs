//! The portal in headless Chromium: cold-load time to the Encryption blade, RSA key generation
//! through the portal's own worker path against `crypto.subtle.generateKey` in the same page,
//! main-thread long tasks while keys are generated, and Create-to-usable time.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use harness::Browser;
use serde_json::{Value, json};
use shared::demo::DEMO_VAULT;

use crate::{
    report::{Section, Stats, ms, ratio},
    server::{ADMIN_PASSWORD, Server},
};

const KEYGEN_RUNS: usize = 21;
const COLD_LOADS: usize = 5;
const CREATE_RUNS: usize = 11;
const SIZES: [u32; 3] = [2048, 3072, 4096];
const WEBCRYPTO_RATIO_TARGET: f64 = 1.5;
const CREATE_TARGET_MS: f64 = 100.0;
const PATIENCE: Duration = Duration::from_secs(60);

pub async fn measure(server: &Server) -> Vec<Section> {
    let first_render = first_render(server).await;
    let browser = Browser::open().await;
    browser.sign_in_at(&server.base, ADMIN_PASSWORD).await;
    open_keys(&browser, server).await;
    let keygen = keygen(&browser).await;
    let create = create_to_usable(&browser, keygen.1).await;
    browser.close().await;
    vec![first_render, keygen.0, create]
}

/// Cold loads (a fresh browser profile each) of the Encryption blade by deep link, signed in
/// beforehand through `/api` so no portal file is cached.
async fn first_render(server: &Server) -> Section {
    let mut section = Section::new(
        "First render of the Encryption blade (cold load)",
        &format!(
            "{COLD_LOADS} cold loads by deep link, each in a fresh browser profile. \"Rendered\" is the portal's `keyblade:encryption-blade` mark (the order's settings on screen); the reference is when the last portal file finished downloading (Resource Timing)."
        ),
        &["figure", "min", "median", "max"],
    );
    let order = crate::server::demo_order(server, &server.client().await).await;
    let (mut rendered, mut downloaded, mut transferred) = (vec![], vec![], vec![]);
    for _ in 0..COLD_LOADS {
        let browser = Browser::open().await;
        browser.goto(&server.url("/api/health")).await;
        let status = browser
            .client
            .execute_async(
                "const [password, done] = arguments; fetch('/api/session', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({username: 'admin', password})}).then(r => done(r.status), e => done(String(e)))",
                vec![json!(ADMIN_PASSWORD)],
            )
            .await
            .expect("sign in through fetch");
        assert_eq!(status, json!(200), "sign-in through fetch failed");
        browser.goto(&server.url(&format!("/orders/{order}/encryption"))).await;
        wait_for_entry(&browser, "keyblade:encryption-blade", "mark", 0).await;
        let timing = poll(&browser, "const m = performance.getEntriesByName('keyblade:encryption-blade')[0]; if (!m) return null;
            const files = performance.getEntriesByType('resource').filter(r => !r.name.includes('/api/'));
            const nav = performance.getEntriesByType('navigation')[0];
            return {rendered: m.startTime, downloaded: Math.max(nav.responseEnd, ...files.map(r => r.responseEnd)),
                    bytes: nav.transferSize + files.reduce((sum, r) => sum + r.transferSize, 0)};").await;
        rendered.push(number(&timing["rendered"]));
        downloaded.push(number(&timing["downloaded"]));
        transferred.push(number(&timing["bytes"]));
        browser.close().await;
    }
    let (r, d, t) = (Stats::of(&rendered), Stats::of(&downloaded), Stats::of(&transferred));
    section.row(vec!["Encryption blade rendered".into(), ms(r.min), ms(r.median), ms(r.max)]);
    section.row(vec!["portal files downloaded (reference)".into(), ms(d.min), ms(d.median), ms(d.max)]);
    section.row(vec![
        "rendered / downloaded".into(),
        String::new(),
        ratio(r.median, d.median),
        String::new(),
    ]);
    section.row(vec!["bytes over the wire (server compression)".into(), kb(t.min), kb(t.median), kb(t.max)]);
    section.figure("rendered_ms", r);
    section.figure("downloaded_ms", d);
    section.figure("transferred_bytes", t);
    section
}

fn kb(bytes: f64) -> String {
    crate::report::kb(bytes as u64)
}

async fn open_keys(browser: &Browser, server: &Server) {
    browser.goto(&server.url(&format!("/vaults/{DEMO_VAULT}"))).await;
    browser.find_role("tab", "Keys").await.click().await.expect("open the Keys tab");
    browser.find_button("Generate/Import").await;
}

/// Alternates WebCrypto and the portal for each size; returns the section and the 2048-bit
/// WebCrypto median (the Create-to-usable reference).
async fn keygen(browser: &Browser) -> (Section, f64) {
    let mut section = Section::new(
        "RSA key generation in the browser",
        &format!(
            "{KEYGEN_RUNS} runs per size, alternating. **Portal**: open *Create a key*, pick the size, and time the portal's own path (its `keyblade:keygen rsa-N` measure: worker start, key pair, PKCS#8, wrap for the vault's import key). **WebCrypto**: `crypto.subtle.generateKey` (RSA-OAEP, SHA-256) in the same page. Long tasks: PerformanceObserver `longtask` entries on the main thread overlapping the portal's generations."
        ),
        &["size", "portal min / median / max", "WebCrypto min / median / max", "median ratio", "long tasks"],
    );
    browser
        .client
        .execute("window.__longtasks = []; new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]); }).observe({type: 'longtask', buffered: true});", vec![])
        .await
        .expect("a long-task observer");
    let mut webcrypto_2048 = f64::NAN;
    let mut all_windows = vec![];
    for bits in SIZES {
        let (mut portal, mut reference) = (vec![], vec![]);
        let mut windows = vec![];
        for _ in 0..KEYGEN_RUNS {
            reference.push(webcrypto(browser, bits).await);
            let (start, duration) = portal_generation(browser, bits).await;
            portal.push(duration);
            windows.push((start, start + duration));
        }
        let long = long_tasks(browser, &windows).await;
        all_windows.extend(windows);
        let (p, w) = (Stats::of(&portal), Stats::of(&reference));
        if bits == 2048 {
            webcrypto_2048 = w.median;
            section.verdict(
                format!("RSA-2048 in the portal within {WEBCRYPTO_RATIO_TARGET}x of WebCrypto (median)"),
                format!("{} vs {}: {}", ms(p.median), ms(w.median), ratio(p.median, w.median)),
                p.median <= WEBCRYPTO_RATIO_TARGET * w.median,
            );
        }
        section.row(vec![
            bits.to_string(),
            format!("{} / {} / {}", ms(p.min), ms(p.median), ms(p.max)),
            format!("{} / {} / {}", ms(w.min), ms(w.median), ms(w.max)),
            ratio(p.median, w.median),
            format!("{} ({})", long.0, ms(long.1)),
        ]);
        section.figure(&format!("rsa_{bits}"), json!({ "portal_ms": p, "webcrypto_ms": w, "portal_samples": portal, "webcrypto_samples": reference, "long_tasks": long.0, "long_task_ms": long.1 }));
    }
    let (count, total) = long_tasks(browser, &all_windows).await;
    section.verdict(
        "no main-thread long task during key generation",
        format!("{count} ({} in all)", ms(total)),
        count == 0,
    );
    (section, webcrypto_2048)
}

async fn webcrypto(browser: &Browser, bits: u32) -> f64 {
    let value = browser
        .client
        .execute_async(
            "const [bits, done] = arguments; const t = performance.now();
             crypto.subtle.generateKey({name: 'RSA-OAEP', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256'}, true, ['encrypt', 'decrypt'])
               .then(() => done(performance.now() - t), e => done(String(e)));",
            vec![json!(bits)],
        )
        .await
        .expect("WebCrypto generateKey");
    number(&value)
}

/// Opens *Create a key* with `bits` and waits for the portal's generation measure; returns its
/// start and duration (ms, page clock).
async fn portal_generation(browser: &Browser, bits: u32) -> (f64, f64) {
    let name = format!("keyblade:keygen rsa-{bits}");
    let before = measure_count(browser, &name).await;
    browser.click_button("Generate/Import").await;
    browser.find_dialog("Create a key").await;
    if bits != 2048 {
        browser
            .client
            .find(Locator::XPath(&format!("//label[normalize-space(.)='{bits}']")))
            .await
            .expect("the size option")
            .click()
            .await
            .expect("choose the size");
    }
    let entry = wait_for_entry(browser, &name, "measure", before).await;
    browser.click_button("Cancel").await;
    browser.wait_dialog_closed("Create a key").await;
    (number(&entry["start"]), number(&entry["duration"]))
}

async fn measure_count(browser: &Browser, name: &str) -> usize {
    let value = browser
        .client
        .execute(&format!("return performance.getEntriesByName({name:?}).length;"), vec![])
        .await
        .expect("a count");
    value.as_u64().unwrap_or(0) as usize
}

/// Long tasks overlapping any of `windows`: how many and their total duration.
async fn long_tasks(browser: &Browser, windows: &[(f64, f64)]) -> (usize, f64) {
    let tasks = browser.client.execute("return window.__longtasks;", vec![]).await.expect("the long tasks");
    let tasks: Vec<(f64, f64)> = serde_json::from_value(tasks).unwrap_or_default();
    let overlapping: Vec<_> = tasks
        .iter()
        .filter(|(start, duration)| windows.iter().any(|(a, b)| start < b && start + duration > *a))
        .collect();
    (overlapping.len(), overlapping.iter().map(|(_, d)| d).sum::<f64>() + 0.0)
}

/// *Create a key* the way a user does it: open the panel, type a name (the key pair is prepared
/// meanwhile), select Create; timed in the page from the click until the key is listed.
async fn create_to_usable(browser: &Browser, webcrypto_2048: f64) -> Section {
    let mut section = Section::new(
        "Create to usable",
        &format!(
            "{CREATE_RUNS} RSA-2048 keys created in the Key vault blade: open *Create a key*, type a name, wait for the key pair to be ready (a user typing), then select **Create**. Timed in the page from the click until the new key is listed. The reference is the import request itself (Resource Timing of the upload)."
        ),
        &["figure", "min", "median", "max"],
    );
    let (mut usable, mut upload) = (vec![], vec![]);
    for i in 0..CREATE_RUNS {
        let name = format!("bench-key-{i}");
        browser.click_button("Generate/Import").await;
        browser.find_dialog("Create a key").await;
        browser.fill("Name", &name).await;
        browser.find_text_containing("Key pair ready").await;
        let timing = browser
            .client
            .execute_async(
                "const [name, done] = arguments;
                 const button = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Create' && !b.disabled);
                 const listed = () => [...document.querySelectorAll('td, a')].some(e => e.textContent.trim() === name);
                 performance.clearResourceTimings();
                 const t = performance.now();
                 const finish = () => {
                   const uploads = performance.getEntriesByType('resource').filter(r => r.initiatorType === 'fetch' && r.name.includes('/keys') && r.startTime >= t);
                   done({usable: performance.now() - t, upload: uploads.length ? uploads[0].duration : null});
                 };
                 const observer = new MutationObserver(() => { if (listed()) { observer.disconnect(); finish(); } });
                 observer.observe(document.body, {childList: true, subtree: true, characterData: true});
                 button.click();",
                vec![json!(name)],
            )
            .await
            .expect("Create and wait for the key");
        usable.push(number(&timing["usable"]));
        if let Some(u) = timing["upload"].as_f64() {
            upload.push(u);
        }
        browser.wait_dialog_closed("Create a key").await;
    }
    let (u, r) = (Stats::of(&usable), Stats::of(&upload));
    section.row(vec!["Create → key listed".into(), ms(u.min), ms(u.median), ms(u.max)]);
    section.row(vec!["import request (reference)".into(), ms(r.min), ms(r.median), ms(r.max)]);
    section.row(vec!["ratio of medians".into(), String::new(), ratio(u.median, r.median), String::new()]);
    section.figure("create_to_usable_ms", u);
    section.figure("upload_ms", r);
    section.verdict(
        format!("Create to usable under {CREATE_TARGET_MS:.0} ms (median)"),
        format!(
            "{} ({} the upload; a bare WebCrypto RSA-2048 takes {})",
            ms(u.median),
            ratio(u.median, r.median),
            ms(webcrypto_2048)
        ),
        u.median < CREATE_TARGET_MS,
    );
    section
}

/// Waits in the page, without polling (polling would take CPU from what is measured), until
/// more than `before` User Timing entries called `name` exist; returns the newest one's start
/// and duration.
async fn wait_for_entry(browser: &Browser, name: &str, entry_type: &str, before: usize) -> Value {
    browser
        .client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(Some(PATIENCE), None, None))
        .await
        .expect("a script timeout");
    browser
        .client
        .execute_async(
            "const [name, type, before, done] = arguments;
             const check = () => {
               const all = performance.getEntriesByName(name, type);
               if (all.length <= before) return false;
               const e = all[all.length - 1];
               done({start: e.startTime, duration: e.duration});
               return true;
             };
             if (!check()) { const observer = new PerformanceObserver(() => { if (check()) observer.disconnect(); }); observer.observe({type}); }",
            vec![json!(name), json!(entry_type), json!(before)],
        )
        .await
        .unwrap_or_else(|e| panic!("no {entry_type} {name} within {PATIENCE:?}: {e}"))
}

/// Runs `script` (a function body returning null until ready) until it returns a value.
async fn poll(browser: &Browser, script: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let value = browser.client.execute(script, vec![]).await.expect("a page script");
        if !value.is_null() {
            return value;
        }
        if Instant::now() > deadline {
            let page = browser
                .client
                .execute("return [location.href, document.body.innerText.slice(0, 600), performance.getEntriesByType('mark').map(m => m.name)];", vec![])
                .await
                .unwrap_or_default();
            panic!("timed out waiting in the page for: {script}\npage: {page}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn number(value: &Value) -> f64 {
    value.as_f64().unwrap_or_else(|| panic!("expected a number from the page, got {value}"))
}
