//! Loops of one task on one host: the items (`loop`, `with_*`), one module run per item with
//! the loop variables, the facts earlier items set, the item labels, and the loop's combined
//! result as Ansible registers it. The single run itself is `module_run::run_single`.

use super::delegate::delegated;
use super::host_line::line;
use super::module_run::run_single;
use super::outcome::TaskOutcome;
use super::scope::{scoped_vars, search_path};
use super::single::{Single, failed, skipped};
use super::state::{Env, HostState};
use super::vars::context;
use crate::load::task::{Loop, Task, TaskKind};
use crate::report::Status;
use hearth_formats::value::{Map, Value};
use hearth_modules::Spec;
use hearth_template::Templar;

#[allow(clippy::too_many_arguments)]
pub(super) fn run_loop(
    task: &Task,
    spec: &Spec,
    args: &Value,
    l: &Loop,
    host: &HostState,
    env: &Env,
    base_vars: &Map,
    no_log: bool,
) -> TaskOutcome {
    let mut out = TaskOutcome::default();
    let items = match loop_items(task, l, env, base_vars) {
        Ok(items) => items,
        Err(msg) => {
            // As Ansible: a loop that cannot be templated does not matter when the task's
            // conditions (which must not need the item) are false anyway.
            let ctx = context(base_vars, &env.hostvars);
            let single = false_condition(task, env.templar, &ctx)
                .map_or_else(|| failed(msg, Map::new()), |c| skipped(&c));
            out.status = Some(single.status);
            out.lines.push(line(host, task, None, &single, no_log));
            out.result = single.result;
            return out;
        }
    };
    if items.is_empty() {
        return empty_loop(host, task, no_log);
    }
    let lc = &task.loop_control;
    let mut results = Vec::new();
    let (mut any_changed, mut any_failed, mut all_skipped) = (false, false, true);
    // Facts earlier items set (`set_fact: xs="{{ xs | default([]) + [item] }}"`) are seen by
    // the next ones, as in Ansible's loop.
    let mut item_facts = Map::new();
    for (i, item) in items.iter().enumerate() {
        let mut lv = item_facts.clone();
        lv.insert(lc.loop_var.clone(), item.clone());
        lv.insert("ansible_loop_var".into(), Value::String(lc.loop_var.clone()));
        if let Some(iv) = &lc.index_var {
            lv.insert(iv.clone(), Value::from(i));
            lv.insert("ansible_index_var".into(), Value::String(iv.clone()));
        }
        let vars = scoped_vars(task, host, env, Some(&lv));
        let mut single = run_single(task, spec, args, host, env, &vars);
        if let (Some(Value::Object(f)), true) =
            (single.result.get("ansible_facts"), single.status != Status::Failed)
        {
            item_facts.extend(f.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let label = item_label(lc.label.as_deref(), item, env, &vars);
        single.result.insert(lc.loop_var.clone(), item.clone());
        single.result.insert("ansible_loop_var".into(), Value::String(lc.loop_var.clone()));
        any_changed |= single.status == Status::Changed;
        any_failed |= single.status == Status::Failed;
        all_skipped &= single.status == Status::Skipped;
        out.lines.push(line(host, task, Some(label), &single, no_log).delegated(delegated(task, env, &vars)));
        results.push(Value::Object(single.result));
    }
    let status = if any_failed {
        Status::Failed
    } else if any_changed {
        Status::Changed
    } else if all_skipped {
        Status::Skipped
    } else {
        Status::Ok
    };
    out.status = Some(status);
    out.result.insert("changed".into(), Value::Bool(any_changed));
    out.result.insert("failed".into(), Value::Bool(any_failed));
    if status == Status::Skipped {
        out.result.insert("skipped".into(), Value::Bool(true));
    }
    let msg = if any_failed { "One or more items failed" } else { "All items completed" };
    out.result.insert("msg".into(), Value::String(msg.into()));
    out.result.insert("results".into(), Value::Array(results));
    out
}

/// The first of the task's conditions that is false without the loop item, if any: Ansible
/// then skips a task (or include) whose loop could not be templated instead of failing it.
pub(super) fn false_condition(task: &Task, templar: &Templar, ctx: &minijinja::Value) -> Option<String> {
    task.when.iter().find(|c| matches!(templar.eval_bool(c, ctx), Ok(false))).cloned()
}

/// Ansible skips a task whose loop has no items and registers why.
fn empty_loop(host: &HostState, task: &Task, no_log: bool) -> TaskOutcome {
    let mut r = Map::new();
    r.insert("changed".into(), Value::Bool(false));
    r.insert("skipped".into(), Value::Bool(true));
    r.insert("skipped_reason".into(), Value::String("No items in the list".into()));
    r.insert("results".into(), Value::Array(Vec::new()));
    let single = Single {
        status: Status::Skipped,
        result: r,
        diffs: vec![],
        reason: Some("the loop has no items".into()),
    };
    TaskOutcome {
        status: Some(Status::Skipped),
        lines: vec![line(host, task, None, &single, no_log)],
        result: single.result,
        ..TaskOutcome::default()
    }
}

fn loop_items(task: &Task, l: &Loop, env: &Env, vars: &Map) -> Result<Vec<Value>, String> {
    let ctx = context(vars, &env.hostvars);
    let rendered = env.templar.render_value(&l.items, &ctx).map_err(|e| e.message)?;
    let dirs = search_path(task, env).dirs;
    super::loops::items(l.keyword, rendered, &dirs, lookup_subdir(task))
}

/// The subdirectory Ansible gives `with_first_found` and friends: after the module's kind.
pub fn lookup_subdir(task: &Task) -> &'static str {
    match &task.kind {
        TaskKind::Module { spec, .. } if spec.name.contains("template") => "templates",
        TaskKind::Module { spec, .. } if spec.name.contains("var") => "vars",
        _ => "files",
    }
}

fn item_label(label: Option<&str>, item: &Value, env: &Env, vars: &Map) -> String {
    match label {
        Some(tpl) => {
            let ctx = context(vars, &env.hostvars);
            env.templar.render_str(tpl, &ctx).unwrap_or_else(|_| tpl.to_string())
        }
        None => plain(item),
    }
}

/// A value as Ansible prints it in item labels: Python's `str()` (strings bare, mappings and
/// lists as their repr: `{'a': True}`).
fn plain(v: &Value) -> String {
    hearth_template::pyrepr::py_str(&minijinja::Value::from(minijinja::value::Serde(v)))
}
