//! The bottom of the script transports: start an `sh -c` script on a host with piped stdio.
//! Runners are async inside (sudo's password dialogue must read stderr while holding stdin open)
//! and sync outside: one shared multi-thread tokio runtime, entered with [`block_on`] from the
//! caller's own (non-tokio) thread. This file knows nothing about files, quoting rules or sudo.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::cmd::CmdOutput;
use crate::error::TransportError;
use crate::shell::Shells;
pub use crate::spawned::{BoxFut, Spawned, block_on};

/// Runs full `sh -c` scripts on one host (locally, over SSH, or through sudo).
pub trait Runner: Send + Sync {
    /// Starts `script` with all three standard streams piped.
    fn spawn<'a>(&'a self, script: &str) -> BoxFut<'a, Result<Spawned<'a>, TransportError>>;

    /// Runs `script` to completion, feeding `stdin` (or nothing), and captures its output.
    fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<CmdOutput, TransportError> {
        block_on(async {
            let spawned = self.spawn(script).await?;
            collect(spawned, stdin.unwrap_or_default()).await
        })?
    }

    /// Starts `script` like [`Runner::spawn`], with pipes that outlive this borrow, for a shell
    /// kept open for the whole run (see `shell`). `None` when this runner cannot.
    fn spawn_owned(
        &self,
        _script: &str,
    ) -> Option<BoxFut<'static, Result<Spawned<'static>, TransportError>>> {
        None
    }

    /// The shells this connection keeps open (see `shell`), if it keeps any.
    fn shells(&self) -> Option<&Shells> {
        None
    }

    /// Ends the underlying connection, if there is one (an ssh master).
    fn close(&self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Whether scripts run on the control node (see [`crate::transport::Transport::is_local`]).
    fn is_local(&self) -> bool;

    /// Opens the underlying connection anew (see [`crate::transport::Transport::reconnect`]).
    fn reconnect(&self, _timeout: Option<std::time::Duration>) -> Result<(), TransportError> {
        Ok(())
    }
}

impl<R: Runner + ?Sized> Runner for &R {
    fn spawn<'a>(&'a self, script: &str) -> BoxFut<'a, Result<Spawned<'a>, TransportError>> {
        (**self).spawn(script)
    }

    fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<CmdOutput, TransportError> {
        (**self).exec(script, stdin)
    }

    fn spawn_owned(&self, script: &str) -> Option<BoxFut<'static, Result<Spawned<'static>, TransportError>>> {
        (**self).spawn_owned(script)
    }

    fn shells(&self) -> Option<&Shells> {
        (**self).shells()
    }

    fn is_local(&self) -> bool {
        (**self).is_local()
    }

    fn reconnect(&self, timeout: Option<std::time::Duration>) -> Result<(), TransportError> {
        (**self).reconnect(timeout)
    }
}

/// Feeds `input`, closes stdin, reads both outputs to the end and waits for the exit code.
pub async fn collect(sp: Spawned<'_>, input: &[u8]) -> Result<CmdOutput, TransportError> {
    let Spawned { mut stdin, mut stdout, mut stderr, wait } = sp;
    let feed = async move {
        // A script that exits without reading its input breaks the pipe: that is not an error.
        let _ = stdin.write_all(input).await;
        let _ = stdin.shutdown().await;
    };
    let (_, out, err) = tokio::join!(feed, read_all(&mut stdout), read_all(&mut stderr));
    let rc = wait.await?;
    Ok(CmdOutput { rc, stdout: out?, stderr: err? })
}

/// Reads a stream to its end.
pub async fn read_all<R: AsyncRead + Unpin + ?Sized>(r: &mut R) -> Result<Vec<u8>, TransportError> {
    let mut buf = Vec::new();
    r.read_to_end(&mut buf).await.map_err(|e| TransportError::Unreachable(format!("reading output: {e}")))?;
    Ok(buf)
}

/// Runs scripts on the control node with `/bin/sh -c` (the base of local `become`).
#[derive(Debug, Default)]
pub struct LocalRunner;

impl Runner for LocalRunner {
    fn is_local(&self) -> bool {
        true
    }

    fn spawn<'a>(&'a self, script: &str) -> BoxFut<'a, Result<Spawned<'a>, TransportError>> {
        let started = local_spawn(script.to_string());
        // The block turns the 'static future into one for 'a: a boxed future's
        // output type cannot be shortened by covariance alone.
        #[allow(clippy::redundant_async_block)]
        Box::pin(async move { started.await })
    }

    fn spawn_owned(&self, script: &str) -> Option<BoxFut<'static, Result<Spawned<'static>, TransportError>>> {
        Some(local_spawn(script.to_string()))
    }
}

/// Starts `/bin/sh -c script` on the control node with all three streams piped.
fn local_spawn(script: String) -> BoxFut<'static, Result<Spawned<'static>, TransportError>> {
    Box::pin(async move {
        let mut child = tokio::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| TransportError::Spawn { program: "/bin/sh".into(), message: e.to_string() })?;
        let missing = || TransportError::Spawn { program: "/bin/sh".into(), message: "no pipe".into() };
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stderr = child.stderr.take().ok_or_else(missing)?;
        let wait = Box::pin(async move {
            let status = child
                .wait()
                .await
                .map_err(|e| TransportError::Spawn { program: "/bin/sh".into(), message: e.to_string() })?;
            Ok(status.code().unwrap_or(-1))
        });
        Ok(Spawned { stdin: Box::pin(stdin), stdout: Box::pin(stdout), stderr: Box::pin(stderr), wait })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_runner_feeds_stdin_and_captures() {
        let out = LocalRunner.exec("cat; echo err >&2; exit 3", Some(b"hello")).unwrap();
        assert_eq!(out, CmdOutput { rc: 3, stdout: b"hello".to_vec(), stderr: b"err\n".to_vec() });
    }

    #[test]
    fn unread_stdin_is_not_an_error() {
        let big = vec![b'x'; 1 << 20];
        let out = LocalRunner.exec("exit 0", Some(&big)).unwrap();
        assert_eq!(out.rc, 0);
    }
}
