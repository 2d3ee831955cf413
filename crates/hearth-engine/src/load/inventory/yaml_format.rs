//! The YAML inventory format (`all: {hosts, vars, children}` and other top-level groups), read
//! like Ansible's yaml inventory plugin, including its warnings for skipped keys. It does not
//! handle inventory plugin configuration files (`plugin:`): those are rejected.

use std::path::Path;

use super::error::{GraphError, InventoryError};
use super::model::Inventory;
use crate::load::address;
use hearth_formats::value::Map;
use hearth_formats::yaml::{Node, NodeKind, Pos, parse_file};

/// Adds the groups and hosts of the YAML inventory file at `path` to `inv`.
pub fn parse(inv: &mut Inventory, path: &Path, source: &str) -> Result<(), InventoryError> {
    let doc = parse_file(path)?;
    let structure = |at: &Pos, message: String| InventoryError::Structure { at: at.clone(), message };
    let entries = match &doc.kind {
        NodeKind::Null => return Err(structure(&doc.pos, "Parsed empty YAML file".into())),
        NodeKind::Map(m) => m,
        _ => {
            let got = doc.type_name();
            let msg = format!("YAML inventory has invalid structure, it should be a dictionary, got: {got}");
            return Err(structure(&doc.pos, msg));
        }
    };
    if let Some(p) = doc.get("plugin").filter(|p| !matches!(p.kind, NodeKind::Null)) {
        let msg = "inventory plugin configuration files (`plugin:`) are not supported; \
                   use a YAML or INI inventory"
            .to_string();
        return Err(structure(&p.pos, msg));
    }
    let mut ctx = Ctx { inv, source };
    for (name, kpos, data) in entries {
        ctx.group(name, kpos, data)?;
    }
    Ok(())
}

struct Ctx<'a> {
    inv: &'a mut Inventory,
    source: &'a str,
}

fn graph(at: &Pos) -> impl Fn(GraphError) -> InventoryError + '_ {
    move |source| InventoryError::Graph { at: at.clone(), source }
}

impl Ctx<'_> {
    /// One group definition; returns false when it was skipped (not a mapping).
    fn group(&mut self, name: &str, at: &Pos, data: &Node) -> Result<bool, InventoryError> {
        let entries: &[(String, Pos, Node)] = match &data.kind {
            NodeKind::Map(m) => m,
            NodeKind::Null => &[],
            _ => {
                self.inv.warn(format!("{at}: Skipping '{name}' as this is not a valid group definition"));
                return Ok(false);
            }
        };
        self.inv.add_group(name).map_err(graph(at))?;
        for (key, kpos, value) in entries {
            self.section(name, key, kpos, value)?;
        }
        Ok(true)
    }

    fn section(&mut self, group: &str, key: &str, at: &Pos, value: &Node) -> Result<(), InventoryError> {
        let known = matches!(key, "vars" | "children" | "hosts");
        let single;
        let entries: &[(String, Pos, Node)] = match &value.kind {
            NodeKind::Null => return Ok(()),
            NodeKind::Map(m) => m,
            // A bare string is allowed: `hosts: web1` means `hosts: {web1: }`.
            NodeKind::Str(s) if known => {
                single =
                    [(s.clone(), value.pos.clone(), Node { pos: value.pos.clone(), kind: NodeKind::Null })];
                &single
            }
            _ if known => {
                let message = format!(
                    "Invalid \"{key}\" entry for \"{group}\" group, requires a dictionary, found \"{}\" instead.",
                    value.type_name()
                );
                return Err(InventoryError::Structure { at: value.pos.clone(), message });
            }
            _ => {
                let t = value.type_name();
                self.inv.warn(format!(
                    "{at}: Skipping key ({key}) in group ({group}) as it is not a mapping, it is a {t}"
                ));
                return Ok(());
            }
        };
        match key {
            "vars" => {
                for (var, _, v) in entries {
                    self.inv.set_group_var(group, var, v.to_value()).map_err(graph(at))?;
                }
            }
            "children" => {
                for (child, cpos, cdata) in entries {
                    if self.group(child, cpos, cdata)? {
                        self.inv.add_child(group, child).map_err(graph(cpos))?;
                    }
                }
            }
            "hosts" => {
                for (pattern, hpos, hdata) in entries {
                    self.hosts(group, pattern, hpos, hdata)?;
                }
            }
            _ => self.inv.warn(format!(
                "{at}: Skipping unexpected key ({key}) in group ({group}), only \"vars\", \"children\" and \"hosts\" are valid"
            )),
        }
        Ok(())
    }

    fn hosts(&mut self, group: &str, pattern: &str, at: &Pos, data: &Node) -> Result<(), InventoryError> {
        let (names, port) = address::expand_host_pattern(pattern).map_err(|message| {
            InventoryError::HostRange { at: at.clone(), pattern: pattern.to_string(), message }
        })?;
        let vars: Map = match &data.kind {
            NodeKind::Null => Map::new(),
            NodeKind::Map(_) => match data.to_value() {
                serde_json::Value::Object(m) => m,
                _ => Map::new(),
            },
            _ => {
                let message = format!(
                    "Invalid data from file, expected dictionary and got a {} for host '{pattern}'",
                    data.type_name()
                );
                return Err(InventoryError::Structure { at: data.pos.clone(), message });
            }
        };
        for name in names {
            self.inv.add_host(&name, Some(group), port, Some(self.source)).map_err(graph(at))?;
            for (k, v) in &vars {
                self.inv.set_host_var(&name, k, v.clone());
            }
        }
        Ok(())
    }
}
