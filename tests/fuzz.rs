//! Fuzzing the parsers on near-valid input (see `support::mutate`): the playbook and vars file
//! loaders, INI and YAML inventories, host patterns and templates must answer Ok or one
//! non-empty error, whose file:line points inside the input; never panic. Each test runs a
//! bounded number of cases so the set stays within seconds in debug builds.

use std::path::Path;

use proptest::prelude::*;

use crate::support::mutate::{check_message, near, near_text, run};
use hearth::load::inventory::{self, Inventory};
use hearth::load::pattern;
use hearth::load::playbook::{load_playbook, load_vars_file};
use hearth::template::Templar;
use hearth::value::{Map, Value};

const CASES: u32 = 384;

const PLAYBOOKS: &[&str] = &[
    "- hosts: all\n  gather_facts: false\n  vars:\n    port: 80\n  tasks:\n    - name: greet\n      debug: msg=\"{{ port }}\"\n      when: port > 1\n",
    "- name: web\n  hosts: web:&prod:!web3\n  become: true\n  tasks:\n    - copy:\n        dest: /tmp/x\n        content: \"a: b\\n\"\n      notify: restart\n  handlers:\n    - name: restart\n      service: {name: nginx, state: restarted}\n",
    "- hosts: localhost\n  tasks:\n    - block:\n        - command: echo {{ item }}\n          loop: [1, 2, 3]\n          register: out\n      rescue:\n        - fail: msg=no\n      always:\n        - debug: var=out\n",
    "---\n- hosts: db[0:1]\n  serial: 2\n  vars_files: [vars.yml]\n  pre_tasks:\n    - set_fact: {a: [1, {b: c}]}\n  tasks:\n    - lineinfile: path=/etc/hosts line='127.0.0.1 x' state=present\n      tags: [a, b]\n",
    "- hosts: all\n  tasks:\n    - shell: |\n        echo one\n        echo two\n      args: {chdir: /tmp}\n    - include_tasks: other.yml\n    - template: src=t.j2 dest=/tmp/t\n      vars: {x: &anchor {y: 1}, z: *anchor}\n",
];

const VARS_FILES: &[&str] = &[
    "a: 1\nb: [x, y]\nc: {d: e}\n",
    "secret: !!str 123\nlist:\n  - one\n  - two: 2\nmulti: >\n  folded\n  text\n",
    "{\"json\": [1, 2, {\"k\": null}]}\n",
];

const INI_INVENTORIES: &[&str] = &[
    "[web]\nweb[01:03].lan ansible_user=deploy\n[db]\ndb1 ansible_host=10.0.0.5 ansible_port=2222\n[prod:children]\nweb\ndb\n[prod:vars]\nntp=\"pool.ntp.org\"\nlist=[1, 2]\n",
    "localhost ansible_connection=local\n# comment\n; other\n[a-b]\nhost[a:c] x='1 2' y={'k': 'v'}\n[all:vars]\nansible_python_interpreter=/usr/bin/python3\n",
];

const YAML_INVENTORIES: &[&str] = &[
    "all:\n  hosts:\n    web1:\n      ansible_host: 10.0.0.1\n  children:\n    db:\n      hosts:\n        db[1:2].lan:\n      vars:\n        port: 5432\n  vars:\n    ansible_user: root\n",
    "web:\n  hosts:\n    w1: {}\n    w2: {ansible_port: 22}\nprod:\n  children:\n    web:\n  vars: {tier: prod}\n",
];

const PATTERNS: &[&str] = &[
    "all",
    "web:&prod:!web3",
    "web[0]",
    "web[1:2],db",
    "~web\\d+",
    "w*.lan:!db[-1]",
    "web[1:]",
    "localhost,127.0.0.1",
    "::1",
    "*",
];

const TEMPLATES: &[&str] = &[
    "{{ name }} has {{ items | length }} items",
    "{% for i in items %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}",
    "{{ d.a | default('x') }} {{ missing | default(d) | to_json }}",
    "{% if name == 'x' %}yes{% elif name is defined %}maybe{% else %}no{% endif %}\n",
    "{{ items | map('string') | join('-') }} {{ '%s-%d' % (name, 3) }}",
    "{# comment #}{% set y = d | dict2items %}{{ y[0].key | upper }}{% raw %}{{ x }}{% endraw %}",
    "{{ name | regex_replace('(x)', '\\\\1y') }} {{ 'a,b' | split(',') | first }}",
];

/// Writes `bytes` to `name` in a fresh directory and gives its path.
fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("temp file");
    path
}

#[test]
fn playbook_loader_never_panics() {
    let dir = tempfile::tempdir().expect("temp dir");
    run(CASES, near(PLAYBOOKS), |bytes| {
        let path = file(&dir, "fuzz.yml", &bytes);
        match load_playbook(&path) {
            Ok(pb) => prop_assert!(!pb.plays.is_empty()),
            Err(e) => check_message(&e.to_string(), "fuzz.yml", &bytes)?,
        }
        Ok(())
    });
}

#[test]
fn yaml_and_vars_file_loaders_never_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    run(CASES, near(VARS_FILES), |bytes| {
        let path = file(&dir, "fuzz.yml", &bytes);
        if let Err(e) = load_vars_file(&path) {
            check_message(&e.to_string(), "fuzz.yml", &bytes)?;
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = hearth_formats::yaml::parse_str(&text, Path::new("fuzz.yml")) {
            check_message(&e.to_string(), "fuzz.yml", &bytes)?;
        }
        Ok(())
    });
}

/// Loads an inventory file and, if it loads, lists it and resolves a few patterns on it.
fn load_inventory(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = file(dir, name, bytes);
    match inventory::load(&[path.display().to_string()]) {
        Ok(inv) => {
            let _ = inv.to_list_json();
            for p in ["all", "ungrouped", "web[0]", "*:!db"] {
                if let Err(e) = inv.resolve(p) {
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
        Err(e) => check_message(&e.to_string(), name, bytes)?,
    }
    Ok(())
}

#[test]
fn ini_inventory_parser_never_panics() {
    let dir = tempfile::tempdir().expect("temp dir");
    run(CASES, (near(INI_INVENTORIES), any::<bool>()), |(bytes, sniff)| {
        load_inventory(&dir, if sniff { "fuzz" } else { "fuzz.ini" }, &bytes)
    });
}

#[test]
fn yaml_inventory_parser_never_panics() {
    let dir = tempfile::tempdir().expect("temp dir");
    run(CASES, (near(YAML_INVENTORIES), any::<bool>()), |(bytes, sniff)| {
        load_inventory(&dir, if sniff { "fuzz" } else { "fuzz.yml" }, &bytes)
    });
}

#[test]
fn host_patterns_never_panic_and_validate_agrees_with_resolve() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inv_path = file(&dir, "hosts", INI_INVENTORIES[0].as_bytes());
    let inv: Inventory = inventory::load(&[inv_path.display().to_string()]).expect("sample inventory loads");
    run(CASES, near_text(PATTERNS), |p| {
        let checked = pattern::validate(&p);
        match inv.resolve_verbose(&p) {
            Ok(_) => prop_assert!(checked.is_ok(), "resolved but refused: {p:?}: {checked:?}"),
            Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
        }
        if let Err(e) = checked {
            prop_assert!(!e.to_string().trim().is_empty());
            prop_assert!(inv.resolve_limited("all", Some(&p)).is_err(), "a refused --limit {p:?} resolved");
        }
        Ok(())
    });
}

#[test]
fn templates_never_panic() {
    let templar = Templar::new();
    let mut vars = Map::new();
    vars.insert("name".into(), Value::from("x"));
    vars.insert("items".into(), serde_json::json!([1, "two", {"three": 3}]));
    vars.insert("d".into(), serde_json::json!({"a": 1, "b": [true, null]}));
    let ctx = templar.context(&vars);
    run(CASES, near_text(TEMPLATES), |text| {
        if let Err(e) = templar.render_str(&text, &ctx) {
            prop_assert!(!e.message.trim().is_empty(), "empty error for {text:?}");
        }
        if let Err(e) = templar.render_value(&Value::String(text.clone()), &ctx) {
            prop_assert!(!e.message.trim().is_empty(), "empty error for {text:?}");
        }
        let expr = text.trim_start_matches("{{").trim_end_matches("}}");
        if let Err(e) = templar.eval_bool(expr, &ctx) {
            prop_assert!(!e.message.trim().is_empty(), "empty error for {expr:?}");
        }
        Ok(())
    });
}
