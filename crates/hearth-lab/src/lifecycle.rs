//! Starting, watching, booting and reporting on labs (`hearth lab up`, `watch`, the in-namespace
//! `boot`, `status`): the orchestration over `network`, `sshd`, `rootfs` and `kubeapi`. Tearing
//! down is in `teardown`; the machine checks are in `machine`.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::error::{LabError, MAX_HOSTS};
use crate::machine::{check_name, lab_root, load, lock, require_root, require_tools};
use crate::state::{self, LabState};
use crate::teardown::down;
use crate::{inventory, kubeapi, network, procs, rootfs, run, sshd};

/// How long a host's sshd may take to answer after `up` starts it.
const START_TIMEOUT: Duration = Duration::from_secs(20);

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

/// Writes a lab file (keys, inventory), naming the path on failure.
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
            // A busy sshd may drop a new connection (MaxStartups) or greet late: one more
            // try, and a few seconds each, before calling the host down.
            answers: (0..2).any(|_| sshd::answers(&h.address, Duration::from_secs(3))),
        })
        .collect()
}
