//! The states a stored record moves through — a run, an outbox message, a scheduled
//! period — as enums: the Rust code compares variants, never text; the text is the
//! database's (its `CHECK` constraints) and the API's.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

macro_rules! state {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The state as the store and the API write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} `{other}`", stringify!($name))),
                }
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e: String| FromSqlError::Other(e.into()))
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
    };
}

state! {
    /// A run of a quarter.
    RunState {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

impl RunState {
    /// Whether the run has ended, well or not.
    pub fn finished(self) -> bool {
        matches!(self, RunState::Succeeded | RunState::Failed)
    }
}

state! {
    /// A message of the outbox: pending → sending (leased) → sent, or dead.
    OutboxState {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Dead = "dead",
    }
}

state! {
    /// A period the schedule made due: waiting for its data (or its deadline), or done.
    ScheduleState {
        Waiting = "waiting",
        Done = "done",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_as_written() {
        for s in [RunState::Queued, RunState::Running, RunState::Succeeded, RunState::Failed] {
            assert_eq!(s.as_str().parse::<RunState>(), Ok(s));
        }
        assert_eq!("dead".parse::<OutboxState>(), Ok(OutboxState::Dead));
        assert_eq!("done".parse::<ScheduleState>(), Ok(ScheduleState::Done));
        assert!("Done".parse::<ScheduleState>().is_err());
        assert_eq!(serde_json::to_string(&RunState::Succeeded).unwrap(), "\"succeeded\"");
    }
}

state! {
    /// How an outbox message goes: by e-mail, or posted to a chat robot (`robot:NAME`).
    Channel {
        Email = "email",
        Robot = "robot",
    }
}
