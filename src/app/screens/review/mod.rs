//! The review screen and replay: a past incident's timeline, statistics
//! and charts, and a scrubber that shows the incident screen as it was at
//! any moment — the same view code as live, driven by the log's prefix.
//!
//! Pure: the runtime loads the log ([`Action::ReviewOpened`]) and ticks;
//! everything here is state changes.
//!
//! [`Action::ReviewOpened`]: crate::app::action::Action::ReviewOpened

mod replay;
mod view;

use crate::app::board::apply_status;
pub use crate::app::board::board_at;
pub use replay::{Replay, SPEEDS, cursor_at, draw_replay_bar, seek};
pub use view::draw_review;

use crate::app::action::{Effect, Notice, Opened};
use crate::app::board::StatusBoard;
use crate::app::context::{Cx, Request, Screen};
use crate::app::overlays::Overlay;
use crate::app::session::Session;
use crate::app::widgets::input::is_ctrl_c;
use crate::app::widgets::kit::move_sel;
use crate::incident::review::Stats;
use crate::incident::{Event, Group, Incident};
use crate::runbook::Runbook;
use crate::ui::keymap::{Cmd, Ctx};
use crossterm::event::KeyEvent;
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

/// A past incident on screen.
#[derive(Clone, Debug)]
pub struct Review {
    /// The incident's id.
    pub id: String,
    /// The runbook version it ran.
    pub runbook: Arc<Runbook>,
    /// Every event that could be read.
    pub events: Arc<Vec<Event>>,
    /// The incident replayed from them.
    pub incident: Incident,
    /// Its statistics.
    pub stats: Stats,
    /// Groups shown in the timeline (by index into [`GROUPS`]).
    pub shown: [bool; GROUPS.len()],
    /// Indices into `events` of the rows shown.
    pub rows: Vec<usize>,
    /// The selected row (index into `rows`).
    pub selected: usize,
    /// A problem with the log (torn, corrupt), shown rather than hidden.
    pub problem: Option<String>,
    /// Opened from the picker (Esc goes back) rather than `mayday review`.
    pub from_picker: bool,
    /// The replay, while one runs.
    pub replay: Option<Replay>,
    /// The status panel as the log had it at the replayed moment.
    pub board: StatusBoard,
    /// How many events `board` reflects.
    pub board_upto: usize,
}

impl Review {
    /// The review of an incident (`None` if its log does not start with `incident_started`).
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

    /// Is this group of events shown?
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

/// A key on the review screen (or, during a replay, on the replayed
/// incident screen). `session` is the replayed incident: a replay borrows
/// the incident screen, so it never starts over a live one.
pub fn on_key(
    slot: &mut Option<Box<Review>>,
    session: &mut Option<Session>,
    cx: &mut Cx,
    key: KeyEvent,
) {
    let Some(r) = slot.as_mut() else {
        cx.request(Request::Show(Screen::Picker));
        return;
    };
    if let Some(rp) = r.replay.as_mut() {
        match replay::on_key(rp, &r.events, session.as_mut(), cx, key) {
            replay::Outcome::Stay => {}
            replay::Outcome::Moved => {
                let cursor = rp.cursor;
                if let Some(s) = session.as_mut() {
                    seek_review(r, s, cursor);
                }
            }
            replay::Outcome::Back => {
                // Back to the review, with the replayed event selected.
                let cursor = rp.cursor;
                r.replay = None;
                let target = cursor.saturating_sub(1);
                r.selected = match r.rows.binary_search(&target) {
                    Ok(i) => i,
                    Err(i) => i.saturating_sub(1),
                };
                *session = None;
                cx.request(Request::Show(Screen::Review));
            }
        }
        return;
    }
    let cmd = cx
        .keymap
        .lookup(&[Ctx::Review, Ctx::Lists, Ctx::Global], &key);
    let page = cx.page();
    match cmd {
        Some(Cmd::Help) => *cx.overlay = Some(Overlay::Help { scroll: 0 }),
        Some(Cmd::Back) => {
            // Esc: to the picker (where other incidents can be reviewed).
            *slot = None;
            cx.request(Request::Show(Screen::Picker));
            cx.fx.push(Effect::ListIncidents);
        }
        Some(Cmd::Quit) => {
            if r.from_picker && !is_ctrl_c(&key) {
                *slot = None;
                cx.request(Request::Show(Screen::Picker));
            } else {
                cx.request(Request::Quit);
            }
        }
        Some(Cmd::ReviewFilter(n)) => r.toggle(usize::from(n)),
        Some(c @ (Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom)) => {
            let len = r.rows.len();
            move_sel(&mut r.selected, len, c, page);
        }
        Some(Cmd::Replay) => {
            if session.is_some() {
                cx.notices.push(Notice::warning(
                    "an incident is open in this session; replay it after quitting",
                ));
                return;
            }
            let cursor = r.selected_event().map_or(1, |i| i + 1);
            let replay = Replay::new(&r.events, cursor, cx.now);
            if let Some(mut s) = r.session_at(replay.cursor) {
                let cursor = replay.cursor;
                r.replay = Some(replay);
                // The panel is rebuilt for the new session.
                r.board_upto = usize::MAX;
                seek_review(r, &mut s, cursor);
                *session = Some(s);
                cx.request(Request::Show(Screen::Incident));
            }
        }
        Some(Cmd::ExportDraft) => cx.fx.push(Effect::WriteDraft(r.id.clone())),
        _ => {}
    }
}
