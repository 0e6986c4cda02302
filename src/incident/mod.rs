//! Incidents: events, the crash-safe log they are written to, the state
//! replayed from it, and the directory of incident logs.

pub mod alert;
pub mod archive;
pub mod describe;
pub mod event;
pub mod evidence;
pub mod freshness;
pub mod log;
pub mod postmortem;
pub mod review;
pub mod state;
pub mod store;
pub mod timeline;
pub mod writer;

pub use event::{AlertRef, Event, EventKind, Group, Phase, ScoreLine};
pub use state::{CommandRecord, CommandResult, Incident, StepProgress, StepStatus};
