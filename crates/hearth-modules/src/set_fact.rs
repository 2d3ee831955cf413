//! `set_fact`: set host variables for the rest of the run (engine stores `ansible_facts`).

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};

/// Parameters of `set_fact`: any variable names with their values, plus `cacheable`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct SetFact {
    /// Variable name → value (`cacheable` is accepted and ignored: there is no fact cache).
    pub facts: Map,
}

impl Module for SetFact {
    fn plan(&self, _ctx: &Ctx) -> Result<Plan, ModuleError> {
        let facts: Map = self
            .facts
            .iter()
            .filter(|(k, _)| *k != "cacheable")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if facts.is_empty() {
            return Err(ModuleError::msg(
                "No key/value pairs provided, at least one is required for this action to succeed",
            ));
        }
        if let Some(bad) = facts.keys().find(|k| !valid_name(k)) {
            return Err(ModuleError::msg(format!(
                "The variable name '{bad}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores."
            )));
        }
        Ok(Plan::ok("facts set").with("ansible_facts", Value::Object(facts)))
    }
}

fn valid_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
