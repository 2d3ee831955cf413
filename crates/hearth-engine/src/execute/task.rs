//! One module task on one host: its single run (`module_run`) or loop (`task_loop`), then what
//! Ansible does with the result: `no_log` masking, `ignore_errors`/`ignore_unreachable`,
//! `register`, and the facts it sets (for the delegated host under `delegate_facts`). It
//! returns an outcome for the caller to apply to the host's state; it never prints and never
//! mutates shared state, so hosts can run it in parallel.

use super::delegate::{delegate_target, delegated};
use super::host_line::line;
use super::module_run::run_single;
use super::nolog;
use super::outcome::{DelegatedFacts, TaskOutcome};
use super::scope::{flag, scoped_vars};
use super::state::{Env, HostState};
use super::task_loop::run_loop;
use crate::load::task::{Task, TaskKind};
use crate::report::Status;
use hearth_formats::value::{Map, Value};
use hearth_modules::args::parse_bool;

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
