//! Facts: what a host is (distribution, architecture, memory, addresses, service manager...),
//! gathered with one shell script in one round trip, parsed by pure functions, and shaped like
//! Ansible 2.18's `setup` output (`ansible_*` names). The engine stores them per host; this
//! module does not decide precedence or caching.

pub mod date_time;
pub mod distribution;
pub mod hardware;
pub mod interfaces;
pub mod mounts;
pub mod network;
pub mod parse;
pub mod python;
pub mod script;

use hearth_formats::value::{Map, Value};
use hearth_transport::{Cmd, Transport, TransportError};
pub use parse::Subset;

/// Runs the gather script on the host and parses its output (every subset). `python` is the
/// host's `ansible_python_interpreter`, reported instead of the discovered one.
pub fn gather(
    host: &dyn Transport,
    python: Option<&str>,
) -> Result<Vec<(String, Value, Subset)>, TransportError> {
    let mut cmd = Cmd::shell(script::GATHER_SCRIPT);
    cmd.env.extend(python.map(|p| ("HEARTH_PYTHON".to_string(), p.to_string())));
    let out = host.run(&cmd)?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(parse::parse(&text))
}

/// Why a `gather_subset` or `filter` is not usable.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// A subset name Ansible does not know.
    #[error(
        "Bad subset '{0}' given to Ansible. gather_subset options allowed: all, min, hardware, network, virtual, facter, ohai (and the names of fact collectors), optionally prefixed with '!'"
    )]
    Subset(String),
    /// A filter that is not a valid glob.
    #[error("setup: invalid filter '{0}': {1}")]
    Filter(String, String),
}

/// Collector names Ansible accepts in `gather_subset` that hearth answers from the minimal set.
const MIN_NAMES: &[&str] = &[
    "min",
    "distribution",
    "platform",
    "user",
    "env",
    "service_mgr",
    "pkg_mgr",
    "lsb",
    "date_time",
    "apparmor",
    "caps",
    "cmdline",
    "dns",
    "fips",
    "local",
    "python",
    "selinux",
    "ssh_pub_keys",
];

/// The minimal-set collector a fact comes from, for `!name` in `gather_subset`.
fn collector(fact: &str) -> Option<&'static str> {
    const PLATFORM: &[&str] = &[
        "system",
        "kernel",
        "kernel_version",
        "machine",
        "architecture",
        "nodename",
        "hostname",
        "fqdn",
        "domain",
        "machine_id",
        "userspace_bits",
        "userspace_architecture",
        "python_version",
    ];
    let name = fact.strip_prefix("ansible_")?;
    Some(match name {
        "date_time" => "date_time",
        "python" => "python",
        "env" => "env",
        "lsb" => "lsb",
        "service_mgr" => "service_mgr",
        "pkg_mgr" => "pkg_mgr",
        "os_family" => "distribution",
        n if n.starts_with("distribution") => "distribution",
        n if n.starts_with("user_") || n.starts_with("real_") || n.starts_with("effective_") => "user",
        n if PLATFORM.contains(&n) => "platform",
        _ => return None,
    })
}

/// Keeps the facts of the selected subsets whose names match one of the `filter` globs
/// (all when `filter` is empty), like `setup`'s `gather_subset` and `filter`.
pub fn select(
    facts: Vec<(String, Value, Subset)>,
    subsets: &[String],
    filter: &[String],
) -> Result<Map, SelectError> {
    let (mut min, mut hw, mut net) = (true, false, false);
    let tokens: Vec<&str> =
        if subsets.is_empty() { vec!["all"] } else { subsets.iter().map(String::as_str).collect() };
    let mut all_off = false;
    let mut excluded: Vec<&str> = Vec::new();
    for t in &tokens {
        let (neg, name) = match t.strip_prefix('!') {
            Some(n) => (true, n),
            None => (false, *t),
        };
        match name {
            "all" if neg => all_off = true,
            "all" => (hw, net) = (true, true),
            "hardware" | "devices" => hw = !neg,
            "network" | "interfaces" => net = !neg,
            "min" if neg => min = false,
            "virtual" | "facter" | "ohai" => {}
            n if MIN_NAMES.contains(&n) => {
                if neg {
                    excluded.push(n);
                }
            }
            other => return Err(SelectError::Subset(other.to_string())),
        }
    }
    // Like Ansible, a collector both excluded and named is gathered.
    excluded.retain(|n| !tokens.contains(n));
    if all_off {
        let positive = |n: &str| tokens.contains(&n);
        hw = positive("hardware") || positive("devices");
        net = positive("network") || positive("interfaces");
    }
    let patterns = filter
        .iter()
        .map(|f| glob::Pattern::new(f).map_err(|e| SelectError::Filter(f.clone(), e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(facts
        .into_iter()
        .filter(|(_, _, s)| match s {
            Subset::Min => min,
            Subset::Hardware => hw,
            Subset::Network => net,
        })
        .filter(|(k, _, _)| collector(k).is_none_or(|c| !excluded.contains(&c)))
        .filter(|(k, _, _)| patterns.is_empty() || patterns.iter().any(|p| p.matches(k)))
        .map(|(k, v, _)| (k, v))
        .collect())
}

#[cfg(test)]
mod fixtures_tests;
