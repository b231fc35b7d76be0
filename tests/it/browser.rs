//! The archived report in a real browser: headless Chromium (Debian's `chromium`, which
//! `tests/run` installs) opens `report.html`, every image loads, nothing is logged as an
//! error, and a screenshot is saved for a person to look at.

use std::sync::{Arc, Mutex};

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::protocol::cdp::types::Event;

use crate::support::{chromium, seimon, stderr};

#[test]
fn the_report_opens_in_chromium_with_every_image() {
    let tmp = tempfile::tempdir().unwrap();
    let out = seimon(tmp.path(), &["demo", "--dir", ".", "--through", "2025Q3"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // started once the demo is done: an idle browser connection closes after 30 s
    let Some(browser) = chromium((1000, 2400), &["--allow-file-access-from-files"]) else {
        return;
    };
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
