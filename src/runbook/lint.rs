//! The linter: checks on a loaded runbook beyond what loading finds.
//!
//! Loading reports what it cannot read (syntax, types, unknown kinds,
//! confirmation levels, durations); this module checks the runbook as a
//! whole: title, steps, ids, step links, variables, reachability.

use crate::runbook::{Confirm, Runbook};
use crate::util::diag::{Diagnostic, Pos};
use std::collections::{HashMap, HashSet};

/// Query blocks against the configured sources: a `source=` that names no
/// source (or one that cannot answer the block's language), and a
/// `query_source:` that names none. Diagnostics carry the runbook's path.
pub fn check_query_sources(
    rb: &Runbook,
    sources: &[crate::status::query::Queryable],
) -> Vec<Diagnostic> {
    use crate::status::query::pick_source;
    let mut out = Vec::new();
    if let Some(name) = &rb.query_source
        && !sources
            .iter()
            .any(|s| s.name == *name && crate::status::query::answers_queries(s.kind))
    {
        out.push(
            Diagnostic::warning(
                "unknown-source",
                rb.id_pos,
                format!("query_source: no configured prometheus or loki source is named `{name}`"),
            )
            .with_hint("name a source from the config's `sources:` list, or remove query_source"),
        );
    }
    for step in &rb.steps {
        for q in step.queries() {
            let Some(name) = q.command.source.as_deref() else {
                continue;
            };
            if let Err(why) = pick_source(sources, q.language, Some(name), None) {
                let known: Vec<&str> = sources
                    .iter()
                    .filter(|s| q.language.answered_by(s.kind))
                    .map(|s| s.name.as_str())
                    .collect();
                out.push(
                    Diagnostic::warning("unknown-source", q.command.pos, why).with_hint(
                        if known.is_empty() {
                            format!("no configured source answers {} blocks: add one (docs/status-sources.md)", q.language)
                        } else {
                            format!("sources that answer {} blocks: {}", q.language, known.join(", "))
                        },
                    ),
                );
            }
        }
    }
    for d in &mut out {
        d.path.clone_from(&rb.path);
    }
    out
}

/// Every check on one runbook. Diagnostics carry the runbook's path.
pub fn check(rb: &Runbook) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if rb.title.trim().is_empty() {
        out.push(
            Diagnostic::error("missing-title", Pos::new(1, 1), "the runbook has no title")
                .with_hint("start the file with `# Title`, or set `title:`"),
        );
    }
    if rb.steps.is_empty() {
        out.push(
            Diagnostic::error(
                "no-steps",
                rb.steps_pos.unwrap_or(rb.title_pos),
                "the runbook has no steps",
            )
            .with_hint("add a `## Section` per step (Markdown) or a `steps:` list (YAML)"),
        );
    }
    check_step_ids(rb, &mut out);
    check_targets(rb, &mut out);
    check_variables(rb, &mut out);
    check_commands(rb, &mut out);
    check_reachability(rb, &mut out);
    for d in &mut out {
        d.path.clone_from(&rb.path);
    }
    out
}

fn check_step_ids(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, step) in rb.steps.iter().enumerate() {
        if let Some(&first) = seen.get(step.id.as_str()) {
            let other = &rb.steps[first];
            out.push(
                Diagnostic::error(
                    "duplicate-step-id",
                    step.pos,
                    format!(
                        "step id `{}` is already used by \"{}\" (line {})",
                        step.id, other.title, other.pos.line
                    ),
                )
                .with_hint("give one of them another `{#id}`"),
            );
        } else {
            seen.insert(&step.id, i);
        }
    }
}

fn check_targets(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    let steps: HashSet<&str> = rb.steps.iter().map(|s| s.id.as_str()).collect();
    let anchors: HashSet<&str> = rb.anchors.iter().map(String::as_str).collect();
    let hint = || {
        let mut ids: Vec<&str> = rb.steps.iter().map(|s| s.id.as_str()).collect();
        ids.truncate(12);
        format!("step ids: {}", ids.join(", "))
    };
    for step in &rb.steps {
        for d in &step.decisions {
            for c in &d.choices {
                if !c.goto.is_empty() && !steps.contains(c.goto.as_str()) {
                    out.push(
                        Diagnostic::error(
                            "unknown-step",
                            c.pos,
                            format!(
                                "choice `{}` goes to step `{}`, which does not exist",
                                c.label, c.goto
                            ),
                        )
                        .with_hint(hint()),
                    );
                }
            }
        }
        for l in &step.links {
            if let Some(t) = l.step_target()
                && !steps.contains(t)
                && !anchors.contains(t)
                && !step
                    .decisions
                    .iter()
                    .any(|d| d.choices.iter().any(|c| c.goto == t))
            {
                out.push(
                    Diagnostic::error(
                        "unknown-step",
                        l.pos,
                        format!("link to `#{t}`, which is not a step"),
                    )
                    .with_hint(hint()),
                );
            }
        }
    }
}

fn check_variables(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    let declared: HashSet<&str> = rb.variables.iter().map(|v| v.name.as_str()).collect();
    let mut reported = HashSet::new();
    for u in &rb.var_uses {
        if !declared.contains(u.name.as_str()) && reported.insert(u.name.as_str()) {
            out.push(
                Diagnostic::error(
                    "undeclared-variable",
                    u.pos,
                    format!("variable `{{{{{}}}}}` is used but never declared", u.name),
                )
                .with_hint(format!(
                    "declare it in the front matter: `variables: [{{name: {}, prompt: \"…\"}}]`",
                    u.name
                )),
            );
        }
    }
    let used: HashSet<&str> = rb.var_uses.iter().map(|u| u.name.as_str()).collect();
    for v in &rb.variables {
        if !used.contains(v.name.as_str()) {
            out.push(
                Diagnostic::warning(
                    "unused-variable",
                    v.pos,
                    format!("variable `{}` is declared but never used", v.name),
                )
                .with_hint(format!("use it as `{{{{{}}}}}`, or remove it", v.name)),
            );
        }
    }
}

fn check_commands(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in &rb.steps {
        if !step.kind.changes_things() {
            continue;
        }
        for c in &step.commands {
            if c.runnable && c.confirm == Confirm::None {
                out.push(
                    Diagnostic::warning(
                        "unconfirmed-dangerous",
                        c.pos,
                        format!(
                            "a runnable command in the {} step \"{}\" runs without confirmation",
                            step.kind, step.title
                        ),
                    )
                    .with_hint(
                        "use `confirm=confirm`, or `confirm=typed` for destructive commands",
                    ),
                );
            }
        }
    }
}

/// Steps run in order, except that a step with a decision continues only
/// where its choices lead. Links to steps count as a way there too.
fn check_reachability(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    if rb.steps.is_empty() {
        return;
    }
    let index: HashMap<&str, usize> = rb
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut reached = vec![false; rb.steps.len()];
    let mut stack = vec![0usize];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        let step = &rb.steps[i];
        let branches = step.decisions.iter().any(|d| !d.choices.is_empty());
        if !branches && i + 1 < rb.steps.len() {
            stack.push(i + 1);
        }
        let targets = step
            .decisions
            .iter()
            .flat_map(|d| d.choices.iter().map(|c| c.goto.as_str()))
            .chain(step.links.iter().filter_map(|l| l.step_target()));
        for t in targets {
            if let Some(&j) = index.get(t) {
                stack.push(j);
            }
        }
    }
    for (i, step) in rb.steps.iter().enumerate() {
        if !reached[i] {
            out.push(
                Diagnostic::warning(
                    "unreachable-step",
                    step.pos,
                    format!("step \"{}\" cannot be reached: it follows a decision and no choice or link leads to it", step.title),
                )
                .with_hint(format!("add a choice or a link to `#{}`", step.id)),
            );
        }
    }
}
