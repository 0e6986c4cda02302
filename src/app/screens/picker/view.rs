//! Drawing the picker: the list on the left, a preview of the selected row
//! on the right.

use super::{PickItem, Picker};
use crate::app::action::IncidentListing;
use crate::app::context::Vcx;
use crate::app::widgets::kit::{abs_time, block, kind_span, kv, s, severity_span};
use crate::runbook::Runbook;
use crate::ui::keymap::Cmd;
use crate::ui::mdview::{self, StepView};
use crate::ui::theme::Theme;
use crate::util::sanitize;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Wrap};

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

/// Draw the picker.
pub fn draw(p: &Picker, cx: &Vcx, frame: &mut Frame, area: Rect) {
    let (now, theme) = (cx.now, cx.theme);
    // Firing rows carry the alert and its context: more room when wide.
    let widest = if p.firing.is_empty() { 60 } else { 84 };
    let list_w = (area.width * 45 / 100).clamp(30.min(area.width), widest);
    let [left, right] =
        Layout::horizontal([Constraint::Length(list_w), Constraint::Min(10)]).areas(area);
    let focused = !cx.overlay_open;
    let title = if !p.filter.is_empty() {
        format!(
            " Runbooks ({} of {}) ",
            p.items.len(),
            cx.library.runbooks.len()
                + cx.incidents.len()
                + p.firing.len()
                + cx.gamedays.len()
                + cx.past.len()
        )
    } else {
        " Runbooks ".to_owned()
    };
    let b = block(theme, title, focused);
    let inner = b.inner(left);
    frame.render_widget(b, left);
    let [filter_area, list_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let filter_text = p.filter.text();
    let filter_line = if p.filtering && filter_text.is_empty() {
        Line::from(vec![
            Span::styled("/ ", theme.style("ui.key")),
            Span::styled("▏", theme.style("ui.key")),
            Span::styled(
                "type to filter: title, id, tags, services, alerts",
                theme.style("ui.muted"),
            ),
        ])
    } else if p.filtering {
        Line::from(vec![
            Span::styled("/ ", theme.style("ui.key")),
            Span::styled(s(&filter_text), theme.style("ui.header")),
            Span::styled("▏", theme.style("ui.key")),
        ])
    } else if filter_text.is_empty() {
        Line::from(vec![Span::styled(
            format!(
                "{} filter: title, id, tags, services, alerts",
                cx.keymap.hint(Cmd::Filter)
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
    let sel = p.selected;
    let start = sel.saturating_sub(height.saturating_sub(1));
    let mut lines = Vec::new();
    for (row, item) in p.items.iter().enumerate().skip(start).take(height) {
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
                if let Some(inc) = cx.incidents.get(i) {
                    incident_row(&mut spans, "⟳ resume ", "phase.open", inc, now, base, theme);
                }
            }
            PickItem::Join(i) => {
                if let Some(h) = cx.shared.get(i) {
                    join_row(&mut spans, h, now, base, theme);
                }
            }
            PickItem::Runbook(i) => {
                if let Some(rb) = cx.library.runbooks.get(i) {
                    spans.push(severity_span(rb.severity, theme).patch_style(base));
                    spans.extend(highlighted(
                        &rb.title,
                        0,
                        p.highlights.get(&i),
                        base,
                        theme.style("ui.match"),
                    ));
                }
            }
            PickItem::Gameday(i) => {
                if let Some(g) = cx.gamedays.get(i) {
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
                if let Some(inc) = cx.past.get(i) {
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
                if let (Some(rb), Some(fire)) = (cx.library.runbooks.get(i), p.firing.get(f)) {
                    spans.push(Span::styled(
                        if fire.alert.page.is_some() {
                            "✖ paged  "
                        } else {
                            "✖ firing "
                        },
                        base.patch(theme.style("status.down")),
                    ));
                    spans.push(Span::styled(
                        s(&rb.title),
                        base.patch(theme.style("ui.header")),
                    ));
                    // The alert's name, unless the title already says it
                    // ("Kube Pod Crash Looping" for KubePodCrashLooping).
                    let squash = |x: &str| -> String {
                        x.chars()
                            .filter(|c| c.is_alphanumeric())
                            .flat_map(char::to_lowercase)
                            .collect()
                    };
                    let mut head = Vec::new();
                    if let Some(pg) = &fire.alert.page {
                        head.push(format!("#{}", pg.number));
                    }
                    if squash(&rb.title) != squash(&fire.alertname) {
                        head.push(s(&fire.alertname));
                    }
                    if let Some(pg) = &fire.alert.page {
                        head.push(format!("({})", s(&pg.status)));
                    }
                    if fire.count > 1 {
                        head.push(format!("×{}", fire.count));
                    }
                    let mut tail = vec![head.join(" ")];
                    if !fire.context.is_empty() {
                        tail.push(s(&fire.context));
                    }
                    tail.retain(|t| !t.is_empty());
                    spans.push(Span::styled(
                        format!("  {}", tail.join(" · ")),
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
    let Some(item) = p.items.get(sel).copied() else {
        return;
    };
    let text = match item {
        PickItem::Runbook(i) => cx
            .library
            .runbooks
            .get(i)
            .map(|rb| runbook_preview(cx, rb, theme, pinner.width)),
        PickItem::Firing(i, f) => cx.library.runbooks.get(i).map(|rb| {
            let mut t = runbook_preview(cx, rb, theme, pinner.width);
            if let Some(fire) = p.firing.get(f) {
                let mut head = vec![Line::styled(
                    format!(
                        "{}: {}{} (from {})",
                        if fire.alert.page.is_some() {
                            "PAGED"
                        } else {
                            "FIRING NOW"
                        },
                        s(&fire.alertname),
                        if fire.count > 1 {
                            format!(" ×{}", fire.count)
                        } else {
                            String::new()
                        },
                        s(&fire.source)
                    ),
                    theme.style("status.down"),
                )];
                if let Some(pg) = &fire.alert.page {
                    head.push(Line::styled(
                        format!(
                            "page #{} {} · {} urgency · {}{}",
                            pg.number,
                            s(&pg.status),
                            s(&pg.urgency),
                            s(&pg.service),
                            if pg.assignees.is_empty() {
                                String::new()
                            } else {
                                format!(" · {}", s(&pg.assignees.join(", ")))
                            }
                        ),
                        theme.style("ui.muted"),
                    ));
                }
                let labels = fire.alert.label_pairs();
                if !labels.is_empty() {
                    head.push(Line::styled(s(&labels.join(" ")), theme.style("ui.muted")));
                }
                t.lines.splice(0..0, head);
            }
            t
        }),
        PickItem::Resume(i) => cx
            .incidents
            .get(i)
            .map(|inc| incident_preview(cx, inc, now, theme, pinner.width)),
        PickItem::Review(i) => cx
            .past
            .get(i)
            .map(|inc| incident_preview(cx, inc, now, theme, pinner.width)),
        PickItem::Gameday(i) => cx
            .gamedays
            .get(i)
            .map(|g| gameday_preview(cx, g, theme, pinner.width)),
        PickItem::Join(i) => cx.shared.get(i).map(|h| join_preview(h, theme)),
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

/// A picker row for a shared incident to join: title, who is on it, age.
fn join_row(
    spans: &mut Vec<Span<'static>>,
    h: &crate::sync::shared::Header,
    now: Timestamp,
    base: Style,
    theme: &Theme,
) {
    spans.push(Span::styled(
        "⇄ join   ",
        base.patch(theme.style("phase.open")),
    ));
    spans.push(severity_span(Some(h.severity), theme).patch_style(base));
    spans.push(Span::styled(
        s(&h.title),
        base.patch(theme.style("ui.header")),
    ));
    let age = crate::util::duration::short((now - h.started_at).as_secs());
    spans.push(Span::styled(
        format!(
            "  {age} ago · {}{}",
            s(&h.responders.join(", ")),
            if h.rehearsal { " · rehearsal" } else { "" }
        ),
        base.patch(theme.style("ui.muted")),
    ));
}

/// What joining a shared incident brings.
fn join_preview(h: &crate::sync::shared::Header, theme: &Theme) -> Text<'static> {
    let mut t = Text::default();
    t.lines.push(Line::from(vec![
        Span::styled(" SHARED ", theme.style("ui.rehearsal")),
        Span::styled(format!(" {}", s(&h.title)), theme.style("ui.title")),
    ]));
    t.lines.push(Line::default());
    t.lines
        .push(Line::raw(format!("{}  ·  {}", s(&h.id), h.state)));
    t.lines.push(Line::raw(format!(
        "{} {} · runbook {}",
        h.severity.sev(),
        h.severity.as_str(),
        s(&h.runbook_id)
    )));
    t.lines.push(Line::raw(format!(
        "responders: {}",
        s(&h.responders.join(", "))
    )));
    if let Some(ic) = &h.commander {
        t.lines
            .push(Line::raw(format!("incident commander: {}", s(ic))));
    }
    t.lines.push(Line::default());
    t.lines.push(Line::styled(
        "Enter joins: fetches its runbook copy and whole timeline into a local log, then opens it.",
        theme.style("ui.muted"),
    ));
    t
}

fn gameday_preview(
    cx: &Vcx,
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
        format!("Press {} to start.", cx.keymap.hint(Cmd::Select)),
        theme.style("ui.key"),
    ));
    let _ = width;
    t
}

fn runbook_preview(cx: &Vcx, rb: &Runbook, theme: &Theme, width: u16) -> Text<'static> {
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
    let used = cx.freshness.get(&rb.id).copied().unwrap_or_default();
    lines.push(Line::styled(
        used.describe(cx.now),
        theme.style(if used.rehearsed == 0 && used.used == 0 {
            "status.degraded"
        } else {
            "ui.muted"
        }),
    ));
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
    cx: &Vcx,
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
                abs_time(cx.tz, inc.started_at),
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
