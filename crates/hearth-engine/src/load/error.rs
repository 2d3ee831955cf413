//! Errors found while loading playbooks, roles and variable files: each one names the file,
//! line and column and says what was expected. All of them end the run with exit code 4.

use std::path::PathBuf;

use hearth_formats::yaml::{Pos, YamlError};

/// A playbook, role or vars file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The YAML could not be read or parsed.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// The YAML is valid but does not mean anything we can run.
    #[error("{pos}: {message}")]
    Invalid { pos: Pos, message: String },
    /// A file the playbook refers to is missing.
    #[error("{pos}: {what} not found: {path} (looked in: {looked})")]
    NotFound { pos: Pos, what: &'static str, path: PathBuf, looked: String },
}

impl LoadError {
    /// An "invalid" error at a node's position.
    pub fn at(pos: &Pos, message: impl Into<String>) -> LoadError {
        LoadError::Invalid { pos: pos.clone(), message: message.into() }
    }
}
