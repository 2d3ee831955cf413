//! The `collections:` keyword (play, block, task, and a role's `meta/main.yml`): the
//! collections Ansible searches, in order, for a bare module name before `ansible.legacy`.
//! A bare `ufw` under `collections: [community.general]` is `community.general.ufw`; under a
//! collection installed on the control node (`collections/` beside the playbook, or
//! `collections_path`) that has a module of that name, it is that collection's module, which
//! hearth cannot run: the task then fails when it runs instead of silently being a builtin.

use std::path::{Path, PathBuf};

use super::error::LoadError;
use hearth_formats::yaml::{Node, NodeKind};
use hearth_modules::{self as modules, Spec, not_implemented};

/// What a task's module name resolves to.
#[derive(Debug)]
pub enum Resolved {
    /// A module hearth implements.
    Hearth(&'static Spec),
    /// A module Ansible (or an installed collection) has and hearth does not: its full name.
    Ansible(String),
}

/// ansible-core's action plugins (ansible-core 2.18 `plugins/action`).
const BUILTIN_ACTIONS: &[&str] = &[
    "add_host",
    "assemble",
    "assert",
    "async_status",
    "command",
    "copy",
    "debug",
    "dnf",
    "fail",
    "fetch",
    "gather_facts",
    "group_by",
    "include_vars",
    "normal",
    "package",
    "pause",
    "raw",
    "reboot",
    "script",
    "service",
    "set_fact",
    "set_stats",
    "shell",
    "template",
    "unarchive",
    "uri",
    "validate_argument_spec",
    "wait_for_connection",
];

/// Resolves `name` as Ansible's module loader does with the search list `search`: each listed
/// collection first (until `ansible.builtin`/`ansible.legacy`), then the bare name.
pub fn resolve(name: &str, search: &[String], playbook_dir: &Path) -> Option<Resolved> {
    if !name.contains('.') {
        for collection in search {
            if collection == "ansible.builtin" || collection == "ansible.legacy" {
                break;
            }
            // ansible-core's action plugins are searched before any collection's modules, so
            // only another action plugin can stand in for one of them.
            let action_only = BUILTIN_ACTIONS.contains(&name);
            let full = format!("{collection}.{name}");
            if !action_only && let Some(spec) = modules::lookup(&full) {
                return Some(Resolved::Hearth(spec));
            }
            let known = !action_only && not_implemented::ansible_module(&full).is_some();
            if known || installed(collection, name, action_only, playbook_dir) {
                return Some(Resolved::Ansible(full));
            }
        }
    }
    modules::lookup(name)
        .map(Resolved::Hearth)
        .or_else(|| not_implemented::ansible_module(name).map(Resolved::Ansible))
}

/// Reads a `collections:` value: a list of collection names (one name alone is a list of it).
pub fn parse(node: &Node) -> Result<Vec<String>, LoadError> {
    let names = match &node.kind {
        NodeKind::Seq(items) => items.iter().collect::<Vec<_>>(),
        NodeKind::Null => Vec::new(),
        _ => vec![node],
    };
    names
        .into_iter()
        .map(|n| match n.as_str() {
            Some(s) if s.split('.').count() == 2 && !s.contains("{{") => Ok(s.to_string()),
            _ => Err(LoadError::at(
                &n.pos,
                "collections must list collection names of the form namespace.collection",
            )),
        })
        .collect()
}

/// Whether an installed collection (beside the playbook or on `collections_path`) has an
/// action plugin (or, unless `action_only`, a module) called `name`.
fn installed(collection: &str, name: &str, action_only: bool, playbook_dir: &Path) -> bool {
    let Some((namespace, coll)) = collection.split_once('.') else { return false };
    let mut roots = vec![playbook_dir.join("collections")];
    roots.extend(super::config::collections_path());
    roots.iter().any(|root| {
        let base: PathBuf = if root.ends_with("ansible_collections") {
            root.clone()
        } else {
            root.join("ansible_collections")
        };
        let plugins = base.join(namespace).join(coll).join("plugins");
        let dirs: &[&str] = if action_only { &["action"] } else { &["action", "modules"] };
        dirs.iter().any(|d| plugins.join(d).join(format!("{name}.py")).is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(name: &str, search: &[&str], dir: &Path) -> String {
        let search: Vec<String> = search.iter().map(|s| s.to_string()).collect();
        match resolve(name, &search, dir) {
            Some(Resolved::Hearth(spec)) => format!("hearth:{}", spec.name),
            Some(Resolved::Ansible(n)) => n,
            None => "none".into(),
        }
    }

    #[test]
    fn listed_collections_come_before_the_builtins() {
        let dir = tempfile::tempdir().unwrap();
        let plugins = dir.path().join("collections/ansible_collections/acme/tools/plugins/modules");
        std::fs::create_dir_all(&plugins).unwrap();
        std::fs::write(plugins.join("lineinfile.py"), "").unwrap();
        std::fs::write(plugins.join("copy.py"), "").unwrap();
        let d = dir.path();
        assert_eq!(full("lineinfile", &[], d), "hearth:lineinfile");
        assert_eq!(full("lineinfile", &["acme.tools"], d), "acme.tools.lineinfile", "the collection's own");
        assert_eq!(full("lineinfile", &["ansible.builtin", "acme.tools"], d), "hearth:lineinfile");
        assert_eq!(full("file", &["acme.tools"], d), "hearth:file", "acme.tools has no file module");
        assert_eq!(full("copy", &["acme.tools"], d), "hearth:copy", "the builtin copy action comes first");
        assert_eq!(full("ufw", &["community.general"], d), "hearth:ufw");
        assert_eq!(full("pacman", &["community.general"], d), "community.general.pacman");
        assert_eq!(full("nosuch", &["acme.tools"], d), "none");
    }
}
