//! The control node under a task's time limit ([`super::deadline`]): each command runs in its
//! own process group, which gets SIGTERM when the time is up and SIGKILL a little later, so
//! nothing the task started keeps running. File operations and `become` are the untimed base
//! transport's (`Local`, which hands itself in), so they are not bounded here; local `become` is a
//! `Posix` view and is timed there.

use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt;

use super::deadline::{Deadline, GRACE, KILL_AFTER};
use super::local_cmd::command;
use super::runner::{block_on, read_all};
use crate::cmd::{Cmd, CmdOutput};
use crate::error::TransportError;
use crate::file::{Attrs, FileStat, Probe};
use crate::transport::{Become, Transport};

/// The control node whose commands must end by a deadline.
pub struct LocalTimed<'a> {
    /// The untimed control-node transport, for files and `become`.
    base: &'a dyn Transport,
    deadline: &'a Deadline,
}

impl<'a> LocalTimed<'a> {
    /// Local commands under `deadline`; everything else goes to `base`, the untimed control-node
    /// transport this is a view of (`Local::with_deadline` passes itself).
    pub fn new(base: &'a dyn Transport, deadline: &'a Deadline) -> LocalTimed<'a> {
        LocalTimed { base, deadline }
    }
}

impl std::fmt::Debug for LocalTimed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTimed").field("deadline", &self.deadline).finish()
    }
}

/// Runs `cmd` in a new process group; when `left` is over, ends the group. `None` then.
async fn run_bounded(cmd: &Cmd, left: Duration) -> Result<Option<CmdOutput>, TransportError> {
    let (mut command, program) = command(cmd)?;
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let spawn_err =
        |e: std::io::Error| TransportError::Spawn { program: program.clone(), message: e.to_string() };
    let mut child = tokio::process::Command::from(command).kill_on_drop(true).spawn().map_err(spawn_err)?;
    let group = child.id().map(|id| Pid::from_raw(id as i32));
    let (stdin, mut stdout, mut stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let input = cmd.stdin.clone().unwrap_or_default();
    let feed = async move {
        if let Some(mut pipe) = stdin {
            // A command that exits without reading its input breaks the pipe: not an error.
            let _ = pipe.write_all(&input).await;
        }
    };
    let all = async {
        let (_, out, err) = tokio::join!(feed, read_opt(stdout.take()), read_opt(stderr.take()));
        let status = child.wait().await.map_err(spawn_err)?;
        Ok::<_, TransportError>(CmdOutput { rc: status.code().unwrap_or(-1), stdout: out?, stderr: err? })
    };
    tokio::pin!(all);
    if let Ok(done) = tokio::time::timeout(left, &mut all).await {
        return done.map(Some);
    }
    let Some(group) = group else { return Ok(None) };
    let _ = killpg(group, Signal::SIGTERM);
    if tokio::time::timeout(KILL_AFTER, &mut all).await.is_err() {
        let _ = killpg(group, Signal::SIGKILL);
        // A program that left the group may still hold the pipes: stop waiting for it.
        let _ = tokio::time::timeout(GRACE, &mut all).await;
    }
    Ok(None)
}

/// Reads a pipe to its end (nothing when there is no pipe).
async fn read_opt<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> Result<Vec<u8>, TransportError> {
    match pipe {
        Some(mut p) => read_all(&mut p).await,
        None => Ok(Vec::new()),
    }
}

impl Transport for LocalTimed<'_> {
    fn with_deadline<'b>(&'b self, deadline: &'b Deadline) -> Box<dyn Transport + 'b> {
        Box::new(LocalTimed { base: self.base, deadline })
    }

    fn with_become(&self, target: &Become) -> Result<Box<dyn Transport + '_>, TransportError> {
        // Not bounded: the engine applies become first and the deadline on top of it.
        self.base.with_become(target)
    }

    fn run(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError> {
        let left = self.deadline.remaining().ok_or_else(|| self.deadline.expire())?;
        match block_on(run_bounded(cmd, left))?? {
            Some(out) if out.rc != 0 && self.deadline.passed() => Err(self.deadline.expire()),
            Some(out) => Ok(out),
            None => Err(self.deadline.expire()),
        }
    }

    fn stat(&self, path: &str, follow: bool) -> Result<Option<FileStat>, TransportError> {
        self.base.stat(path, follow)
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        self.base.read_file(path)
    }

    fn write_file(&self, path: &str, content: &[u8], attrs: &Attrs) -> Result<(), TransportError> {
        self.base.write_file(path, content, attrs)
    }

    fn set_attrs(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        self.base.set_attrs(path, attrs)
    }

    fn make_dir(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        self.base.make_dir(path, attrs)
    }

    fn remove(&self, path: &str) -> Result<(), TransportError> {
        self.base.remove(path)
    }

    fn symlink(&self, target: &str, path: &str) -> Result<(), TransportError> {
        self.base.symlink(target, path)
    }

    fn copy_file(&self, from: &str, to: &str) -> Result<(), TransportError> {
        self.base.copy_file(from, to)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, TransportError> {
        self.base.list_dir(path)
    }

    fn probe(&self, path: &str) -> Result<Probe, TransportError> {
        self.base.probe(path)
    }

    fn is_local(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::Local;

    #[test]
    fn commands_in_time_run_as_usual() {
        let d = Deadline::after(Duration::from_secs(30));
        let mut cmd = Cmd::new(["/bin/sh", "-c", "cat; exit 4"]);
        cmd.stdin = Some(b"x".to_vec());
        let out = LocalTimed::new(&Local, &d).run(&cmd).unwrap();
        assert_eq!((out.rc, out.stdout.as_slice()), (4, b"x".as_slice()));
        assert!(!d.ran_out());
    }

    #[test]
    fn a_command_over_time_is_ended_with_its_group() {
        let d = Deadline::after(Duration::from_millis(300));
        let dir = tempfile::tempdir().unwrap();
        let pid = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > '{}'; wait", pid.display());
        let err = LocalTimed::new(&Local, &d).run(&Cmd::new(["/bin/sh", "-c", &script])).unwrap_err();
        assert!(matches!(err, TransportError::TimedOut), "{err}");
        assert!(d.ran_out());
        assert!(!crate::deadline::tests::alive(&pid), "sleep left running");
    }
}
