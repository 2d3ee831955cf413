//! `service`: the init-system-neutral service module. On systemd hosts (the
//! `ansible_service_mgr` fact when gathered, else a `systemctl show` probe) it does what
//! `systemd` does, through the same code. SysV init scripts without systemd are not supported:
//! such hosts get a clear error.

use serde::Deserialize;

use super::systemd::{self, Shown, Systemctl};
use super::systemd_unit::Want;
use super::{Ctx, Module, ModuleError, Plan};

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
}

/// Service managers hearth recognises and does not drive (only systemd is driven).
const OTHER_INIT_SYSTEMS: &[&str] =
    &["sysvinit", "upstart", "openrc", "runit", "svc", "openwrt_init", "bsdinit", "launchd", "dinit", "smf"];

impl Module for Service {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let name = self.name.as_str();
        let want = Want { state: systemd::wanted(&self.state)?, enabled: self.enabled, masked: None };
        if want == Want::default() {
            return Err(ModuleError::msg("one of the following is required: state, enabled"));
        }
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
            return Err(ModuleError::msg(format!(
                "service {name}: the host's service manager is {m}; hearth manages services only through systemd"
            )));
        }
        systemd::check_name(name)?;
        let sc = Systemctl { options: vec![] };
        match sc.show(ctx, name)? {
            Shown::Status(status) => systemd::plan_unit(sc, name, status, want, false),
            Shown::NoSystemd(why) => Err(ModuleError::msg(format!(
                "service {name}: {why}; hearth manages services only through systemd"
            ))),
        }
    }
}
