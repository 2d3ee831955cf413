//! The engine: runs plays over hosts with Ansible's linear strategy. It owns check mode, emits
//! events for the reporter and never prints. Facts and registered results live for the whole
//! run, across plays, like Ansible's.

mod async_job;
pub mod connect;
mod delegate;
mod environment;
mod host_line;
mod host_setup;
mod interrupt;
pub mod login;
pub mod loops;
mod module_run;
mod nolog;
pub mod options;
pub mod outcome;
mod overrides;
pub mod play;
mod retry;
mod scope;
mod single;
pub mod state;
pub mod tags;
pub mod task;
mod task_loop;
mod timeout;
pub mod vars;

use indexmap::IndexMap;

use crate::load::LoadError;
use crate::load::inventory::Inventory;
use crate::load::playbook::{Play, Playbook, load_vars_file};
use crate::report::{Event, Reporter, Stats};
pub use connect::Pool;
use hearth_formats::value::Value;
use hearth_formats::yaml::Pos;
use hearth_template::Templar;
use hearth_transport::Local;
use host_setup::{connection_spec, host_state, layers_for};
pub use interrupt::{interrupted, request_interrupt};
pub use options::Options;
use play::PlayRun;
use vars::{HostLayers, PlayLayers};

/// Errors that stop the whole run (not per-host failures).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A file needed at run time (vars_files) is missing or invalid.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A play's `hosts:` pattern is invalid.
    #[error("{pos}: {message}")]
    Pattern { pos: Pos, message: String },
}

/// How the run went, for the exit code.
#[derive(Debug, Default)]
pub struct Summary {
    /// Recap counters per host, in order of first appearance.
    pub stats: IndexMap<String, Stats>,
}

impl Summary {
    /// Hosts that changed something, with their changed count, in recap order (what `hearth
    /// lab demo` reports of each run).
    pub fn changed_hosts(&self) -> Vec<(String, u32)> {
        self.stats.iter().filter(|(_, s)| s.changed > 0).map(|(h, s)| (h.clone(), s.changed)).collect()
    }

    /// True when some host had an unignored failure.
    pub fn any_failed(&self) -> bool {
        self.stats.values().any(|s| s.failed > 0)
    }

    /// True when some host was unreachable.
    pub fn any_unreachable(&self) -> bool {
        self.stats.values().any(|s| s.unreachable > 0)
    }
}

/// Runs every play of a playbook.
pub fn run_playbook(
    pb: &Playbook,
    inv: &Inventory,
    opts: &Options,
    reporter: &mut dyn Reporter,
    pool: &Pool,
) -> Result<Summary, ExecError> {
    let templar = Templar::new();
    let mut all: IndexMap<String, HostLayers> = IndexMap::new();
    for h in inv.hosts() {
        all.insert(h.name.clone(), layers_for(inv, &h.name));
    }
    let mut summary = Summary::default();
    for play in &pb.plays {
        if interrupted() {
            break;
        }
        run_play(play, inv, opts, &templar, &mut all, &mut summary, reporter, pool)?;
    }
    // Sorted by host name, as Ansible's default callback prints its recap.
    let mut recap: Vec<(String, Stats)> = summary.stats.iter().map(|(h, s)| (h.clone(), s.clone())).collect();
    recap.sort_by(|a, b| a.0.cmp(&b.0));
    reporter.event(&Event::Recap(recap));
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn run_play(
    play: &Play,
    inv: &Inventory,
    opts: &Options,
    templar: &Templar,
    all: &mut IndexMap<String, HostLayers>,
    summary: &mut Summary,
    reporter: &mut dyn Reporter,
    pool: &Pool,
) -> Result<(), ExecError> {
    let hosts = play_hosts(play, inv, opts, templar, reporter)?;
    reporter.event(&Event::PlayStart { name: play.name.clone() });
    if hosts.is_empty() {
        reporter.event(&Event::NoHostsMatched);
        return Ok(());
    }
    let mut layers = play_layers(play, inv, opts, templar, &hosts)?;
    layers.add_roles(&play.roles);
    for batch in batches(play, &hosts) {
        let specs = batch
            .iter()
            .map(|h| (h.clone(), connection_spec(h, play, inv, opts, templar, all, &Default::default())))
            .collect();
        pool.open(specs, opts);
        let states = batch.iter().map(|h| host_state(h, inv, all, pool)).collect();
        let mut run = PlayRun {
            play,
            layers: layers.clone(),
            hosts: states,
            templar,
            opts,
            reporter: &mut *reporter,
            local: Local,
            others: all.clone(),
            pool,
            inv,
        };
        run.run();
        // Facts delegated to hosts outside the batch (delegate_facts) are kept too.
        for (name, layers) in std::mem::take(&mut run.others) {
            if !run.hosts.iter().any(|h| h.name == name) {
                all.insert(name, layers);
            }
        }
        for h in run.hosts {
            let stats = summary.stats.entry(h.name.clone()).or_default();
            add_stats(stats, &h.stats);
            all.insert(h.name.clone(), h.layers);
        }
    }
    Ok(())
}

fn add_stats(into: &mut Stats, s: &Stats) {
    into.ok += s.ok;
    into.changed += s.changed;
    into.unreachable += s.unreachable;
    into.failed += s.failed;
    into.skipped += s.skipped;
    into.rescued += s.rescued;
    into.ignored += s.ignored;
}

/// Hosts of a play: its pattern (templated with extra vars), narrowed by `--limit`; terms that
/// match nothing are warned about, like Ansible does.
fn play_hosts(
    play: &Play,
    inv: &Inventory,
    opts: &Options,
    templar: &Templar,
    reporter: &mut dyn Reporter,
) -> Result<Vec<String>, ExecError> {
    let err = |message: String| ExecError::Pattern { pos: play.hosts_pos.clone(), message };
    let ctx = templar.context(&opts.extra_vars);
    let pattern = templar.render_str(&play.hosts, &ctx).map_err(|e| err(format!("hosts: {}", e.message)))?;
    let resolved = inv.resolve_limited(&pattern, opts.limit.as_deref()).map_err(|e| err(e.to_string()))?;
    for term in &resolved.unmatched {
        reporter.event(&Event::Warning(format!("Could not match supplied host pattern, ignoring: {term}")));
    }
    let mut hosts = resolved.hosts;
    play.order.arrange(&mut hosts);
    Ok(hosts)
}

/// `serial:` batches (a number or a percentage); one batch without it.
fn batches(play: &Play, hosts: &[String]) -> Vec<Vec<String>> {
    let size = match &play.serial {
        Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
        Some(Value::String(s)) => match s.trim().strip_suffix('%') {
            Some(p) => p
                .trim()
                .parse::<f64>()
                .ok()
                .map(|p| ((hosts.len() as f64) * p / 100.0).floor().max(1.0) as usize),
            None => s.trim().parse().ok(),
        },
        _ => None,
    };
    match size {
        Some(n) if n > 0 => hosts.chunks(n).map(<[String]>::to_vec).collect(),
        _ => vec![hosts.to_vec()],
    }
}

fn play_layers(
    play: &Play,
    inv: &Inventory,
    opts: &Options,
    templar: &Templar,
    hosts: &[String],
) -> Result<PlayLayers, ExecError> {
    let mut layers = PlayLayers {
        play_vars: play.vars.clone(),
        extra_vars: opts.extra_vars.clone(),
        ..Default::default()
    };
    let mut ctx_vars = play.vars.clone();
    ctx_vars.extend(opts.extra_vars.clone());
    for (name, pos) in &play.vars_files {
        let ctx = templar.context(&ctx_vars);
        let file = templar
            .render_str(name, &ctx)
            .map_err(|e| LoadError::at(pos, format!("vars_files: {}", e.message)))?;
        let path = play.dir.join(&file);
        if !path.is_file() {
            return Err(LoadError::NotFound {
                pos: pos.clone(),
                what: "vars file",
                path: file.into(),
                looked: play.dir.display().to_string(),
            }
            .into());
        }
        layers.vars_files.extend(load_vars_file(&path)?);
    }
    let m = &mut layers.magic;
    let names: Vec<Value> = hosts.iter().map(|h| Value::String(h.clone())).collect();
    m.insert("groups".into(), Value::Object(inv.groups_map()));
    m.insert("playbook_dir".into(), Value::String(play.dir.display().to_string()));
    m.insert("ansible_play_hosts".into(), Value::Array(names.clone()));
    m.insert("ansible_play_hosts_all".into(), Value::Array(names.clone()));
    m.insert("ansible_play_batch".into(), Value::Array(names));
    m.insert("ansible_play_name".into(), Value::String(play.name.clone()));
    m.insert("ansible_check_mode".into(), Value::Bool(opts.check));
    m.insert("ansible_diff_mode".into(), Value::Bool(opts.diff));
    m.insert("ansible_verbosity".into(), Value::from(opts.verbosity));
    m.insert(
        "ansible_run_tags".into(),
        Value::from(if opts.tags.is_empty() { vec!["all".to_string()] } else { opts.tags.clone() }),
    );
    m.insert("ansible_skip_tags".into(), Value::from(opts.skip_tags.clone()));
    m.insert("ansible_version".into(), ansible_version());
    Ok(layers)
}

/// The ansible-core release hearth follows (its behaviour is checked against this version).
pub const ANSIBLE_COMPAT_VERSION: (u64, u64, u64) = (2, 18, 19);

/// `ansible_version`: the ansible-core version playbooks see, for `is version(...)` checks.
pub fn ansible_version() -> Value {
    let (major, minor, revision) = ANSIBLE_COMPAT_VERSION;
    let full = format!("{major}.{minor}.{revision}");
    serde_json::json!({
        "full": full,
        "major": major,
        "minor": minor,
        "revision": revision,
        "string": full,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hosts_with_changes_are_listed() {
        let mut s = Summary::default();
        s.stats.insert("lab1".into(), Stats { changed: 2, ..Stats::default() });
        s.stats.insert("lab2".into(), Stats::default());
        assert_eq!(s.changed_hosts(), [("lab1".to_string(), 2)]);
    }
}
