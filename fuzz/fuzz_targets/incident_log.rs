//! The incident log reader, then replay and review statistics of whatever
//! it accepted. Every accepted event must be unchanged by a write/read
//! round trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mayday::incident::{Incident, log};

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.log");
    let Ok(read) = log::parse(path, data) else {
        return;
    };
    let _ = read.problem();
    let _ = read.skipped_lines();
    for w in read.events.windows(2) {
        assert!(w[0].seq < w[1].seq, "accepted events are in order");
    }
    if let Some(inc) = Incident::replay(&read.events) {
        let _ = inc.phase;
        let _ = mayday::incident::review::stats(&read.events, None);
    }
});
