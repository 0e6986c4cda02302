//! The state of a status source, shared by the runbook model (verify
//! conditions) and the status pollers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a status source says about the thing it watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Working.
    Up,
    /// Working, but slow or partly failing.
    Degraded,
    /// Not working.
    Down,
    /// Could not tell (the poll failed, or nothing has been polled yet).
    #[default]
    Unknown,
}

impl Health {
    /// Every state, best first.
    pub const ALL: [Health; 4] = [Health::Up, Health::Degraded, Health::Down, Health::Unknown];

    /// The state as written in runbooks and the log (`up`, `degraded`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Degraded => "degraded",
            Health::Down => "down",
            Health::Unknown => "unknown",
        }
    }

    /// How bad: higher is worse. A source's state is the worst of its items.
    pub fn badness(self) -> u8 {
        match self {
            Health::Up => 0,
            Health::Unknown => 1,
            Health::Degraded => 2,
            Health::Down => 3,
        }
    }

    /// The worse of two states.
    #[must_use]
    pub fn worst(self, other: Health) -> Health {
        if other.badness() > self.badness() {
            other
        } else {
            self
        }
    }

    /// A symbol that carries the state without colour.
    pub fn icon(self) -> &'static str {
        match self {
            Health::Up => "●",
            Health::Degraded => "◐",
            Health::Down => "✖",
            Health::Unknown => "?",
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Health {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "up" | "ok" | "healthy" | "operational" => Ok(Health::Up),
            "degraded" => Ok(Health::Degraded),
            "down" => Ok(Health::Down),
            "unknown" => Ok(Health::Unknown),
            other => Err(format!(
                "`{other}` is not a state: use `up`, `degraded`, `down` or `unknown`"
            )),
        }
    }
}
