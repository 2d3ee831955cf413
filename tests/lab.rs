//! `hearth lab`: real sshd hosts reachable with the system ssh as root and as the sudo user,
//! isolated from each other and from the machine, listed by status, removed without a trace by
//! down and by the watchdog. Skipped (one line) when not root.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::lab::{HOSTS, Lab, hearth_lab};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_host_answers_ssh_as_root_with_its_own_name() {
    let Some(lab) = Lab::get() else { return };
    assert_eq!(lab.hosts.len(), HOSTS);
    for i in 0..HOSTS {
        assert_eq!(lab.ok(i, "root", "id -u; hostname"), format!("0\nlab{}", i + 1));
    }
}

#[test]
fn the_lab_user_becomes_root_with_sudo_and_its_password() {
    let Some(lab) = Lab::get() else { return };
    assert_eq!(lab.ok(1, "hearth", "id -un"), "hearth");
    let out = lab.ssh_input(1, "hearth", "sudo -S -p '' id -u", "hearth-lab\n");
    assert!(out.status.success(), "sudo: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "0");
    let wrong = lab.ssh_input(1, "hearth", "sudo -k; sudo -S -p '' id -u", "nope\n");
    assert!(!wrong.status.success(), "a wrong sudo password must fail");
}

#[test]
fn password_logins_are_refused() {
    let Some(lab) = Lab::get() else { return };
    let out = Command::new("ssh")
        .args(["-o", "BatchMode=yes", "-o", "PubkeyAuthentication=no", "-o", "StrictHostKeyChecking=no"])
        .args(["-o", "UserKnownHostsFile=/dev/null", &format!("root@{}", lab.address(0)), "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn writes_on_one_host_are_invisible_elsewhere() {
    let Some(lab) = Lab::get() else { return };
    let file = format!("/root/hearth-lab-isolation-{}", std::process::id());
    lab.ok(0, "root", &format!("echo one > {file} && echo x >> /etc/hearth-lab-test"));
    assert_eq!(lab.ok(0, "root", &format!("cat {file}")), "one");
    assert_eq!(lab.ok(1, "root", &format!("test -e {file} && echo there || echo absent")), "absent");
    assert_eq!(lab.ok(1, "root", "test -e /etc/hearth-lab-test && echo there || echo absent"), "absent");
    assert!(!Path::new(&file).exists(), "a lab host's write reached the machine");
    assert!(!Path::new("/etc/hearth-lab-test").exists(), "a lab host's write reached the machine");
}

#[test]
fn the_lab_directory_is_hidden_inside_hosts() {
    let Some(lab) = Lab::get() else { return };
    let key = lab.key.display().to_string();
    assert_eq!(lab.ok(2, "root", &format!("test -e {key} && echo seen || echo hidden")), "hidden");
}

#[test]
fn gitlab_ctl_is_a_recording_stand_in_only_inside_hosts() {
    let Some(lab) = Lab::get() else { return };
    assert!(lab.ok(2, "root", "gitlab-ctl --version").contains("stand-in"));
    lab.ok(2, "root", "gitlab-ctl reconfigure");
    let log = lab.ok(2, "root", "cat /var/log/hearth-standin/gitlab-ctl.log");
    assert!(log.lines().any(|l| l == "reconfigure"), "{log}");
    let machine = std::fs::read_to_string("/usr/local/bin/gitlab-ctl").unwrap_or_default();
    assert!(!machine.contains("stand-in"), "the stand-in leaked onto the machine");
}

#[test]
fn status_and_inventory_list_the_hosts() {
    let Some(lab) = Lab::get() else { return };
    let out = hearth_lab(&["status", "--name", &lab.name]);
    assert!(out.status.success());
    let status = text(&out.stdout);
    for (name, addr) in &lab.hosts {
        let line =
            status.lines().find(|l| l.starts_with(name.as_str())).unwrap_or_else(|| panic!("{status}"));
        assert!(line.contains(addr.as_str()) && line.contains("sshd answers"), "{line}");
    }
    let inv = text(&hearth_lab(&["inventory", "--name", &lab.name]).stdout);
    assert!(inv.contains(&format!("UserKnownHostsFile={}", lab.known_hosts.display())), "{inv}");
    assert!(inv.contains(&format!("ansible_ssh_private_key_file: \"{}\"", lab.key.display())));
    assert!(inv.contains("ansible_become_password: \"hearth-lab\""));
    assert_eq!(std::fs::read_to_string(&lab.inventory).unwrap(), inv);
}

/// Processes (not zombies) whose command line mentions `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let dir = e.path();
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        let zombie = stat.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z'));
        let cmd = text(&std::fs::read(dir.join("cmdline")).unwrap_or_default()).replace('\0', " ");
        if !zombie && cmd.contains(needle) {
            found.push(cmd);
        }
    }
    found
}

#[test]
fn down_leaves_no_namespace_bridge_mount_process_or_file() {
    if Lab::get().is_none() {
        return;
    }
    let name = format!("test-{}-down", std::process::id());
    let lab = Lab::start(&name, 2, None);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lab.key.with_file_name("state.json")).unwrap())
            .unwrap();
    let bridge = state["bridge"].as_str().unwrap().to_string();
    let dir = state["dir"].as_str().unwrap().to_string();
    let sshd: Vec<u64> =
        state["hosts"].as_array().unwrap().iter().map(|h| h["sshd_pid"].as_u64().unwrap()).collect();
    assert_eq!(sshd.len(), 2);
    assert!(sshd.iter().all(|pid| Path::new(&format!("/proc/{pid}")).exists()));
    let api = state["api_pid"].as_u64().expect("the API double's pid");
    assert!(Path::new(&format!("/proc/{api}")).exists(), "the API double is not running");

    let out = hearth_lab(&["down", "--name", &name]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let netns = text(&Command::new("ip").args(["netns", "list"]).output().unwrap().stdout);
    assert!(!netns.contains(&format!("hearth-{name}-")), "{netns}");
    assert!(!Path::new("/sys/class/net").join(&bridge).exists(), "bridge {bridge} left");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&dir) && !mounts.contains(&format!("hearth-{name}-")), "{mounts}");
    assert!(processes_with(&dir).is_empty() && processes_with(&format!("--name {name} ")).is_empty());
    for pid in sshd.iter().chain([&api]) {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z'));
        let cmd = text(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()).replace('\0', " ");
        assert!(stat.is_empty() || zombie, "{pid} still runs: {cmd} ({stat})");
    }
    assert!(!Path::new(&dir).exists(), "lab directory left");
    assert!(hearth_lab(&["down", "--name", &name]).status.success(), "down is idempotent");
}

#[test]
fn the_watchdog_removes_the_lab_when_its_owner_exits() {
    if Lab::get().is_none() {
        return;
    }
    let name = format!("test-{}-watch", std::process::id());
    let mut owner = Command::new("sleep").arg("600").spawn().unwrap();
    let lab = Lab::start(&name, 1, Some(&owner.id().to_string()));
    let dir = lab.key.parent().unwrap().to_path_buf();
    assert!(dir.exists());
    owner.kill().unwrap();
    owner.wait().unwrap();
    let start = Instant::now();
    while dir.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!dir.exists(), "the watchdog did not remove the lab");
    let netns = text(&Command::new("ip").args(["netns", "list"]).output().unwrap().stdout);
    assert!(!netns.contains(&format!("hearth-{name}-")), "{netns}");
}

#[test]
fn the_kubernetes_api_double_serves_a_node_per_host() {
    use k8s_openapi::api::core::v1::Node;
    use kube::api::{Api, ListParams};

    let Some(lab) = Lab::get() else { return };
    let out = hearth_lab(&["kubeconfig", "--name", &lab.name]);
    assert_eq!(text(&out.stdout).trim(), lab.kubeconfig.display().to_string());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let nodes = rt.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(&lab.kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
        let client = kube::Client::try_from(config).expect("client");
        Api::<Node>::all(client)
            .list(&ListParams::default().labels("kubernetes.io/os=linux"))
            .await
            .expect("list nodes")
    });
    let names: Vec<String> = nodes.items.iter().filter_map(|n| n.metadata.name.clone()).collect();
    let expected: Vec<String> = lab.hosts.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, expected);
    let labels = nodes.items[0].metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("kubernetes.io/hostname"), Some(&expected[0]));
    let address = &nodes.items[0].status.as_ref().unwrap().addresses.as_ref().unwrap()[0].address;
    assert_eq!(address, lab.address(0));
}

/// The inventory `hearth lab inventory` writes is one hearth's own loader reads, with the
/// `lab` and `lab_user` groups (no lab needed: the state is only planned).
#[test]
fn the_lab_inventory_is_loadable_by_hearth() {
    let lab = hearth::lab::LabState::plan(Path::new("/l"), "t", 1, 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.yml");
    std::fs::write(&path, hearth::lab::inventory::render(&lab)).unwrap();
    let inv = hearth::load::inventory::load(&[path.display().to_string()]).unwrap();
    assert_eq!(inv.resolve("lab").unwrap().len(), 2);
    assert_eq!(inv.resolve("lab_user").unwrap().len(), 2);
}
