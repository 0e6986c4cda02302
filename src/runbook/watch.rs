//! Live reload: watch the runbook and theme directories (directories, not
//! files — editors save by writing a new file and renaming it over the old
//! one), debounce, and report the changed runbook and theme files as owned
//! paths on a channel.

use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long changes settle before they are reported.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, PartialEq, Eq)]
/// What the watcher reports.
pub enum WatchEvent {
    /// Runbook or theme files that were added, changed or removed.
    Changed(Vec<PathBuf>),
}

#[derive(Debug, thiserror::Error)]
/// The watcher could not start.
pub enum WatchError {
    #[error("cannot watch for changes: {0}")]
    /// The OS watcher failed.
    Notify(#[from] notify_debouncer_full::notify::Error),
}

/// Stops watching when dropped.
pub struct WatchHandle {
    _debouncer: Debouncer<notify_debouncer_full::notify::RecommendedWatcher, RecommendedCache>,
    /// The directories actually watched.
    pub watching: Vec<PathBuf>,
}

/// A change that can alter what a file says: created, written, renamed,
/// removed. Opening, reading and closing a file — what the reload itself
/// does, and `cat`, `grep -r` and editors — are not changes (and the access
/// time they touch is metadata we ignore), so they never trigger a reload.
fn is_change(kind: &notify_debouncer_full::notify::EventKind) -> bool {
    use notify_debouncer_full::notify::EventKind as K;
    use notify_debouncer_full::notify::event::ModifyKind as M;
    match kind {
        K::Create(_) | K::Remove(_) => true,
        K::Modify(M::Metadata(_)) => false,
        K::Modify(_) => true,
        K::Access(_) | K::Any | K::Other => false,
    }
}

fn interesting(p: &std::path::Path) -> bool {
    let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    crate::runbook::library::is_runbook_file(name)
        || name.ends_with(".yaml")
        || name.ends_with(".yml")
}

/// Watch `dirs` (recursively). Directories that do not exist are skipped.
pub fn spawn_watcher(
    dirs: Vec<PathBuf>,
    tx: mpsc::UnboundedSender<WatchEvent>,
) -> Result<WatchHandle, WatchError> {
    let mut debouncer =
        new_debouncer(
            DEBOUNCE,
            None,
            move |result: DebounceEventResult| match result {
                Ok(events) => {
                    let mut paths: Vec<PathBuf> = events
                        .into_iter()
                        .filter(|e| is_change(&e.event.kind))
                        .flat_map(|e| e.event.paths)
                        .filter(|p| interesting(p))
                        .collect();
                    paths.sort();
                    paths.dedup();
                    if !paths.is_empty() {
                        let _ = tx.send(WatchEvent::Changed(paths));
                    }
                }
                Err(errors) => {
                    for e in errors {
                        tracing::warn!("watching runbooks: {e}");
                    }
                }
            },
        )?;
    let mut watching = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            tracing::warn!("not watching {}: not a directory", d.display());
            continue;
        }
        match debouncer.watch(&d, RecursiveMode::Recursive) {
            Ok(()) => watching.push(d),
            Err(e) => tracing::warn!("cannot watch {}: {e}", d.display()),
        }
    }
    Ok(WatchHandle {
        _debouncer: debouncer,
        watching,
    })
}
