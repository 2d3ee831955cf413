//! A lab host's root filesystem, built by `hearth lab boot` inside the host's fresh mount
//! namespace: a copy-on-write overlay of the machine's `/` (layers in the host directory), the
//! lab's files written through it, the lab directory hidden under a tmpfs, and /proc, /sys, /dev,
//! /dev/pts, /run, /tmp mounted. Every mount lives and dies with that namespace (with sshd): none
//! is ever visible on the machine. It does not start sshd (see `boot`).

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use super::run::run;
use super::state::{HostState, LabState};
use crate::error::LabError;
use crate::{sshd, standin};

/// The non-root lab user (sudo with a password).
pub const USER: &str = "hearth";
/// The lab user's password, for `sudo` (documented; the hosts are throwaway and private).
pub const PASSWORD: &str = "hearth-lab";

/// Device nodes bind-mounted from the machine into each host's private /dev.
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

fn mount(args: &[&str], target: &Path) -> Result<(), LabError> {
    run(Command::new("mount").args(args).arg(target))
}

/// Mounts the overlay (lower: the machine's `/`, upper/work: in the host directory) on `root`.
/// Where the lab directory's filesystem cannot be an upper layer (itself overlayfs, as in a
/// container), the layers go on a tmpfs private to the host: same isolation, lost on restart.
pub fn mount_overlay(host: &HostState, root: &Path) -> Result<(), LabError> {
    make_dir(root, 0o755)?;
    let first = match overlay(&host.dir, root) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let scratch = host.dir.join("scratch");
    make_dir(&scratch, 0o700)?;
    mount(&["-t", "tmpfs", "-o", "mode=0700", "hearth-lab-layers"], &scratch)?;
    overlay(&scratch, root).map_err(|_| first)
}

fn overlay(layers: &Path, root: &Path) -> Result<(), LabError> {
    let (upper, work) = (layers.join("upper"), layers.join("work"));
    for d in [&upper, &work] {
        fs::create_dir_all(d).map_err(|e| LabError::io(d, e))?;
    }
    let opts = format!("lowerdir=/,upperdir={},workdir={}", upper.display(), work.display());
    mount(&["-t", "overlay", "overlay", "-o", &opts], root)
}

/// Hides the lab directory, then mounts the kernel and scratch filesystems under `root`.
pub fn mount_system(root: &Path, hide: &Path) -> Result<(), LabError> {
    let under = |p: &str| root.join(p.trim_start_matches('/'));
    let hidden = under(&hide.to_string_lossy());
    // Absent when the lab directory is on another filesystem than `/`: then not in the overlay.
    if hidden.is_dir() {
        mount(&["-t", "tmpfs", "-o", "mode=0755", "hearth-lab-hidden"], &hidden)?;
    }
    mount(&["-t", "proc", "proc"], &under("proc"))?;
    mount(&["-t", "sysfs", "sysfs"], &under("sys"))?;
    mount_dev(&under("dev"))?;
    mount(&["-t", "tmpfs", "-o", "mode=0755,nosuid,nodev", "run"], &under("run"))?;
    mount(&["-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmp"], &under("tmp"))?;
    make_dir(&under("run/sshd"), 0o755)?;
    // systemd's "booted" canary, which service tools (Ansible's generic service module among
    // them) check before using systemctl: here the systemctl stand-in answers. PID 1 stays the
    // machine's, so the `ansible_service_mgr` fact still names that program.
    make_dir(&under("run/systemd"), 0o755)?;
    make_dir(&under("run/systemd/system"), 0o755)?;
    make_dir(&under("run/lock"), 0o1777)
}

/// A private /dev: tmpfs with the usual nodes bound from the machine, its own devpts and shm.
fn mount_dev(dev: &Path) -> Result<(), LabError> {
    mount(&["-t", "tmpfs", "-o", "mode=0755,nosuid", "dev"], dev)?;
    for name in DEVICES {
        let node = dev.join(name);
        fs::write(&node, b"").map_err(|e| LabError::io(&node, e))?;
        run(Command::new("mount").arg("--bind").arg(Path::new("/dev").join(name)).arg(&node))?;
    }
    for (link, to) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        symlink(to, dev.join(link)).map_err(|e| LabError::io(&dev.join(link), e))?;
    }
    make_dir(&dev.join("pts"), 0o755)?;
    make_dir(&dev.join("shm"), 0o1777)?;
    mount(&["-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620,gid=5", "devpts"], &dev.join("pts"))?;
    mount(&["-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "shm"], &dev.join("shm"))
}

fn make_dir(path: &Path, mode: u32) -> Result<(), LabError> {
    fs::create_dir_all(path).map_err(|e| LabError::io(path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| LabError::io(path, e))
}

fn write(path: &Path, text: &str, mode: u32) -> Result<(), LabError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
    }
    fs::write(path, text).map_err(|e| LabError::io(path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| LabError::io(path, e))
}

/// Root's shell startup files as on a fresh Debian or Raspberry Pi OS host (from /etc/skel):
/// the machine's own (e.g. `pyenv init` in /root/.bashrc) would run on every remote command,
/// costing hundreds of milliseconds and making lab timings say nothing about real hosts.
fn stock_root_profile(root: &Path) -> Result<(), LabError> {
    for name in [".bashrc", ".profile"] {
        let skel = Path::new("/etc/skel").join(name);
        let text = fs::read_to_string(&skel).unwrap_or_default();
        write(&root.join("root").join(name), &text, 0o644)?;
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, LabError> {
    fs::read_to_string(path).map_err(|e| LabError::io(path, e))
}

/// Writes the lab's files through the overlay: sshd config and host key, root's authorized key,
/// a stock root profile, hostname and /etc/hosts entry, the sudoers rule for the lab user, the
/// stand-ins.
pub fn provision(lab: &LabState, host: &HostState, root: &Path) -> Result<(), LabError> {
    let under = |p: &str| root.join(p.trim_start_matches('/'));
    let cfg = under(sshd::CONFIG_DIR);
    let key = host.dir.join(sshd::HOST_KEY);
    write(&cfg.join("sshd_config"), &sshd::config(&host.address), 0o644)?;
    write(&cfg.join(sshd::HOST_KEY), &read(&key)?, 0o600)?;
    write(&sshd::public(&cfg.join(sshd::HOST_KEY)), &read(&sshd::public(&key))?, 0o644)?;
    make_dir(&under("root/.ssh"), 0o700)?;
    write(&under("root/.ssh/authorized_keys"), &read(&sshd::public(&lab.client_key))?, 0o600)?;
    stock_root_profile(root)?;
    write(&under("etc/hostname"), &format!("{}\n", host.name), 0o644)?;
    let hosts = read(&under("etc/hosts")).unwrap_or_default();
    write(&under("etc/hosts"), &hosts_with(&hosts, &host.name, &host.address), 0o644)?;
    write(&under("etc/sudoers.d/hearth-lab"), &sudoers(), 0o440)?;
    for s in standin::STANDINS {
        let path = under(&s.path());
        // The machine's program may be a symlink with an absolute target (/usr/sbin/shutdown ->
        // /bin/systemctl): writing through it would change the machine. Replace the link itself.
        if path.symlink_metadata().is_ok() {
            fs::remove_file(&path).map_err(|e| LabError::io(&path, e))?;
        }
        write(&path, &s.script(), 0o755)?;
    }
    apt_isolation(root)
}

/// apt inside a lab host uses only the sources a user or test adds: the machine's sources and
/// downloaded package lists are hidden (the lab has no route out), and `/usr/sbin/policy-rc.d`
/// exits 101 so package scripts do not start daemons (as in Docker or chroot image builds).
fn apt_isolation(root: &Path) -> Result<(), LabError> {
    let under = |p: &str| root.join(p);
    let _ = fs::remove_file(under("etc/apt/sources.list"));
    for dir in ["etc/apt/sources.list.d", "var/lib/apt/lists"] {
        let Ok(entries) = fs::read_dir(under(dir)) else { continue };
        for e in entries.flatten().filter(|e| e.path().is_file() && e.file_name() != "lock") {
            fs::remove_file(e.path()).map_err(|err| LabError::io(&e.path(), err))?;
        }
    }
    let text = "#!/bin/sh\n# hearth lab: package scripts may not start services in lab hosts.\nexit 101\n";
    write(&under("usr/sbin/policy-rc.d"), text, 0o755)
}

/// Inside the host (chroot): root login by key only, the lab user with its password and key.
pub fn users(root: &Path) -> Result<(), LabError> {
    let chroot = |args: &[&str]| {
        let mut c = Command::new("chroot");
        c.arg(root).args(args).env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        c
    };
    // A locked root ("!" in shadow) would refuse even key logins with UsePAM no.
    retry_locked(|| run(&mut chroot(&["usermod", "-p", "*", "root"])))?;
    if !has_user(&read(&root.join("etc/passwd"))?, USER) {
        retry_locked(|| run(&mut chroot(&["useradd", "--create-home", "--shell", "/bin/bash", USER])))?;
    }
    let input = format!("{USER}:{PASSWORD}\n");
    retry_locked(|| super::run::run_with_input(&mut chroot(&["chpasswd"]), Some(&input)))?;
    let home = format!("/home/{USER}/.ssh");
    run(&mut chroot(&["install", "-d", "-m", "700", "-o", USER, "-g", USER, &home]))?;
    let keys = format!("{home}/authorized_keys");
    run(&mut chroot(&["install", "-m", "600", "-o", USER, "-g", USER, "/root/.ssh/authorized_keys", &keys]))
}

/// The overlay's lower layer is the machine's `/`: while something on the machine edits users,
/// its `/etc/passwd.lock` shows through and the shadow tools refuse to run. It goes away in
/// moments, so try again for a while.
fn retry_locked<T>(mut step: impl FnMut() -> Result<T, LabError>) -> Result<T, LabError> {
    let start = std::time::Instant::now();
    loop {
        match step() {
            Err(e)
                if e.to_string().contains("lock") && start.elapsed() < std::time::Duration::from_secs(20) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// The sudoers rule: the lab user may run anything as anyone, after giving its password.
pub fn sudoers() -> String {
    format!(
        "# hearth lab: `{USER}` may use sudo with its password ({PASSWORD}), for become tests\n\
         {USER} ALL=(ALL:ALL) ALL\n"
    )
}

/// `/etc/hosts` with a line for the host's own name appended when missing (sudo looks it up).
pub fn hosts_with(text: &str, name: &str, address: &str) -> String {
    let known = text.lines().any(|l| {
        let l = l.split('#').next().unwrap_or("");
        l.split_whitespace().skip(1).any(|n| n == name)
    });
    if known {
        return text.to_string();
    }
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{address}\t{name}\n"));
    out
}

/// Whether an `/etc/passwd` text has a user.
pub fn has_user(passwd: &str, user: &str) -> bool {
    passwd.lines().any(|l| l.split(':').next() == Some(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_gets_the_name_once() {
        let t = hosts_with("127.0.0.1\tlocalhost\n", "lab1", "10.77.0.11");
        assert_eq!(t, "127.0.0.1\tlocalhost\n10.77.0.11\tlab1\n");
        assert_eq!(hosts_with(&t, "lab1", "10.77.0.11"), t);
        assert_eq!(hosts_with("127.0.0.1 x", "lab1", "a"), "127.0.0.1 x\na\tlab1\n");
        assert!(hosts_with("# 1.2.3.4 lab1\n", "lab1", "a").ends_with("a\tlab1\n"));
    }

    #[test]
    fn passwd_lookup_matches_whole_names() {
        let p = "root:x:0:0::/root:/bin/sh\nhearthx:x:1:1::/:/bin/sh\n";
        assert!(has_user(p, "root"));
        assert!(!has_user(p, "hearth"));
    }

    #[test]
    fn sudoers_requires_the_password() {
        assert!(!sudoers().contains("NOPASSWD"));
        assert!(sudoers().contains("hearth ALL=(ALL:ALL) ALL\n"));
    }
}
