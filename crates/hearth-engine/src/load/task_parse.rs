//! Tasks, blocks and handlers from YAML nodes to typed [`Task`]s, with Ansible's keyword checks
//! (exactly one module, known keywords, unsupported ones named, Jinja syntax). Static parts of
//! blocks and imports (conditions, tags, vars, become...) are pushed down into their tasks here,
//! so the engine only walks block/rescue/always. Templates are not rendered here.

use super::error::LoadError;
use super::fields::{conditions, loop_control, mapping, scalar_string, string_list, tag_list};
use super::inherit::push_down;
use super::keywords::{LOOP_KEYWORDS, UNSUPPORTED};
use super::source::Source;
use super::task::{Loop, Retry, Task, TaskKind};
use super::task_action::{action_task, indirect_action};
use hearth_formats::value::Value;
use hearth_formats::yaml::{Node, NodeKind, Pos};

/// A module (or `action:`) key: its name, position and arguments.
type Action<'a> = (&'a str, &'a Pos, &'a Node);

/// What a task mapping holds besides plain keywords: its module and `args:`, or block parts.
#[derive(Default)]
struct Parts<'a> {
    action: Option<Action<'a>>,
    args: Option<&'a Node>,
    /// `block:`, `rescue:`, `always:`.
    block: [Option<&'a Node>; 3],
}

/// Parses a list of tasks (a `tasks:` value or a task file's top level).
pub fn parse_tasks(node: &Node, src: &Source) -> Result<Vec<Task>, LoadError> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => {
            let mut out = Vec::new();
            for item in items {
                out.push(parse_task(item, src)?);
            }
            Ok(out)
        }
        _ => Err(LoadError::at(&node.pos, format!("expected a list of tasks, got a {}", node.type_name()))),
    }
}

/// One task mapping: keywords, then its kind (module, import/include, meta or block).
fn parse_task(node: &Node, src: &Source) -> Result<Task, LoadError> {
    let entries = node.as_map().ok_or_else(|| {
        LoadError::at(&node.pos, format!("a task must be a mapping, got a {}", node.type_name()))
    })?;
    // A task's or block's own `collections:` decide its module (wherever the key stands) and
    // those of the tasks inside it.
    let own = entries.iter().find(|(k, _, _)| k == "collections");
    let scoped =
        own.map(|(_, _, v)| super::collections::parse(v).map(|c| src.with_collections(c))).transpose()?;
    let src = scoped.as_ref().unwrap_or(src);
    let mut task = Task { pos: node.pos.clone(), role: src.role.clone(), ..Task::default() };
    let indirect = indirect_action(entries)?;
    let mut parts = Parts::default();
    for (key, kpos, value) in entries {
        if keyword(&mut task, key, value)? {
            continue;
        }
        match key.as_str() {
            "args" => parts.args = Some(value),
            "block" => parts.block[0] = Some(value),
            "rescue" => parts.block[1] = Some(value),
            "always" => parts.block[2] = Some(value),
            k => {
                let written = (k, kpos, value);
                let action = loop_or_action(&mut task, written, indirect.as_ref())?;
                if let Some((k, kpos, _)) = action {
                    if let Some((other, _, _)) = parts.action {
                        return Err(LoadError::at(
                            kpos,
                            format!(
                                "conflicting action statements: {other}, {k} (a task takes exactly one module)"
                            ),
                        ));
                    }
                    parts.action = action;
                }
            }
        }
    }
    check_syntax(&task)?;
    task.kind = match (parts.action, parts.block) {
        (None, [None, None, None]) => {
            return Err(LoadError::at(&node.pos, "no module/action detected in task"));
        }
        (Some((k, kpos, _)), [Some(_), _, _] | [_, Some(_), _] | [_, _, Some(_)]) => {
            return Err(LoadError::at(kpos, format!("'{k}' is not a valid keyword for a block")));
        }
        (None, block) => block_kind(&task, entries, &node.pos, block, src)?,
        (Some((name, kpos, value)), _) => return action_task(task, name, kpos, value, parts.args, src),
    };
    Ok(push_down(task))
}

/// Sets a plain keyword on `task`; false when `key` is none (a module, block part or loop).
fn keyword(task: &mut Task, key: &str, value: &Node) -> Result<bool, LoadError> {
    if let Some(slot) = task.flags.slot(key) {
        *slot = Some(value.to_value());
        return Ok(true);
    }
    match key {
        "name" => task.name = Some(scalar_string(value)?),
        "when" => task.when = conditions(value)?,
        "loop_control" => task.loop_control = loop_control(value)?,
        "register" => task.register = Some(scalar_string(value)?),
        "notify" => task.notify = string_list(value)?,
        "listen" => task.listen = string_list(value)?,
        "changed_when" => task.changed_when = Some(conditions(value)?),
        "failed_when" => task.failed_when = Some(conditions(value)?),
        "tags" => task.tags = tag_list(value)?,
        "delegate_to" => task.delegate_to = Some(scalar_string(value)?),
        "delegate_facts" => task.delegate_facts = Some(value.to_value()),
        "vars" => task.vars = mapping(value, "vars")?,
        "until" => task.retry.get_or_insert_with(Retry::default).until = conditions(value)?,
        "retries" => task.retry.get_or_insert_with(Retry::default).retries = Some(value.to_value()),
        "delay" => task.retry.get_or_insert_with(Retry::default).delay = Some(value.to_value()),
        "environment" => task.environment = vec![value.to_value()],
        "module_defaults" => task.module_defaults = super::module_defaults::parse(value)?,
        // Read by `parse_task` before the module is resolved.
        "collections" => {}
        "async" => task.async_ = Some(value.to_value()),
        "poll" => task.poll = Some(value.to_value()),
        _ => return Ok(false),
    }
    Ok(true)
}

/// A loop keyword (set on `task`; `None` back), or the module key as written (`action:` and
/// `local_action:` resolved, the latter delegating to localhost); unsupported keywords fail.
fn loop_or_action<'a>(
    task: &mut Task,
    (k, kpos, value): Action<'a>,
    indirect: Option<&'a (String, Pos, Node, bool)>,
) -> Result<Option<Action<'a>>, LoadError> {
    if UNSUPPORTED.contains(&k) {
        return Err(LoadError::at(kpos, format!("task keyword '{k}' is not supported by hearth")));
    }
    if let Some(keyword) = LOOP_KEYWORDS.iter().copied().find(|w| *w == k) {
        task.looping = Some(Loop { items: value.to_value(), keyword });
        return Ok(None);
    }
    if k.starts_with("with_") {
        return Err(LoadError::at(
            kpos,
            format!(
                "loop keyword '{k}' is not supported by hearth (supported: {})",
                LOOP_KEYWORDS.join(", ")
            ),
        ));
    }
    Ok(Some(match (indirect, k) {
        (Some((module, pos, args, local)), "action" | "local_action") => {
            if *local {
                task.delegate_to = Some("localhost".into());
            }
            (module.as_str(), pos, args)
        }
        _ => (k, kpos, value),
    }))
}

/// A block's kind from its parts: keywords only tasks take are refused, `rescue`/`always`
/// need a `block`.
fn block_kind(
    task: &Task,
    entries: &[(String, Pos, Node)],
    pos: &Pos,
    [block, rescue, always]: [Option<&Node>; 3],
    src: &Source,
) -> Result<TaskKind, LoadError> {
    if task.retry.is_some() || task.async_.is_some() || task.poll.is_some() {
        let k = entries
            .iter()
            .map(|(k, _, _)| k.as_str())
            .find(|k| ["until", "retries", "delay", "async", "poll"].contains(k));
        return Err(LoadError::at(
            pos,
            format!("'{}' is not a valid keyword for a block", k.unwrap_or("until")),
        ));
    }
    if block.is_none() {
        return Err(LoadError::at(pos, "'rescue' and 'always' need a 'block'"));
    }
    let sub = |n: Option<&Node>| n.map(|n| parse_tasks(n, src)).transpose().map(Option::unwrap_or_default);
    Ok(TaskKind::Block { block: sub(block)?, rescue: sub(rescue)?, always: sub(always)? })
}

/// Jinja syntax errors and literal loop values that can never work are load errors.
fn check_syntax(task: &Task) -> Result<(), LoadError> {
    let until = task.retry.iter().flat_map(|r| r.until.iter());
    let conds = task
        .when
        .iter()
        .chain(task.changed_when.iter().flatten())
        .chain(task.failed_when.iter().flatten())
        .chain(until);
    for c in conds {
        hearth_template::check_expression_syntax(c).map_err(|e| LoadError::at(&task.pos, e))?;
    }
    if let Some(n) = &task.name {
        hearth_template::check_value_syntax(&Value::String(n.clone()))
            .map_err(|e| LoadError::at(&task.pos, e))?;
    }
    if let Some(l) = &task.looping {
        hearth_template::check_value_syntax(&l.items).map_err(|e| LoadError::at(&task.pos, e))?;
        let needs_list = matches!(l.keyword, "loop" | "with_items" | "with_list");
        if needs_list && !matches!(l.items, Value::Array(_) | Value::String(_)) {
            return Err(LoadError::at(
                &task.pos,
                format!(
                    "Invalid data passed to '{}', it requires a list, got this instead: {}",
                    l.keyword, l.items
                ),
            ));
        }
    }
    Ok(())
}
