//! What every runner hands back and how sync callers wait for it: the boxed future and
//! piped-script types, and the one shared tokio runtime entered with [`block_on`].

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::TransportError;

/// A boxed, sendable future (what object-safe async trait methods return).
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A started script: its three pipes and a future for its exit code.
pub struct Spawned<'a> {
    /// The script's standard input; dropping it sends EOF.
    pub stdin: Pin<Box<dyn AsyncWrite + Send + 'a>>,
    /// The script's standard output.
    pub stdout: Pin<Box<dyn AsyncRead + Send + 'a>>,
    /// The script's standard error.
    pub stderr: Pin<Box<dyn AsyncRead + Send + 'a>>,
    /// Resolves to the exit code (-1 when killed by a signal) once the script ended.
    pub wait: BoxFut<'a, Result<i32, TransportError>>,
}

/// Runs `fut` to completion on the shared runtime. Must not be called from a tokio worker thread.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output, TransportError> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    let rt = RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hearth-io")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    match rt {
        Ok(rt) => Ok(rt.block_on(fut)),
        Err(e) => Err(TransportError::Spawn { program: "tokio runtime".into(), message: e.clone() }),
    }
}
