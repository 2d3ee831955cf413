//! Debian's package-system side modules over SSH on lab hosts: `community.general.alternatives`
//! through the real `update-alternatives`, `dpkg_selections` and `package_facts` through dpkg.
//! Read back with the system ssh.

use crate::support::lab::Lab;
use crate::support::{Project, play_on};

#[test]
fn alternatives_install_select_auto_remove() {
    let Some(lab) = Lab::get() else { return };
    for n in ["a", "b"] {
        lab.ok(1, "root", &format!("printf '#!/bin/sh\\necho {n}\\n' > /usr/local/bin/hearth-alt-{n} && chmod 755 /usr/local/bin/hearth-alt-{n}"));
    }
    let p = Project::new();
    let first = "    - community.general.alternatives: {name: hearth-alt, link: /usr/local/bin/hearth-alt, path: /usr/local/bin/hearth-alt-a, priority: 10}\n      register: a\n    \
                 - alternatives: {name: hearth-alt, link: /usr/local/bin/hearth-alt, path: /usr/local/bin/hearth-alt-b, priority: 20, state: present}\n";
    p.write("site.yml", &play_on("lab2", first));
    let check = lab.apply(&p, &["site.yml", "--check"]);
    check.code(0);
    assert!(
        !lab.ssh(1, "root", "test -e /usr/local/bin/hearth-alt").status.success(),
        "check mode installs nothing"
    );
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap("lab2", "changed"), 2, "{}", run.stdout);
    assert_eq!(lab.ok(1, "root", "hearth-alt"), "a", "selected (manual) stays on a despite b's priority");
    let again = lab.apply(&p, &["site.yml"]);
    assert_eq!(again.recap("lab2", "changed"), 0, "{}", again.stdout);

    p.write(
        "auto.yml",
        &play_on(
            "lab2",
            "    - alternatives: {name: hearth-alt, path: /usr/local/bin/hearth-alt-a, state: auto}\n",
        ),
    );
    lab.apply(&p, &["auto.yml"]).code(0);
    assert_eq!(lab.ok(1, "root", "hearth-alt"), "b", "auto picks the highest priority");
    p.write("absent.yml", &play_on("lab2", "    - alternatives: {name: hearth-alt, path: /usr/local/bin/hearth-alt-b, state: absent}\n    \
        - alternatives: {name: hearth-alt, path: /usr/local/bin/hearth-missing}\n      register: bad\n      ignore_errors: true\n    \
        - assert: {that: [\"bad.msg == 'Specified path /usr/local/bin/hearth-missing does not exist'\"]}\n"));
    lab.apply(&p, &["absent.yml"]).code(0);
    assert_eq!(lab.ok(1, "root", "hearth-alt"), "a");
}

#[test]
fn dpkg_selections_hold_and_release() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let tasks = "    - dpkg_selections: {name: bash, selection: hold}\n      register: h\n    \
                 - assert: {that: [h.changed, \"h.before == 'install'\", \"h.after == 'hold'\"]}\n    \
                 - ansible.builtin.dpkg_selections: {name: hearth-no-such-package, selection: hold}\n      register: bad\n      ignore_errors: true\n    \
                 - assert: {that: [\"bad.msg == \\\"Failed to find package 'hearth-no-such-package' to perform selection 'hold'.\\\"\"]}\n";
    p.write("site.yml", &play_on("lab3", tasks));
    lab.apply(&p, &["site.yml", "--check"]).code(0);
    assert_eq!(
        lab.ok(2, "root", "dpkg --get-selections bash | cut -f7"),
        "install",
        "check mode changes nothing"
    );
    lab.apply(&p, &["site.yml"]).code(0);
    assert_eq!(lab.ok(2, "root", "dpkg --get-selections bash | awk '{print $2}'"), "hold");
    p.write("again.yml", &play_on("lab3", "    - dpkg_selections: {name: bash, selection: hold}\n    - dpkg_selections: {name: bash, selection: install}\n"));
    let again = lab.apply(&p, &["again.yml"]);
    again.code(0);
    assert_eq!(again.recap("lab3", "changed"), 1, "{}", again.stdout);
    assert_eq!(lab.ok(2, "root", "dpkg --get-selections bash | awk '{print $2}'"), "install");
}

#[test]
fn package_facts_from_dpkg_query() {
    let Some(lab) = Lab::get() else { return };
    let version = lab.ok(0, "root", "dpkg-query -W -f '${Version}' bash");
    let p = Project::new();
    let tasks = format!(
        "    - package_facts: {{manager: auto}}\n    \
         - assert:\n        that:\n          - \"ansible_facts.packages['bash'][0].version == '{version}'\"\n          \
         - \"packages.bash[0].source == 'apt'\"\n          - \"'hearth-not-installed' not in ansible_facts.packages\"\n    \
         - ansible.builtin.package_facts: {{manager: rpm}}\n      register: bad\n      ignore_errors: true\n    \
         - assert: {{that: [\"bad.msg.startswith('Unsupported package managers requested: rpm')\"]}}\n"
    );
    p.write("site.yml", &play_on("lab1", &tasks));
    lab.apply(&p, &["site.yml"]).code(0);
}
