//! Drawing the review screen. Read-only, like the rest
//! of the view: everything comes from [`Review`] and the time passed in.

use super::{GROUPS, Review};
use crate::app::context::Vcx;
use crate::app::widgets::kit::{abs_time, block, s, t_plus};
use crate::incident::review::{StepEnd, fmt_duration};
use crate::status::health::Health;
use crate::ui::theme::Theme;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

/// The glyph of a source state in the status strip: distinct shapes, so
/// the strip reads in monochrome too.
pub fn strip_glyph(h: Health) -> char {
    match h {
        Health::Up => '▁',
        Health::Degraded => '▄',
        Health::Down => '█',
        Health::Unknown => '░',
    }
}

fn health_style(theme: &Theme, h: Health) -> Style {
    theme.style(&format!("status.{}", h.as_str()))
}

/// Draw the review screen: its header in `header`, the rest in `area`.
pub fn draw_review(
    cx: &Vcx,
    r: &Review,
    theme: &Theme,
    frame: &mut Frame,
    header: Rect,
    area: Rect,
) {
    draw_header(r, theme, frame, header);
    let strips = r.stats.sources.len().min(6) as u16;
    let strip_h = if strips > 0 { strips + 3 } else { 0 };
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(5),
        Constraint::Length(strip_h),
    ])
    .areas(area);
    draw_durations(r, theme, frame, top);
    let chart_w = if area.width >= 120 {
        area.width * 2 / 5
    } else {
        (area.width / 3).clamp(20.min(area.width / 2), 30)
    };
    let [timeline, chart] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(chart_w)]).areas(middle);
    draw_timeline(cx, r, theme, frame, timeline);
    draw_step_chart(r, theme, frame, chart);
    if strip_h > 0 {
        draw_strips(r, theme, frame, bottom);
    }
}

fn draw_header(r: &Review, theme: &Theme, frame: &mut Frame, area: Rect) {
    let inc = &r.incident;
    let mut spans = vec![Span::styled(
        " REVIEW ",
        theme.style("ui.title").add_modifier(Modifier::REVERSED),
    )];
    if inc.rehearsal {
        spans.push(Span::styled(" REHEARSAL ", theme.style("ui.rehearsal")));
    }
    spans.push(Span::styled(
        format!(" {} {} ", inc.severity.sev(), inc.severity.as_str()),
        theme.style(&format!("severity.{}", inc.severity.as_str())),
    ));
    spans.push(Span::styled(
        format!(" {} ", inc.phase.as_str().to_uppercase()),
        theme.style(&format!("phase.{}", inc.phase.as_str())),
    ));
    spans.push(Span::styled(
        format!(" {} ", s(&inc.runbook_title)),
        theme.style("ui.header"),
    ));
    spans.push(Span::styled(
        format!(" {} · {} events", s(&r.id), r.events.len()),
        theme.style("ui.muted"),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_durations(r: &Review, theme: &Theme, frame: &mut Frame, area: Rect) {
    let b = block(theme, " Key durations ", false);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let st = &r.stats;
    let mut first = Vec::new();
    let narrow = area.width < 100;
    for (label, d) in st.key_durations() {
        let label = if narrow {
            label.trim_start_matches("time to ")
        } else {
            label
        };
        first.push(Span::styled(format!("{label} "), theme.style("ui.muted")));
        first.push(Span::styled(
            d.map_or("—".to_owned(), fmt_duration),
            theme.style("ui.header"),
        ));
        first.push(Span::raw(if narrow { " · " } else { "   " }));
    }
    first.push(Span::styled("lasted ", theme.style("ui.muted")));
    first.push(Span::styled(
        format!(
            "{}{}",
            fmt_duration(st.duration()),
            if st.resolved { "" } else { " (not resolved)" }
        ),
        theme.style("ui.header"),
    ));
    let c = st.counts;
    let second = Line::styled(
        format!(
            "steps {} done, {} skipped · decisions {} · commands {} ({} failed, {} dry) · notes {} · status changes {} · verified {}{}",
            c.steps_done,
            c.steps_skipped,
            c.decisions,
            c.commands,
            c.commands_failed,
            c.dry_runs,
            c.notes,
            c.status_changes,
            c.verify_met,
            if c.injected > 0 {
                format!(" · surprises {}", c.injected)
            } else {
                String::new()
            }
        ),
        theme.style("ui.muted"),
    );
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]), inner);
}

fn draw_timeline(cx: &Vcx, r: &Review, theme: &Theme, frame: &mut Frame, area: Rect) {
    let title = format!(" Timeline ({} of {}) ", r.rows.len(), r.events.len());
    let b = block(theme, title, !cx.overlay_open);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let [filters, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let mut fl = Vec::new();
    for (i, (_, name)) in GROUPS.iter().enumerate() {
        let on = r.shown[i];
        fl.push(Span::styled(format!("{}", i + 1), theme.style("ui.key")));
        fl.push(Span::styled(
            format!("{}{name} ", if on { "✓" } else { "✗" }),
            if on {
                theme.style("ui")
            } else {
                theme.style("ui.muted").add_modifier(Modifier::CROSSED_OUT)
            },
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(fl)), filters);
    let height = usize::from(list.height);
    let wide = list.width >= 90;
    let start = r
        .selected
        .saturating_sub(height / 2)
        .min(r.rows.len().saturating_sub(height));
    let mut lines = Vec::with_capacity(height);
    for (row, &ei) in r.rows.iter().enumerate().skip(start).take(height) {
        let Some(e) = r.events.get(ei) else { continue };
        let selected = row == r.selected;
        let base = if selected {
            theme.style("ui.selected")
        } else {
            Style::default()
        };
        let elapsed = (e.at - r.incident.started_at).as_secs();
        let time = if wide {
            abs_time(cx.tz, e.at)
        } else {
            e.at.to_zoned_datetime(cx.tz.clone())
                .strftime("%H:%M:%S")
                .to_string()
        };
        let scope = match e.kind.group() {
            crate::incident::Group::Notes => "log.note",
            crate::incident::Group::Status => "log.status",
            crate::incident::Group::Commands => "log.command",
            crate::incident::Group::Steps | crate::incident::Group::Decisions => "log.step",
            crate::incident::Group::Incident => "log.text",
        };
        let mut line = Line::from(vec![
            Span::styled(
                if selected { "▸" } else { " " },
                base.patch(theme.style("ui.key")),
            ),
            Span::styled(format!("{time} "), base.patch(theme.style("log.time"))),
            Span::styled(
                format!("{} ", t_plus(elapsed)),
                base.patch(theme.style("log.time")),
            ),
            Span::styled(
                crate::util::sanitize::line(&e.kind.describe()).into_owned(),
                base.patch(theme.style(scope)),
            ),
        ]);
        if selected {
            line = line.style(base);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "  no events match the filters (0 shows all)",
            theme.style("ui.muted"),
        ));
    }
    frame.render_widget(Paragraph::new(lines), list);
}

fn draw_step_chart(r: &Review, theme: &Theme, frame: &mut Frame, area: Rect) {
    let b = block(theme, " Time per step ", false);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if r.stats.steps.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no step was entered", theme.style("ui.muted"))),
            inner,
        );
        return;
    }
    let label_w = usize::from(inner.width / 3).clamp(6, 24);
    let bars: Vec<Bar> = r
        .stats
        .steps
        .iter()
        .take(usize::from(inner.height).max(1))
        .map(|st| {
            let secs = u64::try_from(st.total().as_secs()).unwrap_or(0);
            let mark = match st.end {
                StepEnd::Done => "✓",
                StepEnd::Skipped => "↷",
                StepEnd::Open => "…",
            };
            let mut label: String = s(&st.title).chars().take(label_w - 2).collect();
            label = format!("{mark} {label}");
            Bar::default()
                .value(secs)
                .label(Line::from(format!("{label:<label_w$}")))
                .text_value(fmt_duration(st.total()))
                .style(theme.style(&format!("kind.{}", st.kind.as_str())))
                .value_style(theme.style("ui.header").add_modifier(Modifier::REVERSED))
        })
        .collect();
    let chart = BarChart::default()
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .data(BarGroup::default().bars(&bars));
    // Monochrome-readable: the outcome mark and the time are text.
    frame.render_widget(chart, inner);
}

/// The state of a source at time `t`, from its segments.
fn state_at(segments: &[(Timestamp, Timestamp, Health)], t: Timestamp) -> Option<Health> {
    let i = segments.partition_point(|(a, _, _)| *a <= t);
    i.checked_sub(1).and_then(|i| segments.get(i)).map(|s| s.2)
}

fn draw_strips(r: &Review, theme: &Theme, frame: &mut Frame, area: Rect) {
    let b = block(theme, " Status over the incident ", false);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let st = &r.stats;
    let name_w = st
        .sources
        .iter()
        .map(|x| x.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 16);
    let cells = usize::from(inner.width).saturating_sub(name_w + 1).max(1);
    let total = st.duration().as_millis().max(1);
    let mut lines = Vec::new();
    for src in st
        .sources
        .iter()
        .take(usize::from(inner.height.saturating_sub(1)))
    {
        let mut spans = vec![Span::styled(
            format!(
                "{:<name_w$} ",
                s(&src.name).chars().take(name_w).collect::<String>()
            ),
            theme.style("ui.header"),
        )];
        let mut run = String::new();
        let mut run_state: Option<Health> = None;
        for c in 0..cells {
            let offset_ms = (total * (2 * c as i128 + 1)) / (2 * cells as i128);
            let t = st
                .started_at
                .checked_add(jiff::SignedDuration::from_millis(
                    i64::try_from(offset_ms).unwrap_or(i64::MAX),
                ))
                .unwrap_or(st.ended_at);
            let h = state_at(&src.segments, t);
            if h != run_state && !run.is_empty() {
                spans.push(Span::styled(
                    std::mem::take(&mut run),
                    run_state.map_or(theme.style("ui.muted"), |h| health_style(theme, h)),
                ));
            }
            run_state = h;
            run.push(h.map_or(' ', strip_glyph));
        }
        if !run.is_empty() {
            spans.push(Span::styled(
                run,
                run_state.map_or(theme.style("ui.muted"), |h| health_style(theme, h)),
            ));
        }
        lines.push(Line::from(spans));
    }
    let end = t_plus(st.duration().as_secs());
    let legend = format!(
        "{} up {} degraded {} down {} unknown",
        strip_glyph(Health::Up),
        strip_glyph(Health::Degraded),
        strip_glyph(Health::Down),
        strip_glyph(Health::Unknown)
    );
    let pad = usize::from(inner.width)
        .saturating_sub(name_w + 1 + 3 + legend.chars().count() + end.len() + 2);
    lines.push(Line::from(vec![
        Span::styled(format!("{:<name_w$} T+0 ", ""), theme.style("ui.muted")),
        Span::styled(legend, theme.style("ui.muted")),
        Span::raw(" ".repeat(pad)),
        Span::styled(end, theme.style("ui.muted")),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}
