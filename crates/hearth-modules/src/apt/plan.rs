//! The apt module's decision: from dpkg's state and a simulated apt-get run to "nothing to do"
//! or one apt-get command with a summary of every package it changes. A stale cache makes the
//! whole decision move into the action (after `apt-get update`), so check mode never updates.

use super::apt_get::{Work, apply, simulate};
use super::debver;
use super::host::{AptRunner, AptState, read_state};
use super::params::Apt;
use super::parse::{PkgSpec, parse_policy, parse_spec, resolve_glob};
use crate::module::{Ctx, ModuleError, Plan};
use hearth_formats::value::{Map, Value};

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
            let targets = install_targets(p, runner, specs, st, s)?;
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

/// The `name` or `name=version` words to install for `present`, `latest` or `fixed`: version
/// globs resolved against `apt-cache policy`, downgrades refused unless allowed.
fn install_targets(
    p: &Apt,
    runner: &AptRunner,
    specs: &[PkgSpec],
    st: &AptState,
    s: &str,
) -> Result<Vec<String>, ModuleError> {
    let allow_down = p.allow_downgrade || p.force;
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
    Ok(targets)
}
