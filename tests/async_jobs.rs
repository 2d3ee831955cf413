//! `async`/`poll` and `async_status` over real SSH on a lab host, also through sudo: a
//! fire-and-forget job leaves the connection at once and keeps running on the host, its result
//! is read back by `async_status`, and a waited-for job over its time is killed on the host.
//! Skipped (one line) when not root.

use crate::support::Project;
use crate::support::lab::Lab;

#[test]
fn fire_and_forget_jobs_run_on_after_the_task_and_report_through_async_status() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let tag = std::process::id();
    p.write(
        "site.yml",
        &format!(
            r#"- hosts: lab2_user
  gather_facts: false
  become: true
  tasks:
    - name: start
      shell: sleep 4; id -un > /tmp/async-{tag}; echo finished
      async: 60
      poll: 0
      register: job
    - name: not there yet
      stat:
        path: /tmp/async-{tag}
      register: early
    - name: wait
      async_status:
        jid: "{{{{ job.ansible_job_id }}}}"
      register: done
      until: done.finished == 1
      retries: 30
      delay: 1
    - name: over its time
      shell: sleep 30; touch /tmp/async-late-{tag}
      async: 2
      poll: 1
      register: late
      ignore_errors: true
    - local_action: copy content="{{{{ early.stat.exists }}}} {{{{ done.stdout }}}} {{{{ done.rc }}}} {{{{ late.msg }}}}" dest={out}/out.txt
"#,
            out = p.root()
        ),
    );
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(
        p.read("out.txt"),
        "False finished 0 async task did not complete within the requested time - 2s",
        "{}",
        run.stdout
    );
    assert_eq!(lab.ok(1, "root", &format!("cat /tmp/async-{tag}")), "root", "the job ran as the become user");
    // The killed job's shell and sleep are gone, and never got to touch its file.
    let left = lab.ok(1, "root", &format!("pgrep -f '[t]ouch /tmp/async-late-{tag}' || true"));
    assert_eq!(left, "", "a timed-out job must not keep running");
    assert_eq!(
        lab.ok(1, "root", &format!("test -e /tmp/async-late-{tag} && echo there || echo absent")),
        "absent"
    );
}
