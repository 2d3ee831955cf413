//! What a task does besides plain keywords: `action:`/`local_action:` read as a module,
//! `import_tasks`/`include_tasks`, `import_role`/`include_role`, `meta:`, or a module call
//! (`module_args`). Static imports are read here; includes are kept for the engine.

use std::path::PathBuf;

use super::error::LoadError;
use super::fields::scalar_string;
use super::inherit::push_down;
use super::module_args::module_task;
use super::role_include;
use super::source::{Source, load_task_file, resolve_task_file};
use super::task::{Meta, Task, TaskKind};
use hearth_formats::yaml::{Node, NodeKind, Pos};

/// `action:`/`local_action:` (`module args...` or a mapping with `module:`) as the module's
/// name, position and arguments, and whether it runs on the control node.
pub(super) fn indirect_action(
    entries: &[(String, Pos, Node)],
) -> Result<Option<(String, Pos, Node, bool)>, LoadError> {
    let Some((key, kpos, value)) = entries.iter().find(|(k, _, _)| k == "action" || k == "local_action")
    else {
        return Ok(None);
    };
    let local = key == "local_action";
    let (module, args) = match &value.kind {
        NodeKind::Str(s) => {
            let s = s.trim();
            let (module, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
            let args =
                if rest.trim().is_empty() { NodeKind::Null } else { NodeKind::Str(rest.trim().to_string()) };
            (module.to_string(), args)
        }
        NodeKind::Map(items) => {
            let module = items.iter().find(|(k, _, _)| k == "module").and_then(|(_, _, v)| v.as_str());
            let rest = items.iter().filter(|(k, _, _)| k != "module").cloned().collect();
            (module.unwrap_or_default().to_string(), NodeKind::Map(rest))
        }
        _ => (String::new(), NodeKind::Null),
    };
    if module.is_empty() {
        return Err(LoadError::at(
            kpos,
            format!("{key} needs a module: `{key}: module arg=value` or a mapping with 'module:'"),
        ));
    }
    Ok(Some((module, kpos.clone(), Node { pos: value.pos.clone(), kind: args }, local)))
}

/// The task's action: an import/include of tasks or a role, `meta:`, or a module.
pub(super) fn action_task(
    task: Task,
    name: &str,
    kpos: &Pos,
    value: &Node,
    args_kw: Option<&Node>,
    src: &Source,
) -> Result<Task, LoadError> {
    let bare =
        ["ansible.builtin.", "ansible.legacy."].iter().find_map(|p| name.strip_prefix(p)).unwrap_or(name);
    match bare {
        "import_tasks" | "include_tasks" => task_include(task, bare, kpos, value, src),
        "import_role" => role_include::import_role(task, kpos, value, src),
        "include_role" => role_include::include_role(task, kpos, value, src),
        "meta" => meta(task, value),
        _ => module_task(task, name, kpos, value, args_kw, src),
    }
}

/// `import_tasks:` (read now, as a block) or `include_tasks:` (kept for the engine).
fn task_include(
    mut task: Task,
    bare: &str,
    kpos: &Pos,
    value: &Node,
    src: &Source,
) -> Result<Task, LoadError> {
    let file = match (value.as_str(), value.get("file")) {
        (Some(f), _) => f.to_string(),
        (None, Some(f)) => scalar_string(f)?,
        _ => return Err(LoadError::at(kpos, format!("{bare} needs a file name"))),
    };
    if bare == "include_tasks" {
        task.kind = TaskKind::Include { file, base: src.base.clone() };
        return Ok(task);
    }
    import_tasks(task, &file, kpos, src)
}

/// `meta:` with one of the supported actions.
fn meta(mut task: Task, value: &Node) -> Result<Task, LoadError> {
    let action = value.as_str().unwrap_or_default();
    task.kind = TaskKind::Meta(match action {
        "flush_handlers" => Meta::FlushHandlers,
        "noop" => Meta::Noop,
        "end_play" => Meta::EndPlay,
        "end_host" => Meta::EndHost,
        "reset_connection" => Meta::ResetConnection,
        other => {
            return Err(LoadError::at(
                &value.pos,
                format!(
                    "meta: '{other}' is not supported (supported: flush_handlers, noop, end_play, end_host, reset_connection)"
                ),
            ));
        }
    });
    Ok(task)
}

/// The tasks of a static `import_tasks` file, as a block that inherits the task's keywords.
fn import_tasks(mut task: Task, file: &str, kpos: &Pos, src: &Source) -> Result<Task, LoadError> {
    if file.contains("{{") {
        return Err(LoadError::at(kpos, "import_tasks cannot use a templated file name; use include_tasks"));
    }
    if src.depth > 20 {
        return Err(LoadError::at(kpos, "import_tasks nested more than 20 deep (an import cycle?)"));
    }
    let path = resolve_task_file(&src.base, file, src.role.as_deref());
    if !path.is_file() {
        return Err(LoadError::NotFound {
            pos: kpos.clone(),
            what: "task file",
            path: PathBuf::from(file),
            looked: src.base.display().to_string(),
        });
    }
    let tasks = load_task_file(&path, src, src.role.clone())?;
    task.kind = TaskKind::Block { block: tasks, rescue: Vec::new(), always: Vec::new() };
    Ok(push_down(task))
}
