//! `ansible.builtin.iptables`: one rule, a chain's policy, a flush, or a user chain, with
//! Ansible's decisions: a rule is present when `iptables -C` with the same words (built by
//! [`iptables_rule::construct`] in Ansible's order) succeeds, and is added with `-A`/`-I` or
//! removed with `-D`; a policy is read from the `-L` header. Like Ansible, it does not save the
//! rules (use `iptables-save`/netfilter-persistent for that) and does not expand `~`/`$VAR` in
//! the words (Ansible's `run_command` does).

use super::iptables_params::{Action, IpVersion, State};
use super::iptables_rule::{self, construct};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Map;
use hearth_transport::{Cmd, CmdOutput, TransportError};

/// The parameters, defined with their choice enums in `iptables_params.rs`; named here too so
/// the registry and callers find the module's struct under the module's name.
pub use super::iptables_params::Iptables;

/// Ansible's `log_level` choices.
const LOG_LEVELS: &[&str] = &[
    "0", "1", "2", "3", "4", "5", "6", "7", "emerg", "alert", "crit", "error", "warning", "notice", "info",
    "debug",
];

impl Iptables {
    /// Ansible's argument-spec checks that serde cannot express.
    fn validate(&self) -> Result<(), String> {
        if self.flush && self.policy.is_some() {
            return Err("parameters are mutually exclusive: flush|policy".into());
        }
        if !self.flush && self.chain.is_none() {
            return Err("flush is False but all of the following are missing: chain".into());
        }
        if self.jump.as_deref().is_some_and(|j| j == "TEE" || j == "tee") && self.gateway.is_none() {
            return Err(format!(
                "jump is {} but all of the following are missing: gateway",
                self.jump.as_deref().unwrap_or("")
            ));
        }
        if self.set_dscp_mark.is_some() && self.set_dscp_mark_class.is_some() {
            return Err("parameters are mutually exclusive: set_dscp_mark|set_dscp_mark_class".into());
        }
        for (key, v) in
            [("set_dscp_mark", &self.set_dscp_mark), ("set_dscp_mark_class", &self.set_dscp_mark_class)]
        {
            if v.is_some() && self.jump.is_none() {
                return Err(format!("missing parameter(s) required by '{key}': jump"));
            }
        }
        if let Some(l) = &self.log_level
            && !LOG_LEVELS.contains(&l.as_str())
        {
            return Err(format!("value of log_level must be one of: {}, got: {l}", LOG_LEVELS.join(", ")));
        }
        Ok(())
    }

    fn program(&self) -> &'static str {
        if self.ip_version == IpVersion::Ipv6 { "ip6tables" } else { "iptables" }
    }

    /// The result fields Ansible reports whatever happens.
    fn result(&self) -> Map {
        let mut r = Map::new();
        r.insert(
            "ip_version".into(),
            if self.ip_version == IpVersion::Ipv6 { "ipv6" } else { "ipv4" }.into(),
        );
        r.insert("table".into(), self.table.name().into());
        r.insert("chain".into(), self.chain.clone().map_or(serde_json::Value::Null, Into::into));
        r.insert("flush".into(), self.flush.into());
        r.insert("rule".into(), construct(self).join(" ").into());
        r.insert("state".into(), if self.state == State::Present { "present" } else { "absent" }.into());
        r.insert("chain_management".into(), self.chain_management.into());
        r
    }
}

/// The current policy from the first line of `iptables -L CHAIN`: `Chain INPUT (policy DROP)`.
pub fn policy_of(listing: &str) -> Option<&str> {
    let header = listing.lines().next()?;
    let rest = header.split_once("(policy ")?.1;
    let word = rest.split(')').next()?;
    (!word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase())).then_some(word)
}

impl Module for Iptables {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        self.validate().map_err(ModuleError::msg)?;
        let result = self.result();
        let mut p = self.clone();
        if p.log_prefix.is_some() || p.log_level.is_some() {
            match p.jump.as_deref() {
                None => p.jump = Some("LOG".into()),
                Some("LOG") => {}
                Some(_) => {
                    return Err(ModuleError::msg(
                        "Logging options can only be used with the LOG jump target.",
                    ));
                }
            }
        }
        let program = self.program();
        run(ctx, &[program.to_string(), "--version".into()], &result, true)?;
        let has_rule = !construct(self).is_empty();
        let step = |action: &str, rule: bool, extra: Option<&str>| {
            let mut argv = iptables_rule::command(&p, program, action, rule);
            argv.extend(extra.map(str::to_string));
            argv
        };
        let list = |p: &Iptables| {
            let mut argv = iptables_rule::command(p, program, "-L", false);
            if p.numeric {
                argv.push("--numeric".into());
            }
            argv
        };
        let (changed, command, what) = if self.flush {
            (true, Some(step("-F", false, None)), "flush".to_string())
        } else if let Some(policy) = self.policy {
            let out = run(ctx, &list(&p), &result, true)?;
            let want = policy.name().to_string();
            let Some(have) = policy_of(&text(&out.stdout)).map(str::to_string) else {
                return Err(ModuleError::Failed { msg: "Can't detect current policy".into(), result });
            };
            (have != want, Some(step("-P", false, Some(&want))), format!("policy {have} -> {want}"))
        } else if !has_rule {
            let present = run(ctx, &list(&p), &result, false)?.rc == 0;
            let absent = self.state == State::Absent;
            let (action, what) = if absent { ("-X", "delete chain") } else { ("-N", "create chain") };
            let command = self.chain_management.then(|| step(action, false, None));
            (present == absent, command, what.to_string())
        } else {
            let present = run(ctx, &step("-C", true, None), &result, false)?.rc == 0;
            let want = self.state == State::Present;
            let action = match (want, self.action) {
                (false, _) => "-D",
                (true, Action::Append) => "-A",
                (true, Action::Insert) => "-I",
            };
            (present != want, Some(step(action, true, None)), format!("{action} rule"))
        };
        if !changed {
            let mut plan = Plan::ok(format!("{what}: already so"));
            plan.result = result;
            return Ok(plan);
        }
        let summary = command.as_ref().map_or(what, |c| c.join(" "));
        let keep = result.clone();
        let mut plan = Plan::change(
            summary,
            Box::new(move |ctx: &Ctx| {
                if let Some(argv) = command {
                    run(ctx, &argv, &keep, true)?;
                }
                Ok(Map::new())
            }),
        );
        plan.result = result;
        Ok(plan)
    }
}

/// Runs one iptables command. A missing program fails like Ansible's `get_bin_path`; with
/// `check`, a non-zero exit fails with Ansible's `cmd`, `rc`, `stdout`, `stderr` and `msg`.
fn run(ctx: &Ctx, argv: &[String], result: &Map, check: bool) -> Result<CmdOutput, ModuleError> {
    let out = match ctx.host.run(&Cmd::new(argv)) {
        Ok(out) if out.rc == 127 || text(&out.stderr).contains(hearth_transport::script::NO_PROGRAM) => None,
        Ok(out) => Some(out),
        Err(TransportError::Spawn { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let program = argv.first().map_or("iptables", String::as_str);
    let Some(out) = out else {
        return Err(ModuleError::Failed {
            msg: format!("Failed to find required executable \"{program}\""),
            result: result.clone(),
        });
    };
    if out.rc == 0 || !check {
        return Ok(out);
    }
    let mut result = result.clone();
    result.insert("cmd".into(), argv.join(" ").into());
    result.insert("rc".into(), out.rc.into());
    result.insert("stdout".into(), text(&out.stdout).into());
    result.insert("stderr".into(), text(&out.stderr).into());
    let msg = text(if out.stderr.is_empty() { &out.stdout } else { &out.stderr }).trim_end().to_string();
    Err(ModuleError::Failed { msg, result })
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policy_from_the_listing_header() {
        assert_eq!(policy_of("Chain INPUT (policy DROP)\ntarget prot\n"), Some("DROP"));
        assert_eq!(policy_of("Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n"), None);
        assert_eq!(policy_of("Chain f2b (1 references)\n"), None);
    }

    #[test]
    fn argument_spec_rules() {
        let bad =
            |v: serde_json::Value| serde_json::from_value::<Iptables>(v).unwrap().validate().unwrap_err();
        assert!(bad(json!({"jump": "ACCEPT"})).contains("missing: chain"));
        assert!(
            bad(json!({"flush": true, "policy": "DROP", "chain": "INPUT"})).contains("mutually exclusive")
        );
        assert!(bad(json!({"chain": "X", "jump": "TEE"})).contains("gateway"));
        assert!(bad(json!({"chain": "X", "log_level": "loud"})).contains("log_level must be one of"));
        assert!(
            bad(json!({"chain": "X", "set_dscp_mark": "1"})).contains("required by 'set_dscp_mark': jump")
        );
        assert!(serde_json::from_value::<Iptables>(json!({"chain": "X", "policy": "drop"})).is_err());
        let ok: Iptables = serde_json::from_value(json!({"flush": true})).unwrap();
        assert!(ok.validate().is_ok());
        assert_eq!(ok.result()["rule"], "");
    }
}
