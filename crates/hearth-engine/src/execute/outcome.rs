//! What a task did on one host, handed back to the play to apply to the host's state and to
//! report: the lines to print, the registered result, facts, and facts for a delegated host.
//! Plain data; it does not run anything.

use crate::report::{HostResult, Status};
use hearth_formats::value::Map;

/// What a task did on one host, for the engine to apply and report.
#[derive(Debug, Default)]
pub struct TaskOutcome {
    /// Lines to print (one, or one per loop item).
    pub lines: Vec<HostResult>,
    /// Overall status.
    pub status: Option<Status>,
    /// The result as `register` stores it.
    pub result: Map,
    /// Variables to set on the host (`set_fact`, `include_vars`, `register`).
    pub facts: Map,
    /// Host facts to set (`setup`, `getent`).
    pub gathered: Map,
    /// The failure was ignored.
    pub ignored: bool,
    /// `delegate_facts`: facts that belong to the delegated host instead.
    pub facts_to: Option<DelegatedFacts>,
}

/// Facts a task with `delegate_facts` gathered or set, for the host it delegated to.
#[derive(Debug, Default)]
pub struct DelegatedFacts {
    /// The delegated host's inventory name.
    pub host: String,
    /// `set_fact` facts.
    pub facts: Map,
    /// Gathered facts (`setup`, `getent`).
    pub gathered: Map,
}

impl TaskOutcome {
    /// The overall status (ok when nothing ran).
    pub fn status(&self) -> Status {
        self.status.unwrap_or(Status::Ok)
    }
}
