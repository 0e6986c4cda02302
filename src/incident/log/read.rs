//! Reading an incident log: every record whose own checksum is good, with
//! damage located and classified — a torn tail (a write cut short) or
//! corruption (a bad record followed by good ones), one damaged record
//! costing only itself.

use super::*;

/// What follows the last good record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tail {
    /// Nothing after the last good record.
    Clean,
    /// The last record is incomplete or damaged: a write cut short.
    Torn {
        /// Where the torn part starts.
        offset: u64,
        /// How long it is.
        bytes: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A damaged record with good ones after it.
    Corrupt {
        /// The damaged record's line.
        line: usize,
        /// Where it starts.
        offset: u64,
        /// What is wrong with it.
        reason: String,
        /// How many good records follow it.
        good_after: usize,
    },
}

/// A log as read from disk.
#[derive(Clone, Debug)]
pub struct ReadLog {
    /// The header line.
    pub header: Header,
    /// Every good event, in order.
    pub events: Vec<Event>,
    /// What follows the last good record.
    pub tail: Tail,
    /// The byte length of the header and the good records before the first
    /// bad one.
    pub good_len: u64,
    /// The chained CRC after the last good record.
    pub last_crc: u32,
    /// Damaged records that were skipped, in file order.
    pub skipped: Vec<Skipped>,
    /// Why the header line could not be used, when it was rebuilt.
    pub header_damage: Option<String>,
}

impl ReadLog {
    /// A one-line description of a problem, if there is one.
    pub fn problem(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(h) = &self.header_damage {
            parts.push(h.clone());
        }
        match &self.tail {
            Tail::Clean => {}
            Tail::Torn { bytes, reason, .. } => parts.push(format!(
                "torn tail: the last {bytes} byte(s) are incomplete ({reason})"
            )),
            Tail::Corrupt {
                line,
                reason,
                good_after,
                ..
            } => {
                let others = self.skipped.len().saturating_sub(1);
                parts.push(format!(
                    "corrupt record on line {line} ({reason}); {good_after} good record(s) after it{}",
                    if others > 0 {
                        format!(", {others} more damaged record(s) skipped")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// What reading skipped, one line each (for a warning on stderr).
    pub fn skipped_lines(&self) -> Vec<String> {
        self.skipped
            .iter()
            .map(|s| {
                format!(
                    "line {} (bytes {}..{}, after event {}): {}",
                    s.line,
                    s.offset,
                    s.offset + s.bytes,
                    s.after_seq,
                    s.reason
                )
            })
            .collect()
    }
}

/// A damaged record that reading skipped.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// The line it is on (the header is line 1).
    pub line: usize,
    /// Its byte range in the file.
    pub offset: u64,
    /// Its length in bytes.
    pub bytes: u64,
    /// The sequence number of the last good event before it (0: none).
    pub after_seq: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// One line's fields, as written: `seq crc json`. Read as bytes, so damage
/// inside the JSON still leaves the checksum readable.
struct Fields<'a> {
    seq: u64,
    crc: u32,
    json: &'a [u8],
}

fn fields(line: &[u8]) -> Option<Fields<'_>> {
    let mut parts = line.splitn(3, |b| *b == b' ');
    let seq = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let crc = std::str::from_utf8(parts.next()?)
        .ok()
        .filter(|c| is_crc_text(c))
        .and_then(|c| u32::from_str_radix(c, 16).ok())?;
    let json = parts.next()?;
    Some(Fields { seq, crc, json })
}

/// Where a second record starts inside a damaged line (`<seq> <crc> {"seq":<seq>,`
/// mid-line): a flipped line end glues two records together, and the second
/// one is still good.
fn glued_at(line: &[u8]) -> Option<usize> {
    const KEY: &[u8] = b" {\"seq\":";
    memchr::memmem::find_iter(line, KEY).find_map(|i| {
        // `i` is the space before the JSON; before it, 8 hex digits and a
        // space, and before that the sequence number the JSON repeats.
        let digits_end = line[i + KEY.len()..]
            .iter()
            .position(|b| !b.is_ascii_digit())?;
        let seq = &line[i + KEY.len()..i + KEY.len() + digits_end];
        if seq.is_empty() || line.get(i + KEY.len() + digits_end) != Some(&b',') {
            return None;
        }
        let crc_start = i.checked_sub(8)?;
        let start = crc_start.checked_sub(1 + seq.len())?;
        (start > 0
            && line[crc_start - 1] == b' '
            && std::str::from_utf8(&line[crc_start..i]).is_ok_and(is_crc_text)
            && &line[start..crc_start - 1] == seq)
            .then_some(start)
    })
}

/// Parse a whole log from its bytes. Never fails on damaged records: each
/// record is checked against the checksum stored on the line before it, so
/// one damaged record costs that record only; what was skipped is listed in
/// `skipped` and summed up in the tail. CRLF line ends (a file converted by
/// an editor or a transfer) are read as LF. A damaged header is rebuilt
/// from the first record when that record's checksum proves the rebuild.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ReadLog, LogError> {
    let not_a_log = |why: String| LogError::NotALog {
        path: path.to_path_buf(),
        why,
    };
    // The lines, each with its offset and length (line end included). A
    // line glued to the next by a damaged line end is split in two.
    let mut lines: Vec<(u64, &[u8], bool)> = Vec::new();
    let mut offset = 0usize;
    let mut glued = false;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let (line, len, ended) = match memchr::memchr(b'\n', rest) {
            Some(nl) => (&rest[..nl], nl + 1, true),
            None => (rest, rest.len(), false),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match glued_at(line) {
            Some(at) if ended => {
                glued |= offset == 0;
                lines.push((offset as u64, &line[..at], true));
                lines.push(((offset + at) as u64, &line[at..], true));
            }
            _ => lines.push((offset as u64, line, ended)),
        }
        offset += len;
    }
    let Some(&(_, header_bytes, true)) = lines.first() else {
        return Err(not_a_log("the header line is incomplete".into()));
    };
    let header_line = std::str::from_utf8(header_bytes).map_err(|_| "the header is not UTF-8");
    let parsed_header = header_line.map_err(str::to_owned).and_then(parse_header);
    let mut header = parsed_header.clone().ok();
    let mut header_damage = glued.then(|| {
        "the header's line end is damaged (the first record was read after it)".to_owned()
    });
    // The checksums a record may chain from: the one stored on the line
    // before it, the one that line's own content gives, the last good one.
    let mut stored_prev = header_line.ok().map(header_crc);
    let mut computed_prev = None;
    let mut last_good: Option<u32> = stored_prev;
    let mut events: Vec<Event> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut good_len = lines.get(1).map_or(bytes.len() as u64, |l| l.0);
    let mut last_crc = stored_prev.unwrap_or(0);
    let mut first_bad: Option<(usize, u64, String)> = None;
    let mut good_after_bad = 0usize;
    for (i, &(off, line, ended)) in lines.iter().enumerate().skip(1) {
        let line_no = i + 1;
        let next_off = lines.get(i + 1).map_or(bytes.len() as u64, |l| l.0);
        let f = fields(line);
        let candidates = [stored_prev, computed_prev, last_good];
        let mut verdict: Result<(Event, u32), String> = Err(match &f {
            None => "not a record (sequence number, checksum, event)".to_owned(),
            Some(_) => "checksum mismatch".to_owned(),
        });
        if !ended {
            verdict = Err("the last record has no line end".into());
        } else if let Some(f) = &f {
            let chained = candidates
                .iter()
                .flatten()
                .any(|&p| crc_of(p, f.seq, f.json) == f.crc);
            let rebuilt = if !chained && events.is_empty() && skipped.is_empty() {
                rebuild_header(f)
            } else {
                None
            };
            if chained || rebuilt.is_some() {
                verdict = match serde_json::from_slice::<Event>(f.json) {
                    Err(e) => Err(format!("bad event: {e}")),
                    Ok(e) if e.seq != f.seq => {
                        Err("the sequence number inside the record differs".into())
                    }
                    Ok(e) if events.last().is_some_and(|l| l.seq >= e.seq) => Err(format!(
                        "sequence number {} after {}",
                        e.seq,
                        events.last().map_or(0, |l| l.seq)
                    )),
                    Ok(e) if events.is_empty() && e.seq != 1 && first_bad.is_none() => {
                        Err(format!("sequence number {} where 1 was expected", e.seq))
                    }
                    Ok(e) => Ok((e, f.crc)),
                };
                if verdict.is_ok()
                    && let Some(h) = rebuilt
                {
                    header_damage = Some(match &parsed_header {
                        Ok(_) => {
                            "the header line is damaged (rebuilt from the first record)".to_owned()
                        }
                        Err(why) => format!("{why} (rebuilt from the first record)"),
                    });
                    header = Some(h);
                }
            }
        }
        // When the frame is damaged, the checksum and the JSON may still be
        // found where they always are: around ` {"seq":`.
        let loose = memchr::memmem::find(line, b"{\"seq\":").map(|j| {
            let crc = j
                .checked_sub(9)
                .and_then(|c| std::str::from_utf8(&line[c..j - 1]).ok())
                .filter(|c| is_crc_text(c))
                .and_then(|c| u32::from_str_radix(c, 16).ok());
            (crc, &line[j..])
        });
        // What this line's checksum should be, from its own content: when
        // only its checksum or its frame is damaged, the next record still
        // chains to it.
        let base = candidates.iter().flatten().next().copied();
        computed_prev = match (&f, loose) {
            (Some(f), _) => base.map(|p| crc_of(p, f.seq, f.json)),
            (None, Some((_, json))) => {
                let seq = events.last().map_or(1, |e| e.seq + 1);
                last_good.map(|p| crc_of(p, seq, json))
            }
            _ => None,
        };
        stored_prev = f.as_ref().map(|f| f.crc).or(loose.and_then(|l| l.0));
        match verdict {
            Ok((event, crc)) => {
                events.push(event);
                last_good = Some(crc);
                // A record proven by its own checksum vouches for the
                // stored checksum it chains to on the next line.
                computed_prev = None;
                if first_bad.is_none() {
                    good_len = next_off;
                    last_crc = crc;
                } else {
                    good_after_bad += 1;
                }
            }
            Err(reason) => {
                if first_bad.is_none() {
                    first_bad = Some((line_no, off, reason.clone()));
                }
                skipped.push(Skipped {
                    line: line_no,
                    offset: off,
                    bytes: next_off - off,
                    after_seq: events.last().map_or(0, |e| e.seq),
                    reason,
                });
            }
        }
    }
    let header = match header {
        Some(h) => h,
        None => {
            return Err(not_a_log(
                parsed_header
                    .err()
                    .unwrap_or_else(|| "the header is damaged".into()),
            ));
        }
    };
    let tail = match first_bad {
        None => Tail::Clean,
        Some((_, off, reason)) if good_after_bad == 0 => Tail::Torn {
            offset: off,
            bytes: bytes.len() as u64 - off,
            reason,
        },
        Some((line, off, reason)) => Tail::Corrupt {
            line,
            offset: off,
            reason,
            good_after: good_after_bad,
        },
    };
    fill_identity(&header.incident_id, &mut events);
    Ok(ReadLog {
        header,
        events,
        tail,
        good_len,
        last_crc,
        skipped,
        header_damage,
    })
}

/// Records written before events had ids and responders get them: the id
/// `<incident id>-<seq>` (stable: the same every time it is read), the
/// responder of the session they were written in.
fn fill_identity(incident_id: &str, events: &mut [Event]) {
    let mut responder = String::new();
    for e in events {
        if let Some(r) = e.session_responder() {
            r.clone_into(&mut responder);
        }
        if e.id.is_empty() {
            e.id = format!("{incident_id}-{}", e.seq);
        }
        if e.by.is_empty() {
            e.by.clone_from(&responder);
        }
    }
}

/// A damaged header is rebuilt from the first record: the header holds
/// the incident id and the first event's time, and the first record's
/// checksum chains from the header's, so a rebuild is checked, not guessed.
fn rebuild_header(f: &Fields<'_>) -> Option<Header> {
    if f.seq != 1 {
        return None;
    }
    let event: Event = serde_json::from_slice(f.json).ok()?;
    let EventKind::IncidentStarted { incident_id, .. } = &event.kind else {
        return None;
    };
    let header = Header {
        version: VERSION,
        created: event.at,
        incident_id: incident_id.clone(),
    };
    (crc_of(header_crc(&header.line()), f.seq, f.json) == f.crc).then_some(header)
}

/// Read a log without changing anything.
pub fn read(path: &Path) -> Result<ReadLog, LogError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    parse(path, &bytes)
}
