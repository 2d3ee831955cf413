//! hearth's private directory for control sockets (mode 0700, under the system temp dir),
//! shared by all live SSH sessions of this process and removed when the last one closes. It does
//! not create the per-session socket directories (the `openssh` crate does).

use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use crate::error::TransportError;

static LIVE: Mutex<usize> = Mutex::new(0);

/// The watchdog and hearth's end of its stdin, held (never written) for the life of the process.
static WATCHDOG: OnceLock<Option<(Child, ChildStdin)>> = OnceLock::new();

/// What the watchdog runs: it waits for end of file on stdin, which comes when hearth is gone
/// however it ended (even SIGKILL, when no cleanup of ours runs), then tells every master still
/// listening in the directory to exit and removes the directory. After a normal end there is
/// nothing left for it to do.
const WATCHDOG_SCRIPT: &str = r#"cat >/dev/null
for s in "$1"/.ssh-connection*/master; do
  [ -S "$s" ] && ssh -F /dev/null -o ControlPath="$s" -O exit hearth-watchdog >/dev/null 2>&1
done
rm -rf -- "$1""#;

/// Starts the watchdog for `dir` once per process. It runs in its own process group, so a
/// Ctrl-C at the terminal leaves it to hearth's own cleanup, and holds none of hearth's output.
/// Without it (no `/bin/sh`), a killed hearth may leave masters behind, as before.
fn start_watchdog(dir: &Path) {
    WATCHDOG.get_or_init(|| {
        let mut child = Command::new("/bin/sh")
            .args(["-c", WATCHDOG_SCRIPT, "hearth-ssh-watchdog"])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        Some((child, stdin))
    });
}

/// The directory (it exists while a session holds it: [`acquire`]).
pub fn path() -> PathBuf {
    std::env::temp_dir().join(format!("hearth-ssh-{}", std::process::id()))
}

/// Counts one more session and makes sure the directory exists.
pub fn acquire() -> Result<PathBuf, TransportError> {
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    let dir = path();
    if !dir.is_dir() {
        std::fs::DirBuilder::new().mode(0o700).create(&dir).map_err(|e| TransportError::Spawn {
            program: "ssh".into(),
            message: format!("cannot create {}: {e}", dir.display()),
        })?;
    }
    *live += 1;
    start_watchdog(&dir);
    Ok(dir)
}

/// Counts one session less; the last one removes the directory. A session closed while its
/// commands still ran (Ctrl-C) keeps its socket subdirectory until those end, so the whole tree
/// goes: every master has been told to exit by then.
pub fn release() {
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    *live = live.saturating_sub(1);
    if *live == 0 {
        let _ = std::fs::remove_dir_all(path());
    }
}
