//! Times in the postmortem: absolute times in the reader's zone, the date
//! written only when it changes, and T+ offsets from the start — computed
//! from each timestamp's offset, so a 100k-event timeline stays fast.

use super::escape::line;
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use std::cell::Cell;
use std::fmt::{self, Write as _};

/// Local times, computed from each timestamp's offset in the time zone
/// and plain arithmetic. The offset is cached with the span it holds for
/// (up to the zone's next transition), so a log in order costs one zone
/// lookup per transition, not per event; the date is formatted only when
/// it changes.
pub(super) struct Clock<'a> {
    tz: &'a TimeZone,
    start: Timestamp,
    pub(super) last_day: Option<i64>,
    /// (valid from, valid until, offset).
    cache: Cell<Option<(Timestamp, Option<Timestamp>, Offset)>>,
    /// The last date written, by local day number.
    day_text: Cell<Option<(i64, [u8; 10])>>,
}

impl<'a> Clock<'a> {
    pub(super) fn new(tz: &'a TimeZone, start: Timestamp) -> Self {
        Clock {
            tz,
            start,
            last_day: None,
            cache: Cell::new(None),
            day_text: Cell::new(None),
        }
    }

    pub(super) fn offset(&self, at: Timestamp) -> Offset {
        if let Some((from, until, off)) = self.cache.get()
            && from <= at
            && until.is_none_or(|u| at < u)
        {
            return off;
        }
        let off = self.tz.to_offset(at);
        let until = self.tz.following(at).next().map(|t| t.timestamp());
        self.cache.set(Some((at, until, off)));
        off
    }

    /// (offset, day number, second of the day) in local time.
    pub(super) fn local(&self, at: Timestamp) -> (Offset, i64, i64) {
        let off = self.offset(at);
        let secs = at.as_second() + i64::from(off.seconds());
        (off, secs.div_euclid(86_400), secs.rem_euclid(86_400))
    }

    pub(super) fn tz_note(&self, o: &mut String) -> fmt::Result {
        o.push_str("Times are in ");
        match self.tz.iana_name() {
            Some(name) => line(o, name),
            None => o.push_str("local time"),
        }
        o.push_str(" (UTC");
        push_offset(o, self.offset(self.start))?;
        o.push_str(" at the start).");
        Ok(())
    }

    /// `HH:MM:SS`.
    pub(super) fn hms(o: &mut String, sod: i64) {
        let sod = sod.unsigned_abs();
        push2(o, sod / 3600);
        o.push(':');
        push2(o, sod / 60 % 60);
        o.push(':');
        push2(o, sod % 60);
    }

    /// `YYYY-MM-DD` of local day number `day` (cached: dates repeat).
    pub(super) fn date(&self, o: &mut String, off: Offset, at: Timestamp, day: i64) {
        if let Some((d, text)) = self.day_text.get()
            && d == day
        {
            o.push_str(std::str::from_utf8(&text).unwrap_or_default());
            return;
        }
        let start = o.len();
        let d = off.to_datetime(at);
        let _ = write!(o, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
        if let Ok(text) = <[u8; 10]>::try_from(&o.as_bytes()[start..]) {
            self.day_text.set(Some((day, text)));
        }
    }

    /// `2026-11-23 03:04:05`.
    pub(super) fn datetime(&self, o: &mut String, at: Timestamp) -> fmt::Result {
        let (off, day, sod) = self.local(at);
        self.date(o, off, at, day);
        o.push(' ');
        Self::hms(o, sod);
        Ok(())
    }

    /// `2026-11-23 03:04:05` on the first call and when the date changes,
    /// else `03:04:05`.
    pub(super) fn time_or_datetime(&mut self, o: &mut String, at: Timestamp) -> fmt::Result {
        let (off, day, sod) = self.local(at);
        if self.last_day != Some(day) {
            self.last_day = Some(day);
            self.date(o, off, at, day);
            o.push(' ');
        }
        Self::hms(o, sod);
        Ok(())
    }

    /// `T+01:02:03` since the start.
    pub(super) fn elapsed(&self, o: &mut String, at: Timestamp) -> fmt::Result {
        let secs = at.duration_since(self.start).as_secs();
        o.push_str(if secs < 0 { "T-" } else { "T+" });
        let s = secs.unsigned_abs();
        let h = s / 3600;
        if h < 100 {
            push2(o, h);
        } else {
            write!(o, "{h}")?;
        }
        o.push(':');
        push2(o, s / 60 % 60);
        o.push(':');
        push2(o, s % 60);
        Ok(())
    }

    /// `03:04:05 (T+00:04:05)`.
    pub(super) fn time_elapsed(&self, o: &mut String, at: Timestamp) -> fmt::Result {
        let (_, _, sod) = self.local(at);
        Self::hms(o, sod);
        o.push_str(" (");
        self.elapsed(o, at)?;
        o.push(')');
        Ok(())
    }

    /// A full date and time, or `—`.
    pub(super) fn moment(&self, o: &mut String, at: Option<Timestamp>) -> fmt::Result {
        match at {
            Some(at) => {
                self.datetime(o, at)?;
                o.push_str(" (");
                self.elapsed(o, at)?;
                o.push(')');
                Ok(())
            }
            None => {
                o.push('—');
                Ok(())
            }
        }
    }

    /// `2026-11-23T03:04:05`, Mermaid's `dateFormat YYYY-MM-DDTHH:mm:ss`.
    pub(super) fn iso(&self, o: &mut String, at: Timestamp) -> fmt::Result {
        let (off, day, sod) = self.local(at);
        self.date(o, off, at, day);
        o.push('T');
        Self::hms(o, sod);
        Ok(())
    }
}

/// Two decimal digits (`n` < 100).
pub(super) fn push2(o: &mut String, n: u64) {
    let n = (n % 100) as u8;
    o.push(char::from(b'0' + n / 10));
    o.push(char::from(b'0' + n % 10));
}

/// `+01:00`, `-05:30`.
pub(super) fn push_offset(o: &mut String, off: Offset) -> fmt::Result {
    let s = off.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    let a = s.unsigned_abs();
    write!(o, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}
