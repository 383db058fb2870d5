//! The offline demo keeps the page responsive: its engine runs in a Web Worker, so a Device
//! password (RSA-OAEP unwrap) or a key import (unwrap of the transfer blob, sealing) never runs
//! on the main thread. Counted as main-thread long tasks (PerformanceObserver `longtask`) while
//! the demo does that work, against the same work's duration.

use std::time::Instant;

use harness::{Browser, offline::StaticSite};

use crate::report::{Section, Stats, ms};

const PASSWORD_RUNS: usize = 10;

pub async fn measure(dist: &std::path::Path) -> Section {
    let mut section = Section::new(
        "Offline demo: main thread during engine work",
        &format!(
            "The static build served by `python3 -m http.server`, opened at `/?demo` (the demo seeds its world in the engine worker first). Then {PASSWORD_RUNS} Device password requests on the order's Overview, each waited for on screen. Long tasks: PerformanceObserver `longtask` entries on the main thread during those requests."
        ),
        &["figure", "measured"],
    );
    let site = StaticSite::serve(dist);
    let browser = Browser::open().await;
    browser.goto(&site.url("/?demo")).await;
    browser.find_button("Reset demo").await;
    browser.click_link("Overview").await;
    browser.find_button("Device password").await;
    browser
        .client
        .execute("window.__longtasks = []; new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longtasks.push(e.duration); }).observe({type: 'longtask'});", vec![])
        .await
        .expect("observe long tasks");
    let mut durations = Vec::with_capacity(PASSWORD_RUNS);
    for _ in 0..PASSWORD_RUNS {
        let started = Instant::now();
        browser.click_button("Device password").await;
        browser.find_text_containing("Device password:").await;
        durations.push(started.elapsed().as_secs_f64() * 1000.0);
        // Leave and come back, so the next answer is a new one on screen.
        browser.click_link("Encryption").await;
        browser.find_text("Select type").await;
        browser.click_link("Overview").await;
        browser.find_button("Device password").await;
    }
    let tasks = browser.client.execute("return window.__longtasks;", vec![]).await.expect("the long tasks");
    let tasks: Vec<f64> = serde_json::from_value(tasks).unwrap_or_default();
    browser.close().await;
    let stats = Stats::of(&durations);
    section.row(vec![
        "Device password, click to shown (median / max)".into(),
        format!("{} / {}", ms(stats.median), ms(stats.max)),
    ]);
    section.row(vec![
        "main-thread long tasks during them".into(),
        format!("{} ({} in total)", tasks.len(), ms(tasks.iter().sum())),
    ]);
    section.figure("offline_device_password_ms", stats.median);
    section.figure("offline_long_tasks", tasks.len());
    section.verdict(
        "no main-thread long task during Device password offline",
        tasks.len().to_string(),
        tasks.is_empty(),
    );
    section
}
