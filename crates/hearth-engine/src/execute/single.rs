//! One run of a task's module on a host (a task without loop, or one loop item) as every step
//! of the run passes it on, and the few ways such a result is made: skipped, failed, flagged.
//! It knows nothing of tasks, hosts or templates.

use crate::report::Status;
use hearth_formats::value::{Map, Value};
use hearth_modules::Diff;

/// What a censored (`no_log`) result says instead of itself, as Ansible words it.
pub(super) const NO_LOG_MSG: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// One module run (a task without loop, or one loop item): its status, result, diffs and why.
pub(super) struct Single {
    pub(super) status: Status,
    pub(super) result: Map,
    pub(super) diffs: Vec<Diff>,
    pub(super) reason: Option<String>,
}

/// The result with Ansible's `changed` and `failed` keys set.
pub(super) fn with_flags(mut result: Map, changed: bool, failed: bool) -> Map {
    result.insert("changed".into(), Value::Bool(changed));
    result.insert("failed".into(), Value::Bool(failed));
    result
}

/// A run skipped because the condition `cond` is false, with Ansible's result keys.
pub(super) fn skipped(cond: &str) -> Single {
    let mut r = Map::new();
    r.insert("changed".into(), Value::Bool(false));
    r.insert("skipped".into(), Value::Bool(true));
    r.insert("skip_reason".into(), Value::String("Conditional result was False".into()));
    r.insert("false_condition".into(), Value::String(cond.to_string()));
    Single {
        status: Status::Skipped,
        result: r,
        diffs: vec![],
        reason: Some(format!("when: {cond} is false")),
    }
}

/// A failed run with message `msg`, keeping what `result` already holds.
pub(super) fn failed(msg: String, mut result: Map) -> Single {
    result.insert("changed".into(), result.get("changed").cloned().unwrap_or(Value::Bool(false)));
    result.insert("failed".into(), Value::Bool(true));
    result.insert("msg".into(), Value::String(msg));
    Single { status: Status::Failed, result, diffs: vec![], reason: None }
}
