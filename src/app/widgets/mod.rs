//! Widgets: the pieces screens are drawn from. The incident panes (steps,
//! step content, log, command output, status panel) are drawn by the
//! incident screen and by replay alike; [`input::TextInput`] is the text
//! field of prompts and forms; [`kit`] holds the small shared pieces.

pub mod content;
pub mod input;
pub mod kit;
pub mod log;
pub mod output;
pub mod query;
pub mod status;
pub mod steps;
