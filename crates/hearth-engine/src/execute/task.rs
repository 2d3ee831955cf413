//! One task on one host: conditions, loops, argument templating, module plan, the engine's
//! check-mode decision, `changed_when`/`failed_when`, and the registered result. It returns an
//! outcome for the caller to apply to the host's state; it never prints and never mutates
//! shared state, so hosts can run it in parallel.

use std::sync::Arc;

use super::delegate::{delegate_target, delegated, transport_for};
use super::nolog;
use super::overrides::apply_overrides;
use super::state::{Env, HostState};
pub use super::task_loop::lookup_subdir;
use super::task_loop::run_loop;
use super::vars::{TaskScope, context, task_vars};
use crate::load::task::{Task, TaskKind};
use crate::report::{HostResult, Status};
use hearth_formats::value::{Map, Value};
use hearth_modules::{Ctx, Diff, ModuleError, Outcome, SearchPath, Spec, args::parse_bool};
use hearth_template::{TemplateError, truthy};
use hearth_transport::{Transport, TransportError};

/// Placeholder that `default(omit)` renders to; parameters equal to it are dropped.
pub const OMIT: &str = "__omit_place_holder__hearth";

pub(super) const NO_LOG_MSG: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

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

/// One module run (a task without loop, or one loop item).
pub(super) struct Single {
    pub(super) status: Status,
    pub(super) result: Map,
    pub(super) diffs: Vec<Diff>,
    pub(super) reason: Option<String>,
}

/// Runs `task` (a module task) on `host`.
pub fn run(task: &Task, host: &HostState, env: &Env) -> TaskOutcome {
    let TaskKind::Module { spec, args } = &task.kind else {
        return TaskOutcome::default();
    };
    let base_vars = scoped_vars(task, host, env, None);
    let no_log = flag(env, &task.flags.no_log, &base_vars).unwrap_or(false);
    let mut out = match &task.looping {
        None => {
            let single = run_single(task, spec, args, host, env, &base_vars);
            TaskOutcome {
                status: Some(single.status),
                lines: vec![
                    line(host, task, None, &single, no_log).delegated(delegated(task, env, &base_vars)),
                ],
                result: single.result,
                ..TaskOutcome::default()
            }
        }
        Some(l) => run_loop(task, spec, args, l, host, env, &base_vars, no_log),
    };
    if no_log {
        let mut vars = base_vars.clone();
        // Loop items are secrets too when the arguments read the loop variable.
        let loop_var = &task.loop_control.loop_var;
        if let Some(Value::Array(results)) = out.result.get("results") {
            let items = results.iter().filter_map(|r| r.get(loop_var.as_str())).cloned().collect();
            vars.insert(loop_var.clone(), Value::Array(items));
        }
        nolog::mask_diffs(&mut out, &nolog::secrets(args, &vars, env));
    }
    if out.status() == Status::Failed && flag(env, &task.flags.ignore_errors, &base_vars).unwrap_or(false) {
        out.ignored = true;
        for l in &mut out.lines {
            l.ignored = l.status == Status::Failed;
        }
    }
    if out.status() == Status::Unreachable
        && flag(env, &task.flags.ignore_unreachable, &base_vars).unwrap_or(false)
    {
        // Counted ok and ignored; the host goes on with the next task, as in Ansible.
        out.ignored = true;
        for l in &mut out.lines {
            l.ignored = l.status == Status::Unreachable;
        }
    }
    if let Some(name) = &task.register {
        out.facts.insert(name.clone(), Value::Object(out.result.clone()));
    }
    take_facts(&mut out, spec.name);
    if flag(env, &task.delegate_facts, &base_vars).unwrap_or(false)
        && let Some(to) = delegate_target(task, env, &base_vars).filter(|d| *d != host.name)
    {
        // The registered result stays with the play host, as in Ansible.
        let register = task.register.as_ref().and_then(|r| out.facts.shift_remove_entry(r));
        let facts = std::mem::take(&mut out.facts);
        out.facts.extend(register);
        let gathered = std::mem::take(&mut out.gathered);
        out.facts_to = Some(DelegatedFacts { host: to, facts, gathered });
    }
    out
}

/// Moves the `ansible_facts` a module returned (of each successful loop item) to the outcome:
/// `set_fact` and `include_vars` set variables; other modules (`setup`, `getent`) host facts.
fn take_facts(out: &mut TaskOutcome, module: &str) {
    let items: Vec<&Map> = match out.result.get("results") {
        Some(Value::Array(rs)) => rs.iter().filter_map(Value::as_object).collect(),
        _ => vec![&out.result],
    };
    let mut found = Map::new();
    for r in items {
        let bad = ["failed", "skipped"].iter().any(|k| r.get(*k).and_then(parse_bool).unwrap_or(false));
        if let (Some(Value::Object(f)), false) = (r.get("ansible_facts"), bad) {
            found.extend(f.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    if found.is_empty() || (out.status() == Status::Failed && !out.ignored) {
        return;
    }
    match module {
        "set_fact" | "include_vars" => out.facts.extend(found),
        _ => out.gathered.extend(found),
    }
}

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

fn check_mode(task: &Task, env: &Env, vars: &Map) -> bool {
    flag(env, &task.flags.check_mode, vars).unwrap_or(env.opts.check)
}

/// Evaluates a boolean keyword (literal or template); `None` when unset or unreadable.
fn flag(env: &Env, v: &Option<Value>, vars: &Map) -> Option<bool> {
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

pub(super) fn with_flags(mut result: Map, changed: bool, failed: bool) -> Map {
    result.insert("changed".into(), Value::Bool(changed));
    result.insert("failed".into(), Value::Bool(failed));
    result
}

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

pub(super) fn failed(msg: String, mut result: Map) -> Single {
    result.insert("changed".into(), result.get("changed").cloned().unwrap_or(Value::Bool(false)));
    result.insert("failed".into(), Value::Bool(true));
    result.insert("msg".into(), Value::String(msg));
    Single { status: Status::Failed, result, diffs: vec![], reason: None }
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

/// Shared handle so the engine can hand transports to worker threads.
pub type SharedTransport = Arc<dyn Transport>;
