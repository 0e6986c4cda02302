//! Markdown to wrapped, styled lines: how a step (or a runbook's intro) is
//! shown on the screen and printed by `mayday show`.
//!
//! A step's body contains its commands, checklist, decisions, verify
//! conditions and waits in the Markdown spelling (YAML steps get an
//! equivalent body generated when they load), so one renderer handles both
//! formats. The k-th fenced code block is the step's k-th command and the
//! k-th task-list item its k-th checklist item; [`StepView`] supplies what
//! the incident knows about each (ticked, selected, met, time left).
//!
//! All text passes through [`crate::util::sanitize`] here: runbook text is
//! untrusted.

mod render;
mod wrap;

pub use render::{plain, render};

use crate::runbook::Command;
use ratatui::style::Style;
use std::collections::BTreeMap;

/// The styles the renderer uses. `Default` is unstyled (plain text).
#[derive(Clone, Debug, Default)]
pub struct MdStyles {
    /// Plain text.
    pub text: Style,
    /// Headings.
    pub heading: Style,
    /// *Emphasis*.
    pub emphasis: Style,
    /// **Strong** text.
    pub strong: Style,
    /// Code, inline and fenced.
    pub code: Style,
    /// Links.
    pub link: Style,
    /// Block quotes.
    pub quote: Style,
    /// List bullets and numbers.
    pub bullet: Style,
    /// An unticked checklist box.
    pub check_open: Style,
    /// A ticked checklist box.
    pub check_done: Style,
    /// The selected checklist item or command.
    pub selected: Style,
    /// A decision's question.
    pub decision: Style,
    /// The key of a decision's choice.
    pub choice_key: Style,
    /// A verify condition that holds.
    pub verify_met: Style,
    /// A verify condition that does not hold yet.
    pub verify_unmet: Style,
    /// A wait.
    pub wait: Style,
    /// A runnable command's label.
    pub runnable: Style,
    /// A display-only command's label.
    pub display_only: Style,
    /// A `{{variable}}` that has no value.
    pub variable_missing: Style,
    /// Secondary text.
    pub muted: Style,
    /// Keep backticks around inline code (plain-text output has no other
    /// way to show it).
    pub mark_code: bool,
}

impl MdStyles {
    /// No styles; inline code keeps its backticks.
    pub fn plain() -> Self {
        Self {
            mark_code: true,
            ..Self::default()
        }
    }
}

/// What the screen knows about the step being rendered. Every field is
/// optional: `StepView::default()` renders the runbook as written.
#[derive(Clone, Copy, Default)]
pub struct StepView<'a> {
    /// Variable values; `{{name}}` with a value is substituted.
    pub vars: Option<&'a BTreeMap<String, String>>,
    /// The step's commands, to annotate code blocks.
    pub commands: &'a [Command],
    /// Ticked state per checklist item (else: as written in the file).
    pub checked: Option<&'a [bool]>,
    /// The selected checklist item or command.
    pub selected: Option<Selected>,
    /// Per verify condition: whether it is met and a note on where it stands
    /// `None` no data.
    pub verify: &'a [VerifyShow],
    /// Per wait: a label such as "04:12 left" or "done".
    pub waits: &'a [String],
    /// Per decision: the choice taken.
    pub decisions: &'a [Option<usize>],
    /// The runbook is not trusted: runnable commands are display-only.
    pub untrusted: bool,
    /// Values for shell-style placeholders (`$NAMESPACE`, `${POD}`) in
    /// display-only blocks: an alert's labels, upper-cased.
    pub placeholders: Option<&'a BTreeMap<String, String>>,
    /// Lines to show right under a code block, by the block's index among
    /// the step's commands: a live query's answer.
    pub live: Option<&'a BTreeMap<usize, Vec<ratatui::text::Line<'static>>>>,
}

/// Where a verify condition stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyShow {
    /// `Some(true)` met, `Some(false)` not yet, `None` no data.
    pub met: Option<bool>,
    /// Shown after the condition: "api is down", "up for 40s of 2m".
    pub note: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// What is selected in the step: a checklist item or a command (by index).
pub enum Selected {
    /// The k-th checklist item.
    Checklist(usize),
    /// The k-th command.
    Command(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    fn show(md: &str, width: u16) -> Vec<String> {
        plain(&render(
            md,
            width,
            &StepView::default(),
            &MdStyles::default(),
        ))
    }

    #[test]
    fn paragraphs_wrap_at_the_width() {
        let lines = show("one two three four five six seven eight nine ten", 20);
        assert!(lines.iter().all(|l| l.width() <= 20), "{lines:?}");
        assert_eq!(lines.join(" ").split_whitespace().count(), 10);
    }

    #[test]
    fn punctuation_after_inline_code_stays_on_its_word() {
        let lines = show("**Decision:** Is `used_memory` at `maxmemory`?", 38);
        assert_eq!(lines, ["◆ Decision: Is used_memory at", "maxmemory?"]);
        let plain =
            |md: &str, w| super::plain(&render(md, w, &StepView::default(), &MdStyles::plain()));
        assert_eq!(
            plain("aaaa `bbbb`, cccc dddd", 20),
            ["aaaa `bbbb`, cccc", "dddd"]
        );
    }

    #[test]
    fn checklists_commands_and_decisions() {
        let md = "- [ ] page the on-call\n- [x] open a channel\n\n```sh {run}\necho hi\n```\n\n```promql\nup == 0\n```\n\n**Decision:** Is it up?\n\n1. Yes → [Pool](#pool)\n2. No → [Fail over](#failover)\n";
        let lines = show(md, 80);
        let text = lines.join("\n");
        assert!(text.contains("[ ] page the on-call"), "{text}");
        assert!(text.contains("[x] open a channel"), "{text}");
        assert!(text.contains("[1] sh · runnable"), "{text}");
        assert!(text.contains("│ echo hi"), "{text}");
        assert!(text.contains("[2] promql · display only"), "{text}");
        assert!(text.contains("◆ Decision: Is it up?"), "{text}");
        assert!(text.contains("[1] Yes → Pool"), "{text}");
        assert!(text.contains("[2] No → Fail over"), "{text}");
    }

    #[test]
    fn state_from_the_incident_overrides_the_file() {
        let md = "- [ ] a\n- [ ] b\n\n**Verify:** `api` is `up` for 2m\n\n**Wait:** 5m — drain\n";
        let checked = [false, true];
        let verify = [VerifyShow {
            met: Some(true),
            note: "met at 03:10".into(),
        }];
        let waits = ["04:59 left".to_owned()];
        let view = StepView {
            checked: Some(&checked),
            selected: Some(Selected::Checklist(0)),
            verify: &verify,
            waits: &waits,
            ..StepView::default()
        };
        let text = plain(&render(md, 80, &view, &MdStyles::default())).join("\n");
        assert!(text.contains("▸ [ ] a"), "{text}");
        assert!(text.contains("[x] b"), "{text}");
        assert!(
            text.contains("✔ met Verify: api is up for 2m  (met at 03:10)"),
            "{text}"
        );
        assert!(text.contains("◷ Wait: 5m — drain  [04:59 left]"), "{text}");
    }

    #[test]
    fn variables_are_substituted_and_escapes_neutralised() {
        let mut vars = BTreeMap::new();
        vars.insert("ns".to_owned(), "prod".to_owned());
        let view = StepView {
            vars: Some(&vars),
            ..StepView::default()
        };
        let md = "Use `{{ns}}` and {{missing}}.\n\n```sh\nkubectl -n {{ns}} get pods -o go-template='{{range .items}}{{end}}'\n```\n\nevil \u{1b}]0;title\u{7} text";
        let text = plain(&render(md, 100, &view, &MdStyles::default())).join("\n");
        assert!(text.contains("Use prod and {{missing}}."), "{text}");
        assert!(
            text.contains("kubectl -n prod get pods -o go-template='{{range .items}}{{end}}'"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("^[]0;title^G"), "{text}");
    }
}
