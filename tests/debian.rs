//! Debian's package-system side modules over SSH on lab hosts: `community.general.alternatives`
//! through the real `update-alternatives`. Read back with the system ssh.

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
