//! `service` and `systemd` over SSH on lab hosts, against the lab's stateful `systemctl`
//! stand-in: the exact calls it saw, idempotence, restart always changing, unknown units,
//! daemon_reload and masking. Each test uses its own unit name, so they can share hosts.

use crate::support::Project;
use crate::support::lab::Lab;

/// Writes a unit file `name.service` with an `[Install]` section into `dir` on host `i`.
fn unit_file(lab: &Lab, i: usize, dir: &str, name: &str) {
    let text = "[Service]\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n";
    lab.ok(i, "root", &format!("printf '{text}' > {dir}/{name}.service"));
}

fn play(tasks: &str) -> String {
    format!("- hosts: lab1\n  gather_facts: false\n  tasks:\n{tasks}")
}

#[test]
fn service_start_enable_is_idempotent_and_restart_always_changes() {
    let Some(lab) = Lab::get() else { return };
    unit_file(lab, 0, "/etc/systemd/system", "hearth-svc-a");
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            "    - service: {name: hearth-svc-a, state: started, enabled: true}\n      register: r\n    \
             - assert: {that: [\"r.changed\", \"r.state == 'started'\", \"r.enabled\", \"r.name == 'hearth-svc-a'\"]}\n",
        ),
    );
    let check = lab.apply(&p, &["site.yml", "--check"]);
    check.code(0);
    assert_eq!(check.recap("lab1", "changed"), 1, "{}", check.stdout);
    assert_eq!(lab.systemctl_calls(0, "hearth-svc-a"), ["show hearth-svc-a"], "check mode only reads");

    lab.apply(&p, &["site.yml"]).code(0);
    let calls = lab.systemctl_calls(0, "hearth-svc-a");
    assert_eq!(calls[1..], ["show hearth-svc-a", "enable hearth-svc-a", "start hearth-svc-a"]);
    assert_eq!(lab.ok(0, "root", "systemctl is-active hearth-svc-a"), "active");

    p.write(
        "again.yml",
        &play("    - service: {name: hearth-svc-a, state: started, enabled: true}\n      register: r\n    - assert: {that: [\"not r.changed\", \"r.status.ActiveState == 'active'\"]}\n"),
    );
    let again = lab.apply(&p, &["again.yml"]);
    again.code(0);
    assert_eq!(again.recap("lab1", "changed"), 0, "{}", again.stdout);
    let calls = lab.systemctl_calls(0, "hearth-svc-a");
    assert_eq!(
        calls.last().map(String::as_str),
        Some("show hearth-svc-a"),
        "no start on a second run: {calls:?}"
    );

    p.write("restart.yml", &play("    - systemd: {name: hearth-svc-a, state: restarted}\n    - ansible.builtin.systemd_service: {name: hearth-svc-a, state: reloaded}\n"));
    let restart = lab.apply(&p, &["restart.yml"]);
    restart.code(0);
    assert_eq!(restart.recap("lab1", "changed"), 2, "{}", restart.stdout);
    let calls = lab.systemctl_calls(0, "hearth-svc-a");
    assert_eq!(
        calls[calls.len() - 4..],
        ["show hearth-svc-a", "restart hearth-svc-a", "show hearth-svc-a", "reload hearth-svc-a"]
    );

    p.write("stop.yml", &play("    - service: {name: hearth-svc-a, state: stopped, enabled: false}\n"));
    lab.apply(&p, &["stop.yml"]).code(0);
    assert_eq!(lab.ok(0, "root", "systemctl is-active hearth-svc-a || true"), "inactive");
    assert_eq!(lab.ok(0, "root", "systemctl is-enabled hearth-svc-a || true"), "disabled");
}

#[test]
fn unknown_unit_is_a_clear_error() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write("site.yml", &play("    - service: {name: hearth-no-such-unit, state: started}\n"));
    let run = lab.apply(&p, &["site.yml"]);
    run.code(2);
    run.stdout_has("Could not find the requested service hearth-no-such-unit: host");
    assert_eq!(lab.systemctl_calls(0, "hearth-no-such-unit"), ["show hearth-no-such-unit"]);
}

#[test]
fn daemon_reload_and_masking() {
    let Some(lab) = Lab::get() else { return };
    unit_file(lab, 0, "/lib/systemd/system", "hearth-svc-m");
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            "    - systemd: {name: hearth-svc-m, daemon_reload: true, state: started, no_block: true}\n    \
             - systemd: {daemon_reload: true}\n      register: dr\n    \
             - assert: {that: [\"not dr.changed\"]}\n    \
             - systemd: {name: hearth-svc-m, state: stopped}\n    \
             - systemd: {name: hearth-svc-m, masked: true}\n",
        ),
    );
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap("lab1", "changed"), 3, "{}", run.stdout);
    let calls = lab.systemctl_calls(0, "hearth-svc-m");
    assert_eq!(
        calls,
        [
            "--no-block show hearth-svc-m",
            "--no-block start hearth-svc-m",
            "show hearth-svc-m",
            "stop hearth-svc-m",
            "show hearth-svc-m",
            "mask hearth-svc-m",
        ]
    );
    assert_eq!(lab.ok(0, "root", "readlink /etc/systemd/system/hearth-svc-m.service"), "/dev/null");
    // A masked unit cannot start.
    p.write("start.yml", &play("    - service: {name: hearth-svc-m, state: started}\n"));
    lab.apply(&p, &["start.yml"]).code(2).stdout_has("Unable to start service hearth-svc-m");
    p.write("unmask.yml", &play("    - systemd: {name: hearth-svc-m, masked: false}\n"));
    let unmask = lab.apply(&p, &["unmask.yml"]);
    unmask.code(0);
    assert_eq!(unmask.recap("lab1", "changed"), 1);
}

#[test]
fn service_refuses_another_known_init_system_by_its_fact() {
    let p = Project::new();
    p.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - service: {name: hearth-none, state: started}\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-c", "local", "-e", "ansible_service_mgr=openrc"]);
    run.code(2)
        .stdout_has("the host's service manager is openrc; hearth manages services only through systemd");
}

#[test]
fn service_hands_systemd_parameters_on_and_ignores_the_generic_ones() {
    let Some(lab) = Lab::get() else { return };
    unit_file(lab, 0, "/lib/systemd/system", "hearth-svc-p");
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            "    - service: {name: hearth-svc-p, state: started, daemon_reload: true, daemon_reexec: true, no_block: true, force: true, scope: system, pattern: hearth, sleep: 1, args: -q}\n      register: r\n    \
             - assert: {that: [\"r.changed\", \"r.state == 'started'\", \"r.warnings | length == 3\", \"'Ignoring \\\"pattern\\\" as it is not used in \\\"systemd\\\"' in r.warnings\"]}\n    \
             - service: {name: hearth-svc-p, state: stopped, masked: true}\n    \
             - service: {name: hearth-svc-p, masked: true}\n      register: again\n    \
             - assert: {that: [\"not again.changed\"]}\n",
        ),
    );
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap("lab1", "changed"), 2, "{}", run.stdout);
    run.stdout_has("Ignoring \"sleep\" as it is not used in \"systemd\"");
    assert_eq!(lab.systemctl_calls(0, "daemon-reexec"), ["--no-block --force daemon-reexec"]);
    assert_eq!(
        lab.systemctl_calls(0, "hearth-svc-p"),
        [
            "--no-block --force show hearth-svc-p",
            "--no-block --force start hearth-svc-p",
            "show hearth-svc-p",
            "mask hearth-svc-p",
            "stop hearth-svc-p",
            "show hearth-svc-p",
        ]
    );
    assert_eq!(lab.ok(0, "root", "readlink /etc/systemd/system/hearth-svc-p.service"), "/dev/null");
}

#[test]
fn systemd_only_parameters_need_systemd() {
    let p = Project::new();
    p.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - service: {name: hearth-none, state: started, daemon_reload: true, masked: false}\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-c", "local", "-e", "ansible_service_mgr=sysvinit"]);
    run.code(2).stdout_has(
        "service hearth-none: daemon_reload, masked only work with systemd, and the host's service manager is sysvinit",
    );
}

#[test]
fn service_facts_lists_units_with_state_and_status() {
    let Some(lab) = Lab::get() else { return };
    unit_file(lab, 1, "/etc/systemd/system", "hearth-facts-a");
    lab.ok(
        1,
        "root",
        "printf '[Service]\\nExecStart=/bin/true\\n' > /lib/systemd/system/hearth-facts-b.service",
    );
    let p = Project::new();
    let tasks = "    - service: {name: hearth-facts-a, state: started, enabled: true}\n    \
                 - ansible.builtin.service_facts:\n      register: r\n    \
                 - assert:\n        that:\n          - \"ansible_facts.services['hearth-facts-a.service'] == {'name': 'hearth-facts-a.service', 'state': 'running', 'status': 'enabled', 'source': 'systemd'}\"\n          - \"ansible_facts.services['hearth-facts-b.service'].state == 'stopped'\"\n          - \"ansible_facts.services['hearth-facts-b.service'].status == 'static'\"\n          - \"services['hearth-facts-a.service'].state == 'running'\"\n          - \"not r.changed\"\n";
    p.write("site.yml", &format!("- hosts: lab2\n  gather_facts: false\n  tasks:\n{tasks}"));
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
}
