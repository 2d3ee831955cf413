//! A task's time limit (`timeout:`) on every script a connection runs for it. The host enforces
//! it: each script runs under coreutils `timeout`, in its own process group, which is sent
//! SIGTERM when the task's time is up and SIGKILL [`KILL_AFTER`] later, so nothing the task
//! started is left running. hearth enforces it too: a script that has not ended [`GRACE`] after
//! the deadline (a hung network, a host without `timeout`) is abandoned and its channel closed,
//! so hearth never hangs. This file does not decide what a timed-out task reports (the engine
//! does) and knows nothing about sudo or ssh.

use std::time::Duration;

use super::quote::quote;
use super::runner::{BoxFut, Runner, Spawned, block_on, collect};
use crate::cmd::CmdOutput;
use crate::error::TransportError;

/// The time limit itself, defined beside the trait that takes it; named here too because the
/// engine imports it from this path.
pub use crate::transport::Deadline;

/// How long a program may take to end after SIGTERM before its process group gets SIGKILL.
pub const KILL_AFTER: Duration = Duration::from_secs(2);

/// How long after the deadline hearth stops waiting for a script and drops its channel.
pub const GRACE: Duration = Duration::from_secs(5);

/// `script` under coreutils `timeout` with `left` to run (plain `sh` when the host has no
/// `timeout`: then only hearth's own deadline applies). The script is `$1` of the wrapper, so
/// it is quoted once.
pub fn wrap(script: &str, left: Duration) -> String {
    format!(
        "set -- {}\nif command -v timeout >/dev/null 2>&1; then exec timeout -k {} {:.3} /bin/sh -c \"$1\"; fi\nexec /bin/sh -c \"$1\"",
        quote(script),
        KILL_AFTER.as_secs(),
        left.as_secs_f64()
    )
}

/// A runner whose every script must end by a [`Deadline`].
pub struct Timed<'a> {
    inner: &'a dyn Runner,
    deadline: &'a Deadline,
}

impl<'a> Timed<'a> {
    /// Runs the scripts of `inner` under `deadline`.
    pub fn new(inner: &'a dyn Runner, deadline: &'a Deadline) -> Timed<'a> {
        Timed { inner, deadline }
    }
}

impl std::fmt::Debug for Timed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timed").field("deadline", &self.deadline).finish()
    }
}

impl Runner for Timed<'_> {
    fn spawn<'b>(&'b self, script: &str) -> BoxFut<'b, Result<Spawned<'b>, TransportError>> {
        let wrapped = self.deadline.remaining().map(|left| wrap(script, left));
        Box::pin(async move {
            match wrapped {
                Some(w) => self.inner.spawn(&w).await,
                None => Err(self.deadline.expire()),
            }
        })
    }

    fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<CmdOutput, TransportError> {
        let left = self.deadline.remaining().ok_or_else(|| self.deadline.expire())?;
        let run = async {
            let spawned = self.spawn(script).await?;
            collect(spawned, stdin.unwrap_or_default()).await
        };
        match block_on(async { tokio::time::timeout(left + GRACE, run).await })? {
            // Dropping the future closed the channel; the host's `timeout` ends the program.
            Err(_) => Err(self.deadline.expire()),
            Ok(Ok(out)) if out.rc != 0 && self.deadline.passed() => Err(self.deadline.expire()),
            Ok(other) => other,
        }
    }

    fn is_local(&self) -> bool {
        self.inner.is_local()
    }

    fn reconnect(&self, timeout: Option<Duration>) -> Result<(), TransportError> {
        self.inner.reconnect(timeout)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::runner::LocalRunner;
    use super::*;
    use std::time::Instant;

    #[test]
    fn wrap_quotes_the_script_once_and_falls_back_without_timeout() {
        let w = wrap("echo 'a b'", Duration::from_millis(1500));
        assert_eq!(
            w,
            "set -- 'echo '\\''a b'\\'''\nif command -v timeout >/dev/null 2>&1; then exec timeout -k 2 1.500 /bin/sh -c \"$1\"; fi\nexec /bin/sh -c \"$1\""
        );
    }

    #[test]
    fn a_script_in_time_is_unaffected() {
        let d = Deadline::after(Duration::from_secs(30));
        let out = Timed::new(&LocalRunner, &d).exec("cat; exit 3", Some(b"in")).unwrap();
        assert_eq!((out.rc, out.stdout.as_slice()), (3, b"in".as_slice()));
        assert!(!d.ran_out());
    }

    #[test]
    fn a_script_over_its_time_is_killed_with_its_children() {
        let d = Deadline::after(Duration::from_millis(300));
        let dir = tempfile::tempdir().unwrap();
        let pid = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > '{}'; wait", pid.display());
        let started = Instant::now();
        let err = Timed::new(&LocalRunner, &d).exec(&script, None).unwrap_err();
        assert!(matches!(err, TransportError::TimedOut), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20), "must not wait for sleep");
        assert!(d.ran_out());
        assert!(!alive(&pid), "sleep left running");
    }

    /// Whether the process whose id is in file `pid` still runs (a zombie does not count).
    pub(crate) fn alive(pid: &std::path::Path) -> bool {
        let id = std::fs::read_to_string(pid).unwrap().trim().to_string();
        std::thread::sleep(Duration::from_millis(300));
        let stat = std::fs::read_to_string(format!("/proc/{id}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").split_whitespace().next().unwrap_or("");
        !stat.is_empty() && state != "Z" && state != "X"
    }

    #[test]
    fn no_time_left_runs_nothing() {
        let d = Deadline::after(Duration::ZERO);
        let err = Timed::new(&LocalRunner, &d).exec("touch /nonexistent-dir/x", None).unwrap_err();
        assert!(matches!(err, TransportError::TimedOut));
        assert!(d.ran_out());
    }
}
