//! TEMPORARY stand-in with the real inventory's API (replaced by the inventory branch).

use crate::value::{Map, Value};

/// Placeholder error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InventoryError(pub String);

/// Placeholder pattern error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(pub String);

/// Placeholder host.
#[derive(Debug, Clone)]
pub struct Host {
    /// Name.
    pub name: String,
}

/// Placeholder inventory: only the implicit localhost.
#[derive(Debug, Clone, Default)]
pub struct Inventory;

/// Loads nothing.
pub fn load(_sources: &[String]) -> Result<Inventory, InventoryError> {
    Ok(Inventory)
}

impl Inventory {
    /// Only localhost.
    pub fn resolve(&self, pattern: &str) -> Result<Vec<String>, PatternError> {
        Ok(if pattern == "localhost" { vec!["localhost".into()] } else { vec![] })
    }
    /// Always implicit.
    pub fn is_implicit(&self, name: &str) -> bool {
        name == "localhost"
    }
    /// Implicit localhost vars.
    pub fn host_vars(&self, _host: &str) -> Map {
        let mut m = Map::new();
        m.insert("ansible_connection".into(), Value::from("local"));
        m
    }
    /// Nothing.
    pub fn magic_vars(&self, _host: &str) -> Map {
        Map::new()
    }
    /// Nothing.
    pub fn groups_map(&self) -> Map {
        Map::new()
    }
    /// Nothing.
    pub fn add_playbook_vars_dir(&mut self, _dir: &std::path::Path) -> Result<(), InventoryError> {
        Ok(())
    }
    /// Nothing.
    pub fn to_list_json(&self) -> Value {
        Value::Null
    }
    /// Nothing.
    pub fn to_graph(&self, _g: Option<&str>, _vars: bool) -> Result<String, InventoryError> {
        Ok(String::new())
    }
    /// Nothing.
    pub fn warnings(&self) -> &[String] {
        &[]
    }
    /// Hosts.
    pub fn hosts(&self) -> impl Iterator<Item = &Host> {
        [].iter()
    }
}
