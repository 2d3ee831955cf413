//! A shell kept open on a host for the whole run: one channel runs one POSIX `sh` loop
//! ([`BOOTSTRAP`]) that reads framed scripts on its stdin and answers with framed results, so
//! an operation costs one round trip on an open channel instead of a new channel (a new sshd
//! session and login shell). Frames are length-prefixed, so no content (not even one that holds
//! a frame word) can confuse them. Every script still runs as its own `sh -c`, with stdin from a
//! file and stdout/stderr captured to files in a private temp directory that the loop removes
//! when it ends. [`Shells`] keeps one such shell per login and per become user; when a shell
//! cannot start, is busy, or died too often, callers fall back to one channel per command.
//! This file knows the protocol; how a channel or sudo is opened is the runner's business.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use crate::cmd::CmdOutput;
use crate::error::TransportError;
use crate::spawned::{BoxFut, Spawned, block_on};

/// The loop the kept shell runs. It checks that `head -c` reads exactly (GNU coreutils does,
/// busybox's does not), says it is ready, then per frame: reads the script and stdin lengths,
/// the script (which must end with [`SCRIPT_END`]), the stdin bytes (all of them: stdin cut
/// short by a lost connection ends the loop, it never runs the script on part of its input),
/// runs the script, and prints its exit code, `wc -c` of its stdout and stderr, and both outputs.
pub const BOOTSTRAP: &str = r#"d=$(mktemp -d "${TMPDIR:-/tmp}/hearth-shell.XXXXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
trap 'exit 141' PIPE
[ "$(printf ab | { head -c 1 >/dev/null; cat; })" = b ] || { echo hearth-shell:unsupported; exit 0; }
echo hearth-shell:ready
while IFS=' ' read -r w n i && [ "$w" = hearth-frame ]; do
s=$(head -c "$n") || exit 1
case $s in *'
#hearth-end') s=${s%'
#hearth-end'} ;; *) exit 1 ;; esac
if [ "$i" -gt 0 ]; then head -c "$i" >"$d/i" && g=$(wc -c <"$d/i") && [ "$((g))" -eq "$i" ] || exit 1
else : >"$d/i"; fi
sh -c "$s" <"$d/i" >"$d/o" 2>"$d/e"
r=$?
echo "hearth-done $r" && wc -c "$d/o" "$d/e" && cat "$d/o" "$d/e" || exit 1
done"#;

/// The last line of every framed script: proves the loop read the whole script.
const SCRIPT_END: &str = "\n#hearth-end";

/// How long a new shell may take to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// At most this many logins keep a shell on one connection (each holds one of sshd's sessions).
const MAX_LOGINS: usize = 3;

/// A kept shell being started: the channel (or sudo) running [`BOOTSTRAP`].
pub type Starting = BoxFut<'static, Result<Spawned<'static>, TransportError>>;

/// After this many deaths on one connection, its shell is given up for channels.
const MAX_DEATHS: u32 = 3;

/// Why an operation on a kept shell did not give a result.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// The host cannot keep a shell (no exact `head -c`): use channels.
    #[error("the host's head cannot read exact byte counts")]
    Unsupported,
    /// The shell ended or answered something that is not a frame; the command's fate is unknown.
    #[error("hearth's shell on the host ended unexpectedly{0}")]
    Died(String),
    /// Starting the shell failed (the channel or sudo refused): the operation's own error.
    #[error(transparent)]
    Start(TransportError),
}

/// One running kept shell: its input, its buffered output, and what keeps it alive.
pub struct Session {
    stdin: Pin<Box<dyn AsyncWrite + Send>>,
    stdout: BufReader<Pin<Box<dyn AsyncRead + Send>>>,
    /// The loop's own stderr (login noise, its errors), last bytes kept for messages.
    noise: Arc<Mutex<Vec<u8>>>,
    /// Resolves when the channel ended; dropped (closing the channel) with the session.
    wait: BoxFut<'static, Result<i32, TransportError>>,
}

impl Session {
    /// Takes over a started [`BOOTSTRAP`] and waits until it says it is ready.
    pub async fn start(spawned: Spawned<'static>) -> Result<Session, ShellError> {
        let Spawned { stdin, stdout, stderr, wait } = spawned;
        let noise = Arc::new(Mutex::new(Vec::new()));
        tokio::spawn(keep_tail(stderr, noise.clone()));
        let mut session = Session { stdin, stdout: BufReader::new(stdout), noise, wait };
        match tokio::time::timeout(START_TIMEOUT, session.ready()).await {
            Ok(result) => result.map(|()| session),
            Err(_) => Err(ShellError::Died(format!(": not ready within {START_TIMEOUT:?}"))),
        }
    }

    /// Skips login-shell noise up to the ready line.
    async fn ready(&mut self) -> Result<(), ShellError> {
        loop {
            let line = self.line().await?;
            match line.as_str() {
                "hearth-shell:ready" => return Ok(()),
                "hearth-shell:unsupported" => return Err(ShellError::Unsupported),
                _ => {}
            }
        }
    }

    /// Runs one script to completion with `stdin`, as `sh -c` would on a fresh channel.
    pub async fn exec(&mut self, script: &str, stdin: &[u8]) -> Result<CmdOutput, ShellError> {
        let frame = frame(script, stdin.len());
        if let Err(e) = self.send(&frame, stdin).await {
            return Err(self.died(&format!(": {e}")));
        }
        let rc = parse_done(&self.line().await?).ok_or_else(|| self.died(": bad answer"))?;
        let out_len = parse_count(&self.line().await?).ok_or_else(|| self.died(": bad size"))?;
        let err_len = parse_count(&self.line().await?).ok_or_else(|| self.died(": bad size"))?;
        self.line().await?; // wc's total line
        let stdout = self.bytes(out_len).await?;
        let stderr = self.bytes(err_len).await?;
        Ok(CmdOutput { rc, stdout, stderr })
    }

    async fn send(&mut self, frame: &[u8], stdin: &[u8]) -> std::io::Result<()> {
        self.stdin.write_all(frame).await?;
        self.stdin.write_all(stdin).await?;
        self.stdin.flush().await
    }

    /// Whether the channel has already ended (the host dropped it since the last operation).
    async fn ended(&mut self) -> bool {
        tokio::time::timeout(Duration::ZERO, &mut self.wait).await.is_ok()
    }

    /// Ends the loop (EOF on its stdin) and waits a moment for it to remove its temp directory.
    pub async fn finish(self) {
        let Session { mut stdin, wait, .. } = self;
        let _ = stdin.shutdown().await;
        // Only dropping a pipe's writer closes it.
        drop(stdin);
        let _ = tokio::time::timeout(Duration::from_secs(2), wait).await;
    }

    async fn line(&mut self) -> Result<String, ShellError> {
        let mut buf = Vec::new();
        match self.stdout.read_until(b'\n', &mut buf).await {
            Ok(0) => Err(self.died("")),
            Ok(_) => Ok(String::from_utf8_lossy(&buf).trim_end_matches('\n').to_string()),
            Err(e) => Err(self.died(&format!(": {e}"))),
        }
    }

    async fn bytes(&mut self, len: usize) -> Result<Vec<u8>, ShellError> {
        let mut buf = vec![0; len];
        match self.stdout.read_exact(&mut buf).await {
            Ok(_) => Ok(buf),
            Err(e) => Err(self.died(&format!(": {e}"))),
        }
    }

    /// A death, with the last line the loop printed on its stderr.
    fn died(&self, why: &str) -> ShellError {
        let noise = self.noise.lock().unwrap_or_else(PoisonError::into_inner);
        let text = String::from_utf8_lossy(&noise);
        match text.trim().rsplit('\n').next().filter(|l| !l.is_empty()) {
            Some(last) => ShellError::Died(format!("{why} ({last})")),
            None => ShellError::Died(why.to_string()),
        }
    }
}

/// Reads `stream` to its end, keeping the last 4 KiB (the loop's stderr must never fill up).
async fn keep_tail(mut stream: Pin<Box<dyn AsyncRead + Send>>, tail: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut buf).await {
        let mut kept = tail.lock().unwrap_or_else(PoisonError::into_inner);
        kept.extend_from_slice(&buf[..n]);
        let excess = kept.len().saturating_sub(4096);
        kept.drain(..excess);
    }
}

/// The header and script of one frame (the stdin bytes follow it).
pub fn frame(script: &str, stdin_len: usize) -> Vec<u8> {
    let body = format!("{script}{SCRIPT_END}");
    let mut out = format!("hearth-frame {} {stdin_len}\n", body.len()).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// The exit code in `hearth-done <rc>`.
fn parse_done(line: &str) -> Option<i32> {
    line.strip_prefix("hearth-done ")?.trim().parse().ok()
}

/// The byte count at the start of a `wc -c` line.
fn parse_count(line: &str) -> Option<usize> {
    line.split_whitespace().next()?.parse().ok()
}

/// Who a kept shell runs as: the login user, or a become user with the password it was
/// started with (a task with another password must not reuse it).
#[derive(Clone, PartialEq, Eq)]
pub enum Login {
    /// The connection's own user.
    Own,
    /// `sudo -u user`, started with this password (if any).
    Sudo { user: String, password: Option<String> },
}

/// The state of one login's shell.
#[derive(Default)]
enum Slot {
    /// None yet (or the last one died): the next operation starts one.
    #[default]
    Empty,
    /// Open and idle.
    Open(Box<Session>),
    /// This login uses channels: the host cannot keep a shell, or it died [`MAX_DEATHS`] times.
    Off,
}

/// A login's slot and how often its shell died.
#[derive(Default)]
struct Kept {
    slot: Slot,
    deaths: u32,
}

/// The kept shells of one connection, one per [`Login`].
#[derive(Default)]
pub struct Shells {
    kept: Mutex<Vec<(Login, Arc<tokio::sync::Mutex<Kept>>)>>,
    /// Off for the whole connection (`--ssh-channel-per-command`).
    disabled: bool,
}

impl std::fmt::Debug for Shells {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shells").field("disabled", &self.disabled).finish_non_exhaustive()
    }
}

impl Shells {
    /// A pool that never keeps a shell: every operation gets its own channel.
    pub fn disabled() -> Shells {
        Shells { kept: Mutex::default(), disabled: true }
    }

    /// Runs `script` on `login`'s kept shell, starting it with `start` when there is none.
    /// `None` when the caller must use a channel instead: shells are off for this login, or
    /// its shell is busy with another operation (a parallel task on the same host).
    pub fn exec(
        &self,
        login: Login,
        start: impl FnOnce() -> Option<Starting>,
        script: &str,
        stdin: &[u8],
    ) -> Option<Result<CmdOutput, ShellError>> {
        if self.disabled {
            return None;
        }
        let kept = self.slot(login)?;
        let mut guard = kept.try_lock().ok()?;
        let result = block_on(run_kept(&mut guard, start, script, stdin));
        match result {
            Ok(r) => r,
            Err(e) => Some(Err(ShellError::Start(e))),
        }
    }

    /// The slot of `login`; `None` when [`MAX_LOGINS`] others hold one already.
    fn slot(&self, login: Login) -> Option<Arc<tokio::sync::Mutex<Kept>>> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, slot)) = kept.iter().find(|(l, _)| *l == login) {
            return Some(slot.clone());
        }
        if kept.len() >= MAX_LOGINS {
            return None;
        }
        let slot = Arc::new(tokio::sync::Mutex::new(Kept::default()));
        kept.push((login, slot.clone()));
        Some(slot)
    }

    /// Ends every kept shell (before the connection closes or is replaced).
    pub fn clear(&self) {
        let kept = std::mem::take(&mut *self.kept.lock().unwrap_or_else(PoisonError::into_inner));
        let sessions = kept.into_iter().filter_map(|(_, slot)| match slot.try_lock() {
            Ok(mut k) => match std::mem::take(&mut k.slot) {
                Slot::Open(s) => Some(s),
                _ => None,
            },
            // Busy (Ctrl-C mid-operation): closing the connection ends it.
            Err(_) => None,
        });
        let sessions: Vec<Session> = sessions.map(|s| *s).collect();
        if !sessions.is_empty() {
            let _ = block_on(finish_all(sessions));
        }
    }
}

/// Finishes sessions in parallel.
async fn finish_all(sessions: Vec<Session>) {
    let handles: Vec<_> = sessions.into_iter().map(|s| tokio::spawn(s.finish())).collect();
    for h in handles {
        let _ = h.await;
    }
}

/// Runs on the slot's shell, starting one first when it is empty.
async fn run_kept(
    kept: &mut Kept,
    start: impl FnOnce() -> Option<Starting>,
    script: &str,
    stdin: &[u8],
) -> Option<Result<CmdOutput, ShellError>> {
    let idle = match std::mem::take(&mut kept.slot) {
        Slot::Off => {
            kept.slot = Slot::Off;
            return None;
        }
        Slot::Open(s) => Some(s),
        Slot::Empty => None,
    };
    let alive = match idle {
        Some(mut s) => (!s.ended().await).then_some(s),
        None => None,
    };
    let mut session = match alive {
        Some(s) => s,
        // Empty, or ended while idle (nothing was running): start one without counting a death.
        _ => match start_session(kept, start).await? {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        },
    };
    match session.exec(script, stdin).await {
        Ok(out) => {
            kept.slot = Slot::Open(session);
            Some(Ok(out))
        }
        Err(e) => Some(Err(kept.died(e))),
    }
}

/// Starts a shell for an empty slot; `None` when the host cannot keep one (the slot turns off).
async fn start_session(
    kept: &mut Kept,
    start: impl FnOnce() -> Option<Starting>,
) -> Option<Result<Box<Session>, ShellError>> {
    let Some(starting) = start() else {
        kept.slot = Slot::Off;
        return None;
    };
    let spawned = match starting.await {
        Ok(spawned) => spawned,
        Err(e) => return Some(Err(ShellError::Start(e))),
    };
    match Session::start(spawned).await {
        Ok(s) => Some(Ok(Box::new(s))),
        Err(ShellError::Unsupported) => {
            kept.slot = Slot::Off;
            None
        }
        Err(e) => Some(Err(kept.died(e))),
    }
}

/// The error an operation reports when its kept shell failed: a shell that ended mid-operation
/// means the connection or the host went away (the host becomes UNREACHABLE), as a channel
/// that breaks does.
pub fn into_error(e: ShellError, host: &str) -> TransportError {
    match e {
        ShellError::Start(e) => e,
        other => TransportError::Unreachable(format!("{host}: {other}")),
    }
}

impl Kept {
    /// Counts a death; after [`MAX_DEATHS`] this login uses channels.
    fn died(&mut self, e: ShellError) -> ShellError {
        self.deaths += 1;
        self.slot = if self.deaths >= MAX_DEATHS { Slot::Off } else { Slot::Empty };
        e
    }
}

#[cfg(test)]
mod tests;
