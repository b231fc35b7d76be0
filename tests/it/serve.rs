//! `seimon serve` over a real socket: health, the bearer token, a file through the API,
//! two concurrent runs of one period joined into one, polling to success, metrics, and
//! SIGTERM during a run: the run completes and the process exits 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

const TOKEN: &str = "test-token-7f3a";

const DATA: &str = "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date
2024Q3,340000,TOTAL,operating_income,800,亿元,,2024-10-20
2025Q3,340000,TOTAL,operating_income,840,亿元,5,2025-10-20
2024Q3,340000,TEN,operating_income,300,亿元,,2024-10-20
2025Q3,340000,TEN,operating_income,345,亿元,15,2025-10-20
";

/// One HTTP/1.0 request; returns (status, body).
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\nContent-Type: application/json\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn the_daemon_serves_the_api_and_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_seimon"))
        .current_dir(tmp.path())
        .arg("serve")
        .env("RUST_LOG", "warn")
        .env("SEIMON_API__TOKEN", TOKEN)
        .env("SEIMON_API__LISTEN", "127.0.0.1:0")
        .env("SEIMON_PATHS__DATA", "data")
        .env("SEIMON_PATHS__REPORTS", "reports")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();

    let (status, body) = http(&addr, "GET", "/healthz", None, b"");
    assert_eq!((status, json(&body)["status"].as_str()), (200, Some("ok")));
    let (status, body) = http(&addr, "GET", "/api/v1/periods", None, b"");
    assert_eq!(status, 401, "no token");
    assert!(json(&body)["error"].as_str().unwrap().contains("bearer token"));
    let (status, _) = http(&addr, "GET", "/api/v1/periods", Some("wrong"), b"");
    assert_eq!(status, 401, "a wrong token");

    // a file through the API, then a bad one: 422 with the row-level report
    let (status, body) = http(&addr, "POST", "/api/v1/files?name=data.csv", Some(TOKEN), DATA.as_bytes());
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

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let state = loop {
        let (status, body) = http(&addr, "GET", &format!("/api/v1/runs/{run_id}"), Some(TOKEN), b"");
        assert_eq!(status, 200, "{body}");
        let run = json(&body);
        match run["state"].as_str().unwrap() {
            "queued" | "running" => {
                assert!(std::time::Instant::now() < deadline, "the run did not finish");
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            other => break (other.to_string(), run),
        }
    };
    assert_eq!(state.0, "succeeded", "{}", state.1);
    assert!(state.1["outputs"].as_array().unwrap().iter().any(|o| o == "indicators.csv"));
    assert!(tmp.path().join("reports/2025Q3/indicators.csv").is_file());
    let (_, periods) = http(&addr, "GET", "/api/v1/periods", Some(TOKEN), b"");
    assert!(json(&periods).as_array().unwrap().iter().any(|p| p["period"] == "2025Q3"));
    let (_, metrics) = http(&addr, "GET", "/metrics", None, b"");
    assert!(metrics.contains("seimon_runs_total{state=\"succeeded\"} 1"), "{metrics}");
    assert!(metrics.contains("seimon_files_rejected_total 1"), "{metrics}");

    // SIGTERM during a run: the run completes, the process exits 0
    let (status, body) = http(&addr, "POST", "/api/v1/runs", Some(TOKEN), request);
    assert_eq!(status, 202);
    let second = json(&body)["run_id"].as_str().unwrap().to_string();
    assert_ne!(second, run_id, "a new run once the first has finished");
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "a clean exit");
    let store = seimon::store::Store::open(&tmp.path().join("data")).unwrap();
    let record = store.run(&second).unwrap().expect("the run was recorded");
    assert_eq!(record.state, "succeeded", "the run under way was let finish");
}
