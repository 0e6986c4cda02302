//! Carrying out what `update` asked for: each [`Effect`] handed to the
//! incident log's writer, a background task, the terminal or a source's
//! task; answers come back to the loop as [`Action`]s.

use super::io::IncidentIo;
use super::{inbox, terminal};
use crate::app::action::{Action, Called, Effect, Notice};
use crate::app::state::State;
use std::path::PathBuf;
use tokio::sync::mpsc;

/// Background tasks other than the incident log.
pub(super) struct Background {
    pub(super) status: Option<crate::status::StatusHandle>,
    pub(super) status_rx: mpsc::Receiver<crate::status::Update>,
    /// Panics in background threads and tasks.
    pub(super) panics: mpsc::UnboundedReceiver<String>,
    /// The command running now, if any.
    pub(super) runner: Option<crate::exec::RunHandle>,
    pub(super) exec_tx: mpsc::UnboundedSender<crate::exec::ExecEvent>,
    pub(super) exec_rx: mpsc::UnboundedReceiver<crate::exec::ExecEvent>,
    pub(super) shell: String,
    pub(super) scrub_env: Vec<String>,
    pub(super) secrets: Vec<secrecy::SecretString>,
    pub(super) data_dir: PathBuf,
    /// Stops watching when dropped.
    pub(super) _watcher: Option<crate::runbook::watch::WatchHandle>,
    pub(super) watch_rx: mpsc::UnboundedReceiver<crate::runbook::watch::WatchEvent>,
    pub(super) sources: crate::runbook::library::Sources,
    pub(super) theme_dir: Option<PathBuf>,
    pub(super) theme_name: String,
    /// Notes from other terminals into the open incident.
    pub(super) inbox: Option<inbox::Inbox>,
    pub(super) inbox_tx: mpsc::UnboundedSender<inbox::Incoming>,
    pub(super) inbox_rx: mpsc::UnboundedReceiver<inbox::Incoming>,
    /// Remote notes waiting for their event (by ticket), then for the disk
    /// (by sequence number).
    pub(super) notes_waiting: std::collections::HashMap<u64, tokio::sync::oneshot::Sender<String>>,
    pub(super) notes_saving: std::collections::HashMap<u64, tokio::sync::oneshot::Sender<String>>,
    pub(super) next_ticket: u64,
    /// The read-only session's live follower (incident id, task).
    pub(super) follower: Option<(String, tokio::task::JoinHandle<()>)>,
    /// The open incident's shared timeline (with a `sync:` config).
    pub(super) sharing: super::live::Sharing,
    /// Makes the step's live queries.
    pub(super) queries: super::queries::QueryRunner,
}

pub(super) async fn run_effects(
    fx: Vec<Effect>,
    state: &mut State,
    io: &mut IncidentIo,
    bg: &mut Background,
    tx: &mpsc::UnboundedSender<Action>,
    quit: &mut bool,
) {
    for effect in fx {
        match effect {
            Effect::StartIncident(req) => {
                // Rehearsals never execute anything.
                let dry = state.settings.dry_run || req.rehearsal;
                io.start(req, dry, tx.clone());
            }
            Effect::OpenReview(id) => io.open_review(id, state.library.clone(), tx.clone()),
            Effect::WriteDraft(id) => io.write_draft(id, tx.clone()),
            Effect::ResumeIncident(id) => io.resume(id, state.library.clone(), tx.clone()),
            Effect::Append(kind, at) => io.append(kind, at),
            Effect::Merge(e) => io.merge(*e),
            Effect::ListShared => list_shared(bg, tx),
            Effect::JoinIncident(id) => join(
                id,
                state
                    .settings
                    .preset
                    .responder
                    .as_deref()
                    .unwrap_or(&state.settings.default_responder),
                bg,
                tx,
            ),
            Effect::CloseIncident => io.close().await,
            Effect::ListIncidents => {
                io.list(tx.clone());
                list_shared(bg, tx);
            }
            Effect::Quit => *quit = true,
            Effect::Rescue => io.rescue(tx.clone()),
            Effect::CloseRehearsal(id) => io.close_rehearsal(id, tx.clone()),
            Effect::NoteAccepted { ticket, seq } => {
                if let Some(reply) = bg.notes_waiting.remove(&ticket) {
                    bg.notes_saving.insert(seq, reply);
                }
            }
            Effect::NoteRefused { ticket, why } => {
                if let Some(reply) = bg.notes_waiting.remove(&ticket) {
                    let _ = reply.send(format!("error: {why}"));
                }
            }
            Effect::WakeAfter(d) => {
                let tx = tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(d).await;
                    let _ = tx.send(Action::Wake(crate::incident::archive::now()));
                });
            }
            Effect::Bell => terminal::bell(),
            Effect::RunCommand(req) => {
                if req.dry_run {
                    crate::exec::dry_run(&bg.exec_tx);
                } else {
                    let spec = crate::exec::CommandSpec {
                        text: req.text,
                        shell: bg.shell.clone(),
                        cwd: req.cwd.map(PathBuf::from),
                        vars: req.vars,
                        timeout: req.timeout.unwrap_or(state.settings.command_timeout),
                        scrub_env: bg.scrub_env.clone(),
                        secrets: bg.secrets.clone(),
                        ok_exit: req.ok_exit,
                    };
                    bg.runner = Some(crate::exec::spawn(spec, bg.exec_tx.clone()));
                }
            }
            Effect::CancelCommand => {
                if let Some(r) = bg.runner.as_mut() {
                    r.cancel();
                }
            }
            Effect::Copy(text) => match crate::exec::osc52(&text) {
                Some(seq) => terminal::write_raw(seq.as_bytes()),
                None => {
                    let _ = tx.send(Action::Notice(Notice::warning(
                        "too long for the clipboard: copy it from the screen",
                    )));
                }
            },
            Effect::Trust { path, hash } => {
                let mut store = crate::exec::trust::TrustStore::load(&bg.data_dir);
                let result = store
                    .trust(std::path::Path::new(&path), &hash)
                    .map(|()| (path, hash))
                    .map_err(|e| e.to_string());
                let _ = tx.send(Action::Trusted(result));
            }
            Effect::Query(req) => bg.queries.run(*req, tx),
            Effect::Call { source, call } => {
                let asked = match &bg.status {
                    Some(h) => h.call(&source, call.clone()),
                    None => Err(format!("no status source named `{source}` is polled")),
                };
                let tx = tx.clone();
                match asked {
                    Ok(answer) => {
                        tokio::spawn(async move {
                            let reply = answer.await.unwrap_or_else(|_| {
                                Err("the source stopped before it answered".to_owned())
                            });
                            let _ = tx.send(Action::Called(Box::new(Called {
                                source,
                                call,
                                reply,
                            })));
                        });
                    }
                    Err(why) => {
                        let _ = tx.send(Action::Called(Box::new(Called {
                            source,
                            call,
                            reply: Err(why),
                        })));
                    }
                }
            }
            Effect::PollNow(target) => {
                if let Some(h) = &bg.status {
                    let t = match target {
                        Some(name) => crate::status::PollTarget::One(name),
                        None => crate::status::PollTarget::All,
                    };
                    h.poll_now(&t);
                }
            }
        }
    }
}

/// Fetch a shared incident into a local log, then open it.
fn join(id: String, me: &str, bg: &Background, tx: &mpsc::UnboundedSender<Action>) {
    let Some(cfg) = bg.sharing.cfg.clone() else {
        let _ = tx.send(Action::Notice(Notice::error(
            "no `sync:` section in the config, so there is nothing to join; see docs/sync.md",
        )));
        return;
    };
    let dir = bg.data_dir.clone();
    let tx = tx.clone();
    let me = me.to_owned();
    tokio::spawn(async move {
        let result = crate::sync::sync_incident(&cfg, &dir, &id, &me)
            .await
            .map(|_| id.clone())
            .map_err(|e| format!("cannot join {id}: {e}"));
        let _ = tx.send(Action::Joined(result));
    });
}

/// The shared incidents on the sync server, for the picker's join rows.
fn list_shared(bg: &Background, tx: &mpsc::UnboundedSender<Action>) {
    let Some(cfg) = bg.sharing.cfg.clone() else {
        return;
    };
    let tx = tx.clone();
    tokio::spawn(async move {
        match crate::sync::shared::list(&cfg).await {
            Ok(list) => {
                let _ = tx.send(Action::SharedIncidents(list));
            }
            Err(e) => tracing::warn!("sync: cannot list shared incidents: {e}"),
        }
    });
}
