//! The review screen and replay: a past incident's timeline, statistics
//! and charts, and a scrubber that shows the incident screen as it was at
//! any moment — the same view code as live, driven by the log's prefix.
//!
//! Pure: the runtime loads the log ([`Action::ReviewOpened`]) and ticks;
//! everything here is state changes.
//!
//! [`Action::ReviewOpened`]: super::action::Action::ReviewOpened

use super::action::Opened;
use super::state::{Session, SourceView, StatusBoard};
use crate::incident::review::Stats;
use crate::incident::{Event, Group, Incident};
use crate::runbook::Runbook;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;

/// The filter groups, in the order of their keys (1–6).
pub const GROUPS: [(Group, &str); 6] = [
    (Group::Notes, "notes"),
    (Group::Steps, "steps"),
    (Group::Commands, "commands"),
    (Group::Status, "status"),
    (Group::Decisions, "decisions"),
    (Group::Incident, "incident"),
];

/// Replay speeds.
pub const SPEEDS: [u32; 3] = [1, 10, 60];

/// A past incident on screen.
#[derive(Clone, Debug)]
pub struct Review {
    pub id: String,
    pub runbook: Arc<Runbook>,
    pub events: Arc<Vec<Event>>,
    pub incident: Incident,
    pub stats: Stats,
    /// Groups shown in the timeline (by index into [`GROUPS`]).
    pub shown: [bool; GROUPS.len()],
    /// Indices into `events` of the rows shown.
    pub rows: Vec<usize>,
    /// The selected row (index into `rows`).
    pub selected: usize,
    pub problem: Option<String>,
    /// Opened from the picker (Esc goes back) rather than `mayday review`.
    pub from_picker: bool,
    pub replay: Option<Replay>,
    /// The status panel as the log had it at the replayed moment.
    pub board: StatusBoard,
    /// How many events `board` reflects.
    pub board_upto: usize,
}

/// Where the replay is.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// How many events are applied (1 ..= events.len()).
    pub cursor: usize,
    /// The replayed clock.
    pub time: Timestamp,
    pub speed: u32,
    pub playing: bool,
    /// Wall-clock time of the last advance while playing.
    pub last_wall: Timestamp,
}

impl Review {
    pub fn new(
        id: String,
        runbook: Arc<Runbook>,
        events: Vec<Event>,
        problem: Option<String>,
        from_picker: bool,
    ) -> Option<Review> {
        let incident = Incident::replay(&events)?;
        let stats = crate::incident::review::stats(&events, Some(&runbook))?;
        let mut r = Review {
            id,
            runbook,
            events: Arc::new(events),
            incident,
            stats,
            shown: [true; GROUPS.len()],
            rows: Vec::new(),
            selected: 0,
            problem,
            from_picker,
            replay: None,
            board: StatusBoard::default(),
            board_upto: 0,
        };
        r.refilter();
        Some(r)
    }

    /// Rebuild the rows after a filter change, keeping the selected event
    /// (or the nearest one before it) selected.
    pub fn refilter(&mut self) {
        let keep = self.rows.get(self.selected).copied().unwrap_or(0);
        self.rows = self
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| self.group_shown(e.kind.group()))
            .map(|(i, _)| i)
            .collect();
        self.selected = match self.rows.binary_search(&keep) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
        .min(self.rows.len().saturating_sub(1));
    }

    pub fn group_shown(&self, g: Group) -> bool {
        GROUPS
            .iter()
            .position(|(x, _)| *x == g)
            .is_none_or(|i| self.shown[i])
    }

    /// Toggle group `n` (1-based); 0 shows everything.
    pub fn toggle(&mut self, n: usize) {
        if n == 0 {
            self.shown = [true; GROUPS.len()];
        } else if let Some(v) = self.shown.get_mut(n - 1) {
            *v = !*v;
        }
        self.refilter();
    }

    /// The event the selected row shows.
    pub fn selected_event(&self) -> Option<usize> {
        self.rows.get(self.selected).copied()
    }

    /// A session showing the incident after its first `cursor` events
    /// (read-only: nothing can be changed in a replay).
    pub fn session_at(&self, cursor: usize) -> Option<Session> {
        let cursor = cursor.clamp(1, self.events.len());
        let opened = Opened {
            runbook: self.runbook.clone(),
            events: self.events[..cursor].to_vec(),
            read_only: Some("replay".into()),
            notices: Vec::new(),
            trusted: true,
            resumed: true,
        };
        Session::new(&opened)
    }
}

/// Move a replay session to `cursor` events: forward by applying the next
/// events, backward by rebuilding from the prefix (the log is the truth).
pub fn seek(session: &mut Session, events: &[Event], cursor: usize) {
    let cursor = cursor.clamp(1, events.len().max(1));
    let have = session.events.len();
    if cursor >= have {
        for e in &events[have..cursor] {
            session.incident.apply(e);
            session.events.push(e.clone());
        }
    } else if let Some(inc) = Incident::replay(&events[..cursor]) {
        session.incident = inc;
        session.events.truncate(cursor);
    }
    session.saved_seq = session.incident.last_seq;
    session.list_selected = session.current_index();
    session.item_selected = 0;
    session.content_scroll = 0;
    session.log_scroll = 0;
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
fn apply_status(board: &mut StatusBoard, e: &Event) {
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

/// Move the replay (session and status panel) to `cursor` events: forward
/// applies the new events to both, backward rebuilds both from the prefix.
pub fn seek_review(r: &mut Review, session: &mut Session, cursor: usize) {
    let before = session.events.len();
    seek(session, &r.events, cursor);
    let after = session.events.len().min(r.events.len());
    if after >= before && r.board_upto == before {
        for e in &r.events[before..after] {
            apply_status(&mut r.board, e);
        }
    } else {
        r.board = board_at(&r.events[..after]);
    }
    r.board_upto = after;
}

/// How many events happened at or before `t`.
pub fn cursor_at(events: &[Event], t: Timestamp) -> usize {
    events.partition_point(|e| e.at <= t).max(1)
}

impl Replay {
    pub fn new(events: &[Event], cursor: usize, wall: Timestamp) -> Replay {
        let cursor = cursor.clamp(1, events.len().max(1));
        Replay {
            cursor,
            time: events.get(cursor - 1).map_or(wall, |e| e.at),
            speed: 1,
            playing: false,
            last_wall: wall,
        }
    }

    /// Step to the event `cursor` (time jumps to it).
    pub fn to_event(&mut self, events: &[Event], cursor: usize) {
        self.cursor = cursor.clamp(1, events.len().max(1));
        if let Some(e) = events.get(self.cursor - 1) {
            self.time = e.at;
        }
    }

    /// Jump the clock by `by` (negative: back), clamped to the incident.
    pub fn jump(&mut self, events: &[Event], by: SignedDuration) {
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return;
        };
        let t = self.time.checked_add(by).unwrap_or(self.time);
        self.time = t.clamp(first.at, last.at);
        self.cursor = cursor_at(events, self.time);
    }

    /// While playing: advance the clock by the wall time passed × speed.
    /// Stops at the end.
    pub fn advance(&mut self, events: &[Event], wall: Timestamp) {
        let passed = wall
            .duration_since(self.last_wall)
            .max(SignedDuration::ZERO);
        self.last_wall = wall;
        if !self.playing {
            return;
        }
        let by = passed
            .checked_mul(i32::try_from(self.speed).unwrap_or(1))
            .unwrap_or(SignedDuration::MAX);
        self.jump(events, by);
        if events.last().is_some_and(|l| self.time >= l.at) {
            self.playing = false;
        }
    }

    pub fn faster(&mut self) {
        let i = SPEEDS.iter().position(|s| *s == self.speed).unwrap_or(0);
        self.speed = SPEEDS[(i + 1).min(SPEEDS.len() - 1)];
    }

    pub fn slower(&mut self) {
        let i = SPEEDS.iter().position(|s| *s == self.speed).unwrap_or(0);
        self.speed = SPEEDS[i.saturating_sub(1)];
    }
}
