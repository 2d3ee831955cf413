//! Command line: defaults, exit codes, check and diff mode, the recap.

use crate::support::Project;

const EDIT: &str = r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - name: set the token
      lineinfile:
        path: "{root}/gitlab.rb"
        regexp: '^#? *token ='
        line: "token = 'abc'"
"#;

#[test]
fn default_playbook_and_inventory_paths() {
    let p = Project::new();
    p.write("playbooks/site.yml", EDIT).write("gitlab.rb", "# token = 'x'\n");
    p.write("inventory/hosts.ini", "localhost ansible_connection=local\n");
    let run = p.hearth(&["apply"]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    assert_eq!(p.read("gitlab.rb"), "token = 'abc'\n");
}

#[test]
fn second_run_reports_no_change() {
    let p = Project::new();
    p.write("site.yml", EDIT).write("gitlab.rb", "# token = 'x'\n");
    assert_eq!(
        p.hearth(&["apply", "site.yml", "-i", "localhost,", "-c", "local"])
            .code(0)
            .recap("localhost", "changed"),
        1
    );
    let again = p.hearth(&["apply", "site.yml", "-i", "localhost,", "-c", "local"]);
    again.code(0);
    assert_eq!(again.recap("localhost", "changed"), 0);
    assert_eq!(again.recap("localhost", "ok"), 1);
}

#[test]
fn check_mode_changes_nothing_and_diff_shows_the_change() {
    let p = Project::new();
    p.write("site.yml", EDIT).write("gitlab.rb", "# token = 'x'\n");
    let before = p.snapshot();
    let run = p.hearth(&["apply", "site.yml", "--check", "--diff"]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    run.stdout_has("-# token = 'x'\n+token = 'abc'\n").stdout_has("--- before: ");
    assert_eq!(p.snapshot(), before, "--check must leave every file byte-identical");
}

#[test]
fn plan_is_check_and_diff() {
    let p = Project::new();
    p.write("site.yml", EDIT).write("gitlab.rb", "# token = 'x'\n");
    let before = p.snapshot();
    p.hearth(&["plan", "site.yml"]).code(0).stdout_has("+token = 'abc'");
    assert_eq!(p.snapshot(), before);
}

#[test]
fn failed_host_exits_2_and_recap_counts_it() {
    let p = Project::new();
    p.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - fail: msg=nope\n    - debug: msg=never\n",
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(2).stdout_has("fatal: [localhost]: FAILED! => {\"changed\": false, \"msg\": \"nope\"}");
    assert_eq!(run.recap("localhost", "failed"), 1);
    assert!(!run.stdout.contains("never"));
}

#[test]
fn unreachable_host_exits_3() {
    let p = Project::new();
    p.write("site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: 'true'\n");
    p.write("inv.ini", "far ansible_host=192.0.2.1\n");
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.ini"]);
    run.code(3).stdout_has("UNREACHABLE!");
    assert_eq!(run.recap("far", "unreachable"), 1);
}

#[test]
fn debug_needs_no_connection_to_the_host() {
    // As ansible-playbook: debug runs on the control node, so an unreachable host still prints.
    let p = Project::new();
    p.write("site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n");
    // Nothing listens on loopback port 1: the connection is refused at once.
    p.write("inv.ini", "far ansible_host=127.0.0.1 ansible_port=1\n");
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.ini"]);
    run.code(0).stdout_has("\"msg\": \"hi\"");
    assert_eq!(run.recap("far", "ok"), 1);
}

#[test]
fn bad_options_exit_5() {
    let p = Project::new();
    p.hearth(&["apply", "--no-such-flag"]).code(5);
    p.hearth(&["apply", "x.yml", "-e", "not a pair"]).code(5);
}

#[test]
fn missing_playbook_is_an_error() {
    let p = Project::new();
    p.hearth(&["apply", "nope.yml"]).code(1).stderr_has("nope.yml");
}

#[test]
fn extra_vars_forms() {
    let p = Project::new();
    p.write("vars.yml", "b: from_file\n");
    p.write("site.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - copy_me: 1\n");
    p.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=\"{{ a }}-{{ b }}-{{ c.d }}\"\n",
    );
    p.hearth(&["apply", "site.yml", "-e", "a=1", "-e", "@vars.yml", "-e", "{\"c\": {\"d\": true}}"])
        .code(0)
        .stdout_has("\"msg\": \"1-from_file-True\"");
}

#[test]
fn limit_and_tags_select_work() {
    let p = Project::new();
    p.write(
        "site.yml",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - debug: msg=tagged-a
      tags: [a]
    - debug: msg=tagged-b
      tags: b
    - debug: msg=untagged
    - debug: msg=always-runs
      tags: [always]
"#,
    );
    p.write("inv.ini", "[local]\nlocalhost ansible_connection=local\nother ansible_connection=local\n");
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.ini", "--limit", "localhost", "--tags", "a"]);
    run.code(0).stdout_has("tagged-a").stdout_has("always-runs");
    assert!(!run.stdout.contains("tagged-b") && !run.stdout.contains("msg\": \"untagged"));
    assert!(!run.stdout.contains("[other]"));
    let skip = p.hearth(&["apply", "site.yml", "-i", "inv.ini", "--skip-tags", "a,b"]);
    skip.code(0).stdout_has("untagged").stdout_has("[other]");
    assert!(!skip.stdout.contains("tagged-a"));
}

#[test]
fn ctrl_c_stops_before_the_next_task_with_exit_99() {
    let p = Project::new();
    p.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - command: sleep 1\n    - copy: {content: x, dest: \"{root}/after\"}\n",
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["apply", "site.yml"])
        .current_dir(p.dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("kill");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(99));
    assert!(!p.path("after").exists(), "no task may start after Ctrl-C");
    let leftovers: Vec<_> =
        p.snapshot().into_iter().filter(|(f, _)| f.to_string_lossy().contains(".hearth-tmp")).collect();
    assert!(leftovers.is_empty(), "temp files left behind: {leftovers:?}");
}

#[test]
fn every_ok_has_a_reason_at_vv() {
    let p = Project::new();
    p.write("site.yml", EDIT).write("gitlab.rb", "token = 'abc'\n");
    let run = p.hearth(&["apply", "site.yml", "-vv"]);
    run.code(0).stdout_has("ok: [localhost]").stdout_has("  reason: ");
}
