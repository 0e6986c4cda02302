//! The app's state: every screen's and overlay's own state side by side,
//! and what they share. Plain data: `update` changes it, `view` reads it.

use crate::app::action::{IncidentListing, Notice};
use crate::app::board::StatusBoard;
use crate::app::context::Screen;
use crate::app::overlays::Overlay;
use crate::app::screens::incident::typing::Typing;
use crate::app::screens::picker::{self, PickItem, Picker};
use crate::app::screens::review::Review;
use crate::app::screens::start::StartForm;
use crate::app::session::Session;
use crate::app::settings::Settings;
use crate::runbook::Runbook;
use crate::runbook::library::Library;
use crate::ui::keymap::Keymap;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::sync::Arc;

/// The whole app.
#[derive(Clone, Debug)]
pub struct State {
    /// The time of the last action (events are stamped with it).
    pub now: Timestamp,
    /// The zone absolute times are shown in.
    pub tz: TimeZone,
    /// The screen on show.
    pub screen: Screen,
    /// Every runbook.
    pub library: Arc<Library>,
    /// The picker.
    pub picker: Picker,
    /// The start form, while one is open (or starting).
    pub start: Option<StartForm>,
    /// The open incident (or the replayed one).
    pub session: Option<Session>,
    /// The dialog over the screen.
    pub overlay: Option<Overlay>,
    /// Key bindings.
    pub keymap: Keymap,
    /// Settings fixed for the session.
    pub settings: Settings,
    /// Which runbook files the user trusts.
    pub trust: crate::exec::trust::TrustStore,
    /// Messages in the banner area.
    pub notices: Vec<Notice>,
    /// When the newest notice appeared (info notices fade after a while).
    pub notice_since: Timestamp,
    /// Unresolved incidents, for the picker.
    pub incidents: Vec<IncidentListing>,
    /// Open incidents on the sync server that are not here (the picker
    /// offers to join them).
    pub shared: Vec<crate::sync::shared::Header>,
    /// When the picker last asked the sync server for shared incidents.
    pub shared_asked: Timestamp,
    /// The newest resolved incidents, for "review" in the picker.
    pub past: Vec<IncidentListing>,
    /// Each runbook's use (real incidents, rehearsals), from every incident
    /// in the data dir.
    pub freshness: std::collections::BTreeMap<String, crate::incident::freshness::Use>,
    /// Game-day scenarios, for the picker.
    pub gamedays: Vec<Arc<crate::gameday::Scenario>>,
    /// The running rehearsal's script.
    pub rehearsal: Option<crate::gameday::Rehearsal>,
    /// The review screen.
    pub review: Option<Box<Review>>,
    /// Started as `mayday review`: leaving the review quits.
    pub review_only: bool,
    /// Started as `mayday gameday`: the picker offers game days only, so
    /// nothing from it can start a real incident.
    pub gameday_only: bool,
    /// Live status sources.
    pub status: StatusBoard,
    /// The terminal's size (columns, rows).
    pub size: (u16, u16),
    /// The app is on its way out (waiting for the log to be saved).
    pub quitting: bool,
    /// The typing guard on the incident screen (see `screens::incident::typing`).
    pub typing: Typing,
}

impl State {
    /// A fresh state on the picker.
    pub fn new(
        library: Arc<Library>,
        keymap: Keymap,
        settings: Settings,
        now: Timestamp,
        tz: TimeZone,
    ) -> State {
        let mut s = State {
            now,
            tz,
            screen: Screen::Picker,
            library,
            picker: Picker::default(),
            start: None,
            session: None,
            overlay: None,
            keymap,
            settings,
            trust: crate::exec::trust::TrustStore::default(),
            notices: Vec::new(),
            notice_since: now,
            incidents: Vec::new(),
            past: Vec::new(),
            freshness: Default::default(),
            shared: Vec::new(),
            shared_asked: now,
            gamedays: Vec::new(),
            rehearsal: None,
            review: None,
            review_only: false,
            gameday_only: false,
            status: StatusBoard::default(),
            size: (80, 24),
            quitting: false,
            typing: Typing::default(),
        };
        s.refilter();
        s
    }

    /// Recompute the picker's rows (the lists, the filter or the alerts
    /// firing changed).
    pub fn refilter(&mut self) {
        let lists = picker::Lists {
            library: &self.library,
            incidents: &self.incidents,
            past: &self.past,
            shared: &self.shared,
            gamedays: &self.gamedays,
            board: &self.status,
            gameday_only: self.gameday_only,
        };
        picker::refilter(&mut self.picker, &lists);
    }

    /// The status panel to show: the live one, or during a replay the one
    /// the log had at the replayed moment.
    pub fn board(&self) -> &StatusBoard {
        match &self.review {
            Some(r) if r.replay.is_some() => &r.board,
            _ => &self.status,
        }
    }

    /// The runbook a picker row points at.
    pub fn picked_runbook(&self, item: PickItem) -> Option<&Arc<Runbook>> {
        match item {
            PickItem::Runbook(i) | PickItem::Firing(i, _) => self.library.runbooks.get(i),
            PickItem::Resume(i) => self
                .incidents
                .get(i)
                .and_then(|inc| self.library.get(&inc.runbook_id)),
            PickItem::Review(i) => self
                .past
                .get(i)
                .and_then(|inc| self.library.get(&inc.runbook_id)),
            PickItem::Gameday(i) => self
                .gamedays
                .get(i)
                .and_then(|g| self.library.get(&g.runbook)),
            PickItem::Join(i) => self
                .shared
                .get(i)
                .and_then(|h| self.library.get(&h.runbook_id)),
        }
    }
}
