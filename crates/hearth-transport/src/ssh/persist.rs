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

/// Longest path a Unix socket can bind on Linux (`sun_path` is 108 bytes with its NUL).
const SOCKET_PATH_MAX: usize = 107;

/// What ssh adds below the control directory: `/.ssh-connectionXXXXXX/master.` + 16 characters.
const SOCKET_SUFFIX_LEN: usize = 47;

/// Refuses, with the fix, a cache directory so deep that ssh could not bind its control socket
/// there (it would fail later with a less helpful `unix_listener: path too long`).
pub fn check_socket_room(dir: &Path) -> Result<(), crate::TransportError> {
    let len = dir.as_os_str().len() + SOCKET_SUFFIX_LEN;
    if len <= SOCKET_PATH_MAX {
        return Ok(());
    }
    Err(crate::TransportError::Spawn {
        program: "ssh".into(),
        message: format!(
            "--ssh-persist: control sockets under {} would be {len} bytes long, over the {} a \
             Unix socket allows; set XDG_CACHE_HOME to a shorter directory",
            dir.display(),
            SOCKET_PATH_MAX
        ),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_directory_too_deep_for_a_socket_is_refused_with_the_fix() {
        assert!(check_socket_room(Path::new("/root/.cache/hearth/ssh")).is_ok());
        let deep = PathBuf::from(format!("/tmp/{}/hearth/ssh", "d".repeat(60)));
        let e = check_socket_room(&deep).unwrap_err().to_string();
        assert!(e.contains("XDG_CACHE_HOME"), "{e}");
        assert!(e.contains(&deep.display().to_string()), "{e}");
    }
}
