//! The alert (and page) an incident was started from, as its first event
//! records it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The alert an incident was started from: what fired, with its labels.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRef {
    /// The alert's name.
    pub name: String,
    /// Its labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Its annotations (summary, description, runbook_url…).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// When it started firing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<Timestamp>,
    /// The status source it was seen in.
    #[serde(default)]
    pub source: String,
    /// Alertmanager's fingerprint of it, where the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The page it came with (PagerDuty): id, number, title, link,
    /// urgency, service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<crate::status::Page>,
}

impl AlertRef {
    /// Its labels as `name=value`, the alert's name left out.
    pub fn label_pairs(&self) -> Vec<String> {
        self.labels
            .iter()
            .filter(|(k, _)| k.as_str() != "alertname")
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}
