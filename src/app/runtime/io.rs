//! The runtime's side of incidents: creating, resuming, appending to and
//! closing incident logs, in background tasks that report back as actions.
//! The log writer task owns the file; the app only ever sends it owned
//! events and hears back what was synced.

use crate::app::action::{Action, IncidentListing, Notice, Opened, StartRequest};
use crate::incident::writer::{self, WriterEvent, WriterHandle};
use crate::incident::{EventKind, store};
use crate::runbook::library::Library;
use anyhow::{Context, Result};
use jiff::Timestamp;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

/// The incident logs of this session.
pub struct IncidentIo {
    data_dir: PathBuf,
    writer: Option<WriterHandle>,
    forwarder: Option<JoinHandle<()>>,
    /// Logs closed with events that could not be written (and where their
    /// rescue copies went), reported once the terminal is restored.
    lost: Vec<writer::Closed>,
}

impl IncidentIo {
    /// Incident files under this data directory.
    pub fn new(data_dir: PathBuf) -> IncidentIo {
        IncidentIo {
            data_dir,
            writer: None,
            forwarder: None,
            lost: Vec::new(),
        }
    }

    /// The incident `mayday resume [ID]` means: the id (or unique prefix)
    /// given, else the newest unresolved one.
    pub fn resolve_resume(&self, id: Option<&str>) -> Result<String> {
        match id {
            Some(id) => Ok(store::find(&self.data_dir, id)?.id),
            None => store::newest_open(&self.data_dir)
                .map(|s| s.id)
                .with_context(|| {
                    format!(
                        "there is no open incident in {} to resume",
                        self.data_dir.display()
                    )
                }),
        }
    }

    /// Start the writer task and forward its reports as actions.
    fn attach(
        &mut self,
        handle: WriterHandle,
        mut events: tokio::sync::mpsc::UnboundedReceiver<WriterEvent>,
        tx: UnboundedSender<Action>,
    ) {
        self.writer = Some(handle);
        self.forwarder = Some(tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                let action = match ev {
                    WriterEvent::Saved(e) => Action::Saved(e),
                    WriterEvent::Failed(error) => Action::SaveFailed { error },
                };
                if tx.send(action).is_err() {
                    break;
                }
            }
        }));
    }

    /// Create the incident's log (and a copy of the runbook it runs) and
    /// open it.
    pub fn start(&mut self, req: StartRequest, dry_run: bool, tx: UnboundedSender<Action>) {
        let data_dir = self.data_dir.clone();
        let tx2 = tx.clone();
        let result = create(&data_dir, &req, dry_run);
        match result {
            Ok((log, events)) => {
                let (handle, reports) = writer::spawn(log, events.clone());
                self.attach(handle, reports, tx2);
                let trusted =
                    crate::exec::trust::TrustStore::load(&self.data_dir).is_trusted(&req.runbook);
                let _ = tx.send(Action::IncidentOpened(Box::new(Opened {
                    runbook: req.runbook.clone(),
                    events,
                    read_only: None,
                    notices: Vec::new(),
                    trusted,
                    resumed: false,
                })));
            }
            Err(e) => {
                tracing::error!(
                    "cannot start the incident: {}",
                    crate::util::diag::error_chain(&e)
                );
                let _ = tx.send(Action::IncidentFailed(format!(
                    "cannot start the incident: {}",
                    crate::util::diag::error_chain(&e)
                )));
            }
        }
    }

    /// Reopen an incident: recover its log, find the runbook version it
    /// started with.
    pub fn resume(&mut self, id: String, library: Arc<Library>, tx: UnboundedSender<Action>) {
        match open(&self.data_dir, &id, &library) {
            Ok((log, opened)) => {
                if let Some(log) = log {
                    let (handle, reports) = writer::spawn(log, opened.events.clone());
                    self.attach(handle, reports, tx.clone());
                }
                let _ = tx.send(Action::IncidentOpened(Box::new(opened)));
            }
            Err(e) => {
                tracing::error!("cannot resume {id}: {}", crate::util::diag::error_chain(&e));
                let _ = tx.send(Action::IncidentFailed(format!(
                    "cannot resume {id}: {}",
                    crate::util::diag::error_chain(&e)
                )));
            }
        }
    }

    /// Hand an event to the writer (it reports `Saved` once synced).
    pub fn append(&mut self, kind: EventKind, at: Timestamp) {
        match &self.writer {
            Some(w) => w.append(kind, at),
            None => tracing::warn!("event {} with no incident log open", kind.name()),
        }
    }

    /// Hand another responder's event to the writer (numbered in order with
    /// own events; reported `Saved` once synced).
    pub fn merge(&mut self, event: crate::incident::Event) {
        match &self.writer {
            Some(w) => w.merge(event),
            None => tracing::warn!("a merged event with no incident log open"),
        }
    }

    /// Close the log: returns when everything queued is on disk (or failed).
    pub async fn close(&mut self) {
        if let Some(w) = self.writer.take() {
            let closed = w.close().await;
            if closed.unsaved > 0 {
                self.lost.push(closed);
            }
        }
        if let Some(f) = self.forwarder.take() {
            let _ = f.await;
        }
    }

    /// What closing could not save, for the message after the terminal is
    /// restored.
    pub fn take_lost(&mut self) -> Vec<writer::Closed> {
        std::mem::take(&mut self.lost)
    }

    /// Write a rescue copy of every event (saved or not) outside the data
    /// directory; reports `Action::Rescued`.
    pub fn rescue(&self, tx: UnboundedSender<Action>) {
        let Some(rx) = self.writer.as_ref().and_then(WriterHandle::rescue) else {
            let _ = tx.send(Action::Rescued(Box::new(writer::Rescue {
                result: Err("the incident log writer has stopped".into()),
                unsaved: 0,
                through_seq: 0,
            })));
            return;
        };
        tokio::spawn(async move {
            if let Ok(r) = rx.await {
                let _ = tx.send(Action::Rescued(Box::new(r)));
            }
        });
    }

    /// Read a past incident (and the runbook version it ran) for review.
    pub fn open_review(&self, id: String, library: Arc<Library>, tx: UnboundedSender<Action>) {
        let dir = self.data_dir.clone();
        tokio::task::spawn_blocking(move || {
            let action = match crate::incident::archive::load(&dir, &id) {
                Ok(loaded) => {
                    let (runbook, note) = store::runbook_for(&dir, &loaded.incident, &library);
                    if let Some(n) = note {
                        let _ = tx.send(Action::Notice(Notice::warning(n)));
                    }
                    Action::ReviewOpened(Box::new(crate::app::action::ReviewOpened {
                        id: loaded.summary.id,
                        runbook,
                        events: loaded.events,
                        problem: loaded.problem,
                    }))
                }
                Err(e) => Action::Notice(Notice::error(format!(
                    "cannot review {id}: {}",
                    crate::util::diag::error_chain(&e)
                ))),
            };
            let _ = tx.send(action);
        });
    }

    /// Close an abandoned rehearsal, then list the incidents again.
    pub fn close_rehearsal(&self, id: String, tx: UnboundedSender<Action>) {
        let dir = self.data_dir.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let notice = match crate::incident::archive::close_rehearsal(&dir, &id, &mut out) {
                Ok(()) => Notice::info(String::from_utf8_lossy(&out).trim().to_owned()),
                Err(e) => Notice::error(format!(
                    "cannot close {id}: {}",
                    crate::util::diag::error_chain(&e)
                )),
            };
            let _ = tx.send(Action::Notice(notice));
            let _ = tx.send(Action::Incidents(listing(&dir)));
        });
    }

    /// Write `<id>.postmortem.md` next to the incident's log.
    pub fn write_draft(&self, id: String, tx: UnboundedSender<Action>) {
        let dir = self.data_dir.clone();
        tokio::task::spawn_blocking(move || {
            let result = crate::incident::archive::write_draft(&dir, &id)
                .map(|p| p.display().to_string())
                .map_err(|e| crate::util::diag::error_chain(&e));
            let _ = tx.send(Action::DraftWritten(result));
        });
    }

    /// List the incidents in the background.
    pub fn list(&self, tx: UnboundedSender<Action>) {
        let dir = self.data_dir.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(Action::Incidents(listing(&dir)));
        });
    }
}

/// The incidents in the data dir, for the picker.
fn listing(dir: &std::path::Path) -> Vec<IncidentListing> {
    store::list(dir)
        .into_iter()
        .map(|s| IncidentListing {
            id: s.id,
            runbook_id: s.runbook,
            title: s.title,
            started_at: s.started_at,
            state: s.state,
            events: s.events,
            rehearsal: s.rehearsal,
            problem: s.problem,
        })
        .collect()
}

/// Create the log with its first event; keep a copy of the runbook next to
/// it, so a resumed incident shows the version it started with.
fn create(
    data_dir: &std::path::Path,
    req: &StartRequest,
    dry_run: bool,
) -> Result<(crate::incident::log::LogWriter, Vec<crate::incident::Event>)> {
    let first = req.started_event(dry_run);
    let (log, event) = store::create(data_dir, &req.runbook.id, first, req.at)?;
    match crate::runbook::library::source_bytes(&req.runbook) {
        Some(bytes) => store::save_runbook_copy(data_dir, log.incident_id(), &req.runbook, &bytes),
        None => tracing::warn!(
            "{} changed since it was loaded; no copy kept",
            req.runbook.path
        ),
    }
    Ok((log, vec![event]))
}

fn open(
    data_dir: &std::path::Path,
    id: &str,
    library: &Library,
) -> Result<(Option<crate::incident::log::LogWriter>, Opened)> {
    let found = store::find(data_dir, id)?;
    let mut notices = Vec::new();
    let (log, events, read_only) = match crate::incident::log::LogWriter::open_append(&found.path) {
        Ok((log, recovered)) => {
            if let Some(note) = recovered.note() {
                notices.push(Notice::warning(note));
            }
            (Some(log), recovered.events, None)
        }
        Err(e) => {
            // Cannot append (corruption, locked): show what can be read.
            let read = crate::incident::log::read(&found.path)
                .with_context(|| format!("reading {}", found.path.display()))?;
            let why = match e {
                crate::incident::log::LogError::Locked { .. } => {
                    format!("{e} — following it live; nothing here changes it")
                }
                _ => e.to_string(),
            };
            (None, read.events, Some(why))
        }
    };
    let inc = crate::incident::Incident::replay(&events)
        .context("the log does not start with `incident_started`")?;
    let (runbook, runbook_note) = store::runbook_for(data_dir, &inc, library);
    if let Some(n) = runbook_note {
        notices.push(Notice::warning(n));
    }
    let trusted = crate::exec::trust::TrustStore::load(data_dir).is_trusted(&runbook);
    Ok((
        log,
        Opened {
            runbook,
            events,
            read_only,
            notices,
            trusted,
            resumed: true,
        },
    ))
}
