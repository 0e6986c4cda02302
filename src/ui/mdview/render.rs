//! The renderer: one pass over the Markdown events, marking up the step's
//! commands, checklist, decisions, verify conditions and waits with what
//! the incident knows, then wrapping to the width.

use super::wrap::wrap_into;
use super::{MdStyles, Selected, StepView};
use crate::runbook::{Confirm, template};
use crate::runbook::{Marker, marker, options, wait};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// Render Markdown to lines at most `width` columns wide.
pub fn render(md: &str, width: u16, view: &StepView<'_>, st: &MdStyles) -> Vec<Line<'static>> {
    let mut r = Renderer {
        width: usize::from(width.max(20)),
        view,
        st,
        out: Vec::new(),
        cur: Vec::new(),
        styles: vec![st.text],
        lists: Vec::new(),
        quote: 0,
        item_prefix: None,
        code: None,
        counters: Counters::default(),
        para_marker: None,
        strong_buf: None,
        para_first: false,
        special: Special::None,
        table_row: None,
        in_heading: None,
        item_styled: Vec::new(),
        verify_note: None,
    };
    for event in Parser::new_ext(md, options()) {
        r.event(event);
    }
    r.flush(None);
    while r
        .out
        .last()
        .is_some_and(|l| l.spans.iter().all(|s| s.content.trim().is_empty()))
    {
        r.out.pop();
    }
    r.out
}

/// Lines as plain strings (for the CLI and tests).
pub fn plain(lines: &[Line<'_>]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            s.trim_end().to_owned()
        })
        .collect()
}

#[derive(Default)]
struct Counters {
    command: usize,
    checklist: usize,
    decision: usize,
    verify: usize,
    wait: usize,
}

/// A list that belongs to a decision or a verify paragraph.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Special {
    None,
    /// Waiting for the list after `**Decision:**` (decision index).
    DecisionPending(usize),
    DecisionList(usize, usize),
    VerifyPending,
    VerifyList,
}

struct ListState {
    next: Option<u64>,
}

struct Renderer<'a> {
    width: usize,
    view: &'a StepView<'a>,
    st: &'a MdStyles,
    out: Vec<Line<'static>>,
    cur: Vec<Span<'static>>,
    styles: Vec<Style>,
    lists: Vec<ListState>,
    quote: usize,
    /// The bullet of the item whose first line is being built.
    item_prefix: Option<Vec<Span<'static>>>,
    code: Option<(String, String)>,
    counters: Counters,
    para_marker: Option<Marker>,
    strong_buf: Option<String>,
    para_first: bool,
    special: Special,
    table_row: Option<Vec<String>>,
    in_heading: Option<HeadingLevel>,
    /// Per open list item: a ticked item's style was pushed.
    item_styled: Vec<bool>,
    /// The note of the verify condition in the list item being drawn.
    verify_note: Option<Span<'static>>,
}

impl Renderer<'_> {
    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, extra: Style) {
        let s = self.style().patch(extra);
        self.styles.push(s);
    }

    fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    /// The prefix for lines in the current block: quote bars and list indent.
    fn indent(&self) -> Vec<Span<'static>> {
        let mut v = Vec::new();
        for _ in 0..self.quote {
            v.push(Span::styled("▌ ", self.st.quote));
        }
        if !self.lists.is_empty() {
            v.push(Span::raw("   ".repeat(self.lists.len())));
        }
        v
    }

    fn blank(&mut self) {
        if self
            .out
            .last()
            .is_some_and(|l| !l.spans.iter().all(|s| s.content.trim().is_empty()))
        {
            let mut bar = Vec::new();
            for _ in 0..self.quote {
                bar.push(Span::styled("▌ ", self.st.quote));
            }
            self.out.push(Line::from(bar));
        }
    }

    /// Text with variables substituted, sanitized.
    fn text(&self, t: &str) -> Vec<Span<'static>> {
        let base = self.style();
        let mut spans = Vec::new();
        let refs = template::find(t);
        let mut last = 0;
        for r in refs {
            if r.start > last {
                spans.push(Span::styled(
                    crate::util::sanitize::line(&t[last..r.start]).into_owned(),
                    base,
                ));
            }
            match self.view.vars.and_then(|v| v.get(r.name)) {
                Some(value) => spans.push(Span::styled(
                    crate::util::sanitize::line(value).into_owned(),
                    base,
                )),
                None => spans.push(Span::styled(
                    crate::util::sanitize::line(&t[r.start..r.end]).into_owned(),
                    base.patch(self.st.variable_missing),
                )),
            }
            last = r.end;
        }
        if last < t.len() {
            spans.push(Span::styled(
                crate::util::sanitize::line(&t[last..]).into_owned(),
                base,
            ));
        }
        spans
    }

    /// Wrap the inline spans collected so far into lines.
    fn flush(&mut self, first_prefix: Option<Vec<Span<'static>>>) {
        if self.cur.is_empty() && first_prefix.is_none() && self.item_prefix.is_none() {
            return;
        }
        let spans = std::mem::take(&mut self.cur);
        let indent = self.indent();
        let first = match (first_prefix, self.item_prefix.take()) {
            (Some(p), _) => {
                let mut v = indent_without_last_list(&indent, self.lists.len());
                v.extend(p);
                v
            }
            (None, Some(p)) => {
                let mut v = indent_without_last_list(&indent, self.lists.len());
                v.extend(p);
                v
            }
            (None, None) => indent.clone(),
        };
        let first_w: usize = first.iter().map(|s| s.content.width()).sum();
        let cont = {
            let mut v = indent_without_last_list(&indent, self.lists.len());
            let base: usize = v.iter().map(|s| s.content.width()).sum();
            v.push(Span::raw(" ".repeat(first_w.saturating_sub(base))));
            v
        };
        wrap_into(&mut self.out, spans, first, cont, self.width);
    }

    fn event(&mut self, event: Event<'_>) {
        if let Some((_, buf)) = self.code.as_mut() {
            match event {
                Event::Text(t) => {
                    buf.push_str(&t);
                    return;
                }
                Event::End(TagEnd::CodeBlock) => {}
                _ => return,
            }
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if let Some(row) = self.table_row.as_mut() {
                    if let Some(cell) = row.last_mut() {
                        cell.push_str(&t);
                    }
                    return;
                }
                if let Some(b) = self.strong_buf.as_mut() {
                    b.push_str(&t);
                }
                self.para_first = false;
                let spans = self.text(&t);
                self.cur.extend(spans);
            }
            Event::Code(t) => {
                if let Some(row) = self.table_row.as_mut() {
                    if let Some(cell) = row.last_mut() {
                        cell.push_str(&t);
                    }
                    return;
                }
                self.para_first = false;
                self.push_style(self.st.code);
                if self.st.mark_code {
                    self.cur.push(Span::styled("`", self.style()));
                }
                let spans = self.text(&t);
                self.cur.extend(spans);
                if self.st.mark_code {
                    self.cur.push(Span::styled("`", self.style()));
                }
                self.pop_style();
            }
            Event::SoftBreak => self.cur.push(Span::styled(" ", self.style())),
            Event::HardBreak => self.flush(None),
            Event::Rule => {
                self.flush(None);
                self.blank();
                let w = self
                    .width
                    .saturating_sub(self.indent().iter().map(|s| s.content.width()).sum());
                let mut v = self.indent();
                v.push(Span::styled("─".repeat(w.min(60)), self.st.muted));
                self.out.push(Line::from(v));
            }
            Event::TaskListMarker(checked_in_file) => {
                let k = self.counters.checklist;
                self.counters.checklist += 1;
                let checked = self
                    .view
                    .checked
                    .and_then(|c| c.get(k).copied())
                    .unwrap_or(checked_in_file);
                let selected = self.view.selected == Some(Selected::Checklist(k));
                let (mark, style) = if checked {
                    ("[x] ", self.st.check_done)
                } else {
                    ("[ ] ", self.st.check_open)
                };
                let mut p = vec![Span::styled(
                    if selected { "▸ " } else { "  " },
                    self.st.selected,
                )];
                p.push(Span::styled(
                    mark,
                    if selected {
                        style.patch(self.st.selected)
                    } else {
                        style
                    },
                ));
                self.item_prefix = Some(p);
                if checked {
                    self.push_style(self.st.check_done);
                    if let Some(top) = self.item_styled.last_mut() {
                        *top = true;
                    }
                }
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                self.push_style(self.st.muted);
                let spans = self.text(&h);
                self.cur.extend(spans);
                self.pop_style();
            }
            Event::FootnoteReference(f) => {
                self.cur
                    .push(Span::styled(format!("[^{f}]"), self.st.muted));
            }
            Event::InlineMath(m) | Event::DisplayMath(m) => {
                let spans = self.text(&m);
                self.cur.extend(spans);
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                if self.lists.is_empty() {
                    self.end_special_if_pending();
                }
                if self.item_prefix.is_none() {
                    self.blank();
                }
                self.para_first = true;
                self.para_marker = None;
            }
            Tag::Heading { level, .. } => {
                self.end_special_if_pending();
                self.flush(None);
                self.blank();
                self.in_heading = Some(level);
                let mut s = self.st.heading;
                if level >= HeadingLevel::H4 {
                    s = s.remove_modifier(Modifier::UNDERLINED);
                }
                self.push_style(s);
            }
            Tag::BlockQuote(_) => {
                self.flush(None);
                self.blank();
                self.quote += 1;
                self.push_style(self.st.quote);
            }
            Tag::CodeBlock(kind) => {
                self.end_special_if_pending();
                self.flush(None);
                let info = match kind {
                    CodeBlockKind::Fenced(i) => i.to_string(),
                    CodeBlockKind::Indented => String::from("\u{0}indented"),
                };
                self.code = Some((info, String::new()));
            }
            Tag::List(start) => {
                self.flush(None);
                if self.lists.is_empty() {
                    match self.special {
                        Special::DecisionPending(d) => self.special = Special::DecisionList(d, 0),
                        Special::VerifyPending => self.special = Special::VerifyList,
                        _ => {}
                    }
                    self.blank();
                }
                self.lists.push(ListState { next: start });
            }
            Tag::Item => {
                self.flush(None);
                self.item_styled.push(false);
                let depth = self.lists.len();
                let bullet = match self.lists.last_mut() {
                    Some(ListState { next: Some(n) }) => {
                        let b = format!("{n}. ");
                        *n += 1;
                        b
                    }
                    _ => "• ".to_owned(),
                };
                match self.special {
                    Special::DecisionList(d, c) if depth == 1 => {
                        let taken = self.view.decisions.get(d).copied().flatten() == Some(c);
                        let mut p = vec![Span::styled(format!("[{}] ", c + 1), self.st.choice_key)];
                        if taken {
                            p.push(Span::styled("✔ ", self.st.verify_met));
                        }
                        self.item_prefix = Some(p);
                        self.special = Special::DecisionList(d, c + 1);
                    }
                    Special::VerifyList if depth == 1 => {
                        let p = self.verify_prefix();
                        self.verify_note = self.verify_note_span();
                        self.counters.verify += 1;
                        self.item_prefix = Some(p);
                    }
                    _ => self.item_prefix = Some(vec![Span::styled(bullet, self.st.bullet)]),
                }
            }
            Tag::Emphasis => self.push_style(self.st.emphasis),
            Tag::Strong => {
                if self.para_first {
                    self.strong_buf = Some(String::new());
                }
                self.push_style(self.st.strong);
            }
            Tag::Strikethrough => {
                self.push_style(Style::default().add_modifier(Modifier::CROSSED_OUT))
            }
            Tag::Link { .. } => self.push_style(self.st.link),
            Tag::Image { dest_url, .. } => {
                self.cur.push(Span::styled(
                    format!("[image: {}]", crate::util::sanitize::line(&dest_url)),
                    self.st.muted,
                ));
                self.push_style(self.st.muted);
            }
            Tag::Table(_) => {
                self.flush(None);
                self.blank();
            }
            Tag::TableHead | Tag::TableRow => self.table_row = Some(Vec::new()),
            Tag::TableCell => {
                if let Some(r) = self.table_row.as_mut() {
                    r.push(String::new());
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.end_paragraph(),
            TagEnd::Heading(_) => {
                self.flush(None);
                self.pop_style();
                self.in_heading = None;
            }
            TagEnd::BlockQuote(_) => {
                self.flush(None);
                self.quote = self.quote.saturating_sub(1);
                self.pop_style();
            }
            TagEnd::CodeBlock => {
                if let Some((info, body)) = self.code.take() {
                    self.code_block(&info, &body);
                }
            }
            TagEnd::List(_) => {
                self.flush(None);
                self.lists.pop();
                if self.lists.is_empty() {
                    if matches!(
                        self.special,
                        Special::DecisionList(..) | Special::VerifyList
                    ) {
                        self.special = Special::None;
                    }
                    self.blank();
                }
            }
            TagEnd::Item => {
                if let Some(note) = self.verify_note.take() {
                    self.cur.push(note);
                }
                self.flush(None);
                if self.item_styled.pop() == Some(true) {
                    self.pop_style();
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image => {
                if tag == TagEnd::Strong
                    && let Some(buf) = self.strong_buf.take()
                    && self.para_marker.is_none()
                {
                    self.para_marker = marker(&buf);
                    if let Some(m) = self.para_marker {
                        // Replace the bold "Decision:" with a symbol and label.
                        self.cur.clear();
                        let (sym, label, style) = match m {
                            Marker::Decision => ("◆ ", "Decision:", self.st.decision),
                            Marker::Verify => ("", "Verify:", self.st.strong),
                            Marker::Wait => ("◷ ", "Wait:", self.st.wait),
                        };
                        if m != Marker::Verify {
                            self.cur.push(Span::styled(format!("{sym}{label}"), style));
                        }
                    }
                }
                self.pop_style();
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if let Some(cells) = self.table_row.take() {
                    let head = tag == TagEnd::TableHead;
                    let text = cells
                        .iter()
                        .map(|c| crate::util::sanitize::line(c.trim()).into_owned())
                        .collect::<Vec<_>>()
                        .join(" │ ");
                    let mut v = self.indent();
                    v.push(Span::styled(
                        text,
                        if head { self.st.strong } else { self.st.text },
                    ));
                    self.out.push(Line::from(v));
                }
            }
            _ => {}
        }
    }

    fn end_special_if_pending(&mut self) {
        if matches!(
            self.special,
            Special::DecisionPending(_) | Special::VerifyPending
        ) {
            self.special = Special::None;
        }
    }

    fn verify_note_span(&self) -> Option<Span<'static>> {
        let note = &self.view.verify.get(self.counters.verify)?.note;
        (!note.is_empty()).then(|| {
            Span::styled(
                format!("  ({})", crate::util::sanitize::line(note)),
                self.st.muted,
            )
        })
    }

    fn verify_prefix(&self) -> Vec<Span<'static>> {
        let k = self.counters.verify;
        let state = self.view.verify.get(k).and_then(|v| v.met);
        match state {
            Some(true) => vec![Span::styled("✔ met ", self.st.verify_met)],
            Some(false) => vec![Span::styled("○ not yet ", self.st.verify_unmet)],
            None => vec![Span::styled("○ ", self.st.verify_unmet)],
        }
    }

    fn end_paragraph(&mut self) {
        match self.para_marker.take() {
            Some(Marker::Decision) => {
                let d = self.counters.decision;
                self.counters.decision += 1;
                self.flush(None);
                self.special = Special::DecisionPending(d);
            }
            Some(Marker::Verify) => {
                let rest: String = self.cur.iter().map(|s| s.content.as_ref()).collect();
                if rest.trim().trim_start_matches(':').trim().is_empty() {
                    self.cur.clear();
                    let mut v = self.indent();
                    v.push(Span::styled("Verify:", self.st.strong));
                    self.out.push(Line::from(v));
                    self.special = Special::VerifyPending;
                } else {
                    let prefix = self.verify_prefix();
                    let note = self.verify_note_span();
                    self.counters.verify += 1;
                    let mut p = prefix;
                    p.push(Span::styled("Verify: ", self.st.strong));
                    strip_leading_colon(&mut self.cur);
                    self.cur.extend(note);
                    self.flush(Some(p));
                }
            }
            Some(Marker::Wait) => {
                let k = self.counters.wait;
                let rest: String = self
                    .cur
                    .iter()
                    .skip(1)
                    .map(|s| s.content.as_ref())
                    .collect();
                if wait(rest.trim().trim_start_matches(':'), Default::default()).is_ok() {
                    self.counters.wait += 1;
                    if let Some(label) = self.view.waits.get(k) {
                        self.cur
                            .push(Span::styled(format!("  [{label}]"), self.st.wait));
                    }
                }
                self.flush(None);
            }
            None => self.flush(None),
        }
    }

    fn code_block(&mut self, info: &str, body: &str) {
        let indented = info.starts_with('\u{0}');
        let body = body.strip_suffix('\n').unwrap_or(body);
        let mut header = self.indent();
        let mut selected = false;
        let mut runnable_block = false;
        if !indented && self.item_prefix.is_none() {
            self.blank();
        }
        if let Some(p) = self.item_prefix.take() {
            // A code block as the first thing in a list item.
            let mut v = indent_without_last_list(&header, self.lists.len());
            v.extend(p);
            self.out.push(Line::from(v));
        }
        if !indented {
            let k = self.counters.command;
            self.counters.command += 1;
            selected = self.view.selected == Some(Selected::Command(k));
            let lang = info
                .split(|c: char| c.is_whitespace() || c == '{')
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or("text");
            header.push(Span::styled(
                if selected { "▸ " } else { "  " },
                self.st.selected,
            ));
            let cmd = self.view.commands.get(k);
            let runnable =
                cmd.is_some_and(|c| c.runnable) || (cmd.is_none() && info.contains("{run"));
            runnable_block = runnable;
            let live = self.view.live.and_then(|l| l.get(&k));
            let label = if let Some(live) = live {
                format!(
                    "{} · {}",
                    crate::util::sanitize::line(lang),
                    if live.is_empty() {
                        "display only"
                    } else {
                        "live"
                    }
                )
            } else if runnable && self.view.untrusted {
                format!(
                    "{} · runnable once trusted",
                    crate::util::sanitize::line(lang)
                )
            } else if runnable {
                let mut l = format!("{} · runnable", crate::util::sanitize::line(lang));
                if let Some(c) = cmd {
                    match c.confirm {
                        Confirm::None => l.push_str(" · no confirmation"),
                        Confirm::Confirm => l.push_str(" · confirm y/n"),
                        Confirm::Typed => l.push_str(" · typed confirmation"),
                    }
                    if c.dangerous {
                        l.push_str(" · dangerous");
                    }
                    if let Some(t) = c.timeout {
                        l.push_str(&format!(" · timeout {}", crate::util::duration::format(t)));
                    }
                }
                l
            } else {
                format!("{} · display only", crate::util::sanitize::line(lang))
            };
            let style = if runnable && !self.view.untrusted {
                self.st.runnable
            } else {
                self.st.display_only
            };
            header.push(Span::styled(
                format!("[{}] {label}", k + 1),
                if selected {
                    style.patch(self.st.selected)
                } else {
                    style
                },
            ));
            self.out.push(Line::from(header));
        }
        let bar = if selected { "┃ " } else { "│ " };
        let code_style = self.st.code;
        for raw in body.split('\n') {
            let mut prefix = self.indent();
            prefix.push(Span::styled(
                bar,
                if selected {
                    self.st.selected
                } else {
                    self.st.muted
                },
            ));
            let mut cont = prefix.clone();
            cont.push(Span::styled("  ", self.st.muted));
            self.styles.push(code_style);
            // Display-only blocks written for people (`$NAMESPACE`) show the
            // values the alert gave.
            let filled = match self.view.placeholders {
                Some(p) if !runnable_block => template::fill_shell_placeholders(raw, p),
                _ => raw.to_owned(),
            };
            let spans = self.text(&filled);
            self.styles.pop();
            let spans = if spans.is_empty() {
                vec![Span::styled("", code_style)]
            } else {
                spans
            };
            wrap_into(&mut self.out, spans, prefix, cont, self.width);
        }
        if !indented
            && let Some(live) = self
                .view
                .live
                .and_then(|l| l.get(&(self.counters.command - 1)))
        {
            self.out.extend(live.iter().cloned());
        }
    }
}

fn strip_leading_colon(spans: &mut Vec<Span<'static>>) {
    while let Some(first) = spans.first_mut() {
        let t = first
            .content
            .trim_start()
            .trim_start_matches(':')
            .trim_start()
            .to_owned();
        if t.is_empty() {
            spans.remove(0);
        } else {
            first.content = t.into();
            break;
        }
    }
}

/// The indent without the innermost list's padding (the bullet goes there).
fn indent_without_last_list(indent: &[Span<'static>], lists: usize) -> Vec<Span<'static>> {
    let mut v = indent.to_vec();
    if lists > 0
        && let Some(last) = v.last_mut()
        && last.content.chars().all(|c| c == ' ')
    {
        let w = last.content.len().saturating_sub(3);
        last.content = " ".repeat(w).into();
    }
    v
}
