//! The start form: the runbook's variables (defaults filled in), severity
//! and responder. Enter starts the incident once every required value has
//! one; a game day or `mayday start --var …` presets what it can, and with
//! nothing left to ask the incident starts at once.

use crate::app::action::{Effect, Notice, StartRequest};
use crate::app::context::{Cx, Request, Screen, Vcx};
use crate::app::settings::Preset;
use crate::app::widgets::input::TextInput;
use crate::app::widgets::input::is_ctrl_c;
use crate::app::widgets::kit::{block, centered, s};
use crate::incident::AlertRef;
use crate::runbook::{Runbook, Severity};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A field of the start form.
#[derive(Clone, Debug)]
pub enum FieldKind {
    /// A runbook variable.
    Variable {
        /// The variable's name.
        name: String,
        /// It must have a value to start.
        required: bool,
    },
    /// The severity (cycled with ←/→ or a digit).
    Severity,
    /// Who responds.
    Responder,
}

#[derive(Clone, Debug)]
/// One field of the form.
pub struct Field {
    /// What it asks.
    pub label: String,
    /// What it sets.
    pub kind: FieldKind,
    /// The value being typed.
    pub input: TextInput,
}

/// The start screen: the runbook's variables, severity, responder.
#[derive(Clone, Debug)]
pub struct StartForm {
    /// The runbook to start.
    pub runbook: Arc<Runbook>,
    /// Values given up front (command line, or a game-day scenario).
    pub preset: Preset,
    /// Starting a rehearsal of this scenario.
    pub scenario: Option<Arc<crate::gameday::Scenario>>,
    /// Starting from this alert (its labels fill variables, its severity
    /// the severity; the incident records it).
    pub alert: Option<AlertRef>,
    /// The fields still to ask.
    pub fields: Vec<Field>,
    /// The field with the focus.
    pub focus: usize,
    /// The severity chosen.
    pub severity: Severity,
    /// Why Enter did not start it.
    pub error: Option<String>,
    /// The incident was asked for and is being created: a second Enter
    /// (a bounce, a tired hand) must not start a second one.
    pub starting: bool,
}

/// Rehearse a game-day scenario: its variables and severity are given, so
/// with nothing else to ask it opens straight into the incident.
pub fn rehearse(
    slot: &mut Option<StartForm>,
    scenario: Arc<crate::gameday::Scenario>,
    cx: &mut Cx,
) {
    let Some(rb) = cx.library.get(&scenario.runbook).cloned() else {
        cx.notices.push(Notice::error(format!(
            "game day `{}`: no runbook has the id `{}` ({})",
            scenario.id, scenario.runbook, scenario.path
        )));
        return;
    };
    // Nothing to ask that has a default: a rehearsal opens straight in.
    let mut variables = scenario.variables.clone();
    for v in &rb.variables {
        if let Some(d) = &v.default {
            variables.entry(v.name.clone()).or_insert_with(|| d.clone());
        }
    }
    let preset = Preset {
        variables,
        severity: Some(scenario.severity.or(rb.severity).unwrap_or(Severity::High)),
        responder: Some(
            cx.settings
                .preset
                .responder
                .clone()
                .unwrap_or_else(|| cx.settings.default_responder.clone()),
        ),
    };
    open_with(slot, rb, preset, Some(scenario), None, cx);
}

/// Open the start form for a runbook; with every value preset, start at once.
pub fn open(slot: &mut Option<StartForm>, runbook: Arc<Runbook>, cx: &mut Cx) {
    let preset = cx.settings.preset.clone();
    open_with(slot, runbook, preset, None, None, cx);
}

/// Open the start form for a runbook from a firing alert: variables that
/// name a label (`label: namespace`, or named like one) take its value,
/// and the severity follows the alert's `severity` label.
pub fn open_from_alert(
    slot: &mut Option<StartForm>,
    runbook: Arc<Runbook>,
    alert: AlertRef,
    cx: &mut Cx,
) {
    let preset = cx.settings.preset.clone();
    open_with(slot, runbook, preset, None, Some(alert), cx);
}

/// The value an alert gives a variable: its `label:`, else a label of the
/// same name (any case).
pub fn value_from_alert<'a>(v: &crate::runbook::Variable, alert: &'a AlertRef) -> Option<&'a str> {
    let wanted = v.label.as_deref().unwrap_or(&v.name);
    alert
        .labels
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(wanted))
        .map(|(_, val)| val.as_str())
        .filter(|val| !val.trim().is_empty())
}

fn open_with(
    slot: &mut Option<StartForm>,
    runbook: Arc<Runbook>,
    preset: Preset,
    scenario: Option<Arc<crate::gameday::Scenario>>,
    alert: Option<AlertRef>,
    cx: &mut Cx,
) {
    let mut fields = Vec::new();
    for v in &runbook.variables {
        // Given already, or asked when a command needs it.
        if preset.variables.contains_key(&v.name) || v.ask_on_use {
            continue;
        }
        let label = match &v.prompt {
            Some(p) => format!("{} ({})", p, v.name),
            None => v.name.clone(),
        };
        fields.push(Field {
            label,
            kind: FieldKind::Variable {
                name: v.name.clone(),
                required: v.required,
            },
            // From the alert when it has the label, else the default: shown,
            // and editable, either way.
            input: TextInput::new(
                alert
                    .as_ref()
                    .and_then(|a| value_from_alert(v, a))
                    .or(v.default.as_deref())
                    .unwrap_or(""),
                false,
            ),
        });
    }
    let from_alert = alert
        .as_ref()
        .and_then(|a| a.labels.get("severity"))
        .and_then(|s| {
            cx.settings
                .alert_severity
                .get(&s.trim().to_ascii_lowercase())
                .copied()
                .or_else(|| Severity::from_alert_label(s))
        });
    let severity = preset
        .severity
        .or(from_alert)
        .or(runbook.severity)
        .unwrap_or(Severity::High);
    if preset.severity.is_none() {
        fields.push(Field {
            label: "Severity".into(),
            kind: FieldKind::Severity,
            input: TextInput::new(severity.as_str(), false),
        });
    }
    if preset.responder.is_none() {
        fields.push(Field {
            label: "Responder".into(),
            kind: FieldKind::Responder,
            input: TextInput::new(&cx.settings.default_responder, false),
        });
    }
    let form = StartForm {
        runbook,
        preset,
        scenario,
        alert,
        fields,
        focus: 0,
        severity,
        error: None,
        starting: false,
    };
    if form.fields.is_empty() {
        submit(slot, form, cx);
    } else {
        *slot = Some(form);
        cx.request(Request::Show(Screen::Start));
    }
}

fn submit(slot: &mut Option<StartForm>, mut form: StartForm, cx: &mut Cx) {
    let preset = &form.preset;
    let mut variables: BTreeMap<String, String> = BTreeMap::new();
    for v in &form.runbook.variables {
        if let Some(val) = preset.variables.get(&v.name) {
            variables.insert(v.name.clone(), val.clone());
        }
    }
    let mut responder = preset.responder.clone().unwrap_or_default();
    let preset_vars = preset.variables.clone();
    for (i, f) in form.fields.iter().enumerate() {
        let value = f.input.text().trim().to_owned();
        match &f.kind {
            FieldKind::Variable { name, required } => {
                if *required && value.is_empty() {
                    form.error = Some(format!("`{name}` is required"));
                    form.focus = i;
                    *slot = Some(form);
                    cx.request(Request::Show(Screen::Start));
                    return;
                }
                variables.insert(name.clone(), value);
            }
            FieldKind::Severity => {}
            FieldKind::Responder => responder = value,
        }
    }
    // Extra --var values the runbook does not declare are kept too.
    for (k, v) in preset_vars {
        variables.entry(k).or_insert(v);
    }
    // Variables asked only when a command needs them take the alert's
    // label when it has one.
    if let Some(a) = &form.alert {
        for v in &form.runbook.variables {
            if let Some(val) = value_from_alert(v, a) {
                variables
                    .entry(v.name.clone())
                    .or_insert_with(|| val.to_owned());
            }
        }
    }
    if responder.trim().is_empty() {
        form.error = Some("the responder's handle is required".into());
        form.focus = form
            .fields
            .iter()
            .position(|f| matches!(f.kind, FieldKind::Responder))
            .unwrap_or(0);
        *slot = Some(form);
        cx.request(Request::Show(Screen::Start));
        return;
    }
    cx.fx.push(Effect::StartIncident(StartRequest {
        runbook: form.runbook.clone(),
        variables,
        severity: form.severity,
        responder,
        rehearsal: form.scenario.is_some(),
        scenario: form.scenario.as_ref().map(|g| g.id.clone()),
        alert: form.alert.clone(),
        at: cx.now,
    }));
    form.starting = true;
    *slot = Some(form);
}

/// A key on the start form.
pub fn on_key(slot: &mut Option<StartForm>, cx: &mut Cx, key: KeyEvent) {
    let Some(mut form) = slot.take() else {
        cx.request(Request::Show(Screen::Picker));
        return;
    };
    if is_ctrl_c(&key) {
        *slot = Some(form);
        cx.request(Request::AskQuit);
        return;
    }
    let last = form.fields.len().saturating_sub(1);
    if form.starting {
        // Asked for already: wait for it (Esc still goes back).
        if key.code == KeyCode::Esc {
            cx.request(Request::Show(Screen::Picker));
        } else {
            *slot = Some(form);
        }
        return;
    }
    match key.code {
        KeyCode::Esc => {
            cx.request(Request::Show(Screen::Picker));
            return;
        }
        KeyCode::Up | KeyCode::BackTab => form.focus = form.focus.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => form.focus = (form.focus + 1).min(last),
        // Enter starts the incident whenever every required value has one
        // (Tab and the arrows move between fields to change them first);
        // otherwise it goes to the first value still missing.
        KeyCode::Enter => {
            submit(slot, form, cx);
            return;
        }
        _ => {
            let focus = form.focus;
            let is_sev = matches!(
                form.fields.get(focus).map(|f| &f.kind),
                Some(FieldKind::Severity)
            );
            if is_sev {
                let all = Severity::ALL;
                let cur = all.iter().position(|s| *s == form.severity).unwrap_or(0);
                let next = match key.code {
                    KeyCode::Left => Some(all[(cur + all.len() - 1) % all.len()]),
                    KeyCode::Right | KeyCode::Char(' ') => Some(all[(cur + 1) % all.len()]),
                    KeyCode::Char(c @ '1'..='4') => all.get(usize::from(c as u8 - b'1')).copied(),
                    KeyCode::Char(c) => Severity::ALL
                        .into_iter()
                        .find(|s| s.as_str().starts_with(c)),
                    _ => None,
                };
                if let Some(s) = next {
                    form.severity = s;
                    if let Some(f) = form.fields.get_mut(focus) {
                        f.input = TextInput::new(s.as_str(), false);
                    }
                }
            } else if let Some(f) = form.fields.get_mut(focus) {
                f.input.key(key);
                form.error = None;
            }
        }
    }
    *slot = Some(form);
}

/// Draw the start form.
pub fn draw(form: Option<&StartForm>, cx: &Vcx, frame: &mut Frame, area: Rect) {
    let theme = cx.theme;
    let Some(form) = form else { return };
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
