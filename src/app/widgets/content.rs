//! The step pane: the current (or highlighted) step's Markdown, with its
//! checklist, commands, verify conditions, waits and decisions; pending
//! choices and running waits pinned at its foot.

use crate::app::session::{Pane, Selectable, Session};
use crate::app::widgets::kit::{Vcx, block, s};
use crate::app::widgets::query;
use crate::incident::StepStatus;
use crate::ui::keymap::Cmd;
use crate::ui::mdview::{self, Selected, StepView};
use crate::ui::theme::Theme;
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Where a verify condition stands: met (and when), or what the source says.
fn verify_show(
    env: &Vcx,
    met_at: Option<&Timestamp>,
    cond: &crate::runbook::VerifyCondition,
    now: Timestamp,
) -> mdview::VerifyShow {
    if let Some(at) = met_at {
        return mdview::VerifyShow {
            met: Some(true),
            note: format!(
                "met at {}",
                at.to_zoned_datetime(env.tz.clone()).strftime("%H:%M:%S")
            ),
        };
    }
    match env.board.get(&cond.source) {
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
    env: &Vcx,
    s_: &Session,
    step_id: &str,
    count: usize,
    now: Timestamp,
) -> Vec<String> {
    let progress = s_.incident.progress(step_id);
    (0..count)
        .map(|i| match progress.and_then(|p| p.waits.get(&i)) {
            None => format!("press {} to start", env.keymap.hint(Cmd::StartWait)),
            Some(w) if w.finished => "done".to_owned(),
            Some(w) => {
                let left = i64::try_from(w.seconds).unwrap_or(0) - (now - w.started).as_secs();
                format!("{} left", crate::util::duration::countdown(left.max(0)))
            }
        })
        .collect()
}

/// What each live query block shows under it, by command index (`None`
/// when the board is not this step's: a replay, another step). Charts
/// need a tall and wide terminal; at 80×24 the rows keep their sparklines.
fn live_lines(
    env: &Vcx,
    s_: &Session,
    step: &crate::runbook::Step,
    (width, room): (u16, query::Room),
    now: Timestamp,
    theme: &Theme,
) -> Option<std::collections::BTreeMap<usize, Vec<Line<'static>>>> {
    let board = &s_.queries;
    if board.step.as_deref() != Some(step.id.as_str()) {
        return None;
    }
    Some(
        step.queries()
            .filter_map(|b| {
                let v = board.views.get(b.index)?;
                Some((
                    b.command_index,
                    query::lines(v, width, room, now, env.tz, theme),
                ))
            })
            .collect(),
    )
}

/// Draw the step pane: the highlighted step's Markdown with the incident's marks, the command
/// output's place, pending choices and running waits pinned at its foot.
pub fn draw_content(
    env: &Vcx,
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
        .map(|(i, cond)| verify_show(env, progress.and_then(|p| p.verified.get(&i)), cond, now))
        .collect();
    let waits = wait_labels(env, s_, &step.id, step.waits.len(), now);
    let selected = match s_.selected_item() {
        Some(Selectable::Checklist(i)) if focused => Some(Selected::Checklist(i)),
        Some(Selectable::Command(i)) if focused => Some(Selected::Command(i)),
        _ => None,
    };
    let placeholders = s_
        .incident
        .alert
        .as_ref()
        .map(|a| crate::runbook::template::label_placeholders(&a.labels));
    let screen = frame.area();
    let room = if screen.height >= 32 && screen.width >= 100 {
        query::Room::Full
    } else {
        query::Room::Compact
    };
    let live = live_lines(
        env,
        s_,
        step,
        (inner.width.saturating_sub(1), room),
        now,
        theme,
    );
    let view = StepView {
        live: live.as_ref(),
        vars: Some(&s_.incident.variables),
        placeholders: placeholders.as_ref(),
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
    // Responders who decided differently (a shared incident): both stand in
    // the log; the screen says so rather than hide one.
    for (d, dec) in step.decisions.iter().enumerate() {
        let Some(taken) = progress.and_then(|p| p.choices.get(&d)) else {
            continue;
        };
        let mut distinct: Vec<usize> = taken.iter().map(|(_, c)| *c).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        let who: Vec<String> = taken
            .iter()
            .map(|(by, c)| {
                let label = dec.choices.get(*c).map_or("?", |ch| ch.label.as_str());
                format!("{by} → {label}")
            })
            .collect();
        pinned.push(Line::styled(
            s(&format!(
                "⚠ decided differently: {} (the last one counts; agree and decide again)",
                who.join(", ")
            )),
            theme.style("ui.banner.warning"),
        ));
    }
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
