//! The one data model for variables, module parameters and results: JSON-like values that keep
//! key order (like Python dicts in Ansible).

/// Any variable, parameter or result value.
pub type Value = serde_json::Value;
/// An ordered mapping of names to values.
pub type Map = serde_json::Map<String, Value>;
