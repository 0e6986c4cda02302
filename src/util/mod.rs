//! Shared helpers every domain uses: diagnostics with file and line,
//! durations, the sanitizer for untrusted text, well-known paths, and YAML
//! helpers. Nothing here knows about runbooks, incidents or the screen.

pub mod diag;
pub mod duration;
pub mod paths;
pub mod sanitize;
pub mod yaml;
