//! The apt-get command lines of `apt`: the simulation (`apt-get -s`, whose operations say what
//! would change) and the real non-interactive run, with the options the parameters ask for.
//! What to ask apt-get for is decided elsewhere (`plan.rs`, `deb.rs`).

use super::host::{AptRunner, output_fields};
use super::params::Apt;
use super::parse::{SimOp, parse_simulation};
use crate::module::ModuleError;
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// One apt-get command to run and what it changes.
pub struct Work {
    /// apt-get arguments after the common options (`install x=1`, `remove --purge y`).
    pub sub: Vec<String>,
    /// Which packages change, for the task's reason line.
    pub summary: String,
    /// A downloaded `.deb` directory to remove afterwards.
    pub cleanup: Option<String>,
}

/// Runs `apt-get -s` for `sub`: no operations means nothing to do.
pub fn simulate(
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
pub fn apply(p: &Apt, runner: &AptRunner, w: Work) -> Result<Map, ModuleError> {
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
