//! Console accounts: who may sign in, with which role, and which reports a reader is
//! granted. Parsed and checked here; stored by the store, hashed and signed in by the
//! console. No I/O.

use std::fmt;
use std::str::FromStr;

use super::audience::Audience;

/// What an account may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The reports of the audiences granted to it, nothing else.
    Reader,
    /// Every report; upload, run, acknowledge, retry.
    Analyst,
    /// An analyst who also manages the accounts and reads the audit.
    Admin,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Reader => "reader",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        })
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "reader" => Ok(Role::Reader),
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            other => Err(format!("`{other}` is not a role: reader, analyst or admin")),
        }
    }
}

impl Role {
    /// Whether the role reads every report (and may change things).
    pub fn is_analyst(self) -> bool {
        self >= Role::Analyst
    }
}

/// A console account as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: i64,
    /// The sign-in name: 1–64 letters, digits, `.`, `_`, `-` or `@`.
    pub name: String,
    pub role: Role,
    /// The argon2id hash of the password (a PHC string), never the password.
    pub password_hash: String,
    /// The reports a reader may open (an analyst opens all).
    pub audiences: Vec<Audience>,
    /// `zh` (the default) or `en`.
    pub language: String,
    pub disabled: bool,
}

impl Account {
    /// Whether the account may open the report of `audience`.
    pub fn may_read(&self, audience: &Audience) -> bool {
        self.role.is_analyst() || self.audiences.contains(audience)
    }
}

/// Whether `name` can be a sign-in name.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_reads_only_what_it_is_granted() {
        let reader = Account {
            id: 1,
            name: "hefei".into(),
            role: Role::Reader,
            password_hash: String::new(),
            audiences: vec![Audience::City("340100".into())],
            language: "zh".into(),
            disabled: false,
        };
        assert!(reader.may_read(&Audience::City("340100".into())));
        assert!(!reader.may_read(&Audience::City("340200".into())));
        assert!(!reader.may_read(&Audience::Province));
        let analyst = Account {
            role: Role::Analyst,
            ..reader
        };
        assert!(analyst.may_read(&Audience::Province));
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
        assert!(valid_name("li.wei@example.org") && !valid_name("") && !valid_name("a b"));
    }
}
