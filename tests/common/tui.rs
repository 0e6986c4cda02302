//! Helpers for driving the app without a terminal.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use mayday::app::{self, Action, Effect, Opened, Settings, State};
use mayday::incident::{Event, EventKind};
use mayday::runbook::Origin;
use mayday::runbook::library::{FileLocation, FileRef, Library};
use mayday::ui::keymap::Keymap;
use mayday::ui::theme::{Theme, ThemeSources};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use std::sync::Arc;

pub const T0: &str = "2026-11-23T03:00:00Z";

pub fn t(secs: i64) -> Timestamp {
    T0.parse::<Timestamp>().expect("time") + jiff::SignedDuration::from_secs(secs)
}

/// A library with the fixture runbooks (stable, unlike the bundled ones).
pub fn library() -> Arc<Library> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let files: Vec<FileRef> = mayday::runbook::library::discover(std::path::Path::new(dir))
        .expect("fixtures")
        .into_iter()
        .map(|p| FileRef {
            display: format!(
                "fixtures/{}",
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            origin: Origin::Bundled,
            location: FileLocation::Disk(p),
        })
        .collect();
    Arc::new(Library::from_files(&files))
}

pub fn state() -> State {
    let settings = Settings {
        default_responder: "alice".into(),
        ..Settings::default()
    };
    State::new(
        library(),
        Keymap::default(),
        settings,
        t(0),
        jiff::tz::TimeZone::UTC,
    )
}

pub fn theme(name: &str) -> Theme {
    Theme::load(name, &ThemeSources::default()).0
}

pub fn render(state: &State, now: Timestamp, w: u16, h: u16, theme: &Theme) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| app::view(state, now, theme, f))
        .expect("draw");
    term.backend().buffer().clone()
}

/// The screen as text (symbols only, trailing spaces trimmed).
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn screen(state: &State, now: Timestamp, w: u16, h: u16) -> String {
    text(&render(state, now, w, h, &theme("dark")))
}

/// Press a key and let go: a key the typing guard holds back acts when
/// its timer goes off, as it would for a person who pressed one key.
pub fn key_mod(state: &mut State, code: KeyCode, mods: KeyModifiers, at: i64) -> Vec<Effect> {
    let mut fx = app::update(
        state,
        Action::Key {
            key: KeyEvent::new(code, mods),
            at: t(at),
        },
    );
    if let Some(i) = fx.iter().position(|e| matches!(e, Effect::WakeAfter(_))) {
        let Effect::WakeAfter(d) = fx.remove(i) else {
            unreachable!()
        };
        let wake = t(at) + jiff::SignedDuration::try_from(d).expect("a short timer");
        fx.extend(app::update(state, Action::Wake(wake)));
    }
    fx
}

pub fn key(state: &mut State, code: KeyCode, at: i64) -> Vec<Effect> {
    key_mod(state, code, KeyModifiers::NONE, at)
}

pub fn ch(state: &mut State, c: char, at: i64) -> Vec<Effect> {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    key_mod(state, KeyCode::Char(c), mods, at)
}

pub fn typed(state: &mut State, s: &str, at: i64) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in s.chars() {
        fx.extend(ch(state, c, at));
    }
    fx
}

pub fn first_event(req: &app::StartRequest, id: &str) -> Event {
    let mut kind = req.started_event(false);
    if let EventKind::IncidentStarted { incident_id, .. } = &mut kind {
        *incident_id = id.into();
    }
    Event::new(1, req.at, kind)
}

/// Answer a `StartIncident` effect the way the runtime does.
pub fn open(state: &mut State, fx: Vec<Effect>) -> Vec<Effect> {
    let req = fx
        .into_iter()
        .find_map(|e| match e {
            Effect::StartIncident(r) => Some(r),
            _ => None,
        })
        .expect("a StartIncident effect");
    let first = first_event(&req, "20261123-030000-cache-evictions");
    app::update(
        state,
        Action::IncidentOpened(Box::new(Opened {
            runbook: req.runbook.clone(),
            events: vec![first],
            read_only: None,
            notices: vec![],
            trusted: true,
            resumed: false,
        })),
    )
}

/// Acknowledge every unsaved event (as the log writer would).
pub fn save_all(state: &mut State) {
    let events: Vec<Event> = state
        .session
        .as_ref()
        .map(|s| {
            s.events
                .iter()
                .filter(|e| e.seq > s.saved_seq)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for e in events {
        app::update(state, Action::Saved(Box::new(e)));
    }
}

/// Start the cache-evictions incident from the picker with the defaults.
pub fn started() -> State {
    let mut s = state();
    typed(&mut s, "cache", 1);
    key(&mut s, KeyCode::Enter, 2);
    let fx = key(&mut s, KeyCode::Enter, 4);
    open(&mut s, fx);
    save_all(&mut s);
    s
}
