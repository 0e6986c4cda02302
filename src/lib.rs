//! Mayday: a terminal incident-runbook assistant.
//!
//! The binary (`src/main.rs`) is a thin shell over this library, so tests
//! and benchmarks drive everything without a terminal. See
//! `ARCHITECTURE.md` for how the modules fit together.

pub mod app;
pub mod cli;
pub mod config;
pub mod diag;
pub mod duration;
pub mod exec;
pub mod gameday;
pub mod health;
pub mod incident;
pub mod keymap;
pub mod library;
pub mod lint;
pub mod mdview;
pub mod paths;
pub mod postmortem;
pub mod review;
pub mod runbook;
pub mod sanitize;
pub mod show;
pub mod status;
pub mod theme;
pub mod trust;
pub mod watch;
pub mod yamlutil;
