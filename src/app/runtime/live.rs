//! The open incident's shared timeline, seen from the runtime: start the
//! sync task when an incident this session may write is open (and the
//! config has `sync:`), stop it when it closes, hand it each own event the
//! log saved and the header whenever it changes, and forward its reports
//! to the loop as [`Action::Sync`].

use crate::app::action::Action;
use crate::app::state::State;
use crate::incident::Event;
use crate::sync::SyncConfig;
use crate::sync::live::{self, LiveHandle};
use crate::sync::shared::Header;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long quitting waits for the last events to be shared.
const FINISH_PATIENCE: Duration = Duration::from_secs(3);

/// The sync task of the open incident.
pub(super) struct LiveSession {
    id: String,
    handle: LiveHandle,
    /// The header last handed over.
    header: Option<Header>,
    _forward: tokio::task::JoinHandle<()>,
}

/// What the runtime keeps for sharing.
pub(super) struct Sharing {
    pub(super) cfg: Option<SyncConfig>,
    pub(super) data_dir: PathBuf,
    pub(super) session: Option<LiveSession>,
}

impl Sharing {
    /// Start or stop the task to match the open incident; hand over the
    /// header when it changed.
    pub(super) fn follow(&mut self, state: &State, tx: &mpsc::UnboundedSender<Action>) {
        let Some(cfg) = self.cfg.as_ref() else { return };
        let want = state
            .session
            .as_ref()
            .filter(|s| s.read_only.is_none() && state.review.is_none());
        if self.session.as_ref().map(|l| l.id.as_str()) != want.map(|s| s.incident.id.as_str()) {
            // The incident was closed: its last events (written as it
            // closed) still go out, in the background.
            if let Some(old) = self.session.take() {
                tokio::spawn(async move {
                    old.handle.finish(FINISH_PATIENCE).await;
                });
            }
            if let Some(s) = want {
                let saved: Vec<Event> = s
                    .events
                    .iter()
                    .filter(|e| e.seq <= s.saved_seq)
                    .cloned()
                    .collect();
                let (ltx, mut lrx) = mpsc::unbounded_channel();
                let handle = live::spawn(
                    cfg.clone(),
                    self.data_dir.clone(),
                    s.incident.id.clone(),
                    s.incident.responder().to_owned(),
                    &saved,
                    ltx,
                );
                let tx = tx.clone();
                let incident = s.incident.id.clone();
                let forward = tokio::spawn(async move {
                    while let Some(u) = lrx.recv().await {
                        let action = Action::Sync {
                            incident: incident.clone(),
                            update: Box::new(u),
                        };
                        if tx.send(action).is_err() {
                            return;
                        }
                    }
                });
                self.session = Some(LiveSession {
                    id: s.incident.id.clone(),
                    handle,
                    header: None,
                    _forward: forward,
                });
            }
        }
        if let (Some(l), Some(s)) = (self.session.as_mut(), want) {
            let h = Header::of(&s.incident);
            if l.header.as_ref() != Some(&h) {
                l.handle.header(h.clone());
                l.header = Some(h);
            }
        }
    }

    /// An own event is on disk: share it.
    pub(super) fn saved(&self, action: &Action) {
        if let (Action::Saved(e), Some(l)) = (action, self.session.as_ref())
            && !e.merged
        {
            l.handle.share((**e).clone());
        }
    }

    /// The log is closed: give the task a moment to share the last events.
    pub(super) async fn finish(&mut self) {
        if let Some(l) = self.session.take() {
            let left = l.handle.finish(FINISH_PATIENCE).await;
            if left > 0 {
                tracing::warn!(
                    "sync {}: events not shared yet; `mayday sync` or the next session shares them",
                    l.id
                );
            }
        }
    }
}
