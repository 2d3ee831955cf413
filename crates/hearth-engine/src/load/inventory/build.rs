//! Building the host/group graph with Ansible's rules: first definition of a host wins,
//! groups may not become their own ancestors, `ansible_group_priority` is a property and not a
//! variable, and the post-parse reconcile step (`all` and `ungrouped` membership). Parsers call
//! these; nothing here reads files.

use super::error::GraphError;
use super::model::{Group, Host, Inventory};
use hearth_formats::value::{Map, Value};

impl Inventory {
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

    /// Every ancestor of a group (breadth first, nearest first, without duplicates).
    pub(super) fn ancestors(&self, group: &str) -> Vec<String> {
        self.walk(group, |g| &g.parents)
    }

    /// The group itself and every descendant group (breadth first, in child order).
    pub(super) fn descendants_and_self(&self, group: &str) -> Vec<String> {
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
