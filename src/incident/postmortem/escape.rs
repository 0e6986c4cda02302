//! The escapers: every piece of outside text lands in the draft through the
//! one for where it goes (a table cell, a line, prose, a code fence, a
//! Mermaid task name), so it can never add a heading, a cell, an HTML tag
//! or a link, nor close a fence.

use crate::util::sanitize;

static SPECIAL: [bool; 256] = special_bytes();

/// Bytes that mean something to Markdown (or HTML) inline. All ASCII, so a
/// run of other bytes can be copied as it is without splitting a character.
pub(super) const fn special_bytes() -> [bool; 256] {
    let mut t = [false; 256];
    let specials = b"\\`*_[]<>&#|~$\n\r";
    let mut i = 0;
    while i < specials.len() {
        t[specials[i] as usize] = true;
        i += 1;
    }
    t
}

/// Escape sanitized text inline; `newline` replaces `\n`.
pub(super) fn escape_inline(o: &mut String, s: &str, newline: &str) {
    let bytes = s.as_bytes();
    // Fast path: nothing to escape (the usual case) is one copy.
    let Some(first) = bytes.iter().position(|&b| SPECIAL[usize::from(b)]) else {
        o.push_str(s);
        return;
    };
    o.reserve(s.len() + 8);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        if !SPECIAL[usize::from(b)] {
            continue;
        }
        o.push_str(&s[start..i]);
        match b {
            b'<' => o.push_str("&lt;"),
            b'>' => o.push_str("&gt;"),
            b'&' => o.push_str("&amp;"),
            b'\n' => o.push_str(newline),
            // The sanitizer leaves none; a stray one is dropped.
            b'\r' => {}
            _ => {
                o.push('\\');
                o.push(char::from(b));
            }
        }
        start = i + 1;
    }
    o.push_str(&s[start..]);
}

/// Outside text in a table cell or any single-line place (a list item, a
/// heading, after a label): sanitized, Markdown-active characters escaped,
/// `|` escaped, newlines turned into `<br>`.
pub fn cell(o: &mut String, text: &str) {
    escape_inline(o, &sanitize::text(text), "<br>");
}

/// Like [`cell`] for text that must stay on one line without `<br>`
/// (headings, the title): newlines and tabs become spaces.
pub fn line(o: &mut String, text: &str) {
    escape_inline(o, &sanitize::line(text), " ");
}

/// Outside text as one or more paragraphs: each line escaped like a
/// [`cell`] and its start neutralized, so no line can begin a heading, a
/// list, a quote, a code block, a table or a setext underline.
pub fn prose(o: &mut String, text: &str) {
    let clean = sanitize::text(text);
    for (i, l) in clean.split('\n').enumerate() {
        if i > 0 {
            o.push('\n');
        }
        let l = l.trim_start_matches([' ', '\t']);
        let bytes = l.as_bytes();
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let rest = match bytes.first() {
            Some(b'-' | b'+' | b'=') => {
                o.push('\\');
                l
            }
            Some(b'0'..=b'9') if matches!(bytes.get(digits), Some(b'.' | b')')) => {
                o.push_str(&l[..digits]);
                o.push('\\');
                &l[digits..]
            }
            _ => l,
        };
        escape_inline(o, rest, " ");
    }
}

/// `Title (id)` for a step (the id alone when it has no title), escaped
/// for a cell.
pub(super) fn step_name(o: &mut String, title: &str, id: &str) {
    if title.is_empty() {
        cell(o, id);
    } else {
        cell(o, title);
        o.push_str(" (");
        cell(o, id);
        o.push(')');
    }
}

/// The fence for `text`: backticks, one more than its longest run, at
/// least three.
pub fn fence_len(text: &str) -> usize {
    let b = text.as_bytes();
    let mut longest = 0;
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'`', &b[i..]) {
        let start = i + p;
        let run = b[start..].iter().take_while(|&&c| c == b'`').count();
        longest = longest.max(run);
        i = start + run;
    }
    (longest + 1).max(3)
}

/// Outside text as a fenced code block (`info` is ours: `sh`, `text`).
pub fn fenced(o: &mut String, info: &str, text: &str) {
    fenced_lines(o, info, &[text]);
}

/// Lines of outside text as one fenced code block, with a fence longer
/// than any run of backticks in them. Trailing empty lines are dropped.
pub fn fenced_lines<S: AsRef<str>>(o: &mut String, info: &str, lines: &[S]) {
    let n = lines
        .iter()
        .map(|l| fence_len(&sanitize::text(l.as_ref())))
        .max()
        .unwrap_or(3);
    let fence = |o: &mut String| (0..n).for_each(|_| o.push('`'));
    fence(o);
    o.push_str(info);
    o.push('\n');
    let start = o.len();
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        o.push_str(&sanitize::text(l.as_ref()));
    }
    let kept = o[start..].trim_end_matches('\n').len();
    o.truncate(start + kept);
    o.push('\n');
    fence(o);
    o.push_str("\n\n");
}

/// Words that start a statement in a Mermaid Gantt chart (its lexer is
/// case-insensitive): a task named like this would be read as one.
pub(super) const MERMAID_KEYWORDS: &[&str] = &[
    "gantt",
    "title",
    "section",
    "dateformat",
    "axisformat",
    "tickinterval",
    "includes",
    "excludes",
    "todaymarker",
    "weekday",
    "weekend",
    "inclusiveenddates",
    "topaxis",
    "acctitle",
    "accdescr",
    "click",
    "call",
    "href",
    "displaymode",
];

/// Outside text as a Mermaid task name: characters Mermaid reads as syntax
/// (`:` ends the name, `;` and newlines end the statement, `#` and `%`
/// start entities and comments, and HTML and Markdown characters) become
/// spaces; runs of spaces collapse; a name that would read as a keyword
/// gets a `step ` prefix.
pub fn mermaid_text(o: &mut String, text: &str) {
    let clean = sanitize::line(text);
    let start = o.len();
    let mut space = true; // drops leading spaces
    for c in clean.chars() {
        let c = match c {
            ':' | ';' | '#' | '%' | '`' | '<' | '>' | '&' | '"' | '\'' | '\\' | '|' | '{' | '}'
            | '[' | ']' | '*' | '_' | '~' | '$' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !space {
                o.push(' ');
            }
            space = true;
        } else {
            o.push(c);
            space = false;
        }
    }
    if o.ends_with(' ') && o.len() > start {
        o.pop();
    }
    if o.len() == start {
        o.push_str("step");
        return;
    }
    let name = o[start..].to_ascii_lowercase();
    if MERMAID_KEYWORDS.iter().any(|k| name.starts_with(k)) {
        o.insert_str(start, "step ");
    }
}
#[cfg(test)]
mod tests {
    use super::super::clock::Clock;
    use super::*;
    use jiff::Timestamp;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;
    use pulldown_cmark::{Event as Md, Options, Parser, Tag, TagEnd};

    fn s(f: fn(&mut String, &str), text: &str) -> String {
        let mut o = String::new();
        f(&mut o, text);
        o
    }

    fn opts() -> Options {
        Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_FOOTNOTES
    }

    const HOSTILE: &str = "| x |\n## Root cause\n<script>alert(1)</script> ``` [link](javascript:x) *em* _u_ ~~s~~ &lt; \\ $x$";

    #[test]
    fn cells_escape_markdown_and_html() {
        assert_eq!(s(cell, "plain text, ok."), "plain text, ok.");
        assert_eq!(
            s(cell, HOSTILE),
            "\\| x \\|<br>\\#\\# Root cause<br>&lt;script&gt;alert(1)&lt;/script&gt; \\`\\`\\` \\[link\\](javascript:x) \\*em\\* \\_u\\_ \\~\\~s\\~\\~ &amp;lt; \\\\ \\$x\\$"
        );
        assert_eq!(s(cell, "a\u{1b}[2Jb"), "a^\\[\\[2Jb");
        assert_eq!(s(line, "a\nb"), "a b");
    }

    #[test]
    fn prose_neutralizes_line_starts() {
        assert_eq!(
            s(prose, "- a\n+ b\n1. c\n10) d\n    code\n===\n> q\n# h"),
            "\\- a\n\\+ b\n1\\. c\n10\\) d\ncode\n\\===\n&gt; q\n\\# h"
        );
        assert_eq!(s(prose, "2026 was fine"), "2026 was fine");
    }

    #[test]
    fn fences_outgrow_the_text() {
        assert_eq!(fence_len("no ticks"), 3);
        assert_eq!(fence_len("a ``` b ```` c"), 5);
        let out = s(|o, t| fenced(o, "sh", t), "echo ````\n");
        assert_eq!(out, "`````sh\necho ````\n`````\n\n");
    }

    #[test]
    fn mermaid_names_lose_syntax() {
        assert_eq!(
            s(mermaid_text, "Fail over: primary #1; now"),
            "Fail over primary 1 now"
        );
        assert_eq!(s(mermaid_text, "section B"), "step section B");
        assert_eq!(s(mermaid_text, " :: "), "step");
        assert_eq!(s(mermaid_text, "a\nb"), "a b");
    }

    /// Local times across a daylight-saving change and midnight, in order
    /// and out of order (the offset cache must never serve a stale offset).
    #[test]
    fn the_clock_follows_offset_changes() {
        let tz = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        // 2026-10-25 00:59:58 UTC is 02:59:58 CEST; 01:00:00 UTC is 02:00:00 CET.
        let base: Timestamp = "2026-10-25T00:59:58Z".parse().unwrap();
        let mut clock = Clock::new(&tz, base);
        let mut o = String::new();
        for secs in [0, 1, 2, 3, 0, 3, 79_200, 79_202, -86_400] {
            let at = base + jiff::SignedDuration::from_secs(secs);
            clock.time_or_datetime(&mut o, at).unwrap();
            o.push(' ');
            clock.elapsed(&mut o, at).unwrap();
            o.push(' ');
            clock.iso(&mut o, at).unwrap();
            o.push('\n');
        }
        assert_eq!(
            o,
            "2026-10-25 02:59:58 T+00:00:00 2026-10-25T02:59:58\n\
             02:59:59 T+00:00:01 2026-10-25T02:59:59\n\
             02:00:00 T+00:00:02 2026-10-25T02:00:00\n\
             02:00:01 T+00:00:03 2026-10-25T02:00:01\n\
             02:59:58 T+00:00:00 2026-10-25T02:59:58\n\
             02:00:01 T+00:00:03 2026-10-25T02:00:01\n\
             23:59:58 T+22:00:00 2026-10-25T23:59:58\n\
             2026-10-26 00:00:00 T+22:00:02 2026-10-26T00:00:00\n\
             2026-10-24 02:59:58 T-24:00:00 2026-10-24T02:59:58\n"
        );
    }

    /// Parse `md` and return its events, owned.
    fn parse(md: &str) -> Vec<Md<'static>> {
        Parser::new_ext(md, opts())
            .map(|e| e.into_static())
            .collect()
    }

    /// What a reader sees of a cell: text, with `<br>` as a newline.
    fn cell_text(events: &[Md<'_>]) -> String {
        let mut t = String::new();
        for e in events {
            match e {
                Md::Text(s) => t.push_str(s),
                Md::InlineHtml(h) if &**h == "<br>" => t.push('\n'),
                _ => {}
            }
        }
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Escaped text in a table cell stays one cell of one row, holds no
        /// newline and no unescaped `|`, makes no link, HTML, code or
        /// emphasis, and reads back as the (sanitized) text.
        #[test]
        fn a_cell_stays_a_cell(text in "[a-z |\\\\`*_\\[\\]()<>&#!~$:=+.0-9\n\t-]{0,40}") {
            let esc = s(cell, &text);
            prop_assert!(!esc.contains('\n'));
            let b = esc.as_bytes();
            for (i, &c) in b.iter().enumerate() {
                if c == b'|' {
                    let slashes = b[..i].iter().rev().take_while(|&&x| x == b'\\').count();
                    prop_assert!(slashes % 2 == 1, "unescaped | at {i} in {esc:?}");
                }
            }
            let md = format!("| a | b |\n| --- | --- |\n| {esc} | z |\n");
            let events = parse(&md);
            let cells = events.iter().filter(|e| matches!(e, Md::Start(Tag::TableCell))).count();
            prop_assert_eq!(cells, 4, "{:?}", events);
            let rows = events.iter().filter(|e| matches!(e, Md::Start(Tag::TableRow))).count();
            prop_assert_eq!(rows, 1);
            for e in &events {
                let ok = match e {
                    Md::Start(t) => matches!(t, Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell),
                    Md::End(t) => matches!(t, TagEnd::Table | TagEnd::TableHead | TagEnd::TableRow | TagEnd::TableCell),
                    Md::Text(_) => true,
                    Md::InlineHtml(h) => &**h == "<br>",
                    _ => false,
                };
                prop_assert!(ok, "unexpected {:?} from {:?}", e, esc);
            }
            // The first body cell, between its start and end.
            let body_start = events.iter().position(|e| matches!(e, Md::End(TagEnd::TableHead))).unwrap_or(0);
            let first = &events[body_start..];
            let end = first.iter().position(|e| matches!(e, Md::End(TagEnd::TableCell))).unwrap_or(first.len());
            let seen = cell_text(&first[..end]);
            let want = sanitize::text(&text);
            prop_assert_eq!(seen.trim_matches([' ', '\t']), want.trim_matches([' ', '\t']));
        }

        /// Escaped prose is only paragraphs of text: no heading, list,
        /// quote, code, HTML, table, link or emphasis, and the same words.
        #[test]
        fn prose_stays_paragraphs(text in "[a-z |\\\\`*_\\[\\]()<>&#!~$:=+.0-9\n\t-]{0,60}") {
            let esc = s(prose, &text);
            let events = parse(&esc);
            let mut seen = String::new();
            for e in &events {
                let ok = match e {
                    Md::Start(t) => matches!(t, Tag::Paragraph),
                    Md::End(t) => matches!(t, TagEnd::Paragraph),
                    Md::Text(t) => { seen.push_str(t); true }
                    Md::SoftBreak | Md::HardBreak => true,
                    _ => false,
                };
                prop_assert!(ok, "unexpected {:?} from {:?}", e, esc);
            }
            let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            prop_assert_eq!(squash(&seen), squash(&sanitize::text(&text)));
        }

        /// A fenced block's fence never occurs inside it, and the block
        /// reads back as the text.
        #[test]
        fn a_fence_is_never_inside(text in "[a-z `~\n]{0,40}") {
            let out = s(|o, t| fenced(o, "text", t), &text);
            let n = fence_len(&text);
            let fence = "`".repeat(n);
            let body = &out[n + 5..out.len() - n - 3];
            prop_assert!(!body.contains(&fence), "{:?}", out);
            let events = parse(&out);
            let blocks = events.iter().filter(|e| matches!(e, Md::Start(Tag::CodeBlock(_)))).count();
            prop_assert_eq!(blocks, 1, "{:?}", events);
            let code: String = events.iter().filter_map(|e| match e { Md::Text(t) => Some(t.to_string()), _ => None }).collect();
            let want = text.trim_end_matches('\n');
            prop_assert_eq!(code.trim_end_matches('\n'), want);
        }

        /// Mermaid names never hold a character Mermaid reads as syntax.
        #[test]
        fn mermaid_names_are_inert(text in "\\PC{0,30}") {
            let out = s(mermaid_text, &text);
            prop_assert!(!out.is_empty());
            prop_assert!(!out.contains([':', ';', '#', '%', '\n', '`', '<', '>']), "{:?}", out);
        }
    }
}
