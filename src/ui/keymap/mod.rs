//! Key bindings as data: each binding has a name (used in the config file),
//! the keys, where it applies and a description. The help screen is
//! generated from this table, so it is always right.
//!
//! Config (`keys:`) replaces the keys of a binding by name:
//! `keys: { quit: [q, ctrl-q], note: n }`.

mod cmd;
mod defaults;
mod key;

pub use cmd::{Cmd, Ctx};
pub use key::Key;

use crate::util::diag::{Diagnostic, Pos};
use crossterm::event::KeyEvent;
use defaults::DEFAULTS;
use std::collections::BTreeMap;

/// A binding: name (for the config file), keys, context, description.
#[derive(Clone, Debug)]
pub struct Binding {
    /// Its name (what the config's `keys:` rebinds).
    pub name: String,
    /// What it does.
    pub cmd: Cmd,
    /// Where it applies.
    pub ctx: Ctx,
    /// The keys bound to it.
    pub keys: Vec<Key>,
    /// What the help screen says about it.
    pub desc: &'static str,
}

/// The keymap.
#[derive(Clone, Debug)]
pub struct Keymap {
    /// Every binding.
    pub bindings: Vec<Binding>,
}

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
    use crossterm::event::{KeyCode, KeyModifiers};

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
