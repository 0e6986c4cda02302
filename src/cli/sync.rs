//! `mayday sync [ID]`: one sync round for an incident (or every open one
//! here) — publish what is queued, fetch what is new. For scripts and for
//! after an outage; exit 0 when nothing is left queued, 1 when the server
//! cannot be reached (or a log is held), 2 on config errors.

use crate::incident::{Phase, store};
use crate::sync::{SyncError, sync_incident};
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;

/// Run `mayday sync` with the config file `config` (else the default one)
/// on the incidents in `data`.
pub fn run(
    config: Option<&std::path::Path>,
    data: &std::path::Path,
    id: Option<&str>,
    out: &mut dyn Write,
) -> Result<ExitCode> {
    let cfg = match crate::config::Config::load(config) {
        Ok(c) => c,
        Err(e) => {
            writeln!(std::io::stderr(), "{e}")?;
            return Ok(ExitCode::from(2));
        }
    };
    let Some(sync) = cfg.sync else {
        writeln!(
            std::io::stderr(),
            "mayday: no `sync:` section in the config, so nothing is shared; see docs/sync.md"
        )?;
        return Ok(ExitCode::from(2));
    };
    let data = data.to_path_buf();
    let me = cfg
        .responder
        .clone()
        .unwrap_or_else(crate::app::runtime::os_user);
    let ids: Vec<String> = match id {
        // A local incident by id or prefix; else one to join by its full id.
        Some(id) => vec![store::find(&data, id).map_or_else(|_| id.to_owned(), |s| s.id)],
        None => store::list(&data)
            .into_iter()
            .filter(|s| s.state != Phase::Resolved && !s.rehearsal && s.problem.is_none())
            .map(|s| s.id)
            .collect(),
    };
    if ids.is_empty() {
        writeln!(out, "no open incidents here to sync")?;
        return Ok(ExitCode::SUCCESS);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut code = 0u8;
    for id in ids {
        match rt.block_on(sync_incident(&sync, &data, &id, &me)) {
            Ok(r) => {
                let from = if r.from.is_empty() {
                    String::new()
                } else {
                    let who: Vec<&str> = r.from.iter().map(String::as_str).collect();
                    format!(" (by {})", who.join(", "))
                };
                let joined = if r.joined { ", joined" } else { "" };
                let queued = match r.queued {
                    0 => "nothing queued".to_owned(),
                    n => {
                        code = code.max(1);
                        format!("{n} still queued")
                    }
                };
                writeln!(
                    out,
                    "{id}: published {}, fetched {}{from}{joined}; {queued}",
                    r.published, r.fetched
                )?;
            }
            Err(SyncError::Unknown(id)) => {
                writeln!(
                    std::io::stderr(),
                    "mayday: no incident `{id}` here or on the sync server"
                )?;
                code = 2;
            }
            Err(e) => {
                writeln!(out, "{id}: {}", crate::util::diag::error_chain(&e.into()))?;
                code = code.max(1);
            }
        }
    }
    Ok(ExitCode::from(code))
}

/// The config's `sync:` section, if the config loads and has one.
pub fn configured(config: Option<&std::path::Path>) -> Option<crate::sync::SyncConfig> {
    crate::config::Config::load_with(config, true)
        .ok()
        .and_then(|c| c.sync)
}

/// Who this side is: `--responder`, else the config's `responder`, else
/// the OS user.
pub fn me(config: Option<&std::path::Path>, responder: Option<&str>) -> String {
    responder.map_or_else(
        || {
            crate::config::Config::load_with(config, true)
                .ok()
                .and_then(|c| c.responder)
                .unwrap_or_else(crate::app::runtime::os_user)
        },
        str::to_owned,
    )
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// How long `mayday incidents` waits for the sync server's list.
const LIST_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// The shared incidents on the sync server (none without a `sync:` config;
/// an unreachable server is said on stderr, and the local list still shown).
pub fn remote_headers(config: Option<&std::path::Path>) -> Vec<crate::sync::shared::Header> {
    let Some(cfg) = configured(config) else {
        return Vec::new();
    };
    // A listing is not worth a long wait: a silent server costs at most
    // LIST_PATIENCE, then the local list is shown.
    let listed = runtime().and_then(|rt| {
        let asked = rt.block_on(async {
            tokio::time::timeout(LIST_PATIENCE, crate::sync::shared::list(&cfg)).await
        });
        match asked {
            Ok(r) => Ok(r?),
            Err(_) => anyhow::bail!(
                "the sync server {} did not answer within {}s",
                cfg.url,
                LIST_PATIENCE.as_secs()
            ),
        }
    });
    match listed {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "mayday: shared incidents not listed: {}",
                crate::util::diag::error_chain(&e)
            );
            Vec::new()
        }
    }
}

/// `mayday join ID` and `mayday note --incident ID` for an incident that is
/// only on the sync server: fetch it into a local log. `Err` is the exit
/// code, with the reason already said.
pub fn join(
    config: Option<&std::path::Path>,
    data: &std::path::Path,
    id: &str,
    me: &str,
) -> Result<std::result::Result<(), ExitCode>> {
    let Some(cfg) = configured(config) else {
        writeln!(
            std::io::stderr(),
            "mayday: no incident `{id}` here, and no `sync:` section in the config to join it from; see docs/sync.md"
        )?;
        return Ok(Err(ExitCode::from(2)));
    };
    match runtime()?.block_on(sync_incident(&cfg, data, id, me)) {
        Ok(r) => {
            writeln!(
                std::io::stderr(),
                "joined {id}: {} event(s) by {}",
                r.fetched,
                r.from.iter().cloned().collect::<Vec<_>>().join(", ")
            )?;
            Ok(Ok(()))
        }
        Err(SyncError::Unknown(id)) => {
            writeln!(
                std::io::stderr(),
                "mayday: no incident `{id}` here or on the sync server"
            )?;
            Ok(Err(ExitCode::from(2)))
        }
        Err(e) => {
            writeln!(
                std::io::stderr(),
                "mayday: cannot join {id}: {}",
                crate::util::diag::error_chain(&e.into())
            )?;
            Ok(Err(ExitCode::from(1)))
        }
    }
}

/// After `mayday note` wrote to a local log: share it now. A log held by a
/// running Mayday is left to it (it shares continuously); an unreachable
/// server leaves the note queued (said on stderr).
pub fn share_after_note(
    config: Option<&std::path::Path>,
    data: &std::path::Path,
    id: &str,
    me: &str,
) -> Result<()> {
    let Some(cfg) = configured(config) else {
        return Ok(());
    };
    // Held by a running Mayday: the note went to it, and it shares it.
    let path = crate::incident::store::log_path(data, id);
    if let Err(crate::incident::log::LogError::Locked { .. }) =
        crate::incident::log::LogWriter::open_append(&path)
    {
        return Ok(());
    }
    match runtime()?.block_on(sync_incident(&cfg, data, id, me)) {
        Ok(_) | Err(SyncError::Log(crate::incident::log::LogError::Locked { .. })) => {}
        Err(e) => writeln!(
            std::io::stderr(),
            "mayday: the note is saved here but not shared yet ({}); `mayday sync` shares it",
            crate::util::diag::error_chain(&e.into())
        )?,
    }
    Ok(())
}
