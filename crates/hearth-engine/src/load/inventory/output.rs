//! What `hearth inventory --list | --graph | --host` prints, shaped exactly like
//! `ansible-inventory`'s output (JSON with sorted keys, the `@group:` tree). Pure functions over
//! the inventory; printing is the CLI's job.

use std::collections::HashSet;

use super::model::Inventory;
use hearth_formats::value::{Map, Value};

impl Inventory {
    /// `ansible-inventory --list`: groups with `hosts`/`children` (empty keys and empty groups
    /// left out) and `_meta.hostvars`, keys sorted like Ansible's JSON dump.
    pub fn to_list_json(&self) -> Value {
        let mut out = Map::new();
        let mut seen = HashSet::new();
        self.list_group("all", &mut seen, &mut out);
        let hostvars: Map = self
            .group_hosts("all")
            .into_iter()
            .map(|h| {
                let vars = self.host_vars(&h);
                (h, Value::Object(vars))
            })
            .filter(|(_, v)| v.as_object().is_some_and(|m| !m.is_empty()))
            .collect();
        let meta = Map::from_iter([("hostvars".to_string(), Value::Object(hostvars))]);
        out.insert("_meta".into(), Value::Object(meta));
        sort_keys(Value::Object(out))
    }

    fn list_group(&self, name: &str, seen: &mut HashSet<String>, out: &mut Map) {
        let Some(group) = self.groups.get(name) else { return };
        let mut entry = Map::new();
        if name != "all" && !group.hosts.is_empty() {
            entry.insert("hosts".into(), Value::from(group.hosts.clone()));
        }
        if !group.children.is_empty() {
            entry.insert("children".into(), Value::from(group.children.clone()));
        }
        if !entry.is_empty() {
            out.insert(name.to_string(), Value::Object(entry));
        }
        for child in &group.children {
            if seen.insert(child.clone()) {
                self.list_group(child, seen, out);
            }
        }
    }

    /// `ansible-inventory --graph [GROUP]`; `None` when the group does not exist.
    pub fn to_graph(&self, group: Option<&str>) -> Option<String> {
        let start = group.unwrap_or("all");
        self.groups.get(start)?;
        let mut lines = Vec::new();
        self.graph_group(start, 0, &mut lines);
        Some(lines.join("\n"))
    }

    fn graph_group(&self, name: &str, depth: usize, lines: &mut Vec<String>) {
        let Some(group) = self.groups.get(name) else { return };
        lines.push(graph_line(&format!("@{name}:"), depth));
        for child in &group.children {
            self.graph_group(child, depth + 1, lines);
        }
        if name != "all" {
            lines.extend(group.hosts.iter().map(|h| graph_line(h, depth + 1)));
        }
    }

    /// `ansible-inventory --host NAME`: the host's merged variables with sorted keys.
    pub fn to_host_json(&self, host: &str) -> Value {
        sort_keys(Value::Object(self.host_vars(host)))
    }
}

/// JSON text the way `ansible-inventory` prints it: 4-space indent, non-ASCII kept.
pub fn json_text(v: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    // Serializing a Value into memory cannot fail (string keys only).
    let _ = v.serialize(&mut ser);
    String::from_utf8_lossy(&buf).into_owned()
}

fn graph_line(name: &str, depth: usize) -> String {
    if depth == 0 { name.to_string() } else { format!("{}--{name}", "  |".repeat(depth)) }
}

/// Sorts mapping keys recursively (Python's `json.dumps(sort_keys=True)`).
fn sort_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sort_keys(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}
