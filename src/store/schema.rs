//! The database's schema: one migration per version, applied in order by
//! [`Store::open`](super::Store::open) inside a transaction each.

pub(super) const SCHEMA_VERSION: i64 = 9;

/// The schema, one migration per version: `MIGRATIONS[n]` takes version n to n + 1.
pub(super) const MIGRATIONS: [&str; 9] = [
    SCHEMA_1, SCHEMA_2, SCHEMA_3, SCHEMA_4, SCHEMA_5, SCHEMA_6, SCHEMA_7, SCHEMA_8, SCHEMA_9,
];

const SCHEMA_3: &str = "
CREATE TABLE outbox(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    period TEXT NOT NULL,
    audience TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    message BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
";

const SCHEMA_1: &str = "
CREATE TABLE files(
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    loaded_at TEXT NOT NULL,
    rows INTEGER NOT NULL,
    new_vintages INTEGER NOT NULL,
    stored_as TEXT,
    report TEXT
);
CREATE UNIQUE INDEX files_accepted_sha ON files(sha256) WHERE status = 'accepted';
CREATE TABLE observations(
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    indicator TEXT NOT NULL,
    value REAL,
    yoy_pct REAL,
    release_date TEXT NOT NULL,
    source TEXT,
    file_id INTEGER NOT NULL REFERENCES files(id),
    CHECK (value IS NOT NULL OR yoy_pct IS NOT NULL)
);
CREATE INDEX observations_key ON observations(region, industry, indicator, year, quarter, release_date, id);
CREATE TABLE runs(
    run_id TEXT PRIMARY KEY,
    period TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    trigger TEXT NOT NULL,
    as_of TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outputs TEXT NOT NULL DEFAULT '[]',
    error TEXT
);
CREATE INDEX runs_period ON runs(period, started_at);
";

const SCHEMA_2: &str = "
CREATE TABLE targets(
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    release_date TEXT NOT NULL,
    key TEXT NOT NULL,
    spec TEXT NOT NULL
);
CREATE TABLE projects(
    id INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    total_investment REAL,
    annual_plan_investment REAL,
    completed_investment_ytd REAL,
    planned_start INTEGER,
    actual_start INTEGER,
    planned_completion INTEGER,
    actual_completion INTEGER,
    release_date TEXT NOT NULL,
    file_id INTEGER NOT NULL REFERENCES files(id)
);
CREATE INDEX projects_key ON projects(project_id, year, quarter, release_date, id);
CREATE TABLE class_mapping(
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    catalogue TEXT NOT NULL,
    release_date TEXT NOT NULL,
    class_code TEXT NOT NULL,
    industry_code TEXT NOT NULL
);
CREATE INDEX class_mapping_version ON class_mapping(catalogue, release_date, file_id);
CREATE TABLE enterprise_batches(
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    release_date TEXT NOT NULL,
    rows INTEGER NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX enterprise_batches_period ON enterprise_batches(year, quarter, release_date, file_id);
";

/// Version 4: the daemon's state. A run records the data vintage it read and whether it
/// sent its e-mails; `schedule` is the persisted record of each period's scheduled report
/// (waiting for its data, or done); `meta` holds the scheduler's watermark; `risk_acks` are
/// the acknowledgements made over the API (silences that live in the store).
const SCHEMA_4: &str = "
ALTER TABLE runs ADD COLUMN data_vintage TEXT;
ALTER TABLE runs ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
CREATE TABLE schedule(
    period TEXT PRIMARY KEY,
    due_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'done')),
    run_id TEXT,
    complete INTEGER,
    done_at TEXT
);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE risk_acks(
    id INTEGER PRIMARY KEY,
    risk_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    until TEXT NOT NULL,
    acked_at TEXT NOT NULL
);
CREATE INDEX risk_acks_risk ON risk_acks(risk_id, id);
";

/// Version 5: a message being sent is leased by one sender (`lease_owner`, until
/// `lease_until`), so that no other sender — in this process or another — takes it; the
/// periods of observations are indexed (the API lists them on every request).
const SCHEMA_5: &str = "
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
CREATE INDEX observations_period ON observations(year, quarter);
";

/// Version 6: the console's accounts (passwords as argon2id hashes), their sessions (by the
/// SHA-256 of the cookie's token, with the session's CSRF token and expiry) and the audit
/// of every change made through the console.
const SCHEMA_6: &str = "
CREATE TABLE accounts(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('reader', 'analyst', 'admin')),
    password_hash TEXT NOT NULL,
    audiences TEXT NOT NULL DEFAULT '[]',
    language TEXT NOT NULL DEFAULT 'zh',
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE sessions(
    token_sha256 TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE audit(
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
";

/// Version 7: a run's own log lines (a JSON array of strings), kept when it ends so that
/// the console shows them after the process that ran it has gone.
const SCHEMA_7: &str = "
ALTER TABLE runs ADD COLUMN log TEXT;
";

/// Chat robots: an outbox message's channel (`email`, or `robot` with the recipient
/// `robot:NAME`), and every post made to a robot, for its rate limit across passes and
/// processes.
const SCHEMA_8: &str = "
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
CREATE INDEX outbox_lane ON outbox(channel, recipient, state);
CREATE TABLE robot_posts (
    robot TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX robot_posts_at ON robot_posts(robot, at);
";

/// Version 9: the partial aggregates of enterprise records, one Parquet file per quarter
/// and fingerprint of the batches and leaders they are computed from (`inputs`).
const SCHEMA_9: &str = "
CREATE TABLE enterprise_aggregates(
    quarter INTEGER NOT NULL,
    inputs TEXT NOT NULL,
    path TEXT NOT NULL,
    rows INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (quarter, inputs)
);
";
