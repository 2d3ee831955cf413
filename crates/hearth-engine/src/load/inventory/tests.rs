//! Inventory tests: real files in temporary directories, expected values taken from
//! `ansible-inventory --list/--graph/--host` (ansible-core 2.18) on the same files.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::load::address;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn load_one(dir: &Path, rel: &str) -> Result<Inventory, InventoryError> {
    load(&[dir.join(rel).display().to_string()])
}

/// The example of Ansible's yaml inventory plugin documentation.
const DOCS_YAML: &str = "
all: # keys must be unique, i.e. only one 'hosts' per group
    hosts:
        test1:
        test2:
            host_var: value
    vars:
        group_all_var: value
    children:   # key order does not matter, indentation does
        other_group:
            children:
                group_x:
                    hosts:
                        test5   # Note that one machine will work without a colon
                group_y:
                    hosts:
                        test6:  # So always use a colon
            vars:
                g2_var2: value3
            hosts:
                test4:
                    ansible_host: 127.0.0.1
        last_group:
            hosts:
                test1 # same host as above, additional group membership
            vars:
                group_last_var: value
";

#[test]
fn yaml_docs_example_matches_ansible_list() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "docs.yml", DOCS_YAML);
    let inv = load_one(t.path(), "docs.yml").unwrap();
    let expected = json!({
        "_meta": {"hostvars": {
            "test1": {"group_all_var": "value", "group_last_var": "value"},
            "test2": {"group_all_var": "value", "host_var": "value"},
            "test4": {"ansible_host": "127.0.0.1", "g2_var2": "value3", "group_all_var": "value"},
            "test5": {"g2_var2": "value3", "group_all_var": "value"},
            "test6": {"g2_var2": "value3", "group_all_var": "value"}
        }},
        "all": {"children": ["ungrouped", "other_group", "last_group"]},
        "group_x": {"hosts": ["test5"]},
        "group_y": {"hosts": ["test6"]},
        "last_group": {"hosts": ["test1"]},
        "other_group": {"children": ["group_x", "group_y"], "hosts": ["test4"]},
        "ungrouped": {"hosts": ["test2"]}
    });
    assert_eq!(inv.to_list_json(), expected);
    let graph = "@all:\n  |--@ungrouped:\n  |  |--test2\n  |--@other_group:\n  |  |--@group_x:\n  |  |  |--test5\n  \
                 |  |--@group_y:\n  |  |  |--test6\n  |  |--test4\n  |--@last_group:\n  |  |--test1";
    assert_eq!(inv.to_graph(None).unwrap(), graph);
    assert_eq!(inv.resolve("all").unwrap(), ["test1", "test2", "test4", "test5", "test6"]);
    assert_eq!(inv.to_graph(Some("nosuch")), None);
}

#[test]
fn directory_source_with_group_and_host_vars() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(
        d,
        "hosts.yml",
        "all:\n  vars: {x: allinline}\n  hosts:\n    solo:\n  children:\n    web:\n      hosts:\n        \
         web[01:03].example.com: {port_var: 1}\n      vars: {x: webinline, y: webinline}\n    db:\n      hosts:\n        \
         db1: {x: hostinline}\n      children:\n        dbreplica:\n          hosts:\n            db2:\nother:\n  hosts:\n    o1:\n",
    );
    write(d, "group_vars/all.yml", "x: allfile\nz: allfile\n");
    write(d, "group_vars/web.yml", "z: webfile\n");
    write(d, "host_vars/db1.yml", "x: hostfile\n");
    write(d, "notes.md", "not an inventory: ignored\n");
    write(d, "extra.ini", "[ignored]\nini_host\n");
    let inv = load(&[d.display().to_string()]).unwrap();
    let list = inv.to_list_json();
    assert_eq!(list["all"], json!({"children": ["ungrouped", "web", "db", "other"]}));
    assert_eq!(list["db"], json!({"children": ["dbreplica"], "hosts": ["db1"]}));
    assert_eq!(list["_meta"]["hostvars"]["db1"], json!({"x": "hostfile", "z": "allfile"}));
    assert_eq!(
        list["_meta"]["hostvars"]["web02.example.com"],
        json!({"port_var": 1, "x": "allfile", "y": "webinline", "z": "webfile"})
    );
    assert!(inv.host("ini_host").is_none());
    assert_eq!(
        inv.resolve("all").unwrap(),
        ["solo", "web01.example.com", "web02.example.com", "web03.example.com", "db1", "o1", "db2"]
    );
    let graph = inv.to_graph(Some("db")).unwrap();
    assert_eq!(graph, "@db:\n  |--@dbreplica:\n  |  |--db2\n  |--db1");
    // the implicit localhost sees all-group vars and gets a local connection
    let lh = inv.host_vars("localhost");
    assert_eq!(lh["x"], json!("allfile"));
    assert_eq!(lh["ansible_connection"], json!("local"));
    let magic = inv.magic_vars("web01.example.com");
    assert_eq!(magic["group_names"], json!(["web"]));
    assert_eq!(magic["inventory_hostname_short"], json!("web01"));
    assert_eq!(magic["groups"]["db"], json!(["db1", "db2"]));
    assert_eq!(magic["inventory_file"], json!(d.join("hosts.yml").display().to_string()));
    assert_eq!(inv.magic_vars("solo")["group_names"], json!(["ungrouped"]));
}

const INI: &str = r#"# comment
top1 a=1 b=True c="hello world" d='03' e=[1,2] f={'k':'v'} g=None h=1.5 i=yes j=0644 k=abc#notcomment l=x # trailing
[web]
host1
host2:2222 ansible_user=pi
web[a:c]

[web:vars]
http_port=8080 # all members
myvar=23
s = FALSE
q="quoted"
lst=[1, 2]
spaced = hello world

[web:children]
apache

[apache]
tomcat1 # comment

[all:vars]
has_java = False
"#;

#[test]
fn ini_values_typed_like_ansible() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "hosts", INI);
    let inv = load_one(t.path(), "hosts").unwrap();
    let list = inv.to_list_json();
    let hv = &list["_meta"]["hostvars"];
    assert_eq!(
        hv["top1"],
        json!({"a": 1, "b": true, "c": "hello world", "d": "03", "e": [1, 2], "f": "{k:v}", "g": null,
               "h": 1.5, "has_java": false, "i": "yes", "j": "0644", "k": "abc"})
    );
    let web = json!({"has_java": false, "http_port": 8080, "lst": [1, 2], "myvar": 23, "q": "quoted",
                     "s": "FALSE", "spaced": "hello world"});
    assert_eq!(hv["tomcat1"], web);
    assert_eq!(hv["host2"]["ansible_port"], json!(2222));
    assert_eq!(hv["host2"]["ansible_user"], json!("pi"));
    assert_eq!(
        list["web"],
        json!({"children": ["apache"], "hosts": ["host1", "host2", "weba", "webb", "webc"]})
    );
    assert_eq!(list["all"], json!({"children": ["ungrouped", "web"]}));
    let graph = "@all:\n  |--@ungrouped:\n  |  |--top1\n  |--@web:\n  |  |--@apache:\n  |  |  |--tomcat1\n  \
                 |  |--host1\n  |  |--host2\n  |  |--weba\n  |  |--webb\n  |  |--webc";
    assert_eq!(inv.to_graph(None).unwrap(), graph);
}

#[test]
fn ini_errors_name_file_and_line() {
    let t = tempfile::tempdir().unwrap();
    let cases = [
        ("[web]\nh1 ;x\n", ":2:", "Expected key=value host variable assignment, got: ;x"),
        ("[web:vars]\nx=1\n", ":1:", "Section [web:vars] not valid for undefined group: web"),
        ("[p:children]\nnope\n", ":2:", "Section [p:children] includes undefined group: nope"),
        ("[web:kids]\n", ":1:", "has unknown type: kids"),
        ("[web]\nh1 a='x\n", ":2:", "No closing quotation"),
        ("[web]\nh[1:]\n", ":2:", "must specify end value"),
        ("[web]\nh1:\n", ":2:", "ending in ':' is not allowed"),
        ("[a b]\n", ":1:", "Invalid section entry"),
    ];
    for (text, line, msg) in cases {
        write(t.path(), "inv.ini", text);
        let e = load_one(t.path(), "inv.ini").unwrap_err().to_string();
        assert!(e.contains(&format!("inv.ini{line}")) && e.contains(msg), "{text:?}: {e}");
    }
}

#[test]
fn ini_children_declared_later_and_all_section() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "i.ini",
        "[prod:children]\nweb\n[web]\nw1\n[all]\nz1\n[web:vars]\nansible_group_priority=3\n",
    );
    let inv = load_one(t.path(), "i.ini").unwrap();
    assert_eq!(inv.group("web").unwrap().parents, ["prod"]);
    assert_eq!(inv.group("web").unwrap().priority, 3);
    assert_eq!(inv.resolve("prod").unwrap(), ["w1"]);
    assert_eq!(inv.resolve("ungrouped").unwrap(), ["z1"]);
}

#[test]
fn precedence_depth_priority_name() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "prio.yml",
        "all:\n  children:\n    zeta:\n      hosts: {h1: }\n      vars: {x: zeta, y: zeta}\n    alpha:\n      \
         hosts: {h1: }\n      vars: {x: alpha, y: alpha, ansible_group_priority: 10}\n    parent:\n      \
         vars: {z: parent, w: parent}\n      children:\n        kid:\n          hosts: {h1: }\n          vars: {z: kid}\n",
    );
    let inv = load_one(t.path(), "prio.yml").unwrap();
    assert_eq!(inv.to_host_json("h1"), json!({"w": "parent", "x": "alpha", "y": "alpha", "z": "kid"}));
    assert_eq!(inv.group_names("h1"), ["alpha", "kid", "parent", "zeta"]);
}

#[test]
fn vars_dirs_merge_files_in_order_and_playbook_dir_wins() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "inv/hosts", "[web]\nw1 a=inline\n");
    write(d, "inv/group_vars/web/10-base.yml", "a: base\nb: base\n");
    write(d, "inv/group_vars/web/20-more.yaml", "b: more\n");
    write(d, "inv/group_vars/web/.hidden.yml", "b: hidden\n");
    write(d, "inv/group_vars/web/notes.txt", "b: txt\n");
    write(d, "inv/group_vars/all", "c: all-noext\n");
    write(d, "inv/host_vars/w1.json", "{\"h\": \"json\"}");
    write(d, "play/group_vars/web.yml", "b: playbook\n");
    let mut inv = load(&[d.join("inv").display().to_string()]).unwrap();
    let v = inv.host_vars("w1");
    assert_eq!(
        (v["a"].clone(), v["b"].clone(), v["c"].clone()),
        (json!("inline"), json!("more"), json!("all-noext"))
    );
    assert_eq!(v["h"], json!("json"));
    inv.add_playbook_vars_dir(&d.join("play")).unwrap();
    assert_eq!(inv.host_vars("w1")["b"], json!("playbook"));
}

#[test]
fn host_list_sources() {
    let inv = load(&["localhost,".to_string()]).unwrap();
    assert_eq!(inv.resolve("all").unwrap(), ["localhost"]);
    assert!(!inv.is_implicit("localhost"));
    let inv = load(&["a, b:2222 ,".to_string()]).unwrap();
    assert_eq!(inv.resolve("ungrouped").unwrap(), ["a", "b"]);
    assert_eq!(inv.host_vars("b")["ansible_port"], json!(2222));
}

#[test]
fn implicit_localhost_not_in_all() {
    let inv = load(&["web1,".to_string()]).unwrap();
    assert_eq!(inv.resolve("all").unwrap(), ["web1"]);
    assert_eq!(inv.resolve("localhost").unwrap(), ["localhost"]);
    assert!(inv.is_implicit("localhost"));
    assert_eq!(inv.resolve("127.0.0.1").unwrap(), ["127.0.0.1"]);
    let inv = load(&["127.0.0.1,".to_string()]).unwrap();
    assert_eq!(inv.resolve("localhost").unwrap(), ["127.0.0.1"]);
}

#[test]
fn yaml_errors() {
    let t = tempfile::tempdir().unwrap();
    let cases = [
        (
            "all:\n  hosts: [a, b]\n",
            "bad.yml:2:",
            "Invalid \"hosts\" entry for \"all\" group, requires a dictionary",
        ),
        (
            "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n",
            "bad.yml:",
            "recursive dependency loop",
        ),
        ("all:\n  hosts:\n    h[1:]:\n", "bad.yml:3:", "must specify end value"),
        ("all:\n  hosts: {a: [1]}\n", "bad.yml:2:", "expected dictionary"),
        ("all: [1\n", "bad.yml:", "YAML syntax error"),
        ("- a\n", "bad.yml:1:", "should be a dictionary"),
        ("", "bad.yml", "Parsed empty YAML file"),
        ("plugin: aws_ec2\n", "bad.yml:1:", "not supported"),
        ("all:\n  vars:\n    ansible_group_priority: high\n", "bad.yml:", "must be an integer"),
    ];
    for (text, at, msg) in cases {
        write(t.path(), "bad.yml", text);
        let e = load_one(t.path(), "bad.yml").unwrap_err().to_string();
        assert!(e.contains(at) && e.contains(msg), "{text:?}: {e}");
    }
}

#[test]
fn yaml_warnings_and_string_sections() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "w.yml", "all:\n  host: {x: }\n  hosts: solo\n  junk: 3\nweird: 5\n");
    let inv = load_one(t.path(), "w.yml").unwrap();
    assert_eq!(inv.resolve("all").unwrap(), ["solo"]);
    assert_eq!(inv.warnings().len(), 3, "{:?}", inv.warnings());
    assert!(inv.warnings()[0].contains("Skipping unexpected key (host) in group (all)"));
}

#[test]
fn extensionless_yaml_and_missing_sources() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "hosts", "web:\n  hosts:\n    w1:\n");
    assert_eq!(load_one(t.path(), "hosts").unwrap().resolve("web").unwrap(), ["w1"]);
    write(t.path(), "broken", "web:\n  hosts:\n    w1: [\n");
    let e = load_one(t.path(), "broken").unwrap_err().to_string();
    assert!(e.contains("YAML syntax error"), "{e}");
    let e = load(&["/nonexistent/inventory".to_string()]).unwrap_err();
    assert!(matches!(e, InventoryError::NotFound(_)));
}

#[test]
fn group_name_warnings_and_json_text() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "g.ini", "[web-servers]\nw1\n[ok_name]\nw2\n");
    let inv = load_one(t.path(), "g.ini").unwrap();
    assert_eq!(inv.warnings().len(), 1);
    assert!(inv.warnings()[0].contains("web-servers"));
    assert_eq!(json_text(&json!({"a": [1], "é": 2})), "{\n    \"a\": [\n        1\n    ],\n    \"é\": 2\n}");
}

#[test]
fn empty_inventory_has_all_and_ungrouped() {
    let inv = Inventory::new();
    assert_eq!(inv.to_graph(None).unwrap(), "@all:\n  |--@ungrouped:");
    assert_eq!(inv.to_list_json(), json!({"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}));
    assert_eq!(inv.resolve("localhost").unwrap(), ["localhost"]);
}

/// Random lines made of inventory-significant characters never panic any parser.
#[test]
fn garbage_never_panics() {
    let alphabet: Vec<char> = "[]:=,#;'\"\\ \n\t!&*?~.-_0123456789abwxyz{}()|é".chars().collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let t = tempfile::tempdir().unwrap();
    for round in 0..400 {
        let len = (next() % 60) as usize;
        let text: String = (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
        let _ = hearth_formats::pyliteral::literal_eval(&text);
        let _ = address::expand_host_pattern(&text);
        let mut inv = Inventory::new();
        let _ = ini::parse_str(&mut inv, &text, Path::new("fuzz.ini"), "fuzz.ini");
        inv.reconcile();
        let _ = inv.resolve(&text);
        let _ = inv.to_list_json();
        let ext = if round % 2 == 0 { "yml" } else { "ini" };
        write(t.path(), &format!("f.{ext}"), &text);
        let _ = load_one(t.path(), &format!("f.{ext}"));
    }
}
