//! The transport layer's error type: unreachable hosts, failed file operations, changed host
//! keys, programs that cannot start, and time limits that ran out.

use std::fmt;

/// Why a transport operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The host could not be reached or the connection broke (the host becomes UNREACHABLE).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The operation reached the host but failed there (the task fails).
    #[error("{op} {path}: {message}")]
    Io { op: &'static str, path: String, message: String },
    /// The host's key differs from the one in known_hosts (never retried: possible attack).
    #[error(
        "host key for {host} has changed (possible man-in-the-middle attack); if the change is expected, remove the old key with `ssh-keygen -R {host}`"
    )]
    HostKeyChanged { host: String },
    /// A command could not be started.
    #[error("cannot run {program}: {message}")]
    Spawn { program: String, message: String },
    /// The task's time limit ran out: the command was killed or not started (the task fails).
    #[error("the task's time limit ran out; its command was terminated")]
    TimedOut,
}

impl TransportError {
    /// Helper for failures of a file operation at `path`.
    pub fn io(op: &'static str, path: &str, err: impl fmt::Display) -> TransportError {
        TransportError::Io { op, path: path.to_string(), message: err.to_string() }
    }
}
