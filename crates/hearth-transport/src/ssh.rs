//! Hosts over SSH: one OpenSSH ControlMaster per host (through the `openssh` crate, native mux),
//! opened once by [`connect`], reused by every command, and closed by [`SshRunner::close`].
//! Settings come from inventory variables ([`SshTarget::from_vars`]) and, as with plain `ssh`,
//! from `~/.ssh/config` (ProxyJump, IdentityFile, agents). Host keys are checked strictly unless
//! `accept_new` is set. Each command runs as `sh -c '<script>'` (the login shell only starts it).
//! File operations and become live in `posix` and `sudo`; this file only connects and runs.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssh::{KnownHosts, Session, SessionBuilder, Stdio};
use tokio::sync::Semaphore;

use super::posix::Posix;
use super::quote::quote;
use super::runner::{BoxFut, Runner, Spawned, block_on, collect};
use super::shell::{self, BOOTSTRAP, Login, Shells, Starting};
use super::ssh_args::config_text;
use super::ssh_errors::{command_error, connect_error};
use super::trace;
use crate::cmd::CmdOutput;
use crate::error::TransportError;

mod control_dir;
pub mod persist;
mod target;

pub use target::{SshDefaults, SshTarget};

/// Concurrent channels per master: sshd's default `MaxSessions` is 10, and a channel that just
/// ended may still count there for a moment, so stay a little below.
pub const MAX_CHANNELS: usize = 8;

/// A host reached over SSH: POSIX shell operations on an [`SshRunner`].
pub type Ssh = Posix<SshRunner>;

/// Opens the master connection to `target` (one handshake) and returns the host's transport.
pub fn connect(target: &SshTarget) -> Result<Ssh, TransportError> {
    if target.persist.is_some() {
        return connect_persistent(target);
    }
    let lines = target.config_lines()?;
    let dir = control_dir::acquire()?;
    let result = block_on(open(target, &lines, &dir)).and_then(|r| r);
    match result {
        Ok(session) => Ok(transport(target, session, false)),
        Err(e) => {
            control_dir::release();
            Err(e)
        }
    }
}

/// With `--ssh-persist`: resume the master a previous run left, or open one that outlives us.
fn connect_persistent(target: &SshTarget) -> Result<Ssh, TransportError> {
    if let Some(ctl) = persist::remembered(target) {
        let session = Session::resume_mux(ctl.into_boxed_path(), None);
        if matches!(block_on(session.check()), Ok(Ok(()))) {
            return Ok(transport(target, session, true));
        }
        // Not ours to close (and it does not answer): leave it, forget it.
        let _ = session.detach();
        persist::forget(target);
    }
    let lines = target.config_lines()?;
    let dir = persist::dir().ok_or_else(|| TransportError::Spawn {
        program: "ssh".into(),
        message: "no cache directory for --ssh-persist (set HOME or XDG_CACHE_HOME)".into(),
    })?;
    persist::check_socket_room(&dir)?;
    let session = block_on(open(target, &lines, &dir)).and_then(|r| r)?;
    Ok(transport(target, session, true))
}

fn transport(target: &SshTarget, session: Session, persistent: bool) -> Ssh {
    let runner = SshRunner {
        host: target.host.clone(),
        session: Mutex::new(Some(Arc::new(session))),
        channels: Arc::new(Semaphore::new(MAX_CHANNELS)),
        keep_for: persistent.then(|| target.clone()),
        shells: if target.kept_shell { Shells::default() } else { Shells::disabled() },
        target: target.clone(),
    };
    // `-l user` on the command line beats ssh_config, so a given user is the login user.
    match &target.user {
        Some(u) => Posix::with_user(runner, u),
        None => Posix::new(runner),
    }
}

/// How often a master asks the host whether it is still there when nothing came from it: a
/// third of the connect timeout (1 to 15 s), so that after ssh's default of 3 unanswered asks a
/// host whose network went away mid-run is UNREACHABLE about one connect timeout later, not
/// when TCP gives up minutes later. sshd answers these itself, however busy the command is.
fn alive_interval(connect_timeout: Duration) -> Duration {
    (connect_timeout / 3).clamp(Duration::from_secs(1), Duration::from_secs(15))
}

/// Builds the session: policy, timeout, user, port, key, and a generated config when needed.
async fn open(
    target: &SshTarget,
    lines: &[String],
    dir: &std::path::Path,
) -> Result<Session, TransportError> {
    let mut b = SessionBuilder::default();
    b.known_hosts_check(if target.accept_new { KnownHosts::Add } else { KnownHosts::Strict })
        .connect_timeout(target.connect_timeout)
        .server_alive_interval(alive_interval(target.connect_timeout))
        .control_directory(dir);
    if let Some(idle) = target.persist {
        b.control_persist(openssh::ControlPersist::IdleFor(idle));
    }
    if let Some(u) = &target.user {
        b.user(u.clone());
    }
    if let Some(p) = target.port {
        b.port(p);
    }
    if let Some(k) = &target.key_file {
        b.keyfile(k);
    }
    let config = match lines.is_empty() {
        true => None,
        false => Some(write_config(dir, lines)?),
    };
    if let Some(c) = &config {
        b.config_file(c);
    }
    let started = trace::start();
    let session = b.connect_mux(&target.host).await;
    trace::record(&target.host, "connect", started);
    // The master read its config at start; nobody needs the file any more.
    if let Some(c) = config {
        let _ = std::fs::remove_file(c);
    }
    session.map_err(|e| connect_error(&target.host, &e))
}

/// Writes the generated ssh config into hearth's private control directory.
fn write_config(dir: &std::path::Path, lines: &[String]) -> Result<PathBuf, TransportError> {
    let file = tempfile::Builder::new().prefix("config-").tempfile_in(dir);
    let persisted = file.and_then(|mut f| {
        std::io::Write::write_all(&mut f, config_text(lines).as_bytes())?;
        f.keep().map_err(|e| e.error)
    });
    persisted
        .map(|(_, path)| path)
        .map_err(|e| TransportError::Spawn { program: "ssh".into(), message: e.to_string() })
}

/// Runs scripts over one host's master connection, at most [`MAX_CHANNELS`] at a time.
pub struct SshRunner {
    host: String,
    /// `None` once closed.
    session: Mutex<Option<Arc<Session>>>,
    channels: Arc<Semaphore>,
    /// With `--ssh-persist`: the target whose master is left running for the next run.
    keep_for: Option<SshTarget>,
    /// How the master was opened, to open another one on [`Runner::reconnect`].
    target: SshTarget,
    /// The shells kept open on this master, one per login and become user.
    shells: Shells,
}

impl std::fmt::Debug for SshRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshRunner").field("host", &self.host).finish()
    }
}

impl SshRunner {
    /// Closes the master connection (and with it every channel still open) and removes its
    /// control socket. Later commands fail as unreachable. Safe to call more than once.
    pub fn shutdown(&self) -> Result<(), TransportError> {
        self.shells.clear();
        let taken = self.session.lock().map(|mut s| s.take()).unwrap_or(None);
        let Some(session) = taken else { return Ok(()) };
        let session = match (&self.keep_for, Arc::try_unwrap(session)) {
            (Some(target), Ok(idle)) => {
                // Idle at the end of a run: leave the master for the next one.
                let (ctl, _log) = idle.detach();
                persist::remember(target, &ctl);
                return Ok(());
            }
            (_, other) => other,
        };
        if self.keep_for.is_some() {
            // Busy (Ctrl-C): end it like a normal master; the persistent directory stays.
            if let Err(shared) = &session {
                exit_master(shared, &self.host);
            }
            if let Some(t) = &self.keep_for {
                persist::forget(t);
            }
            return Ok(());
        }
        let result = match session {
            Ok(session) => block_on(session.close()).map(|r| r.map_err(|e| command_error(&self.host, &e))),
            Err(shared) => {
                // Commands still hold the session (e.g. on Ctrl-C): make the master exit now.
                exit_master(&shared, &self.host);
                Ok(Ok(()))
            }
        };
        control_dir::release();
        result.and_then(|r| r)
    }

    /// Opens a new master like the first one (`timeout` for its handshake, when given), then
    /// ends the old one. On failure the old one stays (commands on a dead one fail as unreachable).
    fn reopen(&self, timeout: Option<Duration>) -> Result<(), TransportError> {
        let mut target = self.target.clone();
        target.connect_timeout = timeout.unwrap_or(target.connect_timeout);
        let lines = target.config_lines()?;
        let dir = match self.keep_for {
            Some(_) => persist::dir(),
            None => Some(control_dir::path()),
        };
        let dir = dir.ok_or_else(|| TransportError::Spawn {
            program: "ssh".into(),
            message: "no control directory".into(),
        })?;
        let fresh = Arc::new(block_on(open(&target, &lines, &dir)).and_then(|r| r)?);
        // The old master's shells went with it (or are about to): later operations start new ones.
        self.shells.clear();
        let old = match self.session.lock() {
            Ok(mut s) => s.replace(fresh),
            Err(_) => return Err(TransportError::Unreachable(format!("{}: poisoned", self.host))),
        };
        match old.map(Arc::try_unwrap) {
            // The old master is usually dead already (the host rebooted): nothing to report.
            Some(Ok(idle)) => drop(block_on(idle.close())),
            Some(Err(shared)) => exit_master(&shared, &self.host),
            None => {}
        }
        Ok(())
    }

    fn session(&self) -> Result<Arc<Session>, TransportError> {
        let guard = self
            .session
            .lock()
            .map_err(|_| TransportError::Unreachable(format!("{}: poisoned", self.host)))?;
        guard
            .clone()
            .ok_or_else(|| TransportError::Unreachable(format!("{}: connection already closed", self.host)))
    }
}

impl Runner for SshRunner {
    fn close(&self) -> Result<(), TransportError> {
        self.shutdown()
    }

    fn is_local(&self) -> bool {
        false
    }

    fn reconnect(&self, timeout: Option<Duration>) -> Result<(), TransportError> {
        self.reopen(timeout)
    }

    fn spawn<'a>(&'a self, script: &str) -> BoxFut<'a, Result<Spawned<'a>, TransportError>> {
        let started = self.channel(script);
        // The block turns the 'static future into one for 'a: a boxed future's
        // output type cannot be shortened by covariance alone.
        #[allow(clippy::redundant_async_block)]
        Box::pin(async move { started.await })
    }

    fn spawn_owned(&self, script: &str) -> Option<Starting> {
        Some(self.channel(script))
    }

    fn shells(&self) -> Option<&Shells> {
        Some(&self.shells)
    }

    fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<CmdOutput, TransportError> {
        let input = stdin.unwrap_or_default();
        let started = trace::start();
        match self.shells.exec(Login::Own, || self.spawn_owned(BOOTSTRAP), script, input) {
            Some(result) => {
                trace::record(&self.host, "shell", started);
                result.map_err(|e| shell::into_error(e, &self.host))
            }
            None => {
                let result = block_on(async { collect(self.channel(script).await?, input).await })?;
                trace::record(&self.host, "channel", started);
                result
            }
        }
    }
}

impl SshRunner {
    /// Starts `script` on a new channel of the master, at most [`MAX_CHANNELS`] at a time.
    fn channel(&self, script: &str) -> Starting {
        let command = format!("sh -c {}", quote(script));
        let (session, host, channels) = (self.session(), self.host.clone(), self.channels.clone());
        Box::pin(async move {
            let session = session?;
            let permit =
                channels.acquire_owned().await.map_err(|e| TransportError::Unreachable(e.to_string()))?;
            let mut child = open_channel(&session, &command).await.map_err(|e| command_error(&host, &e))?;
            let missing = || TransportError::Unreachable(format!("{host}: channel without pipes"));
            let stdin = child.stdin().take().ok_or_else(missing)?;
            let stdout = child.stdout().take().ok_or_else(missing)?;
            let stderr = child.stderr().take().ok_or_else(missing)?;
            let wait = Box::pin(async move {
                let status = child.wait().await;
                drop(permit);
                match status {
                    Ok(s) => Ok(s.code().unwrap_or(-1)),
                    // The crate reports exit code 127 as an error; for hearth it is just a code.
                    Err(openssh::Error::Remote(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(127),
                    // Killed by a signal and a broken connection look the same: ask the master.
                    Err(openssh::Error::RemoteProcessTerminated) if session.check().await.is_ok() => Ok(-1),
                    Err(e) => Err(command_error(&host, &e)),
                }
            });
            Ok(Spawned { stdin: Box::pin(stdin), stdout: Box::pin(stdout), stderr: Box::pin(stderr), wait })
        })
    }
}

/// Tells a master that commands still share to exit now (`ssh -O exit`).
fn exit_master(shared: &Session, host: &str) {
    let _ = std::process::Command::new("ssh")
        .args(["-q", "-O", "exit", "-S"])
        .arg(shared.control_socket())
        .arg(host)
        .stderr(std::process::Stdio::null())
        .status();
}

/// Opens a channel running `command`, retrying briefly while sshd still counts closing channels
/// against `MaxSessions` (or another client shares the master).
async fn open_channel(
    session: &Arc<Session>,
    command: &str,
) -> Result<openssh::Child<Arc<Session>>, openssh::Error> {
    let mut attempt = 0;
    loop {
        let spawned = session
            .clone()
            .arc_raw_command(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .await;
        match spawned {
            Err(e)
                if attempt < 40
                    && e.to_string().contains("multiplex")
                    && format!("{e:?}").contains("refused") =>
            {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            other => return other,
        }
    }
}

impl Drop for SshRunner {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_formats::value::Map;

    #[test]
    fn ssh_named_variables_win_over_the_plain_ones_as_in_ansible() {
        let vars: Map = serde_json::from_value(serde_json::json!({
            "ansible_host": "plain", "ansible_ssh_host": "10.0.0.5",
            "ansible_user": "root", "ansible_ssh_user": "deploy",
            "ansible_port": 22, "ansible_ssh_port": "2222",
        }))
        .unwrap();
        let t = SshTarget::from_vars("web1", &vars, &SshDefaults::default()).unwrap();
        assert_eq!((t.host.as_str(), t.user.as_deref(), t.port), ("10.0.0.5", Some("deploy"), Some(2222)));
    }
}
