//! What the lab needs of this machine and where it keeps its files: root, the programs it runs,
//! the lab directory, the cross-process lock, and reading a lab's recorded state. Starting and
//! stopping labs is elsewhere (`lifecycle`, `teardown`).

use std::fs;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use crate::error::LabError;
use crate::state::{self, LabState};

/// Where labs live: `$HEARTH_LAB_DIR` or /var/lib/hearth/lab (must not be on tmpfs/overlayfs).
pub fn lab_root() -> PathBuf {
    std::env::var_os("HEARTH_LAB_DIR").map_or_else(|| PathBuf::from(state::DEFAULT_ROOT), PathBuf::from)
}

/// Fails unless running as root.
pub fn require_root() -> Result<(), LabError> {
    if nix::unistd::geteuid().is_root() { Ok(()) } else { Err(LabError::NotRoot) }
}

/// Fails unless `name` is a valid lab name.
pub(crate) fn check_name(name: &str) -> Result<(), LabError> {
    if state::valid_name(name) { Ok(()) } else { Err(LabError::BadName(name.to_string())) }
}

/// Fails with the package to install when a program the lab uses is missing.
pub(crate) fn require_tools() -> Result<(), LabError> {
    let tools = [
        ("ip", "iproute2"),
        ("sshd", "openssh-server"),
        ("ssh-keygen", "openssh-client"),
        ("sudo", "sudo"),
        ("nsenter", "util-linux"),
        ("unshare", "util-linux"),
        ("setsid", "util-linux"),
        ("chroot", "coreutils"),
        ("useradd", "passwd"),
    ];
    for (tool, package) in tools {
        if find_in_path(tool).is_none() {
            return Err(LabError::Missing { tool: tool.into(), package: package.into() });
        }
    }
    Ok(())
}

/// A program in PATH or the sbin directories (root's PATH may lack them).
pub(crate) fn find_in_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

/// Serializes `up` and `down` across processes (subnet choice, state files).
pub(crate) fn lock(root: &Path) -> Result<Flock<fs::File>, LabError> {
    fs::create_dir_all(root).map_err(|e| LabError::io(root, e))?;
    let path = root.join(".lock");
    let file = fs::File::create(&path).map_err(|e| LabError::io(&path, e))?;
    Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| LabError::io(&path, e.into()))
}

/// Reads a lab's state, or `NoLab` listing the labs that exist.
pub fn load(name: &str) -> Result<LabState, LabError> {
    check_name(name)?;
    let root = lab_root();
    LabState::load(&root, name)?
        .ok_or_else(|| LabError::NoLab { name: name.to_string(), others: state::lab_names(&root) })
}
