//! The inventory's data: hosts, groups and the group_vars/host_vars layers, with the
//! read-only accessors and pattern resolution over them. Building the graph (`build`), parsing
//! sources (`source`, `ini`, `yaml_format`), reading vars files (`vars_files`), computing host
//! variables (`vars`) and printing (`output`) live beside it; nothing here reads files.

use std::path::PathBuf;

use indexmap::IndexMap;

use crate::load::address::LOCALHOST_NAMES;
use crate::load::pattern::{self, PatternError, Resolved, Universe};
use hearth_formats::value::Map;

/// One inventory host.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    /// The inventory name (`inventory_hostname`).
    pub name: String,
    /// Variables set inline in the inventory source (host line or `hosts:` entry).
    pub vars: Map,
    /// Groups the host was put in directly (not their ancestors), in order.
    pub groups: Vec<String>,
    /// The inventory source that first defined the host (`inventory_file`).
    pub source: Option<String>,
}

/// One inventory group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group name.
    pub name: String,
    /// Variables set inline in the inventory source.
    pub vars: Map,
    /// Child groups, in the order they were added.
    pub children: Vec<String>,
    /// Parent groups, in the order they were added.
    pub parents: Vec<String>,
    /// Hosts put directly in this group, in order.
    pub hosts: Vec<String>,
    /// `ansible_group_priority` (default 1): breaks ties between groups of equal depth.
    pub priority: i64,
}

impl Group {
    /// A group with no members, no variables and the default priority.
    pub(super) fn new(name: &str) -> Group {
        Group {
            name: name.to_string(),
            vars: Map::new(),
            children: Vec::new(),
            parents: Vec::new(),
            hosts: Vec::new(),
            priority: 1,
        }
    }
}

/// Variables from one directory's `group_vars/` and `host_vars/`, by group and host name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VarsLayer {
    /// The directory holding `group_vars/` and `host_vars/`.
    pub dir: PathBuf,
    /// Merged file contents per group name.
    pub groups: IndexMap<String, Map>,
    /// Merged file contents per host name (the implicit localhost names included).
    pub hosts: IndexMap<String, Map>,
}

/// Hosts, groups and their variables, as loaded from one or more inventory sources.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub(super) hosts: IndexMap<String, Host>,
    pub(super) groups: IndexMap<String, Group>,
    /// group_vars/ and host_vars/ next to each inventory source, in source order.
    pub(super) inventory_layers: Vec<VarsLayer>,
    /// group_vars/ and host_vars/ next to the playbook.
    pub(super) playbook_layers: Vec<VarsLayer>,
    pub(super) warnings: Vec<String>,
}

impl Default for Inventory {
    fn default() -> Self {
        Inventory::new()
    }
}

impl Inventory {
    /// An empty inventory: only `all` with its child `ungrouped` (plus the implicit localhost).
    pub fn new() -> Inventory {
        let mut groups = IndexMap::new();
        let mut all = Group::new("all");
        all.children.push("ungrouped".into());
        let mut ungrouped = Group::new("ungrouped");
        ungrouped.parents.push("all".into());
        groups.insert("all".to_string(), all);
        groups.insert("ungrouped".to_string(), ungrouped);
        Inventory {
            hosts: IndexMap::new(),
            groups,
            inventory_layers: Vec::new(),
            playbook_layers: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Hosts in inventory order (the order they were first defined).
    pub fn hosts(&self) -> impl Iterator<Item = &Host> {
        self.hosts.values()
    }

    /// One host by name (the implicit localhost is not stored).
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.get(name)
    }

    /// Groups in definition order, starting with `all` and `ungrouped`.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// One group by name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    /// Warnings Ansible would print while loading (skipped keys, name clashes); for the CLI.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// True when `name` resolves to the implicit localhost (not defined in the inventory).
    pub fn is_implicit(&self, name: &str) -> bool {
        !self.hosts.contains_key(name) && LOCALHOST_NAMES.contains(&name)
    }

    /// Resolves a host pattern (`web:&prod:!web3`, globs, `~regex`, `g[0:2]`) to host names.
    pub fn resolve(&self, pattern: &str) -> Result<Vec<String>, PatternError> {
        Ok(pattern::resolve(self, pattern)?.hosts)
    }

    /// Resolves a play's `hosts:` pattern restricted by `--limit`.
    pub fn resolve_limited(&self, pattern: &str, limit: Option<&str>) -> Result<Resolved, PatternError> {
        pattern::resolve_limited(self, pattern, limit)
    }

    /// Like `resolve`, also reporting terms that matched nothing (Ansible warns about them).
    pub fn resolve_verbose(&self, pattern: &str) -> Result<Resolved, PatternError> {
        pattern::resolve(self, pattern)
    }

    pub(crate) fn warn(&mut self, msg: String) {
        self.warnings.push(msg);
    }

    pub(crate) fn push_inventory_layer(&mut self, layer: VarsLayer) {
        self.inventory_layers.push(layer);
    }
}

impl Universe for Inventory {
    fn group_names(&self) -> Vec<&str> {
        self.groups.keys().map(String::as_str).collect()
    }
    fn host_names(&self) -> Vec<&str> {
        self.hosts.keys().map(String::as_str).collect()
    }
    fn has_host(&self, name: &str) -> bool {
        self.hosts.contains_key(name)
    }
    fn hosts_of_group(&self, group: &str) -> Vec<String> {
        self.group_hosts(group)
    }
    fn localhost(&self) -> Option<String> {
        self.hosts.keys().find(|h| LOCALHOST_NAMES.contains(&h.as_str())).cloned()
    }
}
