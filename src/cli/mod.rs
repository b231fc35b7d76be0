//! The command line: parsing (clap), logging set-up, and the subcommands as thin calls
//! into the library. The program's edge: errors become messages and exit codes here
//! (0 done, 1 a file rejected or a run failed, 2 usage or configuration error).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::config::{self, LogFormat, Settings};
use crate::ingest::{self, Kind, Outcome};
use crate::model::period::Period;
use crate::pipeline::{RunError, RunOptions, RunSummary, Seimon, Trigger};

mod user;

/// seimon — quarterly statistical monitoring of strategic emerging industries.
#[derive(Debug, Parser)]
#[command(name = "seimon", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file [default: config/seimon.toml if present, else built-in defaults]
    #[arg(long, global = true, env = "SEIMON_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a national-scale synthetic data set (the benchmark's): a catalogue over a
    /// region list, its configuration, the class mapping and enterprise records (Parquet,
    /// one file per year) — then `seimon --config DIR/seimon.toml ingest …` from DIR.
    Generate {
        /// The national region list (CSV with columns code and name), e.g.
        /// ../shared/data/regions-gbt2260.csv
        #[arg(long, value_name = "CSV")]
        regions: PathBuf,
        /// Enterprises active each year (500000 over six years: about 12 million rows)
        #[arg(long, default_value_t = 500_000)]
        enterprises: usize,
        /// The first year of records
        #[arg(long, default_value_t = 2020)]
        first_year: i32,
        /// The last quarter of records
        #[arg(long, default_value = "2025Q4")]
        through: Period,
        /// Where to write (created)
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        #[arg(long, default_value_t = 20_210_125)]
        seed: u64,
    },
    /// Build a synthetic Anhui data set into a fresh data directory, load it and run the
    /// latest complete quarter: report files and e-mails.
    Demo {
        /// Put the data and reports under DIR (DIR/data, DIR/reports) [default: data in
        /// ./demo-data, reports in the configured reports folder]
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The last quarter of the demo data and the one reported [default: the profile's
        /// `[demo] through`, else the latest complete quarter]
        #[arg(long, value_name = "PERIOD")]
        through: Option<Period>,
        /// The monitoring scheme: anhui (default), jilin, chongqing or hefei — a
        /// configuration under config/profiles/ with demo data of its shape
        #[arg(long, default_value = "anhui")]
        profile: String,
    },
    /// Load files (CSV, XLSX, Parquet): each accepted whole or rejected whole.
    Ingest {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The kind of the files [default: recognised by their columns]
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// The XLSX sheet to read [default: the first]
        #[arg(long)]
        sheet: Option<String>,
    },
    /// Recompute one quarter now and write its report (and e-mails as .eml files); or
    /// every quarter of a range, or of the store, in one pass.
    Recompute {
        /// The quarter: 2025Q3, 2025-Q3 or 2025年1-9月
        #[arg(long, required_unless_present_any = ["from", "all"], conflicts_with_all = ["from", "to", "all"])]
        period: Option<Period>,
        /// Every quarter from this one through --to, computed in one pass, each quarter's
        /// folder written as its own recompute writes it
        #[arg(long, requires = "to")]
        from: Option<Period>,
        /// The last quarter of --from
        #[arg(long, requires = "from")]
        to: Option<Period>,
        /// Every quarter with data in the store, in one pass
        #[arg(long, conflicts_with_all = ["from", "to"])]
        all: bool,
        /// Send the e-mails over SMTP (when [smtp] is configured)
        #[arg(long)]
        send: bool,
        /// Use only data released on or before this date (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
    },
    /// Validate the configuration and say what is wrong, with file and line.
    CheckConfig,
    /// The daemon: the schedule, the inbox, the outbox sender and the HTTP API, until
    /// SIGTERM or Ctrl-C.
    Serve,
    /// The outbox (e-mails and robot posts): list the messages, or retry the dead ones, or send what is due.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
    },
    /// The web console's accounts: add one, set its password, disable it, list them. A
    /// password is read from the terminal without echo, or as a line on standard input.
    User {
        #[command(subcommand)]
        action: user::UserAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxAction {
    /// List the messages with their state (the default).
    List,
    /// Put dead messages back in the queue and send what is due.
    Retry,
    /// Send what is due now.
    Send,
}

/// mimalloc's option `purge_delay` (its number in `mimalloc.h`; the Rust bindings name no
/// constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps memory the binaries' allocator (mimalloc) freed for five seconds before giving it
/// back to the system, rather than one second: a run frees and allocates again gigabytes
/// within seconds, and each page given back is zeroed by the kernel when touched again
/// (measured: a national quarter's system time 2.4–3.1 s → 1.5–1.9 s). A daemon between
/// runs still returns it. For the binaries only; harmless when another allocator is in use.
pub fn hold_freed_memory() {
    // SAFETY: sets a plain integer option; mimalloc reads it when it next purges.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 5_000) };
}

/// Runs the program; returns the process exit code.
pub fn main() -> ExitCode {
    hold_freed_memory();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let settings = match config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: invalid configuration\n{e}");
            return ExitCode::from(2);
        }
    };
    // The demo is a newcomer's first command: its log stays at warnings unless asked for.
    let mut settings = settings;
    if matches!(cli.command, Command::Demo { .. })
        && std::env::var_os("RUST_LOG").is_none()
        && std::env::var_os("SEIMON_LOG__LEVEL").is_none()
    {
        settings.log.level = "warn".into();
    }
    init_logging(&settings);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(dispatch(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    };
    // Blocking work a request abandoned (a store read past its deadline) must not hold the
    // process after its work is done: wait a bounded time for it.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    code
}

fn init_logging(settings: &Settings) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&settings.log.level));
    // A run's own lines (for the console) at info whatever the process logs.
    let run_log = crate::pipeline::run_log::RunLog
        .with_filter(tracing_subscriber::filter::Targets::new().with_target("seimon", tracing::Level::INFO));
    let registry = tracing_subscriber::registry().with(run_log);
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let _ = match settings.log.format {
        LogFormat::Json => registry.with(fmt.json().with_filter(filter)).try_init(),
        LogFormat::Human => registry
            .with(fmt.with_ansi(std::io::stderr().is_terminal()).with_filter(filter))
            .try_init(),
    };
}

async fn dispatch(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::CheckConfig => {
            println!("{}: configuration is valid", settings.origin);
            let chains = &settings.catalogue.chains;
            let chains = if chains.is_empty() {
                String::new()
            } else {
                let segments: usize = chains.iter().map(|c| c.segments.len()).sum();
                format!(", {} chains with {segments} segments", chains.len())
            };
            println!(
                "  catalogue {} ({} industries, {} regions{chains})",
                settings.catalogue.name,
                settings.catalogue.industries.len(),
                settings.catalogue.regions.len(),
            );
            println!(
                "  data {}  reports {}  inbox {}",
                settings.paths.data.display(),
                settings.paths.reports.display(),
                settings.paths.inbox.display()
            );
            match &settings.smtp {
                Some(s) => {
                    println!("  e-mail via SMTP {}:{} ({:?})", s.host, s.port, s.security);
                    if let Some(warning) = s.clear_text_warning() {
                        println!("  warning: {warning}");
                    }
                }
                None => println!("  e-mail written as .eml files (no [smtp] section)"),
            }
            println!("  {} subscription(s)", settings.subscriptions.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest { files, kind, sheet } => {
            let app = Seimon::open(settings)?;
            let options = ingest::Options {
                kind,
                sheet,
                ..app.settings.ingest_options()
            };
            let rejected = ingest_files(&app, &files, &options, false)?;
            Ok(if rejected > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        Command::Serve => {
            let app = Seimon::open(settings)?;
            if app.settings.api.token.is_none() {
                eprintln!("error: {}", crate::daemon::serve::ServeError::NoToken);
                return Ok(ExitCode::from(2));
            }
            let shutdown = tokio_util::sync::CancellationToken::new();
            tokio::spawn(crate::daemon::serve::signals(shutdown.clone()));
            crate::daemon::serve::run(app, shutdown).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User { action } => {
            let app = Seimon::open(settings)?;
            user::run(&app, action)
        }
        Command::Outbox { action } => {
            let app = Seimon::open(settings)?;
            match action.unwrap_or(OutboxAction::List) {
                OutboxAction::List => {}
                OutboxAction::Retry => {
                    let n = app.store.retry_dead()?;
                    println!("{n} dead message(s) back in the queue");
                    let r = app.send_outbox().await?;
                    println!("sent {}, retrying {}, dead {}", r.sent, r.retrying, r.dead);
                }
                OutboxAction::Send => {
                    let r = app.send_outbox().await?;
                    println!("sent {}, retrying {}, dead {}", r.sent, r.retrying, r.dead);
                }
            }
            for m in app.store.outbox()? {
                println!(
                    "{:>5}  {:<8} {:<7} attempts {}  {}  {}  {}{}",
                    m.id,
                    m.state,
                    m.period,
                    m.attempts,
                    m.audience,
                    m.recipient,
                    m.subject,
                    m.last_error.map(|e| format!("\n       last error: {e}")).unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Recompute {
            period: Some(period),
            send,
            as_of,
            ..
        } => {
            let started = std::time::Instant::now();
            let app = Seimon::open(settings)?;
            let run = app
                .run_quarter(RunOptions {
                    period,
                    as_of,
                    send,
                    only_if_changed: false,
                    trigger: Trigger::Cli,
                    notes: Vec::new(),
                })
                .await;
            let demo = Path::new("demo-data");
            let summary = match run {
                // a newcomer after `seimon demo`: the demo's store is beside the real one
                Err(e @ RunError::NoData(_)) if app.settings.paths.data != demo && demo.join(DEMO_MARKER).exists() => {
                    bail!("{e}\n  the demo's data are in demo-data/: SEIMON_PATHS__DATA=demo-data seimon recompute --period {period}")
                }
                run => run?,
            };
            print_summary(&summary, started.elapsed());
            Ok(ExitCode::SUCCESS)
        }
        Command::Recompute { from, to, send, as_of, .. } => {
            let started = std::time::Instant::now();
            let app = Seimon::open(settings)?;
            let (from, to) = match from.zip(to) {
                Some(range) => range,
                None => {
                    let periods = app.data_periods(as_of.map(|d| d.to_string()).as_deref())?;
                    match periods.first().zip(periods.last()) {
                        Some((first, last)) => (*first, *last),
                        None => bail!("the store holds no data: load some first (seimon ingest FILE)"),
                    }
                }
            };
            if from > to {
                bail!("--from {from} is after --to {to}");
            }
            let options = RunOptions {
                period: to,
                as_of,
                send,
                only_if_changed: false,
                trigger: Trigger::Cli,
                notes: Vec::new(),
            };
            let pass = app.run_history(from, to, options).await?;
            for run in &pass.runs {
                println!(
                    "{}: {} measures, {} files, {} e-mails; run {}, data vintage {}",
                    run.period,
                    run.measures,
                    run.outputs.len(),
                    run.emails.len(),
                    run.run_id,
                    run.data_vintage
                );
            }
            if !pass.skipped.is_empty() {
                let skipped: Vec<String> = pass.skipped.iter().map(Period::to_string).collect();
                println!("no data, not run: {}", skipped.join(", "));
            }
            println!(
                "\n{} quarters, {from} to {to}, in {:.1} s (the measures of all of them {:.1} s); each quarter's folder is under {}",
                pass.runs.len(),
                started.elapsed().as_secs_f64(),
                pass.compute_ms as f64 / 1000.0,
                app.settings.paths.reports.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            regions,
            enterprises,
            first_year,
            through,
            dir,
            seed,
        } => {
            let started = std::time::Instant::now();
            let written = crate::synth::generate::write(
                &regions,
                &dir,
                &crate::synth::generate::Options {
                    enterprises,
                    first_year,
                    through,
                    seed,
                },
            )?;
            println!(
                "{} enterprise records ({} a year) in {:.1} s:",
                written.rows,
                enterprises,
                started.elapsed().as_secs_f64()
            );
            println!("  {}", written.catalogue.display());
            println!("  {}", written.config.display());
            for f in &written.files {
                println!("  {}", f.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { dir, through, profile } => {
            let settings = if profile == "anhui" {
                settings
            } else {
                let Some((_, text)) = config::PROFILES.iter().find(|(n, _)| *n == profile) else {
                    let names: Vec<&str> = config::PROFILES.iter().map(|(n, _)| *n).collect();
                    eprintln!("error: unknown profile `{profile}` (profiles: {})", names.join(", "));
                    return Ok(ExitCode::from(2));
                };
                match config::load_text(&format!("profile {profile}"), text, std::env::vars()) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("error: invalid configuration\n{e}");
                        return Ok(ExitCode::from(2));
                    }
                }
            };
            let through = through
                .or(settings.demo_through)
                .unwrap_or_else(|| Period::latest_complete(settings.today()));
            let started = std::time::Instant::now();
            let data = dir.as_ref().map_or_else(|| PathBuf::from("demo-data"), |d| d.join("data"));
            let summary = demo(settings, &profile, dir.as_deref(), through).await?;
            print_summary(&summary, started.elapsed());
            println!(
                "  the demo's store is {data}/; recompute it with: SEIMON_PATHS__DATA={data} seimon recompute --period {}",
                summary.period,
                data = data.display()
            );
            println!("The demo data is synthetic: generated, not real statistics.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Loads files one by one, printing each outcome; returns how many were rejected.
/// Loads each file, saying what became of it (with `quiet`, only of the rejected ones);
/// a file that cannot be read, or a directory, is counted as rejected and the others go on.
/// Returns how many were rejected.
fn ingest_files(app: &Seimon, files: &[PathBuf], options: &ingest::Options, quiet: bool) -> anyhow::Result<usize> {
    let bar = indicatif::ProgressBar::with_draw_target(Some(files.len() as u64), indicatif::ProgressDrawTarget::stderr());
    let mut rejected = 0;
    for path in files {
        bar.set_message(path.display().to_string());
        bar.inc(1);
        if path.is_dir() {
            rejected += 1;
            bar.suspend(|| {
                eprintln!(
                    "{} is a directory: name the files in it (seimon ingest {}/*.csv); nothing of it was loaded",
                    path.display(),
                    path.display()
                )
            });
            continue;
        }
        let outcome = match ingest::ingest_path(&app.store, &app.settings.catalogue, path, options) {
            Ok(outcome) => outcome,
            Err(e @ ingest::IngestError::Read { .. }) => {
                rejected += 1;
                bar.suspend(|| eprintln!("{e}; nothing of it was loaded"));
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("loading {}", path.display())),
        };
        if quiet && !matches!(outcome, Outcome::Rejected(_)) {
            continue;
        }
        bar.suspend(|| match &outcome {
            Outcome::Accepted { file, warnings } => {
                println!(
                    "accepted {}: {} rows, {} new vintage(s)",
                    path.display(),
                    file.rows,
                    file.new_vintages
                );
                for w in warnings {
                    println!("  warning: {w}");
                }
            }
            Outcome::AlreadyLoaded { file } => {
                println!(
                    "unchanged {}: the same file was loaded on {} ({}); nothing changed",
                    path.display(),
                    file.loaded_at,
                    file.name
                );
            }
            Outcome::Rejected(r) => {
                rejected += 1;
                eprint!("{}", r.report());
                eprintln!("  quarantined as {} (report: {})", r.quarantined.display(), r.report_path.display());
            }
        });
    }
    bar.finish_and_clear();
    Ok(rejected)
}

const DEMO_MARKER: &str = ".seimon-demo";

/// Builds the demo data set in a fresh data directory, loads it and runs `through`.
pub async fn demo(settings: Settings, profile: &str, dir: Option<&Path>, through: Period) -> anyhow::Result<RunSummary> {
    let shape = crate::synth::demo::shape(profile).with_context(|| format!("no demo data for profile `{profile}`"))?;
    let mut settings = match dir {
        Some(d) => settings.rooted(d),
        None => settings,
    };
    if dir.is_none() {
        settings.paths.data = PathBuf::from("demo-data");
    }
    let data = settings.paths.data.clone();
    if data.exists() && std::fs::read_dir(&data)?.next().is_some() {
        if !data.join(DEMO_MARKER).exists() {
            bail!(
                "refusing to overwrite {}: it is not empty and not a demo data directory",
                data.display()
            );
        }
        std::fs::remove_dir_all(&data).with_context(|| format!("removing the previous demo data in {}", data.display()))?;
    }
    std::fs::create_dir_all(&data)?;
    std::fs::write(
        data.join(DEMO_MARKER),
        "created by `seimon demo`; removed and rebuilt by the next one\n",
    )?;
    let files = crate::synth::demo::write_files(&shape, &data.join("demo-input"), through)?;
    let app = Seimon::open(settings)?;
    let options = app.settings.ingest_options();
    if ingest_files(&app, &files, &options, true)? > 0 {
        bail!("the demo data was rejected (a bug in the generator)");
    }
    let notes = vec![
        crate::model::labels::tr(
            app.settings.monitor.language,
            "本报告所用数据为演示用合成数据，不代表真实统计数字。",
        )
        .to_string(),
    ];
    Ok(app
        .run_quarter(RunOptions {
            period: through,
            as_of: None,
            send: false,
            only_if_changed: false,
            trigger: Trigger::Demo,
            notes,
        })
        .await?)
}

/// What a run did, in the few lines a reader wants: what to open, how much was made, where
/// the e-mails went, how long it took (everything else is in the manifest).
fn print_summary(s: &RunSummary, took: std::time::Duration) {
    let count = |f: &dyn Fn(&str) -> bool| s.outputs.iter().filter(|o| f(o)).count();
    let reports = count(&|o| o.ends_with(".html"));
    let charts = count(&|o| o.starts_with("charts/"));
    println!(
        "\n{}: {reports} reports with {charts} charts, {} measures. Open {}",
        s.period,
        s.measures,
        s.dir.join("report.html").display()
    );
    let mut by_status: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in &s.emails {
        *by_status.entry(e.status.split(':').next().unwrap_or("")).or_default() += 1;
    }
    let statuses: Vec<String> = by_status.iter().map(|(status, n)| format!("{n} {status}")).collect();
    if !s.emails.is_empty() {
        let written = by_status.len() == 1 && by_status.contains_key("written");
        let note = if written {
            " as files (no SMTP server is configured; --send with [smtp] sends them)"
        } else {
            ""
        };
        println!("  e-mails: {}{note} — {}", statuses.join(", "), s.dir.join("mail").display());
    }
    for e in s.emails.iter().filter(|e| !matches!(e.status.as_str(), "sent" | "written")) {
        println!("  e-mail to {} ({}): {}", e.to, e.audience, e.status);
    }
    println!(
        "  took {:.1} s; run {}, data vintage {}; every file is listed in {}",
        took.as_secs_f64(),
        s.run_id,
        s.data_vintage,
        s.dir.join("manifest.json").display()
    );
    if !s.changes.is_empty() {
        println!("  {} value(s) changed since the previous run of {}:", s.changes.len(), s.period);
        let number = |v: Option<f64>| v.map_or("—".to_string(), |v| v.to_string());
        for c in s.changes.iter().take(10) {
            println!(
                "    {} {} {} {}: {} → {}",
                c.region,
                c.industry,
                c.indicator,
                c.measure,
                number(c.before),
                number(c.after)
            );
        }
        if s.changes.len() > 10 {
            println!(
                "    … and {} more (compare indicators.csv with the earlier run beside it)",
                s.changes.len() - 10
            );
        }
    }
}
