//! Overlays: the dialogs drawn over a screen. Each module owns one kind —
//! its data, its keys and its drawing. A key given to an overlay either
//! keeps it open (changed or not) or closes it with an [`Answer`] for the
//! router to carry out (run the command, log the note, quit…); effects an
//! overlay can ask for by itself (poll now, trust, write a rescue copy) it
//! pushes directly.

pub mod ask;
pub mod command;
pub mod help;
pub mod prompt;
pub mod source;
pub mod text;

pub use command::Confirmation;
pub use prompt::{Prompt, PromptKind};

use crate::app::action::Effect;
use crate::app::board::StatusBoard;
use crate::app::widgets::input::{TextInput, is_ctrl_c};
use crate::runbook::Runbook;
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use std::sync::Arc;

#[derive(Clone, Debug)]
/// The dialog open over the screen, with its own state.
pub enum Overlay {
    /// The keys.
    Help {
        /// Lines scrolled down.
        scroll: u16,
    },
    /// Run this command?
    Confirm(Box<Confirmation>),
    /// Text to copy by hand (shown after an OSC 52 copy).
    ShowText {
        /// What it is.
        title: String,
        /// The text.
        text: String,
    },
    /// The items of one status source.
    SourceDetails {
        /// The source's index on the board.
        index: usize,
        /// Lines scrolled down.
        scroll: u16,
    },
    /// Quit? (the incident stays open; unsaved events need a rescue copy first)
    ConfirmQuit,
    /// Take back "mitigated"?
    ConfirmRetract,
    /// Close this abandoned rehearsal?
    ConfirmClose {
        /// The rehearsal's incident id.
        id: String,
    },
    /// Resolve although sources are down or mitigation steps are pending?
    ConfirmResolve {
        /// What still says it is not fixed.
        reasons: Vec<String>,
    },
    /// This runbook already has an open incident: resume it instead?
    ConfirmSecond {
        /// The runbook picked.
        runbook: Arc<Runbook>,
        /// The open incident on it.
        open_id: String,
        /// The alert the row was for, when it was a firing alert's row.
        alert: Option<Box<crate::incident::AlertRef>>,
    },
    /// Trust this runbook file (its commands may then run)?
    ConfirmTrust {
        /// The runbook file.
        path: String,
        /// Its content hash.
        hash: String,
    },
    /// A text prompt.
    Prompt(Box<Prompt>),
    /// The incident is resolved: expire the silence it made, resolve the
    /// page it came from?
    ConfirmWrapUp {
        /// (source, silence id), when it silenced its alert.
        silence: Option<(String, String)>,
        /// (source, page id, page number), when a page is still open.
        page: Option<(String, String, u64)>,
    },
}

/// What an overlay was answered with, for the router to carry out.
#[derive(Debug)]
pub enum Answer {
    /// Run the confirmed command.
    Run(Box<Confirmation>),
    /// The command was declined (logged as such).
    Decline(Box<Confirmation>),
    /// Resolve although not everything says it is fixed: ask for the
    /// summary.
    ResolveAnyway,
    /// Start a second incident on this runbook after all (from this alert,
    /// when the row was one).
    StartSecond(Arc<Runbook>, Option<Box<crate::incident::AlertRef>>),
    /// Take back "mitigated".
    Retract,
    /// Quit now.
    Quit,
    /// A prompt's text was submitted: the router logs it, or puts the
    /// prompt back with the reason it was refused.
    Submit(Box<Prompt>),
}

/// What overlay keys may read, and where they ask for effects.
pub struct Keys<'a> {
    /// The keymap (help and lists use its bindings).
    pub keymap: &'a Keymap,
    /// The status panel (source details polls the source it shows).
    pub board: &'a StatusBoard,
    /// Events are unsaved and no rescue copy holds them all: quitting is
    /// refused until one does.
    pub unsaved_unrescued: bool,
    /// Effects an overlay asks for by itself.
    pub fx: &'a mut Vec<Effect>,
}

/// A text prompt as an overlay.
pub fn open_prompt(
    kind: PromptKind,
    title: impl Into<String>,
    help: impl Into<String>,
    input: TextInput,
) -> Overlay {
    Overlay::Prompt(Box::new(Prompt::new(kind, title, help, input)))
}

/// The prompt for resolving: one line saying what happened.
pub fn resolve_prompt() -> Overlay {
    open_prompt(
        PromptKind::ResolveSummary,
        "Resolve the incident",
        "One line: what happened and what fixed it. Enter resolves, Esc cancels.",
        TextInput::new("", false),
    )
}

/// Give a key to the open overlay: `Ok(Some(o))` keeps `o` open,
/// `Ok(None)` closes it, `Err(answer)` closes it with an answer.
pub fn on_key(overlay: Overlay, key: KeyEvent, k: &mut Keys) -> Result<Option<Overlay>, Answer> {
    let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
    let no = matches!(key.code, KeyCode::Char('n' | 'N') | KeyCode::Esc) || is_ctrl_c(&key);
    match overlay {
        Overlay::Help { scroll } => {
            Ok(help::on_key(scroll, key, k.keymap).map(|scroll| Overlay::Help { scroll }))
        }
        Overlay::SourceDetails { index, scroll } => {
            Ok(source::on_key(index, scroll, key, k.keymap, k.board, k.fx)
                .map(|scroll| Overlay::SourceDetails { index, scroll }))
        }
        Overlay::Confirm(c) => match command::on_key(c, key) {
            command::Outcome::Keep(c) => Ok(Some(Overlay::Confirm(c))),
            command::Outcome::Run(c) => Err(Answer::Run(c)),
            command::Outcome::Decline(c) => Err(Answer::Decline(c)),
        },
        Overlay::ShowText { .. } => Ok(None),
        Overlay::Prompt(p) => match prompt::on_key(p, key) {
            prompt::Outcome::Keep(p) => Ok(Some(Overlay::Prompt(p))),
            prompt::Outcome::Submit(p) => Err(Answer::Submit(p)),
            prompt::Outcome::Close => Ok(None),
        },
        // The questions: y / n (or Enter / n / Esc); a key that is not an
        // answer keeps the question open, except on the quit question,
        // which any other key dismisses.
        Overlay::ConfirmResolve { .. } if yes => Err(Answer::ResolveAnyway),
        Overlay::ConfirmSecond { open_id, .. }
            if matches!(key.code, KeyCode::Char('r' | 'R') | KeyCode::Enter) =>
        {
            k.fx.push(Effect::ResumeIncident(open_id));
            Ok(None)
        }
        // The responder said so: a second incident on this runbook.
        Overlay::ConfirmSecond { runbook, alert, .. }
            if matches!(key.code, KeyCode::Char('n' | 'N')) =>
        {
            Err(Answer::StartSecond(runbook, alert))
        }
        Overlay::ConfirmClose { id } if yes => {
            k.fx.push(Effect::CloseRehearsal(id));
            Ok(None)
        }
        Overlay::ConfirmRetract if yes => Err(Answer::Retract),
        Overlay::ConfirmWrapUp { silence, page } if yes => {
            if let Some((source, id)) = silence {
                k.fx.push(Effect::Call {
                    source,
                    call: crate::status::Call::ExpireSilence { id },
                });
            }
            if let Some((source, page_id, _)) = page {
                k.fx.push(Effect::Call {
                    source,
                    call: crate::status::Call::ResolvePage { page_id },
                });
            }
            Ok(None)
        }
        Overlay::ConfirmTrust { path, hash } if yes => {
            k.fx.push(Effect::Trust { path, hash });
            Ok(None)
        }
        // Unsaved events: quitting is refused until a rescue copy holds
        // every one of them (asked for with `w`, named on screen).
        Overlay::ConfirmQuit => match key.code {
            KeyCode::Char('w' | 'W') if k.unsaved_unrescued => {
                k.fx.push(Effect::Rescue);
                Ok(Some(Overlay::ConfirmQuit))
            }
            KeyCode::Char('y' | 'Y') if k.unsaved_unrescued => Ok(Some(Overlay::ConfirmQuit)),
            KeyCode::Char('y' | 'Y') => Err(Answer::Quit),
            _ if is_ctrl_c(&key) && !k.unsaved_unrescued => Err(Answer::Quit),
            _ => Ok(None),
        },
        _ if no => Ok(None),
        other => Ok(Some(other)),
    }
}

/// What drawing an overlay needs besides the overlay itself.
pub struct Draw<'a> {
    /// The time the frame is drawn at.
    pub now: Timestamp,
    /// The zone absolute times are shown in.
    pub tz: &'a TimeZone,
    /// Colours.
    pub theme: &'a Theme,
    /// For the help overlay.
    pub keymap: &'a Keymap,
    /// The status panel shown (live, or replayed).
    pub board: &'a StatusBoard,
    /// The open incident, if any (quit and trust say what is at stake).
    pub session: Option<&'a crate::app::session::Session>,
}

/// Draw the open overlay over the whole frame.
pub fn draw(overlay: &Overlay, d: &Draw, frame: &mut Frame) {
    let area = frame.area();
    let theme = d.theme;
    match overlay {
        Overlay::Help { scroll } => help::draw_help(d.keymap, *scroll, theme, frame, area),
        Overlay::Confirm(c) => command::draw_confirm_command(c, theme, frame, area),
        Overlay::ShowText { title, text } => text::draw_show_text(title, text, theme, frame, area),
        Overlay::SourceDetails { index, scroll } => {
            source::draw_source_details(d.board, *index, *scroll, d.now, d.tz, theme, frame, area)
        }
        Overlay::Prompt(p) => prompt::draw_prompt(p, theme, frame, area),
        Overlay::ConfirmQuit => ask::draw_confirm_quit(d.session, theme, frame, area),
        Overlay::ConfirmClose { id } => ask::draw_ask(
            " Close rehearsal? ",
            &[
                format!("Close the rehearsal {id}?"),
                "It is marked resolved as closed unfinished; its log is kept.".to_owned(),
            ],
            &[("y", "close it"), ("n", "keep it open")],
            theme,
            frame,
            area,
        ),
        Overlay::ConfirmRetract => ask::draw_ask(
            " Mitigated? ",
            &[
                "Take back \"mitigated\"? The incident goes back to OPEN;",
                "the log keeps both events (mitigation_retracted).",
            ],
            &[("y", "take it back"), ("n", "keep mitigated")],
            theme,
            frame,
            area,
        ),
        Overlay::ConfirmResolve { reasons } => {
            let mut text = vec!["Resolve now? Not everything says it is fixed:".to_owned()];
            text.extend(reasons.iter().map(|r| format!("· {r}")));
            ask::draw_ask(
                " Resolve? ",
                &text,
                &[("y", "resolve anyway"), ("n", "not yet")],
                theme,
                frame,
                area,
            );
        }
        Overlay::ConfirmSecond {
            runbook, open_id, ..
        } => ask::draw_ask(
            " Already open ",
            &[
                format!("`{}` already has an open incident:", runbook.id),
                open_id.clone(),
            ],
            &[
                ("Enter", "resume it"),
                ("n", "start a second"),
                ("Esc", "back"),
            ],
            theme,
            frame,
            area,
        ),
        Overlay::ConfirmTrust { path, hash } => {
            ask::draw_confirm_trust(d.session, path, hash, theme, frame, area)
        }
        Overlay::ConfirmWrapUp { silence, page } => {
            let mut text = vec!["The incident is resolved. Also:".to_owned()];
            if let Some((source, id)) = silence {
                text.push(format!("· expire the silence {id} it made in {source}"));
            }
            if let Some((source, _, number)) = page {
                text.push(format!("· resolve page #{number} in {source}"));
            }
            ask::draw_ask(
                " Wrap up ",
                &text,
                &[("y", "yes (each call is logged)"), ("n", "leave them")],
                theme,
                frame,
                area,
            );
        }
    }
}
