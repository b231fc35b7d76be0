//! `seimon user`: the web console's accounts from the command line — the first admin is
//! made here. Each change is written to the console's audit as made by `cli`.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::daemon::console::auth;
use crate::model::account::{Role, valid_name};
use crate::model::audience::Audience;
use crate::pipeline::Seimon;

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add an account.
    Add {
        name: String,
        /// reader (the reports granted with --audience), analyst or admin
        #[arg(long)]
        role: Role,
        /// A report a reader may open: province, industry:CODE, city:CODE or chain:CODE
        /// (repeat for more)
        #[arg(long = "audience", value_name = "AUDIENCE")]
        audiences: Vec<String>,
        /// The console's language for the account: zh or en
        #[arg(long, default_value = "zh")]
        language: String,
    },
    /// Set an account's password (its sessions end).
    Passwd { name: String },
    /// Disable an account (its sessions end).
    Disable { name: String },
    /// List the accounts.
    List,
}

/// The new password: from the terminal without echo (asked twice), or the first line of
/// standard input.
fn read_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ")?;
        let again = rpassword::prompt_password("again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.chars().count() < auth::MIN_PASSWORD {
        bail!("a password has at least {} characters", auth::MIN_PASSWORD);
    }
    Ok(password)
}

/// The audiences granted, checked against the catalogue.
fn audiences(app: &Seimon, texts: &[String]) -> anyhow::Result<Vec<Audience>> {
    let c = &app.settings.catalogue;
    texts
        .iter()
        .map(|t| {
            let a: Audience = t.parse().map_err(anyhow::Error::msg)?;
            if !a.is_in(c) {
                bail!("`{t}`: no such code in catalogue {}", c.name);
            }
            Ok(a)
        })
        .collect()
}

pub fn run(app: &Seimon, action: UserAction) -> anyhow::Result<ExitCode> {
    let store = &app.store;
    match action {
        UserAction::Add {
            name,
            role,
            audiences: grants,
            language,
        } => {
            if !valid_name(&name) {
                bail!("`{name}` is not an account name: 1–64 letters, digits, `.`, `_`, `-` or `@`");
            }
            if !["zh", "en"].contains(&language.as_str()) {
                bail!("`{language}` is not a language of the console: zh or en");
            }
            let grants = audiences(app, &grants)?;
            if role == Role::Reader && grants.is_empty() {
                bail!("a reader needs at least one --audience (the reports it may open)");
            }
            let hash = auth::hash_password(&read_password()?)?;
            if store.add_account(&name, role, &hash, &grants, &language)?.is_none() {
                bail!("an account `{name}` exists already: `seimon user passwd {name}` sets its password");
            }
            let granted: Vec<String> = grants.iter().map(ToString::to_string).collect();
            store.audit("cli", "user add", &format!("{name} ({role}) {}", granted.join(" ")))?;
            println!("account {name} added ({role})");
        }
        UserAction::Passwd { name } => {
            let hash = auth::hash_password(&read_password()?)?;
            if !store.set_password(&name, &hash)? {
                bail!("no account `{name}`");
            }
            store.audit("cli", "user passwd", &name)?;
            println!("password of {name} set; its sessions ended");
        }
        UserAction::Disable { name } => {
            if !store.disable_account(&name)? {
                bail!("no account `{name}`");
            }
            store.audit("cli", "user disable", &name)?;
            println!("account {name} disabled; its sessions ended");
        }
        UserAction::List => {
            for a in store.accounts()? {
                let grants: Vec<String> = a.audiences.iter().map(ToString::to_string).collect();
                println!(
                    "{:<24} {:<8} {:<3} {}{}",
                    a.name,
                    a.role,
                    a.language,
                    grants.join(" "),
                    if a.disabled { " (disabled)" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
