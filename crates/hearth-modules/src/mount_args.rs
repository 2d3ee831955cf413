//! What `mount` works with once its parameters are read: the `state` choice and the values
//! with defaults and `boot` applied ([`Args`], Ansible's `args`). Shared by the decision
//! (`mount.rs`) and the change step (`mount_action.rs`); pure data.

use serde::Deserialize;

/// What the task makes sure of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// In fstab and mounted.
    Mounted,
    /// Not mounted; fstab untouched.
    Unmounted,
    /// In fstab; mount state untouched.
    Present,
    /// Not in fstab, not mounted, mount point removed.
    Absent,
    /// Not in fstab; mount state untouched.
    AbsentFromFstab,
    /// Remounted now (always a change).
    Remounted,
    /// Mounted from the parameters, fstab ignored.
    Ephemeral,
}

/// The values the module works with once defaults and `boot` are applied (Ansible's `args`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// The mount point.
    pub name: String,
    /// Source, when given.
    pub src: Option<String>,
    /// Filesystem type, when given.
    pub fstype: Option<String>,
    /// Options, `noauto` appended when boot is false.
    pub opts: String,
    /// Dump field.
    pub dump: String,
    /// Passno field.
    pub passno: String,
    /// The fstab file.
    pub fstab: String,
    /// Whether the entry mounts at boot.
    pub boot: bool,
    /// Ansible's warnings (a `noauto` that overrides `boot`).
    pub warnings: Vec<String>,
}
