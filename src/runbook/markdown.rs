//! Markdown runbooks: optional YAML front matter, `# Title`, one step per
//! `##` section.

use super::body::{Marker, command, marker, options, tidy_label, verify_condition, wait};
use super::common::{self as yaml, AutoIds, Loaded, edit_distance, squash, unique_id};
use super::model::*;
use super::template;
use crate::util::diag::{Diagnostic, LineIndex, Pos};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};
use std::ops::Range;

/// Split off front matter: `---` … `---` (YAML) or `+++` … `+++` (TOML,
/// which Mayday skips). Returns the YAML text, the byte offset where the
/// Markdown starts, and a diagnostic when the block is not closed.
fn split_front_matter(src: &str) -> (Option<&str>, usize, Option<Diagnostic>) {
    let first_end = src.find('\n').map_or(src.len(), |i| i + 1);
    let first = src[..first_end].trim_end();
    let delim = match first {
        "---" => "---",
        "+++" => "+++",
        _ => return (None, 0, None),
    };
    let mut offset = first_end;
    while offset < src.len() {
        let end = src[offset..]
            .find('\n')
            .map_or(src.len(), |i| offset + i + 1);
        let line = src[offset..end].trim_end();
        if line == delim || (delim == "---" && line == "...") {
            if delim == "+++" {
                let d = Diagnostic::warning(
                    "front-matter-syntax",
                    Pos::new(1, 1),
                    "TOML front matter is not read; its fields are ignored",
                )
                .with_hint("use YAML front matter (`---`) for Mayday's fields");
                return (None, end, Some(d));
            }
            return (Some(&src[first_end..offset]), end, None);
        }
        offset = end;
    }
    let d = Diagnostic::error(
        "front-matter-syntax",
        Pos::new(1, 1),
        "the front matter is never closed",
    )
    .with_hint(format!("end the front matter with a line `{delim}`"));
    (None, src.len(), Some(d))
}

/// A heading being read.
struct HeadingAcc {
    level: HeadingLevel,
    id: Option<String>,
    classes: Vec<String>,
    start: usize,
    text: String,
}

/// A paragraph being read: does it start with a `**Marker:**`?
struct ParaAcc {
    start: usize,
    /// Nothing but the opening has been seen yet.
    first: bool,
    /// The marker and the byte offset where the rest of the paragraph starts.
    marker: Option<(Marker, usize)>,
    text: String,
}

/// What the walker is collecting for the step being built.
struct StepBuilder {
    step: Step,
    body_start: usize,
}

/// A list that follows a `**Decision:**` or `**Verify:**` paragraph.
enum Pending {
    None,
    Decision(Decision),
    VerifyList(Pos),
}

/// Load a Markdown runbook. `file_id` is the id used when the front matter
/// names none.
pub(crate) fn load(src: &str, file_id: &str) -> Loaded {
    let mut diags = Vec::new();
    let idx = LineIndex::new(src);
    let mut rb = yaml::empty_runbook(file_id, Format::Markdown);

    let (front, body_start, fm_diag) = split_front_matter(src);
    if let Some(d) = fm_diag {
        let fatal = d.is_error();
        diags.push(d);
        if fatal {
            return Loaded {
                runbook: None,
                diagnostics: diags,
            };
        }
    }
    if let Some(fm) = front {
        let parsed = match super::frontmatter::parse(fm, 1) {
            Some(header) => Ok(header),
            None => serde_saphyr::from_str::<Option<yaml::RawHeader>>(fm)
                .map(|h| h.unwrap_or_default().into_header(1)),
        };
        match parsed {
            Ok(header) => {
                yaml::apply_header(&mut rb, header, &mut diags);
                near_miss_keys(fm, &mut diags);
            }
            Err(e) => {
                diags.push(crate::util::yaml::yaml_error(
                    &e,
                    fm,
                    1,
                    "front-matter-syntax",
                    "docs/runbook-format.md",
                ));
                return Loaded {
                    runbook: None,
                    diagnostics: diags,
                };
            }
        }
    }

    let md = &src[body_start..];
    let pos = |rel: usize| idx.pos(src, body_start + rel);

    let mut h1: Option<(String, Pos, Range<usize>)> = None;
    let mut intro_end = md.len();
    let mut first_para: Option<String> = None;
    let mut steps: Vec<Step> = Vec::new();
    let mut current: Option<StepBuilder> = None;
    let mut auto_ids = AutoIds::default();

    // Inline text collectors.
    let mut heading: Option<HeadingAcc> = None;
    let mut code: Option<(String, usize, String)> = None;
    let mut strong: Option<String> = None;
    let mut para: Option<ParaAcc> = None;
    let mut link_stack: Vec<(String, usize, String)> = Vec::new();
    // Lists: (depth, is special list owned by a decision/verify).
    let mut list_depth = 0usize;
    let mut special_list_depth: Option<usize> = None;
    let mut pending = Pending::None;
    // Items: (start, depth, task marker end, nested list start, label text, step link)
    struct Item {
        depth: usize,
        task: Option<(bool, usize)>,
        content_start: usize,
        nested_at: Option<usize>,
        label: String,
        target: Option<String>,
        /// The text of the step link (dropped from the choice's label).
        link_text: String,
        start: usize,
    }
    let mut items: Vec<Item> = Vec::new();

    let flush_pending = |pending: &mut Pending,
                         diags: &mut Vec<Diagnostic>,
                         cur: &mut Option<StepBuilder>| {
        match std::mem::replace(pending, Pending::None) {
            Pending::Decision(d) => {
                diags.push(
                    Diagnostic::error("invalid-decision", d.pos, "a decision without choices")
                        .with_hint("follow the **Decision:** paragraph with a list of choices, each linking to a step: `1. Yes → [Fail over](#failover)`"),
                );
                if let Some(c) = cur {
                    c.step.decisions.push(d);
                }
            }
            Pending::VerifyList(p) => diags.push(
                Diagnostic::error("invalid-verify", p, "`**Verify:**` is followed by no condition")
                    .with_hint("write `**Verify:** `SOURCE` is `up` for 2m`, or follow it with a list of such conditions"),
            ),
            Pending::None => {}
        }
    };

    for (event, range) in Parser::new_ext(md, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => {
                if list_depth == 0 {
                    flush_pending(&mut pending, &mut diags, &mut current);
                }
                heading = Some(HeadingAcc {
                    level,
                    id: id.map(|s| s.to_string()),
                    classes: classes.iter().map(ToString::to_string).collect(),
                    start: range.start,
                    text: String::new(),
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some(HeadingAcc {
                    level,
                    id,
                    classes,
                    start,
                    text,
                }) = heading.take()
                else {
                    continue;
                };
                let text = squash(&text);
                let slug = slugify(&text);
                // Steps are link targets by their ids; other headings by
                // their anchors.
                if level != HeadingLevel::H2 {
                    if let Some(id) = &id {
                        rb.anchors.push(id.clone());
                    }
                    rb.anchors.push(slug.clone());
                }
                if level == HeadingLevel::H1 && h1.is_none() && current.is_none() {
                    h1 = Some((text, pos(start), start..range.end));
                    continue;
                }
                if level != HeadingLevel::H2 {
                    continue;
                }
                if let Some(b) = current.take() {
                    steps.push(finish_step(b, md, start));
                } else {
                    intro_end = start;
                }
                let hpos = pos(start);
                let mut kind = None;
                for class in &classes {
                    match class.parse::<StepKind>() {
                        Ok(k) if kind.is_none() => kind = Some(k),
                        Ok(_) => {}
                        Err(e) => diags.push(Diagnostic::error("unknown-kind", hpos, e)),
                    }
                }
                let kind = kind.unwrap_or_else(|| StepKind::infer(&text));
                let (id, explicit_id) = match id {
                    Some(id) => (id, true),
                    None => (unique_id(slug, steps.len(), &mut auto_ids), false),
                };
                current = Some(StepBuilder {
                    step: Step {
                        id,
                        title: text,
                        kind,
                        body: String::new(),
                        commands: Vec::new(),
                        checklist: Vec::new(),
                        decisions: Vec::new(),
                        verify: Vec::new(),
                        waits: Vec::new(),
                        links: Vec::new(),
                        explicit_id,
                        pos: hpos,
                    },
                    body_start: range.end,
                });
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                if list_depth == 0 {
                    flush_pending(&mut pending, &mut diags, &mut current);
                }
                if let CodeBlockKind::Fenced(info) = kind {
                    code = Some((info.to_string(), range.start, String::new()));
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let Some((info, start, text)) = code.take() else {
                    continue;
                };
                if let Some(b) = current.as_mut() {
                    let cmd = command(&info, text, pos(start), b.step.kind, &mut diags);
                    b.step.commands.push(cmd);
                }
            }
            Event::Start(Tag::Paragraph) => {
                if list_depth == 0 {
                    flush_pending(&mut pending, &mut diags, &mut current);
                }
                para = Some(ParaAcc {
                    start: range.start,
                    first: true,
                    marker: None,
                    text: String::new(),
                });
            }
            Event::Start(Tag::Strong) => {
                if let Some(p) = para.as_mut() {
                    if p.first {
                        strong = Some(String::new());
                    }
                    p.first = false;
                }
            }
            Event::End(TagEnd::Strong) => {
                if let (Some(s), Some(p)) = (strong.take(), para.as_mut())
                    && p.marker.is_none()
                    && let Some(m) = marker(&s)
                {
                    p.marker = Some((m, range.end));
                }
            }
            Event::End(TagEnd::Paragraph) => {
                let Some(ParaAcc {
                    start,
                    marker: mark,
                    text,
                    ..
                }) = para.take()
                else {
                    continue;
                };
                if current.is_none() && first_para.is_none() && list_depth == 0 {
                    let t = squash(&text);
                    if !t.is_empty() {
                        first_para = Some(t);
                    }
                }
                let (Some((m, rest_start)), Some(b)) = (mark, current.as_mut()) else {
                    continue;
                };
                if special_list_depth.is_some() {
                    continue;
                }
                let rest = md[rest_start..range.end]
                    .trim()
                    .trim_start_matches(':')
                    .trim();
                let ppos = pos(start);
                match m {
                    Marker::Decision => {
                        pending = Pending::Decision(Decision {
                            question: squash(rest),
                            choices: Vec::new(),
                            pos: ppos,
                        });
                    }
                    Marker::Verify if rest.is_empty() => pending = Pending::VerifyList(ppos),
                    Marker::Verify => {
                        for (i, line) in rest.lines().enumerate() {
                            let lpos = Pos::new(
                                ppos.line + i as u32,
                                if i == 0 { ppos.column } else { 1 },
                            );
                            if let Some(v) = verify_condition(line, lpos, &mut diags) {
                                b.step.verify.push(v);
                            }
                        }
                    }
                    Marker::Wait => match wait(rest, ppos) {
                        Ok(w) => b.step.waits.push(w),
                        Err(d) => diags.push(d),
                    },
                }
            }
            Event::Start(Tag::List(_)) => {
                if let Some(item) = items.last_mut()
                    && item.nested_at.is_none()
                {
                    item.nested_at = Some(range.start);
                }
                list_depth += 1;
                if list_depth == 1
                    && special_list_depth.is_none()
                    && !matches!(pending, Pending::None)
                {
                    special_list_depth = Some(1);
                }
            }
            Event::End(TagEnd::List(_)) => {
                if special_list_depth == Some(list_depth) {
                    special_list_depth = None;
                    if let Pending::Decision(d) = std::mem::replace(&mut pending, Pending::None)
                        && let Some(b) = current.as_mut()
                    {
                        b.step.decisions.push(d);
                    }
                    pending = Pending::None;
                }
                list_depth = list_depth.saturating_sub(1);
            }
            Event::Start(Tag::Item) => items.push(Item {
                depth: list_depth,
                task: None,
                content_start: range.start,
                nested_at: None,
                label: String::new(),
                target: None,
                link_text: String::new(),
                start: range.start,
            }),
            Event::TaskListMarker(checked) => {
                if let Some(item) = items.last_mut() {
                    item.task = Some((checked, range.end));
                    item.content_start = range.end;
                }
            }
            Event::End(TagEnd::Item) => {
                let Some(item) = items.pop() else { continue };
                let Some(b) = current.as_mut() else { continue };
                let content_end = item.nested_at.unwrap_or(range.end);
                let ipos = pos(item.start);
                if special_list_depth == Some(item.depth) {
                    match &mut pending {
                        Pending::Decision(d) => {
                            let label = match item.label.strip_suffix(item.link_text.as_str()) {
                                Some(before)
                                    if !item.link_text.is_empty()
                                        && !tidy_label(before).is_empty() =>
                                {
                                    tidy_label(before)
                                }
                                _ => tidy_label(&item.label),
                            };
                            let goto = match item.target {
                                Some(t) => t,
                                None => {
                                    diags.push(
                                        Diagnostic::error("invalid-decision", ipos, format!("choice `{label}` does not link to a step"))
                                            .with_hint("end the choice with a link to the step it leads to: `→ [Fail over](#failover)`"),
                                    );
                                    String::new()
                                }
                            };
                            d.choices.push(Choice {
                                label,
                                goto,
                                pos: ipos,
                            });
                        }
                        Pending::VerifyList(_) => {
                            let text = md[item.content_start..content_end].trim();
                            let text = text.trim_start_matches(['-', '*', '+']).trim();
                            if let Some(v) = verify_condition(text, ipos, &mut diags) {
                                b.step.verify.push(v);
                            }
                        }
                        Pending::None => {}
                    }
                    continue;
                }
                if let Some((checked, _)) = item.task {
                    let text = squash(&md[item.content_start..content_end]);
                    b.step.checklist.push(ChecklistItem {
                        text,
                        checked,
                        pos: ipos,
                    });
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link_stack.push((dest_url.to_string(), range.start, String::new()));
            }
            Event::End(TagEnd::Link) => {
                let Some((url, start, text)) = link_stack.pop() else {
                    continue;
                };
                if let Some(item) = items.last_mut()
                    && special_list_depth == Some(item.depth)
                    && item.target.is_none()
                    && let Some(t) = url.strip_prefix('#')
                {
                    item.target = Some(t.to_owned());
                    item.link_text = text.clone();
                }
                let l = Link {
                    text: squash(&text),
                    url,
                    pos: pos(start),
                };
                match current.as_mut() {
                    Some(b) => b.step.links.push(l),
                    None => rb.links.push(l),
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = code.as_mut() {
                    c.2.push_str(&t);
                    continue;
                }
                if let Some(h) = heading.as_mut() {
                    h.text.push_str(&t);
                }
                if let Some(s) = strong.as_mut() {
                    s.push_str(&t);
                }
                if let Some(p) = para.as_mut() {
                    p.first = false;
                    // Only the intro's first paragraph is kept (as the summary).
                    if current.is_none() && first_para.is_none() {
                        p.text.push_str(&t);
                    }
                }
                for l in &mut link_stack {
                    l.2.push_str(&t);
                }
                if special_list_depth.is_some()
                    && let Some(item) = items.last_mut()
                    && item.nested_at.is_none()
                {
                    item.label.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(h) = heading.as_mut() {
                    h.text.push(' ');
                }
                if let Some(p) = para.as_mut() {
                    p.text.push(' ');
                }
                if let Some(item) = items.last_mut() {
                    item.label.push(' ');
                }
            }
            _ => {}
        }
    }
    flush_pending(&mut pending, &mut diags, &mut current);
    if let Some(b) = current.take() {
        steps.push(finish_step(b, md, md.len()));
    }

    // Title: front matter, else the first `# heading`.
    match (&rb.title.is_empty(), h1.as_ref()) {
        (true, Some((t, p, _))) => {
            rb.title = t.clone();
            rb.title_pos = *p;
        }
        (true, None) => {}
        (false, _) => {}
    }
    // Intro: everything before the first step, without the `# Title` line.
    let mut intro = String::new();
    match &h1 {
        Some((_, _, r)) if r.start < intro_end => {
            intro.push_str(md[..r.start].trim());
            if !intro.is_empty() {
                intro.push_str("\n\n");
            }
            intro.push_str(md[r.end.min(intro_end)..intro_end].trim());
        }
        _ => intro.push_str(md[..intro_end].trim()),
    }
    rb.intro = intro.trim().to_owned();
    if rb.summary.is_none() {
        rb.summary = first_para;
    }
    rb.steps = steps;
    rb.var_uses = template::find(md)
        .into_iter()
        .map(|r| VarUse {
            name: r.name.to_owned(),
            pos: pos(r.start),
        })
        .collect();
    Loaded {
        runbook: Some(rb),
        diagnostics: diags,
    }
}

fn finish_step(mut b: StepBuilder, md: &str, end: usize) -> Step {
    b.step.body = md[b.body_start.min(end)..end].trim().to_owned();
    b.step
}

/// Warn about front matter keys one or two letters away from a known key.
fn near_miss_keys(fm: &str, diags: &mut Vec<Diagnostic>) {
    for (i, line) in fm.lines().enumerate() {
        let Some((key, _)) = line.split_once(':') else {
            continue;
        };
        if key.is_empty() || key.starts_with([' ', '\t', '-', '#']) || key.contains(' ') {
            continue;
        }
        if yaml::HEADER_KEYS.contains(&key) {
            continue;
        }
        if let Some(known) = yaml::HEADER_KEYS
            .iter()
            .find(|k| key.len() > 3 && edit_distance(key, k) <= 2)
        {
            diags.push(
                Diagnostic::warning(
                    "unknown-field",
                    Pos::new(i as u32 + 2, 1),
                    format!("unknown front matter key `{key}`"),
                )
                .with_hint(format!("did you mean `{known}`?")),
            );
        }
    }
}
