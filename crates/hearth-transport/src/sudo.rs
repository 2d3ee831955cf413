//! `become` through `sudo`, as a [`Runner`] wrapping another runner. Each script becomes
//! `sudo -H -S -p <unique prompt> -u <user> -- /bin/sh -c '<marker>; <script>'`; the password is
//! written to sudo's stdin only when the unique prompt shows up on stderr, and the real stdin is
//! streamed only after the success marker shows up on stdout (Ansible's dialogue). Without a
//! password, `sudo -n` fails at once instead of asking. The password never appears in argv,
//! output, errors or `Debug`. This file supports no other become method.

use std::fmt;
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::quote::{join, quote};
use super::runner::{BoxFut, Runner, Spawned, block_on, collect};
use super::shell::{self, BOOTSTRAP, Login, Starting};
use crate::cmd::CmdOutput;
use crate::error::TransportError;
use crate::transport::Become;

/// How long sudo may take to accept a password before the command fails.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs every script of `inner` as another user through sudo.
pub struct SudoRunner<'a> {
    inner: &'a dyn Runner,
    who: Who,
}

/// Who sudo makes us, and the password to answer it with.
#[derive(Clone)]
struct Who {
    user: String,
    password: Option<String>,
}

impl fmt::Debug for SudoRunner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SudoRunner")
            .field("user", &self.who.user)
            .field("password", &self.who.password.as_ref().map(|_| "********"))
            .finish()
    }
}

impl<'a> SudoRunner<'a> {
    /// Wraps `inner` so scripts run as `target.user`, answering sudo with `target.password`.
    pub fn new(inner: &'a dyn Runner, target: &Become) -> SudoRunner<'a> {
        SudoRunner { inner, who: Who { user: target.user.clone(), password: target.password.clone() } }
    }
}

impl Who {
    /// A failure of the become step itself (the task fails; the host stays reachable).
    fn fail(&self, message: impl Into<String>) -> TransportError {
        TransportError::Io { op: "become", path: self.user.clone(), message: message.into() }
    }
}

/// The sudo command line for `script`, with its unique prompt and success marker.
pub fn wrap(script: &str, user: &str, with_password: bool, token: &str) -> (String, String, String) {
    let prompt = format!("[sudo via hearth, key={token}] password:");
    let marker = format!("HEARTH-BECOME-SUCCESS-{token}");
    let inner = format!("echo {marker}\n{script}");
    let mut argv = vec!["sudo", "-H"];
    if with_password {
        argv.extend(["-S", "-p", &prompt]);
    } else {
        argv.push("-n");
    }
    argv.extend(["-u", user, "--", "/bin/sh", "-c"]);
    (format!("{} {}", join(&argv), quote(&inner)), prompt, marker)
}

/// A token that makes prompts and markers unique per command.
fn token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{:x}-{:x}-{:x}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl Runner for SudoRunner<'_> {
    fn is_local(&self) -> bool {
        self.inner.is_local()
    }

    fn reconnect(&self, timeout: Option<Duration>) -> Result<(), TransportError> {
        self.inner.reconnect(timeout)
    }

    fn spawn<'b>(&'b self, script: &str) -> BoxFut<'b, Result<Spawned<'b>, TransportError>> {
        let (wrapped, prompt, marker) = wrap(script, &self.who.user, self.who.password.is_some(), &token());
        Box::pin(async move {
            let sp = self.inner.spawn(&wrapped).await?;
            become_user(&self.who, sp, &prompt, &marker).await
        })
    }

    fn spawn_owned(&self, script: &str) -> Option<Starting> {
        let (wrapped, prompt, marker) = wrap(script, &self.who.user, self.who.password.is_some(), &token());
        let started = self.inner.spawn_owned(&wrapped)?;
        let who = self.who.clone();
        Some(Box::pin(async move { become_user(&who, started.await?, &prompt, &marker).await }))
    }

    /// On the connection's kept sudo shell for this user and password when it keeps one (sudo
    /// is asked once per run), else through sudo on a new channel.
    fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<CmdOutput, TransportError> {
        let input = stdin.unwrap_or_default();
        if let Some(shells) = self.inner.shells() {
            let login = Login::Sudo { user: self.who.user.clone(), password: self.who.password.clone() };
            if let Some(result) = shells.exec(login, || self.spawn_owned(BOOTSTRAP), script, input) {
                return result.map_err(|e| shell::into_error(e, &format!("sudo -u {}", self.who.user)));
            }
        }
        block_on(async { collect(self.spawn(script).await?, input).await })?
    }
}

/// Talks sudo of a started command into running it as `who`: streams as if sudo were not there.
async fn become_user<'b>(
    who: &Who,
    sp: Spawned<'b>,
    prompt: &str,
    marker: &str,
) -> Result<Spawned<'b>, TransportError> {
    let Spawned { mut stdin, mut stdout, mut stderr, wait } = sp;
    let talk = dialogue(who, &mut stdin, &mut stdout, &mut stderr, prompt, marker);
    let (out, err) = match tokio::time::timeout(ANSWER_TIMEOUT, talk).await {
        Ok(Ok(seen)) => seen,
        Ok(Err(Failure::Ended(err))) => {
            let rc = wait.await.unwrap_or(-1);
            let msg = clean(&err, prompt);
            let msg = if msg.is_empty() { format!("sudo exited with code {rc}") } else { msg };
            return Err(who.fail(msg));
        }
        Ok(Err(other)) => return Err(other.into_error(who)),
        Err(_) => return Err(who.fail(format!("sudo gave no answer within {ANSWER_TIMEOUT:?}"))),
    };
    let err = clean(&err, prompt).into_bytes();
    Ok(Spawned {
        stdin,
        stdout: Box::pin(Cursor::new(out).chain(stdout)),
        stderr: Box::pin(Cursor::new(err).chain(stderr)),
        wait,
    })
}

/// How the dialogue with sudo ended without success.
enum Failure {
    /// The wrong password: sudo asked again.
    Wrong,
    /// Sudo asked but there is no password to give.
    NoPassword,
    /// The command ended before the marker, with this stderr.
    Ended(Vec<u8>),
    /// The connection broke.
    Lost(TransportError),
}

impl Failure {
    fn into_error(self, r: &Who) -> TransportError {
        match self {
            Failure::Wrong => r.fail(format!("incorrect sudo password for becoming {}", r.user)),
            Failure::NoPassword => {
                r.fail("sudo asks for a password but none was given (ansible_become_password or -K)")
            }
            Failure::Ended(e) => r.fail(String::from_utf8_lossy(&e).into_owned()),
            Failure::Lost(e) => e,
        }
    }
}

/// Reads stdout and stderr until the marker line: answers the prompt once, fails on a second
/// prompt. Returns stdout after the marker and stderr so far.
async fn dialogue(
    r: &Who,
    stdin: &mut (dyn AsyncWrite + Send + Unpin),
    stdout: &mut (dyn AsyncRead + Send + Unpin),
    stderr: &mut (dyn AsyncRead + Send + Unpin),
    prompt: &str,
    marker: &str,
) -> Result<(Vec<u8>, Vec<u8>), Failure> {
    let (mut out, mut err, mut answered) = (Vec::new(), Vec::new(), 0);
    let (mut b1, mut b2) = ([0u8; 4096], [0u8; 4096]);
    let (mut out_open, mut err_open) = (true, true);
    let line = format!("{marker}\n");
    loop {
        if !out_open && !err_open {
            return Err(Failure::Ended(err));
        }
        let lost =
            |e: std::io::Error| Failure::Lost(TransportError::Unreachable(format!("during sudo: {e}")));
        tokio::select! {
            n = stdout.read(&mut b1), if out_open => {
                let n = n.map_err(lost)?;
                out_open = n > 0;
                out.extend_from_slice(&b1[..n]);
                if let Some(pos) = find(&out, line.as_bytes()) {
                    return Ok((out.split_off(pos + line.len()), err));
                }
            }
            n = stderr.read(&mut b2), if err_open => {
                let n = n.map_err(lost)?;
                err_open = n > 0;
                err.extend_from_slice(&b2[..n]);
                let text = String::from_utf8_lossy(&err);
                if text.matches(prompt).count() > answered {
                    let password = r.password.as_deref().ok_or(Failure::NoPassword)?;
                    if answered > 0 || text.contains("Sorry, try again") {
                        return Err(Failure::Wrong);
                    }
                    answered += 1;
                    let answer = format!("{password}\n");
                    stdin.write_all(answer.as_bytes()).await.map_err(lost)?;
                    stdin.flush().await.map_err(lost)?;
                }
            }
        }
    }
}

/// Position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Stderr without sudo's prompts, trimmed.
fn clean(err: &[u8], prompt: &str) -> String {
    String::from_utf8_lossy(err).replace(prompt, "").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_never_puts_the_password_on_the_command_line() {
        let (cmd, prompt, marker) = wrap("cat >'/x y'", "root", true, "t1");
        assert_eq!(prompt, "[sudo via hearth, key=t1] password:");
        assert!(
            cmd.starts_with("sudo -H -S -p '[sudo via hearth, key=t1] password:' -u root -- /bin/sh -c ")
        );
        assert!(cmd.contains(&marker));
        let (cmd, _, _) = wrap("true", "www data", false, "t2");
        assert!(
            cmd.starts_with("sudo -H -n -u 'www data' -- /bin/sh -c 'echo HEARTH-BECOME-SUCCESS-t2"),
            "{cmd}"
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let b = Become { user: "root".into(), method: "sudo".into(), password: Some("s3cret".into()) };
        let r = SudoRunner::new(&super::super::runner::LocalRunner, &b);
        assert!(!format!("{r:?}").contains("s3cret"));
    }

    #[test]
    fn clean_drops_prompts() {
        assert_eq!(
            clean(b"[p] password:\nSorry, try again.\n[p] password:", "[p] password:"),
            "Sorry, try again."
        );
        assert_eq!(find(b"abcHEARTH\nx", b"HEARTH\n"), Some(3));
    }
}
