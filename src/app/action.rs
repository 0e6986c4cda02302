//! What can happen to the app (`Action`) and what the app asks the outside
//! world to do (`Effect`). `update` turns one into the other without I/O.

use crate::incident::{Event, EventKind};
use crate::runbook::{Runbook, Severity};
use crossterm::event::KeyEvent;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An open (unresolved) incident, as the picker lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentListing {
    /// The incident's id.
    pub id: String,
    /// The id of the runbook it runs.
    pub runbook_id: String,
    /// The runbook's title.
    pub title: String,
    /// When it started.
    pub started_at: Timestamp,
    /// Open, mitigated or resolved.
    pub state: crate::incident::Phase,
    /// How many events its log has.
    pub events: usize,
    /// A game-day rehearsal.
    pub rehearsal: bool,
    /// A problem with the log (torn, corrupt), shown instead of hiding it.
    pub problem: Option<String>,
}

/// Everything that changes the app's state.
#[derive(Debug)]
pub enum Action {
    /// A key press, with the time it was read.
    Key {
        /// The key.
        key: KeyEvent,
        /// When it was read.
        at: Timestamp,
    },
    /// Pasted text (bracketed paste).
    Paste {
        /// The text, line ends as the terminal sent them.
        text: String,
        /// When it arrived.
        at: Timestamp,
    },
    /// The 1 Hz clock.
    Tick(Timestamp),
    /// A timer asked for with `Effect::WakeAfter` went off.
    Wake(Timestamp),
    /// Events another Mayday appended to the incident this session follows
    /// read-only (the other one holds its log).
    Followed(Vec<crate::incident::Event>),
    /// A note from `mayday note` in another terminal (see `app::runtime::inbox`);
    /// `ticket` names the answer the runtime owes it.
    RemoteNote {
        /// The note.
        text: String,
        /// Which `mayday note` to answer.
        ticket: u64,
        /// When it arrived.
        at: Timestamp,
    },
    /// The terminal was resized.
    Resize {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
    /// The open incidents, for the picker.
    Incidents(Vec<IncidentListing>),
    /// An incident log is open for writing (new or resumed): its runbook and
    /// every event read back from disk.
    IncidentOpened(Box<Opened>),
    /// Opening or creating the incident failed.
    IncidentFailed(String),
    /// The log writer has synced this event to disk.
    Saved(Box<Event>),
    /// The log writer could not save: the events from this one on are not
    /// on disk.
    SaveFailed {
        /// What went wrong (the OS error, once).
        error: String,
    },
    /// A warning or error to show (config, theme, runbook load problems).
    Notice(Notice),
    /// A status source was polled (or a game day set it).
    Status(Box<crate::status::Update>),
    /// The running command reported.
    Exec(Box<crate::exec::ExecEvent>),
    /// Runbook files changed on disk and were reloaded.
    LibraryReloaded(
        std::sync::Arc<crate::runbook::library::Library>,
        crate::runbook::library::ReloadReport,
    ),
    /// Trusting the runbook file (path, content hash) worked, or why not.
    Trusted(Result<(String, String), String>),
    /// A past incident was read for the review screen.
    ReviewOpened(Box<ReviewOpened>),
    /// The postmortem draft was written (path), or why not.
    DraftWritten(Result<String, String>),
    /// A rescue copy of the open incident's events was written (or not).
    Rescued(Box<crate::incident::writer::Rescue>),
    /// A call to a source (silence, acknowledge…) came back.
    Called(Box<Called>),
    /// The shared timeline's task of an incident reported (link state,
    /// shared, fetched). A report for another incident than the open one
    /// (it was just closed) is dropped.
    Sync {
        /// The incident the task shares.
        incident: String,
        /// What it reported.
        update: Box<crate::sync::live::LiveUpdate>,
    },
    /// Joining a shared incident: its local log is ready (the id), or why not.
    Joined(Result<String, String>),
    /// Shared incidents on the sync server (for the picker's join rows).
    SharedIncidents(Vec<crate::sync::shared::Header>),
    /// A step's query block was answered (or failed).
    QueryAnswered(Box<crate::app::evidence::QueryAnswered>),
}

/// A call to a source and what it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Called {
    /// The source it was made to.
    pub source: String,
    /// The call.
    pub call: crate::status::Call,
    /// What the source said.
    pub reply: crate::status::Reply,
}

/// A past incident, read back for review.
#[derive(Debug)]
pub struct ReviewOpened {
    /// The incident's id.
    pub id: String,
    /// The runbook version it ran (the copy kept with it, else the library's).
    pub runbook: Arc<Runbook>,
    /// Every event that could be read.
    pub events: Vec<Event>,
    /// A problem with the log (torn, corrupt): shown, not hidden.
    pub problem: Option<String>,
}

#[derive(Debug)]
/// An incident log open for writing: its runbook and its events.
pub struct Opened {
    /// The runbook version the incident runs.
    pub runbook: Arc<Runbook>,
    /// Every event read back from disk.
    pub events: Vec<Event>,
    /// Set when the log cannot be appended to (corruption): the incident is
    /// shown read-only.
    pub read_only: Option<String>,
    /// Problems found while opening (a recovered torn tail, a changed runbook).
    pub notices: Vec<Notice>,
    /// The runbook file is trusted (its runnable commands may run).
    pub trusted: bool,
    /// This session was resumed (rather than started).
    pub resumed: bool,
}

/// A message in the banner area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// How serious it is.
    pub level: NoticeLevel,
    /// What it says.
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
/// How serious a notice is (errors stay until dismissed; info fades).
pub enum NoticeLevel {
    /// For information; fades after a few seconds.
    Info,
    /// Something to look at.
    Warning,
    /// Something failed.
    Error,
}

impl Notice {
    /// An error notice.
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Error,
            text: text.into(),
        }
    }
    /// A warning notice.
    pub fn warning(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Warning,
            text: text.into(),
        }
    }
    /// An informational notice.
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Info,
            text: text.into(),
        }
    }
}

/// What to start an incident with.
#[derive(Clone, Debug, PartialEq)]
pub struct StartRequest {
    /// The runbook to run.
    pub runbook: Arc<Runbook>,
    /// The variables' values.
    pub variables: BTreeMap<String, String>,
    /// The severity.
    pub severity: Severity,
    /// Who starts it.
    pub responder: String,
    /// A game-day rehearsal.
    pub rehearsal: bool,
    /// The scenario, for a rehearsal.
    pub scenario: Option<String>,
    /// The alert it is started from, if any.
    pub alert: Option<crate::incident::AlertRef>,
    /// When it was asked for.
    pub at: Timestamp,
}

impl StartRequest {
    /// The first event of the incident's log. The id is filled in when the
    /// log is created (it depends on what is already in the data dir).
    pub fn started_event(&self, dry_run: bool) -> EventKind {
        EventKind::IncidentStarted {
            incident_id: String::new(),
            runbook_id: self.runbook.id.clone(),
            runbook_title: self.runbook.title.clone(),
            runbook_hash: self.runbook.hash.clone(),
            runbook_path: self.runbook.path.clone(),
            variables: self.variables.clone(),
            severity: self.severity,
            responder: self.responder.clone(),
            rehearsal: self.rehearsal,
            scenario: self.scenario.clone(),
            dry_run,
            mayday_version: env!("CARGO_PKG_VERSION").to_owned(),
            alert: self.alert.clone().map(Box::new),
        }
    }
}

/// What `update` asks the runtime to do.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Create the incident log and open it.
    StartIncident(StartRequest),
    /// Reopen an unresolved incident.
    ResumeIncident(String),
    /// Append an event to the open incident's log.
    Append(EventKind, Timestamp),
    /// Append another responder's event (from the shared timeline) to the
    /// open incident's log, in order with this session's own.
    Merge(Box<Event>),
    /// Join a shared incident: fetch its runbook copy and timeline into a
    /// local log, then open it.
    JoinIncident(String),
    /// Ask the sync server which incidents are shared (for the picker).
    ListShared,
    /// Close the open incident's log (waits until everything is saved).
    CloseIncident,
    /// Re-read the list of open incidents.
    ListIncidents,
    /// Leave the app (after closing the log).
    Quit,
    /// Write every event of the open incident, saved or not, to a rescue
    /// copy outside the data directory.
    Rescue,
    /// Close an abandoned rehearsal (resolve it, keeping its log), then
    /// list the incidents again.
    CloseRehearsal(String),
    /// Send `Action::Wake` after this long (the typing guard's timer).
    WakeAfter(std::time::Duration),
    /// A remote note became event `seq`: answer `saved seq` once it is.
    NoteAccepted {
        /// Which `mayday note` to answer.
        ticket: u64,
        /// The event it became.
        seq: u64,
    },
    /// A remote note was not taken, and why.
    NoteRefused {
        /// Which `mayday note` to answer.
        ticket: u64,
        /// Why it was not taken.
        why: String,
    },
    /// Ring the terminal bell (a wait finished, a status update is due).
    Bell,
    /// Poll status sources now (`None`: all).
    PollNow(Option<String>),
    /// Run a confirmed command (or pretend to, for a dry run).
    RunCommand(RunRequest),
    /// Kill the running command's process group.
    CancelCommand,
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Trust a runbook file with this content hash.
    Trust {
        /// The runbook file.
        path: String,
        /// Its content hash (trust ends when the content changes).
        hash: String,
    },
    /// Read a past incident for the review screen.
    OpenReview(String),
    /// Write the postmortem draft of an incident next to its log.
    WriteDraft(String),
    /// Evaluate a step's query block (the answer comes back as
    /// [`Action::QueryAnswered`], always, a failure too).
    Query(Box<crate::app::evidence::QueryRequest>),
    /// Make a call to a status source or pager (its answer comes back as
    /// [`Action::Called`]).
    Call {
        /// The source, by name.
        source: String,
        /// The call.
        call: crate::status::Call,
    },
}

/// A command the user confirmed.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    /// The expanded text.
    pub text: String,
    /// Where to run it (expanded).
    pub cwd: Option<String>,
    /// The runbook's timeout (else the config's default).
    pub timeout: Option<std::time::Duration>,
    /// The incident's variables (exported to the command as `MAYDAY_VAR_*`).
    pub vars: BTreeMap<String, String>,
    /// A dry run: log it, execute nothing.
    pub dry_run: bool,
    /// Exit codes that mean success (empty: 0).
    pub ok_exit: Vec<i32>,
}
