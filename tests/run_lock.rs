//! One `hearth apply` of a playbook at a time per inventory: a second such run fails at once
//! naming the first one's pid (exit 1, nothing run), or with `--lock-timeout` waits for it and
//! then runs; `--check`, another inventory and another playbook are not held up; a SIGKILLed
//! run leaves no lock behind. On the control node: no lab needed.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::Project;

/// A project whose playbook appends its run's tag to `log` after 2 s on localhost.
fn project() -> Project {
    let p = Project::new();
    p.write("hosts.ini", "localhost ansible_connection=local\n");
    p.write("other.ini", "localhost ansible_connection=local\n");
    p.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - shell: sleep 2 && echo {{ tag }} >> log\n",
    );
    p
}

/// Starts `hearth apply site.yml -i <inv> -e tag=<tag> <extra>` in the background.
fn start(p: &Project, inv: &str, tag: &str, extra: &[&str]) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["apply", "site.yml", "--no-progress", "-i", inv, "-e", &format!("tag={tag}")])
        .args(extra)
        .current_dir(p.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hearth");
    // Let it take the lock (it does so right after loading the inventory).
    std::thread::sleep(Duration::from_millis(500));
    child
}

fn log(p: &Project) -> Vec<String> {
    std::fs::read_to_string(p.path("log")).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn a_second_run_on_the_same_inventory_fails_naming_the_first() {
    let p = project();
    let first = start(&p, "hosts.ini", "first", &[]);
    let second = p.hearth(&["apply", "site.yml", "-i", "hosts.ini", "-e", "tag=second"]);
    second.code(1).stderr_has(&format!("the hearth run with pid {} (started", first.id()));
    second.stderr_has("is applying").stderr_has("hosts.ini").stderr_has("--lock-timeout");
    let check = p.hearth(&["apply", "site.yml", "-i", "hosts.ini", "-e", "tag=check", "--check"]);
    check.code(0);
    let other = p.hearth(&["apply", "site.yml", "-i", "other.ini", "-e", "tag=other"]);
    other.code(0);
    p.write("quick.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - shell: echo quick >> log\n");
    p.hearth(&["apply", "quick.yml", "-i", "hosts.ini"]).code(0);
    assert!(first.wait_with_output().expect("first").status.success());
    let mut ran = log(&p);
    ran.sort();
    assert_eq!(ran, ["first", "other", "quick"], "the refused run and --check changed nothing");
}

#[test]
fn with_lock_timeout_the_second_run_waits_then_runs() {
    let p = project();
    let first = start(&p, "hosts.ini", "first", &[]);
    let second =
        p.hearth(&["apply", "site.yml", "-i", "hosts.ini", "-e", "tag=second", "--lock-timeout", "60"]);
    second.code(0).stdout_has(&format!("waiting for the hearth run with pid {}", first.id()));
    assert!(first.wait_with_output().expect("first").status.success());
    assert_eq!(log(&p), ["first", "second"], "the second run started after the first ended");
}

#[test]
fn a_killed_run_leaves_no_lock() {
    let p = project();
    let mut first = start(&p, "hosts.ini", "first", &[]);
    first.kill().expect("SIGKILL");
    first.wait().expect("reap");
    p.hearth(&["apply", "site.yml", "-i", "hosts.ini", "-e", "tag=after"]).code(0);
    // (The killed run's own `sh` may still finish and log `first`: SIGKILL stops hearth only.)
    assert!(log(&p).contains(&"after".to_string()), "{:?}", log(&p));
}
