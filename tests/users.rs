//! `user` and `group` over SSH on lab hosts: creation with supplementary groups, append versus
//! replace, idempotent re-runs, system users, gids, passwords kept out of output, removal.
//! Read back with `getent`/`id` through the system ssh.

use crate::support::Project;
use crate::support::lab::Lab;

/// A play on `host`; the two tests use different hosts, since shadow-utils on one host must
/// not run concurrently.
fn play_on(host: &str, tasks: &str) -> String {
    format!("- hosts: {host}\n  gather_facts: false\n  tasks:\n{tasks}")
}

fn play(tasks: &str) -> String {
    play_on("lab2", tasks)
}

#[test]
fn user_groups_append_replace_and_remove() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let hash = "$6$hearthsalt$0JqR2h7H0o6y0tVQ6yPq0nVwTg4X3c1ZQ5mQb7n1m3G8mQnVx0dS8vQ2QJ7o3m9rZ6uQ1bF0t8pV2cY4a5h6j.";
    p.write(
        "site.yml",
        &play(&format!(
            "    - group: {{name: hearth-g1, gid: 4711}}\n      register: g\n    \
             - assert: {{that: [\"g.changed\", \"g.gid == 4711\", \"g.name == 'hearth-g1'\", \"g.state == 'present'\"]}}\n      when: first is defined\n    \
             - group: {{name: hearth-g2}}\n    \
             - user: {{name: hearth-u1, groups: hearth-g1, append: true, shell: /bin/sh, password: '{hash}'}}\n      register: u\n    \
             - assert: {{that: [\"u.changed\", \"u.home == '/home/hearth-u1'\", \"u.shell == '/bin/sh'\", \"u.password == 'NOT_LOGGING_PASSWORD'\"]}}\n      when: first is defined\n    \
             - user: {{name: hearth-u1, groups: [hearth-g2], append: true}}\n"
        )),
    );
    let run = lab.apply(&p, &["site.yml", "-v", "-e", "first=1"]);
    run.code(0);
    assert_eq!(run.recap("lab2", "changed"), 4, "{}", run.stdout);
    assert!(!run.stdout.contains("hearthsalt"), "password hash shown:\n{}", run.stdout);
    assert_eq!(lab.ok(1, "root", "getent group hearth-g1"), "hearth-g1:x:4711:hearth-u1");
    assert_eq!(lab.ok(1, "root", "id -nG hearth-u1"), "hearth-u1 hearth-g1 hearth-g2");
    assert_eq!(lab.ok(1, "root", "getent shadow hearth-u1 | cut -d: -f2"), hash);
    assert_eq!(
        lab.ok(1, "root", "test -d /home/hearth-u1 && getent passwd hearth-u1 | cut -d: -f7"),
        "/bin/sh"
    );

    let again = lab.apply(&p, &["site.yml"]);
    again.code(0);
    assert_eq!(again.recap("lab2", "changed"), 0, "{}", again.stdout);

    p.write("replace.yml", &play("    - user: {name: hearth-u1, groups: 'hearth-g2'}\n      register: u\n    - assert: {that: [\"u.changed\", \"u.groups == 'hearth-g2'\"]}\n"));
    lab.apply(&p, &["replace.yml"]).code(0);
    assert_eq!(lab.ok(1, "root", "id -nG hearth-u1"), "hearth-u1 hearth-g2");

    p.write("bad.yml", &play("    - user: {name: hearth-u1, groups: [hearth-nogroup]}\n"));
    lab.apply(&p, &["bad.yml"]).code(2).stdout_has("Group hearth-nogroup does not exist");

    p.write(
        "remove.yml",
        &play("    - user: {name: hearth-u1, state: absent, remove: true}\n    - group: {name: hearth-g1, state: absent}\n"),
    );
    let check = lab.apply(&p, &["remove.yml", "--check"]);
    check.code(0);
    assert_eq!(check.recap("lab2", "changed"), 2);
    lab.ok(1, "root", "getent passwd hearth-u1");
    lab.apply(&p, &["remove.yml"]).code(0);
    assert!(!lab.ssh(1, "root", "getent passwd hearth-u1").status.success());
    assert!(!lab.ssh(1, "root", "getent group hearth-g1").status.success());
    assert_eq!(lab.ok(1, "root", "test -e /home/hearth-u1 || echo gone"), "gone");
    let gone = lab.apply(&p, &["remove.yml"]);
    assert_eq!(gone.recap("lab2", "changed"), 0);
}

#[test]
fn system_user_and_gid_change() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write(
        "site.yml",
        &play_on("lab3", 
            "    - user: {name: hearth-sys, system: true, create_home: false, shell: /usr/sbin/nologin}\n      register: u\n    \
             - assert: {that: [\"u.system\", \"u.uid < 1000\", \"not u.create_home\"]}\n    \
             - group: {name: hearth-g3, gid: 4720, system: true}\n    \
             - group: {name: hearth-g3, gid: 4721}\n      register: g\n    \
             - assert: {that: [\"g.changed\", \"g.gid == 4721\"]}\n",
        ),
    );
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap("lab3", "changed"), 3, "{}", run.stdout);
    let uid: u32 = lab.ok(2, "root", "id -u hearth-sys").parse().unwrap();
    assert!(uid < 1000, "system uid {uid}");
    assert_eq!(lab.ok(2, "root", "test -e /home/hearth-sys || echo none"), "none");
    assert_eq!(lab.ok(2, "root", "getent group hearth-g3 | cut -d: -f3"), "4721");
}
