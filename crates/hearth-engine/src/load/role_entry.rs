//! `roles:` entries of a play: a name or a mapping of `role:`, Ansible's keywords (`when`,
//! `tags`, `become`, `environment`, ...) that apply to the role's tasks, and role parameters
//! (every other key), each role expanded into one block of its tasks.

use std::sync::Arc;

use super::error::LoadError;
use super::fields::{mapping, tag_list};
use super::inherit::push_down;
use super::keywords::Flags;
use super::role::{Role, RoleFiles};
use super::role_load::load_role_files;
use super::source::Source;
use super::task::{Task, TaskKind};
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::Node;

/// A play's role tasks, role handlers and roles.
pub type Roles = (Vec<Task>, Vec<Task>, Vec<Arc<Role>>);

/// Expands `roles:` into one block per role (carrying the entry's when/tags/vars) and handlers.
pub fn roles(node: &Node, src: &Source) -> Result<Roles, LoadError> {
    let items = node.as_seq().ok_or_else(|| LoadError::at(&node.pos, "'roles' must be a list"))?;
    let mut tasks = Vec::new();
    let mut handlers = Vec::new();
    let mut all = Vec::new();
    for item in items {
        let (name, entry) = role_entry(item)?;
        let files = RoleFiles { params: entry.params.clone(), ..RoleFiles::default() };
        for loaded in load_role_files(&name, src, &item.pos, &files)? {
            let wrapper = Task {
                pos: item.pos.clone(),
                when: entry.when.clone(),
                tags: entry.tags.clone(),
                params: entry.vars.clone(),
                flags: entry.flags.clone(),
                delegate_to: entry.delegate_to.clone(),
                environment: entry.environment.clone(),
                kind: TaskKind::Block { block: loaded.tasks, rescue: Vec::new(), always: Vec::new() },
                role: Some(loaded.role.clone()),
                ..Task::default()
            };
            tasks.push(push_down(wrapper));
            // The entry's keywords (become, no_log...) reach the role's handlers too, as in Ansible.
            handlers.extend(inheriting(loaded.handlers, &entry.flags, &entry.environment));
            all.push(loaded.role);
        }
    }
    Ok((tasks, handlers, all))
}

struct RoleEntry {
    /// Names of the role parameters (keys that are no keyword).
    params: Vec<String>,
    when: Vec<String>,
    tags: Vec<String>,
    vars: Map,
    flags: Flags,
    delegate_to: Option<String>,
    environment: Vec<Value>,
}

/// Keywords Ansible accepts on a `roles:` entry that hearth does not implement: rejected by
/// name, since reading one as a role parameter would silently change its meaning.
const UNSUPPORTED_ROLE_KEYWORDS: &[&str] = &[
    "become_exe",
    "become_flags",
    "collections",
    "debugger",
    "delegate_facts",
    "ignore_unreachable",
    "module_defaults",
];

/// Reads a `roles:` entry: a name, or a mapping of `role:` (or `name:`), Ansible's keywords
/// (`when`, `tags`, `vars`, `become*`, `ignore_errors`, `no_log`, ...) and role parameters
/// (every other key).
fn role_entry(item: &Node) -> Result<(String, RoleEntry), LoadError> {
    let mut entry = RoleEntry {
        params: Vec::new(),
        when: Vec::new(),
        tags: Vec::new(),
        vars: Map::new(),
        flags: Flags::default(),
        delegate_to: None,
        environment: Vec::new(),
    };
    if let Some(name) = item.as_str() {
        return Ok((name.to_string(), entry));
    }
    let map =
        item.as_map().ok_or_else(|| LoadError::at(&item.pos, "a role entry must be a name or a mapping"))?;
    let mut name = None;
    for (k, kpos, v) in map {
        if let Some(slot) = entry.flags.slot(k) {
            *slot = Some(v.to_value());
            continue;
        }
        match k.as_str() {
            "role" | "name" => name = v.as_str().map(str::to_string),
            "when" => {
                entry.when = match v.to_value() {
                    Value::Array(a) => a.iter().map(value_text).collect(),
                    other => vec![value_text(&other)],
                }
            }
            "tags" => entry.tags = tag_list(v)?,
            "vars" => entry.vars.extend(mapping(v, "vars")?),
            "delegate_to" => entry.delegate_to = Some(value_text(&v.to_value())),
            "environment" => entry.environment = vec![v.to_value()],
            k if UNSUPPORTED_ROLE_KEYWORDS.contains(&k) => {
                return Err(LoadError::at(kpos, format!("role keyword '{k}' is not supported by hearth")));
            }
            other => {
                entry.params.push(other.to_string());
                entry.vars.insert(other.to_string(), v.to_value());
            }
        }
    }
    let name = name.ok_or_else(|| LoadError::at(&item.pos, "a role entry needs 'role:'"))?;
    Ok((name, entry))
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        other => other.to_string(),
    }
}

/// `tasks` with the keywords of `flags` where they set none themselves, and `environment`.
fn inheriting(tasks: Vec<Task>, flags: &Flags, environment: &[Value]) -> Vec<Task> {
    let parent = Task {
        flags: flags.clone(),
        environment: environment.to_vec(),
        kind: TaskKind::Block { block: tasks, rescue: Vec::new(), always: Vec::new() },
        ..Task::default()
    };
    match push_down(parent).kind {
        TaskKind::Block { block, .. } => block,
        _ => Vec::new(),
    }
}
