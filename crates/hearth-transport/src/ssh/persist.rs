//! Reusing ssh masters across runs (`--ssh-persist SECONDS`, Ansible's ControlPersist): a master
//! opened with a persist time is left running when the run ends, its control socket recorded
//! under `~/.cache/hearth/ssh/` (mode 0700) by a key of everything that shapes the connection;
//! the next run resumes it instead of paying a handshake, and ssh itself ends it after that
//! many idle seconds. Off by default: then every master is closed at the end of the run.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::target::SshTarget;

/// The directory for persistent control sockets, created when missing.
pub fn dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let dir = base.join("hearth").join("ssh");
    if !dir.is_dir() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).ok()?;
    }
    Some(dir)
}

/// A file name for everything that makes two connections interchangeable.
pub fn key(t: &SshTarget) -> String {
    let mut h = Sha256::new();
    for part in [
        t.host.as_str(),
        t.user.as_deref().unwrap_or(""),
        &t.port.map(|p| p.to_string()).unwrap_or_default(),
        t.key_file.as_deref().unwrap_or(""),
        &t.common_args,
        &t.extra_args,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The control socket a previous run left for this target, if it is still there.
pub fn remembered(t: &SshTarget) -> Option<PathBuf> {
    let record = dir()?.join(key(t));
    let ctl = PathBuf::from(std::fs::read_to_string(&record).ok()?.trim_end());
    if ctl.exists() {
        return Some(ctl);
    }
    let _ = std::fs::remove_file(record);
    None
}

/// Records the control socket of a master left running for the next run.
pub fn remember(t: &SshTarget, ctl: &Path) {
    if let Some(d) = dir() {
        // Best effort: without the record the next run just opens a new master.
        let _ = std::fs::write(d.join(key(t)), ctl.as_os_str().as_encoded_bytes());
    }
}

/// Drops the record of a master that no longer answers.
pub fn forget(t: &SshTarget) {
    if let Some(d) = dir() {
        let _ = std::fs::remove_file(d.join(key(t)));
    }
}
