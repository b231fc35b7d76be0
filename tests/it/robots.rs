//! Chat robots against a real HTTP server on 127.0.0.1 (axum, in the test): the platforms'
//! checks done the platforms' way — DingTalk's `sign` recomputed from the timestamp and the
//! secret, WeCom's image MD5 recomputed from its base64, the webhook's HMAC header — with
//! scripted answers (500, 429 with Retry-After, 400) and a request that never ends, to kill
//! the real `seimon` binary in the middle of a post.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};
use md5::Digest;
use sha2::Sha256;

use crate::delivery::DATA;
use crate::support::{seimon, stderr, stdout};

const DING_SECRET: &str = "SECd1ngta1k-test-secret-0123456789";
const HOOK_SECRET: &str = "whsec-test-4f1c9a";
const ACCESS_TOKEN: &str = "tok3n-that-must-never-print";

/// One answer of the server: a status and a body, maybe `Retry-After`, maybe a stall (the
/// request is held for 30 s, then refused: the client is killed meanwhile).
#[derive(Clone)]
struct Reply {
    status: u16,
    body: &'static str,
    retry_after: Option<u64>,
    stall: bool,
}

const OK: Reply = Reply {
    status: 200,
    body: r#"{"errcode":0,"errmsg":"ok"}"#,
    retry_after: None,
    stall: false,
};

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Received {
    robot: String,
    at: Instant,
    query: String,
    headers: HeaderMap,
    body: serde_json::Value,
    /// The platform's check passed (signature, image checksum).
    verified: bool,
    /// Answered with success.
    accepted: bool,
}

#[derive(Default)]
struct Platform {
    script: HashMap<String, VecDeque<Reply>>,
    received: Vec<Received>,
}

type Shared = Arc<Mutex<Platform>>;

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// What DingTalk does with a signed robot's request: `sign` must be base64 HMAC-SHA256 of
/// "timestamp\nsecret" keyed by the secret, and the timestamp within an hour of now.
fn dingtalk_ok(query: &str) -> bool {
    let pairs: HashMap<String, String> = url_pairs(query);
    let (Some(ts), Some(sign)) = (pairs.get("timestamp"), pairs.get("sign")) else {
        return false;
    };
    let expected =
        base64::engine::general_purpose::STANDARD.encode(hmac_sha256(DING_SECRET.as_bytes(), format!("{ts}\n{DING_SECRET}").as_bytes()));
    let now = chrono::Utc::now().timestamp_millis();
    let fresh = ts.parse::<i64>().is_ok_and(|t| (now - t).abs() < 3_600_000);
    pairs.get("access_token").map(String::as_str) == Some(ACCESS_TOKEN) && &expected == sign && fresh
}

fn url_pairs(query: &str) -> HashMap<String, String> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// WeCom: an image message's `md5` must be the MD5 of its decoded `base64`, at most 2 MB.
fn wecom_ok(query: &str, body: &serde_json::Value) -> bool {
    if url_pairs(query).get("key").map(String::as_str) != Some(ACCESS_TOKEN) {
        return false;
    }
    match body["msgtype"].as_str() {
        Some("markdown") => body["markdown"]["content"].as_str().is_some_and(|c| c.len() <= 4096),
        Some("image") => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(body["image"]["base64"].as_str().unwrap_or(""))
                .unwrap_or_default();
            !bytes.is_empty() && bytes.len() <= 2 << 20 && body["image"]["md5"].as_str() == Some(&hex::encode(md5::Md5::digest(&bytes)))
        }
        _ => false,
    }
}

/// The webhook's receiver: `X-Seimon-Signature` = `sha256=` hex HMAC of "timestamp.body".
fn webhook_ok(headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut signed = format!("{}.", header("x-seimon-timestamp")).into_bytes();
    signed.extend_from_slice(body);
    let expected = format!("sha256={}", hex::encode(hmac_sha256(HOOK_SECRET.as_bytes(), &signed)));
    !header("x-seimon-delivery").is_empty() && header("x-seimon-signature") == expected
}

async fn receive(
    State(platform): State<Shared>,
    UrlPath(robot): UrlPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = query.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let verified = match robot.as_str() {
        r if r.starts_with("ding") => dingtalk_ok(&query),
        r if r.starts_with("wecom") => wecom_ok(&query, &json),
        _ => webhook_ok(&headers, &body),
    };
    let reply = {
        let mut p = platform.lock().unwrap();
        let reply = p.script.get_mut(&robot).and_then(VecDeque::pop_front).unwrap_or(OK);
        p.received.push(Received {
            robot: robot.clone(),
            at: Instant::now(),
            query,
            headers,
            body: json,
            verified,
            accepted: false,
        });
        reply
    };
    if reply.stall {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if !verified {
        // what DingTalk says to a bad signature
        return (StatusCode::OK, r#"{"errcode":310000,"errmsg":"sign not match"}"#).into_response();
    }
    if reply.status == 200 {
        let mut p = platform.lock().unwrap();
        let last = p.received.iter_mut().rev().find(|r| r.robot == robot).expect("just pushed");
        last.accepted = true;
    }
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    if let Some(secs) = reply.retry_after {
        response.headers_mut().insert("retry-after", secs.to_string().parse().unwrap());
    }
    response
}

/// Starts the robots' platform on a free port of 127.0.0.1 with its script; with `tls`, over
/// HTTPS with a self-signed certificate for 127.0.0.1, whose PEM is returned (the robots
/// trust it by `ca_file`).
fn platform(script: &[(&str, Vec<Reply>)], tls: bool) -> (String, Shared, Option<String>) {
    let shared: Shared = Arc::default();
    for (robot, replies) in script {
        shared
            .lock()
            .unwrap()
            .script
            .insert(robot.to_string(), replies.iter().cloned().collect());
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let state = shared.clone();
    let cert = tls.then(|| rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap());
    let pem = cert.as_ref().map(|c| c.cert.pem());
    let acceptor = cert.map(|c| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = rustls::pki_types::PrivateKeyDer::try_from(c.signing_key.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![c.cert.der().clone()], key)
            .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route("/{robot}", axum::routing::post(receive))
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let Some(acceptor) = acceptor else {
                return axum::serve(listener, app).await.unwrap();
            };
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(tcp).await else { return };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    let scheme = if tls { "https" } else { "http" };
    (format!("{scheme}://{addr}"), shared, pem)
}

const CONFIG: &str = r#"
[console]
url = "https://seimon.example.gov.cn/"

[[robots]]
name = "ding"
kind = "dingtalk"
retry_base_secs = 1

[[robots]]
name = "wecom"
kind = "wecom"
retry_base_secs = 1

[[robots]]
name = "bad"
kind = "webhook"
secret_file = "hook.secret"

[[robots]]
name = "hook"
kind = "webhook"
secret_file = "hook.secret"
rate_limit = 2
rate_window_secs = 2

[[subscriptions]]
audience = "province"
robots = ["ding", "hook"]

[[subscriptions]]
audience = "city:340100"
robots = ["wecom", "hook"]

[[subscriptions]]
audience = "industry:NGIT"
robots = ["bad", "hook"]

[[subscriptions]]
audience = "city:340200"
robots = ["hook"]

[[subscriptions]]
audience = "industry:NEV"
robots = ["hook"]
"#;

/// A store with the data loaded, the configuration and the robots' URL files (the URLs
/// come from files and the environment, never from the configuration).
fn setup(base: &str, config: &str, ca: Option<&str>) -> (tempfile::TempDir, Vec<(String, String)>) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("seimon.toml"), config).unwrap();
    if let Some(pem) = ca {
        std::fs::write(tmp.path().join("ca.pem"), pem).unwrap();
    }
    std::fs::write(tmp.path().join("data.csv"), DATA).unwrap();
    std::fs::write(tmp.path().join("hook.secret"), format!("{HOOK_SECRET}\n")).unwrap();
    let env = vec![
        (
            "SEIMON_ROBOT__DING__URL".to_string(),
            format!("{base}/ding?access_token={ACCESS_TOKEN}"),
        ),
        ("SEIMON_ROBOT__DING__SECRET".to_string(), DING_SECRET.to_string()),
        ("SEIMON_ROBOT__WECOM__URL".to_string(), format!("{base}/wecom?key={ACCESS_TOKEN}")),
        ("SEIMON_ROBOT__BAD__URL".to_string(), format!("{base}/bad?token={ACCESS_TOKEN}")),
        ("SEIMON_ROBOT__HOOK__URL".to_string(), format!("{base}/hook?token={ACCESS_TOKEN}")),
        ("SEIMON_ROBOT__SLOW__URL".to_string(), format!("{base}/slow?token={ACCESS_TOKEN}")),
    ];
    let out = run(tmp.path(), &["ingest", "data.csv"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (tmp, env)
}

fn run(dir: &Path, args: &[&str], env: &[(String, String)]) -> std::process::Output {
    let mut all = vec!["--config", "seimon.toml"];
    all.extend_from_slice(args);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    seimon(dir, &all, &env)
}

fn received(shared: &Shared, robot: &str) -> Vec<Received> {
    shared
        .lock()
        .unwrap()
        .received
        .iter()
        .filter(|r| r.robot == robot)
        .cloned()
        .collect()
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

#[test]
fn robots_post_signed_cards_retry_429_and_500_kill_a_400_and_keep_their_rate() {
    let (base, shared, ca) = platform(
        &[
            (
                "ding",
                vec![Reply {
                    status: 500,
                    body: "internal error",
                    retry_after: None,
                    stall: false,
                }],
            ),
            (
                "wecom",
                vec![Reply {
                    status: 429,
                    body: "slow down",
                    retry_after: Some(1),
                    stall: false,
                }],
            ),
            (
                "bad",
                vec![Reply {
                    status: 400,
                    body: "unknown field `report`",
                    retry_after: None,
                    stall: false,
                }],
            ),
        ],
        true,
    );
    // every robot over HTTPS, trusting the platform's certificate by `ca_file`
    let config = CONFIG.replace("kind = ", "ca_file = \"ca.pem\"\nkind = ");
    let (tmp, env) = setup(&base, &config, ca.as_deref());
    let out = run(tmp.path(), &["recompute", "--period", "2025Q3", "--send"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let first_pass = stdout(&out) + &stderr(&out);

    // the first pass: the 500 and the 429 wait for their retry (and the WeCom chart behind
    // its card), the 400 is dead, the webhook's five posts went at two per two seconds
    assert_eq!(received(&shared, "ding").len(), 1);
    let wecom = received(&shared, "wecom");
    assert_eq!(wecom.len(), 1, "the chart waits behind its card");
    let hook = received(&shared, "hook");
    assert_eq!(hook.len(), 5, "one post per subscribed report");
    for w in hook.windows(3) {
        let span = w[2].at - w[0].at;
        assert!(
            span >= Duration::from_millis(1800),
            "three posts within {span:?}: the rate is 2 per 2 s"
        );
    }
    let list = stdout(&run(tmp.path(), &["outbox"], &env));
    let bad = list.lines().position(|l| l.contains("robot:bad")).expect("listed");
    assert!(list.lines().nth(bad).unwrap().contains("dead"), "{list}");
    assert!(
        list.lines()
            .nth(bad + 1)
            .unwrap()
            .contains("robot bad: HTTP 400 Bad Request: unknown field `report`"),
        "{list}"
    );
    assert!(
        list.contains("robot ding: HTTP 500 Internal Server Error: internal error"),
        "{list}"
    );
    assert!(list.contains("robot wecom: HTTP 429 Too Many Requests: slow down"), "{list}");

    // the retries fall due (1 s; the 429 asked for 1 s too): the next pass sends them
    std::thread::sleep(Duration::from_millis(1200));
    let out = run(tmp.path(), &["outbox", "send"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("sent 3, retrying 0, dead 0"), "{}", stdout(&out));

    // DingTalk: both requests signed; the card carries the province's headline figures,
    // its risks and the link to the report in the console
    let ding = received(&shared, "ding");
    assert_eq!(ding.len(), 2);
    assert!(
        ding.iter().all(|r| r.verified),
        "every request signed right: {:?}",
        ding.iter().map(|r| &r.query).collect::<Vec<_>>()
    );
    assert!(ding[1].accepted);
    let card = &ding[1].body["actionCard"];
    assert_eq!(ding[1].body["msgtype"], "actionCard");
    let text = card["text"].as_str().unwrap();
    // 345 亿元 and +15 % are the published TEN figures of Anhui in DATA
    assert!(text.contains("**345.00**") && text.contains("**15.0**"), "{text}");
    assert!(text.contains("本期计入风险"), "{text}");
    assert_eq!(card["singleURL"], "https://seimon.example.gov.cn/reports/2025Q3/report.html");
    assert_eq!(card["singleTitle"], "查看报告");

    // WeCom: card (refused, then taken), then the chart — in that order; the chart is the
    // city report's first chart, byte for byte, its MD5 right
    let wecom = received(&shared, "wecom");
    assert_eq!(wecom.len(), 3);
    assert!(wecom.iter().all(|r| r.verified));
    assert_eq!(wecom[1].body["msgtype"], "markdown");
    let content = wecom[1].body["markdown"]["content"].as_str().unwrap();
    assert!(content.contains("**112.00**") && content.contains("**12.0**"), "{content}");
    assert!(
        content.ends_with("(https://seimon.example.gov.cn/reports/2025Q3/city/340100.html)"),
        "{content}"
    );
    assert_eq!(wecom[2].body["msgtype"], "image");
    let image = base64::engine::general_purpose::STANDARD
        .decode(wecom[2].body["image"]["base64"].as_str().unwrap())
        .unwrap();
    assert!(is_png(&image));
    let html = std::fs::read_to_string(tmp.path().join("reports/2025Q3/city/340100.html")).unwrap();
    let first = html
        .split("src=\"../charts/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a chart");
    assert_eq!(image, std::fs::read(tmp.path().join("reports/2025Q3/charts").join(first)).unwrap());

    // the webhook: signed, one delivery id per post, the figures of each report
    assert!(hook.iter().all(|r| r.verified && r.accepted));
    let ids: std::collections::BTreeSet<_> = hook.iter().map(|r| r.headers["x-seimon-delivery"].clone()).collect();
    assert_eq!(ids.len(), 5);
    let province = hook.iter().find(|r| r.body["report"] == "province").expect("the province's post");
    assert_eq!(province.body["period"], "2025Q3");
    assert_eq!(province.body["headline"][0]["value"], "345.00");
    assert_eq!(province.body["headline"][1]["value"], "15.0");
    assert_eq!(province.body["url"], "https://seimon.example.gov.cn/reports/2025Q3/report.html");
    let hefei = hook.iter().find(|r| r.body["report"] == "city:340100").expect("Hefei's post");
    assert_eq!(hefei.body["headline"][0]["value"], "112.00");

    // nothing more to send; the same data again queue nothing
    let out = run(tmp.path(), &["outbox", "send"], &env);
    assert!(stdout(&out).contains("sent 0, retrying 0, dead 0"), "{}", stdout(&out));
    let before = shared.lock().unwrap().received.len();
    let again = run(tmp.path(), &["recompute", "--period", "2025Q3", "--send"], &env);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(shared.lock().unwrap().received.len(), before, "the same data post nothing twice");

    // the URLs' tokens and the secrets never show: not in output, not in the store, not in
    // the report folder
    let list = stdout(&run(tmp.path(), &["outbox"], &env));
    for secret in [ACCESS_TOKEN, DING_SECRET, HOOK_SECRET] {
        for (what, text) in [("the first pass", &first_pass), ("the outbox", &list)] {
            assert!(!text.contains(secret), "{what} shows a secret: {text}");
        }
        let db = std::fs::read(tmp.path().join("data/seimon.db")).unwrap();
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the store holds a secret"
        );
        for entry in walk(&tmp.path().join("reports")) {
            let bytes = std::fs::read(&entry).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a secret",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_sender_killed_mid_post_resumes_and_no_post_is_taken_twice() {
    let config = r#"
[[robots]]
name = "slow"
kind = "webhook"
secret_file = "hook.secret"
timeout_secs = 60

[[subscriptions]]
audience = "province"
robots = ["slow"]

[[subscriptions]]
audience = "city:340100"
robots = ["slow"]

[[subscriptions]]
audience = "city:340200"
robots = ["slow"]
"#;
    let stall = Reply {
        status: 200,
        body: "",
        retry_after: None,
        stall: true,
    };
    let (base, shared, _) = platform(&[("slow", vec![OK, stall])], false);
    let (tmp, env) = setup(&base, config, None);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_seimon"));
    cmd.current_dir(tmp.path())
        .args(["--config", "seimon.toml", "recompute", "--period", "2025Q3", "--send"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // the first post taken, the second held by the server: kill the sender there
    let deadline = Instant::now() + Duration::from_secs(120);
    while received(&shared, "slow").len() < 2 {
        assert!(Instant::now() < deadline, "the second post never arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let list = stdout(&run(tmp.path(), &["outbox"], &env));
    assert_eq!(list.matches(" sending ").count(), 1, "killed while posting: {list}");

    // restart: the dead sender's lease is taken over at once; the rest go, none twice
    let out = run(tmp.path(), &["outbox", "send"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("sent 2, retrying 0, dead 0"), "{}", stdout(&out));
    let got = received(&shared, "slow");
    assert_eq!(got.len(), 4, "1 taken + 1 cut short + 2 after the restart");
    let mut taken: HashMap<String, usize> = HashMap::new();
    for r in got.iter().filter(|r| r.accepted) {
        *taken
            .entry(r.headers["x-seimon-delivery"].to_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(taken.len(), 3, "every report's post taken: {taken:?}");
    assert!(taken.values().all(|&n| n == 1), "none taken twice: {taken:?}");
    // the post cut short went again with the same delivery id (a receiver can tell)
    assert_eq!(got[1].headers["x-seimon-delivery"], got[2].headers["x-seimon-delivery"]);
    let list = stdout(&run(tmp.path(), &["outbox"], &env));
    assert_eq!(list.matches(" sent ").count(), 3, "{list}");
}
