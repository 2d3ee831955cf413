//! The play keywords `remote_user` and `port` on real lab hosts: the login user where no `ansible_user`
//! variable names one (variables win, as in Ansible), templated, and a new login when the next
//! play asks for another user. Skipped (one line) when not root.

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
