//! The [`Transport`] trait every connection implements, and what the engine hands it per task:
//! who to run as ([`Become`]) and by when to finish ([`Deadline`]). Implementations live in
//! `local`, `posix` (ssh), `cache` and the wrappers; this file implements nothing host-side.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::cmd::{Cmd, CmdOutput};
use crate::error::TransportError;
use crate::file::{Attrs, FileKind, FileStat, PROBE_CONTENT_LIMIT, Placed, Probe};

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
        let parent_dir = match &lstat {
            None => {
                let dir = self.stat(crate::script::parent_of(path), true)?;
                Some(dir.is_some_and(|d| d.kind == FileKind::Directory))
            }
            Some(_) => None,
        };
        Ok(Probe { lstat, stat, content, access: None, parent_dir })
    }

    /// Writes `content` like [`Transport::write_file`], first copying a file already there to a
    /// timestamped backup when `backup` is set, and returns the result's stat: one round trip on
    /// a remote host where backup, write and a stat afterwards would be three.
    fn place(
        &self,
        path: &str,
        content: &[u8],
        attrs: &Attrs,
        backup: bool,
    ) -> Result<Placed, TransportError> {
        let backup = match backup && self.stat(path, false)?.is_some() {
            true => Some(self.backup(path)?),
            false => None,
        };
        self.write_file(path, content, attrs)?;
        let stat =
            self.stat(path, false)?.ok_or_else(|| TransportError::io("write", path, "gone after writing"))?;
        Ok(Placed { stat, backup })
    }

    /// [`Transport::make_dir`], then the directory's stat: one round trip on a remote host.
    fn make_dir_stat(&self, path: &str, attrs: &Attrs) -> Result<FileStat, TransportError> {
        self.make_dir(path, attrs)?;
        self.stat(path, true)?.ok_or_else(|| TransportError::io("mkdir", path, "gone after creating it"))
    }

    /// Copies `path` to a timestamped name next to it (see [`crate::script::BACKUP`]); returns it.
    fn backup(&self, path: &str) -> Result<String, TransportError> {
        let out = self.run(&Cmd::new(["/bin/sh", "-c", crate::script::BACKUP, "sh", path]))?;
        if out.rc != 0 {
            return Err(TransportError::io("backup", path, String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_string())
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
