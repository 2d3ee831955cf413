//! Loading a role: `roles/NAME/{tasks,handlers,defaults,vars,meta}` found beside the playbook,
//! on `roles_path` (`ANSIBLE_ROLES_PATH` or ansible.cfg), or given as a path, with its
//! dependencies from `meta/main.yml` first, like Ansible. Its task files are read through the
//! `Source`'s parser; turning role parameters and conditions into block keywords is
//! `role_entry`'s.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::LoadError;
use super::role::{Role, RoleFiles, search_dirs};
use super::source::{LoadedRole, Source, load_task_file};
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::{self, Node, Pos};

/// Finds and loads a role with its dependencies (dependencies first in the returned list).
pub fn load_role(name: &str, src: &Source, pos: &Pos) -> Result<Vec<LoadedRole>, LoadError> {
    load_role_files(name, src, pos, &RoleFiles::default())
}

/// Like [`load_role`], reading the files `files` names; roles beside the role that asks
/// (`src.role`) are found too, as Ansible finds them.
pub fn load_role_files(
    name: &str,
    src: &Source,
    pos: &Pos,
    files: &RoleFiles,
) -> Result<Vec<LoadedRole>, LoadError> {
    if src.depth > 20 {
        return Err(LoadError::at(pos, format!("roles nested too deep at '{name}' (a cycle?)")));
    }
    let mut dirs = search_dirs(&src.playbook_dir);
    if let Some(siblings) = src.role.as_ref().and_then(|r| r.path.parent()) {
        dirs.push(siblings.to_path_buf());
    }
    let path = find_role(name, &dirs, pos)?;
    let role_name = path.file_name().map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned());
    hearth_template::plugins::record(&path, &role_name);
    let deeper = src.file(&path.join("meta").join("main.yml"), src.role.clone());
    let meta = meta(&path)?;
    let mut loaded = Vec::new();
    for dep in dependencies(meta.as_ref())? {
        loaded.extend(load_role(&dep.0, &deeper, &dep.1)?);
    }
    let collections = match meta.as_ref().and_then(|(_, m)| m.get("collections")) {
        Some(c) => super::collections::parse(c)?,
        None => Vec::new(),
    };
    let role = Arc::new(Role {
        name: role_name,
        defaults: vars_file(&path, "defaults", files.defaults.as_deref(), pos)?,
        vars: vars_file(&path, "vars", files.vars.as_deref(), pos)?,
        path: path.clone(),
        collections: collections.into(),
    });
    let mut tasks = match role_file(&path, "tasks", files.tasks.as_deref(), pos)? {
        Some(f) => load_task_file(&f, src, Some(role.clone()))?,
        None => Vec::new(),
    };
    let entry = super::role_argspec::entry_point(files.tasks.as_deref());
    if !files.skip_validation
        && let Some(check) =
            super::role_argspec::validation_task(&role, &entry, &files.params, src, meta.as_ref())?
    {
        tasks.insert(0, check);
    }
    let handlers = match role_file(&path, "handlers", files.handlers.as_deref(), pos)? {
        Some(f) => load_task_file(&f, src, Some(role.clone()))?,
        None => Vec::new(),
    };
    loaded.push(LoadedRole { role, tasks, handlers });
    Ok(loaded)
}

/// The role's directory: `NAME` in the first of `dirs` that has it, or `name` as a path.
fn find_role(name: &str, dirs: &[PathBuf], pos: &Pos) -> Result<PathBuf, LoadError> {
    let found =
        dirs.iter().map(|d| d.join(name)).find(|p| p.join("tasks").is_dir() || p.join("meta").is_dir());
    match found {
        Some(p) => Ok(p),
        None if Path::new(name).is_dir() => Ok(PathBuf::from(name)),
        None => Err(LoadError::NotFound {
            pos: pos.clone(),
            what: "role",
            path: PathBuf::from(name),
            looked: dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// `SUB/main` (optional) or `SUB/NAME` (required when asked for), with `.yml`/`.yaml` or none.
fn role_file(role: &Path, sub: &str, name: Option<&str>, pos: &Pos) -> Result<Option<PathBuf>, LoadError> {
    let dir = role.join(sub);
    let Some(name) = name else { return Ok(main_file(&dir)) };
    let found =
        ["", ".yml", ".yaml"].iter().map(|ext| dir.join(format!("{name}{ext}"))).find(|p| p.is_file());
    match found {
        Some(f) => Ok(Some(f)),
        None => Err(LoadError::at(
            pos,
            format!("Could not find specified file in role: {sub}/{name} (looked in {})", dir.display()),
        )),
    }
}

/// `main.yml`, `main.yaml` or `main` in a role subdirectory.
fn main_file(dir: &Path) -> Option<PathBuf> {
    ["main.yml", "main.yaml", "main"].iter().map(|f| dir.join(f)).find(|p| p.is_file())
}

/// A role's `defaults/` or `vars/` file as a mapping (empty when the role has none).
fn vars_file(role: &Path, sub: &str, name: Option<&str>, pos: &Pos) -> Result<Map, LoadError> {
    let Some(file) = role_file(role, sub, name, pos)? else { return Ok(Map::new()) };
    let node = yaml::parse_file(&file)?;
    match node.to_value() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(LoadError::at(&node.pos, "a vars file must be a mapping of variable names to values")),
    }
}

/// The role's `meta/main.yml` and where it is, read once for dependencies, collections and
/// argument specs.
fn meta(role_dir: &Path) -> Result<Option<(PathBuf, Node)>, LoadError> {
    let Some(file) = main_file(&role_dir.join("meta")) else { return Ok(None) };
    let node = yaml::parse_file(&file)?;
    Ok(Some((file, node)))
}

/// The role names (and positions) `dependencies:` in the role's meta lists.
fn dependencies(meta: Option<&(PathBuf, Node)>) -> Result<Vec<(String, Pos)>, LoadError> {
    let Some((_, node)) = meta else { return Ok(Vec::new()) };
    let Some(deps) = node.get("dependencies").and_then(Node::as_seq) else { return Ok(Vec::new()) };
    deps.iter()
        .map(|d| match (d.as_str(), d.get("role").or_else(|| d.get("name")).and_then(Node::as_str)) {
            (Some(n), _) | (None, Some(n)) => Ok((n.to_string(), d.pos.clone())),
            _ => Err(LoadError::at(&d.pos, "a role dependency must be a name or have 'role:'")),
        })
        .collect()
}
