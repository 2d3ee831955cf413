//! A task's variables and keywords on one host: the scoped variables a run sees (`omit`,
//! `ansible_check_mode` included), boolean keywords read as Ansible reads them, check mode and
//! the control-node search path. It does not run modules.

use super::state::{Env, HostState};
use super::vars::{TaskScope, context, task_vars};
use crate::load::task::Task;
use hearth_formats::value::{Map, Value};
use hearth_modules::{SearchPath, args::parse_bool};
use hearth_template::truthy;

/// Placeholder that `default(omit)` renders to; parameters equal to it are dropped.
pub const OMIT: &str = "__omit_place_holder__hearth";

/// The variables a run of `task` on `host` sees (plus the loop's, when `loop_vars` is given).
pub(super) fn scoped_vars(task: &Task, host: &HostState, env: &Env, loop_vars: Option<&Map>) -> Map {
    let scope = TaskScope {
        host: &host.name,
        layers: &host.layers,
        role: task.role.as_deref(),
        task_vars: &task.vars,
        params: &task.params,
        loop_vars,
    };
    let mut vars = task_vars(env.play, &scope);
    vars.insert("omit".into(), Value::String(OMIT.into()));
    env.templar.resolve_vars(&mut vars, |m| context(m, &env.hostvars));
    vars.insert("ansible_check_mode".into(), Value::Bool(check_mode(task, env, &vars)));
    vars
}

/// Whether the task runs in check mode: its `check_mode:` keyword, else `--check`.
pub(super) fn check_mode(task: &Task, env: &Env, vars: &Map) -> bool {
    flag(env, &task.flags.check_mode, vars).unwrap_or(env.opts.check)
}

/// Evaluates a boolean keyword (literal or template); `None` when unset or unreadable.
pub(super) fn flag(env: &Env, v: &Option<Value>, vars: &Map) -> Option<bool> {
    let v = v.as_ref()?;
    match v {
        Value::String(s) if s.contains("{{") => {
            let ctx = context(vars, &env.hostvars);
            env.templar.render_value(v, &ctx).ok().and_then(|r| parse_bool(&r).or(Some(truthy(&r))))
        }
        Value::String(s) => Some(truthy(&Value::String(s.clone()))),
        other => parse_bool(other),
    }
}

/// Control-node directories searched for a task's relative files: role, task file, playbook.
pub fn search_path(task: &Task, env: &Env) -> SearchPath {
    let mut dirs = Vec::new();
    if let Some(r) = &task.role {
        dirs.push(r.path.clone());
    }
    dirs.push(task.pos.file.parent().map(|p| p.to_path_buf()).unwrap_or_default());
    dirs.push(env.playbook_dir.to_path_buf());
    dirs.dedup();
    SearchPath { dirs }
}
