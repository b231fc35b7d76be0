//! `seimon serve` over a real socket, with a fresh data directory: a file dropped into the
//! inbox is loaded; files through the API; the bearer token; two concurrent runs of one
//! period joined into one and polled to success; indicators (filtered) and risks; a risk
//! acknowledged and silenced by the next run — a CLI `recompute` run while the daemon is
//! up; a revision dropped into the inbox making the daemon recompute the reported period;
//! metrics; SIGTERM during a run: the run completes, the process exits 0 and leaves no run
//! half-done; the JSON log has one span per run with its period and run id.

use std::process::Command;

use crate::support::{Daemon, http, json, poll};
use seimon::store::RunState;

const TOKEN: &str = "test-token-7f3a";

const DATA: &str = "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date
2024Q3,340000,TOTAL,operating_income,800,亿元,,2024-10-20
2025Q3,340000,TOTAL,operating_income,840,亿元,5,2025-10-20
2024Q3,340000,TEN,operating_income,300,亿元,,2024-10-20
2025Q3,340000,TEN,operating_income,345,亿元,15,2025-10-20
";

/// New-energy vehicles fall 20 %: a red "negative growth" risk.
const NEV: &str = "period,region_code,industry_code,indicator,value,unit,release_date
2024Q3,340000,NEV,operating_income,100,亿元,2024-10-20
2025Q3,340000,NEV,operating_income,80,亿元,2025-10-20
";

/// A revision of the total of the ten: published growth 15 % → 17 %.
const REVISION: &str = "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date
2025Q3,340000,TEN,operating_income,351,亿元,17,2025-11-05
";

const RISK: &str = "negative_growth:340000:NEV:operating_income";

/// The rows of the total of the ten's growth in 2025Q3, over the API.
fn ten_growth(addr: &str) -> Vec<serde_json::Value> {
    let (status, body) = http(
        addr,
        "GET",
        "/api/v1/periods/2025Q3/indicators?region=340000&industry=TEN&measure=yoy_pct",
        Some(TOKEN),
        b"",
    );
    assert_eq!(status, 200, "{body}");
    json(&body).as_array().unwrap().clone()
}

#[test]
fn the_daemon_serves_the_api_and_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let env = [
        ("SEIMON_API__TOKEN", TOKEN),
        ("SEIMON_API__LISTEN", "127.0.0.1:0"),
        ("SEIMON_PATHS__DATA", "data"),
        ("SEIMON_PATHS__REPORTS", "reports"),
        ("SEIMON_PATHS__INBOX", "inbox"),
        ("SEIMON_SCHEDULE__INBOX_POLL_SECS", "1"),
        ("SEIMON_LOG__FORMAT", "json"),
    ];
    let mut daemon = Daemon::start(tmp.path(), &env);
    let addr = daemon.addr.clone();

    let (status, body) = http(&addr, "GET", "/healthz", None, b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (json(&body)["status"].as_str(), json(&body)["scheduler"].as_str()),
        (Some("ok"), Some("running"))
    );
    let (status, body) = http(&addr, "GET", "/api/v1/periods", None, b"");
    assert_eq!(status, 401, "no token");
    assert!(json(&body)["error"].as_str().unwrap().contains("bearer token"));
    let (status, _) = http(&addr, "GET", "/api/v1/periods", Some("wrong"), b"");
    assert_eq!(status, 401, "a wrong token");

    // a file dropped into the inbox (written under a temporary name, then renamed) is loaded
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("data.csv.part"), DATA).unwrap();
    std::fs::rename(inbox.join("data.csv.part"), inbox.join("data.csv")).unwrap();
    poll("the inbox file to be loaded", || {
        let (_, periods) = http(&addr, "GET", "/api/v1/periods", Some(TOKEN), b"");
        json(&periods)
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["period"] == "2025Q3")
            .then_some(())
    });
    poll("the file to leave the inbox", || (!inbox.join("data.csv").exists()).then_some(()));
    let accepted: Vec<String> = std::fs::read_dir(inbox.join("accepted"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(accepted.len() == 1 && accepted[0].ends_with("-data.csv"), "{accepted:?}");

    // files through the API: one accepted, a bad one 422 with the row-level report
    let (status, body) = http(&addr, "POST", "/api/v1/files?name=nev.csv", Some(TOKEN), NEV.as_bytes());
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["status"], "accepted");
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/files?name=bad.csv",
        Some(TOKEN),
        b"period,region_code,industry_code,indicator,value,unit\n2025Q5,340000,TEN,operating_income,1,\xe4\xba\xbf\xe5\x85\x83\n",
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        json(&body)["report"]
            .as_str()
            .unwrap()
            .contains("row 2, column period: impossible period `2025Q5`")
    );
    let (status, _) = http(&addr, "GET", "/api/v1/periods/2025Q3/indicators", Some(TOKEN), b"");
    assert_eq!(status, 404, "no report yet");

    // two concurrent requests for one period: one run
    let request = br#"{"period": "2025Q3", "send": false}"#;
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| http(&addr, "POST", "/api/v1/runs", Some(TOKEN), request));
        let b = s.spawn(|| http(&addr, "POST", "/api/v1/runs", Some(TOKEN), request));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((a.0, b.0), (202, 202));
    let run_id = json(&a.1)["run_id"].as_str().unwrap().to_string();
    assert_eq!(
        json(&b.1)["run_id"].as_str().unwrap(),
        run_id,
        "the second request joins the first run"
    );
    let run = poll("the run to finish", || {
        let (status, body) = http(&addr, "GET", &format!("/api/v1/runs/{run_id}"), Some(TOKEN), b"");
        assert_eq!(status, 200, "{body}");
        let run = json(&body);
        (!matches!(run["state"].as_str().unwrap(), "queued" | "running")).then_some(run)
    });
    assert_eq!(run["state"], "succeeded", "{run}");
    assert!(run["outputs"].as_array().unwrap().iter().any(|o| o == "indicators.csv"));
    assert!(tmp.path().join("reports/2025Q3/indicators.csv").is_file());

    // indicators, filtered: the published growth of the ten, 345 / 300 → 15 %
    let rows = ten_growth(&addr);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["value"], 15.0);
    assert_eq!(
        (rows[0]["region_code"].as_str(), rows[0]["indicator"].as_str()),
        (Some("340000"), Some("operating_income"))
    );
    let (status, body) = http(&addr, "GET", "/api/v1/periods/2025Q3/indicators?colour=red", Some(TOKEN), b"");
    assert_eq!(status, 400, "{body}");
    assert!(json(&body)["error"].as_str().unwrap().contains("unknown filter `colour`"));

    // risks: NEV fell by 20 %; acknowledged, it shows so at once
    let risks = |addr: &str| {
        let (status, body) = http(addr, "GET", "/api/v1/periods/2025Q3/risks", Some(TOKEN), b"");
        assert_eq!(status, 200, "{body}");
        json(&body)
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["risk_id"] == RISK)
            .cloned()
            .expect("the NEV risk")
    };
    let nev = risks(&addr);
    assert_eq!(nev["level"], "red", "{nev}");
    assert!((nev["value"].as_f64().unwrap() + 20.0).abs() < 1e-9, "80 / 100 − 1 = −20 %: {nev}");
    assert!(nev["acknowledged"].is_null());
    let ack = br#"{"reason": "a plant retooling, known", "until": "2099-12-31"}"#;
    let (status, body) = http(&addr, "POST", &format!("/api/v1/risks/{RISK}/ack"), Some(TOKEN), ack);
    assert_eq!(status, 200, "{body}");
    assert_eq!(risks(&addr)["acknowledged"]["until"], "2099-12-31");
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/risks/no_such_rule:340000:NEV:operating_income/ack",
        Some(TOKEN),
        ack,
    );
    assert_eq!(status, 404, "{body}");
    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/risks/{RISK}/ack"),
        Some(TOKEN),
        br#"{"reason": "x", "until": "soon"}"#,
    );
    assert_eq!(
        (status, json(&body)["error"].as_str()),
        (422, Some("`soon` is not a date such as 2026-03-31"))
    );

    // the CLI recomputes while the daemon runs (through the same period lock); its run
    // takes the acknowledgement as a silence
    let out = crate::support::seimon(tmp.path(), &["recompute", "--period", "2025Q3"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", crate::support::stderr(&out));
    let nev = risks(&addr);
    assert_eq!(nev["silenced_until"], "2099-12-31", "{nev}");

    // a revision dropped into the inbox changes a reported period: the daemon recomputes it
    std::fs::write(inbox.join("revision.csv"), REVISION).unwrap();
    let rows = poll("the daemon to recompute 2025Q3", || {
        let rows = ten_growth(&addr);
        (rows[0]["value"] == 17.0).then_some(rows)
    });
    assert_eq!(rows.len(), 1);

    let (_, metrics) = http(&addr, "GET", "/metrics", None, b"");
    assert!(
        metrics.contains("seimon_runs_total{state=\"succeeded\"} 2"),
        "the API's run and the recompute: {metrics}"
    );
    assert!(metrics.contains("seimon_files_rejected_total 1"), "{metrics}");

    // SIGTERM during a run: the run completes, the process exits 0
    let (status, body) = http(&addr, "POST", "/api/v1/runs", Some(TOKEN), request);
    assert_eq!(status, 202);
    let second = json(&body)["run_id"].as_str().unwrap().to_string();
    assert_ne!(second, run_id, "a new run once the first has finished");
    let killed = Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = daemon.child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "a clean exit");
    let store = seimon::store::Store::open(&tmp.path().join("data")).unwrap();
    let record = store.run(&second).unwrap().expect("the run was recorded");
    assert_eq!(record.state, RunState::Succeeded, "the run under way was let finish");
    let runs = store.runs().unwrap();
    assert!(
        runs.iter().all(|r| r.state == RunState::Succeeded),
        "nothing left half-done: {runs:?}"
    );
    assert_eq!(
        runs.iter().filter(|r| r.trigger == "schedule").count(),
        1,
        "one recompute after the revision"
    );

    // the JSON log: every line an object; the run's lines carry its span
    let log = std::fs::read_to_string(tmp.path().join("serve.log")).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().map(json).collect();
    let finished = lines
        .iter()
        .find(|l| l["fields"]["message"] == "run succeeded" && l["span"]["run_id"] == run_id.as_str())
        .unwrap_or_else(|| panic!("no span for run {run_id}: {log}"));
    assert_eq!(
        (finished["span"]["name"].as_str(), finished["span"]["period"].as_str()),
        (Some("run"), Some("2025Q3"))
    );
    assert!(!log.contains(TOKEN), "the token is never logged");
}
