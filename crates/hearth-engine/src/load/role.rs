//! Roles as typed values: a role's identity and variables ([`Role`]), which of its files to
//! read ([`RoleFiles`]), and where roles are searched. Finding and reading a role is
//! `role_load`; a role's tasks live in `source::LoadedRole`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hearth_formats::value::Map;

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
    /// `collections:` in `meta/main.yml`, searched for its tasks' bare module names.
    pub collections: Arc<[String]>,
}

/// Which files of a role to read (`tasks_from`, `vars_from`, `defaults_from`,
/// `handlers_from` of `include_role`/`import_role`); `None` means `main`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleFiles {
    /// `tasks/NAME`.
    pub tasks: Option<String>,
    /// `vars/NAME`.
    pub vars: Option<String>,
    /// `defaults/NAME`.
    pub defaults: Option<String>,
    /// `handlers/NAME`.
    pub handlers: Option<String>,
    /// `rolespec_validate: false`: no argument-spec validation task.
    pub skip_validation: bool,
    /// The role's parameters (keys of its `roles:` entry), validated against its spec.
    pub params: Vec<String>,
}

/// Directories searched for a role by name: `roles/` beside the playbook, `roles_path`
/// (`ANSIBLE_ROLES_PATH`, ansible.cfg, or Ansible's default list), then the playbook directory.
pub fn search_dirs(playbook_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![playbook_dir.join("roles")];
    dirs.extend(super::config::roles_path());
    dirs.push(playbook_dir.to_path_buf());
    dirs
}
