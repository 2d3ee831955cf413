//! Variables and magic variables of a host from the inventory: Ansible's group precedence
//! (depth, `ansible_group_priority`, name), group_vars/host_vars layers, `group_names`, `groups`.
//! Play, task and extra vars are layered on top by the engine, not here.

use std::collections::HashMap;

use super::model::Inventory;
use super::source;
use hearth_formats::value::{Map, Value};

impl Inventory {
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

/// `inventory_hostname_short`: up to the first dot, except for IP addresses.
fn short_name(host: &str) -> &str {
    if host.parse::<std::net::IpAddr>().is_ok() { host } else { host.split('.').next().unwrap_or(host) }
}
