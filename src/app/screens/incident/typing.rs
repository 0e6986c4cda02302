//! The typing guard: a sentence typed into the incident screen with no
//! editor open ("restarted pgbouncer") must not run, skip, decide or
//! mitigate anything. Keys that change the incident are held back for
//! [`BURST`]; another printable key in that time (or such a key arriving
//! within a burst of typing) opens a note draft holding what was typed.

use crate::app::context::Cx;
use crate::app::overlays::open_prompt as prompt;
use crate::app::overlays::{Overlay, PromptKind};
use crate::app::session::Session;
use crate::app::widgets::input::TextInput;
use crate::ui::keymap::{Cmd, Ctx, Keymap};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;

/// Keys that look like typing never act on the incident: a key that would
/// change it waits [`BURST`] before it acts, and one more printable key in
/// that time turns the lot into a note draft.
#[derive(Clone, Debug, Default)]
pub struct Typing {
    /// An acting key held back, and when it came.
    pub deferred: Option<(crossterm::event::KeyEvent, jiff::Timestamp)>,
    /// Printable characters of the current burst, and the last one's time.
    pub burst: String,
    /// When the last key of the burst came.
    pub last: Option<jiff::Timestamp>,
}

/// Keys closer together than this are typing, not commands.
pub const BURST: std::time::Duration = std::time::Duration::from_millis(300);

fn printable(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// Keys whose command changes the incident (or opens a dialog that
/// would swallow the rest of a sentence).
fn acts(keymap: &Keymap, key: &KeyEvent) -> bool {
    let ctxs: &[Ctx] = &[Ctx::Incident, Ctx::Lists, Ctx::Global];
    keymap.lookup(ctxs, key).is_some_and(Cmd::changes_incident)
}

fn within(a: Timestamp, b: Timestamp) -> bool {
    b.duration_since(a).unsigned_abs() < BURST
}

/// A held-back key acts with the time it was pressed: that is when the
/// responder acted, and what the log records.
pub fn act(s: &mut Session, cx: &mut Cx, key: KeyEvent, at: Timestamp) {
    let now = std::mem::replace(&mut cx.now, at);
    super::on_key(s, cx, key);
    cx.now = now;
}

/// Is every character of `text` a key bound to a command here? A burst
/// of nothing but command keys (`n` `r`) is a fast hand; one with any
/// other character in it (`re…`, `10 p…`) is typing.
fn all_commands(keymap: &Keymap, text: &str) -> bool {
    let ctxs: &[Ctx] = &[Ctx::Incident, Ctx::Lists, Ctx::Global];
    text.chars().all(|c| {
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        keymap
            .lookup(ctxs, &KeyEvent::new(KeyCode::Char(c), mods))
            .is_some()
    })
}

/// A key on the incident screen, through the guard. Returns the key when
/// it must go round the router again (the held key it released opened a
/// dialog, and this key is for that dialog).
pub fn on_key(t: &mut Typing, s: &mut Session, cx: &mut Cx, key: KeyEvent) -> Option<KeyEvent> {
    // Read-only: nothing can act, so nothing needs holding back.
    if s.read_only.is_some() {
        super::on_key(s, cx, key);
        return None;
    }
    let now = cx.now;
    let c = printable(&key);
    let in_burst = t.last.is_some_and(|l| within(l, now));
    if !in_burst {
        t.burst.clear();
    }
    let Some(c) = c else {
        // Not a character: whatever was held back acts first.
        if let Some((held, at)) = t.deferred.take() {
            act(s, cx, held, at);
        }
        t.burst.clear();
        t.last = None;
        if cx.overlay.is_none() {
            super::on_key(s, cx, key);
        }
        return None;
    };
    t.last = Some(now);
    t.burst.push(c);
    let typing = in_burst && t.burst.chars().count() > 1 && !all_commands(cx.keymap, &t.burst);
    if typing && (t.deferred.is_some() || acts(cx.keymap, &key)) {
        let text = std::mem::take(&mut t.burst);
        draft(t, s, cx, text);
        return None;
    }
    if let Some((held, at)) = t.deferred.take() {
        act(s, cx, held, at);
        if cx.overlay.is_some() {
            // The held key opened a dialog: this key is for it.
            return Some(key);
        }
    }
    if acts(cx.keymap, &key) {
        t.deferred = Some((key, now));
        cx.fx.push(crate::app::action::Effect::WakeAfter(BURST));
        return None;
    }
    super::on_key(s, cx, key);
    None
}

/// The held-back key, if its time has come (`now` is past the burst).
pub fn due(t: &mut Typing, now: Timestamp) -> Option<(KeyEvent, Timestamp)> {
    let due = t.deferred.as_ref().is_some_and(|(_, at)| !within(*at, now));
    if !due {
        return None;
    }
    t.burst.clear();
    t.deferred.take()
}

fn draft(t: &mut Typing, s: &mut Session, cx: &mut Cx, text: String) {
    t.deferred = None;
    t.burst.clear();
    // Keep typing into the draft: the keys that follow land in it.
    let start = s.note_template.take().unwrap_or_default();
    let mut overlay = prompt(
        PromptKind::Note,
        "Note",
        "Looked like typing, so it is a note: nothing ran. Enter saves · Esc discards",
        TextInput::new(&format!("{start}{text}"), true),
    );
    // What was typed is the responder's text: Esc asks before it goes.
    if let Overlay::Prompt(p) = &mut overlay {
        p.initial = start;
    }
    *cx.overlay = Some(overlay);
}
