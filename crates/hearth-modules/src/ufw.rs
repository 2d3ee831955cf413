//! `community.general.ufw`: ufw's state, default policies, logging and one rule, decided the
//! way community.general does: `ufw status verbose` and the `### tuple` lines of the user rules
//! files are read first; a rule's effect is predicted with `ufw --dry-run RULE` (compared with
//! those lines); after acting, changed means the status or the rules lines differ (or a
//! reload/reset/logging change). Commands are community.general's command lines, split like
//! its `run_command` splits them. The pure parts are in [`super::ufw_plan`].

use super::ufw_plan::{self, RULES_FILES};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// The parameters, defined in `ufw_params.rs`; named here too so the registry and callers find
/// the module's struct under the module's name.
pub use super::ufw_params::Ufw;

/// Each parameter with a fixed set of values, and the values.
const CHOICES: &[(&str, &[&str])] = &[
    ("state", &["enabled", "disabled", "reloaded", "reset"]),
    ("default", &["allow", "deny", "reject"]),
    ("logging", &["full", "high", "low", "medium", "off", "on"]),
    ("direction", &["in", "incoming", "out", "outgoing", "routed"]),
    ("insert_relative_to", &["zero", "first-ipv4", "last-ipv4", "first-ipv6", "last-ipv6"]),
    ("rule", &["allow", "deny", "limit", "reject"]),
    ("proto", &["ah", "any", "esp", "ipv6", "tcp", "udp", "gre", "igmp", "vrrp"]),
];

impl Ufw {
    fn value(&self, key: &str) -> Option<&str> {
        match key {
            "state" => self.state.as_deref(),
            "default" => self.default.as_deref(),
            "logging" => self.logging.as_deref(),
            "direction" => self.direction.as_deref(),
            "insert_relative_to" => self.insert_relative_to.as_deref(),
            "rule" => self.rule.as_deref(),
            "proto" => self.proto.as_deref(),
            _ => None,
        }
    }

    /// community.general's argument-spec checks, with its messages.
    fn validate(&self) -> Result<(), String> {
        for (key, choices) in CHOICES {
            if let Some(v) = self.value(key)
                && !choices.contains(&v)
            {
                return Err(format!("value of {key} must be one of: {}, got: {v}", choices.join(", ")));
            }
        }
        let given = |v: &Option<String>| v.is_some();
        if [&self.name, &self.proto, &self.logging].iter().filter(|v| given(v)).count() > 1 {
            return Err("parameters are mutually exclusive: name|proto|logging".into());
        }
        for (other, key) in [(&self.interface_in, "interface_in"), (&self.interface_out, "interface_out")] {
            if given(&self.direction) && given(other) {
                return Err(format!("parameters are mutually exclusive: direction|{key}"));
            }
        }
        if ![&self.state, &self.default, &self.rule, &self.logging].iter().any(|v| given(v)) {
            return Err("one of the following is required: state, default, rule, logging".into());
        }
        if given(&self.interface) && !given(&self.direction) {
            return Err("missing parameter(s) required by 'interface': direction".into());
        }
        let dir = self.direction.as_deref();
        if self.default.is_some() && !matches!(dir, None | Some("outgoing" | "incoming" | "routed")) {
            return Err("For default, direction must be one of \"outgoing\", \"incoming\" and \"routed\", or direction must not be specified.".into());
        }
        if self.rule.is_some() && !matches!(dir, None | Some("in" | "out")) {
            return Err(
                "For rules, direction must be one of \"in\" and \"out\", or direction must not be specified."
                    .into(),
            );
        }
        if self.rule.is_some() && !self.route && given(&self.interface_in) && given(&self.interface_out) {
            return Err("Only route rules can combine interface_in and interface_out".into());
        }
        Ok(())
    }
}

/// Separates the sections of [`PROBE`]'s output.
const MARK: &str = "--hearth-ufw--";

/// Finds ufw and grep, then prints ufw's version line, `ufw status verbose` (and its exit
/// status on the mark line) and the rules files' `### tuple` lines.
const PROBE: &str = r#"ufw=$(command -v ufw) || { echo 'Failed to find required executable "ufw"' >&2; exit 127; }
g=$(command -v grep) || { echo 'Failed to find required executable "grep"' >&2; exit 127; }
printf '%s\n%s\n' "$ufw" "$g"
"$ufw" --version 2>/dev/null | head -n 1
echo "$1"
"$ufw" status verbose 2>&1
echo "$1 $?"
shift
"$g" -h '^### tuple' "$@" 2>/dev/null
exit 0"#;

/// What the probe found.
struct Found {
    ufw: String,
    grep: String,
    version: String,
    status: String,
    rules: String,
}

fn parse(out: &str) -> Result<Found, String> {
    let bad = || format!("unexpected output from the ufw probe: {out:?}");
    let (head, rest) = out.split_once(&format!("{MARK}\n")).ok_or_else(bad)?;
    let mut head = head.lines();
    let (ufw, grep) = (head.next().ok_or_else(bad)?, head.next().ok_or_else(bad)?);
    let (status, rest) = rest.split_once(&format!("{MARK} ")).ok_or_else(bad)?;
    let (rc, rules) = rest.split_once('\n').unwrap_or((rest, ""));
    if rc.trim() != "0" {
        return Err(status.trim_end().to_string());
    }
    Ok(Found {
        ufw: ufw.into(),
        grep: grep.into(),
        version: head.next().unwrap_or("").into(),
        status: status.into(),
        rules: rules.into(),
    })
}

/// Runs one community.general command line (split like Python's shlex) with `LANG=C`.
fn execute(ctx: &Ctx, line: &str, cmds: &mut Vec<String>, fail: bool) -> Result<String, ModuleError> {
    cmds.push(line.to_string());
    let failed = |msg: String, cmds: &[String]| {
        let mut result = Map::new();
        result.insert("commands".into(), Value::from(cmds.to_vec()));
        ModuleError::Failed { msg, result }
    };
    let argv =
        shlex::split(line).ok_or_else(|| failed(format!("cannot split the command {line:?}"), cmds))?;
    let mut cmd = Cmd::new(argv);
    cmd.env.push(("LANG".into(), "C".into()));
    let out = ctx.host.run(&cmd)?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    if out.rc != 0 && fail {
        return Err(failed(if stderr.is_empty() { stdout } else { stderr }, cmds));
    }
    Ok(stdout)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One command community.general would run, and whether it forces `changed`.
struct Step {
    line: String,
    forced: bool,
    /// A command community.general runs first only to read something (`ufw --version`).
    read: Option<String>,
}

impl Module for Ufw {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        self.validate().map_err(ModuleError::msg)?;
        let mut probe = vec!["/bin/sh".to_string(), "-c".into(), PROBE.into(), "sh".into(), MARK.into()];
        probe.extend(RULES_FILES.iter().map(|f| f.to_string()));
        let mut cmd = Cmd::new(probe);
        cmd.env.push(("LANG".into(), "C".into()));
        let out = ctx.host.run(&cmd)?;
        if out.rc != 0 {
            return Err(ModuleError::msg(text(&out.stderr).trim_end()));
        }
        let found = parse(&text(&out.stdout)).map_err(ModuleError::msg)?;
        let (ufw, pre) = (found.ufw.as_str(), found.status.as_str());
        let status_line = format!("{ufw} status verbose");
        let grep_line = format!("{} -h '^### tuple' {}", found.grep, RULES_FILES.join(" "));
        let mut cmds = vec![status_line.clone(), grep_line.clone()];
        let mut steps = Vec::new();
        let mut changes = false;
        if let Some(v) = &self.state {
            let word = match v.as_str() {
                "enabled" => "enable",
                "disabled" => "disable",
                "reloaded" => "reload",
                _ => "reset",
            };
            changes |= ufw_plan::state_changes(v, pre);
            steps.push(Step {
                line: format!("{ufw} -f {word}"),
                forced: matches!(v.as_str(), "reloaded" | "reset"),
                read: None,
            });
        }
        if let Some(v) = &self.default {
            changes |= ufw_plan::default_changes(v, self.direction.as_deref(), pre);
            let dir = self.direction.as_deref().map(|d| format!(" {d}")).unwrap_or_default();
            steps.push(Step { line: format!("{ufw} default {v}{dir}"), forced: false, read: None });
        }
        if self.rule.is_some() {
            let (changed, line) = self.plan_rule(ctx, &found, &mut cmds)?;
            changes |= changed;
            steps.push(Step { line, forced: false, read: Some(format!("{ufw} --version")) });
        }
        if let Some(v) = &self.logging {
            let forced = ufw_plan::logging_changes(v, pre);
            changes |= forced;
            steps.push(Step { line: format!("{ufw} logging {v}"), forced, read: None });
        }
        let mut result = Map::new();
        result.insert("commands".into(), Value::from(cmds.clone()));
        if !changes {
            let mut plan = Plan::ok("ufw status and rules already so");
            result.insert("msg".into(), pre.trim_end().into());
            plan.result = result;
            return Ok(plan);
        }
        let summary = steps.iter().map(|s| s.line.clone()).collect::<Vec<_>>().join("; ");
        let (pre, rules) = (found.status.clone(), found.rules.clone());
        let mut plan = Plan::change(
            summary,
            Box::new(move |ctx: &Ctx| {
                let mut cmds = vec![status_line.clone(), grep_line.clone()];
                let mut changed = false;
                for step in &steps {
                    cmds.extend(step.read.clone());
                    execute(ctx, &step.line, &mut cmds, true)?;
                    changed |= step.forced;
                }
                let post = execute(ctx, &status_line, &mut cmds, true)?;
                if !changed {
                    changed = post != pre || execute(ctx, &grep_line, &mut cmds, false)? != rules;
                }
                let mut r = Map::new();
                r.insert("changed".into(), changed.into());
                r.insert("commands".into(), Value::from(cmds));
                r.insert("msg".into(), post.trim_end().into());
                Ok(r)
            }),
        );
        plan.result = result;
        Ok(plan)
    }
}

impl Ufw {
    /// The rule's real command line, and whether its `--dry-run` says it would change the rules.
    fn plan_rule(
        &self,
        ctx: &Ctx,
        found: &Found,
        cmds: &mut Vec<String>,
    ) -> Result<(bool, String), ModuleError> {
        let ufw = found.ufw.as_str();
        let relative = self.insert_relative_to.as_deref().unwrap_or("zero");
        let insert_to = match self.insert {
            Some(n) if !self.delete && relative != "zero" => {
                let numbered = ctx.host.run(&Cmd::new([ufw, "status", "numbered"]))?;
                ufw_plan::insert_position(n, relative, &text(&numbered.stdout))
            }
            other => other,
        };
        cmds.push(format!("{ufw} --version"));
        let Some((major, minor)) = ufw_plan::version(&found.version) else {
            return Err(ModuleError::msg("Failed to get ufw version."));
        };
        let comments = major > 0 || minor >= 35;
        let p = self;
        let dry = execute(ctx, &ufw_plan::rule_command(p, ufw, true, insert_to, comments), cmds, true)?;
        let (from, to) = (self.from_ip.as_deref().unwrap_or("any"), self.to_ip.as_deref().unwrap_or("any"));
        let changed = ufw_plan::rule_changes(from, to, &found.rules, &dry);
        Ok((changed, ufw_plan::rule_command(p, ufw, false, insert_to, comments)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bad(v: serde_json::Value) -> String {
        serde_json::from_value::<Ufw>(v).unwrap().validate().unwrap_err()
    }

    #[test]
    fn argument_spec_rules() {
        assert!(bad(json!({"direction": "in"})).contains("one of the following is required"));
        assert!(
            bad(json!({"rule": "allow", "name": "OpenSSH", "proto": "tcp"})).contains("name|proto|logging")
        );
        assert!(bad(json!({"rule": "allow", "interface": "eth0"})).contains("required by 'interface'"));
        assert!(bad(json!({"rule": "allow", "direction": "incoming"})).starts_with("For rules"));
        assert!(bad(json!({"default": "deny", "direction": "in"})).starts_with("For default"));
        assert!(bad(json!({"rule": "allow", "if_in": "a", "if_out": "b"})).starts_with("Only route rules"));
        assert!(bad(json!({"state": "on"})).contains("value of state must be one of"));
        let ok: Ufw =
            serde_json::from_value(json!({"rule": "allow", "route": true, "if_in": "a", "if_out": "b"}))
                .unwrap();
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn probe_output() {
        let out = format!(
            "/usr/sbin/ufw\n/usr/bin/grep\nufw 0.36.2\n{MARK}\nStatus: inactive\n{MARK} 0\n### tuple ### allow any 22 0.0.0.0/0 any 0.0.0.0/0 in\n"
        );
        let f = parse(&out).unwrap();
        assert_eq!(
            (f.ufw.as_str(), f.version.as_str(), f.status.as_str()),
            ("/usr/sbin/ufw", "ufw 0.36.2", "Status: inactive\n")
        );
        assert_eq!(f.rules, "### tuple ### allow any 22 0.0.0.0/0 any 0.0.0.0/0 in\n");
        let failed = format!("/u/ufw\n/g\n\n{MARK}\nERROR: problem running\n{MARK} 1\n");
        assert_eq!(parse(&failed).err().as_deref(), Some("ERROR: problem running"));
    }
}
