//! `package`: the generic package module; hearth dispatches it to `apt` (by the
//! `ansible_pkg_mgr` fact when gathered, else by finding apt-get on the host). Other package
//! managers are refused with a clear error rather than guessed at.

use serde::Deserialize;

use super::apt::{Apt, de_list};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_transport::Cmd;

/// Parameters of `package`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Package names (list or comma-separated), optionally `name=version`.
    #[serde(default, alias = "pkg", deserialize_with = "de_list")]
    pub name: Vec<String>,
    /// `present`, `absent` or `latest` (as the backend understands them).
    pub state: String,
    /// The backend module; `auto` (default) or `apt`.
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
}

impl Module for Package {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let chosen = match self.use_.as_deref().filter(|u| *u != "auto") {
            Some(u) => u.to_string(),
            None => match ctx.vars.get_attr("ansible_pkg_mgr").ok().filter(|v| !v.is_undefined()) {
                Some(v) => v.as_str().unwrap_or_default().to_string(),
                None => {
                    let out = ctx.host.run(&Cmd::shell("command -v apt-get >/dev/null 2>&1 && echo apt"))?;
                    String::from_utf8_lossy(&out.stdout).trim().to_string()
                }
            },
        };
        if chosen != "apt" && chosen != "ansible.builtin.apt" {
            let what = if chosen.is_empty() { "no supported package manager found".into() } else { chosen };
            return Err(ModuleError::msg(format!("package: hearth supports only apt here ({what})")));
        }
        let args = serde_json::json!({"name": self.name, "state": self.state});
        let apt: Apt = serde_json::from_value(args).map_err(|e| ModuleError::msg(format!("package: {e}")))?;
        apt.plan(ctx)
    }
}
