//! Delivery against a real SMTP server on 127.0.0.1 (mailin-embedded, in the test
//! process): the messages that arrive are read back — headers, HTML, inline PNGs, the
//! workbook; a rejected recipient; a server down and then up; a server that never answers.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use mail_parser::{MessageParser, MimeHeaders};
use mailin_embedded::response::{NO_MAILBOX, OK, START_DATA};
use mailin_embedded::{Handler, Response, Server, SslConfig};

use crate::support::{Daemon, seimon, stderr, stdout};

/// What arrived: (recipients, message bytes).
type Inbox = Arc<Mutex<Vec<(Vec<String>, Vec<u8>)>>>;

/// Every recipient of every message that arrived, sorted (one entry per delivery).
fn recipients(inbox: &Inbox) -> Vec<String> {
    let mut to: Vec<String> = inbox.lock().unwrap().iter().flat_map(|(to, _)| to.clone()).collect();
    to.sort();
    to
}

/// The four subscribers of the test configuration, sorted.
const SUBSCRIBERS: [&str; 4] = [
    "hefei@example.org",
    "leader1@example.org",
    "leader2@example.org",
    "ngit@example.org",
];

#[derive(Clone)]
struct Capture {
    inbox: Inbox,
    reject: Vec<String>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Capture {
    fn rcpt(&mut self, to: &str) -> Response {
        if self.reject.iter().any(|r| to.contains(r.as_str())) {
            NO_MAILBOX
        } else {
            OK
        }
    }
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        START_DATA
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        self.inbox.lock().unwrap().push((self.to.clone(), std::mem::take(&mut self.data)));
        OK
    }
}

impl Capture {
    /// A handler that keeps what arrives in `inbox`, rejecting the addresses in `reject`.
    fn new(inbox: &Inbox, reject: &[&str]) -> Capture {
        Capture {
            inbox: inbox.clone(),
            reject: reject.iter().map(|s| s.to_string()).collect(),
            to: vec![],
            data: vec![],
        }
    }
}

/// Serves `handler` over plain SMTP on `listener`, with `threads` connections at once.
fn serve_smtp<H: Handler + Clone + Send + 'static>(listener: TcpListener, handler: H, threads: u32) {
    let mut server = Server::new(handler);
    server
        .with_name("test.local")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_num_threads(threads)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
}

/// Starts an SMTP server on `listener` that rejects the addresses in `reject`.
fn smtp_server(listener: TcpListener, reject: &[&str]) -> Inbox {
    let inbox: Inbox = Arc::default();
    serve_smtp(listener, Capture::new(&inbox, reject), 4);
    inbox
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// A small quarter: Anhui and Hefei, 2024Q3 and 2025Q3 (the robots' tests load it too).
pub(crate) const DATA: &str = "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date
2024Q3,340000,TOTAL,operating_income,800,亿元,,2024-10-20
2025Q3,340000,TOTAL,operating_income,840,亿元,5,2025-10-20
2024Q3,340000,TEN,operating_income,300,亿元,,2024-10-20
2025Q3,340000,TEN,operating_income,345,亿元,15,2025-10-20
2024Q3,340100,TEN,operating_income,100,亿元,,2024-10-20
2025Q3,340100,TEN,operating_income,112,亿元,12,2025-10-20
";

fn config(port: u16, extra: &str) -> String {
    format!(
        r#"
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "产业监测 <monitor@example.org>"
timeout_secs = 2
retry_base_secs = 60
max_attempts = 3

[[subscriptions]]
audience = "province"
to = ["leader1@example.org", "leader2@example.org"]

[[subscriptions]]
audience = "city:340100"
to = ["hefei@example.org"]
attachments = ["xlsx", "pdf"]

[[subscriptions]]
audience = "industry:NGIT"
to = ["ngit@example.org"]
{extra}
"#
    )
}

fn setup(port: u16, extra: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("seimon.toml"), config(port, extra)).unwrap();
    std::fs::write(tmp.path().join("data.csv"), DATA).unwrap();
    let out = seimon(tmp.path(), &["--config", "seimon.toml", "ingest", "data.csv"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    tmp
}

fn send(dir: &std::path::Path) -> std::process::Output {
    seimon(dir, &["--config", "seimon.toml", "recompute", "--period", "2025Q3", "--send"], &[])
}

fn png_ok(bytes: &[u8]) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut buf).expect("decodes");
    assert!(buf.chunks(3).filter(|p| p != &[255, 255, 255]).count() > 1000, "not blank");
}

#[test]
fn a_quarters_mails_arrive_once_per_subscriber() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = smtp_server(listener, &[]);
    let tmp = setup(port, "");
    let out = send(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("e-mails: 4 sent — reports/2025Q3/mail"), "{}", stdout(&out));

    assert_eq!(recipients(&inbox), SUBSCRIBERS, "one message per subscriber");
    let arrived = inbox.lock().unwrap().clone();
    for (rcpt, raw) in &arrived {
        let mail = MessageParser::default().parse(raw).expect("MIME");
        let subject = mail.subject().unwrap();
        match rcpt[0].as_str() {
            "hefei@example.org" => assert_eq!(subject, "【合肥市十大新兴产业监测季报】2025年1-9月"),
            "ngit@example.org" => assert_eq!(subject, "【安徽省新一代信息技术产业监测季报】2025年1-9月"),
            _ => assert_eq!(subject, "【安徽省十大新兴产业监测季报】2025年1-9月"),
        }
        assert_eq!(mail.from().and_then(|f| f.first()).and_then(|a| a.name()), Some("产业监测"));
        assert!(
            mail.message_id().is_some_and(|id| id.ends_with("@example.org")),
            "the sender's domain"
        );
        let html = mail.body_html(0).unwrap();
        let cids: Vec<&str> = html.split("src=\"cid:").skip(1).map(|s| s.split('"').next().unwrap()).collect();
        assert!(cids.len() >= 2, "{cids:?}");
        for cid in cids {
            let part = mail
                .parts
                .iter()
                .find(|p| p.content_id() == Some(cid))
                .unwrap_or_else(|| panic!("no part <{cid}>"));
            png_ok(part.contents());
        }
        let xlsx = mail
            .attachments()
            .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".xlsx")))
            .expect("the workbook is attached");
        assert!(
            xlsx.attachment_name().unwrap().contains("监测季报-2025Q3"),
            "a Chinese file name, decoded: {:?}",
            xlsx.attachment_name()
        );
        use calamine::Reader;
        let book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.contents().to_vec())).expect("the attachment is a workbook");
        assert!(!book.sheet_names().is_empty());
        // the PDF to whoever's subscription asks for it: the archived report.pdf itself
        let pdf = mail
            .attachments()
            .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".pdf")));
        if rcpt[0] == "hefei@example.org" {
            let pdf = pdf.expect("the PDF is attached");
            assert_eq!(
                pdf.content_type().map(|c| (c.ctype(), c.subtype())),
                Some(("application", Some("pdf")))
            );
            assert_eq!(pdf.attachment_name(), Some("合肥市十大新兴产业监测季报-2025Q3.pdf"));
            let archived = std::fs::read(tmp.path().join("reports/2025Q3/city/340100.pdf")).unwrap();
            assert_eq!(pdf.contents(), archived.as_slice(), "the archived PDF, byte for byte");
        } else {
            assert!(pdf.is_none(), "no PDF unless the subscription asks for it");
        }
    }

    // The same data again: the outbox knows these messages; nothing new is sent.
    let out = send(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        inbox.lock().unwrap().len(),
        4,
        "re-running a quarter whose data did not change sends nothing new"
    );
}

#[test]
fn one_rejected_recipient_does_not_stop_the_others() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = smtp_server(listener, &["leader2@"]);
    let tmp = setup(port, "");
    let out = send(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(inbox.lock().unwrap().len(), 3, "the other three arrive");
    let out = seimon(tmp.path(), &["--config", "seimon.toml", "outbox"], &[]);
    let list = stdout(&out);
    let line = list.lines().position(|l| l.contains("leader2@example.org")).unwrap();
    assert!(list.lines().nth(line).unwrap().contains("dead"), "{list}");
    assert!(list.lines().nth(line + 1).unwrap().contains("550"), "the reason is kept: {list}");
}

#[test]
fn the_console_shows_a_dead_message_with_its_reason_and_retries_it() {
    use crate::console::{request, set_cookie, sign_in, user};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = smtp_server(listener, &["hefei@"]);
    let tmp = setup(port, "");
    let out = send(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(inbox.lock().unwrap().len(), 3, "the other three arrive");
    let env = [
        ("SEIMON_CONFIG", "seimon.toml"),
        ("SEIMON_API__TOKEN", "outbox-console-token"),
        ("SEIMON_API__LISTEN", "127.0.0.1:0"),
        // the daemon's own outbox pass must not resend before the console has retried
        ("SEIMON_SMTP__RETRY_BASE_SECS", "3600"),
    ];
    let out = user(tmp.path(), &["add", "li", "--role", "analyst"], "li-analyst-pass", &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let daemon = Daemon::start(tmp.path(), &env);
    let (status, head) = sign_in(&daemon.addr, "li", "li-analyst-pass");
    assert_eq!(status, 303, "{head}");
    let cookie = format!("seimon_session={}", set_cookie(&head, "seimon_session").unwrap());
    let (status, _, page) = request(&daemon.addr, "GET", "/outbox", &[("Cookie", &cookie)], "");
    assert_eq!(status, 200);
    // the dead message first, with the server's reason and a retry button
    let rows: Vec<&str> = page.split("<tr").skip(2).collect();
    assert!(
        rows[0].contains("hefei@example.org") && rows[0].contains("550") && rows[0].contains("/outbox/retry"),
        "{}",
        rows[0]
    );
    assert_eq!(page.matches("/outbox/retry").count(), 1, "only a dead message can be retried");
    let id = rows[0].split("name=\"id\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let form = |csrf: &str| format!("id={id}&csrf={csrf}");
    let post = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(request(&daemon.addr, "POST", "/outbox/retry", &post, &form("forged")).0, 403);
    assert_eq!(request(&daemon.addr, "POST", "/outbox/retry", &post, &form(csrf)).0, 303);
    assert_eq!(
        request(&daemon.addr, "POST", "/outbox/retry", &post, &form(csrf)).0,
        409,
        "a message no longer dead is not retried twice"
    );
    drop(daemon);
    let store = seimon::store::Store::open(&tmp.path().join("data")).unwrap();
    let message = store
        .outbox()
        .unwrap()
        .into_iter()
        .find(|m| m.recipient.contains("hefei@"))
        .unwrap();
    assert_eq!(message.state, seimon::store::OutboxState::Pending, "back in the queue");
    let audit = store.audit_log(50).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.account == "li" && a.action == "outbox retry" && a.detail == format!("message {id}")),
        "{audit:?}"
    );
}

#[test]
fn a_server_down_at_first_gets_every_message_exactly_once_later() {
    let addr = free_port();
    let tmp = setup(addr.port(), "");
    let out = send(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("pending"), "queued for a retry: {}", stdout(&out));

    // The server comes up; the worker's next pass (an hour later) delivers everything.
    let inbox = smtp_server(TcpListener::bind(addr).unwrap(), &[]);
    let settings = seimon::config::load(Some(&tmp.path().join("seimon.toml")), std::iter::empty()).unwrap();
    let settings = seimon::config::Settings {
        paths: seimon::config::Paths {
            data: tmp.path().join("data"),
            ..settings.paths.clone()
        },
        ..settings
    };
    let app = seimon::pipeline::Seimon::open(settings).unwrap();
    let smtp = app.settings.smtp.clone().unwrap();
    // lettre's pooled transport lives in a Tokio runtime
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _inside = runtime.enter();
    let sender = seimon::deliver::SmtpSender::new(&smtp).unwrap();
    let policy = seimon::deliver::RetryPolicy {
        base: smtp.retry_base,
        max_attempts: smtp.max_attempts,
    };
    let channels = seimon::deliver::Channels {
        smtp: Some((&sender, policy)),
        robots: &[],
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    // The first pass tried one message, found the server down and left the other three
    // untouched: those go at once; the one tried waits for its backoff.
    let too_early = runtime
        .block_on(seimon::deliver::drain(&app.store, &channels, chrono::Utc::now(), &shutdown))
        .unwrap();
    assert_eq!(
        too_early.sent, 3,
        "the untouched ones at once, the one tried not before its backoff"
    );
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let report = runtime
        .block_on(seimon::deliver::drain(&app.store, &channels, later, &shutdown))
        .unwrap();
    assert_eq!(
        report,
        seimon::deliver::DrainReport {
            sent: 1,
            retrying: 0,
            dead: 0
        }
    );
    let again = runtime
        .block_on(seimon::deliver::drain(
            &app.store,
            &channels,
            later + chrono::Duration::hours(1),
            &shutdown,
        ))
        .unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(inbox.lock().unwrap().len(), 4, "each message exactly once");
}

#[test]
fn a_server_that_never_answers_times_out_and_is_retried() {
    // accepts connections, says nothing
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in silent.incoming().flatten() {
            keep.lock().unwrap().push(stream);
        }
    });
    let tmp = setup(port, "");
    let started = std::time::Instant::now();
    let out = send(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "bounded by the timeout, not hung"
    );
    let list = stdout(&seimon(tmp.path(), &["--config", "seimon.toml", "outbox"], &[]));
    assert_eq!(list.matches("pending").count(), 4, "{list}");
    assert!(list.contains("no answer within 2 s"), "{list}");
    // the server is down: one message tried, the rest wait for the next pass untouched
    assert_eq!(list.matches("attempts 1").count(), 1, "{list}");
    assert_eq!(list.matches("attempts 0").count(), 3, "{list}");
}

#[derive(Clone)]
struct Authenticating {
    inner: Capture,
    authenticated: Arc<Mutex<bool>>,
}

impl Handler for Authenticating {
    fn auth_plain(&mut self, _authorization_id: &str, authentication_id: &str, password: &str) -> Response {
        let ok = authentication_id == "reports" && password == "s3cret-relay-password";
        *self.authenticated.lock().unwrap() = ok;
        if ok {
            mailin_embedded::response::AUTH_OK
        } else {
            mailin_embedded::response::INVALID_CREDENTIALS
        }
    }
    fn rcpt(&mut self, to: &str) -> Response {
        self.inner.rcpt(to)
    }
    fn data_start(&mut self, domain: &str, from: &str, is8bit: bool, to: &[String]) -> Response {
        if !*self.authenticated.lock().unwrap() {
            return mailin_embedded::response::AUTHENTICATION_REQUIRED;
        }
        self.inner.data_start(domain, from, is8bit, to)
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.data(buf)
    }
    fn data_end(&mut self) -> Response {
        self.inner.data_end()
    }
}

#[test]
fn starttls_with_auth_and_a_self_signed_certificate() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (tmp.path().join("relay.pem"), tmp.path().join("relay.key"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let handler = Authenticating {
        inner: Capture {
            inbox: inbox.clone(),
            reject: vec![],
            to: vec![],
            data: vec![],
        },
        authenticated: Arc::default(),
    };
    let mut server = Server::new(handler);
    server
        .with_name("localhost")
        .with_ssl(SslConfig::SelfSigned {
            cert_path: cert_path.display().to_string(),
            key_path: key_path.display().to_string(),
        })
        .unwrap()
        .with_auth(mailin_embedded::AuthMechanism::Plain)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });

    let config = config(port, "").replace("host = \"127.0.0.1\"", "host = \"localhost\"").replace(
        "security = \"none\"",
        &format!(
            "security = \"starttls\"\nusername = \"reports\"\nca_file = \"{}\"",
            cert_path.display()
        ),
    );
    std::fs::write(tmp.path().join("seimon.toml"), config).unwrap();
    std::fs::write(tmp.path().join("data.csv"), DATA).unwrap();
    let env = [("SEIMON_SMTP__PASSWORD", "s3cret-relay-password")];
    let out = seimon(tmp.path(), &["--config", "seimon.toml", "ingest", "data.csv"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = seimon(
        tmp.path(),
        &["--config", "seimon.toml", "recompute", "--period", "2025Q3", "--send"],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        inbox.lock().unwrap().len(),
        4,
        "delivered over STARTTLS after AUTH: {}",
        stdout(&out)
    );
    for text in [
        stdout(&out),
        stderr(&out),
        std::fs::read_to_string(tmp.path().join("reports/2025Q3/manifest.json")).unwrap(),
    ] {
        assert!(!text.contains("s3cret-relay-password"), "the password never appears");
    }

    // Revised data (a new vintage, so new messages) sent with the wrong password: the
    // server refuses the login; the messages die with the reason, and no password shows.
    std::fs::write(tmp.path().join("revision.csv"), "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date\n2025Q3,340000,TEN,operating_income,346,亿元,15.2,2025-11-05\n").unwrap();
    let out = seimon(tmp.path(), &["--config", "seimon.toml", "ingest", "revision.csv"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let wrong = [("SEIMON_SMTP__PASSWORD", "wrong-password-123")];
    let out = seimon(
        tmp.path(),
        &["--config", "seimon.toml", "recompute", "--period", "2025Q3", "--send"],
        &wrong,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(inbox.lock().unwrap().len(), 4, "nothing arrives without a login");
    let list = stdout(&seimon(tmp.path(), &["--config", "seimon.toml", "outbox"], &wrong));
    assert_eq!(list.matches("dead").count(), 4, "{list}");
    assert!(list.contains("535"), "the server's refusal is the reason: {list}");
    assert!(
        !list.contains("wrong-password-123")
            && !stderr(&out).contains("wrong-password-123")
            && !stdout(&out).contains("wrong-password-123")
    );
}

/// A server that stalls in the middle of the third message's data, as a slow link would.
#[derive(Clone)]
struct Stalling {
    inner: Capture,
    started: Arc<Mutex<usize>>,
    stall: bool,
}

impl Handler for Stalling {
    fn rcpt(&mut self, to: &str) -> Response {
        self.inner.rcpt(to)
    }
    fn data_start(&mut self, domain: &str, from: &str, is8bit: bool, to: &[String]) -> Response {
        let mut n = self.started.lock().unwrap();
        *n += 1;
        self.stall = *n == 3;
        self.inner.data_start(domain, from, is8bit, to)
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if std::mem::take(&mut self.stall) {
            std::thread::sleep(std::time::Duration::from_secs(20));
        }
        self.inner.data(buf)
    }
    fn data_end(&mut self) -> Response {
        self.inner.data_end()
    }
}

#[test]
fn killed_after_sending_half_the_rest_goes_out_on_restart_and_none_twice() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let handler = Stalling {
        inner: Capture::new(&inbox, &[]),
        started: Arc::default(),
        stall: false,
    };
    serve_smtp(listener, handler, 4);
    let tmp = setup(port, "");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_seimon"))
        .current_dir(tmp.path())
        .args(["--config", "seimon.toml", "recompute", "--period", "2025Q3", "--send"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // wait until two messages have arrived and the third is under way, then kill
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while inbox.lock().unwrap().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the first two messages never arrived");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(inbox.lock().unwrap().len(), 2, "killed in the middle of the third");

    // restart: the outbox worker sends what was not accepted
    let out = seimon(tmp.path(), &["--config", "seimon.toml", "outbox", "send"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("sent 2, retrying 0, dead 0"), "{}", stdout(&out));
    assert_eq!(recipients(&inbox), SUBSCRIBERS, "each exactly once");
    let list = stdout(&seimon(tmp.path(), &["--config", "seimon.toml", "outbox"], &[]));
    assert_eq!(list.matches(" sent ").count(), 4, "{list}");
}

#[test]
fn revised_data_make_a_correction_that_says_what_changed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = smtp_server(listener, &[]);
    let tmp = setup(port, "");
    assert_eq!(send(tmp.path()).status.code(), Some(0));
    assert_eq!(inbox.lock().unwrap().len(), 4);

    // the province's ten-industry income is revised: 345 → 350, growth 15 → 16.6
    std::fs::write(tmp.path().join("revision.csv"), "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date\n2025Q3,340000,TEN,operating_income,350,亿元,16.6,2025-11-05\n").unwrap();
    assert_eq!(
        seimon(tmp.path(), &["--config", "seimon.toml", "ingest", "revision.csv"], &[])
            .status
            .code(),
        Some(0)
    );

    // a recompute shows what changed, and sends nothing by itself
    let out = seimon(tmp.path(), &["--config", "seimon.toml", "recompute", "--period", "2025Q3"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("changed since the previous run of 2025Q3"), "{text}");
    assert!(text.contains("340000 TEN operating_income yoy_pct: 15 → 16.6"), "{text}");
    assert_eq!(inbox.lock().unwrap().len(), 4, "no --send, nothing sent");

    // sending the new version is explicit, and the mail says it is a correction
    assert_eq!(send(tmp.path()).status.code(), Some(0));
    let arrived = inbox.lock().unwrap().clone();
    assert_eq!(arrived.len(), 8, "the corrected version goes to each reader once");
    let leader: Vec<_> = arrived.iter().filter(|(to, _)| to[0] == "leader1@example.org").collect();
    let mail = MessageParser::default().parse(&leader[1].1).unwrap();
    assert_eq!(mail.subject(), Some("【更正】【安徽省十大新兴产业监测季报】2025年1-9月"));
    let html = mail.body_html(0).unwrap();
    assert!(html.contains("更正：本期数据已修订，本报告替代"), "the banner");
    assert!(html.contains("安徽省十大新兴产业营业收入同比增长(%) 15.00 → 16.60"), "what changed");
    let first = MessageParser::default().parse(&leader[0].1).unwrap();
    assert_ne!(first.message_id(), mail.message_id(), "a new version is a new message");
}

#[test]
fn the_daemon_sends_what_the_outbox_holds() {
    // a quarter sent while the relay was down: four messages wait in the outbox
    let addr = free_port();
    let tmp = setup(addr.port(), "");
    let fast = [("SEIMON_SMTP__RETRY_BASE_SECS", "1")];
    let out = seimon(
        tmp.path(),
        &["--config", "seimon.toml", "recompute", "--period", "2025Q3", "--send"],
        &fast,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let inbox = smtp_server(TcpListener::bind(addr).unwrap(), &[]);
    std::thread::sleep(std::time::Duration::from_millis(1500)); // past the one-second backoff

    // the daemon's outbox sender delivers them when it starts
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_seimon"))
        .current_dir(tmp.path())
        .args(["--config", "seimon.toml", "serve"])
        .env("RUST_LOG", "warn")
        .env("SEIMON_API__TOKEN", "t")
        .env("SEIMON_API__LISTEN", "127.0.0.1:0")
        .env("SEIMON_SMTP__RETRY_BASE_SECS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while inbox.lock().unwrap().len() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(daemon.wait().unwrap().code(), Some(0));
    assert_eq!(recipients(&inbox), SUBSCRIBERS, "each once");
    let list = stdout(&seimon(tmp.path(), &["--config", "seimon.toml", "outbox", "list"], &[]));
    assert_eq!(list.matches(" sent ").count(), 4, "{list}");
}

/// A server that takes `delay` to accept each message, as a loaded relay does.
#[derive(Clone)]
struct Slow {
    inner: Capture,
    delay: std::time::Duration,
}

impl Handler for Slow {
    fn rcpt(&mut self, to: &str) -> Response {
        self.inner.rcpt(to)
    }
    fn data_start(&mut self, domain: &str, from: &str, is8bit: bool, to: &[String]) -> Response {
        self.inner.data_start(domain, from, is8bit, to)
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.data(buf)
    }
    fn data_end(&mut self) -> Response {
        std::thread::sleep(self.delay);
        self.inner.data_end()
    }
}

/// A bare SMTP server that thinks `delay` over each message and then defers it (451);
/// returns how many messages it was offered.
fn deferring_server(listener: TcpListener, delay: std::time::Duration) -> Arc<Mutex<usize>> {
    use std::io::{BufRead, Write};
    let offered = Arc::new(Mutex::new(0));
    let count = offered.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut lines = std::io::BufReader::new(stream);
                let _ = out.write_all(b"220 deferring ESMTP\r\n");
                let mut line = String::new();
                while lines.read_line(&mut line).unwrap_or(0) > 0 {
                    let cmd = line.trim_end().to_ascii_uppercase();
                    let answer: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-deferring\r\n250 8BITMIME\r\n"
                    } else if cmd == "DATA" {
                        let _ = out.write_all(b"354 go on\r\n");
                        let mut body = String::new();
                        while body != ".\r\n" && lines.read_line(&mut body).unwrap_or(0) > 0 {
                            if body != ".\r\n" {
                                body.clear();
                            }
                        }
                        *count.lock().unwrap() += 1;
                        std::thread::sleep(delay);
                        b"451 4.3.0 try again later\r\n"
                    } else if cmd == "QUIT" {
                        let _ = out.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = out.write_all(answer);
                    line.clear();
                }
            });
        }
    });
    offered
}

#[test]
fn a_pass_takes_each_message_once_however_short_the_backoff() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let offered = deferring_server(listener, std::time::Duration::from_millis(700));
    let tmp = setup(port, "");
    // a second's backoff: the first message falls due again while the pass sends the fourth
    let out = seimon(
        tmp.path(),
        &["--config", "seimon.toml", "recompute", "--period", "2025Q3", "--send"],
        &[("SEIMON_SMTP__RETRY_BASE_SECS", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout(&seimon(tmp.path(), &["--config", "seimon.toml", "outbox"], &[]));
    assert_eq!(list.matches(" pending ").count(), 4, "deferred, none used up in one pass: {list}");
    assert_eq!(list.matches("attempts 1").count(), 4, "{list}");
    assert!(list.contains("451"), "{list}");
    assert_eq!(*offered.lock().unwrap(), 4);
}

#[test]
fn two_senders_at_once_deliver_each_message_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let handler = Slow {
        inner: Capture::new(&inbox, &[]),
        delay: std::time::Duration::from_millis(1200),
    };
    serve_smtp(listener, handler, 4);
    let tmp = setup(port, "");
    // the quarter's four messages queued while the relay was unreachable: the first tried
    // and given up at once, the pass ended there (the server was down) and the other three
    // untouched
    let dead = free_port().port().to_string();
    let out = seimon(
        tmp.path(),
        &["--config", "seimon.toml", "recompute", "--period", "2025Q3", "--send"],
        &[("SEIMON_SMTP__PORT", &dead), ("SEIMON_SMTP__MAX_ATTEMPTS", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout(&seimon(tmp.path(), &["--config", "seimon.toml", "outbox"], &[]));
    assert_eq!(
        (list.matches(" dead ").count(), list.matches(" pending ").count()),
        (1, 3),
        "{list}"
    );

    // one process retries them; 0.6 s later, in the middle of its second message, another
    // sends what is due: each takes what the other has not leased
    let spawn = |action: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_seimon"))
            .current_dir(tmp.path())
            .args(["--config", "seimon.toml", "outbox", action])
            .env("RUST_LOG", "warn")
            .output()
    };
    let (first, second) = std::thread::scope(|s| {
        let first = s.spawn(|| spawn("retry").unwrap());
        std::thread::sleep(std::time::Duration::from_millis(1800));
        let second = s.spawn(|| spawn("send").unwrap());
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(
        (first.status.code(), second.status.code()),
        (Some(0), Some(0)),
        "{}{}",
        stderr(&first),
        stderr(&second)
    );
    assert_eq!(recipients(&inbox), SUBSCRIBERS, "each message received exactly once");
    let sent = |o: &std::process::Output| -> usize {
        let text = stdout(o);
        let n = text.split("sent ").nth(1).and_then(|r| r.split(',').next()).unwrap_or("0");
        n.trim().parse().unwrap_or_else(|_| panic!("{text}"))
    };
    assert_eq!(sent(&first) + sent(&second), 4, "{}\n{}", stdout(&first), stdout(&second));
    assert!(
        sent(&second) >= 1,
        "the second sender took messages the first had not: {}",
        stdout(&second)
    );
    let list = stdout(&seimon(tmp.path(), &["--config", "seimon.toml", "outbox"], &[]));
    assert_eq!(list.matches(" sent ").count(), 4, "{list}");
}

#[test]
fn the_archive_keeps_its_configured_runs_and_always_the_one_that_was_sent() {
    let addr = free_port();
    let inbox = smtp_server(TcpListener::bind(addr).unwrap(), &[]);
    let tmp = setup(addr.port(), "");
    let out = send(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(inbox.lock().unwrap().len(), 4);
    let manifest = |dir: &std::path::Path| -> String {
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        json["run_id"].as_str().unwrap().to_string()
    };
    let reports = tmp.path().join("reports");
    let sent = manifest(&reports.join("2025Q3"));
    let keep = [("SEIMON_ARCHIVE__KEEP_RUNS", "2")];
    let mut ids = vec![sent.clone()];
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(1100)); // run ids order by the second
        let out = seimon(tmp.path(), &["--config", "seimon.toml", "recompute", "--period", "2025Q3"], &keep);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        ids.push(manifest(&reports.join("2025Q3")));
    }
    let mut folders: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("2025Q3"))
        .collect();
    folders.sort();
    // the current run, the one before it (two in all), and the run whose e-mails went out
    let mut expected = vec!["2025Q3".to_string(), format!("2025Q3.{}", ids[0]), format!("2025Q3.{}", ids[2])];
    expected.sort();
    assert_eq!(folders, expected, "runs: {ids:?}");
    assert_eq!(manifest(&reports.join("2025Q3")), ids[3]);

    // a run that died mid-way left its staging folder and its record `running`: the next
    // command that opens the store cleans both up
    let store = seimon::store::Store::open(&tmp.path().join("data")).unwrap();
    store
        .start_run(
            "20260101T000000-deadbeef",
            seimon::model::period::Period::new(2025, 3).unwrap(),
            "cli",
            None,
        )
        .unwrap();
    drop(store);
    let staging = reports.join(".staging/20260101T000000-deadbeef");
    std::fs::create_dir_all(staging.join("charts")).unwrap();
    std::fs::write(staging.join("indicators.csv"), "half").unwrap();
    let out = seimon(tmp.path(), &["--config", "seimon.toml", "outbox"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!staging.exists(), "the staging leftover is removed");
    let store = seimon::store::Store::open(&tmp.path().join("data")).unwrap();
    let run = store.run("20260101T000000-deadbeef").unwrap().unwrap();
    assert_eq!(
        (run.state.as_str(), run.error.as_deref()),
        ("failed", Some("interrupted: the process stopped during the run"))
    );
}
