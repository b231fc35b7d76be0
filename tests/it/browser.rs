//! The archived report in a real browser: headless Chromium (Debian's `chromium`, which
//! `tests/run` installs) opens `report.html`, every image loads, nothing is logged as an
//! error, and a screenshot is saved for a person to look at.

use std::sync::{Arc, Mutex};

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions};

use crate::support::{seimon, stderr};

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn the_report_opens_in_chromium_with_every_image() {
    if !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("SEIMON_REQUIRE_CHROMIUM").is_none(),
            "Chromium is required here but {CHROMIUM} is missing"
        );
        eprintln!("skipped: {CHROMIUM} is not installed (bash tests/run installs it)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = seimon(tmp.path(), &["demo", "--dir", ".", "--through", "2025Q3"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let args = [
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--allow-file-access-from-files",
    ];
    let options = LaunchOptions::default_builder()
        .path(Some(CHROMIUM.into()))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1000, 2400)))
        .args(args.iter().map(std::ffi::OsStr::new).collect())
        .build()
        .unwrap();
    let browser = Browser::new(options).expect("Chromium starts");
    let tab = browser.new_tab().unwrap();
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = errors.clone();
    tab.enable_log().unwrap();
    tab.enable_runtime().unwrap();
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let message = match event {
            Event::LogEntryAdded(e) if format!("{:?}", e.params.entry.level) == "Error" => Some(e.params.entry.text.clone()),
            Event::RuntimeExceptionThrown(e) => Some(e.params.exception_details.text.clone()),
            Event::RuntimeConsoleAPICalled(e) if format!("{:?}", e.params.Type) == "Error" => Some(format!("{:?}", e.params.args)),
            _ => None,
        };
        if let Some(m) = message {
            sink.lock().unwrap().push(m);
        }
    }))
    .unwrap();
    for page in ["report.html", "industry/NGIT.html", "city/340100.html", "chain/NEV.html"] {
        let url = format!("file://{}", tmp.path().join("reports/2025Q3").join(page).display());
        tab.navigate_to(&url).unwrap().wait_until_navigated().unwrap();
        // wait for every image to finish loading (or failing)
        let done = tab.evaluate("Promise.all(Array.from(document.images).map(i => i.complete ? 1 : new Promise(r => { i.onload = i.onerror = r; }))).then(() => 1)", true).unwrap();
        assert!(done.value.is_some());
        let widths = tab
            .evaluate(
                "JSON.stringify(Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth]))",
                false,
            )
            .unwrap();
        let widths: Vec<(String, u32)> = serde_json::from_str(widths.value.unwrap().as_str().unwrap()).unwrap();
        assert!(widths.len() >= 2, "{page}: {widths:?}");
        for (src, w) in &widths {
            assert!(*w > 0, "{page}: {src} did not load");
        }
        if page == "report.html" {
            let png = tab
                .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
                .unwrap();
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
            std::fs::write(dir.join("report-screenshot.png"), &png).unwrap();
            eprintln!("screenshot: {}", dir.join("report-screenshot.png").display());
            assert!(png.len() > 50_000, "a screenshot of a real page");
        }
    }
    let errors = errors.lock().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}
