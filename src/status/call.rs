//! Writes to a source, asked for by the responder: silence the incident's
//! alert in Alertmanager and expire that silence; acknowledge or resolve a
//! PagerDuty page and add notes to it. The source's own task makes the
//! call (it holds the token, and PagerDuty asks for one request at a time
//! per token) and answers with a [`Reply`].

use std::collections::BTreeMap;

/// A write to a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// Alertmanager: silence the alerts with exactly these labels.
    Silence {
        /// Label name → value; every one must match.
        matchers: BTreeMap<String, String>,
        /// When the silence ends.
        ends_at: jiff::Timestamp,
        /// Who asks (the responder).
        created_by: String,
        /// Why.
        comment: String,
    },
    /// Alertmanager: expire a silence now.
    ExpireSilence {
        /// The silence's id.
        id: String,
    },
    /// PagerDuty: acknowledge a page.
    Acknowledge {
        /// The page's id.
        page_id: String,
    },
    /// PagerDuty: resolve a page.
    ResolvePage {
        /// The page's id.
        page_id: String,
    },
    /// PagerDuty: add a note to a page.
    PageNote {
        /// The page's id.
        page_id: String,
        /// The note.
        content: String,
    },
}

impl Call {
    /// The call's name in the incident log (`silence`, `acknowledge`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Call::Silence { .. } => "silence",
            Call::ExpireSilence { .. } => "expire_silence",
            Call::Acknowledge { .. } => "acknowledge",
            Call::ResolvePage { .. } => "resolve_page",
            Call::PageNote { .. } => "page_note",
        }
    }

    /// What the call is about: the alert silenced, the silence, the page.
    pub fn target(&self) -> String {
        match self {
            Call::Silence { matchers, .. } => matchers
                .get("alertname")
                .cloned()
                .unwrap_or_else(|| format!("{} labels", matchers.len())),
            Call::ExpireSilence { id } => id.clone(),
            Call::Acknowledge { page_id }
            | Call::ResolvePage { page_id }
            | Call::PageNote { page_id, .. } => page_id.clone(),
        }
    }

    /// The details of the request, for the log (the silence's end and
    /// comment, the note's text).
    pub fn request(&self) -> String {
        match self {
            Call::Silence {
                ends_at, comment, ..
            } => format!("until {ends_at} · {comment}"),
            Call::PageNote { content, .. } => content.clone(),
            _ => String::new(),
        }
    }

    /// When what the call makes ends (a silence's end).
    pub fn until(&self) -> Option<jiff::Timestamp> {
        match self {
            Call::Silence { ends_at, .. } => Some(*ends_at),
            _ => None,
        }
    }

    /// Does this call need the source to be of this kind?
    pub fn fits(&self, kind: super::Kind) -> bool {
        match self {
            Call::Silence { .. } | Call::ExpireSilence { .. } => kind == super::Kind::Alertmanager,
            _ => kind == super::Kind::Pagerduty,
        }
    }
}

/// What the source answered: `Ok` with what it said (the new silence's
/// id, "acknowledged"), or `Err` with why not, in words for the screen.
pub type Reply = Result<String, String>;
