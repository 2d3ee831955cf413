//! `changed_when` and `failed_when`: a task's own verdict on its result, as Ansible applies
//! them (the registered result visible under its name, a failing condition a task failure).

use super::single::{Single, failed};
use super::state::Env;
use super::vars::context;
use crate::load::task::Task;
use crate::report::Status;
use hearth_formats::value::{Map, Value};
use hearth_modules::args::parse_bool;
use hearth_template::TemplateError;

/// `changed_when` and `failed_when`, evaluated with the result visible under the register name.
pub(super) fn apply_overrides(task: &Task, env: &Env, vars: &Map, single: &mut Single) {
    if task.changed_when.is_none() && task.failed_when.is_none() {
        return;
    }
    let mut vars = vars.clone();
    if let Some(name) = &task.register {
        vars.insert(name.clone(), Value::Object(single.result.clone()));
    }
    let ctx = context(&vars, &env.hostvars);
    if let Some(conds) = &task.changed_when
        && single.status != Status::Skipped
    {
        match all(env, conds, &ctx) {
            Ok(changed) => {
                if single.status != Status::Failed {
                    single.status = if changed { Status::Changed } else { Status::Ok };
                }
                single.result.insert("changed".into(), Value::Bool(changed));
            }
            Err(e) => *single = failed(format!("changed_when: {}", e.message), single.result.clone()),
        }
    }
    if let Some(conds) = &task.failed_when
        && single.status != Status::Skipped
    {
        match all(env, conds, &ctx) {
            Ok(true) => {
                let mut r = single.result.clone();
                r.entry("msg").or_insert_with(|| Value::String("The failed_when condition was true".into()));
                r.insert("failed_when_result".into(), Value::Bool(true));
                r.insert("failed".into(), Value::Bool(true));
                single.status = Status::Failed;
                single.result = r;
            }
            Ok(false) => {
                if single.status == Status::Failed {
                    let changed = single.result.get("changed").and_then(parse_bool).unwrap_or(false);
                    single.status = if changed { Status::Changed } else { Status::Ok };
                }
                single.result.insert("failed_when_result".into(), Value::Bool(false));
                single.result.insert("failed".into(), Value::Bool(false));
            }
            Err(e) => *single = failed(format!("failed_when: {}", e.message), single.result.clone()),
        }
    }
}

fn all(env: &Env, conds: &[String], ctx: &minijinja::Value) -> Result<bool, TemplateError> {
    for c in conds {
        if !env.templar.eval_bool(c, ctx)? {
            return Ok(false);
        }
    }
    Ok(true)
}
