//! The shared timeline on the incident screen: what the sync task reports
//! (the link, what the server acknowledged, others' events) applied to the
//! session, and others' events handed to the log writer in order.

use crate::app::action::Effect;
use crate::app::session::{Session, SyncView};
use crate::incident::{Event, Incident, timeline};
use crate::sync::live::{Link, LiveUpdate};

/// Apply one report of the sync task.
pub fn on_update(s: &mut Session, u: LiveUpdate, fx: &mut Vec<Effect>) {
    let view = s.sync.get_or_insert(SyncView {
        link: Link::Connecting,
        queued: 0,
        shared_through: 0,
    });
    match u {
        LiveUpdate::Link { link, queued } => {
            view.link = match (link, &view.link) {
                // A queued event while offline: keep the last reason.
                (Link::Offline { since, why }, Link::Offline { why: had, .. })
                    if why.is_empty() =>
                {
                    Link::Offline {
                        since,
                        why: had.clone(),
                    }
                }
                (link, _) => link,
            };
            view.queued = queued;
        }
        LiveUpdate::Shared(seq) => {
            view.shared_through = view.shared_through.max(seq);
            view.queued = view.queued.saturating_sub(1);
        }
        LiveUpdate::Fetched(events) => merge(s, events, fx),
    }
}

/// Others' events: numbered after everything this session has (the writer
/// numbers them the same way, as it gets them in the same order), shown,
/// and applied. Arrivals that belong earlier in the timeline put it back in
/// order and replay it, so every screen shows the same timeline.
fn merge(s: &mut Session, events: Vec<Event>, fx: &mut Vec<Effect>) {
    if s.read_only.is_some() || events.is_empty() {
        return;
    }
    let n = events.len();
    for e in events {
        let mut m = e.clone();
        if !m.merged || m.origin_seq == 0 {
            m.origin_seq = m.seq;
        }
        m.seq = s.incident.last_seq + 1;
        m.merged = true;
        s.incident.apply(&m);
        s.events.push(m);
        fx.push(Effect::Merge(Box::new(e)));
    }
    if !timeline::is_ordered(&s.events) {
        s.events = timeline::order(std::mem::take(&mut s.events));
        if let Some(inc) = Incident::replay(&s.events) {
            s.incident = inc;
        }
    }
    if s.log_scroll > 0 {
        s.log_scroll += n;
        s.log_unseen += n;
    }
}
