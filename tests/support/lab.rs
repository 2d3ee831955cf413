//! The test lab: real sshd hosts on this machine (`hearth lab`), brought up once per test binary
//! and removed by its watchdog when the binary exits. Without root, `Lab::get()` is `None` and
//! prints one line saying so. Talks to the hosts with the system `ssh`, not hearth's transport.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Hosts in the shared test lab.
pub const HOSTS: usize = 3;

/// A running lab, as `hearth lab status --json` describes it.
pub struct Lab {
    /// The lab's name (`--name`).
    pub name: String,
    /// The lab client's private key.
    pub key: PathBuf,
    /// known_hosts with every host's key.
    pub known_hosts: PathBuf,
    /// The lab's inventory file.
    pub inventory: PathBuf,
    /// Kubeconfig of the lab's Kubernetes API double.
    pub kubeconfig: PathBuf,
    /// Host names and addresses, in order.
    pub hosts: Vec<(String, String)>,
}

static SHARED: OnceLock<Option<Lab>> = OnceLock::new();

/// Runs `hearth lab <args>`.
pub fn hearth_lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearth")).arg("lab").args(args).output().expect("run hearth lab")
}

/// Whether the tests run as root (the lab needs it).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

impl Lab {
    /// The shared lab of this test binary (`test-<pid>`, `HOSTS` hosts); `None` when not root.
    pub fn get() -> Option<&'static Lab> {
        SHARED
            .get_or_init(|| {
                if !is_root() {
                    // Straight to stderr: eprintln! would be captured by the test harness and hidden.
                    let _ = writeln!(std::io::stderr(), "skipped: lab tests need root");
                    return None;
                }
                let pid = std::process::id().to_string();
                Some(Lab::start(&format!("test-{pid}"), HOSTS, Some(&pid)))
            })
            .as_ref()
    }

    /// Brings a lab up (torn down when `owner` exits, if given) and reads its description.
    pub fn start(name: &str, count: usize, owner: Option<&str>) -> Lab {
        let count = count.to_string();
        let mut args = vec!["up", count.as_str(), "--name", name];
        if let Some(pid) = owner {
            args.extend(["--owner-pid", pid]);
        }
        let out = hearth_lab(&args);
        assert!(out.status.success(), "hearth lab up failed:\n{}", String::from_utf8_lossy(&out.stderr));
        Lab::describe(name)
    }

    /// Reads `hearth lab status --json`.
    pub fn describe(name: &str) -> Lab {
        let out = hearth_lab(&["status", "--json", "--name", name]);
        assert!(out.status.success(), "status: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
        let path = |k: &str| PathBuf::from(v[k].as_str().expect("path"));
        let hosts = v["hosts"]
            .as_array()
            .expect("hosts")
            .iter()
            .map(|h| (h["name"].as_str().unwrap().to_string(), h["address"].as_str().unwrap().to_string()))
            .collect();
        Lab {
            name: name.to_string(),
            key: path("client_key"),
            known_hosts: path("known_hosts"),
            inventory: path("inventory"),
            kubeconfig: path("kubeconfig"),
            hosts,
        }
    }

    /// The machine's address on the lab bridge (`10.77.N.1`): where lab hosts reach servers
    /// that tests start.
    pub fn gateway(&self) -> String {
        let a = self.address(0);
        format!("{}.1", &a[..a.rfind('.').expect("dotted address")])
    }

    /// Address of host `i` (0-based).
    pub fn address(&self, i: usize) -> &str {
        &self.hosts[i].1
    }

    /// Runs `cmd` (a shell command line) on host `i` as `user` with the system ssh.
    pub fn ssh(&self, i: usize, user: &str, cmd: &str) -> Output {
        self.ssh_input(i, user, cmd, "")
    }

    /// Like `ssh`, feeding `input` on stdin.
    pub fn ssh_input(&self, i: usize, user: &str, cmd: &str, input: &str) -> Output {
        let known = format!("UserKnownHostsFile={}", self.known_hosts.display());
        let mut child = Command::new("ssh")
            .arg("-i")
            .arg(&self.key)
            .args(["-o", &known, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
            .args(["-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
            .arg(format!("{user}@{}", self.address(i)))
            .arg(cmd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ssh");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        child.wait_with_output().expect("ssh output")
    }

    /// `ssh` that must succeed; returns trimmed stdout.
    pub fn ok(&self, i: usize, user: &str, cmd: &str) -> String {
        let out = self.ssh(i, user, cmd);
        assert!(
            out.status.success(),
            "ssh {user}@{} {cmd:?} failed: {}",
            self.address(i),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Lab {
    /// Runs `hearth apply <args> -i <the lab's inventory>` in the project.
    pub fn apply(&self, p: &super::Project, args: &[&str]) -> super::Run {
        let inv = self.inventory.display().to_string();
        let mut all = vec!["apply"];
        all.extend_from_slice(args);
        all.extend(["-i", inv.as_str()]);
        p.hearth(&all)
    }

    /// Lines of the systemctl stand-in's log on host `i` that mention `word` (tests running at
    /// the same time use other units).
    pub fn systemctl_calls(&self, i: usize, word: &str) -> Vec<String> {
        let log = self.ssh(i, "root", "cat /var/log/hearth-standin/systemctl.log 2>/dev/null");
        String::from_utf8_lossy(&log.stdout)
            .lines()
            .filter(|l| l.split_whitespace().any(|w| w == word))
            .map(str::to_string)
            .collect()
    }
}
