//! `delegate_to` any inventory host (with that host's own connection variables), templated
//! delegation, `delegate_facts`, `local_action`/`action`, and `run_once` with `delegate_to`, on
//! real lab hosts. Reads hosts back with the system ssh. Skipped (one line) when not root.

use crate::support::Project;
use crate::support::lab::Lab;

/// The playbook: a play on `lab1_user` (user `hearth`) that delegates to `lab2`/`lab3` (root),
/// then a play on all root hosts with one `run_once` delegated task.
fn playbook(tag: &str, out: &str) -> String {
    format!(
        r#"- hosts: lab1_user
  gather_facts: false
  tasks:
    - name: who runs on lab2
      command: id -un
      delegate_to: lab2
      register: who
      changed_when: false
    - name: mark lab3
      shell: "echo {{{{ inventory_hostname }}}} > /tmp/deleg-{tag}"
      args:
        creates: /tmp/deleg-{tag}
      delegate_to: "{{{{ groups.lab[2] }}}}"
    - name: facts of lab3
      setup:
      delegate_to: lab3
      delegate_facts: true
    - name: a fact for lab2
      set_fact:
        marker: from-lab1
      delegate_to: lab2
      delegate_facts: true
    - name: hostname through action
      action:
        module: command
        cmd: hostname
      register: own
      changed_when: false
    - name: summary on the controller
      local_action: copy content="{{{{ who.stdout }}}} {{{{ hostvars['lab3'].ansible_hostname }}}} {{{{ ansible_hostname | default('none') }}}} {{{{ own.stdout }}}} {{{{ hostvars['lab2'].marker }}}} {{{{ marker | default('unset') }}}}" dest={out}/summary.txt

- hosts: lab
  gather_facts: false
  tasks:
    - name: once on lab1
      shell: "echo {{{{ inventory_hostname }}}} >> /tmp/once-{tag}"
      run_once: true
      delegate_to: lab1
"#
    )
}

#[test]
fn delegate_to_inventory_hosts_uses_their_connection_and_delegate_facts_moves_facts() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let tag = format!("{}", std::process::id());
    p.write("site.yml", &playbook(&tag, &p.root()));

    let first = lab.apply(&p, &["site.yml"]);
    first.code(0);
    // lab2 is reached as root (its own ansible_user), not as the play host's user `hearth`.
    assert_eq!(p.read("summary.txt"), "root lab3 none lab1 from-lab1 unset");
    // As Ansible shows a delegate with its own address: `[lab1_user -> lab2(10.77.N.12)]`.
    first.stdout_has(&format!("[lab1_user -> lab2({})]", lab.address(1)));
    first.stdout_has(&format!("[lab1_user -> lab3({})]", lab.address(2)));
    assert_eq!(lab.ok(2, "root", &format!("cat /tmp/deleg-{tag}")), "lab1_user");
    assert_eq!(
        lab.ok(0, "root", &format!("test -e /tmp/deleg-{tag} && echo there || echo absent")),
        "absent"
    );
    // run_once + delegate_to: one run, on lab1, with the first host's variables.
    assert_eq!(lab.ok(0, "root", &format!("cat /tmp/once-{tag}")), "lab1");
    assert_eq!(first.recap("lab1_user", "changed"), 2, "{}", first.stdout);

    let again = lab.apply(&p, &["site.yml", "--limit", "lab1_user"]);
    again.code(0);
    assert_eq!(again.recap("lab1_user", "changed"), 0, "{}", again.stdout);
    assert_eq!(p.read("summary.txt"), "root lab3 none lab1 from-lab1 unset");
}

#[test]
fn an_unreachable_delegate_fails_the_task_naming_it() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    // An unused address on the lab's own bridge: the attempt never leaves the test network.
    let gw = lab.gateway();
    let nobody = format!("{}.99", &gw[..gw.rfind('.').expect("dotted address")]);
    p.write(
        "site.yml",
        &format!("- hosts: lab1\n  gather_facts: false\n  tasks:\n    - command: 'true'\n      delegate_to: {nobody}\n"),
    );
    let run = lab.apply(&p, &["site.yml"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    run.stdout_has(&format!("[lab1 -> {nobody}]: UNREACHABLE!"));
    assert_eq!(run.recap("lab1", "unreachable"), 1, "{}", run.stdout);
}
