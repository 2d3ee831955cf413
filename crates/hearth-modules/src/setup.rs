//! `setup`: gather facts about the host (also what a play's "Gathering Facts" runs), with
//! `gather_subset` and `filter`, returning them under `ansible_facts` like Ansible's module.
//! It only reads; `gather_timeout` and `fact_path` are accepted and not used (one script, no
//! local facts).

use serde::Deserialize;

use crate::facts;
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Value;

/// Parameters of `setup`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// Subsets to gather: `all` (default), `min`, `hardware`, `network`, `!name` to exclude.
    #[serde(default, deserialize_with = "super::args::de_list")]
    pub gather_subset: Vec<String>,
    /// Only keep facts whose names match one of these shell-style globs.
    #[serde(default, deserialize_with = "super::args::de_list")]
    pub filter: Vec<String>,
    /// Accepted and ignored (the gather script is one quick round trip).
    #[serde(default)]
    pub gather_timeout: Option<Value>,
    /// Accepted and ignored (no local facts).
    #[serde(default)]
    pub fact_path: Option<String>,
}

impl Module for Setup {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        // A templated interpreter is left to discovery rather than reported unrendered.
        let python = ctx
            .vars
            .get_attr("ansible_python_interpreter")
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|p| !p.is_empty() && !p.contains("{{"));
        let gathered = facts::gather(ctx.host, python.as_deref())?;
        let mut selected = facts::select(gathered, &self.gather_subset, &self.filter)
            .map_err(|e| ModuleError::msg(e.to_string()))?;
        let subset =
            if self.gather_subset.is_empty() { vec!["all".to_string()] } else { self.gather_subset.clone() };
        selected.insert("gather_subset".into(), Value::from(subset));
        selected.insert("module_setup".into(), Value::Bool(true));
        Ok(Plan::ok("facts gathered").with("ansible_facts", Value::Object(selected)))
    }
}
