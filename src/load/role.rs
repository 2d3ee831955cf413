//! Roles: `roles/NAME/{tasks,handlers,defaults,vars,templates,files,meta}` found beside the
//! playbook, on `roles_path` (`ANSIBLE_ROLES_PATH` or ansible.cfg), or given as a path. Dependencies from `meta/main.yml` are
//! loaded first, like Ansible. Role parameters and conditions become block keywords.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::LoadError;
use super::task::{Task, load_task_file};
use super::yaml::{self, Node, Pos};
use crate::value::{Map, Value};

/// A role's identity and variables, shared by all its tasks.
#[derive(Debug, Clone, Default)]
pub struct Role {
    /// The role's name (last path component).
    pub name: String,
    /// The role's directory.
    pub path: PathBuf,
    /// `defaults/main.yml` (lowest precedence).
    pub defaults: Map,
    /// `vars/main.yml` (above play vars).
    pub vars: Map,
}

/// A role with its tasks and handlers, ready to be placed in a play.
#[derive(Debug)]
pub struct LoadedRole {
    /// The role.
    pub role: Arc<Role>,
    /// Its `tasks/main.yml`.
    pub tasks: Vec<Task>,
    /// Its `handlers/main.yml`.
    pub handlers: Vec<Task>,
}

/// Directories searched for a role by name: `roles/` beside the playbook, `roles_path`
/// (`ANSIBLE_ROLES_PATH`, ansible.cfg, or Ansible's default list), then the playbook directory.
pub fn search_dirs(playbook_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![playbook_dir.join("roles")];
    dirs.extend(super::config::roles_path());
    dirs.push(playbook_dir.to_path_buf());
    dirs
}

/// Finds and loads a role with its dependencies (dependencies first in the returned list).
pub fn load_role(
    name: &str,
    playbook_dir: &Path,
    pos: &Pos,
    depth: usize,
) -> Result<Vec<LoadedRole>, LoadError> {
    if depth > 10 {
        return Err(LoadError::at(pos, format!("role dependencies nested too deep at '{name}' (a cycle?)")));
    }
    let dirs = search_dirs(playbook_dir);
    let path =
        dirs.iter().map(|d| d.join(name)).find(|p| p.join("tasks").is_dir() || p.join("meta").is_dir());
    let path = match path {
        Some(p) => p,
        None if Path::new(name).is_dir() => PathBuf::from(name),
        None => {
            return Err(LoadError::NotFound {
                pos: pos.clone(),
                what: "role",
                path: PathBuf::from(name),
                looked: dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
            });
        }
    };
    let mut loaded = Vec::new();
    for dep in dependencies(&path)? {
        loaded.extend(load_role(&dep.0, playbook_dir, &dep.1, depth + 1)?);
    }
    let role = Arc::new(Role {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| name.to_string()),
        defaults: vars_file(&path.join("defaults"))?,
        vars: vars_file(&path.join("vars"))?,
        path: path.clone(),
    });
    let tasks = match main_file(&path.join("tasks")) {
        Some(f) => load_task_file(&f, Some(role.clone()), 0)?,
        None => Vec::new(),
    };
    let handlers = match main_file(&path.join("handlers")) {
        Some(f) => load_task_file(&f, Some(role.clone()), 0)?,
        None => Vec::new(),
    };
    loaded.push(LoadedRole { role, tasks, handlers });
    Ok(loaded)
}

/// `main.yml`, `main.yaml` or `main` in a role subdirectory.
fn main_file(dir: &Path) -> Option<PathBuf> {
    ["main.yml", "main.yaml", "main"].iter().map(|f| dir.join(f)).find(|p| p.is_file())
}

fn vars_file(dir: &Path) -> Result<Map, LoadError> {
    let Some(file) = main_file(dir) else { return Ok(Map::new()) };
    let node = yaml::parse_file(&file)?;
    match node.to_value() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(LoadError::at(&node.pos, "a vars file must be a mapping of variable names to values")),
    }
}

fn dependencies(role_dir: &Path) -> Result<Vec<(String, Pos)>, LoadError> {
    let Some(file) = main_file(&role_dir.join("meta")) else { return Ok(Vec::new()) };
    let node = yaml::parse_file(&file)?;
    let Some(deps) = node.get("dependencies").and_then(Node::as_seq) else { return Ok(Vec::new()) };
    deps.iter()
        .map(|d| match (d.as_str(), d.get("role").or_else(|| d.get("name")).and_then(Node::as_str)) {
            (Some(n), _) | (None, Some(n)) => Ok((n.to_string(), d.pos.clone())),
            _ => Err(LoadError::at(&d.pos, "a role dependency must be a name or have 'role:'")),
        })
        .collect()
}
