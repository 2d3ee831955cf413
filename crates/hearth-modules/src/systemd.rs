//! `systemd` (alias `systemd_service`): start, stop, restart, reload, enable, disable, mask and
//! unmask a unit through `systemctl` on the host. The unit is read with one `systemctl show`;
//! the verbs come from [`super::systemd_unit::decide`]. It supports only the system scope, and
//! does not re-read the unit after acting (Ansible does not either: `status` is the state before).

use serde::Deserialize;

use super::systemd_unit::{self, Status, Want, Wanted};
use crate::module::{Action, Ctx, Module, ModuleError, Outcome, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Cmd, CmdOutput, TransportError};

/// Parameters of `systemd` / `systemd_service`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Systemd {
    /// Unit name (`.service` is implied when there is no suffix).
    #[serde(alias = "service", alias = "unit")]
    pub name: Option<String>,
    /// `started`, `stopped`, `restarted` or `reloaded`.
    pub state: Option<String>,
    /// Whether the unit starts at boot.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub enabled: Option<bool>,
    /// Whether the unit is masked (cannot be started at all).
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub masked: Option<bool>,
    /// Run `systemctl daemon-reload` first (not a change by itself, like Ansible).
    #[serde(default, alias = "daemon-reload", deserialize_with = "super::args::de_bool")]
    pub daemon_reload: bool,
    /// Run `systemctl daemon-reexec` first, after any `daemon-reload` (not a change by itself).
    #[serde(default, alias = "daemon-reexec", deserialize_with = "super::args::de_bool")]
    pub daemon_reexec: bool,
    /// Only `system` is supported.
    pub scope: Option<String>,
    /// Pass `--no-block` (do not wait for start/stop jobs).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub no_block: bool,
    /// Pass `--force` (enabling or masking replaces conflicting symlinks).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub force: bool,
}

/// How `systemctl` is called on the host, shared with the `service` module.
pub struct Systemctl {
    /// Options before the verb (`--no-block`).
    pub options: Vec<String>,
}

/// What one `systemctl show` found.
pub enum Shown {
    /// The unit's properties (`LoadState=not-found` for an unknown unit).
    Status(Status),
    /// No usable systemd: `systemctl` missing or systemd not running; the text says which.
    NoSystemd(String),
}

impl Systemctl {
    fn cmd(&self, verb: &str, name: Option<&str>) -> Cmd {
        let mut argv = vec!["systemctl".to_string()];
        argv.extend(self.options.iter().cloned());
        argv.push(verb.to_string());
        argv.extend(name.map(str::to_string));
        Cmd::new(argv)
    }

    /// Reads a unit's properties with one `systemctl show NAME`.
    pub fn show(&self, ctx: &Ctx, name: &str) -> Result<Shown, ModuleError> {
        let out = match ctx.host.run(&self.cmd("show", Some(name))) {
            Err(TransportError::Spawn { .. }) => {
                return Ok(Shown::NoSystemd("systemctl is not installed".into()));
            }
            other => other?,
        };
        let err = String::from_utf8_lossy(&out.stderr);
        if out.rc == 127 {
            return Ok(Shown::NoSystemd("systemctl is not installed".into()));
        }
        if out.rc != 0 && (err.contains("not been booted with systemd") || err.contains("connect to bus")) {
            return Ok(Shown::NoSystemd(format!("systemd is not running: {}", err.trim())));
        }
        // Like Ansible: a failing `show` means the unit is unknown.
        let text =
            if out.rc == 0 { String::from_utf8_lossy(&out.stdout).into_owned() } else { String::new() };
        Ok(Shown::Status(systemd_unit::parse_show(&text)))
    }

    /// Runs `systemctl VERB [NAME]`, failing with `msg` and the command's stderr.
    pub fn run(&self, ctx: &Ctx, verb: &str, name: Option<&str>) -> Result<CmdOutput, ModuleError> {
        let out = ctx.host.run(&self.cmd(verb, name))?;
        if out.rc != 0 {
            let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
            let msg = match (verb, name) {
                ("daemon-reload" | "daemon-reexec", _) => format!("failure {} during {verb}: {err}", out.rc),
                ("mask" | "unmask", Some(n)) => format!("Failed to {verb} the service ({n}): {err}"),
                (_, Some(n)) => format!("Unable to {verb} service {n}: {err}"),
                (_, None) => format!("systemctl {verb} failed: {err}"),
            };
            let mut r = Map::new();
            r.insert("rc".into(), Value::from(out.rc));
            return Err(ModuleError::Failed { msg, result: r });
        }
        Ok(out)
    }
}

/// Validates a unit name: no globs, no option-looking names.
pub fn check_name(name: &str) -> Result<(), ModuleError> {
    if let Some(c) = ['*', '?', '['].into_iter().find(|c| name.contains(*c)) {
        return Err(ModuleError::msg(format!(
            "This module does not currently support using glob patterns, found '{c}' in service name: {name}"
        )));
    }
    if name.is_empty() || name.starts_with('-') {
        return Err(ModuleError::msg(format!("invalid service name: {name:?}")));
    }
    Ok(())
}

/// Reads `state` into [`Wanted`].
pub fn wanted(state: &Option<String>) -> Result<Option<Wanted>, ModuleError> {
    state
        .as_deref()
        .map(|s| {
            Wanted::parse(s).ok_or_else(|| {
                ModuleError::msg(format!(
                    "value of state must be one of: reloaded, restarted, started, stopped, got: {s}"
                ))
            })
        })
        .transpose()
}

/// Plans a named unit: one `show`, then the verbs; the `pre` verbs (`daemon-reload`,
/// `daemon-reexec`) run first in the action.
fn plan_unit(
    sc: Systemctl,
    name: &str,
    status: Status,
    want: Want,
    pre: Vec<&'static str>,
) -> Result<Plan, ModuleError> {
    let d = systemd_unit::decide(name, &status, want).map_err(|msg| {
        let mut r = Map::new();
        r.insert("name".into(), Value::String(name.to_string()));
        ModuleError::Failed { msg, result: r }
    })?;
    let mut fields = Map::new();
    fields.insert("name".into(), Value::String(name.to_string()));
    fields.insert(
        "status".into(),
        Value::Object(status.into_iter().map(|(k, v)| (k, Value::String(v))).collect()),
    );
    if let Some(e) = d.enabled {
        fields.insert("enabled".into(), Value::Bool(e));
    }
    if let Some(s) = d.state {
        fields.insert("state".into(), Value::String(s.into()));
    }
    let verbs = d.verbs.clone();
    let unit = name.to_string();
    let pre_only = d.verbs.is_empty() && !pre.is_empty();
    let act = move |ctx: &Ctx, changed: bool| -> Result<Map, ModuleError> {
        for p in &pre {
            sc.run(ctx, p, None)?;
        }
        for v in &verbs {
            sc.run(ctx, v, Some(&unit))?;
        }
        let mut r = Map::new();
        r.insert("changed".into(), Value::Bool(changed));
        Ok(r)
    };
    let mut plan = if !d.verbs.is_empty() {
        let action: Action = Box::new(move |ctx: &Ctx| act(ctx, true));
        Plan::change(format!("{} {name}", d.verbs.join(", ")), action)
    } else if pre_only {
        let action: Action = Box::new(move |ctx: &Ctx| act(ctx, false));
        Plan { outcome: Outcome::Run(action), diffs: Vec::new(), result: Map::new() }
    } else {
        Plan::ok(format!("{name} already as wanted"))
    };
    plan.result.extend(fields);
    Ok(plan)
}

/// `daemon_reload`/`daemon_reexec` alone: reported ok, like Ansible (skipped in check mode).
fn daemon_only(sc: Systemctl, pre: Vec<&'static str>) -> Plan {
    let action: Action = Box::new(move |ctx: &Ctx| {
        for p in &pre {
            sc.run(ctx, p, None)?;
        }
        let mut r = Map::new();
        r.insert("changed".into(), Value::Bool(false));
        Ok(r)
    });
    Plan { outcome: Outcome::Run(action), diffs: Vec::new(), result: Map::new() }
}

impl Systemd {
    /// The verbs without a unit that run first, in Ansible's order.
    fn pre(&self) -> Vec<&'static str> {
        let mut pre = Vec::new();
        if self.daemon_reload {
            pre.push("daemon-reload");
        }
        if self.daemon_reexec {
            pre.push("daemon-reexec");
        }
        pre
    }

    /// Plans the task; `no_systemd` words the error for a host without a usable systemd
    /// (`service` words it its own way).
    pub fn plan_with(
        &self,
        ctx: &Ctx,
        no_systemd: &dyn Fn(&str, &str) -> String,
    ) -> Result<Plan, ModuleError> {
        if let Some(scope) = self.scope.as_deref().filter(|s| *s != "system") {
            return Err(ModuleError::msg(format!("scope: only 'system' is supported, got '{scope}'")));
        }
        let want = Want { state: wanted(&self.state)?, enabled: self.enabled, masked: self.masked };
        if want == Want::default() && self.pre().is_empty() {
            return Err(ModuleError::msg(
                "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec",
            ));
        }
        let flags = [(self.no_block, "--no-block"), (self.force, "--force")];
        let options = flags.iter().filter(|(on, _)| *on).map(|(_, f)| f.to_string()).collect();
        let sc = Systemctl { options };
        let Some(name) = self.name.as_deref() else {
            if want != Want::default() {
                return Err(ModuleError::msg(
                    "missing parameter(s) required by 'state', 'enabled' or 'masked': name",
                ));
            }
            return Ok(daemon_only(sc, self.pre()));
        };
        check_name(name)?;
        match sc.show(ctx, name)? {
            Shown::Status(status) => plan_unit(sc, name, status, want, self.pre()),
            Shown::NoSystemd(why) => Err(ModuleError::msg(no_systemd(name, &why))),
        }
    }
}

impl Module for Systemd {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        self.plan_with(ctx, &|name, why| format!("cannot manage {name} with systemctl: {why}"))
    }
}
