//! Processes of the lab, found through /proc: the ones inside a host's network namespace (sshd
//! and everything it started), stopping them, and whether an owner process still lives (the
//! watchdog). It never kills by name, only PIDs proven to be inside a lab namespace.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Live (non-zombie) PIDs whose network namespace is the file `ns` (e.g. /run/netns/X).
pub fn pids_in_netns(ns: &Path) -> Vec<u32> {
    let Ok(meta) = fs::metadata(ns) else { return Vec::new() };
    let want = format!("net:[{}]", meta.ino());
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|l| l.to_string_lossy() == want))
        .filter(|pid| alive(*pid))
        .collect()
}

/// Stops every process in a network namespace: SIGTERM, then SIGKILL after `grace`.
pub fn stop_netns(ns: &Path, grace: Duration) {
    for pid in pids_in_netns(ns) {
        signal(pid, Signal::SIGTERM);
    }
    let start = Instant::now();
    while !pids_in_netns(ns).is_empty() && start.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(20));
    }
    for pid in pids_in_netns(ns) {
        signal(pid, Signal::SIGKILL);
    }
    // A killed process can take seconds to be gone on a busy machine: the last one of a mount
    // namespace tears down its mounts as it exits.
    let start = Instant::now();
    while !pids_in_netns(ns).is_empty() && start.elapsed() < KILL_WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How long a SIGKILLed process may take to be gone before the lab gives up waiting.
pub const KILL_WAIT: Duration = Duration::from_secs(15);

/// Sends a signal, ignoring a process that is already gone.
pub fn signal(pid: u32, sig: Signal) {
    if let Ok(raw) = i32::try_from(pid) {
        let _ = kill(Pid::from_raw(raw), sig);
    }
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|f| f.first().map(String::as_str) != Some("Z"))
}

/// A process's start time (clock ticks since boot): with the PID, identifies it across reuse.
pub fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

/// Fields of /proc/PID/stat after the command name (state is the first).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(parse_stat(&text))
}

/// Splits a /proc/PID/stat line after `(comm)`, which may itself hold spaces and parentheses.
pub fn parse_stat(text: &str) -> Vec<String> {
    let rest = text.rfind(')').map_or("", |i| &text[i + 1..]);
    rest.split_whitespace().map(str::to_string).collect()
}

/// The command line of a process, arguments joined by spaces.
pub fn cmdline(pid: u32) -> String {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|b| *b == 0).map(String::from_utf8_lossy).collect::<Vec<_>>().join(" ").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_is_split_after_the_command_name() {
        let f = parse_stat("12 (a) b (c)) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 999 x");
        assert_eq!(f[0], "S");
        assert_eq!(f[19], "999");
    }

    #[test]
    fn this_process_is_alive_with_a_start_time() {
        assert!(alive(std::process::id()));
        assert!(start_time(std::process::id()).is_some());
        assert!(cmdline(std::process::id()).contains("hearth"));
    }
}
