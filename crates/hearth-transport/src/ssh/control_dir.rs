//! hearth's private directory for control sockets (mode 0700, under the system temp dir),
//! shared by all live SSH sessions of this process and removed when the last one closes. It does
//! not create the per-session socket directories (the `openssh` crate does).

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::error::TransportError;

static LIVE: Mutex<usize> = Mutex::new(0);

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
