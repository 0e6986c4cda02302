//! The interactive app, in the Elm shape: one [`Action`] enum, a pure
//! [`update()`] that routes it to the screen or overlay on show and returns
//! [`Effect`]s, a read-only [`view()`] that composes the screens, and the
//! [`runtime`] loop that connects them to the terminal and the background
//! tasks. See ARCHITECTURE.md for the layout and the flows.
//!
//! Inside, dependencies point one way: `runtime → update → view → state →
//! screens → context → overlays → widgets → session, board, settings,
//! action` (checked by `tests/architecture.rs`).

pub mod action;
pub mod board;
pub mod context;
pub mod evidence;
pub mod overlays;
pub mod runtime;
pub mod screens;
pub mod session;
pub mod settings;
pub mod state;
pub mod update;
pub mod view;
pub mod widgets;

pub use action::{Action, Effect, IncidentListing, Notice, NoticeLevel, Opened, StartRequest};
pub use context::Screen;
pub use overlays::Overlay;
pub use session::{Pane, Session};
pub use settings::Settings;
pub use state::State;
pub use update::update;
pub use view::view;
