//! One line per event, for the log pane, review and timelines.

use super::event::EventKind;

impl EventKind {
    /// One line describing the event, for the log pane and timelines.
    /// Contains untrusted text: sanitize before drawing.
    pub fn describe(&self) -> String {
        match self {
            EventKind::IncidentStarted {
                runbook_title,
                severity,
                responder,
                rehearsal,
                alert,
                ..
            } => {
                let from = match alert.as_deref() {
                    Some(a) => {
                        let page = a
                            .page
                            .as_ref()
                            .map_or(String::new(), |p| format!(", page #{}", p.number));
                        let since = a
                            .starts_at
                            .map_or(String::new(), |t| format!(", firing since {t}"));
                        format!(" from alert {} ({}{page}{since})", a.name, a.source)
                    }
                    None => String::new(),
                };
                format!(
                    "{}incident started: {runbook_title} ({}, {severity}) by {responder}{from}",
                    if *rehearsal { "rehearsal " } else { "" },
                    severity.sev()
                )
            }
            EventKind::SessionResumed { responder } => format!("session resumed by {responder}"),
            EventKind::SessionEnded => "session ended (incident still open)".into(),
            EventKind::StepEntered { title, .. } => format!("step: {title}"),
            EventKind::StepDone { step } => format!("step done: {step}"),
            EventKind::StepSkipped { step, reason } => format!("step skipped: {step} — {reason}"),
            EventKind::ChecklistToggled { text, checked, .. } => {
                format!("{} {text}", if *checked { "[x]" } else { "[ ]" })
            }
            EventKind::DecisionTaken { label, goto, .. } => format!("decision: {label} → {goto}"),
            EventKind::WaitStarted {
                seconds, reason, ..
            } => format!(
                "wait {}{}",
                crate::util::duration::format(std::time::Duration::from_secs(*seconds)),
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(": {reason}")
                }
            ),
            EventKind::WaitFinished { cancelled, .. } => {
                if *cancelled {
                    "wait cancelled".into()
                } else {
                    "wait over".into()
                }
            }
            EventKind::Note {
                text,
                status_update,
            } => {
                if *status_update {
                    format!("status update: {text}")
                } else {
                    format!("note: {text}")
                }
            }
            EventKind::SeverityChanged { from, to } => format!("severity {from} → {to}"),
            EventKind::Mitigated => "marked mitigated".into(),
            EventKind::MitigationRetracted => "mitigated taken back: open again".into(),
            EventKind::VariableSet { name, value } => format!("variable {name} = {value}"),
            EventKind::Resolved { summary } => format!("resolved: {summary}"),
            EventKind::Reopened => "reopened".into(),
            EventKind::StatusChanged {
                source,
                from,
                to,
                summary,
                ..
            } => format!(
                "{source}: {from} → {to}{}",
                if summary.is_empty() {
                    String::new()
                } else {
                    format!(" ({summary})")
                }
            ),
            EventKind::VerifyMet {
                source,
                state,
                for_secs,
                ..
            } => format!(
                "verified: {source} is {state}{}",
                if *for_secs > 0 {
                    format!(
                        " for {}",
                        crate::util::duration::format(std::time::Duration::from_secs(*for_secs))
                    )
                } else {
                    String::new()
                }
            ),
            EventKind::CommandRequested { text, .. } => {
                format!("command requested: {}", first_line(text))
            }
            EventKind::CommandConfirmed { .. } => "command confirmed".into(),
            EventKind::CommandDeclined { .. } => "command declined".into(),
            EventKind::CommandStarted { text, dry_run, .. } => format!(
                "{}: {}",
                if *dry_run {
                    "dry run (not executed)"
                } else {
                    "command started"
                },
                first_line(text)
            ),
            EventKind::CommandFinished {
                exit_code,
                signal,
                timed_out,
                cancelled,
                dry_run,
                duration_ms,
                ok,
                failed_line,
                abandoned_at_quit,
                ..
            } => {
                let how = if *dry_run {
                    "dry run, nothing executed".to_owned()
                } else if *abandoned_at_quit {
                    "abandoned at quit (stopped)".to_owned()
                } else if *timed_out {
                    "timed out".to_owned()
                } else if *cancelled {
                    "cancelled".to_owned()
                } else if let Some(code) = exit_code {
                    match (ok, failed_line) {
                        (Some(true), _) if *code != 0 => format!("exit {code} (declared ok)"),
                        (Some(false) | None, Some(line)) => {
                            format!("exit {code}, failed at line {line}")
                        }
                        _ => format!("exit {code}"),
                    }
                } else if let Some(sig) = signal {
                    format!("killed by signal {sig}")
                } else {
                    "finished".to_owned()
                };
                format!(
                    "command finished: {how} after {}",
                    crate::util::duration::format(std::time::Duration::from_millis(*duration_ms))
                )
            }
            EventKind::RunbookSwitched { to_hash, .. } => {
                format!(
                    "switched to the changed runbook ({})",
                    &to_hash[..to_hash.len().min(12)]
                )
            }
            EventKind::Injected { description } => format!("game day: {description}"),
            EventKind::ScoreCard { .. } => "score card".into(),
            EventKind::AlertChanged {
                alert,
                source,
                status,
                silence,
            } => match silence {
                Some(sl) => format!(
                    "its alert {alert} ({source}): {status} by {} until {} — {}",
                    if sl.created_by.is_empty() {
                        "?"
                    } else {
                        &sl.created_by
                    },
                    sl.ends_at.map_or("?".to_owned(), |t| t.to_string()),
                    sl.comment
                ),
                None => format!("its alert {alert} ({source}): {status}"),
            },
            EventKind::SourceCalled {
                source,
                call,
                target,
                request,
                ok,
                result,
                ..
            } => {
                let what = call.replace('_', " ");
                let req = if request.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", first_line(request))
                };
                if *ok {
                    format!("{what} {target} via {source}{req}: {result}")
                } else {
                    format!("{what} {target} via {source}{req} FAILED: {result}")
                }
            }
            EventKind::RoleAssigned {
                role,
                responder,
                from,
            } => match from {
                Some(f) if f != responder => format!("{role}: handed from {f} to {responder}"),
                _ => format!("{responder} is {role}"),
            },
            EventKind::Evidence(e) => e.describe(),
            EventKind::LogRecovered {
                torn_bytes,
                saved_as,
            } => {
                format!(
                    "log recovered after a crash: {torn_bytes} torn byte(s) saved as {saved_as}"
                )
            }
        }
    }
}

fn first_line(s: &str) -> String {
    let mut lines = s.lines();
    let first = lines.next().unwrap_or("");
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_owned()
    }
}
