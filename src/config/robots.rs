//! `[[robots]]` and `[console] url`: the chat robots subscriptions post to — each one's
//! platform, its URL and secret (from `SEIMON_ROBOT__<NAME>__URL` / `__SECRET` or a file,
//! never from the configuration file, never printed), its rate and its retries — and the
//! console's address the cards link to.

use std::collections::BTreeMap;

use super::raw::RawRobot;
use super::{Robot, Secret};
use crate::chat::RobotKind;
use crate::model::tomlspan::KeyPath;

type Problems = Vec<(KeyPath, String)>;

/// The robots, each checked; the problems of each under `robots[i].key`.
pub(super) fn robots_section(raw: Vec<RawRobot>, secrets: &BTreeMap<String, Secret>, problems: &mut Problems) -> Vec<Robot> {
    let mut robots: Vec<Robot> = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let at = |k: &str| KeyPath::default().key("robots").index(i).key(k);
        let name = r.name.unwrap_or_default();
        let well_formed = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !well_formed {
            problems.push((
                at("name"),
                format!("`{name}` is not a robot name: lower-case letters, digits and `-`, as in \"hefei-group\""),
            ));
            continue;
        }
        if robots.iter().any(|o| o.name == name) {
            problems.push((at("name"), format!("the robot `{name}` is defined twice")));
            continue;
        }
        let Some(kind) = r.kind else {
            problems.push((at("kind"), "is required: \"dingtalk\", \"wecom\" or \"webhook\"".into()));
            continue;
        };
        let mut secret_of = |what: &str, file: Option<std::path::PathBuf>, key: &str| -> Option<Secret> {
            let var = Robot::env_var(&name, what);
            match (secrets.get(&var), file) {
                (Some(s), _) => Some(s.clone()),
                (None, Some(file)) => match std::fs::read_to_string(&file) {
                    Ok(s) => Some(Secret(s.trim().to_string())),
                    Err(e) => {
                        problems.push((at(key), format!("cannot read {}: {e}", file.display())));
                        None
                    }
                },
                (None, None) => None,
            }
            .filter(|s| !s.expose().is_empty())
        };
        let url = secret_of("URL", r.url_file, "url_file");
        let secret = secret_of("SECRET", r.secret_file, "secret_file");
        let Some(url) = url else {
            problems.push((
                at("url_file"),
                format!("the robot `{name}` has no URL: set {} or url_file", Robot::env_var(&name, "URL")),
            ));
            continue;
        };
        // the URL holds the platform's access token: say what is wrong, never what it is
        match reqwest::Url::parse(url.expose()) {
            Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
            _ => problems.push((
                at("url_file"),
                format!("the robot `{name}`'s URL is not an http(s) address (the URL is not shown: it holds its access token)"),
            )),
        }
        if secret.is_none() && kind != RobotKind::Wecom {
            let why = match kind {
                RobotKind::Dingtalk => "DingTalk robots are signed (the robot's 加签 secret, SEC…)",
                _ => "webhooks are signed with it (HMAC-SHA256)",
            };
            problems.push((
                at("secret_file"),
                format!(
                    "the robot `{name}` has no secret: set {} or secret_file; {why}",
                    Robot::env_var(&name, "SECRET")
                ),
            ));
        }
        if let Some(ca) = &r.ca_file
            && let Err(e) = std::fs::read(ca)
        {
            problems.push((at("ca_file"), format!("cannot read {}: {e}", ca.display())));
        }
        let positive = |v: Option<u64>, default: u64, key: &str, problems: &mut Problems| {
            let v = v.unwrap_or(default);
            if v == 0 {
                problems.push((at(key), "must be at least 1".into()));
            }
            v.max(1)
        };
        let timeout = positive(r.timeout_secs, 10, "timeout_secs", problems);
        let window = positive(r.rate_window_secs, 60, "rate_window_secs", problems);
        let limit = positive(r.rate_limit.map(u64::from), 20, "rate_limit", problems);
        robots.push(Robot {
            name,
            kind,
            url,
            secret,
            ca_file: r.ca_file,
            timeout: std::time::Duration::from_secs(timeout),
            rate_limit: u32::try_from(limit).unwrap_or(u32::MAX),
            rate_window: std::time::Duration::from_secs(window),
            retry_base: std::time::Duration::from_secs(r.retry_base_secs.unwrap_or(60)),
            max_attempts: r.max_attempts.unwrap_or(6).max(1),
        });
    }
    robots
}

/// `[console] url`: an http(s) address without a trailing slash.
pub(super) fn console_url(url: Option<String>, problems: &mut Problems) -> Option<String> {
    let url = url.filter(|u| !u.trim().is_empty())?;
    match reqwest::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") => Some(url.trim_end_matches('/').to_string()),
        _ => {
            problems.push((
                KeyPath::default().key("console").key("url"),
                format!("`{url}` is not an http(s) address such as https://seimon.example.gov.cn"),
            ));
            None
        }
    }
}
