//! The lab's Kubernetes API double: `hearth lab up` spawns `hearth lab serve-api` detached
//! (recorded in the state, stopped by `down`), which serves `apiserver` on the bridge address
//! (port 6443, reachable from the machine and the hosts), registers one Node per lab host and then
//! writes the kubeconfig next to the inventory. Objects live in that process's memory only: a
//! restarted double starts empty, with a new token and CA.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{Value, json};

use super::apiserver::faults::Fault;
use super::apiserver::{self, Options};
use super::state::{API_PORT, HostState, LabState};
use crate::error::LabError;
use crate::machine::load;
use crate::procs;

/// How long `up` waits for the double to serve.
const START_TIMEOUT: Duration = Duration::from_secs(15);

fn address(lab: &LabState) -> Result<SocketAddr, LabError> {
    format!("{}:{API_PORT}", lab.gateway).parse().map_err(|_| LabError::ApiNotStarted {
        why: format!("bad gateway address {:?}", lab.gateway),
        log: String::new(),
    })
}

fn ours(lab: &LabState, pid: u32) -> bool {
    let cmd = procs::cmdline(pid);
    procs::alive(pid) && cmd.contains(" serve-api") && cmd.contains(&lab.name)
}

fn answers(addr: &SocketAddr) -> bool {
    TcpStream::connect_timeout(addr, Duration::from_millis(500)).is_ok()
}

/// Starts the lab's double unless it already serves; waits until its kubeconfig is written.
pub fn start(lab: &mut LabState) -> Result<(), LabError> {
    let addr = address(lab)?;
    if lab.api_pid.is_some_and(|p| ours(lab, p)) && lab.kubeconfig.is_file() && answers(&addr) {
        return Ok(());
    }
    stop(lab);
    let _ = fs::remove_file(&lab.kubeconfig);
    let exe = std::env::current_exe().map_err(|e| LabError::io(Path::new("/proc/self/exe"), e))?;
    let log_path = lab.dir.join("api.log");
    let log = fs::File::create(&log_path).map_err(|e| LabError::io(&log_path, e))?;
    let mut child = Command::new("setsid")
        .arg(exe)
        .args(["lab", "--name", &lab.name, "serve-api"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| LabError::Spawn { command: "setsid hearth lab serve-api".into(), source: e })?;
    lab.api_pid = Some(child.id());
    lab.save()?;
    let started = Instant::now();
    let failed =
        |why: String| LabError::ApiNotStarted { why, log: fs::read_to_string(&log_path).unwrap_or_default() };
    loop {
        if lab.kubeconfig.is_file() && answers(&addr) {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(failed(format!("exited ({status})")));
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(failed(format!("not serving on {addr} after {}s", START_TIMEOUT.as_secs())));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops the lab's double, if it runs.
pub fn stop(lab: &LabState) {
    if let Some(pid) = lab.api_pid.filter(|p| ours(lab, *p)) {
        procs::signal(pid, Signal::SIGKILL);
        let start = Instant::now();
        while procs::alive(pid) && start.elapsed() < procs::KILL_WAIT {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The Node object for a lab host (labels as the kubelet sets them, Ready).
pub fn node(host: &HostState) -> Value {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": host.name, "labels": {
            "kubernetes.io/hostname": host.name, "kubernetes.io/arch": arch, "kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": arch, "beta.kubernetes.io/os": "linux"}},
        "status": {
            "addresses": [{"type": "InternalIP", "address": host.address}, {"type": "Hostname", "address": host.name}],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "hearth lab host"}],
            "nodeInfo": {"architecture": arch, "operatingSystem": "linux"},
        },
    })
}

/// `hearth lab serve-api`: serves the lab's double until killed.
pub fn serve(name: &str) -> Result<(), LabError> {
    let lab = load(name)?;
    let fail = |why: String| LabError::ApiNotStarted { why, log: String::new() };
    // Test-only: a fault plan for the double (README, "Kubernetes API double").
    let faults = std::env::var("HEARTH_LAB_K8S_FAULTS").unwrap_or_default();
    let faults = Fault::parse_list(&faults).map_err(|e| fail(e.to_string()))?;
    let server = apiserver::start(Options {
        addr: address(&lab)?,
        context: format!("hearth-lab-{name}"),
        faults,
        ..Options::default()
    })
    .map_err(|e| fail(e.to_string()))?;
    for host in &lab.hosts {
        server.create(node(host)).map_err(|e| fail(e.to_string()))?;
    }
    // Written last, atomically: its presence tells `up` the double is ready.
    let tmp = lab.kubeconfig.with_extension("tmp");
    server.write_kubeconfig(&tmp).map_err(|e| fail(e.to_string()))?;
    fs::rename(&tmp, &lab.kubeconfig).map_err(|e| LabError::io(&lab.kubeconfig, e))?;
    server.wait();
    Ok(())
}
