//! `until` / `retries` / `delay`: the task runs again until its condition holds, as Ansible's
//! task executor does (one run plus `retries`, 3 when only `until` is set; `until` defaults to
//! "did not fail" when only `retries` is set; `attempts` in the result; an exhausted task
//! fails). Retries are reported live; this file never prints.

use std::time::Duration;

use super::single::{NO_LOG_MSG, Single, failed};
use super::state::Env;
use super::vars::context;
use crate::load::task::{Retry, Task};
use crate::report::{Event, Status};
use hearth_formats::value::{Map, Value};

/// Runs `attempt` (given the attempt number when retries are on) until `retry` is satisfied.
pub(super) fn with_retries(
    task: &Task,
    retry: &Retry,
    host: &str,
    env: &Env,
    vars: &Map,
    mut attempt: impl FnMut(Option<u32>) -> Single,
) -> Single {
    let total = match number(env, vars, retry.retries.as_ref()) {
        Ok(Some(n)) => 1 + n.max(0.0) as u32,
        Ok(None) if retry.until.is_empty() => 1,
        Ok(None) => 4,
        Err(msg) => return failed(format!("retries: {msg}"), Map::new()),
    };
    if total == 1 {
        return attempt(None);
    }
    let delay = match number(env, vars, retry.delay.as_ref()) {
        Ok(d) => d.map(|d| if d < 0.0 { 1.0 } else { d }).unwrap_or(5.0),
        Err(msg) => return failed(format!("delay: {msg}"), Map::new()),
    };
    let mut n = 1;
    loop {
        let mut single = attempt(Some(n));
        if single.status == Status::Unreachable || super::timeout::timed_out(&single.result) {
            return single;
        }
        match satisfied(task, retry, env, vars, &single) {
            Ok(true) => return single,
            Ok(false) => {}
            Err(msg) => return failed(msg, single.result),
        }
        if n == total {
            // As Ansible: the count shown is the number of retries, and the task fails.
            single.result.insert("attempts".into(), Value::from(total - 1));
            single.result.insert("failed".into(), Value::Bool(true));
            single.status = Status::Failed;
            return single;
        }
        (env.live)(Event::Retry {
            host: host.to_string(),
            task: retry_name(task, env, vars),
            left: total - n,
            result: shown(&single.result, task, env, vars),
        });
        std::thread::sleep(Duration::from_secs_f64(delay));
        n += 1;
    }
}

/// The `until` conditions (or "not failed") against the attempt's result under `register`.
fn satisfied(task: &Task, retry: &Retry, env: &Env, vars: &Map, single: &Single) -> Result<bool, String> {
    if retry.until.is_empty() {
        return Ok(single.status != Status::Failed);
    }
    let mut vars = vars.clone();
    if let Some(name) = &task.register {
        vars.insert(name.clone(), Value::Object(single.result.clone()));
    }
    let ctx = context(&vars, &env.hostvars);
    for cond in &retry.until {
        match env.templar.eval_bool(cond, &ctx) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(e) => {
                return Err(format!("The conditional check '{cond}' failed. The error was: {}", e.message));
            }
        }
    }
    Ok(true)
}

/// A number keyword (literal or template); `None` when unset.
fn number(env: &Env, vars: &Map, v: Option<&Value>) -> Result<Option<f64>, String> {
    let Some(v) = v else { return Ok(None) };
    let rendered = env.templar.render_value(v, &context(vars, &env.hostvars)).map_err(|e| e.message)?;
    match &rendered {
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) => s.trim().parse().map(Some).map_err(|_| format!("'{s}' is not a number")),
        other => Err(format!("expected a number, got {other}")),
    }
}

/// The task's templated name without the role prefix (or the module name), as Ansible prints it.
fn retry_name(task: &Task, env: &Env, vars: &Map) -> String {
    let raw = match (&task.name, &task.kind) {
        (Some(n), _) => n.clone(),
        (None, crate::load::task::TaskKind::Module { spec, args }) => {
            hearth_modules::not_implemented::module_name(spec, args).unwrap_or_else(|| spec.name.to_string())
        }
        _ => String::new(),
    };
    env.templar.render_str(&raw, &context(vars, &env.hostvars)).unwrap_or(raw)
}

/// The attempt's result as `-vv` may show it: censored when the task is `no_log`.
fn shown(result: &Map, task: &Task, env: &Env, vars: &Map) -> Map {
    let no_log = task.flags.no_log.as_ref().is_some_and(|v| {
        env.templar
            .render_value(v, &context(vars, &env.hostvars))
            .map(|r| hearth_template::truthy(&r))
            .unwrap_or(true)
    });
    if !no_log {
        return result.clone();
    }
    let mut m = Map::new();
    m.insert("censored".into(), Value::String(NO_LOG_MSG.into()));
    m
}
