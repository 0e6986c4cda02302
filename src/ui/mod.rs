//! Presentation shared by the TUI and the CLI: themes, the keymap, and the
//! rendering of runbook Markdown into styled lines (`mayday show` prints the
//! same rendering as plain text).

pub mod keymap;
pub mod mdview;
pub mod show;
pub mod theme;
