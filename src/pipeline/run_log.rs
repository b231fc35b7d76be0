//! A run's own log lines: a `tracing` layer that keeps every event (at info and above, from
//! seimon's own modules) logged inside a `run` span, keyed by the span's `run_id`, so that
//! the console can show a run's lines while it runs and the store can keep them when it
//! ends. The lines are the same events the process logs, formatted as
//! `HH:MM:SS.mmm LEVEL message key=value …`; nothing is logged here that the process's log
//! does not already hold (no secret reaches either).

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// At most this many lines are kept per run (the first ones and then the last ones would
/// be a better cut, but a run logs a few dozen lines).
const MAX_LINES: usize = 2_000;
/// At most this many runs' lines are held in memory (the oldest go first); a finished
/// run's lines move to the store.
const MAX_RUNS: usize = 64;

#[derive(Default)]
struct Lines {
    /// Run ids, oldest first, to drop the oldest when full.
    order: VecDeque<String>,
    by_run: HashMap<String, Vec<String>>,
}

fn lines() -> std::sync::MutexGuard<'static, Lines> {
    static LINES: OnceLock<Mutex<Lines>> = OnceLock::new();
    LINES.get_or_init(Mutex::default).lock().unwrap_or_else(|p| p.into_inner())
}

fn push(run_id: &str, line: String) {
    let mut all = lines();
    if !all.by_run.contains_key(run_id) {
        if all.order.len() >= MAX_RUNS
            && let Some(oldest) = all.order.pop_front()
        {
            all.by_run.remove(&oldest);
        }
        all.order.push_back(run_id.to_string());
    }
    let run = all.by_run.entry(run_id.to_string()).or_default();
    if run.len() < MAX_LINES {
        run.push(line);
    }
}

/// The lines logged so far by a run of this process (empty for a run it never saw).
pub fn so_far(run_id: &str) -> Vec<String> {
    lines().by_run.get(run_id).cloned().unwrap_or_default()
}

/// The lines of a run, removed from memory (its end: the store keeps them from now on).
pub fn take(run_id: &str) -> Vec<String> {
    let mut all = lines();
    all.order.retain(|id| id != run_id);
    all.by_run.remove(run_id).unwrap_or_default()
}

/// The layer to install beside the process's own log.
pub struct RunLog;

/// The run id a `run` span carries, kept in its extensions.
struct RunId(String);

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
    run_id: Option<String>,
}

impl Fields {
    fn add(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            "run_id" => self.run_id = Some(value.to_string()),
            name => {
                let _ = write!(self.rest, " {name}={value}");
            }
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.add(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.add(field, &format!("{value:?}"));
    }
}

impl<S> Layer<S> for RunLog
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "run" {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let (Some(run_id), Some(span)) = (fields.run_id, ctx.span(id)) {
            span.extensions_mut().insert(RunId(run_id));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(scope) = ctx.event_scope(event) else {
            return;
        };
        let Some(run_id) = scope
            .into_iter()
            .find_map(|span| span.extensions().get::<RunId>().map(|r| r.0.clone()))
        else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let time = chrono::Local::now().format("%H:%M:%S%.3f");
        let level = event.metadata().level();
        push(&run_id, format!("{time} {level:>5} {}{}", fields.message, fields.rest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn a_runs_events_are_kept_under_its_id_and_no_other_event_is() {
        let subscriber = tracing_subscriber::registry().with(RunLog);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("outside any run");
            let span = tracing::info_span!("run", period = "2025Q3", run_id = "r-test-1");
            span.in_scope(|| {
                tracing::info!(rows = 12, "loaded");
                let inner = tracing::info_span!("stage");
                inner.in_scope(|| tracing::warn!(file = "a.csv", "late"));
            });
            tracing::info_span!("other").in_scope(|| tracing::info!("not a run"));
        });
        let lines = take("r-test-1");
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].ends_with(" INFO loaded rows=12"), "{}", lines[0]);
        assert!(lines[1].ends_with(" WARN late file=a.csv"), "{}", lines[1]);
        assert!(take("r-test-1").is_empty(), "taken once");
    }
}
