//! The command line's contract: configuration errors with file and line (exit 2), usage
//! errors (exit 2), secrets never printed, a clear error on an empty store.

use crate::support::{seimon, stderr, stdout};

#[test]
fn check_config_accepts_the_built_in_defaults_and_the_shipped_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = seimon(dir.path(), &["check-config"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("built-in defaults: configuration is valid"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("e-mail written as .eml files"), "{}", stdout(&out));

    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config/seimon.toml");
    let out = seimon(dir.path(), &["--config", shipped, "check-config"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("catalogue anhui-2021 (12 industries, 136 regions, 4 chains with 12 segments)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_config_names_file_line_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[paths]\ndata = \"d\"\n\n[[subscriptions]]\naudience = \"city:340100\"\nto = [\"a@example.org\"]\n\n[[subscriptions]]\naudience = \"industry:XYZ\"\nto = [\"b@example.org\"]\n\n[schedule]\ntimezone = \"Mars/Olympus\"\nreport = \"0 9 25 1,4,7,10 *\"\noutbox = \"0 */5 * * * Funday\"\ndeadline_days = 400\n";
    std::fs::write(dir.path().join("bad.toml"), text).unwrap();
    let out = seimon(dir.path(), &["--config", "bad.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml:9:12: subscriptions[1].audience: unknown industry code `XYZ` (not in catalogue anhui-2021)"),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:13:12: schedule.timezone: unknown time zone `Mars/Olympus`"),
        "{err}"
    );
    // a classic five-field cron line: the schedule needs seconds first
    assert!(
        err.contains("bad.toml:14:10: schedule.report: `0 9 25 1,4,7,10 *`: 5 fields; a schedule needs 6 or 7, seconds first"),
        "{err}"
    );
    assert!(err.contains("bad.toml:15:10: schedule.outbox: `0 */5 * * * Funday`"), "{err}");
    assert!(
        err.contains("bad.toml:16:17: schedule.deadline_days: 400 days: a report waits for its data between 0 and 92 days"),
        "{err}"
    );

    std::fs::write(dir.path().join("syntax.toml"), "[paths]\ndata = \"d\n").unwrap();
    let out = seimon(dir.path(), &["--config", "syntax.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("syntax.toml:2:"), "{}", stderr(&out));

    std::fs::write(dir.path().join("typo.toml"), "[paths]\ndta = \"d\"\n").unwrap();
    let out = seimon(dir.path(), &["--config", "typo.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("typo.toml:2:1: unknown field `dta`"), "{}", stderr(&out));

    let out = seimon(dir.path(), &["--config", "missing.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the configuration file missing.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn environment_overrides_are_validated_and_secrets_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "s3cr3t-passw0rd-do-not-print";
    let out = seimon(
        dir.path(),
        &["check-config"],
        &[
            ("SEIMON_MONITOR__REGION", "990000"),
            ("SEIMON_SMTP__PASSWORD", secret),
            ("SEIMON_API__TOKEN", secret),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("environment variable SEIMON_MONITOR__REGION: monitor.region: unknown region code `990000`"),
        "{err}"
    );
    assert!(!err.contains(secret) && !stdout(&out).contains(secret));

    std::fs::write(
        dir.path().join("smtp.toml"),
        "[smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\nusername = \"u\"\n",
    )
    .unwrap();
    let out = seimon(
        dir.path(),
        &["--config", "smtp.toml", "check-config"],
        &[("SEIMON_SMTP__PASSWORD", secret), ("SEIMON_SMTP__PORT", "2626")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("e-mail via SMTP 127.0.0.1:2626 (None)"), "{}", stdout(&out));
    assert!(!stdout(&out).contains(secret) && !stderr(&out).contains(secret));
}

#[test]
fn usage_errors_exit_2_and_an_empty_store_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = seimon(dir.path(), &["recompute"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--period"), "{}", stderr(&out));
    let out = seimon(dir.path(), &["recompute", "--period", "2025Q5"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("impossible period `2025Q5`: the quarter must be 1 to 4"),
        "{}",
        stderr(&out)
    );
    let out = seimon(
        dir.path(),
        &["recompute", "--period", "2025Q3"],
        &[("SEIMON_PATHS__DATA", "d"), ("SEIMON_PATHS__REPORTS", "r")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no observations for 2025Q3: load data first (seimon ingest FILE)"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("r/2025Q3").exists(), "a failed run writes no report folder");
}

#[test]
fn ingest_goes_on_past_a_directory_or_a_missing_file_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("inputs")).unwrap();
    std::fs::write(
        dir.path().join("good.csv"),
        "period,region_code,industry_code,indicator,value,unit\n2025Q3,340000,TEN,operating_income,345,亿元\n",
    )
    .unwrap();
    let out = seimon(
        dir.path(),
        &["ingest", "inputs", "missing.csv", "good.csv"],
        &[("SEIMON_PATHS__DATA", "data")],
    );
    assert_eq!(out.status.code(), Some(1), "two arguments could not be loaded");
    let err = stderr(&out);
    assert!(
        err.contains("inputs is a directory: name the files in it (seimon ingest inputs/*.csv)"),
        "{err}"
    );
    assert!(err.contains("cannot read missing.csv"), "{err}");
    assert!(
        stdout(&out).contains("accepted good.csv: 1 rows"),
        "the file after them is loaded: {}",
        stdout(&out)
    );
}

#[test]
fn after_the_demo_a_recompute_of_the_default_store_says_where_the_demo_data_are() {
    let dir = tempfile::tempdir().unwrap();
    let out = seimon(dir.path(), &["demo", "--through", "2025Q3"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().count() <= 8, "a few lines, not a list of files:\n{text}");
    assert!(text.contains("2025Q3: 31 reports with"), "{text}");
    assert!(text.contains("Open reports/2025Q3/report.html"), "{text}");
    assert!(
        text.contains("SEIMON_PATHS__DATA=demo-data seimon recompute --period 2025Q3"),
        "{text}"
    );
    let out = seimon(dir.path(), &["recompute", "--period", "2025Q3"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the demo's data are in demo-data/: SEIMON_PATHS__DATA=demo-data seimon recompute --period 2025Q3"),
        "{}",
        stderr(&out)
    );
    // the command it names works as written
    let out = seimon(
        dir.path(),
        &["recompute", "--period", "2025Q3"],
        &[("SEIMON_PATHS__DATA", "demo-data")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("2025Q3: 31 reports with"), "{}", stdout(&out));
}

#[test]
fn check_config_warns_of_a_password_sent_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = |host: &str| {
        format!("[smtp]\nhost = \"{host}\"\nport = 25\nsecurity = \"none\"\nusername = \"monitor\"\nfrom = \"monitor@example.org\"\n")
    };
    std::fs::write(dir.path().join("remote.toml"), smtp("smtp.example.org")).unwrap();
    std::fs::write(dir.path().join("local.toml"), smtp("127.0.0.1")).unwrap();
    let password = [("SEIMON_SMTP__PASSWORD", "pw-3141")];
    let out = seimon(dir.path(), &["--config", "remote.toml", "check-config"], &password);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains("pw-3141"));
    assert!(
        stdout(&out).contains("warning: [smtp] security = \"none\" with a username: the password goes to smtp.example.org in clear"),
        "{}",
        stdout(&out)
    );
    let out = seimon(dir.path(), &["--config", "local.toml", "check-config"], &password);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains("warning"), "a relay on this machine: {}", stdout(&out));
}

#[test]
fn check_config_rejects_bad_chains_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let hefei = include_str!("../../config/catalogue/hefei-2023.toml");
    let profile = include_str!("../../config/profiles/hefei.toml");
    std::fs::write(
        dir.path().join("seimon.toml"),
        profile.replace("catalogue = \"hefei-2023\"", "catalogue = \"chains.toml\""),
    )
    .unwrap();
    let check = |chain: &str| {
        std::fs::write(dir.path().join("chains.toml"), format!("{hefei}\n{chain}")).unwrap();
        let out = seimon(dir.path(), &["--config", "seimon.toml", "check-config"], &[]);
        (out.status.code(), stderr(&out), stdout(&out))
    };
    // the shipped chains pass: twelve, with their segments
    let (code, err, out) = check("");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("12 chains with 44 segments"), "{out}");
    // the problem's line: the catalogue's own lines, then the chain's
    let line = |n: usize| hefei.lines().count() + 1 + n;
    let chain = |segment: &str, leaders: &str| {
        format!(
            "[[chains]]\ncode = \"BAD\"\nzh = \"坏链\"\nen = \"Bad\"\nleaders = [{leaders}]\n\n[[chains.segments]]\ncode = \"up\"\nzh = \"上游\"\nen = \"Up\"\nstage = \"upstream\"\n{segment}\n"
        )
    };
    let cases = [
        (
            chain("classes = []", ""),
            12,
            "segment `up` of chain `BAD` is empty: name its GB/T 4754 classes",
        ),
        (chain("classes = [\"3973\", \"9950\"]", ""), 12, "`9950` is not a GB/T 4754 class"),
        (
            chain("classes = [\"3973\"]", "\"91340100MA2N0B00\""),
            5,
            "chain leader `91340100MA2N0B00` is not an 18-character unified social credit code",
        ),
    ];
    for (text, at, message) in cases {
        let (code, err, _) = check(&text);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(&format!("chains.toml:{}:", line(at))), "line {}: {err}", line(at));
        assert!(err.contains(message), "{err}");
    }
    // a chain chief's subscription names a chain of the catalogue
    std::fs::write(dir.path().join("chains.toml"), hefei).unwrap();
    let config = format!(
        "{}\n[[subscriptions]]\naudience = \"chain:XYZ\"\nto = [\"chief@example.org\"]\n",
        profile.replace("catalogue = \"hefei-2023\"", "catalogue = \"chains.toml\"")
    );
    std::fs::write(dir.path().join("seimon.toml"), &config).unwrap();
    let out = seimon(dir.path(), &["--config", "seimon.toml", "check-config"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let at = config.lines().position(|l| l.contains("chain:XYZ")).unwrap() + 1;
    assert!(err.contains(&format!("seimon.toml:{at}:")), "line {at}: {err}");
    assert!(err.contains("unknown chain code `XYZ`"), "{err}");
    std::fs::write(dir.path().join("seimon.toml"), config.replace("chain:XYZ", "chain:IC")).unwrap();
    let out = seimon(dir.path(), &["--config", "seimon.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
