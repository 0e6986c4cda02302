//! Key bindings as data: each binding has a name (used in the config file),
//! the keys, where it applies and a description. The help screen is
//! generated from this table, so it is always right.
//!
//! Config (`keys:`) replaces the keys of a binding by name:
//! `keys: { quit: [q, ctrl-q], note: n }`.

use crate::util::diag::{Diagnostic, Pos};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmd {
    Help,
    Quit,
    Filter,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    Back,
    FocusNext,
    FocusPrev,
    NextStep,
    PrevStep,
    Toggle,
    Done,
    Skip,
    Choose(u8),
    Note,
    StatusUpdate,
    Mitigate,
    Resolve,
    StartWait,
    Run,
    Copy,
    Cancel,
    Trust,
    PollNow,
    SwitchRunbook,
    Review,
    /// Picker: close the selected abandoned rehearsal.
    CloseRehearsal,
    /// Review: show/hide a group of events (0 shows all).
    ReviewFilter(u8),
    /// Review: replay from the selected event.
    Replay,
    /// Review: write the postmortem draft next to the log.
    ExportDraft,
    NextEvent,
    PrevEvent,
    JumpForward,
    JumpBack,
    PlayPause,
    Faster,
    Slower,
}

impl Cmd {
    /// Does this command change the incident (or open a dialog that does)?
    /// The typing guard holds these back; a read-only session refuses them.
    pub fn changes_incident(self) -> bool {
        matches!(
            self,
            Cmd::Run
                | Cmd::Skip
                | Cmd::Choose(_)
                | Cmd::Mitigate
                | Cmd::Resolve
                | Cmd::Trust
                | Cmd::Done
                | Cmd::Toggle
                | Cmd::SwitchRunbook
                | Cmd::StartWait
                | Cmd::NextStep
                | Cmd::PrevStep
        )
    }
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ctx {
    /// Everywhere (unless text is being typed).
    Global,
    /// Lists: the picker, the step list, the log, the status panel.
    Lists,
    Picker,
    Incident,
    /// The review screen (`mayday review`).
    Review,
    /// Replaying a past incident.
    Replay,
}

impl Ctx {
    fn title(self) -> &'static str {
        match self {
            Ctx::Global => "Everywhere",
            Ctx::Lists => "Lists",
            Ctx::Picker => "Runbook picker",
            Ctx::Incident => "Incident",
            Ctx::Review => "Review",
            Ctx::Replay => "Replay",
        }
    }
}

/// One key combination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// Normalise a key event: for characters, Shift is part of the character.
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods =
            e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match e.code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    /// Parse `q`, `R`, `?`, `ctrl-c`, `alt-enter`, `shift-tab`, `space`, `f1`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty key".into());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") || lower.starts_with("ctrl+") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") || lower.starts_with("alt+") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") || lower.starts_with("shift+") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            mods |= m;
            rest = &rest[len..];
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_alphabetic() {
                            mods.remove(KeyModifiers::SHIFT);
                            KeyCode::Char(c.to_ascii_uppercase())
                        } else if mods.contains(KeyModifiers::CONTROL) {
                            KeyCode::Char(c.to_ascii_lowercase())
                        } else {
                            KeyCode::Char(c)
                        }
                    }
                    _ => return Err(format!("`{s}` is not a key")),
                }
            }
        };
        if let KeyCode::Char(_) = code {
            mods.remove(KeyModifiers::SHIFT);
        }
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A binding: name (for the config file), keys, context, description.
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    pub cmd: Cmd,
    pub ctx: Ctx,
    pub keys: Vec<Key>,
    pub desc: &'static str,
}

/// The keymap.
#[derive(Clone, Debug)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

const DEFAULTS: &[(&str, Cmd, Ctx, &[&str], &str)] = &[
    (
        "help",
        Cmd::Help,
        Ctx::Global,
        &["?", "f1"],
        "show this help",
    ),
    (
        "quit",
        Cmd::Quit,
        Ctx::Global,
        &["q", "ctrl-c"],
        "quit (an open incident stays open)",
    ),
    (
        "focus_next",
        Cmd::FocusNext,
        Ctx::Global,
        &["tab"],
        "next pane",
    ),
    (
        "focus_prev",
        Cmd::FocusPrev,
        Ctx::Global,
        &["shift-tab"],
        "previous pane",
    ),
    ("up", Cmd::Up, Ctx::Lists, &["up", "k"], "move up"),
    ("down", Cmd::Down, Ctx::Lists, &["down", "j"], "move down"),
    (
        "page_up",
        Cmd::PageUp,
        Ctx::Lists,
        &["pageup", "ctrl-u"],
        "page up",
    ),
    (
        "page_down",
        Cmd::PageDown,
        Ctx::Lists,
        &["pagedown", "ctrl-d"],
        "page down",
    ),
    ("top", Cmd::Top, Ctx::Lists, &["home", "g"], "first item"),
    (
        "bottom",
        Cmd::Bottom,
        Ctx::Lists,
        &["end", "G"],
        "last item",
    ),
    (
        "select",
        Cmd::Select,
        Ctx::Lists,
        &["enter"],
        "select / start / open details",
    ),
    ("back", Cmd::Back, Ctx::Global, &["esc"], "back / close"),
    (
        "filter",
        Cmd::Filter,
        Ctx::Picker,
        &["/"],
        "filter runbooks (or just start typing)",
    ),
    (
        "review",
        Cmd::Review,
        Ctx::Picker,
        &["v"],
        "review the selected incident",
    ),
    (
        "close_rehearsal",
        Cmd::CloseRehearsal,
        Ctx::Picker,
        &["X"],
        "close the selected abandoned rehearsal (its log is kept)",
    ),
    (
        "next_step",
        Cmd::NextStep,
        Ctx::Incident,
        &["n"],
        "next step",
    ),
    (
        "prev_step",
        Cmd::PrevStep,
        Ctx::Incident,
        &["p"],
        "previous step",
    ),
    (
        "toggle",
        Cmd::Toggle,
        Ctx::Incident,
        &["x", "space"],
        "tick / untick the selected checklist item",
    ),
    (
        "done",
        Cmd::Done,
        Ctx::Incident,
        &["d"],
        "mark the step done and go on",
    ),
    (
        "skip",
        Cmd::Skip,
        Ctx::Incident,
        &["s"],
        "skip the step (asks why)",
    ),
    (
        "choose_1",
        Cmd::Choose(1),
        Ctx::Incident,
        &["1"],
        "choose a decision branch",
    ),
    (
        "choose_2",
        Cmd::Choose(2),
        Ctx::Incident,
        &["2"],
        "choose a decision branch",
    ),
    (
        "choose_3",
        Cmd::Choose(3),
        Ctx::Incident,
        &["3"],
        "choose a decision branch",
    ),
    (
        "choose_4",
        Cmd::Choose(4),
        Ctx::Incident,
        &["4"],
        "choose a decision branch",
    ),
    (
        "choose_5",
        Cmd::Choose(5),
        Ctx::Incident,
        &["5"],
        "choose a decision branch",
    ),
    (
        "choose_6",
        Cmd::Choose(6),
        Ctx::Incident,
        &["6"],
        "choose a decision branch",
    ),
    (
        "choose_7",
        Cmd::Choose(7),
        Ctx::Incident,
        &["7"],
        "choose a decision branch",
    ),
    (
        "choose_8",
        Cmd::Choose(8),
        Ctx::Incident,
        &["8"],
        "choose a decision branch",
    ),
    (
        "choose_9",
        Cmd::Choose(9),
        Ctx::Incident,
        &["9"],
        "choose a decision branch",
    ),
    (
        "note",
        Cmd::Note,
        Ctx::Incident,
        &["i"],
        "write a note (Enter saves, Alt-Enter new line, Esc cancels)",
    ),
    (
        "status_update",
        Cmd::StatusUpdate,
        Ctx::Incident,
        &["u"],
        "post the stakeholder status update",
    ),
    (
        "wait",
        Cmd::StartWait,
        Ctx::Incident,
        &["w"],
        "start the step's wait countdown",
    ),
    (
        "mitigated",
        Cmd::Mitigate,
        Ctx::Incident,
        &["m"],
        "mark the incident mitigated",
    ),
    (
        "resolve",
        Cmd::Resolve,
        Ctx::Incident,
        &["R"],
        "resolve (asks for a one-line summary)",
    ),
    (
        "run",
        Cmd::Run,
        Ctx::Incident,
        &["r"],
        "run the selected command (asks first)",
    ),
    (
        "copy",
        Cmd::Copy,
        Ctx::Incident,
        &["c"],
        "copy the selected command",
    ),
    (
        "cancel",
        Cmd::Cancel,
        Ctx::Incident,
        &["ctrl-k"],
        "cancel the running command",
    ),
    (
        "trust",
        Cmd::Trust,
        Ctx::Incident,
        &["T"],
        "trust this runbook file (enables its commands)",
    ),
    (
        "poll_now",
        Cmd::PollNow,
        Ctx::Incident,
        &["P"],
        "poll status sources now",
    ),
    (
        "switch_runbook",
        Cmd::SwitchRunbook,
        Ctx::Incident,
        &["U"],
        "switch to the changed runbook file",
    ),
    (
        "review_all",
        Cmd::ReviewFilter(0),
        Ctx::Review,
        &["0"],
        "show every event",
    ),
    (
        "review_notes",
        Cmd::ReviewFilter(1),
        Ctx::Review,
        &["1"],
        "show/hide notes",
    ),
    (
        "review_steps",
        Cmd::ReviewFilter(2),
        Ctx::Review,
        &["2"],
        "show/hide steps",
    ),
    (
        "review_commands",
        Cmd::ReviewFilter(3),
        Ctx::Review,
        &["3"],
        "show/hide commands",
    ),
    (
        "review_status",
        Cmd::ReviewFilter(4),
        Ctx::Review,
        &["4"],
        "show/hide status changes",
    ),
    (
        "review_decisions",
        Cmd::ReviewFilter(5),
        Ctx::Review,
        &["5"],
        "show/hide decisions",
    ),
    (
        "review_incident",
        Cmd::ReviewFilter(6),
        Ctx::Review,
        &["6"],
        "show/hide incident events (start, mitigated, resolved, …)",
    ),
    (
        "replay",
        Cmd::Replay,
        Ctx::Review,
        &["enter", "r"],
        "replay the incident from the selected event",
    ),
    (
        "export_draft",
        Cmd::ExportDraft,
        Ctx::Review,
        &["e"],
        "write the postmortem draft (Markdown) next to the log",
    ),
    (
        "next_event",
        Cmd::NextEvent,
        Ctx::Replay,
        &["right", "l", "n"],
        "next event",
    ),
    (
        "prev_event",
        Cmd::PrevEvent,
        Ctx::Replay,
        &["left", "h", "p"],
        "previous event",
    ),
    (
        "jump_forward",
        Cmd::JumpForward,
        Ctx::Replay,
        &["]"],
        "one minute later",
    ),
    (
        "jump_back",
        Cmd::JumpBack,
        Ctx::Replay,
        &["["],
        "one minute earlier",
    ),
    (
        "play",
        Cmd::PlayPause,
        Ctx::Replay,
        &["space"],
        "play / pause",
    ),
    (
        "faster",
        Cmd::Faster,
        Ctx::Replay,
        &[">", "+"],
        "play faster (×1, ×10, ×60)",
    ),
    (
        "slower",
        Cmd::Slower,
        Ctx::Replay,
        &["<", "-"],
        "play slower",
    ),
];

impl Default for Keymap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .map(|(name, cmd, ctx, keys, desc)| Binding {
                name: (*name).to_owned(),
                cmd: *cmd,
                ctx: *ctx,
                keys: keys.iter().filter_map(|k| Key::parse(k).ok()).collect(),
                desc,
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with the config's `keys:` applied. Unknown names and
    /// unparseable keys are reported and ignored.
    pub fn with_overrides(
        overrides: &BTreeMap<String, (Vec<String>, Pos)>,
    ) -> (Keymap, Vec<Diagnostic>) {
        let mut km = Keymap::default();
        let mut problems = Vec::new();
        for (name, (keys, pos)) in overrides {
            let Some(b) = km.bindings.iter_mut().find(|b| &b.name == name) else {
                let names: Vec<&str> = DEFAULTS.iter().map(|d| d.0).collect();
                problems.push(
                    Diagnostic::warning(
                        "unknown-key-binding",
                        *pos,
                        format!("`keys.{name}`: there is no such binding"),
                    )
                    .with_hint(format!("bindings: {}", names.join(", "))),
                );
                continue;
            };
            let mut parsed = Vec::new();
            for k in keys {
                match Key::parse(k) {
                    Ok(key) => parsed.push(key),
                    Err(e) => problems.push(
                        Diagnostic::warning("invalid-key", *pos, format!("`keys.{name}`: {e}"))
                            .with_hint(
                                "keys look like `q`, `R`, `ctrl-c`, `alt-enter`, `space`, `f1`",
                            ),
                    ),
                }
            }
            if !parsed.is_empty() {
                b.keys = parsed;
            }
        }
        (km, problems)
    }

    /// The command for a key in the given contexts (most specific first).
    pub fn lookup(&self, ctxs: &[Ctx], event: &KeyEvent) -> Option<Cmd> {
        let key = Key::from_event(event);
        ctxs.iter().find_map(|ctx| {
            self.bindings
                .iter()
                .find(|b| b.ctx == *ctx && b.keys.contains(&key))
                .map(|b| b.cmd)
        })
    }

    /// The first key of a command, for hints ("press i to write a note").
    pub fn hint(&self, cmd: Cmd) -> String {
        self.bindings
            .iter()
            .find(|b| b.cmd == cmd)
            .and_then(|b| b.keys.first())
            .map_or_else(|| "?".to_owned(), ToString::to_string)
    }

    /// Help sections: (title, [(keys, description)]), generated from the
    /// bindings. The nine decision keys are shown as one line.
    pub fn help(&self) -> Vec<(&'static str, Vec<(String, String)>)> {
        let mut out: Vec<(&'static str, Vec<(String, String)>)> = Vec::new();
        for ctx in [
            Ctx::Global,
            Ctx::Lists,
            Ctx::Picker,
            Ctx::Incident,
            Ctx::Review,
            Ctx::Replay,
        ] {
            let mut rows: Vec<(String, String)> = Vec::new();
            let mut choose_keys = Vec::new();
            for b in self.bindings.iter().filter(|b| b.ctx == ctx) {
                let keys = b
                    .keys
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" / ");
                if matches!(b.cmd, Cmd::Choose(_)) {
                    choose_keys.push(keys);
                    if choose_keys.len() == 9 {
                        let label = if choose_keys
                            .iter()
                            .enumerate()
                            .all(|(i, k)| *k == (i + 1).to_string())
                        {
                            "1–9".to_owned()
                        } else {
                            choose_keys.join(" ")
                        };
                        rows.push((label, b.desc.to_owned()));
                    }
                    continue;
                }
                rows.push((keys, b.desc.to_owned()));
            }
            out.push((ctx.title(), rows));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn parses_and_displays_keys() {
        for (s, shown) in [
            ("q", "q"),
            ("R", "R"),
            ("ctrl-c", "Ctrl-C"),
            ("alt-enter", "Alt-Enter"),
            ("shift-tab", "Shift-Tab"),
            ("space", "Space"),
            ("?", "?"),
            ("f1", "F1"),
            ("shift-r", "R"),
        ] {
            assert_eq!(
                Key::parse(s).map(|k| k.to_string()),
                Ok(shown.to_owned()),
                "{s}"
            );
        }
        assert!(Key::parse("ctrl-").is_err() || Key::parse("ctrl-").is_ok());
        assert!(Key::parse("notakey").is_err());
    }

    #[test]
    fn lookup_respects_context_and_shift() {
        let km = Keymap::default();
        assert_eq!(
            km.lookup(
                &[Ctx::Incident, Ctx::Global],
                &ev(KeyCode::Char('R'), KeyModifiers::SHIFT)
            ),
            Some(Cmd::Resolve)
        );
        assert_eq!(
            km.lookup(
                &[Ctx::Incident, Ctx::Global],
                &ev(KeyCode::Char('r'), KeyModifiers::NONE)
            ),
            Some(Cmd::Run)
        );
        assert_eq!(
            km.lookup(
                &[Ctx::Picker, Ctx::Global],
                &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Cmd::Quit)
        );
        assert_eq!(
            km.lookup(
                &[Ctx::Picker, Ctx::Global],
                &ev(KeyCode::Char('d'), KeyModifiers::NONE)
            ),
            None
        );
        assert_eq!(
            km.lookup(
                &[Ctx::Incident],
                &ev(KeyCode::Char('3'), KeyModifiers::NONE)
            ),
            Some(Cmd::Choose(3))
        );
    }

    #[test]
    fn overrides_replace_keys_and_report_mistakes() {
        let mut o = BTreeMap::new();
        o.insert("note".to_owned(), (vec!["N".to_owned()], Pos::new(3, 3)));
        o.insert("nope".to_owned(), (vec!["x".to_owned()], Pos::new(4, 3)));
        o.insert(
            "quit".to_owned(),
            (vec!["bogus-key".to_owned()], Pos::new(5, 3)),
        );
        let (km, problems) = Keymap::with_overrides(&o);
        assert_eq!(
            km.lookup(
                &[Ctx::Incident],
                &ev(KeyCode::Char('N'), KeyModifiers::SHIFT)
            ),
            Some(Cmd::Note)
        );
        assert_eq!(
            km.lookup(
                &[Ctx::Incident],
                &ev(KeyCode::Char('i'), KeyModifiers::NONE)
            ),
            None
        );
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, 4);
        // A bad key leaves the default in place.
        assert_eq!(
            km.lookup(&[Ctx::Global], &ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Cmd::Quit)
        );
    }

    #[test]
    fn help_is_generated_from_the_bindings() {
        let mut o = BTreeMap::new();
        o.insert("note".to_owned(), (vec!["N".to_owned()], Pos::new(1, 1)));
        let (km, _) = Keymap::with_overrides(&o);
        let help = km.help();
        let incident = &help.iter().find(|(t, _)| *t == "Incident").unwrap().1;
        assert!(
            incident
                .iter()
                .any(|(k, d)| k == "N" && d.starts_with("write a note"))
        );
        assert!(incident.iter().any(|(k, _)| k == "1–9"));
    }
}
