//! Acknowledgements of risks made over the API: silences kept in the store.

use chrono::NaiveDate;
use rusqlite::params;

use super::{Store, StoreError, now};

/// An acknowledgement of a risk, made over the API.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RiskAck {
    pub risk_id: String,
    pub reason: String,
    /// The last day the acknowledgement silences the risk.
    pub until: String,
    pub acked_at: String,
}

impl Store {
    /// Records an acknowledgement of a risk.
    pub fn ack_risk(&self, risk_id: &str, reason: &str, until: NaiveDate) -> Result<RiskAck, StoreError> {
        let ack = RiskAck {
            risk_id: risk_id.to_string(),
            reason: reason.to_string(),
            until: until.to_string(),
            acked_at: now(),
        };
        self.conn()
            .execute(
                "INSERT INTO risk_acks(risk_id, reason, until, acked_at) VALUES (?1, ?2, ?3, ?4)",
                params![ack.risk_id, ack.reason, ack.until, ack.acked_at],
            )
            .map_err(|e| self.err(e))?;
        Ok(ack)
    }

    /// The latest acknowledgement of each risk.
    pub fn risk_acks(&self) -> Result<Vec<RiskAck>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT risk_id, reason, until, acked_at FROM risk_acks a \
                 WHERE id = (SELECT MAX(id) FROM risk_acks b WHERE b.risk_id = a.risk_id) ORDER BY risk_id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(RiskAck {
                risk_id: r.get(0)?,
                reason: r.get(1)?,
                until: r.get(2)?,
                acked_at: r.get(3)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }
}
