//! Facts: "Gathering Facts" values against Ansible's `setup` on this machine (when
//! `HEARTH_ANSIBLE_PLAYBOOK` is set, like tests/compat.rs), facts of lab hosts over SSH, the
//! community-shaped role on lab hosts, and `meta: reset_connection` picking up a new group.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::lab::Lab;
use crate::support::{Project, Run};

/// Facts both tools must report identically on the same machine.
const SAME: &[&str] = &[
    "distribution",
    "distribution_release",
    "distribution_version",
    "distribution_major_version",
    "distribution_file_variety",
    "os_family",
    "architecture",
    "machine",
    "system",
    "kernel",
    "kernel_version",
    "hostname",
    "nodename",
    "fqdn",
    "domain",
    "machine_id",
    "memtotal_mb",
    "swaptotal_mb",
    "processor_vcpus",
    "processor_count",
    "processor_cores",
    "processor_threads_per_core",
    "processor_nproc",
    "pkg_mgr",
    "service_mgr",
    "user_id",
    "user_uid",
    "user_gid",
    "user_dir",
    "user_shell",
    "default_ipv4",
    "userspace_bits",
    "userspace_architecture",
    "lo",
    "python",
    "python_version",
];

const DUMP: &str = "- hosts: localhost\n  tasks:\n    - copy:\n        dest: \"{{ root }}/facts.json\"\n        content: \"{{ ansible_facts | to_json }}\"\n";

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("facts json")
}

#[test]
fn gathered_facts_match_ansible_setup_on_this_machine() {
    let Some(ansible) = std::env::var_os("HEARTH_ANSIBLE_PLAYBOOK") else {
        eprintln!("note: HEARTH_ANSIBLE_PLAYBOOK unset, skipping the comparison with Ansible's facts");
        return;
    };
    let (a, h) = (Project::new(), Project::new());
    a.write("play.yml", DUMP);
    h.write("play.yml", DUMP);
    let python = Path::new(&ansible).with_file_name("python3");
    let out = Command::new(&ansible)
        .args(["-i", "localhost,", "-c", "local", "play.yml", "-e"])
        .arg(format!("ansible_python_interpreter={}", python.display()))
        .arg("-e")
        .arg(format!("root={}", a.root()))
        .current_dir(a.path(""))
        .output()
        .expect("run ansible-playbook");
    Run::from(out).code(0);
    let root = format!("root={}", h.root());
    let py = format!("ansible_python_interpreter={}", python.display());
    h.hearth(&["apply", "play.yml", "-i", "localhost,", "-c", "local", "-e", &root, "-e", &py]).code(0);
    let (fa, fh) = (read_json(&a.path("facts.json")), read_json(&h.path("facts.json")));
    let mut diffs = Vec::new();
    for k in SAME {
        if fa.get(*k) != fh.get(*k) {
            diffs.push(format!("{k}: ansible {:?} hearth {:?}", fa.get(*k), fh.get(*k)));
        }
    }
    // Ansible lists addresses in directory order of /sys/class/net: compare them as sets.
    // Labs of tests running at the same time add and remove their bridges and veths
    // (`hrthN`, `hvNxM`, 10.77.x.x) between the two gathers: those are left out.
    let lab_made = |x: &str| x.starts_with("\"hrth") || x.starts_with("\"hv") || x.starts_with("\"10.77.");
    let sorted = |v: &Value| {
        let mut a: Vec<String> =
            v.as_array().into_iter().flatten().map(|x| x.to_string()).filter(|x| !lab_made(x)).collect();
        a.sort();
        a
    };
    for k in ["all_ipv4_addresses", "interfaces"] {
        if sorted(&fa[k]) != sorted(&fh[k]) {
            diffs.push(format!("{k}: {} / {}", fa[k], fh[k]));
        }
    }
    // The clock moves and free space changes between the two runs: compare keys and names.
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    if sorted_strings(keys(&fa["date_time"])) != sorted_strings(keys(&fh["date_time"])) {
        diffs.push(format!("date_time keys: {} / {}", fa["date_time"], fh["date_time"]));
    }
    let mounts = |v: &Value| -> Vec<String> {
        let fields = ["mount", "device", "fstype", "options", "uuid"];
        v.as_array().into_iter().flatten().map(|m| fields.map(|f| m[f].to_string()).join(" ")).collect()
    };
    if sorted_strings(mounts(&fa["mounts"])) != sorted_strings(mounts(&fh["mounts"])) {
        diffs.push(format!("mounts: {:?} / {:?}", mounts(&fa["mounts"]), mounts(&fh["mounts"])));
    }
    assert!(diffs.is_empty(), "facts differ from Ansible's:\n{}", diffs.join("\n"));
}

fn sorted_strings(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn gather_facts_false_skips_the_gathering_task() {
    let p = Project::new();
    p.write("a.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=\"{{ ansible_distribution | default('none') }}\"\n");
    let r = p.hearth(&["apply", "a.yml", "-i", "localhost,", "-c", "local"]);
    r.code(0).stdout_has("\"msg\": \"none\"");
    assert!(!r.stdout.contains("Gathering Facts"));
    assert_eq!(r.recap("localhost", "ok"), 1);
    p.write("b.yml", "- hosts: localhost\n  tasks: []\n- hosts: localhost\n  gather_subset: ['!all']\n  tasks:\n    - assert: {that: [ansible_facts.distribution is defined, ansible_memtotal_mb is not defined, ansible_version.major == 2]}\n");
    let r = p.hearth(&["apply", "b.yml", "-i", "localhost,", "-c", "local", "--tags", "nothing"]);
    // Gathering Facts is not subject to --tags (Ansible tags it `always`): one per play.
    r.code(0);
    assert_eq!(r.recap("localhost", "ok"), 2, "{}", r.stdout);
}

const LAB_FACTS: &str = "- hosts: HOSTS\n  tasks:\n    - copy:\n        dest: /tmp/hearth-facts.json\n        content: \"{{ ansible_facts | to_json }}\"\n    - getent: {database: passwd, key: root}\n    - copy:\n        dest: /tmp/hearth-getent.txt\n        content: \"{{ getent_passwd.root[4] }} {{ ansible_facts.getent_passwd.root[5] }}\\n\"\n";

#[test]
fn lab_hosts_report_their_own_facts_over_ssh() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("site.yml", &LAB_FACTS.replace("HOSTS", &names(lab)));
    let inv = lab.inventory.display().to_string();
    // A mount of a device given by path (the lab's own are overlays and tmpfs, which Ansible
    // leaves out), at a point with a space in it.
    for i in 0..lab.hosts.len() {
        lab.ok(
            i,
            "root",
            &format!("mkdir -p {MNT:?} && mount -t tmpfs -o size=8m /dev/hearth-facts {MNT:?}"),
        );
    }
    let started = std::time::Instant::now();
    let r = p.hearth(&["apply", "site.yml", "-i", &inv]);
    let took = started.elapsed();
    r.code(0);
    for (i, (name, addr)) in lab.hosts.iter().enumerate() {
        assert_eq!(r.recap(name, "ok"), 4, "{}", r.stdout);
        let f: Value = serde_json::from_str(&lab.ok(i, "root", "cat /tmp/hearth-facts.json")).expect("json");
        assert_eq!(f["default_ipv4"]["address"], addr.as_str(), "{name}");
        assert_eq!(f["nodename"], lab.ok(i, "root", "uname -n").trim(), "{name}");
        assert_eq!(f["architecture"], lab.ok(i, "root", "uname -m").trim(), "{name}");
        let id = lab.ok(i, "root", ". /etc/os-release; echo $ID");
        assert_eq!(f["distribution"].as_str().map(str::to_lowercase).as_deref(), Some(id.trim()), "{name}");
        assert!(f["memtotal_mb"].as_u64().is_some_and(|m| m > 0));
        community_facts(lab, i, &f, addr);
        assert_eq!(lab.ok(i, "root", "cat /tmp/hearth-getent.txt").trim(), "/root /bin/bash");
        lab.ok(i, "root", &format!("umount {MNT:?} && rmdir {MNT:?}"));
    }
    eprintln!("gathering facts + 3 tasks on {} lab hosts took {took:?}", lab.hosts.len());
    // `ansible_python_interpreter` is the Python reported, as it is the one Ansible runs.
    p.write("py.yml", "- hosts: lab1\n  tasks:\n    - assert: {that: [\"ansible_python.executable == '/usr/bin/python3'\"]}\n");
    p.hearth(&["apply", "py.yml", "-i", &inv, "-e", "ansible_python_interpreter=/usr/bin/python3"]).code(0);
}

/// Where the lab test mounts a filesystem of its own.
const MNT: &str = "/mnt/hearth facts";

/// The facts community roles read, checked against the lab host itself: date, Python,
/// userspace bits, the lab interface and the root mount.
fn community_facts(lab: &Lab, i: usize, f: &Value, addr: &str) {
    let host = |cmd: &str| lab.ok(i, "root", cmd).trim().to_string();
    let dt = &f["date_time"];
    assert_eq!(dt["year"], host("date +%Y").as_str());
    assert_eq!(dt["tz_offset"], host("date +%z").as_str());
    let epoch: i64 = dt["epoch_int"].as_str().and_then(|e| e.parse().ok()).expect("epoch_int");
    let now: i64 = host("date +%s").parse().expect("date +%s");
    assert!((now - epoch).abs() < 120, "epoch {epoch} vs host {now}");
    assert_eq!(f["userspace_bits"], host("getconf LONG_BIT").as_str());
    let exe = f["python"]["executable"].as_str().expect("python found on the lab host");
    let version = host(&format!("{exe} -c 'import platform; print(platform.python_version())'"));
    assert_eq!(f["python_version"], version.as_str());
    assert_eq!(f["python"]["version_info"][0], 3);
    let iface = f["default_ipv4"]["interface"].as_str().expect("default interface");
    assert!(f["interfaces"].as_array().is_some_and(|l| l.iter().any(|n| n == iface)), "{}", f["interfaces"]);
    let nic = &f[iface.replace(['-', ':'], "_")];
    assert_eq!(nic["ipv4"]["address"], addr);
    assert_eq!(nic["device"], iface);
    assert_eq!(nic["active"], true);
    assert_eq!(nic["macaddress"], host(&format!("cat /sys/class/net/{iface}/address")).as_str());
    assert_eq!(f["lo"]["ipv4"]["address"], "127.0.0.1");
    // Like Ansible: the mounts of devices given by path (the lab's overlay root is not one).
    let mounts = f["mounts"].as_array().expect("mounts");
    let mut points: Vec<&str> = mounts.iter().filter_map(|m| m["mount"].as_str()).collect();
    points.sort_unstable();
    let table =
        host("awk '($1 ~ /^\\// || $1 ~ /:\\//) && $3 != \"none\" {print $2}' /proc/mounts | sort -u");
    let table: Vec<String> = table.lines().map(|l| l.replace("\\040", " ")).collect();
    assert_eq!(points, table, "{}", host("cat /proc/mounts"));
    assert!(mounts.iter().all(|m| m["size_total"].as_u64().is_some_and(|s| s > 0)), "{mounts:?}");
    assert!(mounts.iter().all(|m| m["fstype"] != "proc" && m["fstype"] != "sysfs"));
    let m = mounts.iter().find(|m| m["mount"] == MNT).expect("the test's mount");
    assert_eq!((m["device"].as_str(), m["fstype"].as_str()), (Some("/dev/hearth-facts"), Some("tmpfs")));
    assert_eq!(m["size_total"], 8 * 1024 * 1024, "{m}");
    assert!(m["options"].as_str().is_some_and(|o| o.starts_with("rw")), "{m}");
}

/// The community-shaped role of tests/compat/role_community on lab hosts over SSH.
#[test]
fn community_role_runs_on_lab_hosts() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat/role_community");
    copy_dir(&case, &p.path(""));
    let dir = "/tmp/hearth-role-case";
    for i in 0..lab.hosts.len() {
        lab.ok(i, "root", &format!("rm -rf {dir} && mkdir {dir}"));
    }
    let inv = lab.inventory.display().to_string();
    let root = format!("root={dir}");
    let play = std::fs::read_to_string(p.path("play.yml"))
        .expect("play")
        .replace("hosts: localhost", &format!("hosts: {}", names(lab)));
    p.write("play.yml", &play);
    let first = p.hearth(&["apply", "play.yml", "-i", &inv, "-e", &root]);
    first.code(0);
    let second = p.hearth(&["apply", "play.yml", "-i", &inv, "-e", &root]);
    second.code(0);
    for (i, (name, _)) in lab.hosts.iter().enumerate() {
        assert_eq!(
            (first.recap(name, "ok"), first.recap(name, "changed"), first.recap(name, "skipped")),
            (23, 15, 2),
            "{}",
            first.stdout
        );
        assert_eq!(second.recap(name, "changed"), 0, "{}", second.stdout);
        // lab.ok trims the output: compare without the final newline.
        let file = |f: &str| format!("{}\n", lab.ok(i, "root", &format!("cat {dir}/{f}")).trim_end());
        assert_eq!(file("handlers-seen.txt"), "restart homelab-app\nreload homelab-app homelab-app-rh\n");
        assert_eq!(file("packages.txt"), "curl ca-certificates for homelab-app\n");
        let arch = lab.ok(i, "root", "uname -m");
        let conf = format!("# homelab-app 1.4.2\nport = 8080\nusers = root\narch = {}\n", arch.trim());
        assert_eq!(file("app.conf"), conf);
        assert_eq!(file("server.conf"), "# seeded\nport = 8081\nfamily = Debian\n");
    }
}

/// `meta: reset_connection`: a group added to the login user shows only after reconnecting.
#[test]
fn reset_connection_picks_up_new_groups() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    lab.ok(1, "root", "groupadd -f hearthreset && gpasswd -d hearth hearthreset >/dev/null 2>&1; true");
    p.write(
        "site.yml",
        "- hosts: lab2_user\n  gather_facts: false\n  tasks:\n    - command: id -Gn\n      register: before\n    - command: usermod -aG hearthreset hearth\n      become: true\n    - command: id -Gn\n      register: stale\n    - meta: reset_connection\n    - command: id -Gn\n      register: fresh\n    - assert:\n        that:\n          - \"'hearthreset' not in before.stdout.split()\"\n          - \"'hearthreset' not in stale.stdout.split()\"\n          - \"'hearthreset' in fresh.stdout.split()\"\n",
    );
    let inv = lab.inventory.display().to_string();
    let r = p.hearth(&["apply", "site.yml", "-i", &inv]);
    lab.ok(1, "root", "gpasswd -d hearth hearthreset >/dev/null 2>&1; groupdel hearthreset; true");
    r.code(0);
}

/// The lab's root logins as a host pattern (the inventory also has `labN_user` aliases).
fn names(lab: &Lab) -> String {
    lab.hosts.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(",")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("readdir").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}
