//! The inventory: hosts, groups, their variables and group_vars/host_vars files, with Ansible's
//! semantics (`all` and `ungrouped` always exist, hosts in inventory order, group depth and
//! `ansible_group_priority` for variable precedence, implicit localhost). Parsing lives in the
//! submodules (YAML, INI, host lists, directories); host patterns in `load::pattern`.
//! It does not template variables or add facts and play variables: that is the engine's job.

mod address;
mod ini;
mod output;
mod pyliteral;
mod shlex;
mod source;
mod vars_files;
mod yaml_format;

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::load::pattern::{self, PatternError, Resolved, Universe};
use crate::load::yaml::{Pos, YamlError};
use crate::value::{Map, Value};

pub use output::json_text;
pub use source::load;
pub use vars_files::VarsLayer;

/// Names Ansible treats as the control node when they are not in the inventory.
pub const LOCALHOST_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

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
    fn new(name: &str) -> Group {
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

/// A change to the host/group graph that Ansible refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// An empty host or group name.
    #[error("invalid empty {0} name")]
    EmptyName(&'static str),
    /// `add_child` with the group itself.
    #[error("can't add group '{0}' to itself")]
    SelfChild(String),
    /// The new edge would make a group its own ancestor.
    #[error("adding group '{child}' as child to '{parent}' creates a recursive dependency loop")]
    Cycle { parent: String, child: String },
    /// `ansible_group_priority` that is not a whole number.
    #[error("ansible_group_priority of group '{group}' must be an integer, got {value}")]
    Priority { group: String, value: String },
    /// A reference to a group that does not exist (a parser bug or an undefined child).
    #[error("'{0}' is not a known group")]
    UnknownGroup(String),
}

/// Why an inventory could not be loaded; every variant names the file (and line where known).
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The source is neither an existing path nor a comma-separated host list.
    #[error("{0}: inventory source not found")]
    NotFound(String),
    /// A file or directory could not be read.
    #[error("{path}: cannot read: {source}")]
    Io { path: String, source: std::io::Error },
    /// YAML syntax (inventory or vars file).
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// Wrong shape or type in a YAML inventory or vars file.
    #[error("{at}: {message}")]
    Structure { at: Pos, message: String },
    /// An INI inventory line Ansible would reject.
    #[error("{at}: {message}")]
    Ini { at: Pos, message: String },
    /// A bad `[x:y]` host range.
    #[error("{at}: invalid host range '{pattern}': {message}")]
    HostRange { at: Pos, pattern: String, message: String },
    /// A group cycle, empty name or bad priority.
    #[error("{at}: {source}")]
    Graph { at: Pos, source: GraphError },
}

/// Hosts, groups and their variables, as loaded from one or more inventory sources.
#[derive(Debug, Clone)]
pub struct Inventory {
    hosts: IndexMap<String, Host>,
    groups: IndexMap<String, Group>,
    /// group_vars/ and host_vars/ next to each inventory source, in source order.
    inventory_layers: Vec<VarsLayer>,
    /// group_vars/ and host_vars/ next to the playbook.
    playbook_layers: Vec<VarsLayer>,
    warnings: Vec<String>,
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

    /// Loads `group_vars/` and `host_vars/` next to the playbook (`dir`); they take precedence
    /// over the inventory's own, as in Ansible.
    pub fn add_playbook_vars_dir(&mut self, dir: &std::path::Path) -> Result<(), InventoryError> {
        let layer = VarsLayer::load(dir, self)?;
        self.playbook_layers.push(layer);
        Ok(())
    }

    pub(crate) fn warn(&mut self, msg: String) {
        self.warnings.push(msg);
    }

    pub(crate) fn push_inventory_layer(&mut self, layer: VarsLayer) {
        self.inventory_layers.push(layer);
    }

    pub(crate) fn add_group(&mut self, name: &str) -> Result<(), GraphError> {
        if name.is_empty() {
            return Err(GraphError::EmptyName("group"));
        }
        if !self.groups.contains_key(name) {
            if !is_safe_group_name(name) {
                // Ansible's default (TRANSFORM_INVALID_GROUP_CHARS=never) keeps the name and warns.
                self.warn(format!(
                    "Invalid characters were found in group name '{name}' but not replaced \
                     (only letters, digits and _ are valid in variable-like names)"
                ));
            }
            self.groups.insert(name.to_string(), Group::new(name));
        }
        Ok(())
    }

    pub(crate) fn has_group(&self, name: &str) -> bool {
        self.groups.contains_key(name)
    }

    /// Adds a host (first definition wins for the port and source) and puts it in `group`.
    pub(crate) fn add_host(
        &mut self,
        name: &str,
        group: Option<&str>,
        port: Option<u64>,
        source: Option<&str>,
    ) -> Result<(), GraphError> {
        if name.is_empty() {
            return Err(GraphError::EmptyName("host"));
        }
        if group.is_some_and(|g| !self.groups.contains_key(g)) {
            return Err(GraphError::UnknownGroup(group.unwrap_or_default().to_string()));
        }
        if !self.hosts.contains_key(name) {
            let mut vars = Map::new();
            if let Some(p) = port {
                vars.insert("ansible_port".into(), Value::from(p));
            }
            let host =
                Host { name: name.to_string(), vars, groups: Vec::new(), source: source.map(str::to_string) };
            self.hosts.insert(name.to_string(), host);
        }
        if let Some(g) = group {
            self.put_host_in_group(name, g);
        }
        Ok(())
    }

    fn put_host_in_group(&mut self, host: &str, group: &str) {
        if let Some(g) = self.groups.get_mut(group)
            && !g.hosts.iter().any(|h| h == host)
        {
            g.hosts.push(host.to_string());
            if let Some(h) = self.hosts.get_mut(host) {
                h.groups.push(group.to_string());
            }
        }
    }

    /// Makes `child` (a group, or else a host) a member of group `parent`.
    pub(crate) fn add_child(&mut self, parent: &str, child: &str) -> Result<(), GraphError> {
        if !self.groups.contains_key(parent) {
            return Err(GraphError::UnknownGroup(parent.to_string()));
        }
        if !self.groups.contains_key(child) {
            if self.hosts.contains_key(child) {
                self.put_host_in_group(child, parent);
                return Ok(());
            }
            return Err(GraphError::UnknownGroup(child.to_string()));
        }
        if parent == child {
            return Err(GraphError::SelfChild(child.to_string()));
        }
        if self.groups[parent].children.iter().any(|c| c == child) {
            return Ok(());
        }
        if self.ancestors(parent).iter().any(|a| a == child) {
            return Err(GraphError::Cycle { parent: parent.to_string(), child: child.to_string() });
        }
        if let Some(p) = self.groups.get_mut(parent) {
            p.children.push(child.to_string());
        }
        if let Some(c) = self.groups.get_mut(child)
            && !c.parents.iter().any(|p| p == parent)
        {
            c.parents.push(parent.to_string());
        }
        Ok(())
    }

    /// Sets a group variable; `ansible_group_priority` sets the priority instead, like Ansible.
    pub(crate) fn set_group_var(&mut self, group: &str, key: &str, value: Value) -> Result<(), GraphError> {
        let g = self.groups.get_mut(group).ok_or_else(|| GraphError::UnknownGroup(group.to_string()))?;
        if key == "ansible_group_priority" {
            g.priority = as_priority(&value)
                .ok_or_else(|| GraphError::Priority { group: group.to_string(), value: value.to_string() })?;
        } else {
            g.vars.insert(key.to_string(), value);
        }
        Ok(())
    }

    pub(crate) fn set_host_var(&mut self, host: &str, key: &str, value: Value) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.vars.insert(key.to_string(), value);
        }
    }

    /// Every ancestor of a group (breadth first, nearest first, without duplicates).
    fn ancestors(&self, group: &str) -> Vec<String> {
        self.walk(group, |g| &g.parents)
    }

    /// The group itself and every descendant group (breadth first, in child order).
    fn descendants_and_self(&self, group: &str) -> Vec<String> {
        let mut out = vec![group.to_string()];
        out.extend(self.walk(group, |g| &g.children));
        out
    }

    fn walk(&self, start: &str, next: impl Fn(&Group) -> &Vec<String>) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut frontier = vec![start.to_string()];
        while !frontier.is_empty() {
            let mut new = Vec::new();
            for name in &frontier {
                for n in self.groups.get(name).map(&next).into_iter().flatten() {
                    if n != start && !seen.contains(n) {
                        seen.push(n.clone());
                        new.push(n.clone());
                    }
                }
            }
            frontier = new;
        }
        seen
    }

    /// Ansible's post-parse rules: parentless groups go under `all`; hosts with no group other
    /// than `all` go to `ungrouped`, and hosts with another group leave it.
    pub(crate) fn reconcile(&mut self) {
        let names: Vec<String> = self.groups.keys().filter(|g| *g != "all").cloned().collect();
        for g in names {
            if self.groups[&g].parents.is_empty() {
                // Cannot fail: `all` exists, is nobody's descendant, and `g` is not `all`.
                let _ = self.add_child("all", &g);
            }
        }
        let hosts: Vec<String> = self.hosts.keys().cloned().collect();
        for h in hosts {
            let direct = &self.hosts[&h].groups;
            let others = direct.iter().any(|g| g != "all" && g != "ungrouped");
            if others && direct.iter().any(|g| g == "ungrouped") {
                self.remove_from_ungrouped(&h);
            } else if !others && !direct.iter().any(|g| g == "ungrouped") {
                self.put_host_in_group(&h, "ungrouped");
            }
        }
        let clashes: Vec<String> =
            self.hosts.keys().filter(|h| self.groups.contains_key(*h)).cloned().collect();
        for c in clashes {
            self.warn(format!("Found both group and host with same name: {c}"));
        }
    }

    fn remove_from_ungrouped(&mut self, host: &str) {
        if let Some(g) = self.groups.get_mut("ungrouped") {
            g.hosts.retain(|h| h != host);
        }
        if let Some(h) = self.hosts.get_mut(host) {
            h.groups.retain(|g| g != "ungrouped");
        }
    }

    /// All groups of a host including ancestors (`all` included), like Ansible's `get_groups`.
    pub fn host_groups(&self, host: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for g in self.hosts.get(host).map(|h| h.groups.as_slice()).unwrap_or_default() {
            for a in self.ancestors(g).into_iter().chain([g.clone()]) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// `group_names`: the host's groups and their ancestors, sorted, without `all`.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let mut names: Vec<String> = self.host_groups(host).into_iter().filter(|g| g != "all").collect();
        names.sort();
        names
    }

    /// Hosts of a group and of all its descendants, in Ansible's order.
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for g in self.descendants_and_self(group) {
            for h in self.groups.get(&g).map(|g| g.hosts.as_slice()).unwrap_or_default() {
                if seen.insert(h.as_str()) {
                    out.push(h.clone());
                }
            }
        }
        out
    }

    /// The `groups` magic variable: every group name with its hosts (descendants included).
    pub fn groups_map(&self) -> Map {
        self.groups.keys().map(|g| (g.clone(), Value::from(self.group_hosts(g)))).collect()
    }

    /// Magic variables the inventory knows for a host: `inventory_hostname(_short)`,
    /// `group_names`, `groups`, `inventory_file`, `inventory_dir`.
    pub fn magic_vars(&self, host: &str) -> Map {
        let mut m = Map::new();
        m.insert("inventory_hostname".into(), Value::from(host));
        m.insert("inventory_hostname_short".into(), Value::from(short_name(host)));
        m.insert("group_names".into(), Value::from(self.group_names(host)));
        m.insert("groups".into(), Value::Object(self.groups_map()));
        let source = self.hosts.get(host).and_then(|h| h.source.clone());
        let dir = source.as_deref().and_then(source::source_dir).map(|d| d.display().to_string());
        m.insert("inventory_file".into(), source.map(Value::from).unwrap_or(Value::Null));
        m.insert("inventory_dir".into(), dir.map(Value::from).unwrap_or(Value::Null));
        m
    }

    /// A host's variables from the inventory with Ansible's precedence: `all` < groups by depth,
    /// priority and name < group_vars files (all, then groups; inventory then playbook side) <
    /// inline host vars < host_vars files. Shallow per-key replace (hash_behaviour=replace).
    pub fn host_vars(&self, host: &str) -> Map {
        let groups = self.sorted_groups(host);
        let mut out = Map::new();
        let mut merge = |m: Option<&Map>| {
            for (k, v) in m.into_iter().flatten() {
                out.insert(k.clone(), v.clone());
            }
        };
        merge(self.groups.get("all").map(|g| &g.vars));
        for g in &groups {
            merge(self.groups.get(g).map(|g| &g.vars));
        }
        let layers = [&self.inventory_layers, &self.playbook_layers];
        for l in layers.iter().flat_map(|l| l.iter()) {
            merge(l.groups.get("all"));
        }
        for l in layers.iter().flat_map(|l| l.iter()) {
            for g in &groups {
                merge(l.groups.get(g));
            }
        }
        match self.hosts.get(host) {
            Some(h) => merge(Some(&h.vars)),
            None if self.is_implicit(host) => {
                merge(Some(&Map::from_iter([("ansible_connection".to_string(), Value::from("local"))])))
            }
            None => {}
        }
        for l in layers.iter().flat_map(|l| l.iter()) {
            merge(l.hosts.get(host));
        }
        out
    }

    /// The host's groups except `all`, in merge order: depth, then priority, then name.
    fn sorted_groups(&self, host: &str) -> Vec<String> {
        let mut depth_cache = HashMap::new();
        let mut groups: Vec<(usize, i64, String)> = self
            .host_groups(host)
            .into_iter()
            .filter(|g| g != "all")
            .map(|g| (self.depth(&g, &mut depth_cache), self.groups.get(&g).map_or(1, |x| x.priority), g))
            .collect();
        groups.sort();
        groups.into_iter().map(|(_, _, g)| g).collect()
    }

    /// Longest path from a root group (`all` is 0, its children 1, ...), as Ansible counts depth.
    fn depth(&self, group: &str, cache: &mut HashMap<String, usize>) -> usize {
        if let Some(d) = cache.get(group) {
            return *d;
        }
        let parents = self.groups.get(group).map(|g| g.parents.clone()).unwrap_or_default();
        // The graph is acyclic (add_child refuses cycles), so this recursion ends.
        let d = parents.iter().map(|p| self.depth(p, cache) + 1).max().unwrap_or(0);
        cache.insert(group.to_string(), d);
        d
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

/// Whether `s` is a single host address (name, IP, optionally with port or ranges), which
/// pattern splitting must not cut at its colons.
pub(crate) fn is_address(s: &str) -> bool {
    address::parse_address(s, true).is_ok()
}

/// Ansible's INVALID_VARIABLE_NAMES check: `^[\d\W]|[^\w]` must not match.
fn is_safe_group_name(name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    name.chars().all(word) && name.chars().next().is_some_and(|c| word(c) && !c.is_numeric())
}

fn as_priority(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// `inventory_hostname_short`: up to the first dot, except for IP addresses.
fn short_name(host: &str) -> &str {
    if host.parse::<std::net::IpAddr>().is_ok() { host } else { host.split('.').next().unwrap_or(host) }
}

#[cfg(test)]
mod tests;
