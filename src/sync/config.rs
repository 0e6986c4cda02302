//! The config file's `sync:` section: where the shared timeline lives (a
//! NATS server with JetStream) and how to log in. Without it nothing is
//! shared and nothing changes.

use crate::status::Credential;
use crate::util::diag::Diagnostic;
use crate::util::yaml::pos_of;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};

const HINT: &str = "see docs/sync.md";

/// `sync:` as written.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSync {
    url: Option<Spanned<String>>,
    token_env: Option<String>,
    token_file: Option<String>,
    user: Option<String>,
    password_env: Option<String>,
    password_file: Option<String>,
    creds_file: Option<String>,
    ca_file: Option<String>,
    stream: Option<Spanned<String>>,
}

/// How Mayday logs in to the NATS server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// No credentials (a server on a laptop for a game day).
    None,
    /// A token (`token_env` / `token_file`).
    Token(Credential),
    /// A user and password (`user` with `password_env` / `password_file`).
    UserPassword(String, Credential),
    /// A `.creds` file (JWT and nkey seed), as `nsc` makes them.
    CredsFile(PathBuf),
}

/// The `sync:` section, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncConfig {
    /// `nats://host:port` or `tls://host:port` (several, comma-separated,
    /// for a cluster).
    pub url: String,
    /// How to log in.
    pub auth: Auth,
    /// A CA certificate (PEM) to trust for `tls://`.
    pub ca_file: Option<PathBuf>,
    /// The JetStream stream that holds the timelines (default `MAYDAY`).
    pub stream: String,
}

impl SyncConfig {
    /// Make relative paths relative to the config file's directory.
    pub fn rebase_paths(&mut self, dir: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        match &mut self.auth {
            Auth::Token(Credential::File(p))
            | Auth::UserPassword(_, Credential::File(p))
            | Auth::CredsFile(p) => fix(p),
            _ => {}
        }
        if let Some(p) = &mut self.ca_file {
            fix(p);
        }
    }
}

fn err(at: &serde_saphyr::Location, message: impl Into<String>, hint: &str) -> Diagnostic {
    Diagnostic::error("invalid-sync", pos_of(at), message).with_hint(hint)
}

/// Check the `sync:` section.
pub(crate) fn parse(raw: Spanned<RawSync>) -> Result<SyncConfig, Diagnostic> {
    let at = raw.referenced;
    let r = raw.value;
    let Some(url) = r.url else {
        return Err(err(
            &at,
            "sync: needs a `url`",
            "write e.g. `url: nats://127.0.0.1:4222` (or tls://…); see docs/sync.md",
        ));
    };
    let servers: Vec<&str> = url.value.split(',').map(str::trim).collect();
    for s in &servers {
        let ok = ["nats://", "tls://"].iter().any(|p| {
            s.strip_prefix(p)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('@'))
        });
        if !ok {
            return Err(err(
                &url.referenced,
                format!("sync: `{s}` is not a NATS server address"),
                "write nats://HOST:PORT or tls://HOST:PORT, without user:password in it (use `user` and `password_env`)",
            ));
        }
    }
    let count = [
        r.token_env.is_some() || r.token_file.is_some(),
        r.user.is_some(),
        r.creds_file.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if count > 1 {
        return Err(err(
            &at,
            "sync: give one way to log in: a token, a user and password, or a creds file",
            HINT,
        ));
    }
    let credential = |env: Option<String>, file: Option<String>, what: &str| match (env, file) {
        (Some(_), Some(_)) => Err(err(
            &at,
            format!("sync: {what}_env and {what}_file both given"),
            "keep one of them",
        )),
        (Some(v), None) if !v.trim().is_empty() && !v.contains('=') => Ok(Credential::Env(v)),
        (Some(_), None) => Err(err(
            &at,
            format!("sync: {what}_env must name an environment variable"),
            "the name, not the secret",
        )),
        (None, Some(f)) if !f.trim().is_empty() => Ok(Credential::File(PathBuf::from(f))),
        _ => Err(err(&at, format!("sync: no {what} given"), HINT)),
    };
    let auth = if r.token_env.is_some() || r.token_file.is_some() {
        Auth::Token(credential(r.token_env, r.token_file, "token")?)
    } else if let Some(user) = r.user {
        if r.password_env.is_none() && r.password_file.is_none() {
            return Err(err(
                &at,
                "sync: `user` needs `password_env` or `password_file`",
                HINT,
            ));
        }
        Auth::UserPassword(
            user,
            credential(r.password_env, r.password_file, "password")?,
        )
    } else if let Some(f) = r.creds_file {
        Auth::CredsFile(PathBuf::from(f))
    } else {
        if r.password_env.is_some() || r.password_file.is_some() {
            return Err(err(&at, "sync: a password without a `user`", HINT));
        }
        Auth::None
    };
    let stream = match r.stream {
        Some(s) => {
            let v = s.value.trim().to_owned();
            if v.is_empty()
                || !v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(err(
                    &s.referenced,
                    format!("sync: `{v}` is not a stream name"),
                    "letters, digits, `_` and `-` only (default MAYDAY)",
                ));
            }
            v
        }
        None => "MAYDAY".to_owned(),
    };
    Ok(SyncConfig {
        url: servers.join(","),
        auth,
        ca_file: r.ca_file.map(PathBuf::from),
        stream,
    })
}
