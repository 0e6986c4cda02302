//! The sanitizer: nothing it returns may contain an escape character, a
//! C0/C1 control other than tab and line feed, or a bidi override; the
//! streaming sanitizer keeps only SGR; JSON escaping round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mayday::util::sanitize::{self, Mode, Sanitizer};

fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || sanitize::is_bidi_control(c)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let line = sanitize::line(&text);
    assert!(!line.chars().any(|c| dangerous(c) || c == '\n'), "{line:?}");
    let block = sanitize::text(&text);
    assert!(!block.chars().any(dangerous), "{block:?}");
    let _ = sanitize::reveal(&text);
    // Streamed in two pieces cut anywhere: SGR kept, nothing else.
    let cut = data.first().map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let mut s = Sanitizer::new(Mode::Sgr);
    let mut out = s.push(&data[..cut]);
    out.push_str(&s.push(&data[cut..]));
    out.push_str(&s.finish());
    let stripped = sanitize::strip_sgr(&out);
    assert!(!stripped.chars().any(|c| c == '\u{1b}'), "{out:?}");
    let json = sanitize::to_json(&*text, false).expect("a string serializes");
    // The escapes mean the same characters.
    let back: String = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(back, text);
});
