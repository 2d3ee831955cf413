//! `HEARTH_TRACE=<file>`: one line per SSH connection and per remote operation, appended to the
//! file, so a benchmark can count round trips and see where a run's time goes. A line is
//! `<ms since hearth started>\t<host>\t<what>\t<ms it took>`, with `what` one of `connect`,
//! `shell` (a frame on the kept shell) or `channel` (a new SSH channel). Only names and times:
//! never a script, an argument or an output, so nothing secret can reach the file.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

/// The open trace file and the time lines count from; `None` when tracing is off.
fn sink() -> &'static Option<(Mutex<File>, Instant)> {
    static SINK: OnceLock<Option<(Mutex<File>, Instant)>> = OnceLock::new();
    SINK.get_or_init(|| {
        let path = std::env::var_os("HEARTH_TRACE").filter(|p| !p.is_empty())?;
        // A trace that cannot be opened is a missing measurement, not a failed run.
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok()?;
        Some((Mutex::new(file), Instant::now()))
    })
}

/// Records that `what` on `host` ran from `started` until now, when tracing is on.
pub fn record(host: &str, what: &str, started: Instant) {
    let Some((file, zero)) = sink() else { return };
    let at = started.saturating_duration_since(*zero).as_secs_f64() * 1000.0;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let line = format!("{at:.1}\t{host}\t{what}\t{took:.1}\n");
    let _ = file.lock().unwrap_or_else(PoisonError::into_inner).write_all(line.as_bytes());
}

/// The start time for [`record`]; also opens the trace early, so its clock starts with the run.
pub fn start() -> Instant {
    let _ = sink();
    Instant::now()
}
