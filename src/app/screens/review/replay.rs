//! Replay: the incident screen as it was at any moment of a past incident,
//! driven by the log's prefix — ←/→ per event, [/] a minute, Space plays at
//! ×1, ×10 or ×60. The incident screen's own drawing shows it; this module
//! owns the clock, its keys and the bar drawn above it.

use crate::app::context::{Cx, Request};
use crate::app::overlays::Overlay;
use crate::app::session::{Pane, Session};
use crate::app::widgets::input::is_ctrl_c;
use crate::app::widgets::kit::t_plus;
use crate::incident::{Event, Incident};
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::theme::Theme;
use crossterm::event::KeyEvent;
use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Replay speeds.
pub const SPEEDS: [u32; 3] = [1, 10, 60];

/// Where the replay is.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// How many events are applied (1 ..= events.len()).
    pub cursor: usize,
    /// The replayed clock.
    pub time: Timestamp,
    /// How many replayed seconds pass per second (1, 10, 60).
    pub speed: u32,
    /// Playing (else paused).
    pub playing: bool,
    /// Wall-clock time of the last advance while playing.
    pub last_wall: Timestamp,
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

/// How many events happened at or before `t`.
pub fn cursor_at(events: &[Event], t: Timestamp) -> usize {
    events.partition_point(|e| e.at <= t).max(1)
}

impl Replay {
    /// A replay at event `cursor`, paused.
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

    /// Play faster.
    pub fn faster(&mut self) {
        let i = SPEEDS.iter().position(|s| *s == self.speed).unwrap_or(0);
        self.speed = SPEEDS[(i + 1).min(SPEEDS.len() - 1)];
    }

    /// Play slower.
    pub fn slower(&mut self) {
        let i = SPEEDS.iter().position(|s| *s == self.speed).unwrap_or(0);
        self.speed = SPEEDS[i.saturating_sub(1)];
    }
}

/// The replay's position and speed, above the incident screen.
pub fn draw_replay_bar(
    p: &Replay,
    total: usize,
    started_at: Timestamp,
    span: (Timestamp, Timestamp),
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let elapsed = (p.time - started_at).as_secs();
    let label = format!(
        " REPLAY {} ×{}  event {}/{}  {} ",
        if p.playing { "▶" } else { "⏸" },
        p.speed,
        p.cursor,
        total,
        t_plus(elapsed)
    );
    let used = label.chars().count() + 2;
    let width = usize::from(area.width).saturating_sub(used).max(1);
    let (from, to) = span;
    let span = (to - from).as_millis().max(1);
    let at = (p.time - from).as_millis().clamp(0, span);
    let filled = usize::try_from(at * width as i128 / span)
        .unwrap_or(0)
        .min(width);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                label,
                theme.style("ui.title").add_modifier(Modifier::REVERSED),
            ),
            Span::raw(" "),
            Span::styled("━".repeat(filled), theme.style("ui.key")),
            Span::styled("─".repeat(width - filled), theme.style("ui.muted")),
        ])),
        area,
    );
}

/// What a key did to the replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing the incident screen must follow.
    Stay,
    /// The cursor moved: the replayed incident follows it.
    Moved,
    /// Back to the review.
    Back,
}

/// A key during a replay.
pub fn on_key(
    rp: &mut Replay,
    events: &[Event],
    session: Option<&mut Session>,
    cx: &mut Cx,
    key: KeyEvent,
) -> Outcome {
    let cmd = cx
        .keymap
        .lookup(&[Ctx::Replay, Ctx::Lists, Ctx::Global], &key);
    match cmd {
        Some(Cmd::Help) => {
            *cx.overlay = Some(Overlay::Help { scroll: 0 });
            return Outcome::Stay;
        }
        Some(Cmd::Quit | Cmd::Back) => {
            if is_ctrl_c(&key) {
                cx.request(Request::Quit);
                return Outcome::Stay;
            }
            return Outcome::Back;
        }
        Some(Cmd::NextEvent | Cmd::Down) => rp.to_event(events, rp.cursor + 1),
        Some(Cmd::PrevEvent | Cmd::Up) => rp.to_event(events, rp.cursor.saturating_sub(1)),
        Some(Cmd::Top) => rp.to_event(events, 1),
        Some(Cmd::Bottom) => rp.to_event(events, events.len()),
        Some(Cmd::JumpForward) => rp.jump(events, SignedDuration::from_secs(60)),
        Some(Cmd::JumpBack) => rp.jump(events, SignedDuration::from_secs(-60)),
        Some(Cmd::PlayPause) => {
            if !rp.playing && rp.cursor >= events.len() {
                rp.to_event(events, 1);
            }
            rp.playing = !rp.playing;
            rp.last_wall = cx.now;
        }
        Some(Cmd::Faster) => rp.faster(),
        Some(Cmd::Slower) => rp.slower(),
        Some(Cmd::FocusNext | Cmd::FocusPrev) => {
            if let Some(s) = session {
                let i = Pane::ORDER.iter().position(|p| *p == s.focus).unwrap_or(0);
                let n = Pane::ORDER.len();
                let j = if cmd == Some(Cmd::FocusNext) {
                    i + 1
                } else {
                    i + n - 1
                };
                s.focus = Pane::ORDER[j % n];
            }
            return Outcome::Stay;
        }
        _ => return Outcome::Stay,
    }
    Outcome::Moved
}
