//! `reboot` on lab hosts: the lab's `shutdown` stand-in records the call and simulates a reboot
//! (every SSH session drops, sshd is away ~1.5 s, the host gets a new boot id), so the task must
//! log in again with a new master and a later task must run over it. The real reboots happen on
//! a lab of their own (they cut every session on the host, which would break other tests on the
//! shared lab), where the same playbooks also run under ansible-playbook on the second host to
//! compare recaps. Check mode, a timeout, the control node and a bad parameter need no reboot.

use std::path::Path;

use crate::support::ansible;
use crate::support::lab::Lab;
use crate::support::{Project, Run, play_on};

const BOOT_ID: &str = "cat /proc/sys/kernel/random/boot_id";

/// Reboot, then a task over the new connection that must see another boot id.
const TASKS: &str = "    - command: cat /proc/sys/kernel/random/boot_id\n      register: before\n      changed_when: false\n    \
    - ansible.builtin.reboot:\n      register: r\n    \
    - command: cat /proc/sys/kernel/random/boot_id\n      register: after\n      changed_when: false\n    \
    - assert: {that: [r.rebooted, r.changed, 'before.stdout != after.stdout', 'r.elapsed >= 0']}\n";

/// Check mode: nothing runs, the task reports changed with `rebooted: true`, as in Ansible.
const CHECK_TASKS: &str = "    - reboot: {msg: not now}\n      register: r\n    \
    - assert: {that: [r.rebooted, r.changed, 'r.elapsed == 0']}\n";

fn run_ansible(ansible: &Path, p: &Project, lab: &Lab, args: &[&str]) -> Run {
    ansible::on_lab(ansible, &p.path(""), lab, args)
}

/// A host's recap counters without its name.
fn counters(run: &Run, host: &str) -> String {
    ["ok", "changed", "unreachable", "failed", "skipped"]
        .iter()
        .map(|f| format!("{f}={}", run.recap(host, f)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shutdown_calls(lab: &Lab, i: usize) -> Vec<String> {
    let log = lab.ssh(i, "root", "cat /var/log/hearth-standin/shutdown.log 2>/dev/null");
    String::from_utf8_lossy(&log.stdout).lines().map(str::to_string).collect()
}

#[test]
fn reboot_reconnects_and_later_tasks_see_the_new_boot() {
    let Some(shared) = Lab::get() else { return };
    let pid = std::process::id().to_string();
    let lab = Lab::start(&format!("reboot-{pid}"), 2, Some(&pid));
    let machine = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").expect("boot id");
    let first = lab.ok(0, "root", BOOT_ID);
    let p = Project::new();
    p.write("site.yml", &play_on("lab1", TASKS)).write("theirs.yml", &play_on("lab2", TASKS));
    p.write("check.yml", &play_on("lab1", CHECK_TASKS)).write("check2.yml", &play_on("lab2", CHECK_TASKS));
    let ansible = ansible::playbook("the reboot comparison");
    let (ours, theirs) = std::thread::scope(|s| {
        let theirs = ansible.as_ref().map(|a| s.spawn(|| run_ansible(a, &p, &lab, &["theirs.yml"])));
        (lab.apply(&p, &["site.yml"]), theirs.map(|t| t.join().expect("ansible thread")))
    });
    ours.code(0);
    assert_eq!(counters(&ours, "lab1"), "ok=4 changed=1 unreachable=0 failed=0 skipped=0", "{}", ours.stdout);
    assert_eq!(shutdown_calls(&lab, 0), ["-r 0 Reboot initiated by Ansible"]);
    let now = lab.ok(0, "root", BOOT_ID);
    assert_ne!(now, first, "the host has a new boot id");
    let relogin = lab.ok(0, "root", "cat /var/log/hearth-standin/sshd.log");
    assert!(relogin.contains("Accepted publickey for root"), "hearth logged in to the new sshd: {relogin}");
    // The new boot id lives in that host's mount namespace only.
    assert_eq!(std::fs::read_to_string("/proc/sys/kernel/random/boot_id").expect("boot id"), machine);
    assert_eq!(shared.ok(0, "root", BOOT_ID), machine.trim());
    for program in ["/usr/sbin/shutdown", "/usr/sbin/reboot", "/bin/systemctl"] {
        let on_machine = std::fs::read(program).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&on_machine).contains("stand-in"),
            "{program} leaked onto the machine"
        );
    }

    let check = lab.apply(&p, &["check.yml", "--check"]);
    check.code(0);
    assert_eq!(check.recap("lab1", "changed"), 1, "{}", check.stdout);
    assert_eq!(shutdown_calls(&lab, 0).len(), 1, "check mode runs no shutdown");
    assert_eq!(lab.ok(0, "root", BOOT_ID), now);

    if let (Some(ansible), Some(theirs)) = (&ansible, theirs) {
        let show = format!("--- ansible\n{}{}\n--- hearth\n{}", theirs.stdout, theirs.stderr, ours.stdout);
        assert_eq!(theirs.code, ours.code, "{show}");
        assert_eq!(counters(&theirs, "lab2"), counters(&ours, "lab1"), "{show}");
        assert_eq!(shutdown_calls(&lab, 1), shutdown_calls(&lab, 0), "the same shutdown call: {show}");
        let their_check = run_ansible(ansible, &p, &lab, &["check2.yml", "--check"]);
        assert_eq!(counters(&their_check, "lab2"), counters(&check, "lab1"), "{}", their_check.stdout);
        assert_eq!(shutdown_calls(&lab, 1).len(), 1, "Ansible's check mode runs no shutdown either");
    }
}

#[test]
fn reboot_timeout_is_a_task_failure_with_ansibles_message() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    // A boot id that never changes; `/bin/true` instead of the stand-in: nothing reboots.
    let task = "    - reboot: {reboot_command: /bin/true, boot_time_command: echo same, reboot_timeout: 2}\n      \
                register: r\n      ignore_errors: true\n    \
                - assert: {that: [r.failed, r.rebooted, 'r.msg == \"Timed out waiting for last boot time check (timeout=2)\"']}\n    \
                - reboot: {reboot_command: /bin/true, boot_time_command: echo same, reboot_timeout: 1}\n";
    p.write("site.yml", &play_on("lab3", task));
    let run = lab.apply(&p, &["site.yml"]);
    run.code(2).stdout_has("Timed out waiting for last boot time check (timeout=1)");
    assert_eq!(run.recap("lab3", "ignored"), 1, "{}", run.stdout);
    assert_eq!(run.recap("lab3", "failed"), 1, "{}", run.stdout);
    assert!(shutdown_calls(lab, 2).is_empty(), "no shutdown ran on the shared lab");
}

#[test]
fn reboot_refuses_the_control_node_and_unknown_parameters() {
    let p = Project::new();
    let local = "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - reboot:\n";
    p.write("local.yml", local);
    p.hearth(&["apply", "local.yml", "--check"])
        .code(2)
        .stdout_has("Running reboot with local connection would reboot the control node.");
    p.write(
        "typo.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - reboot: {reboot_timout: 5}\n",
    );
    p.hearth(&["apply", "typo.yml"]).code(4).stderr_has("Did you mean 'reboot_timeout'?");
}
