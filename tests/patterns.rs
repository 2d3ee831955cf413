//! Host patterns that select nothing or are malformed, in a play's `hosts:` and in `--limit`:
//! a name that matches nothing is a warning and a skipped play (as in Ansible); a malformed
//! pattern (`web[`, `web[1:x]`, `web[3:1]`, `&`, `web,,db`...) is one error naming it, before
//! any task runs. Ansible 2.18's behaviour for each case is noted beside it.

use crate::support::{Project, Run};

const INVENTORY: &str = "[web]\nweb1\nweb2\nweb3\n[db]\ndb1\n[all:vars]\nansible_connection=local\n";

/// A project with a three-web one-db local inventory and a one-play playbook on `hosts`.
fn project(hosts: &str) -> Project {
    let p = Project::new();
    p.write("hosts", INVENTORY);
    p.write("site.yml", &format!("- hosts: {hosts}\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n"));
    p
}

fn apply(p: &Project, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "site.yml", "-i", "hosts"];
    args.extend_from_slice(extra);
    let run = p.hearth(&args);
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

/// Asserts one error line holding every `wants`, and that no task ran.
fn one_error(run: &Run, code: i32, wants: &[&str]) {
    run.code(code);
    for w in wants {
        run.stderr_has(w);
    }
    assert_eq!(run.stderr.trim().lines().count(), 1, "one clear message:\n{}", run.stderr);
    assert!(!run.stdout.contains("ok: ["), "a task ran:\n{}", run.stdout);
}

#[test]
fn a_name_matching_nothing_warns_and_skips_the_play() {
    // Ansible: "[WARNING]: Could not match supplied host pattern, ignoring: nosuch",
    // "skipping: no hosts matched", exit 0.
    let run = apply(&project("nosuch"), &[]);
    run.code(0).stdout_has("Could not match supplied host pattern, ignoring: nosuch");
    run.stdout_has("skipping: no hosts matched");
    // A subscript of a group that has no hosts is the same (Ansible: warning, exit 0).
    apply(&project("nosuch[0]"), &[]).code(0).stdout_has("skipping: no hosts matched");
    // A slice past the end selects nothing (Ansible: "skipping: no hosts matched", exit 0).
    apply(&project("web[5:9]"), &[]).code(0).stdout_has("skipping: no hosts matched");
}

#[test]
fn malformed_hosts_patterns_are_load_errors_at_the_hosts_value() {
    // Ansible runs every web host for `web[`, `web,,db` and `web[1:x]` (it drops or
    // re-reads the bad part), skips the play for `web[3:1]`, and crashes with "Unexpected
    // Exception ... string index out of range" (exit 250) for `&` and `!`.
    let cases: &[(&str, &str)] = &[
        ("'web['", "invalid host pattern 'web[': '[' is not closed by ']'"),
        ("'web[1:x]'", "'[1:x]' in 'web[1:x]' is not a subscript (expected [N], [N:M] or [N:]"),
        ("'web[3:1]'", "the subscript [3:1] of 'web[3:1]' runs backwards"),
        ("'web[]'", "'[]' in 'web[]' is not a subscript"),
        ("'~[invalid regex'", "invalid host pattern '~[invalid regex': '[' is not closed by ']'"),
        ("'&'", "invalid host pattern '&': '&' must be followed by a host, group or pattern"),
        ("'!'", "'!' must be followed by a host, group or pattern"),
        ("'web:!'", "'!' must be followed by a host, group or pattern"),
        ("'!!web'", "'!!web' has two operators"),
        ("'web,,db'", "invalid host pattern 'web,,db': term 2 is empty"),
        ("'web::db'", "invalid host pattern 'web::db': an empty term at character 5"),
        ("'~web('", "invalid host list pattern: ~web(: unclosed group"),
        ("''", "empty host pattern"),
    ];
    for (hosts, want) in cases {
        let run = apply(&project(hosts), &[]);
        one_error(&run, 4, &["site.yml:1:10: hosts: ", want]);
    }
    let run = apply(&project("[web, 'db[']"), &[]);
    one_error(&run, 4, &["site.yml:1:10: hosts: invalid host pattern 'web,db['", "'[' is not closed"]);
}

#[test]
fn a_templated_pattern_is_checked_when_the_play_starts() {
    let run = apply(&project("\"{{ target }}\""), &["-e", "target=web["]);
    one_error(&run, 1, &["site.yml:1:10: invalid host pattern 'web[': '[' is not closed by ']'"]);
}

#[test]
fn an_index_past_the_hosts_of_a_group_is_an_error() {
    // Ansible: "ERROR! No hosts matched the subscripted pattern 'web[99]'", exit 1.
    let run = apply(&project("web[99]"), &[]);
    one_error(
        &run,
        1,
        &["site.yml:1:10: No hosts matched the subscripted pattern 'web[99]' ('web' has 3 host(s)"],
    );
    one_error(&apply(&project("web[-9]"), &[]), 1, &["subscripted pattern 'web[-9]'"]);
    one_error(&apply(&project("all"), &["--limit", "web[3]"]), 1, &["subscripted pattern 'web[3]'"]);
}

#[test]
fn malformed_limits_are_errors_not_every_host() {
    // Ansible runs the play on every host for `--limit 'web['`, `--limit 'web,,db'`,
    // `--limit '~[bad'` and `--limit ''`, and crashes (exit 250) for `&` and `!`.
    let cases: &[(&str, &str)] = &[
        ("web[", "invalid host pattern 'web[': '[' is not closed by ']'"),
        ("web,,db", "invalid host pattern 'web,,db': term 2 is empty"),
        ("~[bad", "invalid host pattern '~[bad': '[' is not closed by ']'"),
        ("&", "'&' must be followed by a host, group or pattern"),
        ("!", "'!' must be followed by a host, group or pattern"),
        ("web[3:1]", "the subscript [3:1] of 'web[3:1]' runs backwards"),
        ("", "empty host pattern"),
    ];
    for (limit, want) in cases {
        let run = apply(&project("all"), &["--limit", limit]);
        one_error(&run, 1, &["ERROR! --limit: ", want]);
        assert!(!run.stderr.contains("site.yml:"), "a --limit error is not the playbook's: {}", run.stderr);
    }
}

#[test]
fn a_limit_leaving_no_hosts_is_an_error() {
    // Ansible: the warning, then "ERROR! Specified inventory, host pattern and/or --limit
    // leaves us with no hosts to target.", exit 1.
    let run = apply(&project("all"), &["--limit", "nosuch"]);
    run.code(1).stderr_has("ignoring: nosuch").stderr_has("leaves us with no hosts to target");
    assert!(!run.stdout.contains("ok: ["), "a task ran:\n{}", run.stdout);
}

#[test]
fn a_limit_file_lists_hosts_one_a_line() {
    // Ansible reads `--limit @FILE` (a retry file) and mixes it with other terms; a missing
    // file is "ERROR! Unable to find limit file".
    let p = project("all");
    p.write("retry.txt", "web1\n\n web3 \n");
    let run = apply(&p, &["--limit", "db1,@retry.txt"]);
    run.code(0);
    for host in ["web1", "web3", "db1"] {
        run.stdout_has(&format!("ok: [{host}]"));
    }
    assert!(!run.stdout.contains("ok: [web2]"), "{}", run.stdout);
    let run = apply(&p, &["--limit", "@nofile.txt"]);
    one_error(&run, 1, &["ERROR! --limit: cannot read the limit file nofile.txt"]);
}
