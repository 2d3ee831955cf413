//! The only door to a host: run a command, read, write and inspect files. Modules talk to hosts
//! exclusively through [`Transport`], so the same module code runs locally and over SSH.
//! Commands are argv vectors; quoting for a remote shell happens inside a transport, never in
//! modules. This layer decides nothing about desired state.

pub mod cache;
pub mod deadline;
pub mod local;
mod local_cmd;
pub mod local_timed;
pub mod posix;
pub mod quote;
pub mod runner;
pub mod script;
pub mod ssh;
pub mod ssh_args;
pub mod ssh_errors;
pub mod sudo;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub use local::Local;

/// A command to run on a host, as an argv vector (never a shell string).
#[derive(Debug, Clone, Default)]
pub struct Cmd {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Bytes fed to the command's standard input.
    pub stdin: Option<Vec<u8>>,
    /// Directory to run in.
    pub chdir: Option<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
}

impl Cmd {
    /// A command from program and arguments.
    pub fn new<I, S>(argv: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Cmd { argv: argv.into_iter().map(Into::into).collect(), ..Cmd::default() }
    }

    /// A script for `/bin/sh -c`.
    pub fn shell(script: &str) -> Cmd {
        Cmd::new(["/bin/sh", "-c", script])
    }
}

/// What a finished command left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CmdOutput {
    /// Exit status (-1 when killed by a signal).
    pub rc: i32,
    /// Captured standard output.
    pub stdout: Vec<u8>,
    /// Captured standard error.
    pub stderr: Vec<u8>,
}

/// The kind of a filesystem object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (only reported when not following links).
    Link,
    /// Anything else (socket, device, fifo).
    Other,
}

/// What `stat` found at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStat {
    /// File, directory, link or other.
    pub kind: FileKind,
    /// Permission bits (e.g. 0o644), without the file type.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Owner name, when the host knows it.
    pub owner: Option<String>,
    /// Group name, when the host knows it.
    pub group: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Target of a symbolic link.
    pub link_target: Option<String>,
}

/// What [`Transport::probe`] found at a path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    /// The path itself (a link is reported as a link); `None` when nothing is there.
    pub lstat: Option<FileStat>,
    /// Through links; `None` when absent or a dangling link.
    pub stat: Option<FileStat>,
    /// The content of a regular file up to 1 MiB; `None` otherwise (read it separately).
    pub content: Option<Vec<u8>>,
}

/// Files up to this size come back whole with [`Transport::probe`], so checking a file costs one
/// round trip.
pub const PROBE_CONTENT_LIMIT: u64 = 1 << 20;

/// Ownership and permissions to enforce on a path; `None` fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Permission bits.
    pub mode: Option<u32>,
    /// Owner user name or numeric id.
    pub owner: Option<String>,
    /// Group name or numeric id.
    pub group: Option<String>,
}

impl Attrs {
    /// True when nothing is to be enforced.
    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.owner.is_none() && self.group.is_none()
    }
}

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

/// Run as another user (`become`). The password, when any, never appears in argv or output.
#[derive(Clone, PartialEq, Eq)]
pub struct Become {
    /// Target user (`become_user`, default root).
    pub user: String,
    /// Method; only `sudo` is supported.
    pub method: String,
    /// `ansible_become_password` / `--ask-become-pass`, if given.
    pub password: Option<String>,
}

impl fmt::Debug for Become {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password, even in debug output.
        f.debug_struct("Become")
            .field("user", &self.user)
            .field("method", &self.method)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .finish()
    }
}

/// When one task's time on one host is up, and whether it ran out. It lives here, beside the
/// [`Transport`] trait that takes it; how a connection enforces it is in the `deadline` module.
#[derive(Debug)]
pub struct Deadline {
    at: Instant,
    ran_out: AtomicBool,
}

impl Deadline {
    /// A deadline `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline { at: Instant::now() + limit, ran_out: AtomicBool::new(false) }
    }

    /// Time left, or `None` (and the deadline counts as run out) when there is none.
    pub fn remaining(&self) -> Option<Duration> {
        let left = self.at.checked_duration_since(Instant::now()).filter(|d| !d.is_zero());
        if left.is_none() {
            self.expire();
        }
        left
    }

    /// Whether an operation was cut short or refused because the time was up.
    pub fn ran_out(&self) -> bool {
        self.ran_out.load(Ordering::Relaxed)
    }

    /// Records that the time ran out, and the error to return for it.
    pub fn expire(&self) -> TransportError {
        self.ran_out.store(true, Ordering::Relaxed);
        TransportError::TimedOut
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }
}

/// One connection to one host. Implementations must be usable from several threads.
pub trait Transport: Send + Sync {
    /// A view of this connection where every operation runs as `target.user`. The engine asks
    /// for it per task, so modules never see `become`.
    fn with_become(&self, target: &Become) -> Result<Box<dyn Transport + '_>, TransportError>;
    /// A view of this connection whose every operation ends by `deadline`: programs still
    /// running then are killed on the host with their process group, and a host that stops
    /// answering is given up. The engine asks for it per task, after `become`, so modules never
    /// see timeouts. Required, so that no connection silently runs without the limit.
    fn with_deadline<'a>(&'a self, deadline: &'a Deadline) -> Box<dyn Transport + 'a>;
    /// Runs a command to completion and captures its output.
    fn run(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError>;
    /// Stats a path; `Ok(None)` when it does not exist. `follow` follows symbolic links.
    fn stat(&self, path: &str, follow: bool) -> Result<Option<FileStat>, TransportError>;
    /// Reads a whole file; `Ok(None)` when it does not exist.
    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError>;
    /// Writes a whole file atomically (temp file in the same directory, then rename). An existing
    /// file keeps its mode and owner unless `attrs` says otherwise; a new one gets `attrs` or
    /// the host's defaults.
    fn write_file(&self, path: &str, content: &[u8], attrs: &Attrs) -> Result<(), TransportError>;
    /// Applies mode/owner/group to an existing path (not following a final symlink for owner).
    fn set_attrs(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError>;
    /// Creates a directory and its missing parents; new directories get `attrs`.
    fn make_dir(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError>;
    /// Removes a file, link or (recursively) a directory; no error when absent.
    fn remove(&self, path: &str) -> Result<(), TransportError>;
    /// Creates (or replaces) a symbolic link at `path` pointing to `target`.
    fn symlink(&self, target: &str, path: &str) -> Result<(), TransportError>;
    /// Copies a file on the host (used for backups), keeping mode and mtime.
    fn copy_file(&self, from: &str, to: &str) -> Result<(), TransportError>;
    /// Lists the entries of a directory (names only), for recursive operations.
    fn list_dir(&self, path: &str) -> Result<Vec<String>, TransportError>;
    /// lstat, stat and small content of a path at once: one round trip on remote hosts, so a
    /// module's check costs one round trip (see `cache::Cached`).
    fn probe(&self, path: &str) -> Result<Probe, TransportError> {
        let lstat = self.stat(path, false)?;
        let stat = match &lstat {
            Some(s) if s.kind == FileKind::Link => self.stat(path, true)?,
            other => other.clone(),
        };
        let content = match &stat {
            Some(s) if s.kind == FileKind::File && s.size <= PROBE_CONTENT_LIMIT => self.read_file(path)?,
            _ => None,
        };
        Ok(Probe { lstat, stat, content })
    }

    /// Ends the connection (an ssh master and its control socket); nothing to do locally.
    fn close(&self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Whether this is the control node itself (`connection: local`), which e.g. `reboot` must
    /// never reboot. Required, so that no wrapper can forget to say.
    fn is_local(&self) -> bool;

    /// Drops the connection and logs in again (a new ssh master, `timeout` for its handshake,
    /// else the host's own), for a host whose connection a reboot broke. Every holder of this
    /// transport (later tasks, `become` views) uses the new connection. Nothing to do locally.
    fn reconnect(&self, _timeout: Option<std::time::Duration>) -> Result<(), TransportError> {
        Ok(())
    }
}
