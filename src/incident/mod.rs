//! Incidents: events, the crash-safe log they are written to, the state
//! replayed from it, and the directory of incident logs.

pub mod event;
pub mod state;

pub use event::{Event, EventKind, Group, Phase, ScoreLine};
pub use state::{CommandRecord, CommandResult, Incident, StepProgress, StepStatus};
