//! `wait_for` over SSH on a lab host: a port opened and closed by a listener started in the
//! host, a file appearing with a matching line (match groups), a file going away, and the
//! timeout message. `raw` on the same host.

use std::time::{Duration, Instant};

use crate::support::Project;
use crate::support::lab::Lab;

/// Runs `script` detached in the background on host `i`.
fn background(lab: &Lab, i: usize, script: &str) {
    let q = script.replace('\'', r"'\''");
    lab.ok(i, "root", &format!("nohup sh -c '{q}' >/dev/null 2>&1 &"));
}

fn play(tasks: &str) -> String {
    format!("- hosts: lab3\n  gather_facts: false\n  tasks:\n{tasks}")
}

#[test]
fn wait_for_port_file_and_timeout() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    lab.ok(2, "root", "rm -f /tmp/hearth-wf-ready /tmp/hearth-wf-gone; touch /tmp/hearth-wf-gone");
    background(
        lab,
        2,
        "sleep 2; echo $$ > /tmp/hearth-wf.pid; exec /usr/bin/python3 -m http.server 18080 --bind 127.0.0.1",
    );
    background(
        lab,
        2,
        "sleep 2; printf 'booting\\nready port=8080\\n' > /tmp/hearth-wf-ready; rm /tmp/hearth-wf-gone",
    );
    p.write(
        "site.yml",
        &play(
            "    - wait_for: {port: 18080, timeout: 20}\n      register: port\n    \
             - wait_for: {path: /tmp/hearth-wf-ready, search_regex: 'port=(\\d+)', timeout: 20}\n      register: file\n    \
             - wait_for: {path: /tmp/hearth-wf-gone, state: absent, timeout: 20}\n    \
             - assert: {that: [\"port.elapsed >= 1\", \"port.port == 18080\", \"file.match_groups == ['8080']\", \"not port.changed\"]}\n    \
             - raw: kill $(cat /tmp/hearth-wf.pid)\n    \
             - wait_for: {port: 18080, state: stopped, timeout: 20}\n",
        ),
    );
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap("lab3", "changed"), 1, "only raw changes\n{}", run.stdout);
    assert_eq!(run.recap("lab3", "failed"), 0);

    p.write(
        "timeout.yml",
        &play(
            "    - wait_for: {port: 18099, timeout: 2, sleep: 1}\n      ignore_errors: true\n    \
             - wait_for: {path: /tmp/hearth-wf-never, timeout: 1, msg: custom says no}\n",
        ),
    );
    let started = Instant::now();
    let run = lab.apply(&p, &["timeout.yml"]);
    run.code(2);
    assert!(started.elapsed() < Duration::from_secs(20));
    run.stdout_has("Timeout when waiting for 127.0.0.1:18099").stdout_has("custom says no");
}

#[test]
fn raw_runs_the_line_through_the_shell() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            "    - raw: echo one; echo two >&2; test -n \"$HOME\"\n      register: r\n    \
             - assert: {that: [\"r.changed\", \"r.rc == 0\", \"r.stdout_lines == ['one']\", \"r.stderr == 'two\\\\n'\"]}\n    \
             - ansible.builtin.raw: echo $0\n      args: {executable: /bin/bash}\n      register: b\n    \
             - assert: {that: [\"b.stdout == '/bin/bash\\\\n'\"]}\n    \
             - raw: exit 3\n",
        ),
    );
    let run = lab.apply(&p, &["site.yml"]);
    run.code(2);
    run.stdout_has("non-zero return code");
    assert_eq!(run.recap("lab3", "changed"), 2, "{}", run.stdout);
}
