//! Modules that Ansible knows and hearth does not implement. Community roles carry tasks for
//! other systems (`dnf` on RedHat, `pacman` on Arch) behind a `when:` that is false on the
//! user's Debian hosts; Ansible loads them and skips them. hearth does the same: such a task
//! loads, is skipped when its `when` is false, and fails loudly on the host (never silently
//! does nothing) when it would run. A name neither tool knows stays a load error.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};

use crate::registry::{FreeForm, Spec};
use hearth_formats::value::{Map, Value};

/// The module names, from the installed ansible-core 2.18 and the `ansible` 11 collections.
const NAMES: &str = include_str!("ansible_modules.txt");

/// The stand-in for every such module: its only argument is the module's full name.
pub static SPEC: Spec = Spec {
    name: "hearth_not_implemented",
    build: |args| {
        let p: NotImplemented = serde_json::from_value(args)
            .map_err(|e| crate::registry::ParamError { module: SPEC.name, message: e.to_string() })?;
        Ok(Box::new(p))
    },
    params: || &["module", "written"],
    free_form: FreeForm::KeyValue,
};

/// A task calling a module that hearth lacks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotImplemented {
    /// The module's fully qualified name, e.g. `ansible.builtin.dnf`.
    pub module: String,
    /// The name as the task wrote it (bare or qualified), for the TASK banner.
    #[serde(default)]
    pub written: Option<String>,
}

impl Module for NotImplemented {
    fn plan(&self, _ctx: &Ctx) -> Result<Plan, ModuleError> {
        Err(ModuleError::Failed {
            msg: format!(
                "hearth does not implement the module '{}' (Ansible has it; the task ran because \
                 its conditions held): see the README's module list",
                self.module
            ),
            result: Map::new(),
        })
    }
}

/// The fully qualified name of a module Ansible knows under `name` (bare, `ansible.builtin.`,
/// `ansible.legacy.` or a collection's name), or `None` when Ansible would not resolve it either.
pub fn ansible_module(name: &str) -> Option<String> {
    let bare = ["ansible.builtin.", "ansible.legacy."].iter().find_map(|p| name.strip_prefix(p));
    let lines = NAMES.lines().filter(|l| !l.starts_with('#'));
    for line in lines {
        match line.split_once(' ') {
            // A bare name ansible-core redirects to a collection.
            Some((redirect, target)) if name == redirect || bare == Some(redirect) => {
                return Some(target.to_string());
            }
            Some(_) => {}
            None if line == name => return Some(name.to_string()),
            None if line.strip_prefix("ansible.builtin.").is_some_and(|b| Some(b) == bare.or(Some(name))) => {
                return Some(line.to_string());
            }
            None => {}
        }
    }
    None
}

/// The name an unnamed task's banner shows for the stand-in: the module as the task wrote it,
/// as Ansible does; `None` for hearth's own modules.
pub fn module_name(spec: &Spec, args: &Value) -> Option<String> {
    if !std::ptr::eq(spec, &SPEC) {
        return None;
    }
    args.get("written").or_else(|| args.get("module")).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_builtin_and_collection_names_resolve_to_their_full_names() {
        assert_eq!(ansible_module("dnf").as_deref(), Some("ansible.builtin.dnf"));
        assert_eq!(ansible_module("ansible.builtin.dnf").as_deref(), Some("ansible.builtin.dnf"));
        assert_eq!(ansible_module("ansible.legacy.cron").as_deref(), Some("ansible.builtin.cron"));
        assert_eq!(ansible_module("community.general.pacman").as_deref(), Some("community.general.pacman"));
        assert_eq!(ansible_module("ansible.posix.firewalld").as_deref(), Some("ansible.posix.firewalld"));
        // ansible-core redirects the bare names of modules that moved to collections.
        assert_eq!(ansible_module("pacman").as_deref(), Some("community.general.pacman"));
        assert_eq!(ansible_module("docker_container").as_deref(), Some("community.docker.docker_container"));
        assert_eq!(ansible_module("ansible.builtin.pacman").as_deref(), Some("community.general.pacman"));
    }

    #[test]
    fn names_neither_tool_knows_do_not_resolve() {
        for name in ["dnff", "ansible.builtin.dnff", "community.general.dnf", "posix.mount", "", "#"] {
            assert_eq!(ansible_module(name), None, "{name}");
        }
    }

    #[test]
    fn only_the_stand_in_names_its_module() {
        assert_eq!(
            module_name(&SPEC, &serde_json::json!({"module": "ansible.builtin.dnf"})).as_deref(),
            Some("ansible.builtin.dnf")
        );
        assert_eq!(module_name(&crate::registry::REGISTRY[0], &serde_json::json!({"module": "x"})), None);
    }
}
