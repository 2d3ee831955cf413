//! How the binary fails: an error with the exit code ansible-playbook would give for it.

/// ansible-playbook's exit codes.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const HOST_FAILED: u8 = 2;
    pub const UNREACHABLE: u8 = 3;
    pub const PARSE: u8 = 4;
    pub const BAD_OPTIONS: u8 = 5;
    pub const INTERRUPTED: u8 = 99;
}

/// An error with the exit code it should produce.
pub struct Failure {
    /// The process exit code.
    pub code: u8,
    /// What went wrong, printed once as `ERROR! ...`.
    pub error: anyhow::Error,
}

impl Failure {
    /// A failure ending the run with `code`.
    pub fn new(code: u8, error: impl Into<anyhow::Error>) -> Failure {
        Failure { code, error: error.into() }
    }
}
