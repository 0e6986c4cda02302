//! YAML runbooks, and the YAML front matter of Markdown runbooks.

use super::common::{
    AutoIds, Loaded, RawHeader, RawLink, RawVariables, apply_header, default_confirm,
    empty_runbook, link, not_runnable, squash, unique_slug,
};
use super::model::*;
use super::template;
use crate::status::health::Health;
use crate::util::diag::{Diagnostic, Pos};
use crate::util::yaml::{DurationText, OneOrMany, Scalar, pos_of};
use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    text: Spanned<String>,
    language: Option<String>,
    #[serde(default)]
    run: bool,
    confirm: Option<Spanned<String>>,
    timeout: Option<Spanned<DurationText>>,
    #[serde(default)]
    dangerous: bool,
    phrase: Option<String>,
    cwd: Option<String>,
    #[serde(default)]
    ok_exit: Vec<i32>,
    source: Option<String>,
    window: Option<Spanned<DurationText>>,
}

#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum RawCheckItem {
    Text(String),
    Item {
        text: String,
        #[serde(default)]
        checked: bool,
    },
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    label: String,
    goto: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawDecision {
    question: Spanned<String>,
    #[serde(default)]
    choices: Vec<Spanned<RawChoice>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    source: String,
    state: Spanned<String>,
    #[serde(rename = "for")]
    for_: Option<Spanned<DurationText>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawWait {
    duration: Option<Spanned<DurationText>>,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Option<Spanned<String>>,
    title: Spanned<String>,
    kind: Option<Spanned<String>>,
    body: Option<Spanned<String>>,
    #[serde(default)]
    commands: Vec<Spanned<RawCommand>>,
    #[serde(default)]
    checklist: Vec<Spanned<RawCheckItem>>,
    #[serde(default)]
    decisions: Vec<Spanned<RawDecision>>,
    #[serde(default)]
    verify: Vec<Spanned<RawVerify>>,
    #[serde(default)]
    waits: Vec<Spanned<RawWait>>,
    #[serde(default)]
    links: Vec<Spanned<RawLink>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawRunbook {
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    #[serde(alias = "description")]
    summary: Option<String>,
    severity: Option<Spanned<Scalar>>,
    #[serde(default)]
    tags: OneOrMany,
    #[serde(default, alias = "service")]
    services: OneOrMany,
    #[serde(alias = "team")]
    owner: Option<String>,
    #[serde(default, alias = "alert")]
    alerts: OneOrMany,
    #[serde(default)]
    sources: OneOrMany,
    query_source: Option<String>,
    variables: Option<RawVariables>,
    intro: Option<Spanned<String>>,
    #[serde(default)]
    steps: Option<Spanned<Vec<Spanned<RawStep>>>>,
    #[serde(default)]
    links: Vec<Spanned<RawLink>>,
}

fn parse_duration_at(
    d: &Spanned<DurationText>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<std::time::Duration> {
    match crate::util::yaml::spanned_duration(d, what) {
        Ok(v) => Some(v),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// Record every `{{name}}` in a YAML string value.
fn note_vars(text: &str, at: Pos, uses: &mut Vec<VarUse>) {
    for r in template::find(text) {
        let before = &text[..r.start];
        let nl = before.matches('\n').count() as u32;
        let column = if nl == 0 {
            at.column + before.chars().count() as u32
        } else {
            before
                .rsplit('\n')
                .next()
                .map_or(0, |l| l.chars().count() as u32)
                + 1
        };
        uses.push(VarUse {
            name: r.name.to_owned(),
            pos: Pos::new(at.line + nl, column),
        });
    }
}

/// Load a YAML runbook.
pub(crate) fn load(text: &str, file_id: &str) -> Loaded {
    let mut diags = Vec::new();
    let raw: RawRunbook = match serde_saphyr::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            diags.push(crate::util::yaml::yaml_error(
                &e,
                text,
                0,
                "yaml-syntax",
                "docs/runbook-format.md",
            ));
            return Loaded {
                runbook: None,
                diagnostics: diags,
            };
        }
    };
    let mut rb = empty_runbook(file_id, Format::Yaml);
    let RawRunbook {
        id,
        title,
        summary,
        severity,
        tags,
        services,
        owner,
        alerts,
        sources,
        query_source,
        variables,
        intro,
        steps,
        links,
    } = raw;
    apply_header(
        &mut rb,
        (RawHeader {
            id,
            title,
            summary,
            severity,
            tags,
            services,
            owner,
            alerts,
            sources,
            query_source,
            variables,
        })
        .into_header(0),
        &mut diags,
    );
    let mut uses = Vec::new();
    if let Some(intro) = intro {
        note_vars(&intro.value, pos_of(&intro.referenced), &mut uses);
        rb.intro = intro.value.trim().to_owned();
    }
    rb.links = links.into_iter().map(link).collect();
    let mut auto_ids = AutoIds::default();
    let steps = match steps {
        Some(st) => {
            rb.steps_pos = Some(pos_of(&st.referenced));
            st.value
        }
        None => Vec::new(),
    };
    let mut built: Vec<(Step, (usize, usize))> = Vec::new();
    for (i, raw_step) in steps.into_iter().enumerate() {
        let step_pos = pos_of(&raw_step.referenced);
        let s = raw_step.value;
        let title = s.title.value.trim().to_owned();
        note_vars(&title, pos_of(&s.title.referenced), &mut uses);
        let kind = match &s.kind {
            Some(k) => match k.value.trim().parse::<StepKind>() {
                Ok(k) => k,
                Err(e) => {
                    diags.push(Diagnostic::error("unknown-kind", pos_of(&k.referenced), e));
                    StepKind::infer(&title)
                }
            },
            None => StepKind::infer(&title),
        };
        let (id, explicit_id) = match s.id {
            Some(id) => (id.value, true),
            None => (unique_slug(&title, i, &mut auto_ids), false),
        };
        let mut commands = Vec::new();
        for c in s.commands {
            let cpos = pos_of(&c.referenced);
            let c = c.value;
            note_vars(&c.text.value, pos_of(&c.text.referenced), &mut uses);
            let (confirm, confirm_explicit) = match &c.confirm {
                Some(level) => match level.value.trim().parse::<Confirm>() {
                    Ok(l) => (l, true),
                    Err(e) => {
                        diags.push(Diagnostic::error(
                            "unknown-confirm",
                            pos_of(&level.referenced),
                            e,
                        ));
                        (Confirm::Confirm, false)
                    }
                },
                None => (default_confirm(c.dangerous, kind), false),
            };
            let language = c.language.filter(|l| !l.trim().is_empty());
            if c.run && !is_shell_language(language.as_deref()) {
                diags.push(not_runnable(cpos, language.as_deref()));
            }
            commands.push(Command {
                runnable: c.run && is_shell_language(language.as_deref()),
                language,
                text: c.text.value.trim_end_matches('\n').to_owned(),
                confirm,
                confirm_explicit,
                timeout: c
                    .timeout
                    .as_ref()
                    .and_then(|t| parse_duration_at(t, "timeout", &mut diags)),
                dangerous: c.dangerous,
                phrase: c.phrase,
                cwd: c.cwd,
                ok_exit: if c.ok_exit.iter().all(|c| (0..=255).contains(c)) {
                    c.ok_exit
                } else {
                    diags.push(
                        Diagnostic::error(
                            "invalid-exit-codes",
                            cpos,
                            "ok_exit: exit codes are 0–255",
                        )
                        .with_hint("list the codes that mean success, such as `ok_exit: [0, 1]`"),
                    );
                    Vec::new()
                },
                source: c.source.filter(|s| !s.trim().is_empty()),
                window: c
                    .window
                    .as_ref()
                    .and_then(|t| parse_duration_at(t, "window", &mut diags)),
                pos: cpos,
            });
        }
        let checklist: Vec<ChecklistItem> = s
            .checklist
            .into_iter()
            .map(|item| {
                let pos = pos_of(&item.referenced);
                let (text, checked) = match item.value {
                    RawCheckItem::Text(t) => (t, false),
                    RawCheckItem::Item { text, checked } => (text, checked),
                };
                note_vars(&text, pos, &mut uses);
                ChecklistItem {
                    text: squash(&text),
                    checked,
                    pos,
                }
            })
            .collect();
        let mut decisions = Vec::new();
        for d in s.decisions {
            let dpos = pos_of(&d.referenced);
            let d = d.value;
            note_vars(&d.question.value, pos_of(&d.question.referenced), &mut uses);
            if d.choices.is_empty() {
                diags.push(
                    Diagnostic::error("invalid-decision", dpos, "a decision without choices")
                        .with_hint("add `choices:` with a `label` and a `goto` step id each"),
                );
            }
            let choices = d
                .choices
                .into_iter()
                .map(|c| {
                    let pos = pos_of(&c.referenced);
                    let goto = match c.value.goto {
                        Some(g) => g.value.trim().trim_start_matches('#').to_owned(),
                        None => {
                            diags.push(
                                Diagnostic::error(
                                    "invalid-decision",
                                    pos,
                                    format!(
                                        "choice `{}` does not say which step it leads to",
                                        c.value.label
                                    ),
                                )
                                .with_hint("add `goto: STEP_ID`"),
                            );
                            String::new()
                        }
                    };
                    Choice {
                        label: c.value.label,
                        goto,
                        pos,
                    }
                })
                .collect();
            decisions.push(Decision {
                question: d.question.value.trim().to_owned(),
                choices,
                pos: dpos,
            });
        }
        let mut verify = Vec::new();
        for v in s.verify {
            let vpos = pos_of(&v.referenced);
            let v = v.value;
            let state = match v.state.value.parse::<Health>() {
                Ok(h) => h,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "invalid-verify",
                        pos_of(&v.state.referenced),
                        e,
                    ));
                    continue;
                }
            };
            let for_ = match &v.for_ {
                Some(d) => match parse_duration_at(d, "`for`", &mut diags) {
                    Some(d) => d,
                    None => continue,
                },
                None => std::time::Duration::ZERO,
            };
            verify.push(VerifyCondition {
                source: v.source,
                state,
                for_,
                pos: vpos,
            });
        }
        let mut waits = Vec::new();
        for w in s.waits {
            let wpos = pos_of(&w.referenced);
            let w = w.value;
            note_vars(&w.reason, wpos, &mut uses);
            let Some(d) = &w.duration else {
                diags.push(
                    Diagnostic::error("invalid-wait", wpos, "a wait without a duration")
                        .with_hint("add `duration: 5m`"),
                );
                continue;
            };
            if let Some(duration) = parse_duration_at(d, "wait", &mut diags) {
                waits.push(Wait {
                    duration,
                    reason: w.reason.trim().to_owned(),
                    pos: wpos,
                });
            }
        }
        let links: Vec<Link> = s.links.into_iter().map(link).collect();
        let (prose, body_pos) = match &s.body {
            Some(b) => {
                note_vars(&b.value, pos_of(&b.referenced), &mut uses);
                (b.value.trim().to_owned(), pos_of(&b.referenced))
            }
            None => (String::new(), step_pos),
        };
        // Fenced blocks and task items inside the body are commands and
        // checklist items too, as in Markdown runbooks, and come first.
        let (mut body_cmds, mut body_items) =
            super::body::body_elements(&prose, kind, body_pos, &mut diags);
        let counts = (body_cmds.len(), body_items.len());
        body_cmds.extend(commands);
        let commands = body_cmds;
        body_items.extend(checklist);
        let checklist = body_items;
        let mut step = Step {
            id,
            title,
            kind,
            body: String::new(),
            commands,
            checklist,
            decisions,
            verify,
            waits,
            links,
            explicit_id,
            pos: step_pos,
        };
        step.body = prose;
        built.push((step, counts));
    }
    let titles: std::collections::HashMap<String, String> = built
        .iter()
        .map(|(s, _)| (s.id.clone(), s.title.clone()))
        .collect();
    for (mut step, counts) in built {
        step.body = step_markdown(&step.body, &step, &titles, counts);
        rb.steps.push(step);
    }
    rb.var_uses = uses;
    Loaded {
        runbook: Some(rb),
        diagnostics: diags,
    }
}

/// The Markdown a YAML step is shown as: its prose, then its commands,
/// checklist, decisions, verify conditions, waits and links, written in the
/// Markdown spelling so both formats render the same way.
fn step_markdown(
    prose: &str,
    step: &Step,
    titles: &std::collections::HashMap<String, String>,
    (body_commands, body_items): (usize, usize),
) -> String {
    let mut md = String::from(prose);
    let para = |md: &mut String, text: &str| {
        if !md.is_empty() {
            md.push_str("\n\n");
        }
        md.push_str(text);
    };
    // Commands and checklist items written inside the body are already in it.
    for c in step.commands.iter().skip(body_commands) {
        let longest = longest_run(&c.text, '`').max(2);
        let fence = "`".repeat(longest + 1);
        let lang = c.language.as_deref().unwrap_or("sh");
        let info = if c.runnable {
            format!("{lang} {{run}}")
        } else {
            lang.to_owned()
        };
        para(&mut md, &format!("{fence}{info}\n{}\n{fence}", c.text));
    }
    if step.checklist.len() > body_items {
        let list: Vec<String> = step
            .checklist
            .iter()
            .skip(body_items)
            .map(|i| format!("- [{}] {}", if i.checked { "x" } else { " " }, i.text))
            .collect();
        para(&mut md, &list.join("\n"));
    }
    for w in &step.waits {
        let reason = if w.reason.is_empty() {
            String::new()
        } else {
            format!(" — {}", one_line(&w.reason))
        };
        para(
            &mut md,
            &format!(
                "**Wait:** {}{reason}",
                crate::util::duration::format(w.duration)
            ),
        );
    }
    for v in &step.verify {
        para(&mut md, &format!("**Verify:** {v}"));
    }
    if !step.links.is_empty() {
        let list: Vec<String> = step
            .links
            .iter()
            .map(|l| format!("- [{}]({})", one_line(&l.text), l.url))
            .collect();
        para(&mut md, &list.join("\n"));
    }
    for d in &step.decisions {
        para(&mut md, &format!("**Decision:** {}", one_line(&d.question)));
        let list: Vec<String> = d
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let title = titles.get(&c.goto).map_or(c.goto.as_str(), String::as_str);
                format!(
                    "{}. {} → [{}](#{})",
                    i + 1,
                    one_line(&c.label),
                    one_line(title),
                    c.goto
                )
            })
            .collect();
        para(&mut md, &list.join("\n"));
    }
    md
}

fn one_line(s: &str) -> String {
    squash(s)
}

fn longest_run(s: &str, ch: char) -> usize {
    let mut best = 0;
    let mut cur = 0;
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}
