//! `assert`: fail unless every expression in `that` is true.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};

/// Parameters of `assert`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assert {
    /// Expressions (bare Jinja) that must all be true.
    pub that: Value,
    /// Message when an assertion fails.
    #[serde(alias = "msg")]
    pub fail_msg: Option<Value>,
    /// Message when all pass.
    pub success_msg: Option<Value>,
    /// Don't print the success message.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub quiet: bool,
}

impl Module for Assert {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let conds: Vec<String> = match &self.that {
            Value::Array(a) => a.iter().map(text).collect(),
            other => vec![text(other)],
        };
        for c in &conds {
            let ok = ctx.templar.eval_bool(c, ctx.vars).map_err(|e| {
                ModuleError::msg(format!("The conditional check '{c}' failed. The error was: {}", e.message))
            })?;
            if !ok {
                let mut r = Map::new();
                r.insert("assertion".into(), Value::String(c.clone()));
                r.insert("evaluated_to".into(), Value::Bool(false));
                let msg = self.fail_msg.as_ref().map(text).unwrap_or_else(|| "Assertion failed".into());
                return Err(ModuleError::Failed { msg, result: r });
            }
        }
        let msg = self.success_msg.as_ref().map(text).unwrap_or_else(|| "All assertions passed".into());
        Ok(Plan::ok("all assertions passed").with("msg", msg))
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        other => other.to_string(),
    }
}
