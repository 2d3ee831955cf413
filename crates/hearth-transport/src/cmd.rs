//! What a transport runs and what comes back: a command as an argv vector ([`Cmd`], never a
//! shell string) and its captured output ([`CmdOutput`]). Quoting happens elsewhere (`quote`).

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
