//! `timeout:` and `--task-timeout`: a task over its time fails with Ansible's message within a
//! few seconds, and the program it started is no longer running on the host (over SSH, through
//! sudo, and on the control node); `ignore_errors` lets the play go on; a task in time is
//! unaffected; the recap and exit code match ansible-playbook's. Lab tests skip (one line) when
//! not root. Timings are only checked generously, to prove that nothing hangs.

use std::time::{Duration, Instant};

use crate::support::lab::Lab;
use crate::support::{Project, ansible, yaml_quote};

/// Ansible's failure message for `action` with a limit of `n` seconds.
fn message(action: &str, n: u32) -> String {
    format!("The {action} action failed to execute in the expected time frame ({n}) and was terminated")
}

/// A task running `sleep 60` as the process whose id it writes to `pidfile`, limited to 2 s.
fn sleeper(name: &str, pidfile: &str, extra: &str) -> String {
    format!(
        "    - name: {name}\n      command: sh -c 'echo $$ > {pidfile}; exec sleep 60'\n      timeout: 2\n{extra}"
    )
}

/// A shell test that prints `running` when the process in `pidfile` still runs, else `gone`.
fn still_running(pidfile: &str) -> String {
    format!(
        "p=$(cat {pidfile}); s=$(ps -o stat= -p \"$p\" 2>/dev/null); case \"$s\" in ''|Z*) echo gone;; *) echo running;; esac"
    )
}

#[test]
fn a_task_over_its_time_fails_and_its_program_is_killed_on_the_host_also_through_sudo() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let tag = format!("tmo-{}", std::process::id());
    let (root_pid, sudo_pid) = (format!("/tmp/{tag}-root"), format!("/tmp/{tag}-sudo"));
    let ignored = sleeper("slow", &root_pid, "      register: slow\n      ignore_errors: true\n");
    let tasks = format!(
        "{ignored}    - name: in time\n      command: sleep 1\n      timeout: 30\n    - local_action: copy content=\"{{{{ slow.msg }}}}\" dest={}/msg.txt\n",
        p.root()
    );
    let sudo_task = sleeper("slow as root", &sudo_pid, "");
    p.write(
        "site.yml",
        &format!(
            "- hosts: lab1\n  gather_facts: false\n  tasks:\n{tasks}- hosts: lab2_user\n  gather_facts: false\n  become: true\n  tasks:\n{sudo_task}    - name: never\n      command: 'true'\n"
        ),
    );
    let started = Instant::now();
    let run = lab.apply(&p, &["site.yml"]);
    assert!(started.elapsed() < Duration::from_secs(40), "took {:?}", started.elapsed());
    run.code(2);
    assert_eq!(p.read("msg.txt"), message("command", 2));
    assert_eq!((run.recap("lab1", "ok"), run.recap("lab1", "changed")), (3, 2), "{}", run.stdout);
    assert_eq!(run.recap("lab1", "ignored"), 1);
    assert_eq!((run.recap("lab2_user", "failed"), run.recap("lab2_user", "ok")), (1, 0));
    assert_eq!(lab.ok(0, "root", &still_running(&root_pid)), "gone", "sleep 60 left on lab1");
    assert_eq!(lab.ok(1, "root", &still_running(&sudo_pid)), "gone", "sleep 60 (as root) left on lab2");
    assert_eq!(lab.ok(1, "root", &format!("stat -c %U {sudo_pid}")), "root", "it ran as the become user");
}

#[test]
fn task_timeout_applies_to_tasks_without_the_keyword_and_timeout_zero_lifts_it() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let pidfile = format!("/tmp/tmo-flag-{}", std::process::id());
    let tasks = format!(
        "    - name: lifted\n      command: sleep 3\n      timeout: 0\n    - name: slow\n      command: sh -c 'echo $$ > {pidfile}; exec sleep 60'\n"
    );
    p.write("site.yml", &crate::support::play_on("lab3", &tasks));
    let started = Instant::now();
    let run = lab.apply(&p, &["site.yml", "--task-timeout", "2"]);
    assert!(started.elapsed() < Duration::from_secs(40), "took {:?}", started.elapsed());
    run.code(2).stdout_has(&message("command", 2));
    assert_eq!((run.recap("lab3", "changed"), run.recap("lab3", "failed")), (1, 1));
    assert_eq!(lab.ok(2, "root", &still_running(&pidfile)), "gone");
}

#[test]
fn on_the_control_node_plays_blocks_roles_and_the_environment_default_time_out_too() {
    let p = Project::new();
    let pid = |n: &str| p.path(n).display().to_string();
    let slow = |f: &str| format!("command: sh -c 'echo $$ > {}; exec sleep 60'", pid(f));
    p.write("roles/slow/tasks/main.yml", &format!("- name: in a role\n  {}\n", slow("role.pid")));
    p.write(
        "site.yml",
        &format!(
            r#"- hosts: localhost
  gather_facts: false
  roles:
    - role: slow
      timeout: 2
      ignore_errors: true
  tasks:
    - block:
        - name: in a block
          {}
      timeout: 2
      ignore_errors: true
    - name: by default
      {}
      ignore_errors: true
    - name: in time
      command: 'true'
- hosts: localhost
  gather_facts: false
  timeout: 1
  tasks:
    - name: from the play
      {}
      ignore_errors: true
"#,
            slow("block.pid"),
            slow("env.pid"),
            slow("play.pid")
        ),
    );
    let started = Instant::now();
    let run = p.hearth_env(&["apply", "site.yml"], &[("ANSIBLE_TASK_TIMEOUT", "2")]);
    assert!(started.elapsed() < Duration::from_secs(40), "took {:?}", started.elapsed());
    run.code(0).stdout_has(&message("command", 2)).stdout_has(&message("command", 1));
    assert_eq!(run.recap("localhost", "ignored"), 4, "{}", run.stdout);
    assert_eq!(run.recap("localhost", "changed"), 1);
    for f in ["role.pid", "block.pid", "env.pid", "play.pid"] {
        let id = p.read(f).trim().to_string();
        let stat = std::fs::read_to_string(format!("/proc/{id}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").split_whitespace().next().unwrap_or("");
        assert!(stat.is_empty() || state == "Z", "{f}: sleep {id} still runs ({state})");
    }
}

#[test]
fn recap_and_exit_code_match_ansible_playbook() {
    let Some(lab) = Lab::get() else { return };
    let Some(ansible) = ansible::playbook("the timeout comparison with Ansible") else { return };
    let p = Project::new();
    p.write(
        "site.yml",
        r#"- hosts: lab3
  gather_facts: false
  tasks:
    - name: over
      command: sleep 30
      timeout: 2
      ignore_errors: true
    - name: items
      command: "sleep {{ item }}"
      loop: [0, 30]
      timeout: 6
      ignore_errors: true
    - name: retried
      command: sleep 30
      timeout: 1
      register: r
      until: r is succeeded
      retries: 3
      delay: 1
      ignore_errors: true
    - name: in time
      command: sleep 1
      timeout: 20
    - name: fatal
      ansible.builtin.command: sleep 30
      timeout: 2
    - name: never
      command: 'true'
"#,
    );
    let ours = lab.apply(&p, &["site.yml"]);
    let theirs = ansible::on_lab(&ansible, p.dir.path(), lab, &["site.yml"]);
    assert_eq!(ours.code, theirs.code, "ours:\n{}\ntheirs:\n{}", ours.stdout, theirs.stdout);
    for field in ["ok", "changed", "failed", "skipped", "ignored"] {
        assert_eq!(
            ours.recap("lab3", field),
            theirs.recap("lab3", field),
            "{field}\n{}\n{}",
            ours.stdout,
            theirs.stdout
        );
    }
    for text in [
        message("command", 2),
        message("command", 6),
        message("command", 1),
        message("ansible.builtin.command", 2),
    ] {
        ours.stdout_has(&text);
        theirs.stdout_has(&text);
    }
}

#[test]
fn a_host_that_stops_answering_does_not_hang_the_run() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let tag = format!("/tmp/tmo-frozen-{}", std::process::id());
    // The task stops the sshd process that serves its own connection, then sleeps: no byte
    // comes back, as on a dead network, while the host itself goes on.
    let freeze = format!(
        "echo $$ > {tag}.pid; p=$$; while [ \"$p\" -gt 1 ]; do p=$(awk '{{print $4}}' /proc/$p/stat); case \"$(cat /proc/$p/comm)\" in sshd*) break;; esac; done; echo $p > {tag}.sshd; kill -STOP $p; exec sleep 60"
    );
    let tasks = format!(
        "    - name: freeze\n      shell: {}\n      timeout: 2\n      ignore_errors: true\n",
        yaml_quote(&freeze)
    );
    p.write("site.yml", &crate::support::play_on("lab3", &tasks));
    let thaw = format!("kill -CONT $(cat {tag}.sshd) 2>/dev/null; true");
    let safety = {
        let thaw = thaw.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(45));
            if let Some(lab) = Lab::get() {
                lab.ssh(2, "root", &thaw);
            }
        })
    };
    let started = Instant::now();
    let run = lab.apply(&p, &["site.yml"]);
    let took = started.elapsed();
    lab.ok(2, "root", &thaw);
    drop(safety);
    assert!(took < Duration::from_secs(30), "took {took:?}\n{}", run.stdout);
    run.code(0).stdout_has(&message("shell", 2));
    assert_eq!(
        lab.ok(2, "root", &still_running(&format!("{tag}.pid"))),
        "gone",
        "the host's timeout ended it"
    );
}
