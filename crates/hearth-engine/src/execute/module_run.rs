//! One run of a task's module on a host: conditions, retries, argument templating, building
//! and planning the module, the engine's check-mode decision, acting, and `changed_when` /
//! `failed_when`. Loops, `register` and `ignore_errors` are the caller's (`task`, `task_loop`).

use std::sync::Arc;

use super::delegate::transport_for;
use super::overrides::apply_overrides;
use super::scope::{OMIT, check_mode, flag, search_path};
use super::single::{Single, failed, skipped, with_flags};
use super::state::{Env, HostState};
use super::vars::context;
use crate::load::task::Task;
use crate::report::Status;
use hearth_formats::value::{Map, Value};
use hearth_modules::{Ctx, ModuleError, Outcome, Spec, args::parse_bool};
use hearth_template::TemplateError;
use hearth_transport::{Transport, TransportError};

/// Runs `task`'s module once with `vars` (retrying as `until` says), unless a `when` is false.
pub(super) fn run_single(
    task: &Task,
    spec: &Spec,
    args: &Value,
    host: &HostState,
    env: &Env,
    vars: &Map,
) -> Single {
    let ctx = context(vars, &env.hostvars);
    for cond in &task.when {
        match env.templar.eval_bool(cond, &ctx) {
            Ok(true) => {}
            Ok(false) => return skipped(cond),
            Err(e) => {
                return failed(
                    format!("The conditional check '{cond}' failed. The error was: {}", e.message),
                    Map::new(),
                );
            }
        }
    }
    let attempt = |attempts: Option<u32>| {
        let mut single = match invoke(task, spec, args, host, env, vars, &ctx) {
            Ok(s) => s,
            Err(s) => *s,
        };
        if super::timeout::timed_out(&single.result) {
            return single;
        }
        // Visible to changed_when/failed_when, as in Ansible.
        if let Some(n) = attempts {
            single.result.insert("attempts".into(), Value::from(n));
        }
        apply_overrides(task, env, vars, &mut single);
        single
    };
    match &task.retry {
        None => attempt(None),
        Some(retry) => super::retry::with_retries(task, retry, &host.name, env, vars, attempt),
    }
}

/// Renders the arguments, builds and plans the module, and acts unless in check mode.
fn invoke(
    task: &Task,
    spec: &Spec,
    args: &Value,
    host: &HostState,
    env: &Env,
    vars: &Map,
    ctx: &minijinja::Value,
) -> Result<Single, Box<Single>> {
    let rendered = env.templar.render_value(args, ctx).map_err(|e| Box::new(template_failure(task, &e)))?;
    let module =
        (spec.build)(drop_omitted(rendered)).map_err(|e| Box::new(failed(e.to_string(), Map::new())))?;
    let base = match transport_for(task, host, env, ctx) {
        Ok(t) => t,
        // Modules that never touch the host run without its connection, as Ansible's
        // controller-side actions do (`debug` on an unreachable host still prints).
        Err(_) if spec.controller_side() => Arc::new(hearth_transport::Local),
        Err(e) => return Err(Box::new(module_failure(e))),
    };
    let becomes = match become_for(task, env, vars) {
        Some(b) => Some(base.with_become(&b).map_err(|e| Box::new(module_failure(e.into())))?),
        None => None,
    };
    let transport = becomes.as_deref().unwrap_or(&*base);
    let act = |transport: &dyn Transport| {
        let job = super::async_job::for_task(task, env, ctx, spec, transport)
            .map_err(|msg| Box::new(failed(msg, Map::new())))?;
        let on_host: &dyn Transport = match &job {
            Some(j) => j,
            None => transport,
        };
        let single = plan_and_act(task, module.as_ref(), on_host, env, vars, ctx);
        match &job {
            Some(j) => Ok(super::async_job::finish(j, single)),
            None => single,
        }
    };
    super::timeout::bounded(task, env, ctx, transport, Box::new(act))
}

/// Plans the module on the host and acts unless in check mode.
fn plan_and_act(
    task: &Task,
    module: &dyn hearth_modules::Module,
    transport: &dyn Transport,
    env: &Env,
    vars: &Map,
    ctx: &minijinja::Value,
) -> Result<Single, Box<Single>> {
    let search = search_path(task, env);
    // One probe answers a module's repeated reads of a path within this task.
    let task_env = super::environment::task_environment(task, env, ctx)
        .map_err(|msg| Box::new(failed(msg, Map::new())))?;
    let cached = hearth_transport::cache::Cached::new(transport).with_env(task_env);
    let mctx = Ctx { host: &cached, vars: ctx, templar: env.templar, search: &search, diff: env.opts.diff };
    let plan = module.plan(&mctx).map_err(|e| Box::new(module_failure(e)))?;
    if above_verbosity(&plan.result, env) {
        let mut r = Map::new();
        r.insert("skipped_reason".into(), Value::String("Verbosity threshold not met.".into()));
        return Ok(Single {
            status: Status::Skipped,
            result: with_flags(r, false, false),
            diffs: vec![],
            reason: None,
        });
    }
    let mut result = plan.result;
    let check = check_mode(task, env, vars);
    let (status, reason) = match plan.outcome {
        Outcome::Ok(reason) => (Status::Ok, Some(reason)),
        Outcome::Change { summary, .. } if check => (Status::Changed, Some(summary)),
        Outcome::Change { summary, action } => {
            let r = action(&mctx).map_err(|e| Box::new(module_failure(e)))?;
            // An action may find, once run, that nothing changed (apt after a cache update).
            let changed = r.get("changed").and_then(parse_bool).unwrap_or(true);
            result.extend(r);
            (if changed { Status::Changed } else { Status::Ok }, Some(summary))
        }
        Outcome::Run(_) if check => {
            // A module may say why itself (uri: "does not support check mode").
            result.entry("msg").or_insert_with(|| "Command would have run if not in check mode".into());
            return Ok(Single {
                status: Status::Skipped,
                result: with_flags(result, false, false),
                diffs: vec![],
                reason: None,
            });
        }
        Outcome::Run(action) => {
            let r = action(&mctx).map_err(|e| Box::new(module_failure(e)))?;
            let changed = r.get("changed").and_then(parse_bool).unwrap_or(true);
            result.extend(r);
            (if changed { Status::Changed } else { Status::Ok }, None)
        }
    };
    // A module that found nothing to do for a reason of its own says `skipped` (unarchive's
    // `creates`), and Ansible counts that task as skipped.
    let module_skipped = result.get("skipped").and_then(parse_bool).unwrap_or(false);
    let status = if status == Status::Ok && module_skipped { Status::Skipped } else { status };
    let changed = status == Status::Changed;
    Ok(Single { status, result: with_flags(result, changed, false), diffs: plan.diffs, reason })
}

/// `debug` with `verbosity: N` only shows at `-v` level N or above.
fn above_verbosity(result: &Map, env: &Env) -> bool {
    result.get("verbosity").and_then(Value::as_u64).is_some_and(|v| v > u64::from(env.opts.verbosity))
}

/// `become` settings of a task: variables (`ansible_become*`) override keywords, as in Ansible.
fn become_for(task: &Task, env: &Env, vars: &Map) -> Option<hearth_transport::Become> {
    let wanted = vars
        .get("ansible_become")
        .and_then(parse_bool)
        .or_else(|| flag(env, &task.flags.become_, vars))
        .unwrap_or(false);
    if !wanted {
        return None;
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let user = text(vars.get("ansible_become_user"))
        .or_else(|| text(task.flags.become_user.as_ref()))
        .unwrap_or_else(|| "root".into());
    let method = text(vars.get("ansible_become_method"))
        .or_else(|| text(task.flags.become_method.as_ref()))
        .unwrap_or_else(|| "sudo".into());
    let password = text(vars.get("ansible_become_password"))
        .or_else(|| text(vars.get("ansible_become_pass")))
        .or_else(|| env.opts.become_password.clone());
    Some(hearth_transport::Become { user, method, password })
}

fn drop_omitted(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| v.as_str() != Some(OMIT))
                .map(|(k, v)| (k, drop_omitted(v)))
                .collect(),
        ),
        other => other,
    }
}

fn template_failure(task: &Task, e: &TemplateError) -> Single {
    failed(format!("{} (in task '{}' at {})", e.message, task.display_name(), task.pos), Map::new())
}

fn module_failure(e: ModuleError) -> Single {
    match e {
        ModuleError::Failed { msg, result } => failed(msg, result),
        ModuleError::Transport(TransportError::Unreachable(msg)) => {
            let mut s = failed(msg, Map::new());
            s.status = Status::Unreachable;
            s.result.insert("unreachable".into(), Value::Bool(true));
            s.result.remove("failed");
            s
        }
        other => failed(other.to_string(), Map::new()),
    }
}
