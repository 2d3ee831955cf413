//! How one run of a task shows in the report: the host's result line, censored under
//! `no_log`, and `debug`'s short body. It builds values; it never prints.

use super::single::{NO_LOG_MSG, Single};
use super::state::HostState;
use crate::load::task::{Task, TaskKind};
use crate::report::{HostResult, Status};
use hearth_formats::value::{Map, Value};

/// The report line of `single` (one run, or one loop item labelled `item`) of `task` on `host`.
pub(super) fn line(
    host: &HostState,
    task: &Task,
    item: Option<String>,
    single: &Single,
    no_log: bool,
) -> HostResult {
    let result = if no_log {
        let mut m = Map::new();
        m.insert("censored".into(), Value::String(NO_LOG_MSG.into()));
        m.insert("changed".into(), single.result.get("changed").cloned().unwrap_or(Value::Bool(false)));
        m
    } else {
        let mut m = single.result.clone();
        if single.status != Status::Failed {
            m.remove("failed");
        }
        m
    };
    let module = match &task.kind {
        TaskKind::Module { spec, .. } => spec.name,
        _ => "",
    };
    let verbose_always = matches!(module, "debug" | "assert") && single.status != Status::Skipped && !no_log;
    HostResult {
        host: host.name.clone(),
        delegated_to: task.delegate_to.clone(),
        status: single.status,
        item: if no_log { item.map(|_| "None".into()) } else { item },
        result: if module == "debug" && verbose_always { debug_body(&single.result) } else { result },
        // Kept under no_log too: `run` masks the secrets in them (see `mask_no_log_diffs`).
        diffs: single.diffs.clone(),
        // A reason may quote a value (a line, a path): hidden like the result under no_log.
        reason: if no_log { None } else { single.reason.clone() },
        ignored: false,
        verbose_always,
    }
}

/// Debug prints only its message or variable, like Ansible's default callback.
fn debug_body(result: &Map) -> Map {
    let loop_var = result.get("ansible_loop_var").and_then(Value::as_str).unwrap_or("");
    result
        .iter()
        .filter(|(k, _)| {
            !matches!(k.as_str(), "changed" | "failed" | "verbosity" | "ansible_loop_var") && *k != loop_var
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
