//! What the incident asks of the outside: silence its alert in
//! Alertmanager (and expire that silence when it resolves); acknowledge
//! the page it was started from, resolve it, mirror notes onto it. Each
//! call goes out as `Effect::Call`; its answer comes back here and is
//! logged (`source_called`), success or not, so the timeline says what was
//! done in whose name — and a failed call is a message, never lost work.

use crate::app::action::{Called, Effect, Notice};
use crate::app::context::Cx;
use crate::app::overlays::{Overlay, PromptKind, open_prompt};
use crate::app::session::{Session, emit};
use crate::app::settings::{Settings, Writable};
use crate::app::widgets::input::TextInput;
use crate::incident::EventKind;
use crate::status::Call;

/// The longest silence asked for from here.
const LONGEST_SILENCE: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Why this session must not write to a real source, if it must not: a
/// rehearsal, or a dry run.
fn hands_off(s: &Session, settings: &Settings) -> Option<&'static str> {
    if s.incident.rehearsal {
        Some("a rehearsal never writes to a real Alertmanager or pager")
    } else if s.incident.dry_run || settings.dry_run {
        Some("dry run: nothing is sent to Alertmanager or the pager")
    } else {
        None
    }
}

/// The Alertmanager to silence the incident's alert in: the one it was
/// seen in, else the first configured.
fn silencer(s: &Session, settings: &Settings) -> Result<String, String> {
    if let Some(why) = hands_off(s, settings) {
        return Err(why.into());
    }
    let Some(a) = s.incident.alert.as_ref() else {
        return Err(
            "this incident was not started from an alert: there is nothing to silence".into(),
        );
    };
    if a.labels.is_empty() {
        return Err(format!(
            "the alert {} came without labels: a silence needs them to match it",
            a.name
        ));
    }
    if settings.writable(&a.source) == Some(Writable::Alertmanager) {
        return Ok(a.source.clone());
    }
    settings
        .writable
        .iter()
        .find(|(_, w)| *w == Writable::Alertmanager)
        .map(|(name, _)| name.clone())
        .ok_or_else(|| {
            "no alertmanager source in the config: add one (kind: alertmanager) to silence alerts from here".into()
        })
}

/// The pager (and page id) the incident was started from.
fn pager(s: &Session, settings: &Settings) -> Option<(String, crate::status::Page)> {
    let a = s.incident.alert.as_ref()?;
    let page = a.page.clone()?;
    matches!(settings.writable(&a.source), Some(Writable::Pager { .. }))
        .then(|| (a.source.clone(), page))
}

/// `S`: ask how long and why, then silence the incident's alert.
pub fn ask_silence(s: &Session, cx: &mut Cx) {
    let source = match silencer(s, cx.settings) {
        Ok(src) => src,
        Err(why) => return cx.notices.push(Notice::warning(why)),
    };
    if let Some((_, id, _)) = &s.incident.silence {
        cx.notices.push(Notice::info(format!(
            "this incident already silenced its alert ({id}); this adds another silence"
        )));
    }
    let name = s.incident.alert.as_ref().map_or("", |a| a.name.as_str());
    *cx.overlay = Some(open_prompt(
        PromptKind::Silence { source },
        format!("Silence {name}"),
        "How long, then why (e.g. `2h rolling back the deploy`). Matches this alert's labels exactly. Enter silences, Esc cancels.",
        TextInput::new(
            &format!("1h {}: {}", s.incident.id, s.incident.runbook_title),
            false,
        ),
    ));
}

/// The silence prompt was submitted: `2h why …`.
pub fn submit_silence(s: &Session, cx: &mut Cx, source: &str, text: &str) -> Result<(), String> {
    let (dur, comment) = text
        .trim()
        .split_once(char::is_whitespace)
        .unwrap_or((text.trim(), ""));
    let dur = crate::util::duration::parse(dur)
        .map_err(|_| format!("`{dur}` is not a duration: start with how long, e.g. `2h`"))?;
    if dur < std::time::Duration::from_secs(60) || dur > LONGEST_SILENCE {
        return Err("a silence from here lasts between 1m and 7d".into());
    }
    let comment = comment.trim();
    if comment.is_empty() {
        return Err("say why after the duration: Alertmanager shows it to everyone".into());
    }
    let Some(a) = s.incident.alert.as_ref() else {
        return Err("this incident has no alert".into());
    };
    let ends_at = cx
        .now
        .checked_add(jiff::SignedDuration::try_from(dur).unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let mut matchers = a.labels.clone();
    matchers.insert("alertname".into(), a.name.clone());
    cx.fx.push(Effect::Call {
        source: source.to_owned(),
        call: Call::Silence {
            matchers,
            ends_at,
            created_by: s.incident.responder().to_owned(),
            comment: comment.to_owned(),
        },
    });
    cx.notices
        .push(Notice::info(format!("silencing {} in {source}…", a.name)));
    Ok(())
}

/// `A`: acknowledge the page (again, after a failure, or when the
/// config does not acknowledge on start).
pub fn acknowledge(s: &Session, cx: &mut Cx) {
    if let Some(why) = hands_off(s, cx.settings) {
        return cx.notices.push(Notice::warning(why));
    }
    match pager(s, cx.settings) {
        Some((source, page)) => {
            if s.incident.page_status.is_some() {
                cx.notices.push(Notice::info(format!(
                    "page #{} is already {}",
                    page.number,
                    s.incident.page_status.as_deref().unwrap_or("")
                )));
                return;
            }
            cx.fx.push(Effect::Call {
                source,
                call: Call::Acknowledge { page_id: page.id },
            });
        }
        None => cx.notices.push(Notice::warning(
            "this incident was not started from a page of a configured pager",
        )),
    }
}

/// A new incident (not a resume) from a page: acknowledge it, unless the
/// config says not to. Rehearsals never touch a real pager.
pub fn on_started(s: &Session, settings: &Settings, fx: &mut Vec<Effect>) {
    if hands_off(s, settings).is_some() || s.read_only.is_some() {
        return;
    }
    if let Some((source, page)) = pager(s, settings)
        && matches!(
            settings.writable(&source),
            Some(Writable::Pager {
                acknowledge: true,
                ..
            })
        )
        && page.status == "triggered"
    {
        fx.push(Effect::Call {
            source,
            call: Call::Acknowledge { page_id: page.id },
        });
    }
}

/// A note was saved: add it to the page too, when the config says so.
pub fn on_note_saved(s: &Session, settings: &Settings, text: &str, fx: &mut Vec<Effect>) {
    if hands_off(s, settings).is_some() || s.incident.page_status.as_deref() == Some("resolved") {
        return;
    }
    if let Some((source, page)) = pager(s, settings)
        && matches!(
            settings.writable(&source),
            Some(Writable::Pager {
                mirror_notes: true,
                ..
            })
        )
    {
        fx.push(Effect::Call {
            source,
            call: Call::PageNote {
                page_id: page.id,
                content: text.to_owned(),
            },
        });
    }
}

/// The incident was resolved: offer to expire its silence and resolve
/// its page, when it has them.
pub fn offer_wrap_up(s: &Session, cx: &mut Cx) {
    if hands_off(s, cx.settings).is_some() {
        return;
    }
    let silence = s
        .incident
        .silence
        .as_ref()
        .map(|(src, id, _)| (src.clone(), id.clone()));
    let page = pager(s, cx.settings)
        .filter(|_| s.incident.page_status.as_deref() != Some("resolved"))
        .map(|(src, p)| (src, p.id, p.number));
    if silence.is_some() || page.is_some() {
        *cx.overlay = Some(Overlay::ConfirmWrapUp { silence, page });
    }
}

/// A call came back: log it, and say so.
pub fn on_called(s: &mut Session, cx: &mut Cx, c: Called) {
    let ok = c.reply.is_ok();
    let result = match &c.reply {
        Ok(said) | Err(said) => crate::util::sanitize::line(said).into_owned(),
    };
    let what = c.call.name().replace('_', " ");
    let kind = EventKind::SourceCalled {
        source: c.source.clone(),
        call: c.call.name().to_owned(),
        target: c.call.target(),
        request: c.call.request(),
        until: c.call.until(),
        ok,
        result: result.clone(),
    };
    emit(s, kind, cx.now, cx.fx);
    if ok {
        cx.notices.push(Notice::info(format!(
            "{what} {} via {}: {result}",
            c.call.target(),
            c.source
        )));
    } else {
        let again = match c.call {
            Call::Silence { .. } => " — press S to try again",
            Call::Acknowledge { .. } => " — press A to try again",
            _ => "",
        };
        cx.notices.push(Notice::error(format!(
            "{what} via {} failed: {result}{again} (logged)",
            c.source
        )));
    }
    // The source's task polls again right after a call: the panel
    // shows what it changed without waiting for the interval.
}
