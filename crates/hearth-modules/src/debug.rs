//! `debug`: print a message or a variable's value. Changes nothing; runs in check mode too.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Value;

/// Parameters of `debug`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Debug {
    /// The message to print (any value; default "Hello world!").
    pub msg: Option<Value>,
    /// A variable name or expression whose value is printed instead of `msg`.
    pub var: Option<String>,
    /// Only print at this `-v` level or above.
    #[serde(default, deserialize_with = "super::args::de_int")]
    pub verbosity: i64,
}

impl Module for Debug {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if self.msg.is_some() && self.var.is_some() {
            return Err(ModuleError::msg("parameters are mutually exclusive: msg|var"));
        }
        let plan = Plan::ok("debug").with("verbosity", self.verbosity);
        Ok(match &self.var {
            Some(var) => {
                let value = match ctx.templar.eval(var, ctx.vars) {
                    Ok(v) => v,
                    Err(_) => Value::String("VARIABLE IS NOT DEFINED!".into()),
                };
                plan.with(var, value)
            }
            None => plan.with("msg", self.msg.clone().unwrap_or_else(|| "Hello world!".into())),
        })
    }
}
