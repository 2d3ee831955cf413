//! `service`: the init-system-neutral service module. On systemd hosts (the
//! `ansible_service_mgr` fact when gathered, else a `systemctl show` probe) it is the `systemd`
//! module, given the systemd-only parameters too, as Ansible's `service` action hands them on;
//! the generic module's `pattern`, `sleep`, `runlevel` and `arguments` are then ignored with
//! Ansible's warning. SysV init scripts without systemd are not supported: such hosts get a
//! clear error.

use serde::Deserialize;

use super::systemd::Systemd;
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Value;

/// Parameters of `service`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Service name.
    pub name: String,
    /// `started`, `stopped`, `restarted` or `reloaded`.
    pub state: Option<String>,
    /// Whether the service starts at boot.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub enabled: Option<bool>,
    /// Service manager: `auto` (default) or `systemd`.
    #[serde(rename = "use")]
    pub use_: Option<String>,
    /// systemd only: run `systemctl daemon-reload` first.
    #[serde(default, alias = "daemon-reload", deserialize_with = "super::args::de_opt_bool")]
    pub daemon_reload: Option<bool>,
    /// systemd only: run `systemctl daemon-reexec` first.
    #[serde(default, alias = "daemon-reexec", deserialize_with = "super::args::de_opt_bool")]
    pub daemon_reexec: Option<bool>,
    /// systemd only: `system` (the only scope hearth supports).
    pub scope: Option<String>,
    /// systemd only: whether the unit is masked.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub masked: Option<bool>,
    /// systemd only: pass `--force`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub force: Option<bool>,
    /// systemd only: pass `--no-block`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub no_block: Option<bool>,
    /// Generic module only (process name to look for); ignored on systemd with a warning.
    pub pattern: Option<Value>,
    /// Generic module only (seconds between stop and start); ignored on systemd with a warning.
    pub sleep: Option<Value>,
    /// Generic module only (runlevel for OpenRC); ignored on systemd with a warning.
    pub runlevel: Option<Value>,
    /// Generic module only (extra init script arguments); ignored on systemd with a warning.
    #[serde(alias = "args")]
    pub arguments: Option<Value>,
}

/// Service managers hearth recognises and does not drive (only systemd is driven).
const OTHER_INIT_SYSTEMS: &[&str] =
    &["sysvinit", "upstart", "openrc", "runit", "svc", "openwrt_init", "bsdinit", "launchd", "dinit", "smf"];

impl Service {
    /// The systemd-only parameters the task gives, by name.
    fn systemd_only(&self) -> Vec<&'static str> {
        let given = [
            ("daemon_reload", self.daemon_reload.is_some()),
            ("daemon_reexec", self.daemon_reexec.is_some()),
            ("scope", self.scope.is_some()),
            ("masked", self.masked.is_some()),
            ("force", self.force.is_some()),
            ("no_block", self.no_block.is_some()),
        ];
        given.into_iter().filter(|(_, g)| *g).map(|(n, _)| n).collect()
    }

    /// Why a host without systemd cannot run this task.
    fn refusal(&self, why: &str) -> String {
        let name = &self.name;
        match self.systemd_only().as_slice() {
            [] => format!("service {name}: {why}; hearth manages services only through systemd"),
            only => format!(
                "service {name}: {} only work with systemd, and {why}; hearth manages services only through systemd",
                only.join(", ")
            ),
        }
    }

    /// The same task for the `systemd` module.
    fn as_systemd(&self) -> Systemd {
        Systemd {
            name: Some(self.name.clone()),
            state: self.state.clone(),
            enabled: self.enabled,
            masked: self.masked,
            daemon_reload: self.daemon_reload.unwrap_or(false),
            daemon_reexec: self.daemon_reexec.unwrap_or(false),
            scope: self.scope.clone(),
            no_block: self.no_block.unwrap_or(false),
            force: self.force.unwrap_or(false),
        }
    }

    /// Ansible's warnings for the generic module's parameters, which systemd does not use.
    fn ignored(&self) -> Vec<String> {
        let given = [
            ("pattern", &self.pattern),
            ("runlevel", &self.runlevel),
            ("sleep", &self.sleep),
            ("arguments", &self.arguments),
        ];
        given
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| format!("Ignoring \"{n}\" as it is not used in \"systemd\""))
            .collect()
    }
}

impl Module for Service {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let manager = match self.use_.as_deref() {
            None | Some("auto") => {
                ctx.vars.get_attr("ansible_service_mgr").ok().and_then(|v| v.as_str().map(str::to_string))
            }
            Some(m) => Some(m.to_string()),
        };
        // Like Ansible's `service` action: a fact naming another known init system is final; an
        // unknown one (PID 1 is some other program, as in containers and the lab) falls back
        // to probing for systemctl, as Ansible's generic service module does.
        if let Some(m) = manager.as_deref().filter(|m| OTHER_INIT_SYSTEMS.contains(m)) {
            return Err(ModuleError::msg(self.refusal(&format!("the host's service manager is {m}"))));
        }
        let refuse = |_: &str, why: &str| self.refusal(why);
        let mut plan = self.as_systemd().plan_with(ctx, &refuse)?;
        let warnings = self.ignored();
        if !warnings.is_empty() {
            plan = plan.with("warnings", warnings);
        }
        Ok(plan)
    }
}
