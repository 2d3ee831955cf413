//! `ansible.builtin.iptables` and `community.general.ufw` on a lab host, with the real
//! iptables (nft backend) and ufw working on the host's own network namespace: rules read back
//! with `iptables -S` / `ufw status`, re-runs change nothing, check mode changes nothing, and
//! the same playbook run by ansible-playbook leaves the same rules and recap. Every test resets
//! the host's firewall at the end; one lock keeps them from running at the same time.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use crate::support::ansible;
use crate::support::lab::Lab;
use crate::support::{Project, Run, play_on};

/// lab2: no other test touches its netfilter tables.
const HOST: usize = 1;
/// Its inventory name.
const NAME: &str = "lab2";

static LOCK: Mutex<()> = Mutex::new(());

/// The lock of this file's tests (a failed test must not poison the others).
fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Empty filter and nat tables, ACCEPT policies, ufw reset, disabled, logging low (Debian's).
fn reset(lab: &Lab) {
    lab.ok(
        HOST,
        "root",
        "(ufw --force reset && ufw disable && ufw logging low) >/dev/null 2>&1; rm -f /etc/ufw/*.rules.20*; \
         for t in filter nat; do iptables -t $t -F; iptables -t $t -X; done; \
         for c in INPUT FORWARD OUTPUT; do iptables -P $c ACCEPT; done; ip6tables -F; ip6tables -X",
    );
}

fn rules(lab: &Lab) -> String {
    lab.ok(HOST, "root", "iptables -S")
}

fn run_ansible(ansible: &Path, p: &Project, lab: &Lab, args: &[&str]) -> Run {
    ansible::on_lab(ansible, &p.path(""), lab, args)
}

/// (ok, changed, failed) of the host's recap line.
fn counts(run: &Run) -> (u32, u32, u32) {
    (run.recap(NAME, "ok"), run.recap(NAME, "changed"), run.recap(NAME, "failed"))
}

const IPTABLES_TASKS: &str = "    - iptables: {chain: INPUT, protocol: tcp, destination_port: 2222, ctstate: [NEW], jump: ACCEPT, comment: hearth test ssh}\n    \
     - ansible.builtin.iptables: {chain: FORWARD, policy: DROP}\n    \
     - iptables: {chain: HEARTH, chain_management: true}\n    \
     - iptables: {chain: HEARTH, source: 10.9.9.0/24, jump: RETURN, action: insert, rule_num: 1}\n    \
     - iptables: {chain: OUTPUT, protocol: udp, destination_ports: [53, 5353], jump: LOG, log_prefix: 'dns out: ', limit: 5/min}\n";

const IPTABLES_UNDO: &str = "    - iptables: {chain: INPUT, protocol: tcp, destination_port: 2222, ctstate: [NEW], jump: ACCEPT, comment: hearth test ssh, state: absent}\n    \
     - iptables: {chain: FORWARD, policy: ACCEPT}\n    \
     - iptables: {chain: HEARTH, source: 10.9.9.0/24, jump: RETURN, state: absent}\n    \
     - iptables: {chain: HEARTH, chain_management: true, state: absent}\n    \
     - iptables: {chain: OUTPUT, protocol: udp, destination_ports: [53, 5353], log_prefix: 'dns out: ', limit: 5/min, state: absent}\n";

#[test]
fn iptables_rules_policy_chain_check_mode_and_errors() {
    let Some(lab) = Lab::get() else { return };
    let _guard = lock();
    reset(lab);
    let before = rules(lab);
    let p = Project::new();
    p.write("site.yml", &play_on(NAME, IPTABLES_TASKS));
    let check = lab.apply(&p, &["site.yml", "--check"]);
    check.code(0);
    assert_eq!(check.recap(NAME, "changed"), 5, "{}", check.stdout);
    assert_eq!(rules(lab), before, "check mode changes nothing");

    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap(NAME, "changed"), 5, "{}", run.stdout);
    let now = rules(lab);
    for line in [
        "-P FORWARD DROP",
        "-N HEARTH",
        "-A INPUT -p tcp -m tcp --dport 2222 -m conntrack --ctstate NEW -m comment --comment \"hearth test ssh\" -j ACCEPT",
        "-A HEARTH -s 10.9.9.0/24 -j RETURN",
        "-A OUTPUT -p udp -m multiport --dports 53,5353 -m limit --limit 5/min -j LOG --log-prefix \"dns out: \"",
    ] {
        assert!(now.lines().any(|l| l == line), "no {line:?} in\n{now}");
    }
    let again = lab.apply(&p, &["site.yml"]);
    again.code(0);
    assert_eq!(again.recap(NAME, "changed"), 0, "{}", again.stdout);

    p.write("undo.yml", &play_on(NAME, IPTABLES_UNDO));
    let undo = lab.apply(&p, &["undo.yml"]);
    undo.code(0);
    assert_eq!(undo.recap(NAME, "changed"), 5, "{}", undo.stdout);
    assert_eq!(rules(lab), before);

    p.write(
        "typo.yml",
        &play_on(NAME, "    - iptables: {chain: INPUT, jump: ACCEPT, destination_prot: 22}\n"),
    );
    lab.apply(&p, &["typo.yml"]).code(4).stderr_has("Did you mean 'destination_port'?");
    p.write(
        "bad.yml",
        &play_on(NAME, "    - iptables: {chain: INPUT, jump: ACCEPT, protocol: nosuchproto}\n"),
    );
    lab.apply(&p, &["bad.yml"]).code(2).stdout_has("nosuchproto");
    reset(lab);
}

#[test]
fn iptables_same_as_ansible() {
    let Some(lab) = Lab::get() else { return };
    let Some(ansible) = ansible::playbook("the firewall comparison with Ansible") else { return };
    let _guard = lock();
    let p = Project::new();
    p.write("site.yml", &play_on(NAME, IPTABLES_TASKS));
    p.write("undo.yml", &play_on(NAME, IPTABLES_UNDO));
    let mut seen = Vec::new();
    for tool in ["ansible", "hearth"] {
        reset(lab);
        let run = |args: &[&str]| match tool {
            "ansible" => run_ansible(&ansible, &p, lab, args),
            _ => lab.apply(&p, args),
        };
        let check = run(&["site.yml", "--check"]);
        let first = run(&["site.yml"]);
        let after = rules(lab);
        let again = run(&["site.yml"]);
        let undo = run(&["undo.yml"]);
        let runs = [&check, &first, &again, &undo];
        seen.push((runs.map(|r| (r.code, counts(r))), after, rules(lab), first.stdout.clone()));
    }
    reset(lab);
    let (ansible, hearth) = (&seen[0], &seen[1]);
    assert_eq!(ansible.0[1].1.1, 5, "ansible changed all five\n{}", ansible.3);
    assert_eq!(ansible.0, hearth.0, "recaps differ\n--- ansible\n{}\n--- hearth\n{}", ansible.3, hearth.3);
    assert_eq!(ansible.1, hearth.1, "iptables -S after the first run");
    assert_eq!(ansible.2, hearth.2, "iptables -S after undo");
}

const UFW_TASKS: &str = "    - community.general.ufw: {rule: allow, port: 22, proto: tcp, comment: ssh from anywhere}\n    \
     - ufw: {rule: deny, from_ip: 10.9.0.0/16, to_port: 25, proto: tcp}\n    \
     - ufw: {state: enabled, default: deny, direction: incoming}\n    \
     - ufw: {logging: medium}\n";

const UFW_DELETE: &str =
    "    - ufw: {rule: deny, from_ip: 10.9.0.0/16, to_port: 25, proto: tcp, delete: true}\n";

const UFW_OFF: &str = "    - ufw: {state: disabled}\n";

fn ufw_status(lab: &Lab) -> String {
    lab.ok(HOST, "root", "ufw status verbose")
}

#[test]
fn ufw_rules_enable_delete_check_mode_and_errors() {
    let Some(lab) = Lab::get() else { return };
    let _guard = lock();
    reset(lab);
    let p = Project::new();
    p.write("site.yml", &play_on(NAME, UFW_TASKS));
    p.write("delete.yml", &play_on(NAME, UFW_DELETE));
    p.write("off.yml", &play_on(NAME, UFW_OFF));
    let check = lab.apply(&p, &["site.yml", "--check"]);
    check.code(0);
    assert_eq!(check.recap(NAME, "changed"), 4, "{}", check.stdout);
    assert_eq!(ufw_status(lab), "Status: inactive", "check mode changes nothing");

    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap(NAME, "changed"), 4, "{}", run.stdout);
    let status = lab.ok(HOST, "root", "ufw status");
    assert!(status.starts_with("Status: active"), "{status}");
    let rule = |s: &str, to: &str, action: &str, from: &str| {
        s.lines().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.starts_with(&[to, action]) && w.get(2) == Some(&from)
        })
    };
    assert!(rule(&status, "22/tcp", "ALLOW", "Anywhere"), "{status}");
    assert!(status.contains("# ssh from anywhere"), "{status}");
    assert!(rule(&status, "25/tcp", "DENY", "10.9.0.0/16"), "{status}");
    assert!(ufw_status(lab).contains("Logging: on (medium)"));
    assert!(lab.ok(HOST, "root", "iptables -S ufw-user-input").contains("--dport 22 -j ACCEPT"));
    let again = lab.apply(&p, &["site.yml"]);
    again.code(0);
    assert_eq!(again.recap(NAME, "changed"), 0, "{}", again.stdout);

    let check = lab.apply(&p, &["delete.yml", "--check"]);
    assert_eq!(check.recap(NAME, "changed"), 1, "{}", check.stdout);
    assert!(rule(&lab.ok(HOST, "root", "ufw status"), "25/tcp", "DENY", "10.9.0.0/16"));
    let delete = lab.apply(&p, &["delete.yml"]);
    assert_eq!(delete.recap(NAME, "changed"), 1, "{}", delete.stdout);
    let status = lab.ok(HOST, "root", "ufw status");
    assert!(!status.contains("25/tcp") && rule(&status, "22/tcp", "ALLOW", "Anywhere"), "{status}");
    assert_eq!(lab.apply(&p, &["delete.yml"]).code(0).recap(NAME, "changed"), 0);

    let off = lab.apply(&p, &["off.yml"]);
    assert_eq!(off.code(0).recap(NAME, "changed"), 1, "{}", off.stdout);
    assert_eq!(ufw_status(lab), "Status: inactive");
    assert_eq!(lab.apply(&p, &["off.yml"]).code(0).recap(NAME, "changed"), 0);

    p.write("typo.yml", &play_on(NAME, "    - ufw: {rule: allow, prot: 22}\n"));
    lab.apply(&p, &["typo.yml"]).code(4).stderr_has("Did you mean 'port'?");
    p.write("bad.yml", &play_on(NAME, "    - ufw: {rule: allow, interface: eth0}\n"));
    lab.apply(&p, &["bad.yml"]).code(2).stdout_has("missing parameter(s) required by 'interface': direction");
    reset(lab);
}

#[test]
fn ufw_same_as_ansible() {
    let Some(lab) = Lab::get() else { return };
    let Some(ansible) = ansible::playbook("the firewall comparison with Ansible") else { return };
    let _guard = lock();
    let p = Project::new();
    p.write("site.yml", &play_on(NAME, UFW_TASKS));
    p.write("delete.yml", &play_on(NAME, UFW_DELETE));
    p.write("off.yml", &play_on(NAME, UFW_OFF));
    let mut seen = Vec::new();
    for tool in ["ansible", "hearth"] {
        reset(lab);
        let run = |args: &[&str]| match tool {
            "ansible" => run_ansible(&ansible, &p, lab, args),
            _ => lab.apply(&p, args),
        };
        let mut recaps = Vec::new();
        let mut outputs = Vec::new();
        for args in [
            &["site.yml", "--check"][..],
            &["site.yml"],
            &["site.yml"],
            &["delete.yml", "--check"],
            &["delete.yml"],
        ] {
            let r = run(args);
            recaps.push((r.code, counts(&r)));
            outputs.push(r.stdout);
        }
        let status = (ufw_status(lab), lab.ok(HOST, "root", "iptables -S; ip6tables -S"));
        let off = run(&["off.yml"]);
        recaps.push((off.code, counts(&off)));
        seen.push((recaps, status, ufw_status(lab), outputs.join("\n")));
    }
    reset(lab);
    let (ansible, hearth) = (&seen[0], &seen[1]);
    assert_eq!(ansible.0[1].1.1, 4, "ansible changed all four\n{}", ansible.3);
    assert_eq!(ansible.0, hearth.0, "recaps differ\n--- ansible\n{}\n--- hearth\n{}", ansible.3, hearth.3);
    assert_eq!(ansible.1, hearth.1, "ufw status verbose and iptables -S after the runs");
    assert_eq!(ansible.2, hearth.2, "ufw status after disabling");
}
