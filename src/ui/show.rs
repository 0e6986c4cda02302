//! `mayday show`: a runbook as readable text.

use crate::runbook::Runbook;
use crate::ui::mdview::{self, MdStyles, StepView};
use crate::util::sanitize;
use std::fmt::Write as _;

/// Render a runbook as plain text, `width` columns wide.
pub fn render(rb: &Runbook, width: u16) -> String {
    let mut out = String::new();
    let s = |t: &str| sanitize::line(t).into_owned();
    let _ = writeln!(out, "{}", s(&rb.title));
    let _ = writeln!(
        out,
        "{}",
        "=".repeat(rb.title.chars().count().min(usize::from(width)).max(3))
    );
    let mut meta = vec![format!("id: {}", s(&rb.id))];
    if let Some(sev) = rb.severity {
        meta.push(format!("severity: {sev} ({})", sev.sev()));
    }
    if let Some(owner) = &rb.owner {
        meta.push(format!("owner: {}", s(owner)));
    }
    meta.push(format!(
        "format: {}",
        match rb.format {
            crate::runbook::Format::Markdown => "markdown",
            crate::runbook::Format::Yaml => "yaml",
        }
    ));
    let _ = writeln!(out, "{}", meta.join(" · "));
    let _ = writeln!(out, "path: {}", s(&rb.path));
    for (label, list) in [
        ("tags", &rb.tags),
        ("services", &rb.services),
        ("alerts", &rb.alerts),
        ("sources", &rb.sources),
    ] {
        if !list.is_empty() {
            let items: Vec<String> = list.iter().map(|t| s(t)).collect();
            let _ = writeln!(out, "{label}: {}", items.join(", "));
        }
    }
    if !rb.variables.is_empty() {
        let _ = writeln!(out, "variables:");
        for v in &rb.variables {
            let mut line = format!("  {{{{{}}}}}", s(&v.name));
            if let Some(p) = &v.prompt {
                let _ = write!(line, " — {}", s(p));
            }
            let mut extra = Vec::new();
            if let Some(d) = &v.default {
                extra.push(format!("default: {}", s(d)));
            }
            if v.required {
                extra.push("required".to_owned());
            }
            if !extra.is_empty() {
                let _ = write!(line, " ({})", extra.join(", "));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    let plain = MdStyles::plain();
    let intro_has_summary = rb.summary.as_deref().is_some_and(|sum| {
        rb.intro
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(sum)
    });
    if let Some(summary) = rb.summary.as_deref().filter(|_| !intro_has_summary) {
        let _ = writeln!(out);
        for l in mdview::plain(&mdview::render(
            summary,
            width,
            &StepView::default(),
            &plain,
        )) {
            let _ = writeln!(out, "{l}");
        }
    }
    if !rb.intro.is_empty() {
        let _ = writeln!(out);
        for l in mdview::plain(&mdview::render(
            &rb.intro,
            width,
            &StepView::default(),
            &plain,
        )) {
            let _ = writeln!(out, "{l}");
        }
    }
    for l in &rb.links {
        let _ = writeln!(out, "link: {} <{}>", s(&l.text), s(&l.url));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Steps");
    let _ = writeln!(out, "-----");
    for (i, step) in rb.steps.iter().enumerate() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}. [{}] {}  (#{})",
            i + 1,
            step.kind,
            s(&step.title),
            s(&step.id)
        );
        let view = StepView {
            commands: &step.commands,
            ..StepView::default()
        };
        for l in mdview::plain(&mdview::render(
            &step.body,
            width.saturating_sub(4),
            &view,
            &plain,
        )) {
            if l.is_empty() {
                let _ = writeln!(out);
            } else {
                let _ = writeln!(out, "    {l}");
            }
        }
    }
    out
}
