//! The apt module's decision: from dpkg's state and a simulated apt-get run to "nothing to do"
//! or one apt-get command with a summary of every package it changes. A stale cache makes the
//! whole decision move into the action (after `apt-get update`), so check mode never updates.

use super::host::{AptRunner, AptState, output_fields, read_state};
use super::parse::{PkgSpec, SimOp, parse_policy, parse_simulation, parse_spec, resolve_glob};
use super::{Apt, debver};
use crate::{Ctx, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// One apt-get command to run and what it changes.
pub(super) struct Work {
    /// apt-get arguments after the common options (`install x=1`, `remove --purge y`).
    pub(super) sub: Vec<String>,
    /// Which packages change, for the task's reason line.
    pub(super) summary: String,
    /// A downloaded `.deb` directory to remove afterwards.
    pub(super) cleanup: Option<String>,
}

const STATES: &[&str] = &["present", "absent", "latest", "fixed", "installed", "removed"];

/// Plans an apt task (see the module header).
pub fn plan(p: &Apt, ctx: &Ctx) -> Result<Plan, ModuleError> {
    if !STATES.contains(&p.state.as_str()) {
        return Err(ModuleError::msg(format!(
            "value of state must be one of: absent, fixed, latest, present, got: {}",
            p.state
        )));
    }
    if p.deb.is_some() && state(p) != "present" {
        return Err(ModuleError::msg("deb only supports state=present"));
    }
    if p.deb.is_some() && !p.name.is_empty() {
        return Err(ModuleError::msg("parameters are mutually exclusive: deb|name"));
    }
    let specs = specs(p)?;
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let runner = AptRunner { host: ctx.host, lock_timeout: p.lock_timeout.max(0) as u64 };
    let st = read_state(ctx.host, &names)?;
    let want_update = p.update_cache || p.cache_valid_time > 0;
    let stale = want_update && (p.cache_valid_time <= 0 || st.cache_mtime + p.cache_valid_time < st.now);
    if stale {
        // The current cache may not know the packages yet (a repository just added): a failed
        // decision is retried after the update, inside the action.
        let summary = match decide(p, &runner, &specs, &st, false) {
            Ok(Some(w)) => format!("update the apt cache, then {}", w.summary),
            Ok(None) => "update the apt cache".to_string(),
            Err(_) => format!("update the apt cache, then {} {}", state(p), names.join(", ")),
        };
        let (p, nothing_else) = (p.clone(), specs.is_empty() && p.deb.is_none() && !p.autoremove);
        let action = Box::new(move |ctx: &Ctx| {
            let runner = AptRunner { host: ctx.host, lock_timeout: p.lock_timeout.max(0) as u64 };
            runner.update_cache()?;
            let st = read_state(ctx.host, &names)?;
            let mut r = match decide(&p, &runner, &specs, &st, true)? {
                Some(w) => apply(&p, &runner, w)?,
                None => {
                    let mut r = Map::new();
                    r.insert("changed".into(), Value::Bool(nothing_else));
                    r
                }
            };
            r.insert("cache_updated".into(), Value::Bool(true));
            r.insert("cache_update_time".into(), Value::from(st.cache_mtime));
            Ok(r)
        });
        return Ok(Plan::change(summary, action).with("cache_updated", true));
    }
    let plan = match decide(p, &runner, &specs, &st, false)? {
        None => Plan::ok(ok_reason(p, &names)),
        Some(w) => {
            let p = p.clone();
            let summary = w.summary.clone();
            Plan::change(
                summary,
                Box::new(move |ctx: &Ctx| {
                    let runner = AptRunner { host: ctx.host, lock_timeout: p.lock_timeout.max(0) as u64 };
                    // A URL .deb is fetched again: the plan removed its copy (check mode leaves nothing).
                    let w =
                        if p.deb.is_some() { decide(&p, &runner, &[], &st_empty(), true)? } else { Some(w) };
                    match w {
                        Some(w) => apply(&p, &runner, w),
                        None => Ok(Map::new()),
                    }
                }),
            )
        }
    };
    Ok(plan.with("cache_updated", false).with("cache_update_time", st.cache_mtime))
}

fn st_empty() -> AptState {
    AptState { now: 0, cache_mtime: 0, packages: Default::default() }
}

/// Ansible's aliases: `installed` is `present`, `removed` is `absent`.
fn state(p: &Apt) -> &str {
    match p.state.as_str() {
        "installed" => "present",
        "removed" => "absent",
        s => s,
    }
}

fn specs(p: &Apt) -> Result<Vec<PkgSpec>, ModuleError> {
    let specs: Vec<PkgSpec> = p
        .name
        .iter()
        .filter(|n| *n != "*")
        .map(|n| parse_spec(n))
        .collect::<Result<_, _>>()
        .map_err(ModuleError::msg)?;
    if p.name.iter().any(|n| n == "*") {
        return Err(ModuleError::msg(
            "name '*' (upgrade everything) is not supported; use state: latest with names",
        ));
    }
    if state(p) == "latest"
        && let Some(s) = specs.iter().find(|s| s.version.is_some())
    {
        return Err(ModuleError::msg(format!("state=latest does not take a version: {}", s.name)));
    }
    Ok(specs)
}

fn ok_reason(p: &Apt, names: &[String]) -> String {
    let what = match state(p) {
        "absent" => "absent",
        "latest" => "at their latest version",
        _ => "installed as requested",
    };
    if names.is_empty() { "nothing to do".into() } else { format!("{} already {what}", names.join(", ")) }
}

/// Computes the apt-get command (or nothing) from dpkg's state and a simulation.
fn decide(
    p: &Apt,
    runner: &AptRunner,
    specs: &[PkgSpec],
    st: &AptState,
    keep_deb: bool,
) -> Result<Option<Work>, ModuleError> {
    if let Some(deb) = &p.deb {
        return super::deb::decide(p, runner, deb, keep_deb);
    }
    let allow_down = p.allow_downgrade || p.force;
    let mut sub: Vec<String> = Vec::new();
    match state(p) {
        "absent" => {
            let targets: Vec<String> = specs
                .iter()
                .filter(|s| {
                    st.packages.get(&s.name).is_some_and(|i| {
                        (i.installed && s.accepts(&i.version)) || (p.purge && i.config_files)
                    })
                })
                .map(|s| s.name.clone())
                .collect();
            if targets.is_empty() && !p.autoremove {
                return Ok(None);
            }
            sub.push(if targets.is_empty() { "autoremove" } else { "remove" }.into());
            if p.purge {
                sub.push("--purge".into());
            }
            sub.extend(targets);
        }
        s => {
            let policy = if specs.iter().any(PkgSpec::is_glob) {
                let mut argv = vec!["apt-cache".to_string(), "policy".into()];
                argv.extend(specs.iter().map(|s| s.name.clone()));
                parse_policy(&String::from_utf8_lossy(&runner.run(argv)?.stdout))
            } else {
                Default::default()
            };
            let mut targets = Vec::new();
            for spec in specs {
                let inst = st.packages.get(&spec.name).filter(|i| i.installed);
                if s == "present" && inst.is_some_and(|i| spec.accepts(&i.version)) {
                    continue;
                }
                let version = match (&spec.version, spec.is_glob()) {
                    (Some(g), true) => {
                        let avail = policy.get(&spec.name).map(|p| p.versions.as_slice()).unwrap_or(&[]);
                        Some(resolve_glob(g, avail).ok_or_else(|| {
                            ModuleError::msg(format!("no available version of {} matches {g}", spec.name))
                        })?)
                    }
                    (v, _) => v.clone(),
                };
                if let (Some(i), Some(v)) = (inst, &version)
                    && debver::compare(v, &i.version).is_lt()
                    && !allow_down
                {
                    return Err(ModuleError::msg(format!(
                        "{}: installed version {} is newer than the requested {v}; set allow_downgrade: true \
                         to downgrade",
                        spec.name, i.version
                    )));
                }
                targets.push(match version {
                    Some(v) => format!("{}={v}", spec.name),
                    None => spec.name.clone(),
                });
            }
            if targets.is_empty() && s == "present" && !p.autoremove {
                return Ok(None);
            }
            if targets.is_empty() && s == "present" {
                sub.push("autoremove".into());
                if p.purge {
                    sub.push("--purge".into());
                }
            } else {
                sub.push("install".into());
                if s == "fixed" {
                    sub.push("--fix-broken".into());
                }
                sub.extend(targets);
            }
        }
    }
    simulate(p, runner, sub, None)
}

/// Runs `apt-get -s` for `sub`: no operations means nothing to do.
pub(super) fn simulate(
    p: &Apt,
    runner: &AptRunner,
    sub: Vec<String>,
    cleanup: Option<String>,
) -> Result<Option<Work>, ModuleError> {
    let out = runner.run(argv(p, runner, &sub, true))?;
    if out.rc != 0 {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why: Vec<&str> = stderr.lines().filter(|l| l.starts_with("E:")).collect();
        let why = if why.is_empty() { stderr.trim().to_string() } else { why.join("; ") };
        let mut r = output_fields(&out);
        r.insert("rc".into(), Value::from(out.rc));
        return Err(ModuleError::Failed { msg: format!("apt-get {}: {why}", sub.join(" ")), result: r });
    }
    let ops = parse_simulation(&String::from_utf8_lossy(&out.stdout));
    if ops.is_empty() {
        return Ok(None);
    }
    Ok(Some(Work { sub, summary: summarize(&ops), cleanup }))
}

/// `install: a (1.0), b (1 => 2); remove: c (3, removed)`.
fn summarize(ops: &[SimOp]) -> String {
    let (inst, rm): (Vec<&SimOp>, Vec<&SimOp>) = ops.iter().partition(|o| matches!(o, SimOp::Inst { .. }));
    let list = |v: &[&SimOp]| v.iter().map(|o| o.describe()).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    if !inst.is_empty() {
        parts.push(format!("install: {}", list(&inst)));
    }
    if !rm.is_empty() {
        parts.push(format!("remove: {}", list(&rm)));
    }
    parts.join("; ")
}

/// The full apt-get argv: simulation or the real non-interactive run, with the options.
fn argv(p: &Apt, runner: &AptRunner, sub: &[String], simulate: bool) -> Vec<String> {
    let mut a: Vec<String> = vec!["apt-get".into()];
    a.extend(if simulate { vec!["-s"] } else { vec!["-y", "-q"] }.into_iter().map(String::from));
    a.extend(runner.lock_option());
    for o in p.dpkg_options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        a.extend(["-o".into(), format!("Dpkg::Options::=--{o}")]);
    }
    match p.install_recommends {
        Some(true) => a.extend(["-o".into(), "APT::Install-Recommends=yes".into()]),
        Some(false) => a.push("--no-install-recommends".into()),
        None => {}
    }
    for (on, flag) in [
        (p.allow_downgrade || p.force, "--allow-downgrades"),
        (p.allow_unauthenticated || p.force, "--allow-unauthenticated"),
        (p.allow_change_held_packages || p.force, "--allow-change-held-packages"),
        (p.only_upgrade, "--only-upgrade"),
        (p.autoremove && sub.first().is_some_and(|s| s != "autoremove"), "--auto-remove"),
    ] {
        if on {
            a.push(flag.into());
        }
    }
    if let Some(r) = &p.default_release {
        a.extend(["-t".into(), r.clone()]);
    }
    a.extend(sub.iter().cloned());
    a
}

/// Runs the change for real and removes a downloaded .deb.
fn apply(p: &Apt, runner: &AptRunner, w: Work) -> Result<Map, ModuleError> {
    let res = runner.must(argv(p, runner, &w.sub, false), "change packages");
    if let Some(dir) = &w.cleanup {
        let _ = runner.host.run(&Cmd::new(["rm", "-rf", dir.as_str()]));
    }
    let mut r = res?;
    r.insert("msg".into(), Value::String(w.summary));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_list_every_package() {
        let ops = parse_simulation("Inst a (1.0 x [all])\nInst b [1] (2 x [all])\nRemv c [3]\n");
        assert_eq!(summarize(&ops), "install: a (1.0), b (1 => 2); remove: c (3, removed)");
    }
}
