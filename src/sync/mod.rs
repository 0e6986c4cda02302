//! The shared timeline: an incident's log mirrored onto NATS JetStream so
//! that several responders, each with their own complete local log, see
//! one timeline. Local-first: the local log is the outbox and the source of
//! truth; JetStream only carries events between logs.
//!
//! - [`config`]: the config file's `sync:` section.
//! - [`nats`]: connecting (token, user and password, creds file, TLS) and
//!   the stream (`mayday.incident.<id>.<responder>` for events,
//!   `mayday.runbook.<id>.<ext>` for the runbook copy).
//! - [`engine`]: one round for one incident — publish this log's own
//!   events not yet acknowledged (each with `Nats-Msg-Id` = its id, so a
//!   retry is harmless), fetch the others' new events and append them as
//!   `merged` records (de-duplicated by id), and keep a cursor beside the
//!   log.

pub mod config;
pub mod cursor;
pub mod engine;
pub mod live;
pub mod nats;
pub mod shared;

pub use config::{Auth, SyncConfig};
pub use engine::{Report, SyncError, sync_incident};
