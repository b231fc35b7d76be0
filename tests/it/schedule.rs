//! The schedule with a controllable clock (the worker's step, `Scheduler::tick`, called at
//! chosen instants over the real store): catch-up after downtime runs each missed period
//! exactly once and a restart runs nothing again; the completeness gate waits for the data
//! until the deadline and then names what is missing; revised data of a reported period
//! make the daemon recompute it. Also the inbox: a file being written is not read half-way.

use std::path::Path;

use chrono::{DateTime, Utc};
use seimon::daemon::inbox::{Inbox, Picked};
use seimon::daemon::runs::Runs;
use seimon::daemon::schedule::Scheduler;
use seimon::model::period::Period;
use seimon::pipeline::Seimon;
use seimon::store::{RunState, ScheduleState};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Shanghai wall-clock time.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{text}+08:00")).unwrap().with_timezone(&Utc)
}

/// Operating income of every region (the province and its 16 cities) and every industry
/// (the ten, their total and all industry) for the quarters `from..=to`, year to date;
/// `skip` leaves one series out.
fn observations(from: Period, to: Period, skip: Option<(&str, &str, Period)>) -> String {
    let catalogue = seimon::model::catalogue::Catalogue::anhui();
    let regions: Vec<String> = std::iter::once("340000".to_string())
        .chain(catalogue.children_of("340000").map(|r| r.code.clone()))
        .collect();
    let industries: Vec<String> = catalogue
        .members()
        .map(|i| i.code.clone())
        .chain(["TEN".to_string(), "TOTAL".to_string()])
        .collect();
    let mut csv = String::from("period,region_code,industry_code,indicator,value,unit,release_date\n");
    for p in from.index()..=to.index() {
        let p = Period::from_index(p).unwrap();
        for (ri, r) in regions.iter().enumerate() {
            for (ii, i) in industries.iter().enumerate() {
                if skip == Some((r.as_str(), i.as_str(), p)) {
                    continue;
                }
                let scale = if r == "340000" { 20.0 } else { 1.0 } * if i == "TOTAL" { 10.0 } else { 1.0 };
                let growth = 1.0 + 0.05 * (p.year() - 2024) as f64 + 0.001 * (ri + ii) as f64;
                let value = scale * 100.0 * p.quarter() as f64 * growth;
                csv.push_str(&format!("{p},{r},{i},operating_income,{value:.2},亿元,{}-01-20\n", p.year() + 1));
            }
        }
    }
    csv
}

fn app(dir: &Path) -> Seimon {
    let settings = seimon::config::load(None, std::iter::empty()).unwrap().rooted(dir);
    Seimon::open(settings).unwrap()
}

fn load(app: &Seimon, name: &str, csv: &str) {
    let outcome = seimon::ingest::ingest_bytes(
        &app.store,
        &app.settings.catalogue,
        name,
        csv.as_bytes(),
        &seimon::ingest::Options::default(),
    )
    .unwrap();
    assert!(matches!(outcome, seimon::ingest::Outcome::Accepted { .. }), "{name}: {outcome:?}");
}

fn scheduler(app: &Seimon) -> Scheduler {
    Scheduler::new(Runs::new(app.clone(), TaskTracker::new()), CancellationToken::new())
}

/// The scheduled runs in the store, by period.
fn scheduled_runs(app: &Seimon) -> Vec<(String, String)> {
    app.store
        .runs()
        .unwrap()
        .into_iter()
        .filter(|r| r.trigger == "schedule")
        .map(|r| (r.period, r.state.to_string()))
        .collect()
}

fn p(text: &str) -> Period {
    text.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_downtime_each_missed_period_runs_once_and_a_restart_runs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let app = app(tmp.path());
        load(&app, "obs.csv", &observations(p("2024Q1"), p("2025Q2"), None));
        // first start on 1 April 2025: reports are scheduled from now on, nothing runs
        let first = scheduler(&app).tick(at("2025-04-01T08:00:00")).await.unwrap();
        assert!(first.registered.is_empty() && first.reported.is_empty(), "{first:?}");
    }
    // down from April to October: the deadlines of 25 April (2025Q1) and 25 July (2025Q2)
    // passed while nobody was watching
    {
        let app = app(tmp.path());
        let report = scheduler(&app).tick(at("2025-10-01T08:00:00")).await.unwrap();
        assert_eq!(report.registered, vec![p("2025Q1"), p("2025Q2")]);
        let reported: Vec<(Period, bool)> = report.reported.iter().map(|(p, _, complete)| (*p, *complete)).collect();
        assert_eq!(reported, vec![(p("2025Q1"), true), (p("2025Q2"), true)], "{report:?}");
        assert_eq!(
            scheduled_runs(&app),
            vec![("2025Q1".into(), "succeeded".into()), ("2025Q2".into(), "succeeded".into())]
        );
        assert!(tmp.path().join("reports/2025Q1/report.html").is_file());
        assert!(tmp.path().join("reports/2025Q2/report.html").is_file());
        let schedule = app.store.schedule().unwrap();
        assert_eq!(schedule.len(), 2);
        assert!(
            schedule.iter().all(|r| r.state == ScheduleState::Done && r.complete == Some(true)),
            "{schedule:?}"
        );
        // the report of 25 April was due at 09:00 Shanghai time, 01:00 UTC
        assert_eq!(
            DateTime::parse_from_rfc3339(&schedule[0].due_at).unwrap(),
            DateTime::parse_from_rfc3339("2025-04-25T01:00:00Z").unwrap()
        );
    }
    // restarted: nothing runs again, at the same instant or an hour later
    let app = app(tmp.path());
    for now in [at("2025-10-01T08:00:00"), at("2025-10-01T09:00:00")] {
        let report = scheduler(&app).tick(now).await.unwrap();
        assert!(
            report.registered.is_empty() && report.reported.is_empty() && report.recomputed.is_empty(),
            "{report:?}"
        );
    }
    assert_eq!(scheduled_runs(&app).len(), 2, "no period ran twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_report_waits_for_its_data_until_the_deadline_then_names_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path());
    assert_eq!(app.settings.schedule.deadline, chrono::Duration::days(10), "the shipped deadline");
    // Hefei's NGIT operating income for 2025Q3 has not come in: 17 regions × 12 series
    // (ten industries, their total, all industry) are expected, 203 of 204 are in
    load(
        &app,
        "obs.csv",
        &observations(p("2024Q1"), p("2025Q3"), Some(("340100", "NGIT", p("2025Q3")))),
    );
    let scheduler = scheduler(&app);
    scheduler.tick(at("2025-10-20T08:00:00")).await.unwrap();

    // due on 25 October at 09:00; an hour later the data are still incomplete: it waits
    let report = scheduler.tick(at("2025-10-25T10:00:00")).await.unwrap();
    assert_eq!(report.registered, vec![p("2025Q3")]);
    assert_eq!(report.waiting, vec![p("2025Q3")]);
    assert!(
        report.reported.is_empty() && scheduled_runs(&app).is_empty(),
        "nothing went out incomplete"
    );
    // a second before the deadline (4 November, 09:00) it still waits
    let report = scheduler.tick(at("2025-11-04T08:59:59")).await.unwrap();
    assert_eq!(report.waiting, vec![p("2025Q3")]);

    // at the deadline it goes out, incomplete, saying so and naming the missing series
    let report = scheduler.tick(at("2025-11-04T09:00:00")).await.unwrap();
    assert_eq!(report.reported.len(), 1, "{report:?}");
    assert_eq!((report.reported[0].0, report.reported[0].2), (p("2025Q3"), false));
    let html = std::fs::read_to_string(tmp.path().join("reports/2025Q3/report.html")).unwrap();
    let notes: Vec<&str> = html.lines().filter(|l| l.contains("应报") || l.contains("缺")).collect();
    assert!(
        html.contains("本报告按报送期限（2025-11-04）发布，数据尚不完整：应报204项，缺1项"),
        "the deadline note: {notes:?}"
    );
    assert!(
        html.contains("缺报数据：合肥市新一代信息技术营业收入。"),
        "the missing series is named"
    );
    assert_eq!(app.store.schedule().unwrap()[0].complete, Some(false));

    // the missing figure arrives: the reported period is recomputed (no e-mail server is
    // configured, so the correction is written, not sent), and the schedule stays done
    let late =
        "period,region_code,industry_code,indicator,value,unit,release_date\n2025Q3,340100,NGIT,operating_income,331.5,亿元,2025-11-06\n";
    load(&app, "late.csv", late);
    let report = scheduler.tick(at("2025-11-06T10:00:00")).await.unwrap();
    assert_eq!(report.recomputed.iter().map(|(p, _)| *p).collect::<Vec<_>>(), vec![p("2025Q3")]);
    let html = std::fs::read_to_string(tmp.path().join("reports/2025Q3/report.html")).unwrap();
    assert!(!html.contains("缺报数据"), "complete now");
    let indicators = std::fs::read_to_string(tmp.path().join("reports/2025Q3/indicators.csv")).unwrap();
    assert!(
        indicators.contains("2025Q3,340100,NGIT,operating_income,ytd,331.5\n"),
        "the late value is in"
    );
    assert_eq!(scheduled_runs(&app).len(), 2);
    // nothing more to do: the data have not changed since
    let report = scheduler.tick(at("2025-11-06T11:00:00")).await.unwrap();
    assert!(report.recomputed.is_empty() && report.reported.is_empty(), "{report:?}");
}

#[test]
fn the_inbox_reads_a_file_only_once_it_has_stopped_changing() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path());
    let inbox_dir = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox_dir).unwrap();
    let mut inbox = Inbox::new(&inbox_dir);
    let csv = observations(p("2025Q1"), p("2025Q1"), None);
    let (head, tail) = csv.split_at(csv.len() / 2);

    // half written: seen, not read
    std::fs::write(inbox_dir.join("obs.csv"), head).unwrap();
    std::fs::write(inbox_dir.join("more.csv.part"), "period\n").unwrap();
    assert!(inbox.scan(&app).is_empty());
    // it grew since the last look: still not read
    std::fs::write(inbox_dir.join("obs.csv"), &csv[..head.len() + tail.len() / 2]).unwrap();
    assert!(inbox.scan(&app).is_empty());
    std::fs::write(inbox_dir.join("obs.csv"), &csv).unwrap();
    assert!(inbox.scan(&app).is_empty());
    assert_eq!(app.store.observation_count().unwrap(), 0, "nothing was read half-way");
    // unchanged since the last look: loaded whole, and moved to accepted/
    let picked = inbox.scan(&app);
    assert_eq!(picked.len(), 1, "{picked:?}");
    let Picked::Accepted { rows, moved_to, .. } = &picked[0] else {
        panic!("{picked:?}")
    };
    assert_eq!(*rows, 17 * 12);
    assert_eq!(app.store.observation_count().unwrap(), 17 * 12);
    assert!(moved_to.starts_with(inbox_dir.join("accepted")) && moved_to.is_file());
    assert!(!inbox_dir.join("obs.csv").exists());
    assert!(
        inbox_dir.join("more.csv.part").exists(),
        "a file being written under a temporary name is left alone"
    );

    // a bad file goes to quarantine/ beside its report, and nothing stored changes
    std::fs::write(
        inbox_dir.join("bad.csv"),
        "period,region_code,industry_code,indicator,value,unit\n2025Q1,999999,TEN,operating_income,1,亿元\n",
    )
    .unwrap();
    assert!(inbox.scan(&app).is_empty());
    let picked = inbox.scan(&app);
    let Picked::Rejected {
        moved_to,
        report,
        problems,
        ..
    } = &picked[0]
    else {
        panic!("{picked:?}")
    };
    assert_eq!(*problems, 1);
    assert!(moved_to.starts_with(inbox_dir.join("quarantine")));
    let text = std::fs::read_to_string(report).unwrap();
    assert!(text.contains("bad.csv rejected") && text.contains("999999"), "{text}");
    assert_eq!(app.store.observation_count().unwrap(), 17 * 12);
}

#[test]
fn a_run_left_running_by_a_dead_process_is_marked_and_a_live_one_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path());
    app.store.start_run("r-dead", p("2025Q3"), "cli", None).unwrap();
    // a live process (here: this test) holds the period's lock: its run is left alone
    let locks = tmp.path().join("data/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let held = std::fs::File::create(locks.join("2025Q3.lock")).unwrap();
    held.lock().unwrap();
    assert!(app.recover_interrupted().unwrap().is_empty());
    assert_eq!(app.store.run("r-dead").unwrap().unwrap().state, RunState::Running);
    // the process died (its lock is gone): the run is marked failed, safe to run again
    drop(held);
    assert_eq!(app.recover_interrupted().unwrap(), vec!["2025Q3".to_string()]);
    let run = app.store.run("r-dead").unwrap().unwrap();
    assert_eq!(run.state, RunState::Failed);
    assert_eq!(run.error.as_deref(), Some("interrupted: the process stopped during the run"));
}

#[test]
fn the_cli_waits_for_a_run_of_the_same_period_in_another_process() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path());
    load(&app, "obs.csv", &observations(p("2024Q3"), p("2025Q3"), None));
    drop(app);
    let locks = tmp.path().join("data/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let held = std::fs::File::create(locks.join("2025Q3.lock")).unwrap();
    held.lock().unwrap(); // as the daemon does while it runs 2025Q3
    let mut cli = std::process::Command::new(env!("CARGO_BIN_EXE_seimon"))
        .current_dir(tmp.path())
        .args(["recompute", "--period", "2025Q3"])
        .env("RUST_LOG", "info")
        .env("SEIMON_PATHS__DATA", "data")
        .env("SEIMON_PATHS__REPORTS", "reports")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(cli.try_wait().unwrap().is_none(), "the CLI waits while the period is locked");
    assert!(!tmp.path().join("reports/2025Q3").exists(), "and has written nothing");
    drop(held);
    let out = cli.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("another process is running this quarter: waiting for it"), "{err}");
    assert!(tmp.path().join("reports/2025Q3/indicators.csv").is_file());
}
