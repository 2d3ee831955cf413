//! `hearth lab down`: removes everything a lab's state file records — the processes inside each
//! host (sshd and its sessions, proven by namespace), the namespaces and veths, the bridge, any
//! mount left under the lab directory, and the directory. Idempotent: what is already gone is
//! skipped, so it also cleans up after a crash. It never touches another lab.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::state::{HostState, LabState};
use crate::error::LabError;
use crate::machine::{check_name, lab_root, lock, require_root};
use crate::{network, procs, sshd};

/// Removes lab `name` entirely; succeeds when there is nothing (left) to remove.
pub fn down(name: &str) -> Result<(), LabError> {
    require_root()?;
    check_name(name)?;
    let root = lab_root();
    let _guard = lock(&root)?;
    let dir = root.join(name);
    if let Some(lab) = LabState::load(&root, name)? {
        stop_watchdog(&lab);
        super::kubeapi::stop(&lab);
        for host in &lab.hosts {
            stop_host(host);
            network::remove_host(host)?;
        }
        network::remove_bridge(&lab)?;
    }
    unmount_under(&dir)?;
    match fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(LabError::io(&dir, e)),
        _ => Ok(()),
    }
}

/// Kills the lab's watchdog unless it is the caller (the watchdog runs `down` itself).
fn stop_watchdog(lab: &LabState) {
    let Some(pid) = lab.watchdog_pid else { return };
    let ours = procs::cmdline(pid);
    if pid != std::process::id()
        && ours.contains(" lab ")
        && ours.contains(" watch ")
        && ours.contains(&lab.name)
    {
        procs::signal(pid, Signal::SIGKILL);
    }
}

/// Stops everything inside a host; also its sshd by PID if it left the namespace's file behind.
fn stop_host(host: &HostState) {
    procs::stop_netns(&network::netns_path(&host.netns), Duration::from_secs(3));
    if let Some(pid) = host.sshd_pid {
        let config = format!("{}/sshd_config", sshd::CONFIG_DIR);
        if procs::alive(pid) && procs::cmdline(pid).contains(&config) {
            procs::signal(pid, Signal::SIGKILL);
            // SIGKILL is asynchronous: `down` promises nothing runs when it returns.
            let start = std::time::Instant::now();
            while procs::alive(pid) && start.elapsed() < procs::KILL_WAIT {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Lazily unmounts whatever is mounted under `dir` in this mount namespace (deepest first).
fn unmount_under(dir: &Path) -> Result<(), LabError> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for point in mounts_under(&text, dir) {
        super::run::run(Command::new("umount").arg("-l").arg(&point))?;
    }
    Ok(())
}

/// Mount points in a mountinfo text at or below `dir`, deepest first.
pub fn mounts_under(mountinfo: &str, dir: &Path) -> Vec<String> {
    let mut points: Vec<String> = mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape)
        .filter(|p| Path::new(p).starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    points.dedup();
    points
}

/// Decodes mountinfo's octal escapes (`\040` for a space).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let code = (bytes[i] == b'\\' && i + 3 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 4]).ok())
            .flatten()
            .and_then(|s| u8::from_str_radix(s, 8).ok());
        match code {
            Some(c) => {
                out.push(c);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mounts_below_a_directory_deepest_first() {
        let info = "1 0 8:1 / / rw - ext4 /dev/a rw\n\
                    2 1 0:1 / /var/lib/hearth/lab/x/hosts/lab1/root rw - overlay o rw\n\
                    3 2 0:2 / /var/lib/hearth/lab/x/hosts/lab1/root/proc rw - proc p rw\n\
                    4 1 0:3 / /var/lib/hearth/lab/xy rw - tmpfs t rw\n\
                    5 1 0:3 / /var/lib/hearth/lab/x/a\\040b rw - tmpfs t rw\n";
        let got = mounts_under(info, Path::new("/var/lib/hearth/lab/x"));
        assert_eq!(
            got,
            vec![
                "/var/lib/hearth/lab/x/hosts/lab1/root/proc",
                "/var/lib/hearth/lab/x/hosts/lab1/root",
                "/var/lib/hearth/lab/x/a b",
            ]
        );
    }
}
