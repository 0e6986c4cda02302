//! The merged timeline's order, the same on every replica.
//!
//! A local log keeps records in the order they reached it: a responder's
//! own events as they happened, others' as sync fetched them. Two replicas
//! of a shared incident hold the same events in different file orders, so
//! everything that shows or reports the timeline (the log pane, replay,
//! review, export, the postmortem) puts them in one order first:
//!
//! - `incident_started` first;
//! - each responder's events in their own order (their origin sequence),
//!   never reordered among themselves, even if their clock stepped back;
//! - between responders, the earliest next event first, then the
//!   responder's name, then the origin sequence, then the event id.
//!
//! That is a k-way merge of per-responder sequences; it depends only on the
//! set of events, not on when or in which order they arrived.

use super::event::{Event, EventKind};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

/// The merge key of an event at the head of its responder's sequence.
type Key = (jiff::Timestamp, String, u64, String);

fn key(e: &Event) -> Key {
    (e.at, e.by.clone(), e.origin(), e.id.clone())
}

/// `events` in the timeline's order (see the module docs).
pub fn order(events: Vec<Event>) -> Vec<Event> {
    let total = events.len();
    let mut start = None;
    let mut lanes: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for e in events {
        if start.is_none() && matches!(e.kind, EventKind::IncidentStarted { .. }) {
            start = Some(e);
            continue;
        }
        lanes.entry(e.by.clone()).or_default().push(e);
    }
    let mut lanes: Vec<VecDeque<Event>> = lanes
        .into_values()
        .map(|mut v| {
            v.sort_by(|a, b| (a.origin(), &a.id).cmp(&(b.origin(), &b.id)));
            v.into()
        })
        .collect();
    let mut heads: BinaryHeap<Reverse<(Key, usize)>> = lanes
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.front().map(|e| Reverse((key(e), i))))
        .collect();
    let mut out = Vec::with_capacity(total);
    out.extend(start);
    while let Some(Reverse((_, i))) = heads.pop() {
        if let Some(e) = lanes[i].pop_front() {
            out.push(e);
        }
        if let Some(next) = lanes[i].front() {
            heads.push(Reverse((key(next), i)));
        }
    }
    out
}

/// Does `events` need reordering to be in the timeline's order? (Cheap
/// check before [`order`]: a log written by one responder alone never
/// does.)
pub fn is_ordered(events: &[Event]) -> bool {
    if events.iter().all(|e| !e.merged) {
        return true;
    }
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let ordered = order(events.to_vec());
    ordered.iter().map(|e| e.id.as_str()).eq(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn ev(by: &str, seq: u64, at: i64, id: &str) -> Event {
        let mut e = Event::new(
            seq,
            Timestamp::from_second(at).unwrap(),
            EventKind::Mitigated,
        );
        e.by = by.into();
        e.id = id.into();
        e
    }

    fn start() -> Event {
        let mut e = ev("alice", 1, 100, "s");
        e.kind = serde_json::from_value(serde_json::json!({
            "kind": "incident_started", "incident_id": "x", "runbook_id": "r",
            "runbook_title": "R", "runbook_hash": "h", "runbook_path": "p",
            "variables": {}, "severity": "high", "responder": "alice"
        }))
        .unwrap();
        e
    }

    fn merged(mut e: Event, local_seq: u64) -> Event {
        e.origin_seq = e.seq;
        e.seq = local_seq;
        e.merged = true;
        e
    }

    #[test]
    fn every_arrival_order_gives_the_same_timeline() {
        let a2 = ev("alice", 2, 110, "a2");
        let a3 = ev("alice", 3, 130, "a3");
        let b1 = ev("bob", 1, 120, "b1");
        let b2 = ev("bob", 2, 130, "b2");
        // Alice's replica: hers, then bob's as fetched.
        let alice = vec![
            start(),
            a2.clone(),
            a3.clone(),
            merged(b1.clone(), 4),
            merged(b2.clone(), 5),
        ];
        // Bob's replica: joined (alice's start and a2 merged), his own, a3 late.
        let bob = vec![
            merged(start(), 1),
            merged(a2.clone(), 2),
            {
                let mut e = b1.clone();
                e.seq = 3;
                e
            },
            {
                let mut e = b2.clone();
                e.seq = 4;
                e
            },
            merged(a3.clone(), 5),
        ];
        let ids = |v: Vec<Event>| order(v).into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(alice), ["s", "a2", "b1", "a3", "b2"]);
        assert_eq!(ids(bob), ["s", "a2", "b1", "a3", "b2"]);
    }

    #[test]
    fn a_responders_own_order_survives_a_clock_stepping_back() {
        // Bob's clock stepped back between his two events.
        let v = vec![
            start(),
            ev("bob", 2, 150, "b2"),
            ev("bob", 3, 105, "b3"),
            ev("alice", 4, 120, "a4"),
        ];
        let out: Vec<String> = order(v).into_iter().map(|e| e.id).collect();
        assert_eq!(out, ["s", "a4", "b2", "b3"]);
        let b2 = out.iter().position(|i| i == "b2");
        let b3 = out.iter().position(|i| i == "b3");
        assert!(b2 < b3);
    }

    #[test]
    fn a_log_of_one_responder_is_left_as_written() {
        let v = vec![start(), ev("alice", 2, 300, "x"), ev("alice", 3, 200, "y")];
        assert!(is_ordered(&v));
        let out: Vec<String> = order(v).into_iter().map(|e| e.id).collect();
        assert_eq!(out, ["s", "x", "y"]);
    }
}
