//! Word wrapping of styled spans: words keep their styles, long words are
//! cut to the width, continuation lines keep the indent.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// A word: styled pieces with no space between them, then its spaces.
#[derive(Default)]
pub(super) struct Word {
    pieces: Vec<(String, Style)>,
    space: Option<(String, Style)>,
}

impl Word {
    fn width(&self) -> usize {
        self.pieces.iter().map(|(t, _)| t.width()).sum()
    }
}

/// Split spans into words. A word may change style in the middle
/// (`maxmemory`?): only white space separates words.
pub(super) fn words(spans: Vec<Span<'static>>) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    for span in spans {
        let style = span.style;
        for c in span.content.chars() {
            if c == ' ' {
                let w = match out.last_mut() {
                    Some(w) => w,
                    None => {
                        out.push(Word::default());
                        out.last_mut().expect("just pushed")
                    }
                };
                match w.space.as_mut() {
                    Some((sp, _)) => sp.push(' '),
                    None => w.space = Some((" ".to_owned(), style)),
                }
                continue;
            }
            if out.last().is_none_or(|w| w.space.is_some()) {
                out.push(Word::default());
            }
            let w = out.last_mut().expect("just pushed");
            match w.pieces.last_mut() {
                Some((t, st)) if *st == style => t.push(c),
                _ => w.pieces.push((c.to_string(), style)),
            }
        }
    }
    out
}

/// Greedy word wrap of styled spans.
pub(super) fn wrap_into(
    out: &mut Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    first: Vec<Span<'static>>,
    cont: Vec<Span<'static>>,
    width: usize,
) {
    let mut line = first;
    let mut line_w: usize = line.iter().map(|s| s.content.width()).sum();
    let cont_w: usize = cont.iter().map(|s| s.content.width()).sum();
    let mut has_text = false;
    for word in words(spans) {
        let w = word.width();
        if has_text && line_w + w > width {
            out.push(Line::from(std::mem::replace(&mut line, cont.clone())));
            line_w = cont_w;
            has_text = false;
        }
        for (text, style) in word.pieces {
            push_chunked(
                out,
                &mut line,
                &mut line_w,
                &text,
                style,
                width,
                &cont,
                cont_w,
            );
            has_text = true;
        }
        if let Some((sp, style)) = word.space
            && (has_text || line_w == 0 || line_w != cont_w)
        {
            line_w += sp.len();
            line.push(Span::styled(sp, style));
        }
    }
    out.push(Line::from(line));
}

/// Push a word, breaking it when it alone is wider than the line.
#[allow(clippy::too_many_arguments)]
pub(super) fn push_chunked(
    out: &mut Vec<Line<'static>>,
    line: &mut Vec<Span<'static>>,
    line_w: &mut usize,
    word: &str,
    style: Style,
    width: usize,
    cont: &[Span<'static>],
    cont_w: usize,
) {
    let mut piece = String::new();
    let mut piece_w = 0;
    for c in word.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if *line_w + piece_w + cw > width && (*line_w + piece_w) > cont_w {
            if !piece.is_empty() {
                line.push(Span::styled(std::mem::take(&mut piece), style));
            }
            *line_w += piece_w;
            out.push(Line::from(std::mem::replace(line, cont.to_vec())));
            *line_w = cont_w;
            piece_w = 0;
        }
        piece.push(c);
        piece_w += cw;
    }
    if !piece.is_empty() {
        *line_w += piece_w;
        line.push(Span::styled(piece, style));
    }
}
