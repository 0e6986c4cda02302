//! How fresh a runbook is, from the incident history: how often and when it
//! was last used for a real incident, and last rehearsed in a game day.
//! Pure: the incidents come in (id, start, rehearsal), a tally per runbook
//! goes out, for the picker's preview, `mayday list --json` and
//! `mayday lint --stale`.

use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// One runbook's use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Use {
    /// Real incidents run on it.
    pub used: usize,
    /// When the newest one started.
    pub last_used: Option<Timestamp>,
    /// Game-day rehearsals of it.
    pub rehearsed: usize,
    /// When the newest one started.
    pub last_rehearsed: Option<Timestamp>,
}

impl Use {
    /// "used 3× · last 41 days ago · rehearsed never".
    pub fn describe(&self, now: Timestamp) -> String {
        let ago = |t: Option<Timestamp>| match t {
            Some(t) => days_ago(now, t),
            None => "never".to_owned(),
        };
        let used = if self.used == 0 {
            "never used".to_owned()
        } else {
            format!("used {}× · last {}", self.used, ago(self.last_used))
        };
        let rehearsed = if self.rehearsed == 0 {
            "rehearsed never".to_owned()
        } else {
            format!(
                "rehearsed {}× · last {}",
                self.rehearsed,
                ago(self.last_rehearsed)
            )
        };
        format!("{used} · {rehearsed}")
    }
}

/// "today", "yesterday", "41 days ago".
pub fn days_ago(now: Timestamp, then: Timestamp) -> String {
    let days = (now - then).as_secs().max(0) / 86_400;
    match days {
        0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        n => format!("{n} days ago"),
    }
}

/// The tally of every runbook that has incidents: `(runbook id, started,
/// rehearsal)` per incident, in any order.
pub fn tally<'a>(
    incidents: impl IntoIterator<Item = (&'a str, Timestamp, bool)>,
) -> BTreeMap<String, Use> {
    let mut out: BTreeMap<String, Use> = BTreeMap::new();
    for (runbook, at, rehearsal) in incidents {
        let u = out.entry(runbook.to_owned()).or_default();
        let (n, last) = if rehearsal {
            (&mut u.rehearsed, &mut u.last_rehearsed)
        } else {
            (&mut u.used, &mut u.last_used)
        };
        *n += 1;
        if last.is_none_or(|l| at > l) {
            *last = Some(at);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_the_newest_of_each() {
        let t = |d: i64| Timestamp::from_second(1_800_000_000 + d * 86_400).unwrap();
        let tallied = tally([
            ("db", t(10), false),
            ("db", t(3), false),
            ("db", t(1), true),
            ("db", t(12), false),
            ("dns", t(2), true),
        ]);
        let db = tallied["db"];
        assert_eq!((db.used, db.rehearsed), (3, 1));
        assert_eq!(db.last_used, Some(t(12)));
        assert_eq!(
            db.describe(t(53)),
            "used 3× · last 41 days ago · rehearsed 1× · last 52 days ago"
        );
        assert_eq!(
            tallied["dns"].describe(t(3)),
            "never used · rehearsed 1× · last yesterday"
        );
        assert_eq!(
            Use::default().describe(t(0)),
            "never used · rehearsed never"
        );
        assert_eq!(days_ago(t(5), t(5)), "today");
    }
}
