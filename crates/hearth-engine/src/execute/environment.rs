//! `environment:` of a task: the play's, role entry's, blocks' and the task's own mappings
//! (outermost first, later keys win), templated with the task's variables, as Ansible's
//! `_compute_environment_string` merges them. The engine hands the result to the task's
//! connection view, so every command a module runs gets it; this file runs nothing.

use super::state::Env;
use crate::load::task::Task;
use hearth_formats::value::Value;

/// The variables the task's commands run with, or Ansible's error for a value that is not a
/// mapping.
pub(super) fn task_environment(
    task: &Task,
    env: &Env,
    ctx: &minijinja::Value,
) -> Result<Vec<(String, String)>, String> {
    let mut merged: Vec<(String, String)> = Vec::new();
    for layer in task.environment.iter().flat_map(layers) {
        let rendered = env.templar.render_value(layer, ctx).map_err(|e| e.message)?;
        let map = match &rendered {
            Value::Object(m) => m,
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            other => {
                return Err(format!(
                    "environment must be a dictionary, received {} ({})",
                    py_str(other),
                    python_type(other)
                ));
            }
        };
        for (k, v) in map {
            let v = py_str(v);
            match merged.iter_mut().find(|(name, _)| name == k) {
                Some(slot) => slot.1 = v,
                None => merged.push((k.clone(), v)),
            }
        }
    }
    Ok(merged)
}

/// Python's `str()` of a value, as Ansible quotes it into the command's environment.
fn py_str(v: &Value) -> String {
    hearth_template::pyrepr::py_str(&minijinja::Value::from(minijinja::value::Serde(v)))
}

/// One `environment:` value as the list of mappings Ansible reads (a list is several).
fn layers(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// The Python type Ansible's message names.
fn python_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "<class 'str'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_f64() => "<class 'float'>",
        Value::Number(_) => "<class 'int'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
        Value::Null => "<class 'NoneType'>",
    }
}
