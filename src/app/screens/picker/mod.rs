//! The picker: open incidents first, then runbooks whose alerts are firing,
//! every runbook, game days, and recent incidents to review — filtered as
//! you type. Enter resumes, starts, rehearses or reviews the selected row.

mod rows;
mod view;

pub use crate::runbook::matching::{match_strength, url_names_runbook};
pub use rows::{Lists, refilter, remember_selection};
pub use view::draw;

use crate::app::action::{Effect, Notice};
use crate::app::context::{Cx, Request};
use crate::app::overlays::Overlay;
use crate::app::widgets::input::is_ctrl_c;
use crate::app::widgets::input::{Outcome, TextInput};
use crate::app::widgets::kit::move_sel;
use crate::ui::keymap::{Cmd, Ctx};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// One row of the picker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickItem {
    /// An unresolved incident (index into `State::incidents`).
    Resume(usize),
    /// A runbook whose alert is firing now (index into
    /// `State::library.runbooks`, index into `State::firing`).
    Firing(usize, usize),
    /// A runbook (index into `State::library.runbooks`).
    Runbook(usize),
    /// A game-day scenario (index into `State::gamedays`).
    Gameday(usize),
    /// A resolved incident to review (index into `State::past`).
    Review(usize),
    /// A shared incident to join (index into `State::shared`).
    Join(usize),
}

#[derive(Clone, Debug)]
/// The picker's state.
pub struct Picker {
    /// The filter text.
    pub filter: TextInput,
    /// Keys go to the filter (not to the list's commands).
    pub filtering: bool,
    /// The rows, ranked.
    pub items: Vec<PickItem>,
    /// Matched character positions per runbook index (for highlighting).
    pub highlights: BTreeMap<usize, Vec<u32>>,
    /// The selected row.
    pub selected: usize,
    /// Alerts firing now that a runbook handles (recomputed with the rows).
    pub firing: Vec<Firing>,
    /// The row the responder selected, by what it is (not where it is), so
    /// a refresh never moves the cursor to another row. `None` until they
    /// move it: then the top row is selected.
    pub selected_key: Option<String>,
}

impl Default for Picker {
    fn default() -> Self {
        Picker {
            filter: TextInput::new("", false),
            // The picker opens ready to type: filtered as you type.
            filtering: true,
            items: Vec::new(),
            highlights: BTreeMap::new(),
            selected: 0,
            firing: Vec::new(),
            selected_key: None,
        }
    }
}

/// An alert firing now and the runbook that handles it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    /// The runbook (index into the library).
    pub runbook: usize,
    /// The alert's name.
    pub alertname: String,
    /// The source it fires in.
    pub source: String,
    /// How many instances of it fire (`×500`).
    pub count: usize,
    /// The most severe `severity` label among them.
    pub severity: Option<String>,
    /// When the first of them started firing.
    pub since: Option<jiff::Timestamp>,
    /// How well the runbook matches (see [`match_strength`]).
    pub strength: u8,
    /// The most severe (then the first) instance, as the incident records
    /// it when started from this row.
    pub alert: crate::incident::AlertRef,
    /// What the row stands for: source, alert name, the labels all its
    /// instances share (or the page's id). The selection follows it.
    pub key: String,
    /// The shared labels worth showing (`namespace=payments`).
    pub context: String,
}

/// What the rows are made from, out of the context.
fn lists<'a>(cx: &'a Cx) -> Lists<'a> {
    Lists {
        library: cx.library,
        incidents: cx.incidents,
        past: cx.past,
        shared: cx.shared,
        gamedays: cx.gamedays,
        board: cx.status,
        gameday_only: cx.gameday_only,
    }
}

/// A key on the picker.
pub fn on_key(p: &mut Picker, cx: &mut Cx, key: KeyEvent) {
    if p.filtering {
        match key.code {
            KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown => {
                let cmd = match key.code {
                    KeyCode::Up => Cmd::Up,
                    KeyCode::Down => Cmd::Down,
                    KeyCode::PageUp => Cmd::PageUp,
                    _ => Cmd::PageDown,
                };
                let len = p.items.len();
                let page = cx.page();
                move_sel(&mut p.selected, len, cmd, page);
                remember_selection(p, &lists(cx));
                return;
            }
            KeyCode::Tab => {
                p.filtering = false;
                return;
            }
            _ => {}
        }
        if is_ctrl_c(&key) {
            cx.request(Request::AskQuit);
            return;
        }
        match p.filter.key(key) {
            Outcome::Submit => activate(p, cx),
            Outcome::Cancel => {
                if p.filter.is_empty() {
                    p.filtering = false;
                } else {
                    p.filter = TextInput::new("", false);
                    p.filtering = false;
                    refilter(p, &lists(cx));
                }
            }
            Outcome::Changed => {
                p.selected = 0;
                p.selected_key = None;
                refilter(p, &lists(cx));
            }
            Outcome::Unchanged => {}
        }
        return;
    }
    match cx
        .keymap
        .lookup(&[Ctx::Picker, Ctx::Lists, Ctx::Global], &key)
    {
        Some(Cmd::Quit) => cx.request(Request::AskQuit),
        Some(Cmd::Help) => *cx.overlay = Some(Overlay::Help { scroll: 0 }),
        Some(Cmd::Filter) => p.filtering = true,
        Some(Cmd::Select) => activate(p, cx),
        Some(Cmd::CloseRehearsal) => match p.items.get(p.selected) {
            Some(PickItem::Resume(i)) if cx.incidents.get(*i).is_some_and(|inc| inc.rehearsal) => {
                let id = cx.incidents[*i].id.clone();
                *cx.overlay = Some(Overlay::ConfirmClose { id });
            }
            _ => cx
                .notices
                .push(Notice::info("select an open rehearsal to close it")),
        },
        Some(Cmd::Review) => match p.items.get(p.selected) {
            Some(PickItem::Review(i)) => {
                if let Some(inc) = cx.past.get(*i) {
                    cx.fx.push(Effect::OpenReview(inc.id.clone()));
                }
            }
            Some(PickItem::Resume(i)) => {
                if let Some(inc) = cx.incidents.get(*i) {
                    cx.fx.push(Effect::OpenReview(inc.id.clone()));
                }
            }
            _ => cx
                .notices
                .push(Notice::info("select an incident to review")),
        },
        Some(Cmd::Back) => {
            if !p.filter.is_empty() {
                p.filter = TextInput::new("", false);
                refilter(p, &lists(cx));
            }
        }
        Some(
            cmd @ (Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom),
        ) => {
            let len = p.items.len();
            let page = cx.page();
            move_sel(&mut p.selected, len, cmd, page);
            remember_selection(p, &lists(cx));
        }
        Some(_) => {}
        None => {
            // Filtered as you type: an unbound printable key starts the filter.
            if let KeyCode::Char(c) = key.code
                && !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && !c.is_control()
            {
                p.filtering = true;
                p.filter.key(key);
                p.selected = 0;
                p.selected_key = None;
                refilter(p, &lists(cx));
            } else if key.code == KeyCode::Backspace && !p.filter.is_empty() {
                p.filtering = true;
                p.filter.key(key);
                refilter(p, &lists(cx));
            }
        }
    }
}

/// Enter on a row: resume, start (asking first when the runbook already has
/// an open incident), rehearse or review it.
fn activate(p: &mut Picker, cx: &mut Cx) {
    let Some(item) = p.items.get(p.selected).copied() else {
        return;
    };
    if cx.gameday_only && !matches!(item, PickItem::Gameday(_)) {
        return;
    }
    match item {
        PickItem::Resume(i) => {
            if let Some(inc) = cx.incidents.get(i) {
                cx.fx.push(Effect::ResumeIncident(inc.id.clone()));
            }
        }
        PickItem::Join(i) => {
            if let Some(h) = cx.shared.get(i) {
                cx.notices.push(Notice::info(format!("joining {}…", h.id)));
                cx.fx.push(Effect::JoinIncident(h.id.clone()));
            }
        }
        PickItem::Runbook(i) | PickItem::Firing(i, _) => {
            let alert = match item {
                PickItem::Firing(_, f) => p.firing.get(f).map(|f| f.alert.clone()),
                _ => None,
            };
            if let Some(rb) = cx.library.runbooks.get(i).cloned() {
                // One page, one incident: an open (real) incident on this
                // runbook is offered first.
                match cx
                    .incidents
                    .iter()
                    .find(|inc| inc.runbook_id == rb.id && !inc.rehearsal)
                {
                    Some(inc) => {
                        *cx.overlay = Some(Overlay::ConfirmSecond {
                            runbook: rb,
                            open_id: inc.id.clone(),
                            alert: alert.map(Box::new),
                        });
                    }
                    None => match alert {
                        Some(a) => cx.request(Request::StartFromAlert(rb, Box::new(a))),
                        None => cx.request(Request::OpenStart(rb)),
                    },
                }
            }
        }
        PickItem::Gameday(i) => {
            if let Some(g) = cx.gamedays.get(i).cloned() {
                cx.request(Request::Rehearse(g));
            }
        }
        PickItem::Review(i) => {
            if let Some(inc) = cx.past.get(i) {
                cx.fx.push(Effect::OpenReview(inc.id.clone()));
            }
        }
    }
}
