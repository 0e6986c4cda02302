//! The incident screen: the step list, the step pane, the log, the status
//! panel and the command output. This module owns its keys; the session it
//! acts on is [`Session`]. Keys pass the [`typing`] guard first; commands
//! run through [`run`]; step changes through [`steps`]; prompts it opens
//! come back through [`prompts`].

pub mod calls;
pub mod prompts;
pub mod queries;
pub mod roles;
pub mod run;
pub mod shared;
pub mod steps;
pub mod typing;
mod view;

pub use view::{draw, draw_header};

use crate::app::action::{Effect, Notice};
use crate::app::context::{Cx, Request};
use crate::app::overlays::{Overlay, PromptKind};
use crate::app::overlays::{open_prompt as prompt, resolve_prompt};
use crate::app::session::{Pane, Selectable, Session, emit};
use crate::app::widgets::input::TextInput;
use crate::app::widgets::kit::move_sel;
use crate::incident::{EventKind, Phase};
use crate::ui::keymap::{Cmd, Ctx};
use crossterm::event::KeyEvent;
use prompts::{runbook_update_template, status_update_template};
use steps::{choose, enter_step, first_unticked, start_wait, toggle_item};

/// A key on the incident screen (after the typing guard, see [`typing`]).
pub fn on_key(s: &mut Session, cx: &mut Cx, key: KeyEvent) {
    let focus = s.focus;
    let ctxs: &[Ctx] = &[Ctx::Incident, Ctx::Lists, Ctx::Global];
    let Some(cmd) = cx.keymap.lookup(ctxs, &key) else {
        return;
    };
    // A read-only session (another Mayday holds the log, or it is damaged)
    // takes no key that would change the incident.
    if s.read_only.is_some()
        && (cmd.changes_incident() || matches!(cmd, Cmd::Note | Cmd::StatusUpdate | Cmd::Cancel))
    {
        cx.notices.push(Notice::info(
            "read-only: this incident is held by another Mayday (or its log is damaged); nothing here changes it",
        ));
        return;
    }
    let now = cx.now;
    let every = cx.settings.update_every(s.incident.severity);
    let page = cx.page();
    match cmd {
        Cmd::Quit => return cx.request(Request::AskQuit),
        Cmd::Help => {
            *cx.overlay = Some(Overlay::Help { scroll: 0 });
            return;
        }
        _ => {}
    }
    match cmd {
        Cmd::FocusNext | Cmd::FocusPrev => {
            let order = Pane::ORDER;
            let i = order.iter().position(|p| *p == focus).unwrap_or(0);
            let n = order.len();
            s.focus = if cmd == Cmd::FocusNext {
                order[(i + 1) % n]
            } else {
                order[(i + n - 1) % n]
            };
        }
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => match focus {
            Pane::Steps => {
                let len = s.runbook.steps.len();
                move_sel(&mut s.list_selected, len, cmd, page);
            }
            Pane::Content => {
                let len = s.selectables().len();
                if len == 0 {
                    s.content_scroll = match cmd {
                        Cmd::Up => s.content_scroll.saturating_sub(1),
                        Cmd::Down => s.content_scroll.saturating_add(1),
                        Cmd::PageUp => s.content_scroll.saturating_sub(10),
                        Cmd::PageDown => s.content_scroll.saturating_add(10),
                        Cmd::Top => 0,
                        _ => s.content_scroll,
                    };
                } else {
                    // Past the last command or checklist item, ↓ and PgDn
                    // scroll on, to whatever the step says below it.
                    let last = s.item_selected + 1 >= len;
                    match cmd {
                        Cmd::Down if last => s.content_scroll = s.content_scroll.saturating_add(1),
                        Cmd::PageDown if last => {
                            s.content_scroll = s.content_scroll.saturating_add(10)
                        }
                        Cmd::Bottom => {
                            move_sel(&mut s.item_selected, len, cmd, page);
                            s.content_scroll = u16::MAX;
                        }
                        _ => {
                            s.content_scroll = 0;
                            move_sel(&mut s.item_selected, len, cmd, page);
                        }
                    }
                }
            }
            Pane::Log => {
                let max = s.events.len().saturating_sub(1);
                s.log_scroll = match cmd {
                    Cmd::Up => (s.log_scroll + 1).min(max),
                    Cmd::Down => s.log_scroll.saturating_sub(1),
                    Cmd::PageUp => (s.log_scroll + page).min(max),
                    Cmd::PageDown => s.log_scroll.saturating_sub(page),
                    Cmd::Top => max,
                    _ => 0,
                };
                // Everything below the view has been seen once it is shown.
                s.log_unseen = s.log_unseen.min(s.log_scroll);
            }
            Pane::Status => {
                let len = cx.status.sources.len();
                move_sel(&mut cx.status.selected, len, cmd, page);
            }
        },
        Cmd::Select => match focus {
            Pane::Steps => {
                let target = s.list_selected;
                enter_step(s, target, now, cx.fx);
            }
            Pane::Content => {
                if let Some(Selectable::Checklist(i)) = s.selected_item() {
                    toggle_item(s, i, now, cx.fx);
                }
            }
            Pane::Status => {
                if cx.status.selected < cx.status.sources.len() {
                    *cx.overlay = Some(Overlay::SourceDetails {
                        index: cx.status.selected,
                        scroll: 0,
                    });
                }
            }
            Pane::Log => {}
        },
        Cmd::Run => run::request(s, cx),
        Cmd::SwitchRunbook => match s.runbook_update.take() {
            Some(new) => {
                let kind = EventKind::RunbookSwitched {
                    from_hash: s.runbook.hash.clone(),
                    to_hash: new.hash.clone(),
                };
                emit(s, kind, now, cx.fx);
                s.trusted = cx.trust.is_trusted(&new);
                s.runbook = new;
                s.item_selected = 0;
                s.list_selected = s.current_index();
                cx.notices.clear();
                cx.notices
                    .push(Notice::info("switched to the changed runbook"));
            }
            None => cx.notices.push(Notice::info("the runbook has not changed")),
        },
        Cmd::Cancel => match s.run.as_ref() {
            Some(r) if r.finished.is_none() && !r.dry_run => cx.fx.push(Effect::CancelCommand),
            _ => cx.notices.push(Notice::info("no command is running")),
        },
        Cmd::Copy => {
            let cur = s.current_index();
            let index = match s.selected_item() {
                Some(Selectable::Command(i)) => Some(i),
                _ => s
                    .runbook
                    .steps
                    .get(cur)
                    .and_then(|st| (!st.commands.is_empty()).then_some(0)),
            };
            match index.and_then(|i| s.runbook.steps.get(cur).and_then(|st| st.commands.get(i))) {
                Some(cmd) => {
                    // Copied as it would run: values quoted for the shell.
                    let mut text = crate::exec::expand_command(&cmd.text, &s.incident.variables)
                        .map_or_else(
                            |_| crate::exec::expand(&cmd.text, &s.incident.variables),
                            |t| t.text,
                        );
                    // A display-only block written for people (`$NAMESPACE`)
                    // is copied with the alert's values, as it is shown.
                    if let Some(a) = s.incident.alert.as_ref().filter(|_| !cmd.runnable) {
                        let values = crate::runbook::template::label_placeholders(&a.labels);
                        text = crate::runbook::template::fill_shell_placeholders(&text, &values);
                    }
                    cx.fx.push(Effect::Copy(text.clone()));
                    *cx.overlay = Some(Overlay::ShowText {
                        title: "Copied to the clipboard (OSC 52) — or copy it from here".into(),
                        text,
                    });
                }
                None => cx
                    .notices
                    .push(Notice::info("this step has no command to copy")),
            }
        }
        Cmd::Trust => {
            if s.trusted {
                cx.notices
                    .push(Notice::info("this runbook is already trusted"));
            } else if s.runbook.hash.is_empty() {
                cx.notices.push(Notice::warning(
                    "this runbook's file cannot be read to trust it",
                ));
            } else {
                // Trusting lets every runnable command in the file run: say
                // which file, and which content, and ask.
                *cx.overlay = Some(Overlay::ConfirmTrust {
                    path: s.runbook.path.clone(),
                    hash: s.runbook.hash.clone(),
                });
            }
        }
        Cmd::PollNow => {
            let target = match focus {
                Pane::Status => cx
                    .status
                    .sources
                    .get(cx.status.selected)
                    .map(|v| v.snapshot.name.clone()),
                _ => None,
            };
            if cx.status.sources.is_empty() {
                cx.notices.push(Notice::info(
                    "no status sources are configured (see docs/config.example.yaml)",
                ));
            } else {
                cx.fx.push(Effect::PollNow(target));
            }
        }
        Cmd::NextStep => {
            let next = s.current_index() + 1;
            if next < s.runbook.steps.len() {
                enter_step(s, next, now, cx.fx);
            }
        }
        Cmd::PrevStep => {
            let cur = s.current_index();
            if cur > 0 {
                enter_step(s, cur - 1, now, cx.fx);
            }
        }
        Cmd::Toggle => {
            let item = match s.selected_item() {
                Some(Selectable::Checklist(i)) => Some(i),
                _ => first_unticked(s),
            };
            if let Some(i) = item {
                toggle_item(s, i, now, cx.fx);
            }
        }
        Cmd::Done => {
            let cur = s.current_index();
            if let Some(step) = s.runbook.steps.get(cur) {
                let id = step.id.clone();
                emit(s, EventKind::StepDone { step: id }, now, cx.fx);
                if cur + 1 < s.runbook.steps.len() {
                    enter_step(s, cur + 1, now, cx.fx);
                }
            }
        }
        Cmd::Skip => {
            if let Some(step) = s.runbook.steps.get(s.current_index()) {
                let title = format!("Skip \"{}\"", step.title);
                *cx.overlay = Some(prompt(
                    PromptKind::SkipReason {
                        step: step.id.clone(),
                    },
                    title,
                    "Why skip it? The reason goes in the incident log. Enter saves, Esc cancels.",
                    TextInput::new("", false),
                ));
            }
        }
        Cmd::Choose(n) => choose(s, usize::from(n), now, cx.fx, cx.notices),
        Cmd::Note => {
            let start = s.note_template.take().unwrap_or_default();
            *cx.overlay = Some(prompt(
                PromptKind::Note,
                "Note",
                "Enter saves · Alt-Enter or Ctrl-J: new line · Esc cancels",
                TextInput::new(&start, true),
            ));
        }
        Cmd::StatusUpdate => {
            // The runbook's own template where it has one (a `text` block
            // in the current, else the first, communicate step), variables
            // filled in; otherwise one built from the incident.
            let template =
                runbook_update_template(s).unwrap_or_else(|| status_update_template(s, now, every));
            *cx.overlay = Some(prompt(
                PromptKind::StatusUpdate,
                "Stakeholder status update",
                "Edit and post: it is logged and resets the reminder. Enter saves · Alt-Enter new line · Esc cancels",
                TextInput::new(&template, true),
            ));
        }
        Cmd::StartWait => start_wait(s, now, cx.fx, cx.notices),
        Cmd::Mitigate => {
            if s.incident.phase == Phase::Open {
                emit(s, EventKind::Mitigated, now, cx.fx);
            } else if s.incident.phase == Phase::Mitigated {
                // A slip of the finger can be taken back (and the log
                // says so).
                *cx.overlay = Some(Overlay::ConfirmRetract);
            } else {
                cx.notices.push(Notice::info(format!(
                    "the incident is already {}",
                    s.incident.phase
                )));
            }
        }
        Cmd::Resolve => {
            if s.incident.phase == Phase::Resolved {
                cx.notices
                    .push(Notice::info("the incident is already resolved"));
            } else {
                // Resolving while something still says "not fixed" asks
                // first.
                let mut reasons: Vec<String> = cx
                    .status
                    .sources
                    .iter()
                    .filter(|v| v.snapshot.state == crate::status::health::Health::Down)
                    .map(|v| format!("source `{}` is down", v.snapshot.name))
                    .collect();
                let pending: Vec<&str> = s
                    .runbook
                    .steps
                    .iter()
                    .filter(|st| {
                        matches!(
                            st.kind,
                            crate::runbook::StepKind::Mitigate | crate::runbook::StepKind::Rollback
                        ) && matches!(
                            s.incident.status(&st.id),
                            crate::incident::StepStatus::Pending
                                | crate::incident::StepStatus::Current
                        )
                    })
                    .map(|st| st.title.as_str())
                    .collect();
                if !pending.is_empty() {
                    reasons.push(format!(
                        "{} mitigation step(s) not done or skipped: {}",
                        pending.len(),
                        pending.join(", ")
                    ));
                }
                *cx.overlay = Some(if reasons.is_empty() {
                    resolve_prompt()
                } else {
                    Overlay::ConfirmResolve { reasons }
                });
            }
        }
        Cmd::Silence => calls::ask_silence(s, cx),
        Cmd::Acknowledge => calls::acknowledge(s, cx),
        Cmd::Role => roles::ask(s, cx),
        Cmd::Evidence => queries::ask(s, cx),
        Cmd::Back if focus != Pane::Content => s.focus = Pane::Content,
        _ => {}
    }
}
