//! [`Transport`] for any host with a POSIX `sh` and coreutils, built only on a [`Runner`] that
//! runs scripts: each operation is one script from [`super::script`], so one round trip. Used
//! over SSH and for local `become`. It does not open connections (see `ssh`) and does not know
//! how sudo talks (see `sudo`).

use std::sync::OnceLock;

use super::deadline::{Deadline, Timed};
use super::runner::Runner;
use super::script::{self, ABSENT, NO_DIR, NO_PROGRAM};
use super::sudo::SudoRunner;
use crate::cmd::{Cmd, CmdOutput};
use crate::error::TransportError;
use crate::file::{Attrs, FileStat, Placed, Probe};
use crate::transport::{Become, Transport};

/// A host reached through `runner`.
#[derive(Debug)]
pub struct Posix<R: Runner> {
    runner: R,
    /// The user scripts run as, looked up with `id -un` the first time `become` needs it.
    user: OnceLock<String>,
}

impl<R: Runner> Posix<R> {
    /// A transport over `runner`; the user is looked up lazily when `become` needs it.
    pub fn new(runner: R) -> Posix<R> {
        Posix { runner, user: OnceLock::new() }
    }

    /// A transport over `runner` whose scripts are known to run as `user`.
    pub fn with_user(runner: R, user: &str) -> Posix<R> {
        let known = OnceLock::new();
        let _ = known.set(user.to_string());
        Posix { runner, user: known }
    }

    /// The runner underneath (e.g. to close an SSH connection).
    pub fn runner(&self) -> &R {
        &self.runner
    }

    /// The user scripts run as.
    pub fn user(&self) -> Result<&str, TransportError> {
        if let Some(u) = self.user.get() {
            return Ok(u);
        }
        let out = self.checked("id", "", "exec id -un", None)?;
        let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(self.user.get_or_init(|| name))
    }

    /// Runs `script` and turns a non-zero exit into an `Io` error for `op` on `path`.
    fn checked(
        &self,
        op: &'static str,
        path: &str,
        script: &str,
        stdin: Option<&[u8]>,
    ) -> Result<CmdOutput, TransportError> {
        let out = self.runner.exec(script, stdin)?;
        if out.rc != 0 {
            return Err(TransportError::io(op, path, failure_text(&out)));
        }
        Ok(out)
    }

    /// Like [`Posix::checked`], but `Ok(None)` when the script reported [`ABSENT`].
    fn unless_absent(
        &self,
        op: &'static str,
        path: &str,
        script: &str,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        let out = self.runner.exec(script, None)?;
        match out.rc {
            0 => Ok(Some(out.stdout)),
            _ if reports_absent(&out.stderr) => Ok(None),
            _ => Err(TransportError::io(op, path, failure_text(&out))),
        }
    }
}

/// A transport whose scripts run through `runner` as `target.user` via sudo.
pub fn sudo_view<'a>(
    runner: &'a dyn Runner,
    target: &Become,
) -> Result<Box<dyn Transport + 'a>, TransportError> {
    if target.method != "sudo" {
        let message = format!("become_method '{}' is not supported; use sudo", target.method);
        return Err(TransportError::Io { op: "become", path: target.user.clone(), message });
    }
    Ok(Box::new(Posix::with_user(SudoRunner::new(runner, target), &target.user)))
}

/// Whether a script's stderr ends with the [`ABSENT`] line. Only the last line counts: the
/// login shell's rc files may print noise before the script runs.
fn reports_absent(stderr: &[u8]) -> bool {
    String::from_utf8_lossy(stderr).trim_end().rsplit('\n').next() == Some(ABSENT)
}

/// The message of a failed script: its stderr, or the exit code when it printed nothing.
fn failure_text(out: &CmdOutput) -> String {
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if err.is_empty() { format!("exit code {}", out.rc) } else { err }
}

impl<R: Runner> Transport for Posix<R> {
    fn with_deadline<'a>(&'a self, deadline: &'a Deadline) -> Box<dyn Transport + 'a> {
        let user = OnceLock::new();
        if let Some(u) = self.user.get() {
            let _ = user.set(u.clone());
        }
        Box::new(Posix { runner: Timed::new(&self.runner, deadline), user })
    }

    fn with_become(&self, target: &Become) -> Result<Box<dyn Transport + '_>, TransportError> {
        if target.method == "sudo" && self.user()? == target.user {
            let same: &dyn Runner = &self.runner;
            return Ok(Box::new(Posix::with_user(same, &target.user)));
        }
        sudo_view(&self.runner, target)
    }

    fn run(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError> {
        let program = cmd.argv.first().cloned().unwrap_or_default();
        let spawn_err = |message: String| TransportError::Spawn { program: program.clone(), message };
        let script = script::run(cmd).map_err(|e| spawn_err(e.to_string()))?;
        let out = self.runner.exec(&script, cmd.stdin.as_deref())?;
        if out.rc == 127 {
            let err = String::from_utf8_lossy(&out.stderr);
            if err.trim_end().ends_with(NO_PROGRAM) {
                return Err(spawn_err("No such file or directory (os error 2)".into()));
            }
            if let Some(msg) = err.trim_end().strip_suffix(NO_DIR) {
                return Err(spawn_err(format!("cannot change directory: {}", msg.trim())));
            }
        }
        Ok(out)
    }

    fn stat(&self, path: &str, follow: bool) -> Result<Option<FileStat>, TransportError> {
        match self.unless_absent("stat", path, &script::stat(path, follow))? {
            None => Ok(None),
            Some(out) => script::parse_stat(&out).map(Some).map_err(|e| TransportError::io("stat", path, e)),
        }
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        self.unless_absent("read", path, &script::read_file(path))
    }

    fn probe(&self, path: &str) -> Result<Probe, TransportError> {
        let out = self.runner.exec(&script::probe(path), None)?;
        match out.rc {
            0 => script::parse_probe(&out.stdout).map_err(|e| TransportError::io("stat", path, e)),
            _ if reports_absent(&out.stderr) => {
                Ok(Probe { parent_dir: Some(out.stdout.starts_with(b"d")), ..Probe::default() })
            }
            _ => Err(TransportError::io("stat", path, failure_text(&out))),
        }
    }

    fn place(
        &self,
        path: &str,
        content: &[u8],
        attrs: &Attrs,
        backup: bool,
    ) -> Result<Placed, TransportError> {
        let out = self.runner.exec(&script::place(path, attrs, backup, content.len()), Some(content))?;
        match out.rc {
            0 => {}
            script::BACKUP_FAILED => return Err(TransportError::io("backup", path, failure_text(&out))),
            _ => return Err(TransportError::io("write", path, failure_text(&out))),
        }
        let (backup, stat) =
            script::parse_placed(&out.stdout).map_err(|e| TransportError::io("write", path, e))?;
        Ok(Placed { stat, backup })
    }

    fn write_file(&self, path: &str, content: &[u8], attrs: &Attrs) -> Result<(), TransportError> {
        self.checked("write", path, &script::write_file(path, attrs, content.len()), Some(content)).map(drop)
    }

    fn set_attrs(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        match script::set_attrs(path, attrs) {
            Some(s) => self.checked("chmod", path, &s, None).map(drop),
            None => Ok(()),
        }
    }

    fn make_dir(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        self.checked("mkdir", path, &script::make_dir(path, attrs), None).map(drop)
    }

    fn make_dir_stat(&self, path: &str, attrs: &Attrs) -> Result<FileStat, TransportError> {
        let s = format!("{}{}", script::make_dir(path, attrs), script::stat(path, true));
        let out = self.checked("mkdir", path, &s, None)?;
        script::parse_stat(&out.stdout).map_err(|e| TransportError::io("mkdir", path, e))
    }

    fn remove(&self, path: &str) -> Result<(), TransportError> {
        self.checked("remove", path, &script::remove(path), None).map(drop)
    }

    fn symlink(&self, target: &str, path: &str) -> Result<(), TransportError> {
        self.checked("symlink", path, &script::symlink(target, path), None).map(drop)
    }

    fn copy_file(&self, from: &str, to: &str) -> Result<(), TransportError> {
        self.checked("copy", from, &script::copy_file(from, to), None).map(drop)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, TransportError> {
        Ok(script::parse_list(&self.checked("list", path, &script::list_dir(path), None)?.stdout))
    }

    fn close(&self) -> Result<(), TransportError> {
        self.runner.close()
    }

    fn is_local(&self) -> bool {
        self.runner.is_local()
    }

    fn reconnect(&self, timeout: Option<std::time::Duration>) -> Result<(), TransportError> {
        self.runner.reconnect(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_is_the_last_stderr_line_even_after_shell_noise() {
        assert!(reports_absent(b"hearth:absent\n"));
        assert!(reports_absent(b"pyenv: cannot rehash\nhearth:absent\n"));
        assert!(!reports_absent(b"stat: hearth:absent is odd\n"));
        assert!(!reports_absent(b"hearth:absent\nstat: failed\n"));
        assert!(!reports_absent(b""));
    }
}
