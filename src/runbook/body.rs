//! The elements of a step's Markdown body, shared by both formats (a
//! Markdown section, a YAML step's `body`) and by the TUI's renderer:
//! fenced commands and their attributes, checklists, `**Verify:**` and
//! `**Wait:**` lines.

use super::common::{default_confirm, not_runnable_diag, squash};
use super::model::*;
use crate::status::health::Health;
use crate::util::diag::{Diagnostic, Pos};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// The Markdown options Mayday parses with (the TUI renders with the same).
pub fn options() -> Options {
    Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// A bold paragraph marker that gives a paragraph its meaning.
pub enum Marker {
    /// `**Decision:**` — a question and its choices.
    Decision,
    /// `**Verify:**` — a status condition.
    Verify,
    /// `**Wait:**` — a timed wait.
    Wait,
}

/// The marker a bold text is (`Decision:`, `Verify`, …), if any.
pub fn marker(strong_text: &str) -> Option<Marker> {
    let t = strong_text
        .trim()
        .trim_end_matches(':')
        .trim()
        .to_lowercase();
    match t.as_str() {
        "decision" | "decide" => Some(Marker::Decision),
        "verify" => Some(Marker::Verify),
        "wait" => Some(Marker::Wait),
        _ => None,
    }
}

/// The fenced code blocks and task-list items of a Markdown fragment (a
/// YAML step's `body`), as commands and checklist items.
pub(crate) fn body_elements(
    md: &str,
    kind: StepKind,
    at: Pos,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Command>, Vec<ChecklistItem>) {
    let mut commands = Vec::new();
    let mut items = Vec::new();
    if md.is_empty() {
        return (commands, items);
    }
    let mut code: Option<(String, String)> = None;
    let mut task: Option<(bool, usize)> = None;
    let mut nested_at: Option<usize> = None;
    let mut depth = 0usize;
    let mut item_depth: Vec<usize> = Vec::new();
    for (event, range) in Parser::new_ext(md, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                code = Some((info.to_string(), String::new()))
            }
            Event::Text(t) => {
                if let Some((_, text)) = code.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((info, text)) = code.take() {
                    commands.push(command(&info, text, at, kind, diags));
                }
            }
            Event::Start(Tag::List(_)) => {
                if task.is_some() && nested_at.is_none() && item_depth.last() == Some(&depth) {
                    nested_at = Some(range.start);
                }
                depth += 1;
            }
            Event::End(TagEnd::List(_)) => depth = depth.saturating_sub(1),
            Event::Start(Tag::Item) => item_depth.push(depth),
            Event::TaskListMarker(checked) => {
                task = Some((checked, range.end));
                nested_at = None;
            }
            Event::End(TagEnd::Item) => {
                let d = item_depth.pop();
                if let (Some((checked, start)), true) = (task, d.is_some()) {
                    let end = nested_at.unwrap_or(range.end);
                    items.push(ChecklistItem {
                        text: squash(&md[start.min(end)..end]),
                        checked,
                        pos: at,
                    });
                    task = None;
                    nested_at = None;
                }
            }
            _ => {}
        }
    }
    (commands, items)
}

/// Tidy a decision choice's label: `Yes, it answers → Check the pool` stays
/// readable; trailing arrows and colons go.
pub(crate) fn tidy_label(label: &str) -> String {
    let l = squash(label);
    l.trim_end_matches(['→', ':', '-', '>', '=', ' '])
        .to_owned()
}

/// Parse a fenced block's info string: `sh {run confirm=typed timeout=2m}`.
pub(crate) fn command(
    info: &str,
    text: String,
    at: Pos,
    kind: StepKind,
    diags: &mut Vec<Diagnostic>,
) -> Command {
    let info = info.trim();
    let (lang_part, attrs) = match info.find('{') {
        Some(i) => {
            let inner = &info[i + 1..];
            let inner = inner.rfind('}').map_or(inner, |j| &inner[..j]);
            (&info[..i], Some(inner))
        }
        None => (info, None),
    };
    let language = lang_part
        .split_whitespace()
        .next()
        .map(str::to_owned)
        .filter(|l| !l.is_empty());
    let mut cmd = Command {
        language,
        text: text.trim_end_matches('\n').to_owned(),
        runnable: false,
        confirm: Confirm::Confirm,
        confirm_explicit: false,
        timeout: None,
        dangerous: false,
        phrase: None,
        cwd: None,
        ok_exit: Vec::new(),
        source: None,
        window: None,
        pos: at,
    };
    if super::query::QueryLanguage::of(cmd.language.as_deref()).is_some() {
        // `promql source=prod window=1h` or `promql {source=prod}`.
        let rest = lang_part
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ");
        let mut tokens = split_attrs(&rest);
        tokens.extend(attrs.map(split_attrs).unwrap_or_default());
        query_attrs(&mut cmd, tokens, diags);
        return cmd;
    }
    let Some(attrs) = attrs else { return cmd };
    let tokens = split_attrs(attrs);
    if !tokens.iter().any(|(k, v)| k == "run" && v.is_none()) {
        // `{.numberLines}` and other attribute blocks: not ours.
        return cmd;
    }
    if !is_shell_language(cmd.language.as_deref()) {
        diags.push(not_runnable_diag(at, cmd.language.as_deref()));
        return cmd;
    }
    cmd.runnable = true;
    let mut confirm = None;
    for (key, value) in tokens {
        match (key.as_str(), value) {
            ("run", None) => {}
            ("dangerous", None) => cmd.dangerous = true,
            ("dangerous", Some(v)) => cmd.dangerous = matches!(v.as_str(), "true" | "yes" | "1"),
            ("confirm", Some(v)) => match v.parse::<Confirm>() {
                Ok(c) => confirm = Some(c),
                Err(e) => diags.push(Diagnostic::error("unknown-confirm", at, e)),
            },
            ("timeout", Some(v)) => match crate::util::duration::parse(&v) {
                Ok(d) => cmd.timeout = Some(d),
                Err(e) => diags.push(
                    Diagnostic::error("invalid-duration", at, format!("timeout: {e}"))
                        .with_hint("write a duration such as `30s`, `2m` or `1h30m`"),
                ),
            },
            ("phrase", Some(v)) => cmd.phrase = Some(v),
            ("cwd", Some(v)) => cmd.cwd = Some(v),
            ("ok_exit", Some(v)) => match super::model::parse_exit_codes(&v) {
                Ok(c) => cmd.ok_exit = c,
                Err(e) => diags.push(
                    Diagnostic::error("invalid-exit-codes", at, format!("ok_exit: {e}"))
                        .with_hint("write the codes that mean success, quoted when more than one: ok_exit=\"0,1\""),
                ),
            },
            (k, _) => diags.push(
                Diagnostic::warning("unknown-attribute", at, format!("unknown attribute `{k}` in `{{run …}}`"))
                    .with_hint("known: confirm=none|confirm|typed, timeout=DURATION, dangerous, phrase=TEXT, cwd=DIR, ok_exit=CODES"),
            ),
        }
    }
    match confirm {
        Some(c) => {
            cmd.confirm = c;
            cmd.confirm_explicit = true;
        }
        None => cmd.confirm = default_confirm(cmd.dangerous, kind),
    }
    cmd
}

/// The attributes of a query block: `source=NAME`, `window=DURATION`.
fn query_attrs(
    cmd: &mut Command,
    tokens: Vec<(String, Option<String>)>,
    diags: &mut Vec<Diagnostic>,
) {
    let at = cmd.pos;
    for (key, value) in tokens {
        match (key.as_str(), value) {
            ("source", Some(v)) if !v.trim().is_empty() => cmd.source = Some(v.trim().to_owned()),
            ("window", Some(v)) => match crate::util::duration::parse(&v) {
                Ok(d) if !d.is_zero() => cmd.window = Some(d),
                Ok(_) => diags.push(Diagnostic::error(
                    "invalid-duration",
                    at,
                    "window: a chart window cannot be zero",
                )),
                Err(e) => diags.push(
                    Diagnostic::error("invalid-duration", at, format!("window: {e}"))
                        .with_hint("write a duration such as `30m`, `1h` or `6h`"),
                ),
            },
            (k, _) => diags.push(
                Diagnostic::warning(
                    "unknown-attribute",
                    at,
                    format!("unknown attribute `{k}` on a query block"),
                )
                .with_hint(
                    "known: source=NAME (a configured source), window=DURATION (the chart's span)",
                ),
            ),
        }
    }
}

/// Split `run confirm=typed phrase="two words"` into key/value pairs.
pub(crate) fn split_attrs(s: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        let mut value = None;
        if chars.peek() == Some(&'=') {
            chars.next();
            let mut v = String::new();
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        v.push(c);
                    }
                }
                _ => {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        v.push(c);
                        chars.next();
                    }
                }
            }
            value = Some(v);
        }
        out.push((key.trim_start_matches('.').to_owned(), value));
    }
    out
}

/// `` `api` is `up` for 2m `` → a condition. Text that does not start with a
/// code span is prose, not a condition.
pub(crate) fn verify_condition(
    text: &str,
    at: Pos,
    diags: &mut Vec<Diagnostic>,
) -> Option<VerifyCondition> {
    let text = text.trim();
    let body = text.strip_prefix("source ").unwrap_or(text).trim_start();
    if !body.starts_with('`') {
        diags.push(
            Diagnostic::error(
                "invalid-verify",
                at,
                format!("cannot read the condition `{}`", text),
            )
            .with_hint(
                "write `` `SOURCE` is `up` for 2m `` (state: up, degraded, down or unknown)",
            ),
        );
        return None;
    }
    let plain: String = body.replace('`', "");
    let plain = plain.trim_end_matches('.');
    let words: Vec<&str> = plain.split_whitespace().collect();
    let fail = |diags: &mut Vec<Diagnostic>, why: String| {
        diags.push(Diagnostic::error("invalid-verify", at, why).with_hint(
            "write `` `SOURCE` is `up` for 2m `` (state: up, degraded, down or unknown)",
        ));
        None
    };
    if words.len() < 3 || words[1] != "is" {
        return fail(diags, format!("cannot read the condition `{text}`"));
    }
    let state = match words[2].parse::<Health>() {
        Ok(s) => s,
        Err(e) => return fail(diags, e),
    };
    let for_ = match words.get(3) {
        None => std::time::Duration::ZERO,
        Some(&"for") => match crate::util::duration::parse(&words[4..].join(" ")) {
            Ok(d) => d,
            Err(e) => {
                diags.push(
                    Diagnostic::error("invalid-duration", at, format!("verify `for`: {e}"))
                        .with_hint("write a duration such as `30s`, `2m` or `1h30m`"),
                );
                return None;
            }
        },
        Some(_) => {
            return fail(
                diags,
                format!(
                    "cannot read the condition `{text}`: expected `for DURATION` after the state"
                ),
            );
        }
    };
    Some(VerifyCondition {
        source: words[0].to_owned(),
        state,
        for_,
        pos: at,
    })
}

/// `5m — let the replicas catch up`.
pub fn wait(rest: &str, at: Pos) -> Result<Wait, Diagnostic> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    for n in (1..=words.len().min(4)).rev() {
        let candidate = words[..n].join(" ");
        let candidate = candidate.trim_end_matches([',', ':', ';', '.']);
        if let Ok(d) = crate::util::duration::parse(candidate) {
            let reason = words[n..].join(" ");
            let reason = reason
                .trim_start_matches(['—', '–', '-', ':', ',', ' '])
                .trim();
            let reason = reason.strip_prefix("for ").unwrap_or(reason);
            return Ok(Wait {
                duration: d,
                reason: reason.to_owned(),
                pos: at,
            });
        }
    }
    Err(Diagnostic::error(
        "invalid-wait",
        at,
        format!("a wait without a duration: `{rest}`"),
    )
    .with_hint("write `**Wait:** 5m — the reason`"))
}
