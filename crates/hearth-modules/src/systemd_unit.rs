//! The pure half of the `systemd` and `service` modules: parsing `systemctl show` output and
//! deciding, from a unit's properties and the wanted state, which `systemctl` verbs to run, in
//! Ansible's order (mask/unmask, enable/disable, then start/stop/restart/reload). It runs nothing.

use std::collections::BTreeMap;

/// A unit's properties as `systemctl show` prints them (`Key=value` lines).
pub type Status = BTreeMap<String, String>;

/// Parses `systemctl show` output like Ansible: one `Key=value` per line, and multi-line values
/// only for `Exec*` keys whose value starts with `{` (until a line ending with `}`).
pub fn parse_show(text: &str) -> Status {
    let mut parsed = Status::new();
    let mut pending: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some((key, mut lines)) = pending.take() {
            lines.push(line.to_string());
            if line.trim_end().ends_with('}') {
                parsed.insert(key, lines.join("\n").trim().to_string());
            } else {
                pending = Some((key, lines));
            }
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        if k.starts_with("Exec") && v.trim_start().starts_with('{') && !v.trim_end().ends_with('}') {
            pending = Some((k.to_string(), vec![v.to_string()]));
            continue;
        }
        parsed.insert(k.to_string(), v.trim().to_string());
    }
    parsed
}

/// The `state` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Running.
    Started,
    /// Not running.
    Stopped,
    /// Restarted (started when not running); always a change.
    Restarted,
    /// Reloaded (started when not running); always a change.
    Reloaded,
}

impl Wanted {
    /// Reads Ansible's state names.
    pub fn parse(s: &str) -> Option<Wanted> {
        Some(match s {
            "started" => Wanted::Started,
            "stopped" => Wanted::Stopped,
            "restarted" => Wanted::Restarted,
            "reloaded" => Wanted::Reloaded,
            _ => return None,
        })
    }
}

/// What the task asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    /// `state`.
    pub state: Option<Wanted>,
    /// `enabled`.
    pub enabled: Option<bool>,
    /// `masked` (systemd only).
    pub masked: Option<bool>,
}

/// The verbs to run and the result fields Ansible reports afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// `systemctl` verbs, in order (each run as `systemctl VERB NAME`).
    pub verbs: Vec<&'static str>,
    /// The `enabled` result field (after the change), when `enabled` was asked.
    pub enabled: Option<bool>,
    /// The `state` result field, when `state` was asked (`restarted`/`reloaded` report `started`).
    pub state: Option<&'static str>,
}

/// True when the unit is known to systemd (a unit file or a mask exists).
pub fn found(status: &Status) -> bool {
    status.get("LoadState").is_some_and(|s| s != "not-found")
}

/// True when `is-enabled` would succeed without an "enable anyway" state, as Ansible reads it.
pub fn is_enabled(status: &Status) -> bool {
    matches!(
        status.get("UnitFileState").map(String::as_str),
        Some("enabled" | "static" | "generated" | "transient")
    )
}

fn is_masked(status: &Status) -> bool {
    status.get("UnitFileState").is_some_and(|s| s.starts_with("masked"))
        || status.get("LoadState").is_some_and(|s| s == "masked")
}

/// Ansible's message for a unit the host does not have.
pub fn not_found(name: &str) -> String {
    format!("Could not find the requested service {name}: host")
}

/// Decides the verbs for `want` given the unit's `status`; `Err` is the task's failure message.
pub fn decide(name: &str, status: &Status, want: Want) -> Result<Decision, String> {
    let mut d = Decision::default();
    if let Some(masked) = want.masked
        && masked != is_masked(status)
    {
        d.verbs.push(if masked { "mask" } else { "unmask" });
    }
    if let Some(enabled) = want.enabled {
        if !found(status) {
            return Err(not_found(name));
        }
        if enabled != is_enabled(status) {
            d.verbs.push(if enabled { "enable" } else { "disable" });
        }
        d.enabled = Some(enabled);
    }
    if let Some(state) = want.state {
        if !found(status) {
            return Err(not_found(name));
        }
        let active = status.get("ActiveState").ok_or_else(|| "Service is in unknown state".to_string())?;
        let running = matches!(active.as_str(), "active" | "activating");
        let verb = match state {
            Wanted::Started => (!running).then_some("start"),
            Wanted::Stopped => (running || active == "deactivating").then_some("stop"),
            Wanted::Restarted if running => Some("restart"),
            Wanted::Reloaded if running => Some("reload"),
            Wanted::Restarted | Wanted::Reloaded => Some("start"),
        };
        d.verbs.extend(verb);
        d.state = Some(if state == Wanted::Stopped { "stopped" } else { "started" });
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(lines: &str) -> Status {
        parse_show(lines)
    }

    const ACTIVE: &str =
        "Id=ssh.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n";
    const INACTIVE: &str = "LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\n";
    const MISSING: &str = "Id=nope.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n";

    #[test]
    fn parses_show_with_multiline_exec_values_only() {
        let s = parse_show(
            "Description={odd\nExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D\n  status=0/0 }\nActiveState=active\nnoise\n",
        );
        assert_eq!(s["Description"], "{odd");
        assert_eq!(s["ExecStart"], "{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D\n  status=0/0 }");
        assert_eq!(s["ActiveState"], "active");
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn started_on_active_unit_does_nothing() {
        let want = Want { state: Some(Wanted::Started), enabled: Some(true), masked: None };
        let d = decide("ssh", &status(ACTIVE), want).unwrap();
        assert_eq!(d, Decision { verbs: vec![], enabled: Some(true), state: Some("started") });
    }

    #[test]
    fn start_and_enable_an_inactive_unit_enable_first() {
        let want = Want { state: Some(Wanted::Started), enabled: Some(true), masked: None };
        assert_eq!(decide("x", &status(INACTIVE), want).unwrap().verbs, ["enable", "start"]);
    }

    #[test]
    fn restarted_and_reloaded_always_act() {
        let restart = Want { state: Some(Wanted::Restarted), ..Want::default() };
        let reload = Want { state: Some(Wanted::Reloaded), ..Want::default() };
        assert_eq!(decide("x", &status(ACTIVE), restart).unwrap().verbs, ["restart"]);
        assert_eq!(decide("x", &status(ACTIVE), reload).unwrap().verbs, ["reload"]);
        let d = decide("x", &status(INACTIVE), reload).unwrap();
        assert_eq!((d.verbs, d.state), (vec!["start"], Some("started")));
    }

    #[test]
    fn stopped_and_disabled() {
        let want = Want { state: Some(Wanted::Stopped), enabled: Some(false), masked: None };
        assert_eq!(decide("x", &status(ACTIVE), want).unwrap().verbs, ["disable", "stop"]);
        assert!(decide("x", &status(INACTIVE), want).unwrap().verbs.is_empty());
        let deactivating = status("LoadState=loaded\nActiveState=deactivating\nUnitFileState=static\n");
        let stop = Want { state: Some(Wanted::Stopped), ..Want::default() };
        assert_eq!(decide("x", &deactivating, stop).unwrap().verbs, ["stop"]);
    }

    #[test]
    fn static_units_count_as_enabled() {
        let s = status("LoadState=loaded\nActiveState=inactive\nUnitFileState=static\n");
        assert!(decide("x", &s, Want { enabled: Some(true), ..Want::default() }).unwrap().verbs.is_empty());
    }

    #[test]
    fn unknown_units_fail_like_ansible_but_can_be_masked() {
        let want = Want { state: Some(Wanted::Started), ..Want::default() };
        assert_eq!(
            decide("nope", &status(MISSING), want),
            Err("Could not find the requested service nope: host".into())
        );
        let mask = Want { masked: Some(true), ..Want::default() };
        assert_eq!(decide("nope", &status(MISSING), mask).unwrap().verbs, ["mask"]);
        let masked = status("LoadState=masked\nActiveState=inactive\nUnitFileState=masked\n");
        assert!(decide("nope", &masked, mask).unwrap().verbs.is_empty());
        let unmask = Want { masked: Some(false), ..Want::default() };
        assert_eq!(decide("nope", &masked, unmask).unwrap().verbs, ["unmask"]);
    }

    #[test]
    fn missing_active_state_is_an_unknown_state() {
        let s = status("LoadState=loaded\n");
        let want = Want { state: Some(Wanted::Started), ..Want::default() };
        assert_eq!(decide("x", &s, want), Err("Service is in unknown state".into()));
    }
}
