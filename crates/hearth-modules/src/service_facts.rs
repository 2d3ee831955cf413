//! `service_facts`: every systemd service as `ansible_facts.services`, the way Ansible's
//! systemctl scanner builds it: `list-units` gives `state` (running or stopped) and `status`
//! (active, inactive, or a bad state: not-found, masked, failed), `list-unit-files` then the
//! final `status` (enabled, disabled, static, ...) and adds units that are not loaded, whose
//! `state` comes from one batched `systemctl show --property=ActiveState`. At most two round
//! trips. SysV `service --status-all`, upstart, AIX and BSD scanners are not implemented.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// Parameters of `service_facts` (it takes none).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFacts {}

/// Separates the two listings.
const SEP: &str = "hearth:unit-files";

/// Both listings in one round trip, in the C locale; nothing when there is no systemctl.
const SCRIPT: &str = r#"LC_ALL=C LANG=C; export LC_ALL LANG
command -v systemctl >/dev/null 2>&1 || exit 0
systemctl list-units --no-pager --type=service --all --plain --no-legend
echo hearth:unit-files
systemctl list-unit-files --no-pager --type=service --all --no-legend"#;

/// States that win over whatever the unit files say.
const BAD: &[&str] = &["not-found", "masked", "failed"];

/// One entry of `ansible_facts.services`.
fn service(name: &str, state: &str, status: &str) -> Map {
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    m.insert("state".into(), state.into());
    m.insert("status".into(), status.into());
    m.insert("source".into(), "systemd".into());
    m
}

/// The services from both listings, and the unit-file-only names whose state is still unknown.
pub fn parse(out: &str) -> (Map, Vec<String>) {
    let (units, files) = out.split_once(&format!("{SEP}\n")).unwrap_or((out, ""));
    let mut services = Map::new();
    for line in units.lines().filter(|l| l.contains(".service")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 {
            continue;
        }
        let status = BAD.iter().find(|b| f[..f.len() - 1].contains(b)).copied().unwrap_or(f[2]);
        let state = if f[3] == "running" { "running" } else { "stopped" };
        services.insert(f[0].to_string(), service(f[0], state, status).into());
    }
    let mut unknown = Vec::new();
    for line in files.lines().filter(|l| l.contains(".service")) {
        let mut words = line.split_whitespace();
        let (Some(name), Some(status)) = (words.next(), words.next()) else { continue };
        match services.get_mut(name).and_then(Value::as_object_mut) {
            Some(s) if !BAD.contains(&s["status"].as_str().unwrap_or("")) => {
                s.insert("status".into(), status.into());
            }
            Some(_) => {}
            None => {
                services.insert(name.to_string(), service(name, "unknown", status).into());
                unknown.push(name.to_string());
            }
        }
    }
    (services, unknown)
}

impl Module for ServiceFacts {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let out = ctx.host.run(&Cmd::new(["/bin/sh", "-c", SCRIPT]))?;
        let (mut services, unknown) = parse(&String::from_utf8_lossy(&out.stdout));
        if !unknown.is_empty() {
            let script = r#"for u; do printf '%s ' "$u"; systemctl show "$u" --property=ActiveState | head -n 1; done"#;
            let mut argv = vec!["/bin/sh", "-c", script, "sh"];
            argv.extend(unknown.iter().map(String::as_str));
            let shown = ctx.host.run(&Cmd::new(argv))?;
            for line in String::from_utf8_lossy(&shown.stdout).lines() {
                let Some((name, state)) = line.split_once(" ActiveState=") else { continue };
                if let Some(s) =
                    services.get_mut(name).and_then(Value::as_object_mut).filter(|_| !state.is_empty())
                {
                    s.insert("state".into(), state.trim().into());
                }
            }
        }
        if services.is_empty() {
            let msg = "Failed to find any services. This can be due to privileges or some other configuration issue.";
            return Ok(Plan::ok(msg).with("msg", msg).with("skipped", true));
        }
        let count = services.len();
        let mut facts = Map::new();
        facts.insert("services".into(), Value::Object(services));
        Ok(Plan::ok(format!("{count} services")).with("ansible_facts", facts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_become_ansible_facts() {
        let out = "cron.service loaded active running Regular background program\n\
                   ssh.service loaded failed failed OpenBSD Secure Shell server\n\
                   gone.service not-found inactive dead gone.service\n\
                   dbus.socket loaded active running D-Bus\n\
                   hearth:unit-files\n\
                   UNIT FILE STATE VENDOR PRESET\n\
                   cron.service enabled enabled\n\
                   ssh.service enabled enabled\n\
                   getty@.service static -\n";
        let (s, unknown) = parse(out);
        assert_eq!(
            s["cron.service"],
            serde_json::json!({"name": "cron.service", "state": "running", "status": "enabled", "source": "systemd"})
        );
        assert_eq!(s["ssh.service"]["status"], "failed", "a bad state wins over the unit file");
        assert_eq!(s["ssh.service"]["state"], "stopped");
        assert_eq!(s["gone.service"]["status"], "not-found");
        assert_eq!(s["getty@.service"]["status"], "static");
        assert_eq!(unknown, ["getty@.service"]);
        assert!(!s.contains_key("dbus.socket"));
    }
}
