//! The connection keywords `remote_user`, `port` and `connection` on real lab hosts, at play,
//! task, block and `roles:`-entry level: the login user where no `ansible_user` variable names
//! one (variables win, as in Ansible), templated, a new login when a play or task asks for
//! another user, `connection: local` on the controller, and delegated logins. Skipped (one
//! line) when not root.

use crate::support::Project;
use crate::support::lab::Lab;

/// An inventory of lab hosts 1 and 2 without `ansible_user`, except host 2 which sets root.
fn inventory(lab: &Lab) -> String {
    format!(
        "all:\n  vars:\n    ansible_ssh_private_key_file: {key}\n    ansible_ssh_common_args: \"-o UserKnownHostsFile={kh} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes\"\n  hosts:\n    free:\n      ansible_host: {a}\n    pinned:\n      ansible_host: {b}\n      ansible_user: root\n      ansible_port: 22\n",
        key = lab.key.display(),
        kh = lab.known_hosts.display(),
        a = lab.address(0),
        b = lab.address(1),
    )
}

/// A play as `user` that records `id -un` of each host in `out/<host>-<n>.txt`.
fn play(user: &str, n: u32, out: &str) -> String {
    format!(
        "- hosts: all\n  gather_facts: false\n  remote_user: {user}\n  vars:\n    lab_login: hearth\n  tasks:\n    - command: id -un\n      register: who\n      changed_when: false\n    - local_action: copy content={{{{ who.stdout }}}} dest={out}/{{{{ inventory_hostname }}}}-{n}.txt\n"
    )
}

#[test]
fn remote_user_logs_in_as_that_user_unless_a_variable_names_one() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("inv.yml", &inventory(lab));
    let root = p.root();
    let book = [play("\"{{ lab_login }}\"", 1, &root), play("root", 2, &root)].concat();
    p.write("site.yml", &book);
    p.hearth(&["apply", "site.yml", "-i", "inv.yml"]).code(0);
    assert_eq!(p.read("free-1.txt"), "hearth");
    assert_eq!(p.read("free-2.txt"), "root", "the second play must log in again as root");
    assert_eq!(p.read("pinned-1.txt"), "root", "ansible_user wins over remote_user");
    assert_eq!(p.read("pinned-2.txt"), "root");
}

#[test]
fn play_port_is_used_unless_a_variable_names_one() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("inv.yml", &inventory(lab));
    p.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  remote_user: root\n  port: 2\n  tasks:\n    - command: 'true'\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.yml"]);
    assert_eq!(run.recap("free", "unreachable"), 1, "nothing listens on port 2: {}", run.stdout);
    assert_eq!(run.recap("pinned", "ok"), 1, "ansible_port wins over the play's port: {}", run.stdout);
    run.stdout_has("port 2");
}

/// Records `{{ <var>.stdout }}` of each host in `out/<host>-<var>.txt`, on the controller.
fn record(vars: &[&str], out: &str) -> String {
    vars.iter()
        .map(|v| {
            format!(
                "    - local_action: copy content={{{{ {v}.stdout }}}} dest={out}/{{{{ inventory_hostname }}}}-{v}.txt\n"
            )
        })
        .collect()
}

#[test]
fn task_and_block_remote_user_log_in_as_that_user_unless_a_variable_names_one() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("inv.yml", &inventory(lab));
    let tasks = "    - command: id -un\n      remote_user: hearth\n      register: task\n      changed_when: false\n    - remote_user: \"{{ lab_login }}\"\n      block:\n        - command: id -un\n          register: block\n          changed_when: false\n        - command: id -un\n          become: true\n          register: becomes\n          changed_when: false\n    - command: id -un\n      register: after\n      changed_when: false\n    - command: id -un\n      remote_user: root\n      vars:\n        ansible_ssh_user: hearth\n      register: tvars\n      changed_when: false\n";
    let book = format!(
        "- hosts: all\n  gather_facts: false\n  remote_user: root\n  vars:\n    lab_login: hearth\n    ansible_become_password: hearth-lab\n  tasks:\n{tasks}{}",
        record(&["task", "block", "becomes", "after", "tvars"], &p.root())
    );
    p.write("site.yml", &book);
    p.hearth(&["apply", "site.yml", "-i", "inv.yml"]).code(0);
    assert_eq!(p.read("free-task.txt"), "hearth", "the task's remote_user");
    assert_eq!(p.read("free-block.txt"), "hearth", "the block's templated remote_user");
    assert_eq!(p.read("free-becomes.txt"), "root", "become over the task's login");
    assert_eq!(p.read("free-after.txt"), "root", "the next task is back on the play's login");
    for v in ["task", "block", "becomes", "after"] {
        assert_eq!(p.read(&format!("pinned-{v}.txt")), "root", "ansible_user wins over remote_user ({v})");
    }
    // A task's own variables win too, and `ansible_ssh_user` over `ansible_user` (as in Ansible).
    assert_eq!(p.read("free-tvars.txt"), "hearth");
    assert_eq!(p.read("pinned-tvars.txt"), "hearth");
}

#[test]
fn a_roles_entry_remote_user_reaches_the_role_tasks() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("inv.yml", &inventory(lab));
    p.write(
        "roles/who/tasks/main.yml",
        &format!(
            "- command: id -un\n  register: role\n  changed_when: false\n{}",
            record(&["role"], &p.root()).replace("    - ", "- ")
        ),
    );
    p.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  remote_user: root\n  roles:\n    - role: who\n      remote_user: hearth\n",
    );
    p.hearth(&["apply", "site.yml", "-i", "inv.yml"]).code(0);
    assert_eq!(p.read("free-role.txt"), "hearth");
    assert_eq!(p.read("pinned-role.txt"), "root", "ansible_user wins over the entry's remote_user");
}

#[test]
fn task_port_is_used_unless_a_variable_names_one() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("inv.yml", &inventory(lab));
    p.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  remote_user: root\n  tasks:\n    - command: 'true'\n      port: \"{{ 1 + 1 }}\"\n    - command: 'true'\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.yml"]);
    assert_eq!(run.recap("free", "unreachable"), 1, "nothing listens on port 2: {}", run.stdout);
    assert_eq!(run.recap("free", "ok"), 0, "an unreachable host takes no more tasks: {}", run.stdout);
    assert_eq!(run.recap("pinned", "ok"), 2, "ansible_port wins over the task's port: {}", run.stdout);
    run.stdout_has("port 2");
}

#[test]
fn task_connection_local_runs_on_the_controller_as_the_host() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("inv.yml", &inventory(lab));
    let root = p.root();
    p.write(
        "site.yml",
        &format!(
            "- hosts: all\n  gather_facts: false\n  remote_user: root\n  tasks:\n    - copy:\n        content: \"{{{{ inventory_hostname }}}}\"\n        dest: {root}/local-{{{{ inventory_hostname }}}}.txt\n      connection: local\n    - file:\n        path: {root}\n        state: directory\n    - copy:\n        content: remote\n        dest: {root}/remote-{{{{ inventory_hostname }}}}.txt\n"
        ),
    );
    p.hearth(&["apply", "site.yml", "-i", "inv.yml"]).code(0);
    assert_eq!(p.read("local-free.txt"), "free", "written on the controller, as the host");
    assert_eq!(p.read("local-pinned.txt"), "pinned");
    assert!(!p.path("remote-free.txt").exists(), "a task without the keyword runs on the host");
    let on_host = lab.ok(0, "root", &format!("cat {root}/remote-free.txt"));
    assert_eq!(on_host.trim(), "remote");
}

#[test]
fn delegated_tasks_log_in_to_the_delegate_with_the_task_remote_user() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("inv.yml", &inventory(lab));
    let tasks = "    - command: id -un\n      delegate_to: free\n      remote_user: hearth\n      register: to_free\n      changed_when: false\n    - command: id -un\n      delegate_to: pinned\n      remote_user: hearth\n      register: to_pinned\n      changed_when: false\n";
    p.write(
        "site.yml",
        &format!(
            "- hosts: all\n  gather_facts: false\n  remote_user: root\n  tasks:\n{tasks}{}",
            record(&["to_free", "to_pinned"], &p.root())
        ),
    );
    p.hearth(&["apply", "site.yml", "-i", "inv.yml"]).code(0);
    for h in ["free", "pinned"] {
        assert_eq!(p.read(&format!("{h}-to_free.txt")), "hearth", "{h} delegating to free");
        assert_eq!(p.read(&format!("{h}-to_pinned.txt")), "root", "{h}: the delegate's ansible_user wins");
    }
}

#[test]
fn a_task_connection_hearth_lacks_is_named() {
    let p = Project::new();
    p.write("inv.yml", "all:\n  hosts:\n    box:\n      ansible_host: 192.0.2.1\n");
    p.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  connection: local\n  tasks:\n    - command: 'true'\n    - command: 'true'\n      connection: \"{{ 'docker' }}\"\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.yml"]);
    assert_eq!(run.recap("box", "ok"), 1, "{}", run.stdout);
    assert_eq!(run.recap("box", "unreachable"), 1, "{}", run.stdout);
    run.stdout_has("connection type 'docker' (for box) is not supported: use ssh or local");
}
