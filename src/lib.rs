//! Mayday: a terminal incident-runbook assistant.
//!
//! The binary (`src/main.rs`) is a thin shell over this library, so tests
//! and benchmarks drive everything without a terminal. See
//! `ARCHITECTURE.md` for how the modules fit together. Dependencies point
//! one way, and `tests/architecture.rs` keeps it so:
//!
//! ```text
//! cli → app → ui, config → sync → gameday → incident → exec → runbook → status → util
//! ```

#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod config;
pub mod exec;
pub mod gameday;
pub mod incident;
pub mod runbook;
pub mod status;
pub mod sync;
pub mod ui;
pub mod util;
