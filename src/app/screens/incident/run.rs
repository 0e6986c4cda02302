//! Running a runbook command from the incident screen: `r` picks the
//! command, asks for a blank variable it needs, expands and quotes it, logs
//! the request and opens the confirmation the runbook asks for; the
//! runner's reports fill the output pane and the log.

use crate::app::action::{Effect, Notice, RunRequest};
use crate::app::context::Cx;
use crate::app::overlays::open_prompt as prompt;
use crate::app::overlays::{Confirmation, Overlay, PromptKind};
use crate::app::session::{OUTPUT_LINES, RunView, Selectable, Session, emit};
use crate::app::widgets::input::TextInput;
use crate::incident::EventKind;
use crate::ui::keymap::Cmd;

/// `r`: the selected runnable command (else the step's first runnable one),
/// expanded, logged as requested, then confirmed as the runbook asks.
pub fn request(s: &mut Session, cx: &mut Cx) {
    let now = cx.now;
    let dry = cx.settings.dry_run;
    let timeout_default = cx.settings.command_timeout;
    let shell = cx.settings.shell.clone();
    let cur = s.current_index();
    let Some(step) = s.runbook.steps.get(cur) else {
        return;
    };
    let index = match s.selected_item() {
        Some(Selectable::Command(i)) => Some(i),
        _ => step.commands.iter().position(|c| c.runnable),
    };
    let Some((index, cmd)) = index.and_then(|i| step.commands.get(i).map(|c| (i, c))) else {
        cx.notices
            .push(Notice::info("this step has no runnable command"));
        return;
    };
    if !cmd.runnable {
        cx.notices.push(Notice::info(format!(
            "this command is display-only (the runbook does not mark it runnable); press {} to copy it",
            cx.keymap.hint(Cmd::Copy)
        )));
        return;
    }
    let forced_dry = dry || s.incident.dry_run || s.incident.rehearsal;
    if !s.trusted && !forced_dry {
        cx.notices.push(Notice::warning(format!(
            "this runbook is not trusted, so its commands are display-only: press {} to trust this file (or run `mayday trust {}`)",
            cx.keymap.hint(Cmd::Trust),
            s.runbook.path
        )));
        return;
    }
    if s.run.as_ref().is_some_and(|r| r.finished.is_none()) {
        cx.notices.push(Notice::info(format!(
            "a command is still running; {} cancels it",
            cx.keymap.hint(Cmd::Cancel)
        )));
        return;
    }
    if !s.incident.is_open() {
        cx.notices.push(Notice::info("the incident is resolved"));
        return;
    }
    // A variable the command uses may not be blank (`kubectl -n  get
    // pods`): ask for it now, showing the command, then go on.
    let blank = crate::runbook::template::find(&cmd.text)
        .into_iter()
        .map(|r| r.name)
        .find(|n| {
            s.runbook.variables.iter().any(|v| v.name == *n)
                && s.incident
                    .variables
                    .get(*n)
                    .is_none_or(|v| v.trim().is_empty())
        })
        .map(str::to_owned);
    if let Some(name) = blank {
        let first = cmd.text.lines().next().unwrap_or("").to_owned();
        let label = s
            .runbook
            .variables
            .iter()
            .find(|v| v.name == name)
            .and_then(|v| v.prompt.clone())
            .unwrap_or_else(|| name.clone());
        *cx.overlay = Some(prompt(
            PromptKind::Variable { name: name.clone() },
            format!("`{name}` is needed to run this command"),
            format!(
                "{label} — for: {}. Enter sets it (logged) and goes on to run · Esc cancels",
                crate::util::sanitize::line(&first)
            ),
            TextInput::new("", false),
        ));
        return;
    }
    let expanded = match crate::exec::expand_command(&cmd.text, &s.incident.variables) {
        Ok(t) => t,
        Err(e) => {
            cx.notices.push(Notice::error(format!("not run: {e}")));
            return;
        }
    };
    let text = expanded.text;
    let step_id = step.id.clone();
    let request = RunRequest {
        text: text.clone(),
        cwd: cmd
            .cwd
            .as_ref()
            .map(|c| crate::exec::expand(c, &s.incident.variables)),
        timeout: cmd.timeout,
        vars: s.incident.variables.clone(),
        dry_run: forced_dry,
        ok_exit: cmd.ok_exit.clone(),
    };
    let phrase = crate::exec::expand(
        cmd.phrase.as_deref().unwrap_or(s.runbook.default_phrase()),
        &s.incident.variables,
    );
    // A raw fragment is the runbook's own choice, but never unasked.
    let level = if expanded.raw {
        match cmd.confirm {
            crate::runbook::Confirm::None => crate::runbook::Confirm::Confirm,
            other => other,
        }
    } else {
        cmd.confirm
    };
    let spec = crate::exec::CommandSpec {
        text: text.clone(),
        shell,
        cwd: request.cwd.as_ref().map(std::path::PathBuf::from),
        vars: request.vars.clone(),
        timeout: request.timeout.unwrap_or(timeout_default),
        scrub_env: Vec::new(),
        secrets: Vec::new(),
        ok_exit: request.ok_exit.clone(),
    };
    let mut preview = crate::exec::preview(&spec);
    if expanded.raw {
        preview.push(
            "RAW: the runbook pastes a value unquoted ({{name|raw}}): read the command above"
                .into(),
        );
    }
    if request.dry_run {
        preview.push("DRY RUN: nothing will be executed; the log records it as a dry run".into());
    }
    emit(
        s,
        EventKind::CommandRequested {
            step: step_id.clone(),
            index,
            text: text.clone(),
        },
        now,
        cx.fx,
    );
    let c = Confirmation {
        step: step_id,
        index,
        text,
        preview,
        level,
        phrase,
        typed: TextInput::new("", false),
        error: None,
        request,
    };
    if level == crate::runbook::Confirm::None {
        confirmed(s, cx, &c);
    } else {
        *cx.overlay = Some(Overlay::Confirm(Box::new(c)));
    }
}

/// The command was confirmed (or needs no confirmation): log it and run it.
pub fn confirmed(s: &mut Session, cx: &mut Cx, c: &Confirmation) {
    let now = cx.now;
    let timeout = c.request.timeout.unwrap_or(cx.settings.command_timeout);
    emit(
        s,
        EventKind::CommandConfirmed {
            step: c.step.clone(),
            index: c.index,
        },
        now,
        cx.fx,
    );
    s.run = Some(RunView {
        step: c.step.clone(),
        index: c.index,
        text: c.text.clone(),
        started_at: now,
        pid: None,
        dry_run: c.request.dry_run,
        output: std::collections::VecDeque::new(),
        partial: String::new(),
        finished: None,
        timeout,
        shell: None,
    });
    cx.fx.push(Effect::RunCommand(c.request.clone()));
}

/// What the running command reported.
pub fn on_exec(s: &mut Session, cx: &mut Cx, event: crate::exec::ExecEvent) {
    use crate::exec::ExecEvent;
    let now = cx.now;
    let Some(run) = s.run.as_mut() else { return };
    match event {
        ExecEvent::Started { pid, shell } => {
            run.pid = pid;
            run.shell.clone_from(&shell);
            let kind = EventKind::CommandStarted {
                step: run.step.clone(),
                index: run.index,
                text: run.text.clone(),
                pid,
                cwd: std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
                timeout_secs: run.timeout.as_secs(),
                dry_run: run.dry_run,
                shell,
            };
            emit(s, kind, now, cx.fx);
        }
        ExecEvent::Output { text, .. } => {
            for (i, piece) in text.split('\n').enumerate() {
                if i > 0 {
                    let line = std::mem::take(&mut run.partial);
                    if run.output.len() >= OUTPUT_LINES {
                        run.output.pop_front();
                    }
                    run.output.push_back(line);
                }
                run.partial.push_str(piece);
            }
        }
        ExecEvent::Finished(f) => {
            if !run.partial.is_empty() {
                let line = std::mem::take(&mut run.partial);
                run.output.push_back(line);
            }
            let kind = EventKind::CommandFinished {
                step: run.step.clone(),
                index: run.index,
                exit_code: f.exit_code,
                signal: f.signal,
                duration_ms: u64::try_from(f.duration.as_millis()).unwrap_or(u64::MAX),
                timed_out: f.timed_out,
                cancelled: f.cancelled,
                dry_run: f.dry_run,
                output_tail: f.tail.clone(),
                output_truncated: f.truncated,
                ok: (!f.dry_run).then_some(f.ok),
                failed_line: f.failed_line,
                failed_command: f
                    .failed_line
                    .and_then(|l| run.text.lines().nth(l.saturating_sub(1) as usize))
                    .map(|l| l.trim().to_owned()),
                abandoned_at_quit: false,
            };
            let failed = !f.succeeded() && !f.dry_run;
            let how = if f.timed_out {
                "timed out".to_owned()
            } else if f.cancelled {
                "was cancelled".to_owned()
            } else if let Some(e) = &f.spawn_error {
                format!("could not start ({e})")
            } else if let Some(code) = f.exit_code {
                format!("exited with {code}")
            } else if let Some(sig) = f.signal {
                format!("was killed by signal {sig}")
            } else {
                "failed".to_owned()
            };
            // Name the command that failed: the line the shell reported,
            // else the block's only line, else the block.
            let first = match f.failed_line {
                Some(l) => run
                    .text
                    .lines()
                    .nth(l.saturating_sub(1) as usize)
                    .unwrap_or("")
                    .trim()
                    .to_owned(),
                None if run.text.lines().count() == 1 => run.text.trim().to_owned(),
                None => format!("{} …", run.text.lines().next().unwrap_or("").trim()),
            };
            run.finished = Some(f);
            emit(s, kind, now, cx.fx);
            if failed {
                s.note_template = Some(format!("`{first}` {how}: "));
                cx.notices.push(Notice::warning(format!(
                    "the command {how}; press {} to note what it means",
                    cx.keymap.hint(Cmd::Note)
                )));
            }
        }
    }
}
