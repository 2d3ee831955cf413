//! `group`: create, change the gid of, and remove local groups with `groupadd`/`groupmod`/
//! `groupdel`, reading the group with one `getent group`. Results are named like Ansible's.
//! Members are managed through the `user` module, not here.

use serde::Deserialize;

use super::user::run_tool;
use super::user_db;
use crate::module::{Action, Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// Parameters of `group`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// `present` (default) or `absent`.
    pub state: Option<String>,
    /// Group id.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub gid: Option<String>,
    /// Create a system group (on creation only).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub system: bool,
}

fn read(ctx: &Ctx, name: &str) -> Result<Option<user_db::Group>, ModuleError> {
    let out = ctx.host.run(&Cmd::new(["getent", "group", name]))?;
    let text = format!("#group\n{}", String::from_utf8_lossy(&out.stdout));
    Ok(user_db::parse(&text).groups.into_iter().find(|g| g.name == name))
}

impl Module for Group {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let name = self.name.clone();
        if name.is_empty() || name.starts_with('-') || name.contains([':', '\n', ',']) {
            return Err(ModuleError::msg(format!("invalid group name: {name:?}")));
        }
        let state = self.state.as_deref().unwrap_or("present");
        if !matches!(state, "present" | "absent") {
            return Err(ModuleError::msg(format!(
                "value of state must be one of: absent, present, got: {state}"
            )));
        }
        let gid = self
            .gid
            .as_deref()
            .map(|g| {
                g.parse::<u32>().map_err(|_| ModuleError::msg(format!("gid must be a number, got {g:?}")))
            })
            .transpose()?;
        let current = read(ctx, &name)?;
        let cmd = match (state, &current) {
            ("absent", None) => None,
            ("absent", Some(_)) => Some(Cmd::new(["groupdel", name.as_str()])),
            (_, None) => {
                let mut argv = vec!["groupadd".to_string()];
                if let Some(g) = gid {
                    argv.extend(["-g".into(), g.to_string()]);
                }
                if self.system {
                    argv.push("-r".into());
                }
                argv.push(name.clone());
                Some(Cmd::new(argv))
            }
            (_, Some(cur)) => gid
                .filter(|g| *g != cur.gid)
                .map(|g| Cmd::new(["groupmod".to_string(), "-g".into(), g.to_string(), name.clone()])),
        };
        let mut base = Map::new();
        base.insert("name".into(), Value::String(name.clone()));
        base.insert("state".into(), Value::String(state.into()));
        if state == "present" {
            base.insert("system".into(), Value::Bool(self.system));
            if let Some(g) = gid.or(current.as_ref().map(|c| c.gid)) {
                base.insert("gid".into(), Value::from(g));
            }
        }
        let mut plan = match cmd {
            None => Plan::ok(format!("group {name} already {state}")),
            Some(cmd) => {
                let summary = format!("{} {name}", cmd.argv[0]);
                let present = state == "present";
                let action: Action = Box::new(move |ctx: &Ctx| {
                    let mut r = run_tool(ctx, cmd, &name)?;
                    if present && let Some(g) = read(ctx, &name)? {
                        r.insert("gid".into(), Value::from(g.gid));
                    }
                    Ok(r)
                });
                Plan::change(summary, action)
            }
        };
        plan.result.extend(base);
        Ok(plan)
    }
}
