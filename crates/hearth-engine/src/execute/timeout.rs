//! `timeout:` on a task (inherited from blocks, `roles:` entries and plays) and the run's
//! default (`--task-timeout`, ANSIBLE_TASK_TIMEOUT, ansible.cfg): how long one run of the
//! task's module may take on one host (each loop item and each `until` attempt gets its own).
//! When it runs out, the task fails with Ansible's message and result, without `failed_when`,
//! `changed_when` or further retries, and what it started on the host has been killed (see
//! `transport::deadline`). The keyword set to 0 means no limit, even with a default.

use std::time::Duration;

use super::single::{Single, failed};
use super::state::Env;
use crate::load::task::Task;
use hearth_formats::value::{Map, Value};
use hearth_transport::Transport;
use hearth_transport::deadline::Deadline;

/// A run of the task's module (with the connection it is to use), as `module_run::invoke` does it.
type Act<'a> = dyn FnOnce(&dyn Transport) -> Result<Single, Box<Single>> + 'a;

/// Runs `act` on `transport`, bounded by the task's time limit when it has one.
pub(super) fn bounded(
    task: &Task,
    env: &Env,
    ctx: &minijinja::Value,
    transport: &dyn Transport,
    act: Box<Act<'_>>,
) -> Result<Single, Box<Single>> {
    let rendered = match &task.flags.timeout {
        Some(v) => {
            Some(env.templar.render_value(v, ctx).map_err(|e| Box::new(failed(e.message, Map::new())))?)
        }
        None => None,
    };
    let seconds =
        limit(rendered.as_ref(), env.opts.task_timeout).map_err(|m| Box::new(failed(m, Map::new())))?;
    let Some(seconds) = seconds else { return act(transport) };
    let deadline = Deadline::after(Duration::from_secs(seconds));
    let single = act(&*transport.with_deadline(&deadline));
    match deadline.ran_out() {
        true => Ok(failure(action(task), seconds)),
        false => single,
    }
}

/// The limit in seconds from the rendered keyword, else the run's default; `None`: no limit.
fn limit(keyword: Option<&Value>, default: u64) -> Result<Option<u64>, String> {
    let seconds = match keyword {
        None => default,
        Some(v) => {
            let n = match v {
                Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
                Value::String(s) => s.trim().parse().ok(),
                Value::Null => Some(default),
                _ => None,
            };
            let shown = match v {
                Value::String(s) => format!("'{s}'"),
                other => other.to_string(),
            };
            n.ok_or_else(|| {
                format!(
                    "the field 'timeout' has an invalid value ({shown}), and could not be converted to int."
                )
            })?
        }
    };
    Ok((seconds > 0).then_some(seconds))
}

/// The module as the task wrote it, as Ansible's message quotes it.
fn action(task: &Task) -> &str {
    match &task.kind {
        crate::load::task::TaskKind::Module { spec, .. } if task.action.is_empty() => spec.name,
        _ => &task.action,
    }
}

/// Ansible's result for a module that did not finish in time.
fn failure(action: &str, seconds: u64) -> Single {
    let mut timedout = Map::new();
    timedout.insert("period".into(), Value::from(seconds));
    let msg = format!(
        "The {action} action failed to execute in the expected time frame ({seconds}) and was terminated"
    );
    // Keys in the order Ansible's output sorts them.
    let mut single = failed(msg, Map::new());
    single.result.insert("timedout".into(), Value::Object(timedout));
    single
}

/// Whether a result is a time-out failure: final, as Ansible ends the task there.
pub(super) fn timed_out(result: &Map) -> bool {
    result.get("timedout").and_then(|t| t.get("period")).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyword_wins_over_the_default_and_zero_means_none() {
        let n = |v: u64| Value::from(v);
        assert_eq!(limit(None, 0), Ok(None));
        assert_eq!(limit(None, 30), Ok(Some(30)));
        assert_eq!(limit(Some(&n(2)), 30), Ok(Some(2)));
        assert_eq!(limit(Some(&n(0)), 30), Ok(None), "timeout: 0 lifts the default");
        assert_eq!(limit(Some(&Value::String(" 5 ".into())), 0), Ok(Some(5)));
    }

    #[test]
    fn a_value_that_is_not_a_number_fails_as_in_ansible() {
        let err = limit(Some(&Value::String("abc".into())), 0).unwrap_err();
        assert_eq!(
            err,
            "the field 'timeout' has an invalid value ('abc'), and could not be converted to int."
        );
        assert!(limit(Some(&Value::from(-1)), 0).is_err());
    }

    #[test]
    fn the_failure_names_the_action_as_written() {
        let s = failure("ansible.builtin.command", 2);
        assert_eq!(
            s.result.get("msg").and_then(Value::as_str),
            Some(
                "The ansible.builtin.command action failed to execute in the expected time frame (2) and was terminated"
            )
        );
        assert_eq!(s.result.get("changed"), Some(&Value::Bool(false)));
        assert!(timed_out(&s.result));
        assert!(!timed_out(&Map::new()));
    }
}
