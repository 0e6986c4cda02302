//! The app's state. Plain data: `update` changes it, `view` reads it.

use super::action::{IncidentListing, Notice, Opened};
use super::input::TextInput;
use crate::incident::{Event, Incident, Phase};
use crate::runbook::library::Library;
use crate::runbook::{Runbook, Severity};
use crate::ui::keymap::Keymap;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Settings fixed for the session (from the config file and the CLI).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The config's `status_update_every`, when it sets one: then it holds
    /// for every severity. Unset, the interval follows severity
    /// ([`Settings::update_every`]).
    pub status_update_every: Option<Duration>,
    pub default_responder: String,
    pub dry_run: bool,
    /// The default command timeout (the config's `commands.default_timeout`).
    pub command_timeout: std::time::Duration,
    /// How commands run, as the confirmation shows it
    /// (`bash -e -o pipefail`).
    pub shell: String,
    /// Values from `mayday start --var/--severity/--responder`: not asked again.
    pub preset: Preset,
}

impl Settings {
    /// How often stakeholders hear from us at this severity: SEV1 every
    /// 15 minutes, SEV2 30, lower ones hourly — unless the config says.
    pub fn update_every(&self, severity: crate::runbook::Severity) -> Duration {
        self.status_update_every.unwrap_or_else(|| {
            Duration::from_secs(
                60 * match severity.sev() {
                    "SEV1" => 15,
                    "SEV2" => 30,
                    _ => 60,
                },
            )
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            status_update_every: None,
            default_responder: "responder".into(),
            dry_run: false,
            command_timeout: std::time::Duration::from_secs(300),
            shell: "sh".into(),
            preset: Preset::default(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preset {
    pub variables: BTreeMap<String, String>,
    pub severity: Option<Severity>,
    pub responder: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Picker,
    Start,
    Incident,
    /// A past incident: timeline, statistics, charts (`mayday review`).
    Review,
}

/// The incident screen's panes, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Steps,
    Content,
    Log,
    Status,
}

impl Pane {
    pub const ORDER: [Pane; 4] = [Pane::Content, Pane::Steps, Pane::Log, Pane::Status];
}

/// One row of the picker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickItem {
    /// An unresolved incident (index into `State::incidents`).
    Resume(usize),
    /// A runbook whose alert is firing now (index into
    /// `State::library.runbooks`, index into `State::firing`).
    Firing(usize, usize),
    /// A runbook (index into `State::library.runbooks`).
    Runbook(usize),
    /// A game-day scenario (index into `State::gamedays`).
    Gameday(usize),
    /// A resolved incident to review (index into `State::past`).
    Review(usize),
}

#[derive(Clone, Debug)]
pub struct Picker {
    pub filter: TextInput,
    pub filtering: bool,
    pub items: Vec<PickItem>,
    /// Matched character positions per runbook index (for highlighting).
    pub highlights: BTreeMap<usize, Vec<u32>>,
    pub selected: usize,
}

impl Default for Picker {
    fn default() -> Self {
        Picker {
            filter: TextInput::new("", false),
            // The picker opens ready to type: filtered as you type.
            filtering: true,
            items: Vec::new(),
            highlights: BTreeMap::new(),
            selected: 0,
        }
    }
}

/// A field of the start form.
#[derive(Clone, Debug)]
pub enum FieldKind {
    Variable { name: String, required: bool },
    Severity,
    Responder,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub label: String,
    pub kind: FieldKind,
    pub input: TextInput,
}

/// The start screen: the runbook's variables, severity, responder.
#[derive(Clone, Debug)]
pub struct StartForm {
    pub runbook: Arc<Runbook>,
    /// Values given up front (command line, or a game-day scenario).
    pub preset: Preset,
    /// Starting a rehearsal of this scenario.
    pub scenario: Option<Arc<crate::gameday::Scenario>>,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub severity: Severity,
    pub error: Option<String>,
    /// The incident was asked for and is being created: a second Enter
    /// (a bounce, a tired hand) must not start a second one.
    pub starting: bool,
}

/// What a prompt is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptKind {
    SkipReason {
        step: String,
    },
    /// A blank variable the selected command needs: given, then the run
    /// goes on.
    Variable {
        name: String,
    },
    ResolveSummary,
    Note,
    StatusUpdate,
}

#[derive(Clone, Debug)]
pub struct Prompt {
    pub kind: PromptKind,
    pub title: String,
    pub help: String,
    pub input: TextInput,
    /// The text it opened with: a draft that differs is never thrown away
    /// without a second Esc.
    pub initial: String,
    /// Esc was pressed once on an edited draft.
    pub discard_armed: bool,
    pub error: Option<String>,
}

/// Asking before a command runs.
#[derive(Clone, Debug)]
pub struct Confirmation {
    pub step: String,
    pub index: usize,
    pub text: String,
    /// What the dialog shows: the command with invisible characters made
    /// visible, where and how it runs.
    pub preview: Vec<String>,
    pub level: crate::runbook::Confirm,
    /// The phrase to type for `confirm=typed`.
    pub phrase: String,
    pub typed: TextInput,
    pub error: Option<String>,
    pub request: super::action::RunRequest,
}

#[derive(Clone, Debug)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// Run this command?
    Confirm(Box<Confirmation>),
    /// Text to copy by hand (shown after an OSC 52 copy).
    ShowText {
        title: String,
        text: String,
    },
    /// The items of one status source.
    SourceDetails {
        index: usize,
        scroll: u16,
    },
    ConfirmQuit,
    /// Take back "mitigated"?
    ConfirmRetract,
    /// Close this abandoned rehearsal?
    ConfirmClose {
        id: String,
    },
    /// Resolve although sources are down or mitigation steps are pending?
    ConfirmResolve {
        reasons: Vec<String>,
    },
    /// This runbook already has an open incident: resume it instead?
    ConfirmSecond {
        runbook: Arc<Runbook>,
        open_id: String,
    },
    /// Trust this runbook file (its commands may then run)?
    ConfirmTrust {
        path: String,
        hash: String,
    },
    Prompt(Box<Prompt>),
}

/// The command that is running (or ran last) in this session.
#[derive(Clone, Debug)]
pub struct RunView {
    pub step: String,
    pub index: usize,
    pub text: String,
    pub started_at: Timestamp,
    pub pid: Option<u32>,
    pub dry_run: bool,
    /// Output lines (SGR colour sequences kept), the tail.
    pub output: std::collections::VecDeque<String>,
    /// The line being written.
    pub partial: String,
    pub finished: Option<crate::exec::Finished>,
    pub timeout: std::time::Duration,
    /// How it runs (`bash -e -o pipefail`), once started.
    pub shell: Option<String>,
}

/// How many output lines the pane keeps.
pub const OUTPUT_LINES: usize = 2000;

/// An open incident.
#[derive(Clone, Debug)]
pub struct Session {
    /// The runbook version the incident started with.
    pub runbook: Arc<Runbook>,
    /// The incident as replayed from the log (plus events not yet saved).
    pub incident: Incident,
    /// Every event, in order. Events after `saved_seq` are not on disk yet.
    pub events: Vec<Event>,
    /// The highest sequence number the writer has synced to disk.
    pub saved_seq: u64,
    /// The log could not be written: shown as a banner until resolved.
    pub save_error: Option<String>,
    /// The rescue copy written for unsaved events: the last sequence number
    /// it holds, and its path.
    pub rescued: Option<(u64, String)>,
    /// Why the log is read-only (corruption), if it is.
    pub read_only: Option<String>,
    pub trusted: bool,
    pub focus: Pane,
    /// The step highlighted in the step list.
    pub list_selected: usize,
    /// The selected checklist item or command in the current step
    /// (index into [`Session::selectables`]).
    pub item_selected: usize,
    pub content_scroll: u16,
    /// Log lines scrolled up from the bottom (0 = follow the newest).
    pub log_scroll: usize,
    /// Events that arrived while the log was scrolled up (shown as "↓ N
    /// new"; the view stays where the responder put it).
    pub log_unseen: usize,
    /// The due time of the status update the bell already rang for.
    pub update_belled_for: Option<Timestamp>,
    /// The command running or last run.
    pub run: Option<RunView>,
    /// Text the next note starts with (after a failed command).
    pub note_template: Option<String>,
    /// The runbook file changed since the incident started: the new version,
    /// offered with a banner (the incident keeps the old one until the
    /// responder switches).
    pub runbook_update: Option<Arc<Runbook>>,
}

impl Session {
    pub fn new(o: &Opened) -> Option<Session> {
        let incident = Incident::replay(&o.events)?;
        let saved_seq = incident.last_seq;
        let mut s = Session {
            runbook: o.runbook.clone(),
            incident,
            events: o.events.clone(),
            saved_seq,
            save_error: None,
            rescued: None,
            read_only: o.read_only.clone(),
            trusted: o.trusted,
            focus: Pane::Content,
            list_selected: 0,
            item_selected: 0,
            content_scroll: 0,
            log_scroll: 0,
            log_unseen: 0,
            update_belled_for: None,
            run: None,
            note_template: None,
            runbook_update: None,
        };
        s.list_selected = s.current_index();
        Some(s)
    }

    /// The index of the current step in the runbook (0 when none yet).
    pub fn current_index(&self) -> usize {
        self.incident
            .current_step
            .as_deref()
            .and_then(|id| self.runbook.step_index(id))
            .unwrap_or(0)
    }

    /// The checklist items and commands of the current step, in the order
    /// they appear.
    pub fn selectables(&self) -> Vec<Selectable> {
        let Some(step) = self.runbook.steps.get(self.current_index()) else {
            return Vec::new();
        };
        let mut v: Vec<(u32, Selectable)> = step
            .checklist
            .iter()
            .enumerate()
            .map(|(i, c)| (c.pos.line, Selectable::Checklist(i)))
            .chain(
                step.commands
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.pos.line, Selectable::Command(i))),
            )
            .collect();
        v.sort_by_key(|(line, s)| (*line, matches!(s, Selectable::Command(_))));
        v.into_iter().map(|(_, s)| s).collect()
    }

    pub fn selected_item(&self) -> Option<Selectable> {
        self.selectables().get(self.item_selected).copied()
    }

    /// Has every event been synced to disk?
    pub fn all_saved(&self) -> bool {
        self.saved_seq >= self.incident.last_seq
    }

    /// How many events are not on disk yet.
    pub fn unsaved(&self) -> u64 {
        self.incident.last_seq.saturating_sub(self.saved_seq)
    }

    /// The rescue copy, if it holds every event there is.
    pub fn rescue_current(&self) -> Option<&str> {
        self.rescued
            .as_ref()
            .filter(|(through, _)| *through >= self.incident.last_seq)
            .map(|(_, p)| p.as_str())
    }

    /// When the next stakeholder status update is due.
    pub fn update_due(&self, every: Duration) -> Timestamp {
        let secs = i64::try_from(every.as_secs()).unwrap_or(i64::MAX / 2);
        self.incident
            .last_status_update
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap_or(self.incident.last_status_update)
    }

    pub fn is_resolved(&self) -> bool {
        self.incident.phase == Phase::Resolved
    }
}

/// Something the content pane can select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selectable {
    Checklist(usize),
    Command(usize),
}

/// One status source as the screen shows it.
#[derive(Clone, Debug)]
pub struct SourceView {
    pub snapshot: crate::status::Snapshot,
    /// When the source entered its current state (for "up for 2m").
    pub since: Timestamp,
    /// Recent latencies in ms, oldest first (for the sparkline).
    pub latencies: std::collections::VecDeque<u64>,
}

/// How many latencies the sparkline keeps.
pub const LATENCY_HISTORY: usize = 30;

/// The live status of every configured source.
#[derive(Clone, Debug, Default)]
pub struct StatusBoard {
    pub sources: Vec<SourceView>,
    pub selected: usize,
}

impl StatusBoard {
    pub fn get(&self, name: &str) -> Option<&SourceView> {
        self.sources.iter().find(|s| s.snapshot.name == name)
    }
}

/// An alert firing now and the runbook that handles it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    pub runbook: usize,
    pub alertname: String,
    pub source: String,
}

/// The whole app.
#[derive(Clone, Debug)]
pub struct State {
    /// The time of the last action (events are stamped with it).
    pub now: Timestamp,
    /// The zone absolute times are shown in.
    pub tz: TimeZone,
    pub screen: Screen,
    pub library: Arc<Library>,
    pub picker: Picker,
    pub start: Option<StartForm>,
    pub session: Option<Session>,
    pub overlay: Option<Overlay>,
    pub keymap: Keymap,
    pub settings: Settings,
    /// Which runbook files the user trusts.
    pub trust: crate::exec::trust::TrustStore,
    pub notices: Vec<Notice>,
    /// When the newest notice appeared (info notices fade after a while).
    pub notice_since: Timestamp,
    /// Unresolved incidents, for the picker.
    pub incidents: Vec<IncidentListing>,
    /// The newest resolved incidents, for "review" in the picker.
    pub past: Vec<IncidentListing>,
    /// Game-day scenarios, for the picker.
    pub gamedays: Vec<Arc<crate::gameday::Scenario>>,
    /// The running rehearsal's script.
    pub rehearsal: Option<crate::gameday::Rehearsal>,
    /// The review screen.
    pub review: Option<Box<super::review::Review>>,
    /// Started as `mayday review`: leaving the review quits.
    pub review_only: bool,
    /// Started as `mayday gameday`: the picker offers game days only, so
    /// nothing from it can start a real incident.
    pub gameday_only: bool,
    /// Live status sources.
    pub status: StatusBoard,
    /// Runbooks whose alerts are firing now.
    pub firing: Vec<Firing>,
    pub size: (u16, u16),
    /// The app is on its way out (waiting for the log to be saved).
    pub quitting: bool,
    /// The typing guard on the incident screen (see `update::typing`).
    pub typing: Typing,
}

/// Keys that look like typing never act on the incident: a key that would
/// change it waits [`BURST`] before it acts, and one more printable key in
/// that time turns the lot into a note draft.
#[derive(Clone, Debug, Default)]
pub struct Typing {
    /// An acting key held back, and when it came.
    pub deferred: Option<(crossterm::event::KeyEvent, jiff::Timestamp)>,
    /// Printable characters of the current burst, and the last one's time.
    pub burst: String,
    pub last: Option<jiff::Timestamp>,
}

/// Keys closer together than this are typing, not commands.
pub const BURST: std::time::Duration = std::time::Duration::from_millis(300);

impl State {
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
            gamedays: Vec::new(),
            rehearsal: None,
            review: None,
            review_only: false,
            gameday_only: false,
            status: StatusBoard::default(),
            firing: Vec::new(),
            size: (80, 24),
            quitting: false,
            typing: Typing::default(),
        };
        super::update::refilter(&mut s);
        s
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
        }
    }
}
