//! Bad input: every error is one clear message with file:line:column and the right exit code,
//! never a panic.

use crate::support::{Project, Run};

fn apply(playbook: &str) -> (Project, Run) {
    let p = Project::new();
    p.write("site.yml", playbook);
    let run = p.hearth(&["apply", "site.yml"]);
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    (p, run)
}

fn parse_error(playbook: &str, wants: &[&str]) {
    let (_p, run) = apply(playbook);
    run.code(4);
    for w in wants {
        run.stderr_has(w);
    }
    assert_eq!(run.stderr.trim().lines().count(), 1, "one clear message:\n{}", run.stderr);
}

#[test]
fn yaml_syntax_error_has_position() {
    parse_error(
        "- hosts: localhost\n  tasks:\n    - debug: {msg: [1, 2}\n",
        &["site.yml:3:", "YAML syntax error"],
    );
}

#[test]
fn unknown_module_suggests_the_closest() {
    parse_error(
        "- hosts: localhost\n  tasks:\n    - lineinfle: {path: /tmp/x, line: y}\n",
        &["site.yml:3:7", "couldn't resolve module/action 'lineinfle'", "Did you mean 'lineinfile'?"],
    );
}

#[test]
fn unknown_parameter_names_the_valid_ones() {
    parse_error(
        "- hosts: localhost\n  tasks:\n    - copy: {dest: /tmp/x, contnet: y}\n",
        &["site.yml:3:7", "unsupported parameter 'contnet'", "Did you mean 'content'?", "dest"],
    );
}

#[test]
fn missing_required_parameter() {
    parse_error("- hosts: localhost\n  tasks:\n    - lineinfile: {line: y}\n", &["site.yml:3:7", "path"]);
}

#[test]
fn two_modules_in_one_task() {
    parse_error(
        "- hosts: localhost\n  tasks:\n    - debug: msg=a\n      command: echo\n",
        &["site.yml:4:7", "conflicting action statements: debug, command"],
    );
}

#[test]
fn undefined_variable_names_variable_task_and_position() {
    let (_p, run) = apply(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: greet\n      debug: msg=\"{{ nope }}\"\n",
    );
    run.code(2).stdout_has("nope").stdout_has("greet").stdout_has("site.yml:4:7");
}

#[test]
fn bad_jinja_expression_has_position() {
    parse_error(
        "- hosts: localhost\n  tasks:\n    - debug: msg=\"{{ foo( }}\"\n",
        &["site.yml:3:7", "template error", "foo("],
    );
    parse_error(
        "- hosts: localhost\n  tasks:\n    - debug: msg=x\n      when: a ==\n",
        &["site.yml:3:7", "invalid conditional"],
    );
}

#[test]
fn notify_of_missing_handler() {
    parse_error(
        "- hosts: localhost\n  tasks:\n    - command: 'true'\n      notify: restart app\n  handlers:\n    - name: restart ap\n      debug: msg=x\n",
        &["site.yml:3:7", "the handler 'restart app'", "Did you mean 'restart ap'?"],
    );
}

#[test]
fn loop_over_a_number() {
    parse_error(
        "- hosts: localhost\n  tasks:\n    - debug: msg=x\n      loop: 5\n",
        &["site.yml:3:7", "requires a list, got this instead: 5"],
    );
}

#[test]
fn loop_over_a_templated_number_fails_the_host() {
    let (_p, run) = apply(
        "- hosts: localhost\n  gather_facts: false\n  vars: {n: 5}\n  tasks:\n    - debug: msg=x\n      loop: \"{{ n }}\"\n",
    );
    run.code(2).stdout_has("requires a list, got this instead: 5");
}

#[test]
fn invalid_utf8() {
    let p = Project::new();
    std::fs::write(p.path("site.yml"), b"- hosts: localhost\n  tasks: [\xff]\n").unwrap();
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(4).stderr_has("not valid UTF-8");
}

#[test]
fn empty_playbook() {
    parse_error("# nothing here\n", &["site.yml", "empty"]);
    parse_error("[]\n", &["site.yml", "no plays"]);
}

#[test]
fn unsupported_keywords_are_named() {
    parse_error(
        "- hosts: localhost\n  strategy: free\n  tasks: []\n",
        &["site.yml:2:13", "strategy 'free' is not supported by hearth"],
    );
    parse_error(
        "- hosts: localhost\n  gather_timeout: 10\n  tasks: []\n",
        &["site.yml:2:3", "'gather_timeout' is not supported"],
    );
    parse_error(
        "- hosts: localhost\n  tasks:\n    - file: path=/x\n      module_defaults:\n        group/aws: {region: x}\n",
        &["site.yml:5:9", "action groups ('group/aws') are not supported"],
    );
    parse_error(
        "- hosts: localhost\n  tasks:\n    - block:\n        - command: 'true'\n      async: 5\n",
        &["site.yml:3:7", "'async' is not a valid keyword for a block"],
    );
    parse_error(
        "- hosts: localhost\n  tasks:\n    - command: 'true'\n      debugger: always\n",
        &["site.yml:4:7", "'debugger' is not supported"],
    );
    parse_error("- hosts: localhost\n  taks: []\n", &["site.yml:2:3", "Did you mean 'tasks'?"]);
}

#[test]
fn play_without_hosts() {
    parse_error("- name: x\n  tasks: []\n", &["site.yml:1:3", "hosts"]);
}

#[test]
fn wrong_types() {
    parse_error("- hosts: localhost\n  tasks: {a: 1}\n", &["site.yml:2:10", "expected a list of tasks"]);
    parse_error(
        "- hosts: localhost\n  vars: [1]\n  tasks: []\n",
        &["site.yml:2:9", "'vars' must be a mapping"],
    );
}

#[test]
fn inventory_syntax_error_has_position() {
    let p = Project::new();
    p.write("site.yml", "- hosts: all\n  tasks: []\n");
    p.write("inv.yml", "all:\n  hosts:\n    a: [1\n");
    let run = p.hearth(&["apply", "site.yml", "-i", "inv.yml"]);
    run.code(4).stderr_has("inv.yml:");
}

#[test]
fn missing_vars_file_and_role() {
    parse_error("- hosts: localhost\n  roles: [nope]\n", &["site.yml:2:11", "role not found: nope"]);
    let (_p, run) =
        apply("- hosts: localhost\n  gather_facts: false\n  vars_files: [missing.yml]\n  tasks: []\n");
    run.code(4).stderr_has("vars file not found: missing.yml");
}

#[test]
fn unsupported_keyword_on_a_role_entry_is_named_not_taken_as_a_parameter() {
    let p = Project::new();
    p.write("roles/r/tasks/main.yml", "- debug: msg=hi\n");
    p.write("site.yml", "- hosts: localhost\n  roles:\n    - role: r\n      debugger: on_failed\n");
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(4);
    run.stderr_has("site.yml:4:7");
    run.stderr_has("role keyword 'debugger' is not supported by hearth");
}

#[test]
fn filter_from_a_python_filter_plugin_names_the_plugin() {
    let p = Project::new();
    p.write("roles/k3s/tasks/main.yml", "- debug: msg=\"{{ 'a,b' | k3s_split }}\"\n");
    p.write(
        "roles/k3s/filter_plugins/split.py",
        "class FilterModule(object):\n    def filters(self):\n        return {'k3s_split': lambda s: s.split(',')}\n",
    );
    p.write("site.yml", "- hosts: localhost\n  gather_facts: false\n  roles: [k3s]\n");
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(2);
    run.stdout_has("filter 'k3s_split' comes from the Python filter plugin k3s/filter_plugins/split.py, which hearth cannot run");
}

#[test]
fn unknown_filter_names_unscanned_plugins_as_possible_sources() {
    let p = Project::new();
    p.write(
        "filter_plugins/misc.py",
        "from helpers import FILTERS\n\nclass FilterModule:\n    filters = FILTERS\n",
    );
    p.write("site.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=\"{{ 1 | hearth_nowhere }}\"\n");
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(2);
    run.stdout_has("unknown filter 'hearth_nowhere'; it may come from the Python filter plugin(s) filter_plugins/misc.py");
}

/// Runs `site.yml` with `-i hosts` in a project of these files.
fn apply_with(files: &[(&str, &[u8])]) -> Run {
    let p = Project::new();
    for (rel, bytes) in files {
        if let Some(dir) = p.path(rel).parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(p.path(rel), bytes).unwrap();
    }
    let run = p.hearth(&["apply", "site.yml", "-i", "hosts"]);
    assert!(!run.stderr.contains("panicked") && !run.stderr.contains("overflow"), "crash: {}", run.stderr);
    run
}

const LOCAL: &[u8] = b"localhost ansible_connection=local\n";
const DEBUG_ALL: &[u8] = b"- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n";

fn one_line(run: &Run) {
    assert_eq!(run.stderr.trim().lines().count(), 1, "one clear message:\n{}", run.stderr);
}

#[test]
fn group_vars_syntax_error_has_position() {
    // Ansible: "Syntax Error while loading YAML ... line 2, column 2".
    let run =
        apply_with(&[("hosts", LOCAL), ("group_vars/all.yml", b"a: [1\nb: 2\n"), ("site.yml", DEBUG_ALL)]);
    run.code(4).stderr_has("group_vars/all.yml:2:2: YAML syntax error");
    one_line(&run);
}

#[test]
fn ini_host_range_without_an_end() {
    // Ansible warns "host range must specify end value", skips the inventory and runs on the
    // implicit localhost only; hearth stops.
    let run = apply_with(&[("hosts", b"[web]\nweb[01:]\n"), ("site.yml", DEBUG_ALL)]);
    run.code(4).stderr_has("hosts:2:1: invalid host range 'web[01:]': host range must specify end value");
    one_line(&run);
}

#[test]
fn vars_file_that_is_not_a_mapping() {
    let play = b"- hosts: all\n  gather_facts: false\n  vars_files: [v.yml]\n  tasks:\n    - debug: msg={{ a }}-{{ b }}\n";
    let run = apply_with(&[("hosts", LOCAL), ("v.yml", b"just a string\n"), ("site.yml", play)]);
    run.code(4).stderr_has("v.yml:1:1: a vars file must be a mapping, got a string");
    one_line(&run);
    // Ansible: "variable files must contain either a dictionary of variables, or a list of
    // dictionaries"; a list of mappings is merged.
    let run = apply_with(&[("hosts", LOCAL), ("v.yml", b"- 1\n- 2\n"), ("site.yml", play)]);
    run.code(4).stderr_has(
        "v.yml:1:3: a vars file must be a mapping or a list of mappings; this item is of type integer",
    );
    one_line(&run);
    let run = apply_with(&[("hosts", LOCAL), ("v.yml", b"- {a: 1}\n- {b: 2, a: 3}\n"), ("site.yml", play)]);
    run.code(0).stdout_has("\"msg\": \"3-2\"");
}

#[test]
fn template_file_errors_name_file_and_line() {
    let play = b"- hosts: all\n  gather_facts: false\n  tasks:\n    - template: src=t.j2 dest={{ playbook_dir }}/out\n";
    // Ansible: "template error while templating string: unexpected '}', expected ')'", no line.
    let run = apply_with(&[("hosts", LOCAL), ("t.j2", b"one\ntwo {{ foo( }}\n"), ("site.yml", play)]);
    run.code(2).stdout_has("t.j2:2: syntax error: unexpected `}`");
    assert!(!run.stdout.contains("<string>"), "{}", run.stdout);
    let run = apply_with(&[
        ("hosts", LOCAL),
        ("t.j2", b"#jinja2: trim_blocks: False\nok\n{% if %}\n"),
        ("site.yml", play),
    ]);
    run.code(2).stdout_has("t.j2:3: syntax error");
    let run = apply_with(&[("hosts", LOCAL), ("t.j2", b"one\nbad \xff\xfe\n"), ("site.yml", play)]);
    run.code(2).stdout_has("t.j2:2: Template source files must be utf-8 encoded");
}

#[test]
fn empty_inventory_file_warns_like_ansible() {
    // Ansible: "provided hosts list is empty, only localhost is available. Note that the
    // implicit localhost does not match 'all'", then "skipping: no hosts matched", exit 0.
    let run = apply_with(&[("hosts", b""), ("site.yml", DEBUG_ALL)]);
    run.code(0).stdout_has("provided hosts list is empty").stdout_has("skipping: no hosts matched");
}

#[test]
fn duplicate_keys_are_refused() {
    // Ansible warns "found a duplicate dict key (hosts). Using last defined value only." and
    // runs; hearth refuses the playbook (see README, known differences).
    let run = apply_with(&[
        ("hosts", LOCAL),
        ("site.yml", b"- hosts: nosuch\n  gather_facts: false\n  hosts: all\n  tasks: []\n"),
    ]);
    run.code(4).stderr_has("site.yml:3:3: YAML syntax error: duplicate key 'hosts'");
    one_line(&run);
}

#[test]
fn tabs_in_indentation_point_at_the_tab() {
    // Ansible: "found a tab character that violates indentation ... line 2, column 1".
    let run =
        apply_with(&[("hosts", LOCAL), ("site.yml", b"- hosts: all\n\tgather_facts: false\n  tasks: []\n")]);
    run.code(4).stderr_has(
        "site.yml:2:1: YAML syntax error: a tab in the indentation (YAML indents with spaces only)",
    );
    one_line(&run);
}

#[test]
fn deeply_nested_yaml_is_an_error_or_loads_never_a_crash() {
    // 60 levels used to overflow a host thread's 2 MiB stack in `include_vars` (an abort).
    let deep = |n: usize| format!("a:\n  {}x\n", "- ".repeat(n)).into_bytes();
    let play =
        b"- hosts: all\n  gather_facts: false\n  tasks:\n    - include_vars: v.yml\n    - debug: msg=done\n";
    let run = apply_with(&[("hosts", LOCAL), ("v.yml", &deep(60)), ("site.yml", play)]);
    run.code(0).stdout_has("\"msg\": \"done\"");
    let run = apply_with(&[("hosts", LOCAL), ("v.yml", &deep(100)), ("site.yml", play)]);
    run.code(2).stdout_has("nested 65 levels deep, more than hearth reads (64)");
    let list =
        format!("- hosts: all\n  vars:\n    a: {}x{}\n  tasks: []\n", "[".repeat(300), "]".repeat(300));
    let run = apply_with(&[("hosts", LOCAL), ("site.yml", list.as_bytes())]);
    run.code(4).stderr_has("site.yml:3:").stderr_has("nested too deep");
    one_line(&run);
}
