//! The web console over a real socket, in a real headless Chromium: accounts made with
//! `seimon user add`, signing in, the periods page, a period's reports and the province
//! report with every chart loaded; a bad file uploaded and its row errors read on the page,
//! a good one loaded; a recompute started and seen to succeed; a risk acknowledged and found
//! in the audit; a reader refused another city's report, the upload page, the audit and the
//! risks (403); a form posted without its CSRF token refused; five wrong passwords slowing
//! the next attempt down (429 with Retry-After, the right password included).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::support::{Daemon, chromium, seimon, stderr};

const ADMIN_PASSWORD: &str = "安徽 monitoring 2026";
const READER_PASSWORD: &str = "hefei-reader-pass";

/// `seimon user …` with the password on standard input.
pub(crate) fn user(dir: &std::path::Path, args: &[&str], password: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seimon"));
    cmd.current_dir(dir).arg("user").args(args).env("RUST_LOG", "warn");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("SEIMON_")) {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

/// One HTTP/1.0 request with headers; returns (status, response head, body).
pub(crate) fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_string(), body.to_string())
}

/// The value a response sets for cookie `name`.
pub(crate) fn set_cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

/// Signs in over plain HTTP: the form's CSRF token from its page and cookie, then the
/// post; returns (status, response head).
pub(crate) fn sign_in(addr: &str, name: &str, password: &str) -> (u16, String) {
    let (status, head, page) = request(addr, "GET", "/login", &[], "");
    assert_eq!(status, 200);
    let cookie = set_cookie(&head, "seimon_login").expect("the sign-in form sets its CSRF cookie");
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(csrf, cookie, "double submit: the same token in the form and its cookie");
    let (status, head, _) = request(
        addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("seimon_login={cookie}")),
        ],
        &form(&[("name", name), ("password", password), ("csrf", csrf)]),
    );
    (status, head)
}

#[test]
fn the_console_signs_in_shows_the_reports_and_refuses_what_it_must() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = seimon(dir, &["demo", "--dir", "."], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let period = std::fs::read_dir(dir.join("reports"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.len() == 6 && n.as_bytes()[4] == b'Q')
        .max()
        .expect("the demo reported a quarter");
    let env = [
        ("SEIMON_PATHS__DATA", "data"),
        ("SEIMON_PATHS__REPORTS", "reports"),
        ("SEIMON_PATHS__INBOX", "inbox"),
        ("SEIMON_API__TOKEN", "console-test-token"),
        ("SEIMON_API__LISTEN", "127.0.0.1:0"),
    ];
    // accounts from the command line: the password never on the command line, never stored
    let out = user(dir, &["add", "admin", "--role", "admin"], ADMIN_PASSWORD, &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = user(
        dir,
        &["add", "hefei", "--role", "reader", "--audience", "city:340100"],
        READER_PASSWORD,
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = user(dir, &["add", "wang", "--role", "analyst"], "wang-analyst-pass", &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = user(dir, &["add", "short", "--role", "analyst"], "too short", &env);
    assert!(
        !out.status.success() && stderr(&out).contains("at least 10 characters"),
        "{}",
        stderr(&out)
    );
    let db = std::fs::read(dir.join("data/seimon.db")).unwrap();
    assert!(
        !String::from_utf8_lossy(&db).contains(READER_PASSWORD),
        "a password in clear in the store"
    );

    let daemon = Daemon::start(dir, &env);
    let addr = daemon.addr.clone();

    // a form posted without its CSRF token is refused; so is a sign-out without the session's
    let (status, _, _) = request(
        &addr,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form(&[("name", "admin"), ("password", ADMIN_PASSWORD), ("csrf", "forged")]),
    );
    assert_eq!(status, 403, "a sign-in without the form's CSRF cookie");
    let (status, head) = sign_in(&addr, "hefei", READER_PASSWORD);
    assert_eq!(status, 303, "{head}");
    let session = set_cookie(&head, "seimon_session").expect("a session cookie");
    let cookie_line = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie: seimon_session"))
        .unwrap();
    assert!(
        cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Strict"),
        "{cookie_line}"
    );
    let with_session = [("Cookie", format!("seimon_session={session}"))];
    let h: Vec<(&str, &str)> = with_session.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = request(
        &addr,
        "POST",
        "/logout",
        &[&h[..], &[("Content-Type", "application/x-www-form-urlencoded")]].concat(),
        "",
    );
    assert_eq!(status, 403, "a sign-out without the session's CSRF token");
    // the reader: its city's report, no other, and no analyst's file
    let get = |path: &str| request(&addr, "GET", path, &h, "").0;
    assert_eq!(get(&format!("/reports/{period}/city/340100.html")), 200);
    assert_eq!(get(&format!("/reports/{period}/charts/city-340100-growth_trend.png")), 200);
    assert_eq!(get(&format!("/reports/{period}/city/340200.html")), 403);
    assert_eq!(get(&format!("/reports/{period}/city/340100.pdf")), 200, "its report's PDF");
    assert_eq!(get(&format!("/reports/{period}/city/340200.pdf")), 403, "another city's PDF");
    assert_eq!(get(&format!("/reports/{period}/report.pdf")), 403);
    assert_eq!(get(&format!("/reports/{period}/report.html")), 403);
    assert_eq!(get(&format!("/reports/{period}/indicators.csv")), 404);
    assert_eq!(get(&format!("/reports/{period}/city/..%2F..%2Fdata%2Fseimon.db")), 404);
    // without a session: the way to sign in
    assert_eq!(request(&addr, "GET", "/", &[], "").0, 303);

    // five wrong passwords: the sixth attempt waits, even with the right password
    for _ in 0..5 {
        assert_eq!(sign_in(&addr, "wang", "wrong password!").0, 401);
    }
    let (status, head) = sign_in(&addr, "wang", "wang-analyst-pass");
    assert_eq!(status, 429, "{head}");
    assert!(head.to_lowercase().contains("retry-after:"), "{head}");

    // in Chromium: the reader signs in and is refused another city's report
    let Some(browser) = chromium((1000, 1600), &[]) else {
        return;
    };
    let tab = browser.new_tab().unwrap();
    let base = format!("http://{addr}");
    let eval = |js: &str| tab.evaluate(js, true).unwrap().value.unwrap();
    // SEIMON_SCREENSHOTS=DIR keeps a screenshot of each page, for a person to look at
    let shots = std::env::var_os("SEIMON_SCREENSHOTS").map(std::path::PathBuf::from);
    let shot = |name: &str| {
        if let Some(shots) = &shots {
            use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png;
            std::fs::create_dir_all(shots).unwrap();
            std::fs::write(
                shots.join(format!("console-{name}.png")),
                tab.capture_screenshot(Png, None, None, true).unwrap(),
            )
            .unwrap();
        }
    };
    let sign_in_as = |name: &str, password: &str| {
        tab.navigate_to(&format!("{base}/")).unwrap().wait_until_navigated().unwrap();
        assert!(tab.get_url().ends_with("/login"), "{}", tab.get_url());
        shot("login");
        tab.wait_for_element("#name").unwrap().type_into(name).unwrap();
        tab.wait_for_element("#password").unwrap().type_into(password).unwrap();
        tab.wait_for_element("#submit").unwrap().click().unwrap();
        tab.wait_for_element("#periods").expect("the periods page after signing in");
    };
    // the admin: the periods, the period's reports, the province report with its charts
    sign_in_as("admin", ADMIN_PASSWORD);
    assert!(eval("document.body.innerText").as_str().unwrap().contains(&period));
    shot("periods");
    tab.navigate_to(&format!("{base}/periods/{period}"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    shot("reports");
    let links = |tab: &headless_chrome::Tab| -> Vec<String> {
        let v = tab
            .evaluate(
                "JSON.stringify(Array.from(document.querySelectorAll('#reports a:not(.pdf)')).map(a => a.getAttribute('href')))",
                false,
            )
            .unwrap()
            .value
            .unwrap();
        serde_json::from_str(v.as_str().unwrap()).unwrap()
    };
    let all = links(&tab);
    assert!(all.len() >= 27, "every report of the quarter: {all:?}");
    assert_eq!(all[0], format!("/reports/{period}/report.html"), "the province report first");
    tab.navigate_to(&format!("{base}{}", all[0]))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let done = eval(
        "Promise.all(Array.from(document.images).map(i => i.complete ? 1 : new Promise(r => { i.onload = i.onerror = r; }))).then(() => JSON.stringify(Array.from(document.images).map(i => i.naturalWidth)))",
    );
    let widths: Vec<u32> = serde_json::from_str(done.as_str().unwrap()).unwrap();
    assert!(widths.len() >= 5 && widths.iter().all(|w| *w > 0), "every chart loads: {widths:?}");
    shot("report");
    // upload: a bad file answers its row-level report on the page; a good one is loaded
    let bad = "period,region_code,industry_code,indicator,value,unit,release_date\n2026Q3,349999,NGIT,operating_income,12,亿元,2026-10-20\n2026Q3,340100,NGIT,operating_income,abc,亿元,2026-10-20\n".to_string();
    let good = format!(
        "period,region_code,industry_code,indicator,value,unit,release_date\n{period},340100,NGIT,operating_income,1234.5,亿元,2026-11-20\n"
    );
    // a file dropped on the page's drop zone, as a person drags one there
    let drop = |name: &str, text: &str| {
        let js = format!(
            "(() => {{ const dt = new DataTransfer(); dt.items.add(new File([{}], {}, {{type: 'text/csv'}})); \
             document.getElementById('drop').dispatchEvent(new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}})); return true; }})()",
            serde_json::to_string(text).unwrap(),
            serde_json::to_string(name).unwrap()
        );
        tab.evaluate(&js, false).unwrap();
    };
    let wait_for = |js: &str, what: &str| {
        for _ in 0..600 {
            // a page that reloads itself may be between two loads: asked again
            if tab.evaluate(js, false).ok().and_then(|r| r.value).and_then(|v| v.as_bool()) == Some(true) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("timed out waiting for {what}");
    };
    tab.navigate_to(&format!("{base}/upload")).unwrap().wait_until_navigated().unwrap();
    tab.wait_for_element("#drop").unwrap();
    drop("bad.csv", &bad);
    wait_for("!!document.getElementById('problems')", "the rejected file's report");
    let problems = eval("document.getElementById('problems').innerText");
    let problems = problems.as_str().unwrap();
    assert!(
        problems.contains("349999") && problems.contains("abc"),
        "each bad row named: {problems}"
    );
    shot("upload-rejected");
    // the value the good file revises, as the store holds it before
    let stored = {
        let store = seimon::store::Store::open(&dir.join("data")).unwrap();
        let vintages = store
            .vintages(period.parse().unwrap(), "340100", "NGIT", "operating_income")
            .unwrap();
        let last = vintages.last().expect("the demo stores Hefei's NGIT income");
        (
            last.obs.value.unwrap(),
            last.obs.yoy_pct.map_or("—".to_string(), |g| format!("{g:.4}")),
        )
    };
    tab.navigate_to(&format!("{base}/upload")).unwrap().wait_until_navigated().unwrap();
    tab.wait_for_element("#drop").unwrap();
    drop("revision.csv", &good);
    wait_for(
        "(document.getElementById('outcome') || {}).className === 'accepted'",
        "the accepted file",
    );
    let outcome = eval("document.getElementById('outcome').innerText");
    assert!(outcome.as_str().unwrap().contains("1 个数值为新的数据版本"), "{outcome}");
    // what it changed against the stored vintage, value by value
    let revisions = eval(
        "JSON.stringify(Array.from(document.querySelectorAll('#revisions tr')).slice(1).map(r => Array.from(r.cells).map(c => c.innerText)))",
    );
    let revisions: Vec<Vec<String>> = serde_json::from_str(revisions.as_str().unwrap()).unwrap();
    assert_eq!(
        revisions,
        vec![vec![
            period.clone(),
            "合肥市".to_string(),
            "新一代信息技术".to_string(),
            "营业收入".to_string(),
            format!("{:.4}", stored.0),
            "1234.5000".to_string(),
            stored.1.clone(),
            "—".to_string(),
        ]],
        "the one value the file revised, before and after"
    );
    shot("upload-accepted");
    // recompute the period from the periods page and watch it succeed
    tab.navigate_to(&format!("{base}/")).unwrap().wait_until_navigated().unwrap();
    tab.wait_for_element(&format!("button.recompute[data-period='{period}']"))
        .unwrap()
        .click()
        .unwrap();
    wait_for(
        "(document.getElementById('state') || {dataset: {}}).dataset.state === 'succeeded'",
        "the recompute to succeed",
    );
    // its own log lines, from its start to its end
    let log = eval("document.getElementById('log').innerText");
    let log = log.as_str().unwrap();
    let started = log.find("run started").expect("the run's first line");
    let succeeded = log.find("run succeeded").expect("the run's last line");
    let measured = log.find("measures computed").expect("a line per stage");
    assert!(started < measured && measured < succeeded, "{log}");
    shot("run");
    // the period's runs: the demo's and this one, with what changed between them
    tab.navigate_to(&format!("{base}/periods/{period}/runs"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let href = eval("(document.querySelector('#runs a') || {}).getAttribute ? document.querySelector('#runs a').getAttribute('href') : ''");
    let href = href.as_str().unwrap().to_string();
    assert!(href.ends_with("/changes"), "the latest run links its changes: {href}");
    shot("runs");
    tab.navigate_to(&format!("{base}{href}")).unwrap().wait_until_navigated().unwrap();
    let changes = eval("document.getElementById('changes').innerText");
    assert!(
        changes.as_str().unwrap().contains("1234.5000"),
        "the revised value, before and after: {changes}"
    );
    shot("changes");
    // acknowledge the first risk of the period, then find it in the audit
    tab.navigate_to(&format!("{base}/periods/{period}/risks"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    // the groups of the period, material ones first: the first one is acknowledged
    let risk = eval("document.querySelector('#risks input[name=group_id]').value");
    let risk = risk.as_str().unwrap().to_string();
    let risks_csv = std::fs::read_to_string(dir.join("reports").join(&period).join("risks.csv")).unwrap();
    let mut risks_csv = csv::Reader::from_reader(risks_csv.as_bytes());
    let columns = risks_csv.headers().unwrap().clone();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    let flags: Vec<csv::StringRecord> = risks_csv.records().map(Result::unwrap).collect();
    let lit_material = |f: &csv::StringRecord| &f[at("class")] == "business" && &f[at("level")] != "green" && &f[at("material")] == "true";
    let groups: std::collections::BTreeSet<&str> = flags.iter().filter(|f| lit_material(f)).map(|f| &f[at("group_id")]).collect();
    let summary = eval("document.getElementById('summary').innerText");
    assert_eq!(
        summary.as_str().unwrap(),
        format!("共 {} 组风险。", groups.len()),
        "one row per material group"
    );
    let members: Vec<String> = flags
        .iter()
        .filter(|f| f[at("group_id")] == risk && &f[at("level")] != "green")
        .map(|f| f[at("risk_id")].to_string())
        .collect();
    assert!(
        !members.is_empty() && flags.iter().any(|f| f[at("group_id")] == risk && &f[at("level")] == "red"),
        "the first group is red: {risk}"
    );
    shot("risks");
    tab.wait_for_element("#risks input[name=reason]")
        .unwrap()
        .type_into("已核实：项目延期获批")
        .unwrap();
    tab.wait_for_element("#risks button").unwrap().click().unwrap();
    wait_for("location.pathname.endsWith('/risks')", "back on the risks page");
    {
        // the page was on /risks before the click as well: wait for the post's redirect to
        // have been written, not for the address
        let store = seimon::store::Store::open(&dir.join("data")).unwrap();
        // (the audit entry is written once every member is acknowledged)
        crate::support::poll("the acknowledgement in the audit", || {
            store.audit_log(50).unwrap().iter().any(|a| a.action == "acknowledge").then_some(())
        });
        let mut acked: Vec<String> = store.risk_acks().unwrap().into_iter().map(|a| a.risk_id).collect();
        let mut members = members.clone();
        acked.sort();
        members.sort();
        assert_eq!(acked, members, "each lit member of the group acknowledged");
    }
    tab.navigate_to(&format!("{base}/audit")).unwrap().wait_until_navigated().unwrap();
    let audit = eval("document.getElementById('audit').innerText");
    let audit = audit.as_str().unwrap();
    for what in [
        "acknowledge",
        risk.as_str(),
        "已核实：项目延期获批",
        "upload",
        "recompute",
        "user add",
    ] {
        assert!(audit.contains(what), "{what} in the audit: {audit}");
    }
    shot("audit");
    // the admin adds a reader on the accounts page
    tab.navigate_to(&format!("{base}/accounts"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    eval(
        "(() => { const f = document.getElementById('add').elements; f['name'].value = 'wuhu'; f['role'].value = 'reader'; f['audiences'].value = 'city:340200'; f['language'].value = 'en'; f['password'].value = 'wuhu-reader-pass'; return true; })()",
    );
    tab.wait_for_element("#add button").unwrap().click().unwrap();
    wait_for(
        "!!document.getElementById('accounts') && document.getElementById('accounts').innerText.includes('city:340200')",
        "the new account listed",
    );
    shot("accounts");
    // sign out with the page's own form (its CSRF token)
    tab.navigate_to(&format!("{base}/")).unwrap().wait_until_navigated().unwrap();
    tab.wait_for_element("header button").unwrap().click().unwrap();
    tab.wait_for_element("#name").expect("signed out");
    // the reader: its city's report only; another city's is 403
    sign_in_as("hefei", READER_PASSWORD);
    tab.navigate_to(&format!("{base}/periods/{period}"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert_eq!(
        links(&tab),
        vec![format!("/reports/{period}/city/340100.html")],
        "a reader sees its report only"
    );
    shot("reader-reports");
    let status = eval(&format!("fetch('/reports/{period}/city/340200.html').then(r => r.status)"));
    assert_eq!(status.as_u64(), Some(403), "another city's report");
    // the reader's indicators.csv: every value but those disclosure control withholds
    let published = eval(&format!("fetch('/periods/{period}/files/indicators.csv').then(r => r.text())"));
    let published = published.as_str().unwrap();
    let folder = dir.join("reports").join(&period);
    let all = std::fs::read_to_string(folder.join("indicators.csv")).unwrap();
    let withheld = std::fs::read_to_string(folder.join("disclosure.csv")).unwrap();
    assert!(withheld.lines().count() > 1, "the demo withholds some values");
    assert_eq!(
        published.lines().count(),
        all.lines().count() - (withheld.lines().count() - 1),
        "the withheld rows left out"
    );
    let first_withheld: Vec<&str> = withheld.lines().nth(1).unwrap().split(',').take(5).collect();
    let row = all
        .lines()
        .find(|l| l.split(',').take(5).eq(first_withheld.iter().copied()))
        .unwrap();
    assert!(!published.lines().any(|l| l == row), "{row} is withheld from readers");
    for page in [
        "/upload",
        "/audit",
        "/accounts",
        "/outbox",
        &format!("/periods/{period}/risks"),
        &format!("/periods/{period}/runs"),
        &format!("/periods/{period}/files/report.xlsx"),
    ] {
        let status = eval(&format!("fetch('{page}').then(r => r.status)"));
        assert_eq!(status.as_u64(), Some(403), "a reader opens {page}");
    }
    tab.navigate_to(&format!("{base}/reports/{period}/city/340200.html"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    shot("forbidden");
    // on a phone, in English: the reader the admin made signs in; no page is wider than
    // the screen
    tab.navigate_to(&format!("{base}/")).unwrap().wait_until_navigated().unwrap();
    tab.wait_for_element("header button").unwrap().click().unwrap();
    tab.wait_for_element("#name").expect("signed out");
    tab.call_method(headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride {
        width: 390,
        height: 844,
        device_scale_factor: 2.0,
        mobile: true,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .unwrap();
    sign_in_as("wuhu", "wuhu-reader-pass");
    let fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth";
    let nav = eval("document.querySelector('header').innerText");
    assert!(
        nav.as_str().unwrap().contains("Periods") && nav.as_str().unwrap().contains("Sign out"),
        "{nav}"
    );
    shot("phone-periods");
    assert_eq!(eval(fits).as_bool(), Some(true), "the periods page fits a phone");
    tab.navigate_to(&format!("{base}/periods/{period}"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert_eq!(links(&tab), vec![format!("/reports/{period}/city/340200.html")]);
    shot("phone-reports");
    assert_eq!(eval(fits).as_bool(), Some(true), "the reports page fits a phone");
    tab.navigate_to(&format!("{base}/reports/{period}/city/340200.html"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    shot("phone-report");
}
