//! `hearth lab`: throwaway SSH hosts on this machine, for the integration tests and for trying
//! playbooks before touching real machines. A host = a network namespace on a private bridge + a
//! mount namespace whose root is a copy-on-write overlay of the machine's `/` + an sshd inside
//! (key-only; root and a sudo user). Everything created is recorded in a state file first, so
//! `down` cleans up after crashes. Needs root; does not need or use systemd, and does not route
//! the hosts to the outside world. The lab code never prints: `main` shows what these return.

pub mod apiserver;
pub mod demo;
pub mod http;
pub mod inventory;
pub mod kubeapi;
pub mod mirror;
pub mod network;
pub mod procs;
pub mod rootfs;
pub mod run;
pub mod shipped;
pub mod sshd;
pub mod standin;
pub mod state;
mod teardown;

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};

pub use state::{HostState, LabState};
pub use teardown::down;

/// Errors of the lab, by cause.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Namespaces, mounts and bridges need root.
    #[error("hearth lab needs root (network and mount namespaces, mounts, a bridge): run it with sudo")]
    NotRoot,
    /// A program the lab drives is not installed.
    #[error("{tool} is missing: install {package} (apt-get install {package})")]
    Missing {
        /// The program looked for.
        tool: String,
        /// The Debian package providing it.
        package: String,
    },
    /// A lab name that cannot become file and namespace names.
    #[error("invalid lab name {0:?}: use lowercase letters, digits and '-' (at most 40)")]
    BadName(String),
    /// The lab asked for does not exist.
    #[error("no lab named {name:?} (start one with `hearth lab up`){}", others_hint(.others))]
    NoLab {
        /// The name asked for.
        name: String,
        /// Labs that do exist.
        others: Vec<String>,
    },
    /// `up N` on a running lab of another size.
    #[error("lab {name:?} already has {has} hosts, not {wanted}: `hearth lab down --name {name}` first")]
    OtherSize {
        /// The lab.
        name: String,
        /// Its host count.
        has: usize,
        /// The count asked for.
        wanted: usize,
    },
    /// A host count of 0 or beyond the subnet.
    #[error("a lab has 1 to {max} hosts, not {0}", max = MAX_HOSTS)]
    BadCount(usize),
    /// Every 10.77.k.0/24 subnet is taken.
    #[error("no free lab subnet left (10.77.0.0/16 is used up by other labs)")]
    NoSubnet,
    /// Reading or writing a lab file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The state file is not valid JSON of the expected shape.
    #[error("lab state {}: {source}", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A program could not be started.
    #[error("could not run {command}: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A program failed.
    #[error("{command} failed ({status}): {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it wrote on stderr.
        stderr: String,
    },
    /// A host's sshd did not come up.
    #[error("lab host {host}: sshd {why}; its log:\n{log}")]
    NotStarted {
        /// The host.
        host: String,
        /// What happened.
        why: String,
        /// The boot and sshd log.
        log: String,
    },
    /// The lab's Kubernetes API double did not come up.
    #[error("lab Kubernetes API double: {why}; its log:\n{log}")]
    ApiNotStarted {
        /// What happened.
        why: String,
        /// Its log.
        log: String,
    },
    /// Fetching docker.io's packages for the lab's package mirror failed.
    #[error(
        "could not fetch docker.io's packages for the lab's package mirror: this needs the Debian mirror \
         of this machine's apt sources once (afterwards {} is reused): {why}",
        cache.display()
    )]
    Download {
        /// The package cache.
        cache: PathBuf,
        /// What apt-get said.
        why: String,
    },
    /// `boot` for a host the lab does not have.
    #[error("lab has no host {0:?}")]
    NoHost(String),
}

impl LabError {
    /// An I/O error on a path.
    pub fn io(path: &Path, source: std::io::Error) -> LabError {
        LabError::Io { path: path.to_path_buf(), source }
    }
}

fn others_hint(others: &[String]) -> String {
    if others.is_empty() { String::new() } else { format!("; labs here: {}", others.join(", ")) }
}

/// The most hosts a lab can have (addresses .11 to .250 of its /24).
pub const MAX_HOSTS: usize = 240;

/// How long a host's sshd may take to answer after `up` starts it.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Where labs live: `$HEARTH_LAB_DIR` or /var/lib/hearth/lab (must not be on tmpfs/overlayfs).
pub fn lab_root() -> PathBuf {
    std::env::var_os("HEARTH_LAB_DIR").map_or_else(|| PathBuf::from(state::DEFAULT_ROOT), PathBuf::from)
}

/// What `hearth lab up` was asked for.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Lab name.
    pub name: String,
    /// Host count (None: 1, or the existing lab's count).
    pub count: Option<usize>,
    /// Tear the lab down when this process exits.
    pub owner_pid: Option<u32>,
}

/// One host as `status` sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostStatus {
    /// Inventory name.
    pub name: String,
    /// Address (port 22).
    pub address: String,
    /// sshd PID, when it is running.
    pub sshd_pid: Option<u32>,
    /// Whether sshd sends its banner.
    pub answers: bool,
}

/// Fails unless running as root.
pub fn require_root() -> Result<(), LabError> {
    if nix::unistd::geteuid().is_root() { Ok(()) } else { Err(LabError::NotRoot) }
}

fn check_name(name: &str) -> Result<(), LabError> {
    if state::valid_name(name) { Ok(()) } else { Err(LabError::BadName(name.to_string())) }
}

/// Fails with the package to install when a program the lab uses is missing.
fn require_tools() -> Result<(), LabError> {
    let tools = [
        ("ip", "iproute2"),
        ("sshd", "openssh-server"),
        ("ssh-keygen", "openssh-client"),
        ("sudo", "sudo"),
        ("nsenter", "util-linux"),
        ("unshare", "util-linux"),
        ("setsid", "util-linux"),
        ("chroot", "coreutils"),
        ("useradd", "passwd"),
    ];
    for (tool, package) in tools {
        if find_in_path(tool).is_none() {
            return Err(LabError::Missing { tool: tool.into(), package: package.into() });
        }
    }
    Ok(())
}

/// A program in PATH or the sbin directories (root's PATH may lack them).
fn find_in_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

/// Serializes `up` and `down` across processes (subnet choice, state files).
fn lock(root: &Path) -> Result<Flock<fs::File>, LabError> {
    fs::create_dir_all(root).map_err(|e| LabError::io(root, e))?;
    let path = root.join(".lock");
    let file = fs::File::create(&path).map_err(|e| LabError::io(&path, e))?;
    Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| LabError::io(&path, e.into()))
}

/// Reads a lab's state, or `NoLab` listing the labs that exist.
pub fn load(name: &str) -> Result<LabState, LabError> {
    check_name(name)?;
    let root = lab_root();
    LabState::load(&root, name)?
        .ok_or_else(|| LabError::NoLab { name: name.to_string(), others: state::lab_names(&root) })
}

/// Starts a lab (or restarts the stopped hosts of an existing one); returns its state.
pub fn up(opts: &UpOptions) -> Result<LabState, LabError> {
    require_root()?;
    check_name(&opts.name)?;
    require_tools()?;
    let root = lab_root();
    let guard = lock(&root)?;
    let (mut lab, fresh) = match LabState::load(&root, &opts.name)? {
        Some(lab) => {
            let wanted = opts.count.unwrap_or(lab.hosts.len());
            if wanted != lab.hosts.len() {
                return Err(LabError::OtherSize { name: lab.name, has: lab.hosts.len(), wanted });
            }
            (lab, false)
        }
        None => (new_lab(&root, &opts.name, opts.count.unwrap_or(1))?, true),
    };
    let result = build(&mut lab).and_then(|()| watchdog(&mut lab, opts.owner_pid));
    drop(guard);
    match result {
        Ok(()) => Ok(lab),
        Err(e) => {
            if fresh {
                let _ = down(&lab.name);
            }
            Err(e)
        }
    }
}

/// Plans a new lab on a free subnet and records it before anything is created.
fn new_lab(root: &Path, name: &str, count: usize) -> Result<LabState, LabError> {
    if count == 0 || count > MAX_HOSTS {
        return Err(LabError::BadCount(count));
    }
    let mut used: Vec<u8> = state::lab_names(root)
        .iter()
        .filter_map(|n| LabState::load(root, n).ok().flatten())
        .map(|l| l.index)
        .collect();
    used.extend((0..=u8::MAX).filter(|i| network::link_exists(&format!("hrth{i}"))));
    let index = state::free_index(&used).ok_or(LabError::NoSubnet)?;
    let lab = LabState::plan(root, name, index, count);
    lab.save()?;
    Ok(lab)
}

/// Creates keys, files and network, then starts every host whose sshd is not running.
fn build(lab: &mut LabState) -> Result<(), LabError> {
    sshd::keygen(&lab.client_key, &format!("hearth-lab-{}", lab.name))?;
    let mut keys = Vec::new();
    for host in &lab.hosts {
        let key = host.dir.join(sshd::HOST_KEY);
        sshd::keygen(&key, &host.name)?;
        let public = sshd::public(&key);
        keys.push((host.address.clone(), fs::read_to_string(&public).map_err(|e| LabError::io(&public, e))?));
    }
    write_file(&lab.known_hosts, &sshd::known_hosts(&keys))?;
    write_file(&lab.inventory, &inventory::render(lab))?;
    network::create_bridge(lab)?;
    for host in &lab.hosts {
        network::create_host(lab, host)?;
    }
    start_hosts(lab)?;
    kubeapi::start(lab)
}

/// Spawns the sshd of every host that has none running, then waits until all answer.
fn start_hosts(lab: &mut LabState) -> Result<(), LabError> {
    let mut children = Vec::new();
    for i in 0..lab.hosts.len() {
        let host = &lab.hosts[i];
        if host.sshd_pid.is_some_and(procs::alive) && sshd::answers(&host.address, Duration::from_secs(1)) {
            continue;
        }
        procs::stop_netns(&network::netns_path(&host.netns), Duration::from_secs(2));
        let child = sshd::spawn(lab, host)?;
        lab.hosts[i].sshd_pid = Some(child.id());
        lab.save()?;
        children.push((i, child));
    }
    for (i, mut child) in children {
        sshd::wait_ready(&lab.hosts[i], &mut child, START_TIMEOUT)?;
    }
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<(), LabError> {
    fs::write(path, text).map_err(|e| LabError::io(path, e))
}

/// Starts the detached `hearth lab watch` that removes the lab when `owner` exits.
fn watchdog(lab: &mut LabState, owner: Option<u32>) -> Result<(), LabError> {
    let Some(owner) = owner else { return Ok(()) };
    let start = procs::start_time(owner).unwrap_or(0);
    let exe = std::env::current_exe().map_err(|e| LabError::io(Path::new("/proc/self/exe"), e))?;
    let log_path = lab.dir.join("watch.log");
    let log = fs::File::create(&log_path).map_err(|e| LabError::io(&log_path, e))?;
    let child = Command::new("setsid")
        .arg(exe)
        .args(["lab", "--name", &lab.name, "watch", "--owner-pid", &owner.to_string()])
        .args(["--owner-start", &start.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| LabError::Spawn { command: "setsid hearth lab watch".into(), source: e })?;
    lab.watchdog_pid = Some(child.id());
    lab.save()
}

/// Runs the watchdog: waits for the owner to exit (or the lab to go), then tears the lab down.
pub fn watch(name: &str, owner: u32, owner_start: u64) -> Result<(), LabError> {
    require_root()?;
    check_name(name)?;
    let root = lab_root();
    let gone = || procs::start_time(owner).is_none_or(|t| owner_start != 0 && t != owner_start);
    while !gone() {
        if !LabState::file(&root, name).exists() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    down(name)
}

/// Inside the new namespaces: builds the host's root, then becomes its sshd (never returns Ok).
pub fn boot(name: &str, host_name: &str) -> Result<(), LabError> {
    require_root()?;
    let lab = load(name)?;
    let host = lab.host(host_name).ok_or_else(|| LabError::NoHost(host_name.to_string()))?;
    let root = host.dir.join("root");
    rootfs::mount_overlay(host, &root)?;
    rootfs::provision(&lab, host, &root)?;
    rootfs::mount_system(&root, &lab_root())?;
    rootfs::users(&root)?;
    run::run(Command::new("hostname").arg(&host.name))?;
    let config = format!("{}/sshd_config", sshd::CONFIG_DIR);
    let err = Command::new("chroot")
        .arg(&root)
        .args(["/usr/sbin/sshd", "-D", "-e", "-f", &config])
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .exec();
    Err(LabError::Spawn { command: "chroot ... /usr/sbin/sshd".into(), source: err })
}

/// Every host of a lab with its sshd PID and whether it answers.
pub fn status(lab: &LabState) -> Vec<HostStatus> {
    lab.hosts
        .iter()
        .map(|h| HostStatus {
            name: h.name.clone(),
            address: h.address.clone(),
            sshd_pid: h.sshd_pid.filter(|p| procs::alive(*p)),
            answers: sshd::answers(&h.address, Duration::from_secs(1)),
        })
        .collect()
}
