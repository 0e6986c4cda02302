//! Drawing the incident screen: the header (phase, severity, clock,
//! saving state) and the panes, laid out for the terminal's width. Replay
//! draws through here too, with its session and time.

use crate::app::session::Session;
use crate::app::widgets::kit::s;
use crate::incident::Phase;
use crate::ui::theme::Theme;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::context::Vcx;
use crate::app::widgets::content::draw_content;
use crate::app::widgets::log::draw_log;
use crate::app::widgets::output::draw_output;
use crate::app::widgets::status::draw_status;
use crate::app::widgets::steps::draw_steps;
use jiff::Timestamp;
use ratatui::Frame;

/// The incident header: phase, severity, elapsed time, saving state.
pub fn draw_header(
    cx: &Vcx,
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
        let due = s_.update_due(cx.settings.update_every(inc.severity));
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
    // Its own alert: resolved (or silenced) while others may still fire.
    if let (Some(a), Some((status, at))) = (&inc.alert, &inc.alert_status)
        && status != "firing"
    {
        let ago = crate::util::duration::short((now - *at).as_secs());
        right.push(Span::styled(
            if narrow {
                format!(" alert {status} {ago} ago ")
            } else {
                format!(
                    " its alert {} {status} {ago} ago ",
                    crate::util::sanitize::line(&a.name)
                )
            },
            theme.style(if status == "resolved" {
                "status.up"
            } else {
                "status.degraded"
            }),
        ));
    }
    if let Some(p) = inc.alert.as_ref().and_then(|a| a.page.as_ref()) {
        let status = inc.page_status.as_deref().unwrap_or(&p.status);
        right.push(Span::styled(
            format!(
                " page #{} {} ",
                p.number,
                crate::util::sanitize::line(status)
            ),
            theme.style(if status == "triggered" {
                "ui.banner.warning"
            } else {
                "ui.muted"
            }),
        ));
    }
    if let Some(ic) = inc.commander() {
        right.push(Span::styled(
            format!(" IC {} ", crate::util::sanitize::line(ic)),
            theme.style("ui.header"),
        ));
    }
    if let Some(v) = &s_.sync {
        right.push(sync_span(v, cx, narrow, theme));
    }
    if cx.settings.dry_run || inc.dry_run {
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

/// How sharing stands: live, connecting, catching up, or offline since
/// when with how many events queued.
fn sync_span<'a>(
    v: &crate::app::session::SyncView,
    cx: &Vcx,
    narrow: bool,
    theme: &Theme,
) -> Span<'a> {
    use crate::sync::live::Link;
    let queued = if v.queued > 0 {
        format!(" · {} queued", v.queued)
    } else {
        String::new()
    };
    match &v.link {
        Link::Connected => Span::styled(format!(" ⇅ shared{queued} "), theme.style("status.up")),
        Link::Connecting => {
            Span::styled(format!(" ⇅ connecting…{queued} "), theme.style("ui.muted"))
        }
        Link::CatchingUp { left } => Span::styled(
            format!(" ⇅ catching up ({left}){queued} "),
            theme.style("status.degraded"),
        ),
        Link::Offline { since, .. } => {
            let at = since
                .to_zoned_datetime(cx.tz.clone())
                .strftime("%H:%M")
                .to_string();
            Span::styled(
                if narrow {
                    format!(" ⇅ offline {at}{queued} ")
                } else {
                    format!(" ⇅ OFFLINE since {at}{queued} ")
                },
                theme.style("ui.banner.warning"),
            )
        }
    }
}

/// The incident screen's panes, at the session's moment `now`.
pub fn draw(cx: &Vcx, s_: &Session, now: Timestamp, theme: &Theme, frame: &mut Frame, area: Rect) {
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
        let wanted = u16::try_from(cx.board.sources.len().max(1))
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
            draw_output(cx, s_, now, theme, frame, o);
            c
        }
        _ => content_area,
    };
    draw_content(cx, s_, now, theme, frame, content_area);
    draw_status(cx, s_, now, theme, frame, status_area);
    draw_log(cx, s_, theme, frame, log_area);
}
