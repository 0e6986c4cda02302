//! `view(&State, now, &Theme, &mut Frame)`: draws the state, changes
//! nothing. Time is passed in, so the same state and time always draw the
//! same screen (snapshot tests rely on it). Only what is visible is drawn:
//! the incident log pane touches the last screenful of events, whatever the
//! log's length.

use super::action::{IncidentListing, NoticeLevel};
use super::state::*;
use crate::incident::{Event, EventKind, Phase, StepStatus};
use crate::runbook::{Runbook, Severity, StepKind};
use crate::ui::keymap::Cmd;
use crate::ui::mdview::{self, Selected, StepView};
use crate::ui::theme::Theme;
use crate::util::sanitize;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
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
    match state.screen {
        Screen::Picker => {
            draw_title_bar(state, theme, frame, header);
            draw_picker(state, now, theme, frame, main);
        }
        Screen::Start => {
            draw_title_bar(state, theme, frame, header);
            draw_start(state, theme, frame, main);
        }
        Screen::Incident => match &state.session {
            Some(s) => {
                // A replay shows the incident at the replayed moment.
                let replay = state
                    .review
                    .as_ref()
                    .and_then(|r| r.replay.as_ref().map(|p| (r, p)));
                let now = replay.map_or(now, |(_, p)| p.time);
                draw_incident_header(state, s, now, theme, frame, header);
                match replay {
                    Some((r, p)) => {
                        let [bar, rest] =
                            Layout::vertical([Constraint::Length(1), Constraint::Min(3)])
                                .areas(main);
                        super::review_view::draw_replay_bar(r, p, theme, frame, bar);
                        draw_incident(state, s, now, theme, frame, rest);
                    }
                    None => draw_incident(state, s, now, theme, frame, main),
                }
            }
            None => draw_title_bar(state, theme, frame, header),
        },
        Screen::Review => match &state.review {
            Some(r) => super::review_view::draw_review(state, r, theme, frame, header, main),
            None => draw_title_bar(state, theme, frame, header),
        },
    }
    draw_footer(state, theme, frame, footer);
    match &state.overlay {
        Some(Overlay::Help { scroll }) => draw_help(state, *scroll, theme, frame, area),
        Some(Overlay::ConfirmQuit) => draw_confirm_quit(state, theme, frame, area),
        Some(Overlay::ConfirmClose { id }) => draw_ask(
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
        Some(Overlay::ConfirmRetract) => draw_ask(
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
        Some(Overlay::ConfirmResolve { reasons }) => {
            let mut text = vec!["Resolve now? Not everything says it is fixed:".to_owned()];
            text.extend(reasons.iter().map(|r| format!("· {r}")));
            draw_ask(
                " Resolve? ",
                &text,
                &[("y", "resolve anyway"), ("n", "not yet")],
                theme,
                frame,
                area,
            );
        }
        Some(Overlay::ConfirmSecond { runbook, open_id }) => draw_ask(
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
        Some(Overlay::ConfirmTrust { path, hash }) => {
            draw_confirm_trust(state, path, hash, theme, frame, area)
        }
        Some(Overlay::Confirm(c)) => draw_confirm_command(c, theme, frame, area),
        Some(Overlay::ShowText { title, text }) => draw_show_text(title, text, theme, frame, area),
        Some(Overlay::SourceDetails { index, scroll }) => {
            draw_source_details(state, *index, *scroll, now, theme, frame, area)
        }
        Some(Overlay::Prompt(p)) => draw_prompt(p, theme, frame, area),
        None => {}
    }
}

pub(super) fn s(text: &str) -> String {
    sanitize::line(text).into_owned()
}

pub(super) fn block<'a>(theme: &Theme, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(theme.style(if focused {
            "ui.border.focused"
        } else {
            "ui.border"
        }))
        .title(title)
        .title_style(theme.style(if focused {
            "ui.border.focused"
        } else {
            "ui.title"
        }))
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
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

fn severity_span(sev: Option<Severity>, theme: &Theme) -> Span<'static> {
    match sev {
        Some(sev) => Span::styled(
            format!("{} ", sev.sev()),
            theme.style(&format!("severity.{}", sev.as_str())),
        ),
        None => Span::styled("     ", theme.style("ui.muted")),
    }
}

fn highlighted(
    text: &str,
    offset: usize,
    indices: Option<&Vec<u32>>,
    base: Style,
    hl: Style,
) -> Vec<Span<'static>> {
    let Some(idx) = indices else {
        return vec![Span::styled(s(text), base)];
    };
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            let hit = u32::try_from(i + offset).is_ok_and(|i| idx.binary_search(&i).is_ok());
            Span::styled(
                sanitize::line(&c.to_string()).into_owned(),
                if hit { base.patch(hl) } else { base },
            )
        })
        .collect()
}

fn draw_picker(state: &State, now: Timestamp, theme: &Theme, frame: &mut Frame, area: Rect) {
    let list_w = (area.width * 45 / 100).clamp(30.min(area.width), 60);
    let [left, right] =
        Layout::horizontal([Constraint::Length(list_w), Constraint::Min(10)]).areas(area);
    let focused = state.overlay.is_none();
    let title = if !state.picker.filter.is_empty() {
        format!(
            " Runbooks ({} of {}) ",
            state.picker.items.len(),
            state.library.runbooks.len()
                + state.incidents.len()
                + state.firing.len()
                + state.gamedays.len()
                + state.past.len()
        )
    } else {
        " Runbooks ".to_owned()
    };
    let b = block(theme, title, focused);
    let inner = b.inner(left);
    frame.render_widget(b, left);
    let [filter_area, list_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let filter_text = state.picker.filter.text();
    let filter_line = if state.picker.filtering && filter_text.is_empty() {
        Line::from(vec![
            Span::styled("/ ", theme.style("ui.key")),
            Span::styled("▏", theme.style("ui.key")),
            Span::styled(
                "type to filter: title, id, tags, services, alerts",
                theme.style("ui.muted"),
            ),
        ])
    } else if state.picker.filtering {
        Line::from(vec![
            Span::styled("/ ", theme.style("ui.key")),
            Span::styled(s(&filter_text), theme.style("ui.header")),
            Span::styled("▏", theme.style("ui.key")),
        ])
    } else if filter_text.is_empty() {
        Line::from(vec![Span::styled(
            format!(
                "{} filter: title, id, tags, services, alerts",
                state.keymap.hint(Cmd::Filter)
            ),
            theme.style("ui.muted"),
        )])
    } else {
        Line::from(vec![
            Span::styled("/ ", theme.style("ui.muted")),
            Span::styled(s(&filter_text), theme.style("ui.muted")),
        ])
    };
    frame.render_widget(Paragraph::new(filter_line), filter_area);

    let height = usize::from(list_area.height);
    let sel = state.picker.selected;
    let start = sel.saturating_sub(height.saturating_sub(1));
    let mut lines = Vec::new();
    for (row, item) in state
        .picker
        .items
        .iter()
        .enumerate()
        .skip(start)
        .take(height)
    {
        let selected = row == sel;
        let base = if selected {
            theme.style("ui.selected")
        } else {
            Style::default()
        };
        let mut spans = vec![Span::styled(
            if selected { "▸ " } else { "  " },
            base.patch(theme.style("ui.key")),
        )];
        match *item {
            PickItem::Resume(i) => {
                if let Some(inc) = state.incidents.get(i) {
                    incident_row(&mut spans, "⟳ resume ", "phase.open", inc, now, base, theme);
                }
            }
            PickItem::Runbook(i) => {
                if let Some(rb) = state.library.runbooks.get(i) {
                    spans.push(severity_span(rb.severity, theme).patch_style(base));
                    spans.extend(highlighted(
                        &rb.title,
                        0,
                        state.picker.highlights.get(&i),
                        base,
                        theme.style("ui.match"),
                    ));
                }
            }
            PickItem::Gameday(i) => {
                if let Some(g) = state.gamedays.get(i) {
                    spans.push(Span::styled(
                        "▶ rehearse ",
                        base.patch(theme.style("ui.rehearsal")),
                    ));
                    spans.push(Span::styled(
                        s(&g.title),
                        base.patch(theme.style("ui.header")),
                    ));
                }
            }
            PickItem::Review(i) => {
                if let Some(inc) = state.past.get(i) {
                    incident_row(
                        &mut spans,
                        "✔ review ",
                        "phase.resolved",
                        inc,
                        now,
                        base,
                        theme,
                    );
                }
            }
            PickItem::Firing(i, f) => {
                if let (Some(rb), Some(fire)) = (state.library.runbooks.get(i), state.firing.get(f))
                {
                    spans.push(Span::styled(
                        "✖ firing ",
                        base.patch(theme.style("status.down")),
                    ));
                    spans.push(Span::styled(
                        s(&rb.title),
                        base.patch(theme.style("ui.header")),
                    ));
                    spans.push(Span::styled(
                        format!("  {}", s(&fire.alertname)),
                        base.patch(theme.style("ui.muted")),
                    ));
                }
            }
        }
        let mut line = Line::from(spans);
        if selected {
            line = line.style(base);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(Line::styled("  nothing matches", theme.style("ui.muted")));
    }
    frame.render_widget(Paragraph::new(lines), list_area);

    let preview_block = block(theme, " Preview ", false);
    let pinner = preview_block.inner(right);
    frame.render_widget(preview_block, right);
    let Some(item) = state.picker.items.get(sel).copied() else {
        return;
    };
    let text = match item {
        PickItem::Runbook(i) => state
            .library
            .runbooks
            .get(i)
            .map(|rb| runbook_preview(rb, theme, pinner.width)),
        PickItem::Firing(i, f) => state.library.runbooks.get(i).map(|rb| {
            let mut t = runbook_preview(rb, theme, pinner.width);
            if let Some(fire) = state.firing.get(f) {
                t.lines.insert(
                    0,
                    Line::styled(
                        format!(
                            "FIRING NOW: {} (from {})",
                            s(&fire.alertname),
                            s(&fire.source)
                        ),
                        theme.style("status.down"),
                    ),
                );
            }
            t
        }),
        PickItem::Resume(i) => state
            .incidents
            .get(i)
            .map(|inc| incident_preview(state, inc, now, theme, pinner.width)),
        PickItem::Review(i) => state
            .past
            .get(i)
            .map(|inc| incident_preview(state, inc, now, theme, pinner.width)),
        PickItem::Gameday(i) => state
            .gamedays
            .get(i)
            .map(|g| gameday_preview(state, g, theme, pinner.width)),
    };
    if let Some(text) = text {
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), pinner);
    }
}

/// A picker row for an incident: what Enter does, its title, its age.
fn incident_row(
    spans: &mut Vec<Span<'static>>,
    label: &'static str,
    scope: &str,
    inc: &IncidentListing,
    now: Timestamp,
    base: Style,
    theme: &Theme,
) {
    spans.push(Span::styled(label, base.patch(theme.style(scope))));
    spans.push(Span::styled(
        s(&inc.title),
        base.patch(theme.style("ui.header")),
    ));
    let age = crate::util::duration::short((now - inc.started_at).as_secs());
    spans.push(Span::styled(
        format!(
            "  {age} ago{}",
            if inc.rehearsal { " · rehearsal" } else { "" }
        ),
        base.patch(theme.style("ui.muted")),
    ));
}

fn gameday_preview(
    state: &State,
    g: &crate::gameday::Scenario,
    theme: &Theme,
    width: u16,
) -> Text<'static> {
    let mut t = Text::default();
    t.lines.push(Line::from(vec![
        Span::styled(" GAME DAY ", theme.style("ui.rehearsal")),
        Span::styled(format!(" {}", s(&g.title)), theme.style("ui.title")),
    ]));
    t.lines.push(Line::default());
    // Paragraphs of the description, re-wrapped to the pane.
    for para in g.description.split("\n\n") {
        let joined = para.split_whitespace().collect::<Vec<_>>().join(" ");
        if !joined.is_empty() {
            t.lines.push(Line::raw(s(&joined)));
        }
    }
    t.lines.push(Line::default());
    t.lines.push(kv("runbook", s(&g.runbook), theme));
    let sources: Vec<String> = g
        .sources
        .iter()
        .map(|src| format!("{} {}", s(&src.name), src.state))
        .collect();
    t.lines.push(kv("sources", sources.join(", "), theme));
    t.lines.push(kv(
        "script",
        format!("{} scripted change(s) and surprise(s)", g.script.len()),
        theme,
    ));
    let targets: Vec<String> = [
        ("diagnose", g.targets.diagnose),
        ("mitigate", g.targets.mitigate),
        ("resolve", g.targets.resolve),
    ]
    .iter()
    .filter_map(|(what, d)| d.map(|d| format!("{what} ≤ {}", crate::util::duration::format(d))))
    .collect();
    if !targets.is_empty() {
        t.lines.push(kv("targets", targets.join(", "), theme));
    }
    t.lines.push(Line::default());
    t.lines.push(Line::styled(
        "A rehearsal: the status panel is simulated, every command is a dry run, and the log is marked rehearsal.",
        theme.style("ui.muted"),
    ));
    t.lines.push(Line::styled(
        format!("Press {} to start.", state.keymap.hint(Cmd::Select)),
        theme.style("ui.key"),
    ));
    let _ = width;
    t
}

pub(super) fn kv<'a>(key: &str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{key}: "), theme.style("ui.muted")),
        Span::styled(value, theme.style("ui")),
    ])
}

fn runbook_preview(rb: &Runbook, theme: &Theme, width: u16) -> Text<'static> {
    let mut lines = vec![Line::styled(s(&rb.title), theme.style("ui.title"))];
    let mut meta = vec![
        severity_span(rb.severity, theme),
        Span::styled(s(&rb.id), theme.style("ui.muted")),
    ];
    if let Some(o) = &rb.owner {
        meta.push(Span::styled(
            format!(" · owner {}", s(o)),
            theme.style("ui.muted"),
        ));
    }
    lines.push(Line::from(meta));
    lines.push(Line::default());
    if let Some(sum) = &rb.summary {
        let md = mdview::render(sum, width, &StepView::default(), &theme.md_styles());
        lines.extend(md);
        lines.push(Line::default());
    }
    for (k, v) in [
        ("alerts", &rb.alerts),
        ("services", &rb.services),
        ("tags", &rb.tags),
    ] {
        if !v.is_empty() {
            lines.push(kv(
                k,
                v.iter().map(|x| s(x)).collect::<Vec<_>>().join(", "),
                theme,
            ));
        }
    }
    if !rb.variables.is_empty() {
        lines.push(kv(
            "asks for",
            rb.variables
                .iter()
                .map(|v| s(&v.name))
                .collect::<Vec<_>>()
                .join(", "),
            theme,
        ));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        format!("{} steps", rb.steps.len()),
        theme.style("ui.header"),
    ));
    for (i, step) in rb.steps.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>2}. ", i + 1), theme.style("ui.muted")),
            kind_span(step.kind, theme, true),
            Span::styled(s(&step.title), theme.style("ui")),
        ]));
    }
    Text::from(lines)
}

fn incident_preview(
    state: &State,
    inc: &IncidentListing,
    now: Timestamp,
    theme: &Theme,
    _width: u16,
) -> Text<'static> {
    let mut lines = vec![
        Line::styled(
            format!(
                "{}: {}",
                if inc.state == crate::incident::Phase::Resolved {
                    "Review"
                } else {
                    "Resume"
                },
                s(&inc.title)
            ),
            theme.style("ui.title"),
        ),
        Line::default(),
        kv("incident", s(&inc.id), theme),
        kv("state", inc.state.as_str().to_uppercase(), theme),
        kv(
            "started",
            format!(
                "{} ({} ago)",
                abs_time(state, inc.started_at),
                crate::util::duration::short((now - inc.started_at).as_secs())
            ),
            theme,
        ),
        kv("events", inc.events.to_string(), theme),
        kv("runbook", s(&inc.runbook_id), theme),
    ];
    if inc.rehearsal {
        lines.push(Line::styled(
            "rehearsal (game day)",
            theme.style("ui.rehearsal"),
        ));
    }
    if let Some(p) = &inc.problem {
        lines.push(Line::styled(
            format!("problem: {}", s(p)),
            theme.style("log.error"),
        ));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "Enter resumes where the log left off.",
        theme.style("ui.muted"),
    ));
    Text::from(lines)
}

pub(super) fn abs_time(state: &State, at: Timestamp) -> String {
    at.to_zoned_datetime(state.tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn kind_span(kind: StepKind, theme: &Theme, wide: bool) -> Span<'static> {
    let label = if wide {
        format!("{:<12}", kind.as_str())
    } else {
        let short = match kind {
            StepKind::Info => "info",
            StepKind::Diagnose => "diag",
            StepKind::Mitigate => "miti",
            StepKind::Rollback => "roll",
            StepKind::Verify => "veri",
            StepKind::Communicate => "comm",
        };
        format!("{short} ")
    };
    Span::styled(label, theme.style(&format!("kind.{}", kind.as_str())))
}

// ------------------------------------------------------------------ start

fn draw_start(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(form) = &state.start else { return };
    let h = (form.fields.len() as u16 * 3 + 7).min(area.height);
    let box_area = centered(area, 76.max(area.width * 6 / 10).min(area.width), h);
    let b = block(
        theme,
        format!(" Start an incident: {} ", s(&form.runbook.title)),
        true,
    );
    let inner = b.inner(box_area);
    frame.render_widget(b, box_area);
    let mut lines = vec![
        Line::styled(
            "Defaults are filled in. Enter starts the incident now;",
            theme.style("ui.muted"),
        ),
        Line::styled(
            "Tab or ↑↓ moves to a field to change it first. Esc goes back.",
            theme.style("ui.muted"),
        ),
        Line::default(),
    ];
    let mut cursor: Option<(usize, usize)> = None;
    let mut focus_line = 0;
    for (i, f) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        if focused {
            focus_line = lines.len();
        }
        let required = matches!(f.kind, FieldKind::Variable { required: true, .. });
        lines.push(Line::from(vec![
            Span::styled(if focused { "▸ " } else { "  " }, theme.style("ui.key")),
            Span::styled(
                s(&f.label),
                theme.style(if focused { "ui.header" } else { "ui" }),
            ),
            Span::styled(
                if required { " (required)" } else { "" },
                theme.style("ui.muted"),
            ),
        ]));
        let value_style = if focused {
            theme.style("ui.selected")
        } else {
            theme.style("ui")
        };
        let mut spans = vec![Span::raw("    ")];
        match f.kind {
            FieldKind::Severity => {
                spans.push(Span::styled("◀ ", theme.style("ui.key")));
                spans.push(Span::styled(
                    format!("{} ({})", form.severity.as_str(), form.severity.sev()),
                    value_style.patch(theme.style(&format!("severity.{}", form.severity.as_str()))),
                ));
                spans.push(Span::styled(" ▶", theme.style("ui.key")));
                if focused {
                    spans.push(Span::styled(
                        "  ←→ or 1–4 to change",
                        theme.style("ui.muted"),
                    ));
                }
            }
            _ => {
                let text = s(&f.input.text());
                if focused {
                    let col = f.input.area.cursor().1;
                    cursor = Some((4 + col, lines.len()));
                }
                spans.push(Span::styled(format!("{text} "), value_style));
            }
        }
        lines.push(Line::from(spans));
        lines.push(Line::default());
    }
    if let Some(e) = &form.error {
        lines.push(Line::styled(
            format!("✗ {}", s(e)),
            theme.style("log.error"),
        ));
    }
    // Keep the focused field in view when the form is taller than the box;
    // the error stays at the bottom.
    let height = usize::from(inner.height);
    let error = form.error.as_ref().map(|_| lines.len() - 1);
    let scroll =
        (focus_line + 3).saturating_sub(height.saturating_sub(usize::from(error.is_some())));
    let mut visible: Vec<Line> = lines.iter().skip(scroll).take(height).cloned().collect();
    if let (Some(e), true) = (error, scroll > 0 || lines.len() > height) {
        visible.truncate(height.saturating_sub(1));
        visible.push(lines[e].clone());
    }
    frame.render_widget(Paragraph::new(visible), inner);
    if let Some((x, y)) = cursor
        && y >= scroll
        && y - scroll < height
    {
        let (x, y) = (
            inner.x + u16::try_from(x).unwrap_or(u16::MAX),
            inner.y + u16::try_from(y - scroll).unwrap_or(0),
        );
        if x < inner.right() {
            frame.set_cursor_position((x, y));
        }
    }
}

// ------------------------------------------------------------------ incident

fn draw_incident_header(
    state: &State,
    s_: &Session,
    now: Timestamp,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let inc = &s_.incident;
    let end = inc.resolved_at.unwrap_or(now);
    let elapsed = (end - inc.started_at).as_secs().max(0);
    let narrow = area.width < 110;
    let mut left = vec![];
    if inc.rehearsal {
        left.push(Span::styled(" REHEARSAL ", theme.style("ui.rehearsal")));
    } else {
        left.push(Span::styled(
            " MAYDAY ",
            theme.style("ui.title").add_modifier(Modifier::REVERSED),
        ));
    }
    left.push(Span::styled(
        format!(" T+{} ", crate::util::duration::clock(elapsed)),
        theme.style("ui.clock"),
    ));
    left.push(Span::styled(
        if narrow {
            format!(" {} ", inc.severity.sev())
        } else {
            format!(" {} {} ", inc.severity.sev(), inc.severity.as_str())
        },
        theme.style(&format!("severity.{}", inc.severity.as_str())),
    ));
    let (icon, phase_scope) = match inc.phase {
        Phase::Open => ("●", "phase.open"),
        Phase::Mitigated => ("◐", "phase.mitigated"),
        Phase::Resolved => ("✔", "phase.resolved"),
    };
    let mut right = vec![Span::styled(
        format!(" {icon} {} ", inc.phase.as_str().to_uppercase()),
        theme.style(phase_scope),
    )];
    if inc.is_open() {
        let due = s_.update_due(state.settings.update_every(inc.severity));
        let left_secs = (due - now).as_secs();
        let label = if narrow {
            "update in"
        } else {
            "status update due in"
        };
        if left_secs >= 0 {
            right.push(Span::styled(
                format!(" {label} {} ", crate::util::duration::countdown(left_secs)),
                theme.style("ui.muted"),
            ));
        } else {
            right.push(Span::styled(
                format!(
                    " update OVERDUE {} ",
                    crate::util::duration::countdown(-left_secs)
                ),
                theme.style("ui.banner.warning"),
            ));
        }
    }
    if state.settings.dry_run || inc.dry_run {
        right.push(Span::styled(" DRY RUN ", theme.style("ui.banner.warning")));
    }
    // Always shown, even when nothing can run anyway (dry runs, game days).
    if !s_.trusted {
        right.push(Span::styled(
            " UNTRUSTED ",
            theme.style("ui.banner.warning"),
        ));
    }
    if !s_.all_saved() {
        right.push(Span::styled(" saving… ", theme.style("log.pending")));
    }
    // The title gets whatever room is left.
    let used: usize = left.iter().chain(&right).map(|sp| sp.content.width()).sum();
    let room = usize::from(area.width).saturating_sub(used + 2);
    let title = s(&inc.runbook_title);
    let title = if title.width() > room {
        let mut t: String = String::new();
        for c in title.chars() {
            if t.width() + 2 > room {
                break;
            }
            t.push(c);
        }
        if room > 1 {
            format!("{t}…")
        } else {
            String::new()
        }
    } else {
        title
    };
    left.push(Span::styled(format!(" {title} "), theme.style("ui.header")));
    left.extend(right);
    frame.render_widget(Paragraph::new(Line::from(left)), area);
}

fn draw_incident(
    state: &State,
    s_: &Session,
    now: Timestamp,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let log_h = if area.height >= 40 {
        14
    } else if area.height >= 28 {
        9
    } else {
        (area.height / 4).max(5)
    };
    let [top, log_area] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(log_h)]).areas(area);
    let wide = area.width >= 120;
    let very_wide = area.width >= 160;
    let steps_w = if very_wide {
        40
    } else if wide {
        32
    } else {
        28.min(area.width / 3)
    };
    let status_w = if very_wide { 48 } else { 34 };
    let (steps_area, content_area, status_area) = if wide {
        let [a, b, c] = Layout::horizontal([
            Constraint::Length(steps_w),
            Constraint::Min(40),
            Constraint::Length(status_w),
        ])
        .areas(top);
        (a, b, c)
    } else {
        let [left, b] =
            Layout::horizontal([Constraint::Length(steps_w), Constraint::Min(20)]).areas(top);
        let wanted = u16::try_from(state.board().sources.len().max(1))
            .unwrap_or(u16::MAX)
            .saturating_add(2);
        let status_h = wanted.max(3).min(left.height / 2);
        let [a, c] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(status_h)]).areas(left);
        (a, b, c)
    };
    draw_steps(s_, theme, frame, steps_area, very_wide);
    let content_area = match &s_.run {
        Some(_) if content_area.height >= 12 => {
            let out_h = (content_area.height * 2 / 5).max(6);
            let [c, o] = Layout::vertical([Constraint::Min(5), Constraint::Length(out_h)])
                .areas(content_area);
            draw_output(state, s_, now, theme, frame, o);
            c
        }
        _ => content_area,
    };
    draw_content(state, s_, now, theme, frame, content_area);
    draw_status(state, s_, now, theme, frame, status_area);
    draw_log(state, s_, theme, frame, log_area);
}

fn step_icon(status: StepStatus) -> (&'static str, &'static str) {
    match status {
        StepStatus::Done => ("✔", "step.done"),
        StepStatus::Skipped => ("↷", "step.skipped"),
        StepStatus::Current => ("▶", "step.current"),
        StepStatus::Pending => ("·", "step.pending"),
    }
}

fn draw_steps(s_: &Session, theme: &Theme, frame: &mut Frame, area: Rect, wide: bool) {
    let done = s_
        .runbook
        .steps
        .iter()
        .filter(|st| {
            matches!(
                s_.incident.status(&st.id),
                StepStatus::Done | StepStatus::Skipped
            )
        })
        .count();
    let focused = s_.focus == Pane::Steps;
    let b = block(
        theme,
        format!(" Steps {done}/{} ", s_.runbook.steps.len()),
        focused,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let current = s_.current_index();
    let h = usize::from(inner.height);
    let anchor = if focused { s_.list_selected } else { current };
    let start = anchor
        .saturating_sub(h.saturating_sub(1) / 2)
        .min(s_.runbook.steps.len().saturating_sub(h));
    let mut lines = Vec::new();
    for (i, step) in s_.runbook.steps.iter().enumerate().skip(start).take(h) {
        let mut status = s_.incident.status(&step.id);
        if i == current && status == StepStatus::Pending {
            status = StepStatus::Current;
        }
        let (icon, scope) = step_icon(status);
        let is_current = i == current;
        let mut base = theme.style(scope);
        if focused && i == s_.list_selected {
            base = base.patch(theme.style("ui.selected"));
        }
        let mut spans = vec![
            Span::styled(format!("{icon}{:>2} ", i + 1), base),
            kind_span(step.kind, theme, wide).patch_style(if focused && i == s_.list_selected {
                theme.style("ui.selected")
            } else {
                Style::default()
            }),
        ];
        let title_style = if is_current {
            base.add_modifier(Modifier::BOLD)
        } else {
            base
        };
        spans.push(Span::styled(s(&step.title), title_style));
        lines.push(Line::from(spans));
    }
    if s_.runbook.steps.is_empty() {
        lines.push(Line::styled(
            "this runbook has no steps",
            theme.style("ui.muted"),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Where a verify condition stands: met (and when), or what the source says.
fn verify_show(
    state: &State,
    met_at: Option<&Timestamp>,
    cond: &crate::runbook::VerifyCondition,
    now: Timestamp,
) -> mdview::VerifyShow {
    if let Some(at) = met_at {
        return mdview::VerifyShow {
            met: Some(true),
            note: format!(
                "met at {}",
                at.to_zoned_datetime(state.tz.clone()).strftime("%H:%M:%S")
            ),
        };
    }
    match state.board().get(&cond.source) {
        None => mdview::VerifyShow {
            met: None,
            note: format!("no status source `{}` configured", cond.source),
        },
        Some(v) if v.snapshot.state == cond.state => {
            let held = (now - v.since).as_secs().max(0);
            mdview::VerifyShow {
                met: Some(false),
                note: format!(
                    "{} for {} of {}",
                    cond.state,
                    crate::util::duration::short(held),
                    crate::util::duration::format(cond.for_)
                ),
            }
        }
        Some(v) => mdview::VerifyShow {
            met: Some(false),
            note: format!("{} is {}", cond.source, v.snapshot.state),
        },
    }
}

/// The labels for a step's waits: "press w to start", "04:12 left", "done".
fn wait_labels(
    state: &State,
    s_: &Session,
    step_id: &str,
    count: usize,
    now: Timestamp,
) -> Vec<String> {
    let progress = s_.incident.progress(step_id);
    (0..count)
        .map(|i| match progress.and_then(|p| p.waits.get(&i)) {
            None => format!("press {} to start", state.keymap.hint(Cmd::StartWait)),
            Some(w) if w.finished => "done".to_owned(),
            Some(w) => {
                let left = i64::try_from(w.seconds).unwrap_or(0) - (now - w.started).as_secs();
                format!("{} left", crate::util::duration::countdown(left.max(0)))
            }
        })
        .collect()
}

fn draw_content(
    state: &State,
    s_: &Session,
    now: Timestamp,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let focused = s_.focus == Pane::Content;
    let idx = s_.current_index();
    let Some(step) = s_.runbook.steps.get(idx) else {
        let b = block(theme, " Runbook ", focused);
        let inner = b.inner(area);
        frame.render_widget(b, area);
        let md = mdview::render(
            &s_.runbook.intro,
            inner.width,
            &StepView::default(),
            &theme.md_styles(),
        );
        frame.render_widget(Paragraph::new(md), inner);
        return;
    };
    let title = Line::from(vec![
        Span::styled(
            format!(" Step {}/{} · ", idx + 1, s_.runbook.steps.len()),
            theme.style("ui.title"),
        ),
        Span::styled(
            format!("{} ", step.kind.as_str()),
            theme.style(&format!("kind.{}", step.kind.as_str())),
        ),
    ]);
    let b = block(theme, title, focused);
    let inner = b.inner(area);
    frame.render_widget(b, area);

    let progress = s_.incident.progress(&step.id);
    let checked: Vec<bool> = (0..step.checklist.len())
        .map(|i| {
            progress
                .and_then(|p| p.checked.get(&i).copied())
                .unwrap_or_else(|| step.checklist[i].checked)
        })
        .collect();
    let decisions: Vec<Option<usize>> = (0..step.decisions.len())
        .map(|d| progress.and_then(|p| p.decisions.get(&d).copied()))
        .collect();
    let verify: Vec<mdview::VerifyShow> = step
        .verify
        .iter()
        .enumerate()
        .map(|(i, cond)| verify_show(state, progress.and_then(|p| p.verified.get(&i)), cond, now))
        .collect();
    let waits = wait_labels(state, s_, &step.id, step.waits.len(), now);
    let selected = match s_.selected_item() {
        Some(Selectable::Checklist(i)) if focused => Some(Selected::Checklist(i)),
        Some(Selectable::Command(i)) if focused => Some(Selected::Command(i)),
        _ => None,
    };
    let view = StepView {
        vars: Some(&s_.incident.variables),
        commands: &step.commands,
        checked: Some(&checked),
        selected,
        verify: &verify,
        waits: &waits,
        decisions: &decisions,
        untrusted: !s_.trusted,
    };
    let mut lines = Vec::new();
    // The runbook's intro (prerequisites, "kubectl points at production")
    // comes before the first step, where the responder starts reading.
    if idx == 0 && !s_.runbook.intro.trim().is_empty() {
        lines.push(Line::styled(
            "Before you start",
            theme
                .style("md.heading")
                .remove_modifier(Modifier::UNDERLINED),
        ));
        lines.extend(mdview::render(
            &s_.runbook.intro,
            inner.width.saturating_sub(1),
            &StepView {
                vars: Some(&s_.incident.variables),
                ..StepView::default()
            },
            &theme.md_styles(),
        ));
        lines.push(Line::styled(
            "─".repeat(usize::from(inner.width.saturating_sub(1))),
            theme.style("ui.muted"),
        ));
    }
    lines.push(Line::styled(
        s(&step.title),
        theme
            .style("md.heading")
            .remove_modifier(Modifier::UNDERLINED),
    ));
    match s_.incident.status(&step.id) {
        StepStatus::Done => lines.push(Line::styled("✔ done", theme.style("step.done"))),
        StepStatus::Skipped => {
            let why = progress
                .and_then(|p| p.skip_reason.as_deref())
                .unwrap_or("");
            lines.push(Line::styled(
                format!("↷ skipped: {}", s(why)),
                theme.style("step.skipped"),
            ));
        }
        _ => {}
    }
    lines.push(Line::default());
    let body = mdview::render(
        &step.body,
        inner.width.saturating_sub(1),
        &view,
        &theme.md_styles(),
    );
    let selected_line = selected.and_then(|_| {
        body.iter().position(|l| {
            l.spans
                .first()
                .is_some_and(|sp| sp.content.starts_with('▸'))
                || l.spans.iter().take(3).any(|sp| sp.content == "▸ ")
        })
    });
    let header_len = lines.len();
    lines.extend(body);
    // Pinned at the foot while the step is current: the choices still to
    // take and the running waits, so `1`–`9` is never pressed blind.
    let mut pinned: Vec<Line> = Vec::new();
    if s_.incident.status(&step.id) != StepStatus::Done {
        for (d, dec) in step.decisions.iter().enumerate() {
            if decisions.get(d).copied().flatten().is_some() {
                continue;
            }
            pinned.push(Line::styled(
                format!(
                    "? {}",
                    s(&crate::runbook::template::substitute(
                        &dec.question,
                        &s_.incident.variables
                    ))
                ),
                theme.style("ui.header"),
            ));
            for (c, choice) in dec.choices.iter().enumerate().take(9) {
                pinned.push(Line::from(vec![
                    Span::styled(format!(" {} ", c + 1), theme.style("ui.key")),
                    Span::styled(format!(" {}", s(&choice.label)), theme.style("ui")),
                ]));
            }
        }
        for (w, label) in waits.iter().enumerate() {
            if label.ends_with(" left") {
                pinned.push(Line::styled(
                    format!("⏳ wait {}: {label}", w + 1),
                    theme.style("ui.banner.info"),
                ));
            }
        }
    }
    let total_h = usize::from(inner.height);
    // Keep at least a few lines for the step itself.
    let pin_h = if pinned.is_empty() {
        0
    } else {
        (pinned.len() + 1).min(total_h.saturating_sub(4))
    };
    let h = total_h - pin_h;
    let max_scroll = lines.len().saturating_sub(h);
    let follow = match selected_line {
        Some(l) => {
            let l = l + header_len;
            if l + 2 > h { l + 3 - h } else { 0 }
        }
        None => 0,
    };
    // The selection keeps itself in view; the responder can scroll further
    // (past the last command, to a question or a verify line below it).
    let scroll = follow.max(usize::from(s_.content_scroll)).min(max_scroll);
    let mut visible: Vec<Line> = lines.into_iter().skip(scroll).take(h).collect();
    if scroll < max_scroll
        && let Some(last) = visible.last_mut()
    {
        *last = Line::styled(
            format!(
                "↓ {} more line(s): scroll with ↓ / PgDn",
                max_scroll - scroll
            ),
            theme.style("ui.muted"),
        );
    }
    let mut body_area = inner;
    body_area.height = h as u16;
    frame.render_widget(Paragraph::new(visible), body_area);
    if pin_h > 0 {
        let pin_area = Rect {
            x: inner.x,
            y: inner.y + h as u16,
            width: inner.width,
            height: pin_h as u16,
        };
        let mut shown = vec![Line::styled(
            "─".repeat(usize::from(inner.width)),
            theme.style("ui.muted"),
        )];
        shown.extend(pinned.into_iter().take(pin_h - 1));
        frame.render_widget(Paragraph::new(shown), pin_area);
    }
}

fn health_scope(h: crate::status::health::Health) -> &'static str {
    match h {
        crate::status::health::Health::Up => "status.up",
        crate::status::health::Health::Degraded => "status.degraded",
        crate::status::health::Health::Down => "status.down",
        crate::status::health::Health::Unknown => "status.unknown",
    }
}

/// A latency sparkline from unicode blocks.
fn sparkline(values: &std::collections::VecDeque<u64>, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let take = values.len().min(width);
    let slice: Vec<u64> = values.iter().skip(values.len() - take).copied().collect();
    let max = slice.iter().copied().max().unwrap_or(0).max(1);
    slice
        .iter()
        .map(|v| BARS[usize::try_from(v * 7 / max).unwrap_or(7).min(7)])
        .collect()
}

fn draw_status(
    state: &State,
    s_: &Session,
    now: Timestamp,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    if area.height < 2 {
        return;
    }
    let focused = s_.focus == Pane::Status;
    let board = state.board();
    let worst = board
        .sources
        .iter()
        .fold(crate::status::health::Health::Up, |w, v| {
            w.worst(v.snapshot.state)
        });
    let title = if board.sources.is_empty() {
        " Status ".to_owned()
    } else {
        format!(" Status · {} {} ", worst.icon(), worst)
    };
    let b = block(theme, title, focused);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if board.sources.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "no sources configured",
                theme.style("ui.muted"),
            ))
            .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    let h = usize::from(inner.height);
    let start = board
        .selected
        .saturating_sub(h.saturating_sub(1))
        .min(board.sources.len().saturating_sub(h));
    let mut lines = Vec::new();
    for (i, v) in board.sources.iter().enumerate().skip(start).take(h) {
        let snap = &v.snapshot;
        let selected = focused && i == board.selected;
        let base = if selected {
            theme.style("ui.selected")
        } else {
            Style::default()
        };
        let state_style = theme.style(health_scope(snap.state)).patch(base);
        let age = crate::util::duration::short((now - snap.checked_at).as_secs());
        let mut spans = vec![
            Span::styled(format!("{} ", snap.state.icon()), state_style),
            Span::styled(
                if width >= 40 {
                    format!("{:<8} ", snap.state.as_str())
                } else {
                    format!("{} ", snap.state.as_str())
                },
                state_style,
            ),
            Span::styled(s(&snap.name), theme.style("ui.header").patch(base)),
        ];
        let mut used: usize = spans.iter().map(|sp| sp.content.width()).sum();
        let age_text = if snap.stale {
            format!(" {age} stale")
        } else {
            format!(" {age}")
        };
        let room = width.saturating_sub(used + age_text.width() + 1);
        if room > 4 && !snap.summary.is_empty() {
            let mut summary = format!(" {}", s(&snap.summary));
            if summary.width() > room {
                summary = summary
                    .chars()
                    .take(room.saturating_sub(1))
                    .collect::<String>()
                    + "…";
            }
            used += summary.width();
            spans.push(Span::styled(summary, theme.style("ui").patch(base)));
        }
        spans.push(Span::styled(
            age_text.clone(),
            theme
                .style(if snap.stale {
                    "status.stale"
                } else {
                    "ui.muted"
                })
                .patch(base),
        ));
        used += age_text.width();
        let spark_room = width.saturating_sub(used + 1);
        if spark_room >= 6 && !v.latencies.is_empty() {
            spans.push(Span::styled(
                format!(" {}", sparkline(&v.latencies, spark_room.min(20))),
                theme.style("ui.muted").patch(base),
            ));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_source_details(
    state: &State,
    index: usize,
    scroll: u16,
    now: Timestamp,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let Some(v) = state.board().sources.get(index) else {
        return;
    };
    let snap = &v.snapshot;
    let w = (area.width * 9 / 10).clamp(40.min(area.width), 120);
    let r = centered(area, w, area.height.saturating_sub(2).max(6));
    frame.render_widget(Clear, r);
    let title = format!(
        " {} · {} · {} {} ",
        s(&snap.name),
        snap.kind.as_str(),
        snap.state.icon(),
        snap.state.as_str().to_uppercase()
    );
    let b = block(theme, title, true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let mut lines = vec![
        kv("summary", s(&snap.summary), theme),
        kv(
            "checked",
            format!(
                "{} ({} ago){}",
                abs_time(state, snap.checked_at),
                crate::util::duration::short((now - snap.checked_at).as_secs()),
                if snap.stale {
                    " — stale: showing the last good data"
                } else {
                    ""
                }
            ),
            theme,
        ),
        kv(
            "in this state for",
            crate::util::duration::short((now - v.since).as_secs()),
            theme,
        ),
    ];
    if let Some(ms) = snap.latency_ms {
        lines.push(kv("latency", format!("{ms} ms"), theme));
    }
    if let Some(e) = &snap.error {
        lines.push(Line::from(vec![
            Span::styled("error: ", theme.style("ui.muted")),
            Span::styled(s(e), theme.style("log.error")),
        ]));
    }
    lines.push(Line::default());
    if snap.items.is_empty() {
        lines.push(Line::styled("no items", theme.style("ui.muted")));
    }
    for item in &snap.items {
        let mut spans = vec![
            Span::styled(
                format!("{} {:<8} ", item.state.icon(), item.state.as_str()),
                theme.style(health_scope(item.state)),
            ),
            Span::styled(s(&item.name), theme.style("ui.header")),
        ];
        if !item.detail.is_empty() {
            spans.push(Span::styled(
                format!("  {}", s(&item.detail)),
                theme.style("ui"),
            ));
        }
        if let Some(u) = &item.url {
            spans.push(Span::styled(format!("  {}", s(u)), theme.style("md.link")));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// One log line: absolute time, elapsed, saved marker, description.
fn log_line<'a>(state: &State, s_: &Session, e: &Event, theme: &Theme, wide: bool) -> Line<'a> {
    let elapsed = (e.at - s_.incident.started_at).as_secs();
    let saved = e.seq <= s_.saved_seq;
    let (mark, mark_style) = if saved {
        ("✓", theme.style("ui.muted"))
    } else if s_.save_error.is_some() {
        ("✗", theme.style("log.error"))
    } else {
        ("…", theme.style("log.pending"))
    };
    let scope = match &e.kind {
        EventKind::Note { .. } => "log.note",
        EventKind::StatusChanged { .. } | EventKind::VerifyMet { .. } => "log.status",
        EventKind::CommandRequested { .. }
        | EventKind::CommandConfirmed { .. }
        | EventKind::CommandDeclined { .. }
        | EventKind::CommandStarted { .. }
        | EventKind::CommandFinished { .. } => "log.command",
        EventKind::StepEntered { .. }
        | EventKind::StepDone { .. }
        | EventKind::StepSkipped { .. } => "log.step",
        EventKind::LogRecovered { .. } => "log.error",
        _ => "log.text",
    };
    let time = if wide {
        e.at.to_zoned_datetime(state.tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    } else {
        e.at.to_zoned_datetime(state.tz.clone())
            .strftime("%H:%M:%S")
            .to_string()
    };
    Line::from(vec![
        Span::styled(format!("{time} "), theme.style("log.time")),
        Span::styled(
            format!("T+{} ", crate::util::duration::clock(elapsed)),
            theme.style("log.time"),
        ),
        Span::styled(format!("{mark} "), mark_style),
        Span::styled(
            sanitize::line(&e.kind.describe()).into_owned(),
            theme.style(scope),
        ),
    ])
}

fn draw_log(state: &State, s_: &Session, theme: &Theme, frame: &mut Frame, area: Rect) {
    let focused = s_.focus == Pane::Log;
    let unsaved = s_.incident.last_seq.saturating_sub(s_.saved_seq);
    let title = if unsaved > 0 {
        format!(
            " Incident log · {} events · {unsaved} saving… ",
            s_.events.len()
        )
    } else {
        format!(" Incident log · {} events · all saved ", s_.events.len())
    };
    let mut b = block(theme, title, focused);
    if s_.log_scroll > 0 {
        // Scrolled up: the view stays put; say what arrived below.
        let below = if s_.log_unseen > 0 {
            format!(" ↓ {} new below · End follows ", s_.log_unseen)
        } else {
            format!(" ↓ {} below · End follows ", s_.log_scroll)
        };
        b = b.title_bottom(Line::styled(below, theme.style("ui.banner.info")).right_aligned());
    }
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let h = usize::from(inner.height);
    let end = s_.events.len().saturating_sub(s_.log_scroll);
    let start = end.saturating_sub(h);
    let wide = inner.width >= 110;
    let lines: Vec<Line> = s_.events[start..end]
        .iter()
        .map(|e| log_line(state, s_, e, theme, wide))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The running (or last) command's output.
fn draw_output(
    state: &State,
    s_: &Session,
    now: Timestamp,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let Some(run) = &s_.run else { return };
    let first = run.text.lines().next().unwrap_or("");
    let (status, style) = match &run.finished {
        None if run.dry_run => ("dry run".to_owned(), theme.style("ui.banner.warning")),
        None => (
            format!(
                "running {} · {} cancels",
                crate::util::duration::short((now - run.started_at).as_secs()),
                state.keymap.hint(Cmd::Cancel)
            ),
            theme.style("log.pending"),
        ),
        Some(f) if f.dry_run => (
            "dry run: nothing was executed".to_owned(),
            theme.style("ui.banner.warning"),
        ),
        Some(f) if f.succeeded() => (
            format!(
                "✔ exit {}{} in {}",
                f.exit_code.unwrap_or(0),
                if f.exit_code == Some(0) {
                    ""
                } else {
                    " (declared ok)"
                },
                crate::util::duration::precise(f.duration)
            ),
            theme.style("status.up"),
        ),
        Some(f) => {
            let how = if f.timed_out {
                "TIMED OUT".to_owned()
            } else if f.cancelled {
                "CANCELLED".to_owned()
            } else if f.spawn_error.is_some() {
                "COULD NOT START".to_owned()
            } else if let Some(code) = f.exit_code {
                match f.failed_line {
                    Some(line) => format!("EXIT {code} at line {line}"),
                    None => format!("EXIT {code}"),
                }
            } else if let Some(sig) = f.signal {
                format!("KILLED (signal {sig})")
            } else {
                "FAILED".to_owned()
            };
            (
                format!(
                    "✖ {how} after {}",
                    crate::util::duration::precise(f.duration)
                ),
                theme.style("ui.banner.error"),
            )
        }
    };
    let title = Line::from(vec![
        Span::styled(" Output ", theme.style("ui.title")),
        Span::styled(format!(" {status} "), style),
        Span::styled(format!(" {} ", s(first)), theme.style("ui.muted")),
    ]);
    let mut b = block(theme, title, false);
    if let Some(shell) = &run.shell {
        // Which shell ran, and whether it sees failures inside pipelines.
        b = b.title_bottom(
            Line::styled(format!(" {} ", s(shell)), theme.style("ui.muted")).right_aligned(),
        );
    }
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let h = usize::from(inner.height);
    let mut lines: Vec<&str> = run.output.iter().map(String::as_str).collect();
    if !run.partial.is_empty() {
        lines.push(&run.partial);
    }
    let start = lines.len().saturating_sub(h);
    let mut text: Vec<Line> = Vec::new();
    for l in &lines[start..] {
        // Only SGR colours are left in the output (the runner sanitized it):
        // turn them into styles.
        match ansi_to_tui::IntoText::into_text(&l.as_bytes()) {
            Ok(t) => text.extend(
                t.lines
                    .into_iter()
                    .map(|line| line.patch_style(theme.style("output"))),
            ),
            Err(_) => text.push(Line::styled(
                crate::util::sanitize::strip_sgr(l),
                theme.style("output"),
            )),
        }
    }
    if lines.is_empty() {
        let note = if run.dry_run {
            "(dry run: nothing executed)"
        } else {
            "(no output yet)"
        };
        text.push(Line::styled(note, theme.style("ui.muted")));
    }
    frame.render_widget(Paragraph::new(text), inner);
}

// ------------------------------------------------------------------ overlays

fn draw_confirm_command(
    c: &super::state::Confirmation,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    use crate::runbook::Confirm;
    let h = (c.preview.len() as u16 + 6 + u16::from(c.error.is_some())).min(area.height);
    let r = centered(
        area,
        (area.width * 9 / 10).clamp(40.min(area.width), 110),
        h,
    );
    frame.render_widget(Clear, r);
    let b = block(theme, " Run this command? ", true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let mut lines: Vec<Line> = Vec::new();
    for (i, l) in c.preview.iter().enumerate() {
        let style = if i == 0
            || (!l.is_empty()
                && !l.starts_with("in ")
                && !l.starts_with("with ")
                && !l.starts_with("DRY RUN"))
        {
            theme.style("md.code")
        } else if l.starts_with("DRY RUN") {
            theme.style("ui.banner.warning")
        } else {
            theme.style("ui.muted")
        };
        lines.push(Line::styled(format!("  {l}"), style));
    }
    lines.push(Line::default());
    match c.level {
        Confirm::Typed => {
            lines.push(Line::from(vec![
                Span::styled(
                    "This command changes things. Type ",
                    theme.style("ui.header"),
                ),
                Span::styled(s(&c.phrase), theme.style("ui.banner.warning")),
                Span::styled(
                    " and press Enter to run it; Esc cancels.",
                    theme.style("ui.header"),
                ),
            ]));
            lines.push(Line::from(vec![
                Span::styled("> ", theme.style("ui.key")),
                Span::styled(s(&c.typed.text()), theme.style("ui.selected")),
                Span::styled("▏", theme.style("ui.key")),
            ]));
        }
        _ => lines.push(Line::from(vec![
            Span::styled(" y ", theme.style("ui.key")),
            Span::styled("run it   ", theme.style("ui")),
            Span::styled(" n ", theme.style("ui.key")),
            Span::styled("don't (logged as declined)", theme.style("ui")),
        ])),
    }
    if let Some(e) = &c.error {
        lines.push(Line::styled(
            format!("✗ {}", s(e)),
            theme.style("log.error"),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_show_text(title: &str, text: &str, theme: &Theme, frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = crate::util::sanitize::text(text)
        .lines()
        .map(|l| Line::styled(l.to_owned(), theme.style("md.code")))
        .collect();
    let h = (lines.len() as u16 + 4).min(area.height);
    let r = centered(
        area,
        (area.width * 9 / 10).clamp(40.min(area.width), 120),
        h,
    );
    frame.render_widget(Clear, r);
    let b = block(theme, format!(" {} ", s(title)), true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_help(state: &State, scroll: u16, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = (area.width * 8 / 10).clamp(40.min(area.width), 100);
    let h = area.height.saturating_sub(2).max(5);
    let r = centered(area, w, h);
    frame.render_widget(Clear, r);
    let b = block(
        theme,
        " Help · keys (from the keymap; rebind them under `keys:` in the config) ",
        true,
    );
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let mut lines = Vec::new();
    for (section, rows) in state.keymap.help() {
        lines.push(Line::styled(section, theme.style("ui.title")));
        let kw = rows.iter().map(|(k, _)| k.width()).max().unwrap_or(4);
        for (keys, desc) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<kw$}  "), theme.style("ui.key")),
                Span::styled(desc, theme.style("ui")),
            ]));
        }
        lines.push(Line::default());
    }
    lines.push(Line::styled(
        "In text fields: Enter saves, Esc or Ctrl-C cancels, Alt-Enter adds a line to notes.",
        theme.style("ui.muted"),
    ));
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}

/// A small yes/no question.
fn draw_ask<T: AsRef<str>>(
    title: &str,
    text: &[T],
    keys: &[(&str, &str)],
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let mut lines: Vec<Line> = text
        .iter()
        .map(|l| Line::styled(s(l.as_ref()), theme.style("ui.header")))
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(
        keys.iter()
            .flat_map(|(k, what)| {
                [
                    Span::styled(format!(" {k} "), theme.style("ui.key")),
                    Span::styled(format!("{what}   "), theme.style("ui")),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    let r = centered(area, 72, lines.len() as u16 + 4);
    frame.render_widget(Clear, r);
    let b = block(theme, title.to_owned(), true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_confirm_trust(
    state: &State,
    path: &str,
    hash: &str,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let runnable = state.session.as_ref().map_or(0, |s_| {
        s_.runbook
            .steps
            .iter()
            .flat_map(|st| &st.commands)
            .filter(|c| c.runnable)
            .count()
    });
    let lines = vec![
        Line::styled("Trust this runbook file?", theme.style("ui.header")),
        Line::default(),
        Line::styled(format!("file     {}", s(path)), theme.style("ui")),
        Line::styled(
            format!("content  blake3 {}", s(hash.get(..16).unwrap_or(hash))),
            theme.style("ui"),
        ),
        Line::default(),
        Line::styled(
            format!(
                "Its {runnable} runnable command(s) may then run (each still asks as the runbook says). Any edit to the file revokes trust."
            ),
            theme.style("ui.muted"),
        ),
        Line::default(),
        Line::from(vec![
            Span::styled(" y ", theme.style("ui.key")),
            Span::styled("trust   ", theme.style("ui")),
            Span::styled(" n ", theme.style("ui.key")),
            Span::styled("keep display-only", theme.style("ui")),
        ]),
    ];
    let r = centered(area, 76, lines.len() as u16 + 4);
    frame.render_widget(Clear, r);
    let b = block(theme, " Trust? ", true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_confirm_quit(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(session) = state.session.as_ref() else {
        return;
    };
    let id = s(&session.incident.id);
    let unsaved = session.unsaved();
    let key = |k: &'static str, what: &'static str| {
        [
            Span::styled(k, theme.style("ui.key")),
            Span::styled(what, theme.style("ui")),
        ]
    };
    let mut lines = Vec::new();
    if unsaved == 0 {
        lines.push(Line::styled(
            "The incident stays OPEN. Everything is saved in its log.",
            theme.style("ui.header"),
        ));
    } else {
        lines.push(Line::styled(
            format!("✗ {unsaved} event(s) are NOT saved in the incident log."),
            theme.style("ui.banner.error"),
        ));
        if let Some(e) = &session.save_error {
            lines.push(Line::styled(s(e), theme.style("ui.muted")));
        }
        match session.rescue_current() {
            Some(path) => lines.push(Line::styled(
                format!("A complete copy with them is in {}", s(path)),
                theme.style("ui.header"),
            )),
            None => lines.push(Line::styled(
                "Quitting now would lose them: write a rescue copy first.",
                theme.style("ui.header"),
            )),
        }
    }
    if let Some(run) = session
        .run
        .as_ref()
        .filter(|r| r.finished.is_none() && !r.dry_run)
    {
        lines.push(Line::styled(
            format!(
                "! A command is still running: {} — quitting stops it (SIGTERM to its group) and logs it as abandoned.",
                s(run.text.lines().next().unwrap_or(""))
            ),
            theme.style("ui.banner.warning"),
        ));
    }
    lines.push(Line::styled(
        format!("Resume it with: mayday resume {id}"),
        theme.style("ui"),
    ));
    lines.push(Line::default());
    let mut keys = Vec::new();
    if unsaved > 0 && session.rescue_current().is_none() {
        keys.extend(key(" w ", "write a rescue copy   "));
    } else {
        keys.extend(key(" y ", "quit   "));
    }
    keys.extend(key(" n ", "stay"));
    lines.push(Line::from(keys));
    let running = session
        .run
        .as_ref()
        .is_some_and(|r| r.finished.is_none() && !r.dry_run);
    let width: u16 = if unsaved > 0 || running { 76 } else { 64 };
    // Rows as wrapped (an error or a rescue path can run long), so the
    // keys at the bottom are never cut off.
    let inner_w = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(3);
    let r = centered(area, width, height);
    frame.render_widget(Clear, r);
    let b = block(theme, " Quit? ", true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_prompt(p: &Prompt, theme: &Theme, frame: &mut Frame, area: Rect) {
    let input_h: u16 = if p.input.multiline { 6 } else { 1 };
    let h = input_h + 6 + u16::from(p.error.is_some());
    let r = centered(
        area,
        (area.width * 8 / 10).clamp(40.min(area.width), 100),
        h,
    );
    frame.render_widget(Clear, r);
    let b = block(theme, format!(" {} ", s(&p.title)), true);
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let [help, _, input, _, err] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(input_h + 2),
        Constraint::Length(0),
        Constraint::Length(u16::from(p.error.is_some())),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(p.help.clone(), theme.style("ui.muted"))),
        help,
    );
    let mut area_widget = p.input.area.clone();
    area_widget.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style("ui.border.focused")),
    );
    area_widget.set_style(theme.style("ui"));
    area_widget.set_cursor_style(theme.style("ui").add_modifier(Modifier::REVERSED));
    frame.render_widget(&area_widget, input);
    if let Some(e) = &p.error {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("✗ {}", s(e)),
                theme.style("log.error"),
            )),
            err,
        );
    }
}
