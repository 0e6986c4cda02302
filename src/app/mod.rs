//! The interactive app: state, actions, the pure `update`, the read-only
//! `view`, and the runtime loop that connects them to the terminal and the
//! background tasks. See ARCHITECTURE.md for the flow.

pub mod action;
pub mod inbox;
pub mod input;
pub mod io;
pub mod review;
mod review_view;
pub mod runtime;
pub mod state;
pub mod terminal;
pub mod update;
pub mod view;

pub use action::{Action, Effect, IncidentListing, Notice, NoticeLevel, Opened, StartRequest};
pub use state::{Overlay, Pane, Screen, Session, Settings, State};
pub use update::update;
pub use view::view;
