//! What a screen is given: [`Cx`] when it handles a key (the shared state
//! it may read, and where it writes notices, effects, an overlay to open
//! and [`Request`]s for the router), [`Vcx`] when it draws. Screens never
//! see the whole [`State`](crate::app::state::State): the router lends
//! them these parts of it.

pub use crate::app::widgets::kit::Vcx;

use crate::app::action::{Effect, IncidentListing, Notice};
use crate::app::board::StatusBoard;
use crate::app::overlays::Overlay;
use crate::app::settings::Settings;
use crate::exec::trust::TrustStore;
use crate::gameday::Scenario;
use crate::runbook::Runbook;
use crate::runbook::library::Library;
use crate::ui::keymap::Keymap;
use jiff::Timestamp;
use std::sync::Arc;

/// The screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Pick a runbook, resume or review an incident, rehearse a game day.
    Picker,
    /// The start form: the runbook's variables, severity, responder.
    Start,
    /// The open incident (or a replay of a past one).
    Incident,
    /// A past incident: timeline, statistics, charts (`mayday review`).
    Review,
}

/// What a screen asks of the router: changes beyond its own state.
#[derive(Clone, Debug)]
pub enum Request {
    /// Quit now (an open incident gets `session_ended` and stays open).
    Quit,
    /// Quit, asking first when an incident is open.
    AskQuit,
    /// Show another screen.
    Show(Screen),
    /// Open the start form for this runbook.
    OpenStart(Arc<Runbook>),
    /// Open the start form for this runbook from a firing alert.
    StartFromAlert(Arc<Runbook>, Box<crate::incident::AlertRef>),
    /// Rehearse this game-day scenario.
    Rehearse(Arc<Scenario>),
    /// Recompute the picker's rows.
    Refilter,
}

/// What handling a key may read and write besides the screen's own state.
pub struct Cx<'a> {
    /// The time of the action (events are stamped with it).
    pub now: Timestamp,
    /// The terminal's size (for page sizes).
    pub size: (u16, u16),
    /// Key bindings.
    pub keymap: &'a Keymap,
    /// Settings fixed for the session.
    pub settings: &'a Settings,
    /// Every runbook.
    pub library: &'a Arc<Library>,
    /// Which runbook files are trusted.
    pub trust: &'a TrustStore,
    /// Open incidents.
    pub incidents: &'a [IncidentListing],
    /// Recently resolved incidents.
    pub past: &'a [IncidentListing],
    /// Shared incidents to join (on the sync server, not here).
    pub shared: &'a [crate::sync::shared::Header],
    /// Game-day scenarios.
    pub gamedays: &'a [Arc<Scenario>],
    /// Only game days may be started (`mayday gameday`).
    pub gameday_only: bool,
    /// The live status panel (its selection moves with the keys).
    pub status: &'a mut StatusBoard,
    /// The overlay to open, if the key opens one.
    pub overlay: &'a mut Option<Overlay>,
    /// Messages for the banner.
    pub notices: &'a mut Vec<Notice>,
    /// Effects for the runtime.
    pub fx: &'a mut Vec<Effect>,
    /// Requests for the router, carried out after the screen returns.
    pub requests: Vec<Request>,
}

impl Cx<'_> {
    /// Rows a page-up or page-down moves.
    pub fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(8)).max(1)
    }

    /// Ask the router for something.
    pub fn request(&mut self, r: Request) {
        self.requests.push(r);
    }
}
