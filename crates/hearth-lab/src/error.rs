//! The lab's error type, one variant per cause, and the host limit its messages quote.

use std::path::{Path, PathBuf};

/// Errors of the lab, by cause.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Namespaces, mounts and bridges need root.
    #[error("hearth lab needs root (network and mount namespaces, mounts, a bridge): run it with sudo")]
    NotRoot,
    /// A program the lab drives is not installed.
    #[error("{tool} is missing: install {package} (apt-get install {package})")]
    Missing {
        /// The program looked for.
        tool: String,
        /// The Debian package providing it.
        package: String,
    },
    /// A lab name that cannot become file and namespace names.
    #[error("invalid lab name {0:?}: use lowercase letters, digits and '-' (at most 40)")]
    BadName(String),
    /// The lab asked for does not exist.
    #[error("no lab named {name:?} (start one with `hearth lab up`){}", others_hint(.others))]
    NoLab {
        /// The name asked for.
        name: String,
        /// Labs that do exist.
        others: Vec<String>,
    },
    /// `up N` on a running lab of another size.
    #[error("lab {name:?} already has {has} hosts, not {wanted}: `hearth lab down --name {name}` first")]
    OtherSize {
        /// The lab.
        name: String,
        /// Its host count.
        has: usize,
        /// The count asked for.
        wanted: usize,
    },
    /// A host count of 0 or beyond the subnet.
    #[error("a lab has 1 to {max} hosts, not {0}", max = MAX_HOSTS)]
    BadCount(usize),
    /// Every 10.77.k.0/24 subnet is taken.
    #[error("no free lab subnet left (10.77.0.0/16 is used up by other labs)")]
    NoSubnet,
    /// Reading or writing a lab file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The state file is not valid JSON of the expected shape.
    #[error("lab state {}: {source}", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A program could not be started.
    #[error("could not run {command}: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A program failed.
    #[error("{command} failed ({status}): {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it wrote on stderr.
        stderr: String,
    },
    /// A host's sshd did not come up.
    #[error("lab host {host}: sshd {why}; its log:\n{log}")]
    NotStarted {
        /// The host.
        host: String,
        /// What happened.
        why: String,
        /// The boot and sshd log.
        log: String,
    },
    /// The lab's Kubernetes API double did not come up.
    #[error("lab Kubernetes API double: {why}; its log:\n{log}")]
    ApiNotStarted {
        /// What happened.
        why: String,
        /// Its log.
        log: String,
    },
    /// Fetching docker.io's packages for the lab's package mirror failed.
    #[error(
        "could not fetch docker.io's packages for the lab's package mirror: this needs the Debian mirror \
         of this machine's apt sources once (afterwards {} is reused): {why}",
        cache.display()
    )]
    Download {
        /// The package cache.
        cache: PathBuf,
        /// What apt-get said.
        why: String,
    },
    /// `boot` for a host the lab does not have.
    #[error("lab has no host {0:?}")]
    NoHost(String),
}

impl LabError {
    /// An I/O error on a path.
    pub fn io(path: &Path, source: std::io::Error) -> LabError {
        LabError::Io { path: path.to_path_buf(), source }
    }
}

/// The "labs here: ..." tail of [`LabError::NoLab`].
fn others_hint(others: &[String]) -> String {
    if others.is_empty() { String::new() } else { format!("; labs here: {}", others.join(", ")) }
}

/// The most hosts a lab can have (addresses .11 to .250 of its /24).
pub const MAX_HOSTS: usize = 240;
