//! The playbook language: variables and precedence, loops, conditions, blocks, handlers, tags,
//! includes and roles.

use crate::support::Project;

fn play(tasks: &str) -> String {
    format!("- hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}")
}

#[test]
fn loops_register_and_when() {
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            r#"    - command: "echo {{ item }}"
      loop: [a, b, c]
      loop_control: {label: "L-{{ item }}"}
      register: echoes
    - debug: msg="{{ echoes.results | map(attribute='stdout') | join(',') }}"
    - debug: msg=skipped-task
      when: echoes.results | length > 5
    - debug: msg="with_items {{ item }}"
      with_items: [[1, 2], 3]
    - debug: msg="idx {{ i }} {{ thing }}"
      loop: [x]
      loop_control: {loop_var: thing, index_var: i}
"#,
        ),
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0)
        .stdout_has("changed: [localhost] => (item=L-a)")
        .stdout_has("\"msg\": \"a,b,c\"")
        .stdout_has("skipping: [localhost]")
        .stdout_has("\"msg\": \"with_items 2\"")
        .stdout_has("\"msg\": \"idx 0 x\"");
    assert_eq!(run.recap("localhost", "changed"), 1);
    assert_eq!(run.recap("localhost", "skipped"), 1);
}

#[test]
fn precedence_extra_vars_beat_play_vars_and_set_fact_beats_vars() {
    let p = Project::new();
    p.write("vars/common.yml", "from_file: file\nshadow: file\n");
    p.write(
        "site.yml",
        r#"- hosts: localhost
  gather_facts: false
  vars:
    shadow: play
    x: play
  vars_files: [vars/common.yml]
  tasks:
    - set_fact: {fact: set}
    - debug: msg="{{ x }} {{ shadow }} {{ from_file }} {{ fact }} {{ playbook_dir == root_dir }}"
      vars: {root_dir: "{{ playbook_dir }}"}
"#,
    );
    p.hearth(&["apply", "site.yml", "-e", "x=extra"])
        .code(0)
        .stdout_has("\"msg\": \"extra file file set True\"");
}

#[test]
fn handlers_run_once_in_definition_order_only_when_changed() {
    let p = Project::new();
    p.write(
        "site.yml",
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - command: "true"
      notify: [second, first]
    - command: "true"
      notify: first
    - debug: msg=unchanged
      notify: never
    - meta: flush_handlers
    - debug: msg=after-flush
  handlers:
    - name: first
      debug: msg=first-ran
    - name: second
      debug: msg=second-ran
    - name: never
      debug: msg=never-ran
    - name: by-topic
      debug: msg=topic-ran
      listen: first
"#,
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0);
    let out = &run.stdout;
    assert_eq!(out.matches("first-ran").count(), 1);
    assert!(!out.contains("never-ran"));
    let (a, b, c, d) = (
        out.find("first-ran").unwrap(),
        out.find("second-ran").unwrap(),
        out.find("topic-ran").unwrap(),
        out.find("after-flush").unwrap(),
    );
    assert!(a < b && b < c && c < d, "handlers in definition order, before the flush point\n{out}");
}

#[test]
fn block_rescue_always() {
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            r#"    - block:
        - command: /bin/false
        - debug: msg=not-reached
      rescue:
        - debug: msg="rescued {{ ansible_failed_task is defined }}"
      always:
        - debug: msg=always-ran
    - debug: msg=continues
"#,
        ),
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0).stdout_has("always-ran").stdout_has("continues");
    assert!(!run.stdout.contains("not-reached"));
    assert_eq!(run.recap("localhost", "rescued"), 1);
    assert_eq!(run.recap("localhost", "failed"), 0);
}

#[test]
fn block_without_rescue_fails_after_always() {
    let p = Project::new();
    p.write(
        "site.yml",
        &play("    - block:\n        - fail: msg=x\n      always:\n        - debug: msg=always-ran\n    - debug: msg=not-reached\n"),
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(2).stdout_has("always-ran");
    assert!(!run.stdout.contains("not-reached"));
}

#[test]
fn block_when_applies_to_every_task() {
    let p = Project::new();
    p.write(
        "site.yml",
        &play("    - block:\n        - debug: msg=one\n        - debug: msg=two\n      when: false\n"),
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0);
    assert_eq!(run.recap("localhost", "skipped"), 2);
}

#[test]
fn import_and_include_tasks() {
    let p = Project::new();
    p.write("tasks/imported.yml", "- debug: msg=imported-{{ who }}\n");
    p.write("tasks/included.yml", "- debug: msg=included-{{ item }}\n");
    p.write(
        "site.yml",
        &play(
            r#"    - import_tasks: tasks/imported.yml
      vars: {who: me}
    - include_tasks: "tasks/{{ name }}.yml"
      vars: {name: included}
      loop: [1]
      when: true
"#,
        ),
    );
    p.hearth(&["apply", "site.yml"]).code(0).stdout_has("imported-me");
}

#[test]
fn include_tasks_templated_name() {
    let p = Project::new();
    p.write("tasks/debian.yml", "- debug: msg=debian-tasks\n");
    p.write("site.yml", &play("    - include_tasks: \"tasks/{{ fam }}.yml\"\n      vars: {fam: debian}\n"));
    p.hearth(&["apply", "site.yml"]).code(0).stdout_has("included: ").stdout_has("debian-tasks");
}

#[test]
fn roles_with_defaults_vars_templates_and_handlers() {
    let p = Project::new();
    p.write("roles/web/defaults/main.yml", "port: 80\nname: default\n");
    p.write("roles/web/vars/main.yml", "name: rolevar\n");
    p.write("roles/web/templates/conf.j2", "port={{ port }} name={{ name }} role={{ role_name }}\n");
    p.write(
        "roles/web/tasks/main.yml",
        "- template: {src: conf.j2, dest: \"{{ out }}/web.conf\"}\n  notify: restart web\n",
    );
    p.write("roles/web/handlers/main.yml", "- name: restart web\n  debug: msg=restarted\n");
    p.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  vars: {port: 8080, name: play}\n  roles:\n    - role: web\n      tags: [web]\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-e", &format!("out={}", p.root())]);
    run.code(0).stdout_has("TASK [web : template]").stdout_has("restarted");
    assert_eq!(p.read("web.conf"), "port=8080 name=rolevar role=web\n");
    let again = p.hearth(&["apply", "site.yml", "-e", &format!("out={}", p.root())]);
    assert_eq!(again.recap("localhost", "changed"), 0);
}

#[test]
fn import_playbook_runs_both() {
    let p = Project::new();
    p.write("one.yml", &play("    - debug: msg=from-one\n"));
    p.write("site.yml", "- import_playbook: one.yml\n- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=from-site\n");
    p.hearth(&["apply", "site.yml"]).code(0).stdout_has("from-one").stdout_has("from-site");
}

#[test]
fn no_log_hides_results_and_masks_secrets_in_diffs() {
    let p = Project::new();
    p.write("secret.txt", "token = old\npath = keep\n");
    p.write(
        "site.yml",
        &play(concat!(
            "    - lineinfile: {path: \"{{ f }}\", regexp: '^token', line: 'token = s3cr3t'}\n      no_log: true\n",
            "    - lineinfile: {path: \"{{ f }}\", regexp: '^path', line: \"path = {{ tok }}\"}\n      no_log: true\n",
            "    - debug: msg=\"{{ 's3cr3t' }}\"\n      no_log: true\n",
        )),
    );
    let f = p.path("secret.txt").display().to_string();
    let run =
        p.hearth(&["apply", "site.yml", "--diff", "-v", "-e", &format!("f={f}"), "-e", "tok=hunter2-xyz"]);
    run.code(0);
    assert!(!run.stdout.contains("s3cr3t"), "literal secret leaked:\n{}", run.stdout);
    assert!(!run.stdout.contains("hunter2"), "variable secret leaked:\n{}", run.stdout);
    run.stdout_has("censored");
    // The diffs still say what changed, with the secrets masked.
    run.stdout_has("-token = old").stdout_has("+********").stdout_has("+path = ********");
    assert_eq!(p.read("secret.txt"), "token = s3cr3t\npath = hunter2-xyz\n");
}

#[test]
fn changed_when_failed_when_ignore_errors() {
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            r#"    - command: echo hi
      register: r
      changed_when: "'nothing' in r.stdout"
    - command: /bin/false
      failed_when: false
    - shell: exit 3
      ignore_errors: true
    - command: echo ERROR
      register: e
      failed_when: "'ERROR' in e.stdout"
      ignore_errors: yes
"#,
        ),
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0).stdout_has("...ignoring");
    assert_eq!(run.recap("localhost", "ignored"), 2);
    assert_eq!(run.recap("localhost", "failed"), 0);
}

#[test]
fn run_once_and_delegate_to_localhost() {
    let p = Project::new();
    p.write("inv.ini", "a ansible_connection=local\nb ansible_connection=local\n");
    p.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo once\n      run_once: true\n      register: o\n    - debug: msg=\"{{ o.stdout }}\"\n      delegate_to: localhost\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.ini"]);
    run.code(0).stdout_has("[b -> localhost]");
    assert_eq!(run.stdout.matches("changed: [").count(), 1);
    assert_eq!(run.stdout.matches("\"msg\": \"once\"").count(), 2);
}

#[test]
fn any_errors_fatal_stops_every_host() {
    let p = Project::new();
    p.write("inv.ini", "a ansible_connection=local\nb ansible_connection=local\n");
    p.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  any_errors_fatal: true\n  tasks:\n    - fail: msg=boom\n      when: inventory_hostname == 'a'\n    - debug: msg=after\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.ini"]);
    run.code(2);
    assert!(!run.stdout.contains("\"msg\": \"after\""), "no host continues:\n{}", run.stdout);
    assert_eq!(run.recap("a", "failed"), 1);
    assert_eq!(run.recap("b", "failed"), 0);
}

#[test]
fn max_fail_percentage_stops_the_play() {
    let p = Project::new();
    p.write(
        "inv.ini",
        "a ansible_connection=local\nb ansible_connection=local\nc ansible_connection=local\n",
    );
    let pb = |pct: u32| {
        format!(
            "- hosts: all\n  gather_facts: false\n  max_fail_percentage: {pct}\n  tasks:\n    - fail: msg=boom\n      when: inventory_hostname == 'a'\n    - debug: msg=after\n"
        )
    };
    p.write("strict.yml", &pb(20));
    let run = p.hearth(&["apply", "strict.yml", "-i", "inv.ini"]);
    assert!(!run.stdout.contains("\"msg\": \"after\""), "33% failed > 20%:\n{}", run.stdout);
    p.write("lenient.yml", &pb(50));
    let run = p.hearth(&["apply", "lenient.yml", "-i", "inv.ini"]);
    assert_eq!(run.stdout.matches("\"msg\": \"after\"").count(), 2, "33% failed <= 50%:\n{}", run.stdout);
}

#[test]
fn set_fact_in_a_loop_sees_earlier_items() {
    let p = Project::new();
    p.write(
        "site.yml",
        &play("    - set_fact:\n        xs: \"{{ xs | default([]) + [item] }}\"\n      loop: [a, b, c]\n    - debug: msg=\"{{ xs | join('-') }}\"\n"),
    );
    p.hearth(&["apply", "site.yml"]).code(0).stdout_has("\"msg\": \"a-b-c\"");
}

#[test]
fn until_retries_print_ansibles_retry_lines_live_and_in_json() {
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            r#"    - name: wait for {{ 'the file' }}
      shell: test -f ready || { touch ready; exit 1; }
      register: r
      until: r.rc == 0
      retries: 2
      delay: 0
    - name: exhausted
      command: /bin/false
      register: never
      retries: 1
      delay: 0
      no_log: true
"#,
        ),
    );
    let run = p.hearth(&["apply", "site.yml", "-vv"]);
    run.code(2)
        .stdout_has("FAILED - RETRYING: [localhost]: wait for the file (2 retries left).Result was: {")
        .stdout_has("FAILED - RETRYING: [localhost]: exhausted (1 retries left).Result was: {\"censored\"");
    assert_eq!(run.recap("localhost", "failed"), 1);
    let json = p.hearth(&["apply", "site.yml", "--output", "json"]);
    assert!(json.stdout.contains("\"event\":\"retry\""), "{}", json.stdout);
}

#[test]
fn until_on_a_block_is_an_error() {
    let p = Project::new();
    p.write("site.yml", &play("    - block:\n        - debug: msg=x\n      until: true\n"));
    p.hearth(&["apply", "site.yml"]).code(4).stderr_has("'until' is not a valid keyword for a block");
}

#[test]
fn environment_that_is_not_a_mapping_fails_the_task_with_ansibles_message() {
    let p = Project::new();
    p.write("site.yml", &play("    - command: env\n      environment: \"{{ 'x' }}\"\n"));
    p.hearth(&["apply", "site.yml"])
        .code(2)
        .stdout_has("environment must be a dictionary, received x (<class 'str'>)");
}

#[test]
fn ignore_unreachable_counts_ok_and_ignored_and_the_host_goes_on() {
    let p = Project::new();
    p.write("inv.ini", "dead ansible_host=127.0.0.1 ansible_port=1\nlocalhost ansible_connection=local\n");
    p.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: 'true'\n      ignore_unreachable: true\n    - debug: msg=after\n    - command: 'true'\n    - debug: msg=end\n",
    );
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.ini"]);
    run.stdout_has("...ignoring");
    // As ansible-playbook 2.18: the ignored unreachable and the debug count ok; the next
    // command makes the host unreachable for good.
    assert_eq!((run.recap("dead", "ok"), run.recap("dead", "ignored")), (2, 1), "{}", run.stdout);
    assert_eq!(run.recap("dead", "unreachable"), 1, "{}", run.stdout);
    assert_eq!(run.stdout.matches("\"msg\": \"end\"").count(), 1, "{}", run.stdout);
}

#[test]
fn vars_prompt_takes_extra_vars_then_defaults_without_a_terminal() {
    let p = Project::new();
    p.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  vars_prompt:\n    - name: who\n      prompt: Who are you?\n      private: false\n      default: ann\n    - name: token\n  tasks:\n    - debug: msg=\"{{ who }} {{ token }}\"\n",
    );
    let missing = p.hearth(&["apply", "site.yml"]);
    missing.code(1).stderr_has(
        "vars_prompt 'token' needs an answer and there is no terminal to ask: pass -e token=VALUE",
    );
    let run = p.hearth(&["apply", "site.yml", "-e", "token=t1"]);
    run.code(0).stdout_has("\"msg\": \"ann t1\"");
    let both = p.hearth(&["apply", "site.yml", "-e", "token=t1", "-e", "who=bob"]);
    both.code(0).stdout_has("\"msg\": \"bob t1\"");
}

#[test]
fn modules_only_ansible_has_load_and_fail_only_when_they_run() {
    let p = Project::new();
    p.write(
        "site.yml",
        &play(
            "    - ansible.builtin.dnf: {name: curl}\n      when: false\n    \
             - yum_repository: {name: x}\n      ignore_errors: true\n      register: r\n    \
             - debug: msg=\"ran {{ r.failed }}\"\n    \
             - pacman: {name: curl}\n",
        ),
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(2)
        .stdout_has("hearth does not implement the module 'ansible.builtin.yum_repository'")
        .stdout_has("\"msg\": \"ran True\"")
        .stdout_has("TASK [pacman]")
        .stdout_has("hearth does not implement the module 'community.general.pacman'");
    assert_eq!(run.recap("localhost", "skipped"), 1, "{}", run.stdout);
    assert_eq!(run.recap("localhost", "ignored"), 1, "{}", run.stdout);
    assert_eq!(run.recap("localhost", "failed"), 1, "{}", run.stdout);

    p.write("typo.yml", &play("    - ansible.builtin.dnff: {name: curl}\n      when: false\n"));
    p.hearth(&["apply", "typo.yml"])
        .code(4)
        .stderr_has("couldn't resolve module/action 'ansible.builtin.dnff'");
}
