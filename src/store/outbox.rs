//! The outbox: every e-mail and robot post stored before its first attempt, leased to one
//! sender while it is sent, its outcome recorded under the lease; and the posts made to each
//! robot, for its rate limit.

use rusqlite::{OptionalExtension, params};

use super::{Channel, OutboxState, Store, StoreError, now};

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    /// E-mail, or a robot's post (the recipient `robot:NAME`, the message its JSON body).
    pub channel: Channel,
    /// (report, period, data vintage, recipient): the same key is the same message.
    pub key: String,
    pub message_id: String,
    pub run_id: String,
    pub period: String,
    pub audience: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    #[serde(skip)]
    pub message: Vec<u8>,
    /// pending → sending → sent, or dead (permanent failure or too many attempts).
    pub state: OutboxState,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl OutboxMessage {
    /// The key of a message: one per (report audience, period, data vintage, recipient —
    /// the mailbox as written, compared without case), so re-running a quarter on the same
    /// data queues nothing new.
    pub fn key_for(audience: &str, period: &str, data_vintage: &str, recipient: &str) -> String {
        format!("{audience}|{period}|{data_vintage}|{}", recipient.to_lowercase())
    }
}

const OUTBOX_COLUMNS: &str = "id, key, message_id, run_id, period, audience, sender, recipient, subject, message, state, attempts, next_attempt_at, last_error, created_at, sent_at, channel";

/// Which messages a sender takes: the e-mails, or one robot's posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane<'a> {
    Email,
    Robot(&'a str),
}

impl Lane<'_> {
    /// The lane's condition on the outbox, with its one parameter (`?4`).
    fn filter(&self) -> (&'static str, String) {
        match self {
            Lane::Email => ("channel = ?4", Channel::Email.to_string()),
            Lane::Robot(name) => ("channel = 'robot' AND recipient = ?4", robot_recipient(name)),
        }
    }
}

/// The recipient of a robot's posts in the outbox: `robot:NAME`.
pub fn robot_recipient(name: &str) -> String {
    format!("robot:{name}")
}

fn outbox_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.get(0)?,
        key: r.get(1)?,
        message_id: r.get(2)?,
        run_id: r.get(3)?,
        period: r.get(4)?,
        audience: r.get(5)?,
        sender: r.get(6)?,
        recipient: r.get(7)?,
        subject: r.get(8)?,
        message: r.get(9)?,
        state: r.get(10)?,
        attempts: r.get(11)?,
        next_attempt_at: r.get(12)?,
        last_error: r.get(13)?,
        created_at: r.get(14)?,
        sent_at: r.get(15)?,
        channel: r.get(16)?,
    })
}

impl Store {
    /// Puts messages in the outbox; a message whose key is already there (the same report,
    /// period, data vintage and recipient) is not added again. Returns how many were new.
    pub fn enqueue(&self, messages: &[OutboxMessage]) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let mut added = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO outbox(key, message_id, run_id, period, audience, sender, recipient, subject, message, state, attempts, next_attempt_at, created_at, channel)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', 0, ?10, ?10, ?11)",
                )
                .map_err(|e| self.err(e))?;
            let created = now();
            for m in messages {
                added += insert
                    .execute(params![
                        m.key,
                        m.message_id,
                        m.run_id,
                        m.period,
                        m.audience,
                        m.sender,
                        m.recipient,
                        m.subject,
                        m.message,
                        created,
                        m.channel
                    ])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(added)
    }

    /// Leases the next message of `lane` due at `now` to `owner` until `until`: pending →
    /// sending in one statement, so two senders never take the same message. A message left
    /// `sending` is taken again only when its lease has expired (its sender died or hung).
    /// A robot's messages go one after the other: one waiting for its retry holds back those
    /// behind it.
    pub fn claim_next(&self, lane: Lane<'_>, owner: &str, now: &str, until: &str) -> Result<Option<OutboxMessage>, StoreError> {
        let (filter, value) = lane.filter();
        let due = "((state = 'pending' AND next_attempt_at <= ?2) OR (state = 'sending' AND (lease_until IS NULL OR lease_until < ?2)))";
        // e-mails: the first due; a robot's posts: strictly in order (a group reads them in
        // the order they arrive), so only the first not yet sent or dead, if it is due
        let next = match lane {
            Lane::Email => format!("id = (SELECT id FROM outbox WHERE {filter} AND {due} ORDER BY id LIMIT 1)"),
            Lane::Robot(_) => {
                format!("id = (SELECT id FROM outbox WHERE {filter} AND state IN ('pending', 'sending') ORDER BY id LIMIT 1) AND {due}")
            }
        };
        self.conn()
            .query_row(
                &format!(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_owner = ?1, lease_until = ?3
                     WHERE {next}
                     RETURNING {OUTBOX_COLUMNS}"
                ),
                params![owner, now, until, value],
                outbox_message,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The owners of the leases of messages being sent, other than `me`.
    pub fn lease_owners(&self, me: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT DISTINCT lease_owner FROM outbox WHERE state = 'sending' AND lease_owner IS NOT NULL AND lease_owner <> ?1",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([me], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// The leases of a sender known to be dead go back to pending, due now. The server may
    /// have accepted the message it was sending just before it died; that one is sent again
    /// with the same Message-ID, which lets the receiving side recognise it.
    pub fn release_leases(&self, owner: &str) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE outbox SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE state = 'sending' AND lease_owner = ?1",
                [owner],
            )
            .map_err(|e| self.err(e))
    }

    /// Ends `owner`'s lease of message `id` with its outcome; false when the lease was no
    /// longer `owner`'s (it expired and another sender took the message).
    fn end_lease(&self, id: i64, owner: &str, set: &str, values: &[&dyn rusqlite::ToSql]) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE outbox SET {set}, lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND lease_owner = ?2 AND state = 'sending'"
        );
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id, &owner];
        all.extend_from_slice(values);
        self.conn().execute(&sql, all.as_slice()).map(|n| n == 1).map_err(|e| self.err(e))
    }

    /// The server accepted the message.
    pub fn mark_sent(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        self.end_lease(id, owner, "state = 'sent', sent_at = ?3, last_error = NULL", &[&now()])
    }

    /// A temporary failure: try again at `next`.
    pub fn mark_retry(&self, id: i64, owner: &str, error: &str, next: &str) -> Result<bool, StoreError> {
        self.end_lease(
            id,
            owner,
            "state = 'pending', last_error = ?3, next_attempt_at = ?4",
            &[&error, &next],
        )
    }

    /// A permanent failure, or too many attempts.
    pub fn mark_dead(&self, id: i64, owner: &str, error: &str) -> Result<bool, StoreError> {
        self.end_lease(id, owner, "state = 'dead', last_error = ?3", &[&error])
    }

    /// Gives back a message claimed but not tried (the pass was stopped before it went): it
    /// is pending again as it was, its attempt not counted.
    pub fn unclaim(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        self.end_lease(id, owner, "state = 'pending', attempts = MAX(attempts - 1, 0)", &[])
    }

    /// Dead messages go back to pending (an explicit retry), due now.
    pub fn retry_dead(&self) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1 WHERE state = 'dead'",
                [now()],
            )
            .map_err(|e| self.err(e))
    }

    /// Puts one dead message back in the queue, due now; false when it is not dead.
    pub fn retry_message(&self, id: i64) -> Result<bool, StoreError> {
        self.conn()
            .execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1 WHERE id = ?2 AND state = 'dead'",
                params![now(), id],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Every message in the outbox (without their bodies' bytes), newest first.
    pub fn outbox(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id DESC"))
            .map_err(|e| self.err(e))?;
        stmt.query_map([], outbox_message)
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// How many messages of the outbox are in each state.
    pub fn outbox_counts(&self) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT state, COUNT(*) FROM outbox GROUP BY state")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// Records a post made to a robot at `at` (whatever came of it: the platform counts
    /// requests), and forgets those older than `forget_before`.
    pub fn record_robot_post(&self, robot: &str, at: &str, forget_before: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute(
            "DELETE FROM robot_posts WHERE robot = ?1 AND at < ?2",
            params![robot, forget_before],
        )
        .map_err(|e| self.err(e))?;
        tx.execute("INSERT INTO robot_posts(robot, at) VALUES (?1, ?2)", params![robot, at])
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// The times of the posts made to a robot since `since`, oldest first.
    pub fn robot_posts_since(&self, robot: &str, since: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT at FROM robot_posts WHERE robot = ?1 AND at >= ?2 ORDER BY at")
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![robot, since], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }
}
