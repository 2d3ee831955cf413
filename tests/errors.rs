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
