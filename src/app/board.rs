//! The live status of every configured source, as the status panel shows
//! it: the latest snapshot, since when it has been in that state, recent
//! latencies. A poll result lands here first ([`StatusBoard::record`]).

use crate::incident::Event;
use jiff::Timestamp;

/// One status source as the screen shows it.
#[derive(Clone, Debug)]
pub struct SourceView {
    /// The latest reading.
    pub snapshot: crate::status::Snapshot,
    /// When the source entered its current state (for "up for 2m").
    pub since: Timestamp,
    /// Recent latencies in ms, oldest first (for the sparkline).
    pub latencies: std::collections::VecDeque<u64>,
}

/// How many latencies the sparkline keeps.
pub const LATENCY_HISTORY: usize = 30;

/// The live status of every configured source.
#[derive(Clone, Debug, Default)]
pub struct StatusBoard {
    /// Every source, in config order (simulated ones during a rehearsal).
    pub sources: Vec<SourceView>,
    /// The selected source (status panel focus).
    pub selected: usize,
}

impl StatusBoard {
    /// Put a poll result on the board: its snapshot, since when it has been
    /// in this state, its latency.
    pub fn record(&mut self, snap: &crate::status::Snapshot) {
        let at = snap.checked_at;
        let index = match self
            .sources
            .iter()
            .position(|v| v.snapshot.name == snap.name)
        {
            Some(i) => i,
            None => {
                self.sources.push(SourceView {
                    snapshot: snap.clone(),
                    since: at,
                    latencies: std::collections::VecDeque::new(),
                });
                self.sources.len() - 1
            }
        };
        let view = &mut self.sources[index];
        if view.snapshot.state != snap.state {
            view.since = at;
        }
        if let Some(ms) = snap.latency_ms {
            if view.latencies.len() >= LATENCY_HISTORY {
                view.latencies.pop_front();
            }
            view.latencies.push_back(ms);
        }
        view.snapshot = snap.clone();
    }

    /// The source with this name.
    pub fn get(&self, name: &str) -> Option<&SourceView> {
        self.sources.iter().find(|s| s.snapshot.name == name)
    }
}

/// The status panel as the log recorded it after these events: each
/// source's last logged state and summary.
pub fn board_at(events: &[Event]) -> StatusBoard {
    let mut board = StatusBoard::default();
    for e in events {
        apply_status(&mut board, e);
    }
    board
}

/// Put a logged status change on the board.
pub fn apply_status(board: &mut StatusBoard, e: &Event) {
    if let crate::incident::EventKind::StatusChanged {
        source,
        to,
        summary,
        error,
        ..
    } = &e.kind
    {
        let mut snap = crate::status::Snapshot::simulated(source, *to, summary, Vec::new());
        snap.checked_at = e.at;
        snap.error = error.clone();
        let view = SourceView {
            snapshot: snap,
            since: e.at,
            latencies: std::collections::VecDeque::new(),
        };
        match board
            .sources
            .iter_mut()
            .find(|v| v.snapshot.name == *source)
        {
            Some(v) => *v = view,
            None => board.sources.push(view),
        }
    }
}
