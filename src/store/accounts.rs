//! The console's accounts, their sessions and the audit of what was changed through it:
//! kept in the store so that they outlive a restart. Passwords arrive hashed (argon2id PHC
//! strings) and session tokens as their SHA-256: neither is stored in clear.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, now};
use crate::model::account::{Account, Role};
use crate::model::audience::Audience;

/// One change made through the console.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    pub at: String,
    pub account: String,
    pub action: String,
    pub detail: String,
}

/// A signed-in session: its account and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub csrf: String,
    pub expires_at: String,
}

const ACCOUNT_COLUMNS: &str = "id, name, role, password_hash, audiences, language, disabled";

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let role: String = r.get(2)?;
    let audiences: String = r.get(4)?;
    let audiences: Vec<String> = serde_json::from_str(&audiences).unwrap_or_default();
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        // the table's CHECK keeps the role one of the three
        role: role.parse().unwrap_or(Role::Reader),
        password_hash: r.get(3)?,
        audiences: audiences.iter().filter_map(|a| a.parse::<Audience>().ok()).collect(),
        language: r.get(5)?,
        disabled: r.get::<_, i64>(6)? != 0,
    })
}

impl Store {
    /// Adds an account; none when the name is taken.
    pub fn add_account(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        audiences: &[Audience],
        language: &str,
    ) -> Result<Option<Account>, StoreError> {
        let grants = serde_json::to_string(&audiences.iter().map(ToString::to_string).collect::<Vec<_>>()).expect("strings serialise");
        let added = self
            .conn()
            .execute(
                "INSERT INTO accounts(name, role, password_hash, audiences, language, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT(name) DO NOTHING",
                params![name, role.to_string(), password_hash, grants, language, now()],
            )
            .map_err(|e| self.err(e))?;
        if added == 0 {
            return Ok(None);
        }
        self.account(name)
    }

    /// The account of `name`.
    pub fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = ?1"),
                [name],
                account_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY name"))
            .map_err(|e| self.err(e))?;
        stmt.query_map([], account_row).and_then(|r| r.collect()).map_err(|e| self.err(e))
    }

    /// Sets an account's password hash and ends its sessions; false when there is no such
    /// account.
    pub fn set_password(&self, name: &str, password_hash: &str) -> Result<bool, StoreError> {
        self.change_account(
            name,
            "UPDATE accounts SET password_hash = ?2 WHERE name = ?1",
            params![name, password_hash],
        )
    }

    /// Disables an account and ends its sessions; false when there is no such account.
    pub fn disable_account(&self, name: &str) -> Result<bool, StoreError> {
        self.change_account(name, "UPDATE accounts SET disabled = 1 WHERE name = ?1", params![name])
    }

    /// Runs `update` with its parameters and ends the sessions of the account `name`, in one
    /// transaction; false when the update changed no account.
    fn change_account(&self, name: &str, update: &str, parameters: &[&dyn rusqlite::ToSql]) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let changed = tx.execute(update, parameters).map_err(|e| self.err(e))?;
        tx.execute(
            "DELETE FROM sessions WHERE account_id = (SELECT id FROM accounts WHERE name = ?1)",
            [name],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(changed > 0)
    }

    /// Opens a session for an account, until `expires_at` (RFC 3339).
    pub fn open_session(&self, token_sha256: &str, account_id: i64, csrf: &str, expires_at: &str) -> Result<(), StoreError> {
        let conn = self.conn();
        // sessions past their time go as new ones open
        conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [now()])
            .map_err(|e| self.err(e))?;
        conn.execute(
            "INSERT INTO sessions(token_sha256, account_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_sha256, account_id, csrf, now(), expires_at],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The live session of a token's hash: not expired, its account not disabled.
    pub fn session(&self, token_sha256: &str) -> Result<Option<Session>, StoreError> {
        let columns = ACCOUNT_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
        self.conn()
            .query_row(
                &format!(
                    "SELECT {columns}, s.csrf, s.expires_at FROM sessions s JOIN accounts a ON a.id = s.account_id \
                     WHERE s.token_sha256 = ?1 AND s.expires_at >= ?2 AND a.disabled = 0"
                ),
                params![token_sha256, now()],
                |r| {
                    Ok(Session {
                        account: account_row(r)?,
                        csrf: r.get(7)?,
                        expires_at: r.get(8)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Ends a session.
    pub fn close_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_sha256 = ?1", [token_sha256])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Records a change made through the console (or to its accounts).
    pub fn audit(&self, account: &str, action: &str, detail: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO audit(at, account, action, detail) VALUES (?1, ?2, ?3, ?4)",
                params![now(), account, action, detail],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The latest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT at, account, action, detail FROM audit ORDER BY id DESC LIMIT ?1")
            .map_err(|e| self.err(e))?;
        stmt.query_map([limit as i64], |r| {
            Ok(AuditEntry {
                at: r.get(0)?,
                account: r.get(1)?,
                action: r.get(2)?,
                detail: r.get(3)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }
}
