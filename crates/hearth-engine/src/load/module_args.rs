//! A task's module: resolving its name through `collections:`, its arguments from a mapping, a
//! free-form string (`k=v` words, the command of `command`/`shell`) and `args:`, the task's own
//! `module_defaults`, and the checks that can run before any template is rendered.

use super::collections::{self, Resolved};
use super::error::LoadError;
use super::fields::mapping;
use super::source::Source;
use super::task::{Task, TaskKind};
use hearth_formats::kv;
use hearth_formats::suggest::did_you_mean;
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::{Node, NodeKind, Pos};
use hearth_modules::{self as modules, FreeForm, Spec};

/// A module task: resolves the module (hearth's, or Ansible's that fails only if it runs),
/// reads its arguments, applies the task's own `module_defaults` and checks what it can now.
pub(super) fn module_task(
    mut task: Task,
    name: &str,
    kpos: &Pos,
    value: &Node,
    args_kw: Option<&Node>,
    src: &Source,
) -> Result<Task, LoadError> {
    task.action = name.to_string();
    let resolved = collections::resolve(name, &src.collections, &src.playbook_dir);
    let spec = match resolved.ok_or_else(|| unknown_module(name, kpos))? {
        Resolved::Hearth(spec) => spec,
        // Ansible's module, not hearth's: loads, fails only if it runs.
        Resolved::Ansible(full) => {
            let args = serde_json::json!({ "module": full, "written": name });
            task.kind = TaskKind::Module { spec: &modules::not_implemented::SPEC, args };
            return Ok(task);
        }
    };
    let mut args = module_args(spec, value, args_kw)?;
    // A task's own module_defaults apply to itself.
    super::module_defaults::apply(spec, &mut args, &task.module_defaults);
    hearth_template::check_value_syntax(&args).map_err(|e| LoadError::at(kpos, e))?;
    // Arguments without templates can be checked now, with the task's position.
    if !has_template(&args) {
        (spec.build)(args.clone()).map_err(|e| LoadError::at(kpos, e.to_string()))?;
    }
    task.kind = TaskKind::Module { spec, args };
    Ok(task)
}

/// Whether any string (or key) in `v` is a template.
fn has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => hearth_template::is_template(s),
        Value::Array(a) => a.iter().any(has_template),
        Value::Object(m) => m.iter().any(|(k, v)| hearth_template::is_template(k) || has_template(v)),
        _ => false,
    }
}

/// The error for a module name nothing resolves, with a "did you mean".
fn unknown_module(name: &str, pos: &Pos) -> LoadError {
    let names = modules::REGISTRY.iter().map(|s| s.name);
    let bare = name.rsplit('.').next().unwrap_or(name);
    let hint = match did_you_mean(bare, names) {
        Some(s) => format!(" Did you mean '{s}'?"),
        None => String::new(),
    };
    LoadError::at(pos, format!("couldn't resolve module/action '{name}'.{hint}"))
}

/// Reads a module's arguments from a mapping or a free-form string, plus the `args:` keyword.
fn module_args(spec: &Spec, value: &Node, args_kw: Option<&Node>) -> Result<Value, LoadError> {
    let mut args = match &value.kind {
        NodeKind::Null => Map::new(),
        NodeKind::Map(_) => value.to_value().as_object().cloned().unwrap_or_default(),
        NodeKind::Str(s) => free_form(spec, s, &value.pos)?,
        _ => {
            return Err(LoadError::at(
                &value.pos,
                format!(
                    "arguments of {} must be a mapping or a string, got a {}",
                    spec.name,
                    value.type_name()
                ),
            ));
        }
    };
    if let Some(kw) = args_kw {
        for (k, v) in mapping(kw, "args")? {
            args.entry(k).or_insert(v);
        }
    }
    Ok(Value::Object(args))
}

/// Modules whose free-form string is a command: only Ansible's few `k=v` words are parameters.
const COMMAND_MODULES: &[&str] = &["command", "shell", "raw", "script"];

/// A free-form argument string as `k=v` words plus, for some modules, the free-form parameter.
fn free_form(spec: &Spec, s: &str, pos: &Pos) -> Result<Map, LoadError> {
    let keys = COMMAND_MODULES.contains(&spec.name).then_some(kv::FREE_FORM_KEYS);
    let (mut map, rest) = kv::parse_kv(s, keys).map_err(|e| LoadError::at(pos, e.to_string()))?;
    match spec.free_form {
        FreeForm::KeyValue if !rest.is_empty() => {
            Err(LoadError::at(pos, format!("{}: expected key=value arguments, got '{rest}'", spec.name)))
        }
        FreeForm::KeyValue => Ok(map),
        FreeForm::Param(param) => {
            if !rest.is_empty() {
                map.insert(param.to_string(), Value::String(rest));
            }
            Ok(map)
        }
    }
}
