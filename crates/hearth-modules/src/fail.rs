//! `fail`: stop the host with a message.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Value;

/// Parameters of `fail`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fail {
    /// The failure message.
    pub msg: Option<Value>,
}

impl Module for Fail {
    fn plan(&self, _ctx: &Ctx) -> Result<Plan, ModuleError> {
        let msg = match &self.msg {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "Failed as requested from task".into(),
        };
        Err(ModuleError::msg(msg))
    }
}
