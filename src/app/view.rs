//! `view(&State, now, &Theme, &mut Frame)`: composes the screen on show,
//! the title bar, notices, footer and the open overlay. Draws the state, changes
//! nothing. Time is passed in, so the same state and time always draw the
//! same screen (snapshot tests rely on it). Only what is visible is drawn:
//! the incident log pane touches the last screenful of events, whatever the
//! log's length.

use crate::app::action::NoticeLevel;
use crate::app::context::{Screen, Vcx};
use crate::app::overlays::{self, Overlay};
use crate::app::screens::{incident, picker, review, start};
use crate::app::state::State;
use crate::ui::keymap::Cmd;
use crate::ui::theme::Theme;
use crate::util::sanitize;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use unicode_width::UnicodeWidthStr;

/// Draw the whole screen.
pub fn view(state: &State, now: Timestamp, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.style("ui")), area);
    let notices = notice_lines(state, theme);
    let [header, banner, main, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(notices.len() as u16),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(notices), banner);
    // A replay shows the incident at the replayed moment.
    let replay = state
        .review
        .as_ref()
        .and_then(|r| r.replay.as_ref().map(|p| (r, p)));
    let cx = Vcx {
        now: replay.map_or(now, |(_, p)| p.time),
        tz: &state.tz,
        theme,
        keymap: &state.keymap,
        settings: &state.settings,
        library: &state.library,
        incidents: &state.incidents,
        past: &state.past,
        freshness: &state.freshness,
        shared: &state.shared,
        gamedays: &state.gamedays,
        board: state.board(),
        overlay_open: state.overlay.is_some(),
    };
    match state.screen {
        Screen::Picker => {
            draw_title_bar(state, theme, frame, header);
            picker::draw(&state.picker, &cx, frame, main);
        }
        Screen::Start => {
            draw_title_bar(state, theme, frame, header);
            start::draw(state.start.as_ref(), &cx, frame, main);
        }
        Screen::Incident => match &state.session {
            Some(s) => {
                incident::draw_header(&cx, s, cx.now, theme, frame, header);
                match replay {
                    Some((r, p)) => {
                        let [bar, rest] =
                            Layout::vertical([Constraint::Length(1), Constraint::Min(3)])
                                .areas(main);
                        review::draw_replay_bar(
                            p,
                            r.events.len(),
                            r.incident.started_at,
                            (r.stats.started_at, r.stats.ended_at),
                            theme,
                            frame,
                            bar,
                        );
                        incident::draw(&cx, s, cx.now, theme, frame, rest);
                    }
                    None => incident::draw(&cx, s, cx.now, theme, frame, main),
                }
            }
            None => draw_title_bar(state, theme, frame, header),
        },
        Screen::Review => match &state.review {
            Some(r) => review::draw_review(&cx, r, theme, frame, header, main),
            None => draw_title_bar(state, theme, frame, header),
        },
    }
    draw_footer(state, theme, frame, footer);
    if let Some(o) = &state.overlay {
        let d = overlays::Draw {
            now,
            tz: &state.tz,
            theme,
            keymap: &state.keymap,
            board: state.board(),
            session: state.session.as_ref(),
        };
        overlays::draw(o, &d, frame);
    }
}

fn notice_lines<'a>(state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    if let Some(s) = &state.session {
        if let Some(e) = &s.save_error {
            out.push(Line::styled(
                format!(
                    " ✗ NOT SAVED: {} — events are kept in memory ",
                    sanitize::line(e)
                ),
                theme.style("ui.banner.error"),
            ));
        }
        if let Some(why) = &s.read_only {
            out.push(Line::styled(
                format!(" READ-ONLY: {} ", sanitize::line(why)),
                theme.style("ui.banner.warning"),
            ));
        }
    }
    for n in &state.notices {
        let (icon, scope) = match n.level {
            NoticeLevel::Error => ("✗", "ui.banner.error"),
            NoticeLevel::Warning => ("!", "ui.banner.warning"),
            NoticeLevel::Info => ("i", "ui.banner.info"),
        };
        out.push(Line::styled(
            format!(" {icon} {} (Esc dismisses) ", sanitize::line(&n.text)),
            theme.style(scope),
        ));
    }
    out.truncate(4);
    out
}

fn draw_title_bar(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = vec![
        Span::styled(
            " MAYDAY ",
            theme.style("ui.title").add_modifier(Modifier::REVERSED),
        ),
        Span::styled("  incident runbooks", theme.style("ui.header")),
        Span::styled(
            format!(
                "  ·  {} runbook{}",
                state.library.runbooks.len(),
                if state.library.runbooks.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ),
            theme.style("ui.muted"),
        ),
    ];
    if !state.incidents.is_empty() {
        spans.push(Span::styled(
            format!(
                "  ·  {} open incident{}",
                state.incidents.len(),
                if state.incidents.len() == 1 { "" } else { "s" }
            ),
            theme.style("phase.open"),
        ));
    }
    if state.settings.dry_run {
        spans.push(Span::styled("  DRY RUN ", theme.style("ui.banner.warning")));
    }
    if state.screen == Screen::Start && state.start.as_ref().is_some_and(|f| f.scenario.is_some()) {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(" REHEARSAL ", theme.style("ui.rehearsal")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn footer_hints(state: &State) -> Vec<(String, &'static str)> {
    let k = |c: Cmd| state.keymap.hint(c);
    match (&state.overlay, state.screen) {
        (Some(Overlay::Prompt(_)), _) => vec![("Enter".into(), "save"), ("Esc".into(), "cancel")],
        (Some(Overlay::ConfirmQuit), _)
            if state
                .session
                .as_ref()
                .is_some_and(|s| s.unsaved() > 0 && s.rescue_current().is_none()) =>
        {
            vec![("w".into(), "write a rescue copy"), ("n".into(), "stay")]
        }
        (Some(Overlay::ConfirmQuit), _) => vec![("y".into(), "quit"), ("n".into(), "stay")],
        (Some(Overlay::ConfirmResolve { .. }), _) => {
            vec![("y".into(), "resolve anyway"), ("n".into(), "not yet")]
        }
        (Some(Overlay::ConfirmSecond { .. }), _) => vec![
            ("Enter/r".into(), "resume it"),
            ("n".into(), "start a second"),
            ("Esc".into(), "back"),
        ],
        (Some(Overlay::ConfirmClose { .. }), _) => {
            vec![("y".into(), "close it"), ("n".into(), "keep it open")]
        }
        (Some(Overlay::ConfirmWrapUp { .. }), _) => {
            vec![("y".into(), "yes"), ("n".into(), "leave them")]
        }
        (Some(Overlay::ConfirmRetract), _) => {
            vec![("y".into(), "take it back"), ("n".into(), "keep mitigated")]
        }
        (Some(Overlay::ConfirmTrust { .. }), _) => {
            vec![("y".into(), "trust"), ("n".into(), "keep display-only")]
        }
        (Some(Overlay::Help { .. }), _) => {
            vec![("↑↓".into(), "scroll"), ("any key".into(), "close")]
        }
        (Some(Overlay::Confirm(c)), _) => match c.level {
            crate::runbook::Confirm::Typed => vec![
                ("type the phrase".into(), "then Enter to run"),
                ("Esc".into(), "don't run"),
            ],
            _ => vec![("y".into(), "run it"), ("n".into(), "don't")],
        },
        (Some(Overlay::ShowText { .. }), _) => vec![("any key".into(), "close")],
        (Some(Overlay::SourceDetails { .. }), _) => vec![
            ("↑↓".into(), "scroll"),
            (k(Cmd::PollNow), "poll now"),
            ("any key".into(), "close"),
        ],
        (None, Screen::Picker) if state.picker.filtering => vec![
            ("↑↓".into(), "move"),
            ("Enter".into(), "start / resume"),
            (
                "Esc".into(),
                if state.picker.filter.is_empty() {
                    "keys (q quit, ? help)"
                } else {
                    "clear"
                },
            ),
            ("Ctrl-C".into(), "quit"),
        ],
        (None, Screen::Picker) => vec![
            (k(Cmd::Help), "help"),
            (k(Cmd::Quit), "quit"),
            (format!("{}/{}", k(Cmd::Up), k(Cmd::Down)), "move"),
            (k(Cmd::Select), "start / resume"),
            (k(Cmd::Filter), "filter"),
        ],
        (None, Screen::Start) => vec![
            ("Enter".into(), "start"),
            ("Tab ↑↓".into(), "field"),
            ("←→".into(), "severity"),
            ("Esc".into(), "back"),
        ],
        (None, Screen::Review) => vec![
            (k(Cmd::Help), "help"),
            ("↑↓".into(), "move"),
            ("1-6".into(), "filter"),
            (k(Cmd::ReviewFilter(0)), "all"),
            (k(Cmd::Replay), "replay from here"),
            (k(Cmd::ExportDraft), "postmortem draft"),
            ("Esc".into(), "picker"),
            (k(Cmd::Quit), "quit"),
        ],
        (None, Screen::Incident) if state.review.as_ref().is_some_and(|r| r.replay.is_some()) => {
            vec![
                (
                    format!("{}/{}", k(Cmd::PrevEvent), k(Cmd::NextEvent)),
                    "event",
                ),
                (
                    format!("{}/{}", k(Cmd::JumpBack), k(Cmd::JumpForward)),
                    "∓1 min",
                ),
                (k(Cmd::PlayPause), "play/pause"),
                (format!("{}/{}", k(Cmd::Slower), k(Cmd::Faster)), "speed"),
                (format!("{}/{}", k(Cmd::Top), k(Cmd::Bottom)), "start/end"),
                ("Esc".into(), "back to review"),
            ]
        }
        // Read-only (another Mayday holds it): only keys that change nothing.
        (None, Screen::Incident)
            if state
                .session
                .as_ref()
                .is_some_and(|s| s.read_only.is_some()) =>
        {
            vec![
                (k(Cmd::Help), "help"),
                (k(Cmd::Quit), "quit"),
                (k(Cmd::FocusNext), "pane"),
                ("↑↓".into(), "scroll"),
                (k(Cmd::Copy), "copy"),
            ]
        }
        (None, Screen::Incident) => vec![
            (k(Cmd::Help), "help"),
            (k(Cmd::Quit), "quit"),
            (format!("{}/{}", k(Cmd::NextStep), k(Cmd::PrevStep)), "step"),
            (k(Cmd::Done), "done"),
            (k(Cmd::Skip), "skip"),
            (k(Cmd::Toggle), "tick"),
            ("1-9".into(), "decide"),
            (k(Cmd::Note), "note"),
            (k(Cmd::Mitigate), "mitigated"),
            (k(Cmd::Resolve), "resolve"),
            (k(Cmd::FocusNext), "pane"),
        ],
    }
}

fn draw_footer(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    let mut width = 0usize;
    for (key, what) in footer_hints(state) {
        let piece = format!(" {key} {what} ");
        width += piece.width();
        if width > usize::from(area.width) {
            break;
        }
        spans.push(Span::styled(format!(" {key}"), theme.style("ui.key")));
        spans.push(Span::styled(format!(" {what} "), theme.style("ui.footer")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

// ------------------------------------------------------------------ picker

// ------------------------------------------------------------------ start

// ------------------------------------------------------------------ incident

// ------------------------------------------------------------------ overlays
