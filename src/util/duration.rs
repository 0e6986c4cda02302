//! Durations as runbooks and configs write them: `30s`, `2m`, `1h30m`,
//! `2 minutes`, ISO 8601 `PT2M` (parsed by `jiff`).

use std::time::Duration;

/// Parse a non-negative duration. A bare number is seconds.
pub fn parse(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let signed: jiff::SignedDuration = t
        .parse()
        .map_err(|_| format!("`{t}` is not a duration (write e.g. `30s`, `2m`, `1h30m`)"))?;
    Duration::try_from(signed).map_err(|_| format!("`{t}` is negative"))
}

/// Format compactly: `45s`, `2m`, `1h30m`, `2m30s`.
pub fn format(d: Duration) -> String {
    let total = d.as_secs();
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Like [`format()`], with tenths under a minute: `0.3s`, `12.5s`, `2m30s`.
pub fn precise(d: Duration) -> String {
    if d < Duration::from_secs(60) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format(d)
    }
}

/// `hh:mm:ss` (hours grow past 24).
pub fn clock(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    format!(
        "{sign}{:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// `mm:ss`, or `h:mm:ss` past an hour.
pub fn countdown(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    if secs >= 3600 {
        format!(
            "{sign}{}:{:02}:{:02}",
            secs / 3600,
            (secs % 3600) / 60,
            secs % 60
        )
    } else {
        format!("{sign}{:02}:{:02}", secs / 60, secs % 60)
    }
}

/// A short human age: `12s`, `4m`, `3h`, `2d`.
pub fn short(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_friendly_and_iso() {
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("2 minutes"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("PT2M"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert!(parse("soon").is_err());
        assert!(parse("-5m").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format(Duration::from_secs(150)), "2m30s");
        assert_eq!(format(Duration::ZERO), "0s");
        assert_eq!(clock(3725), "01:02:05");
        assert_eq!(countdown(65), "01:05");
        assert_eq!(countdown(-5), "-00:05");
        assert_eq!(short(7200), "2h");
    }
}
