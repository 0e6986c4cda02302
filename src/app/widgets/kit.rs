//! The small pieces every widget, screen and overlay draws with: a bordered
//! block, a centred rectangle, sanitized text, absolute times, severity and
//! step-kind labels.

use crate::app::action::IncidentListing;
use crate::app::board::StatusBoard;
use crate::app::settings::Settings;
use crate::gameday::Scenario;
use crate::incident::StepStatus;
use crate::runbook::library::Library;
use crate::runbook::{Severity, StepKind};
use crate::ui::keymap::Cmd;
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;
use crate::util::sanitize;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};
use std::sync::Arc;

/// Untrusted text as one safe line.
pub fn s(text: &str) -> String {
    sanitize::line(text).into_owned()
}

/// A bordered block, thick and bright when it has the focus.
pub fn block<'a>(theme: &Theme, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
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

/// A rectangle of this size centred in `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `SEV1 ` in the severity's colour (blank when there is none).
pub fn severity_span(sev: Option<Severity>, theme: &Theme) -> Span<'static> {
    match sev {
        Some(sev) => Span::styled(
            format!("{} ", sev.sev()),
            theme.style(&format!("severity.{}", sev.as_str())),
        ),
        None => Span::styled("     ", theme.style("ui.muted")),
    }
}

/// `key: value`, the key muted.
pub fn kv<'a>(key: &str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{key}: "), theme.style("ui.muted")),
        Span::styled(value, theme.style("ui")),
    ])
}

/// An absolute time in the zone, to the second.
pub fn abs_time(tz: &TimeZone, at: Timestamp) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A step kind's label (short unless wide).
pub fn kind_span(kind: StepKind, theme: &Theme, wide: bool) -> Span<'static> {
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

/// A step status's icon and theme scope.
pub fn step_icon(status: StepStatus) -> (&'static str, &'static str) {
    match status {
        StepStatus::Done => ("✔", "step.done"),
        StepStatus::Skipped => ("↷", "step.skipped"),
        StepStatus::Current => ("▶", "step.current"),
        StepStatus::Pending => ("·", "step.pending"),
    }
}

/// The theme scope of a health state.
pub fn health_scope(h: crate::status::health::Health) -> &'static str {
    match h {
        crate::status::health::Health::Up => "status.up",
        crate::status::health::Health::Degraded => "status.degraded",
        crate::status::health::Health::Down => "status.down",
        crate::status::health::Health::Unknown => "status.unknown",
    }
}

/// Move a list selection by a list command (up, down, page, top, bottom).
pub fn move_sel(sel: &mut usize, len: usize, cmd: Cmd, page: usize) {
    if len == 0 {
        *sel = 0;
        return;
    }
    *sel = match cmd {
        Cmd::Up => sel.saturating_sub(1),
        Cmd::Down => (*sel + 1).min(len - 1),
        Cmd::PageUp => sel.saturating_sub(page),
        Cmd::PageDown => (*sel + page).min(len - 1),
        Cmd::Top => 0,
        Cmd::Bottom => len - 1,
        _ => *sel,
    };
}

/// `T+12:34`: time since the start.
pub fn t_plus(secs: i64) -> String {
    format!("T+{}", crate::util::duration::clock(secs.max(0)))
}

/// What drawing may read besides the screen's own state: screens get it
/// from the composer, and the incident panes from the incident screen (or
/// replay).
pub struct Vcx<'a> {
    /// The time the frame is drawn at.
    pub now: Timestamp,
    /// The zone absolute times are shown in.
    pub tz: &'a TimeZone,
    /// Colours.
    pub theme: &'a Theme,
    /// Key bindings (for the hints drawn on screen).
    pub keymap: &'a Keymap,
    /// Settings fixed for the session.
    pub settings: &'a Settings,
    /// Every runbook.
    pub library: &'a Library,
    /// Open incidents.
    pub incidents: &'a [IncidentListing],
    /// Recently resolved incidents.
    pub past: &'a [IncidentListing],
    /// Each runbook's use (for the picker's preview).
    pub freshness: &'a std::collections::BTreeMap<String, crate::incident::freshness::Use>,
    /// Shared incidents to join (on the sync server, not here).
    pub shared: &'a [crate::sync::shared::Header],
    /// Game-day scenarios.
    pub gamedays: &'a [Arc<Scenario>],
    /// The status panel shown (live, or replayed).
    pub board: &'a StatusBoard,
    /// An overlay is open (the screen under it is drawn unfocused).
    pub overlay_open: bool,
}
