//! The lab network, with iproute2's `ip`: one bridge per lab on the machine, and per host a
//! network namespace joined to the bridge by a veth pair (`eth0` inside, loopback up, default
//! route via the machine). It does not route or NAT: hosts reach each other and the machine only.

use std::path::Path;
use std::process::Command;

use super::run::run;
use super::state::{HostState, LabState};
use crate::error::LabError;

/// Whether a network interface exists on the machine.
pub fn link_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

/// Whether a named network namespace exists.
pub fn netns_exists(name: &str) -> bool {
    netns_path(name).exists()
}

/// The bind-mounted file `ip netns` keeps for a namespace.
pub fn netns_path(name: &str) -> std::path::PathBuf {
    Path::new("/run/netns").join(name)
}

fn ip(args: &[&str]) -> Result<(), LabError> {
    run(Command::new("ip").args(args))
}

/// Creates the lab's bridge with the machine's address on it (no-op when it exists).
pub fn create_bridge(lab: &LabState) -> Result<(), LabError> {
    if !link_exists(&lab.bridge) {
        ip(&["link", "add", &lab.bridge, "type", "bridge"])?;
        ip(&["addr", "add", &format!("{}/24", lab.gateway), "dev", &lab.bridge])?;
    }
    ip(&["link", "set", &lab.bridge, "up"])
}

/// Creates a host's namespace and veth pair, addresses and routes (no-op parts when present).
pub fn create_host(lab: &LabState, host: &HostState) -> Result<(), LabError> {
    if !netns_exists(&host.netns) {
        ip(&["netns", "add", &host.netns])?;
    }
    if !link_exists(&host.veth) {
        ip(&["link", "add", &host.veth, "type", "veth", "peer", "name", "eth0", "netns", &host.netns])?;
        let ns = &host.netns;
        ip(&["-n", ns, "addr", "add", &format!("{}/24", host.address), "dev", "eth0"])?;
        ip(&["-n", ns, "link", "set", "lo", "up"])?;
        ip(&["-n", ns, "link", "set", "eth0", "up"])?;
        ip(&["-n", ns, "route", "add", "default", "via", &lab.gateway])?;
    }
    ip(&["link", "set", &host.veth, "master", &lab.bridge, "up"])
}

/// Removes a host's veth and namespace, whichever still exist.
pub fn remove_host(host: &HostState) -> Result<(), LabError> {
    if link_exists(&host.veth) {
        ip(&["link", "del", &host.veth])?;
    }
    if netns_exists(&host.netns) {
        ip(&["netns", "del", &host.netns])?;
    }
    Ok(())
}

/// Removes the lab's bridge if it exists.
pub fn remove_bridge(lab: &LabState) -> Result<(), LabError> {
    if link_exists(&lab.bridge) {
        ip(&["link", "del", &lab.bridge])?;
    }
    Ok(())
}
