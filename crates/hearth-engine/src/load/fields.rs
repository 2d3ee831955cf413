//! Keyword values read from YAML nodes: strings as Ansible stringifies scalars, condition and
//! tag lists, mappings (`vars:`, `args:`) and `loop_control:`. No task-level checks here.

use super::error::LoadError;
use super::task::LoopControl;
use hearth_formats::suggest::did_you_mean;
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::{Node, NodeKind};

/// A scalar as the string Ansible makes of it (`True`/`False` for booleans).
pub(super) fn scalar_string(node: &Node) -> Result<String, LoadError> {
    match &node.kind {
        NodeKind::Str(s) => Ok(s.clone()),
        NodeKind::Int(i) => Ok(i.to_string()),
        NodeKind::Float(f) => Ok(f.to_string()),
        NodeKind::Bool(b) => Ok(if *b { "True" } else { "False" }.to_string()),
        _ => Err(LoadError::at(&node.pos, format!("expected a string, got a {}", node.type_name()))),
    }
}

/// Reads `when:`-like values: a string, a boolean, or a list of them.
pub(super) fn conditions(node: &Node) -> Result<Vec<String>, LoadError> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().map(scalar_string).collect(),
        NodeKind::Null => Ok(Vec::new()),
        _ => Ok(vec![scalar_string(node)?]),
    }
}

/// A string or a list of strings.
pub(super) fn string_list(node: &Node) -> Result<Vec<String>, LoadError> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().map(scalar_string).collect(),
        NodeKind::Null => Ok(Vec::new()),
        _ => Ok(vec![scalar_string(node)?]),
    }
}

/// Tags: a list, or a comma-separated string.
pub fn tag_list(node: &Node) -> Result<Vec<String>, LoadError> {
    Ok(string_list(node)?
        .iter()
        .flat_map(|t| t.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
        .filter(|t| !t.is_empty())
        .collect())
}

/// Reads a mapping keyword (`vars:`, `args:`) as a value map.
pub fn mapping(node: &Node, what: &str) -> Result<Map, LoadError> {
    match node.to_value() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(LoadError::at(&node.pos, format!("'{what}' must be a mapping, got a {}", node.type_name()))),
    }
}

/// `loop_control:` with its three supported keys.
pub(super) fn loop_control(node: &Node) -> Result<LoopControl, LoadError> {
    let mut lc = LoopControl::default();
    let entries = node.as_map().ok_or_else(|| LoadError::at(&node.pos, "loop_control must be a mapping"))?;
    for (k, kpos, v) in entries {
        match k.as_str() {
            "loop_var" => lc.loop_var = scalar_string(v)?,
            "index_var" => lc.index_var = Some(scalar_string(v)?),
            "label" => lc.label = Some(scalar_string(v)?),
            other => {
                let hint = did_you_mean(other, ["loop_var", "index_var", "label"])
                    .map(|s| format!(" Did you mean '{s}'?"))
                    .unwrap_or_default();
                return Err(LoadError::at(
                    kpos,
                    format!(
                        "loop_control: '{other}' is not supported (supported: loop_var, index_var, label).{hint}"
                    ),
                ));
            }
        }
    }
    Ok(lc)
}
