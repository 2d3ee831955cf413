//! Inventories end to end: `hearth inventory --list/--graph/--host` on YAML, INI and directory
//! inventories with group_vars/ and host_vars/, compared with the exact text ansible-inventory
//! 2.18 printed for the same files (captured once, hard-coded here; ansible is not run). Then
//! `hearth apply` with `--limit` patterns and group_vars precedence as seen by a task.

use std::collections::BTreeSet;

use crate::support::{Project, Run};

/// A project holding the given files.
fn project(files: &[(&str, &str)]) -> Project {
    let p = Project::new();
    for (rel, text) in files {
        p.write(rel, text);
    }
    p
}

/// Runs `hearth inventory` with `args` on `files` and compares stdout with ansible-inventory's.
fn expect(files: &[(&str, &str)], args: &[&str], want: &str) {
    let p = project(files);
    let mut all = vec!["inventory"];
    all.extend_from_slice(args);
    let run = p.hearth(&all);
    run.code(0);
    assert_eq!(
        run.stdout, want,
        "hearth {args:?} differs from ansible-inventory\n--- stderr\n{}",
        run.stderr
    );
}

/// A YAML inventory: ranges, children listed under two parents, group_vars as a file, a
/// directory of files and an extensionless file, host_vars as a file and a directory.
const YAML: &[(&str, &str)] = &[
    (
        "hosts.yml",
        r#"all:
  vars:
    ntp: pool.ntp.org
    env: base
  children:
    web:
      hosts:
        web[1:3]:
          http_port: 80
      vars:
        env: webvars
    db:
      hosts:
        db-a.example.com:
          ansible_port: 2222
        db-b.example.com:
    prod:
      children:
        web:
        db:
      vars:
        env: prod
  hosts:
    lonely:
"#,
    ),
    (
        "group_vars/all.yml",
        r#"dns: 10.0.0.1
"#,
    ),
    (
        "group_vars/web/main.yml",
        r#"role: frontend
env: web_group_vars
"#,
    ),
    (
        "group_vars/web/extra.yaml",
        r#"extra_list: [1, 2]
"#,
    ),
    (
        "group_vars/db",
        r#"role: database
"#,
    ),
    (
        "host_vars/web2.yml",
        r#"http_port: 8080
"#,
    ),
    (
        "host_vars/db-a.example.com/vars.yml",
        r#"backup: true
"#,
    ),
];

/// An INI inventory: numeric, stepped and alphabetic ranges, `:children`, `:vars`, typed inline
/// values, group_vars as a directory of files.
const INI: &[(&str, &str)] = &[
    (
        "hosts.ini",
        r#"# homelab
gateway ansible_host=192.168.1.1 ansible_port=2222 managed=yes weight=1.5

[app]
app[01:03].lab enabled=True
app-[a:c].lab

[db]
db1 ansible_host=10.0.0.5 labels='["a", "b"]'
db[2:6:2]

[backend:children]
app
db

[backend:vars]
tier=backend
conn_timeout=30

[all:vars]
domain=lab.example
"#,
    ),
    (
        "group_vars/all",
        r#"---
ntp: 10.0.0.123
"#,
    ),
    (
        "group_vars/app/10-tier.yml",
        r#"tier: app-from-group-vars
"#,
    ),
    (
        "group_vars/app/20-listen.yml",
        r#"listen: 0.0.0.0
"#,
    ),
    (
        "host_vars/db4.yml",
        r#"conn_timeout: 5
"#,
    ),
];

/// A directory inventory: an extensionless INI file and a YAML file merged, `.ini` files
/// ignored (Ansible's default ignore list), group_vars/host_vars inside the directory.
const DIR: &[(&str, &str)] = &[
    (
        "inventory/hosts",
        r#"[nas]
nas1

[media:children]
nas

[media:vars]
share=/srv/media
"#,
    ),
    (
        "inventory/cloud.yml",
        r#"cloud:
  hosts:
    vps[1:2]:
  vars:
    share: /cloud
"#,
    ),
    (
        "inventory/ignored.ini",
        r#"[never]
should-not-appear
"#,
    ),
    (
        "inventory/group_vars/media.yml",
        r#"share: /srv/from-group-vars
"#,
    ),
    (
        "inventory/host_vars/vps2.yml",
        r#"share: /vps2
"#,
    ),
];

/// INI value typing (Python literals), `ansible_group_priority`, same-depth groups ordered by
/// name, an empty group, a group name Ansible warns about, JSON host_vars.
const EDGE: &[(&str, &str)] = &[
    (
        "hosts",
        r#"[b_group]
shared
x1 a="x y" b=0755 c=0x10 d=[1,2] e="{'k': 1}" f=None g=true h='it''s' i=1_000 j=-3 k=1e3 l=~ m=""

[a_group]
shared

[a_group:vars]
who=a
[b_group:vars]
who=b

[prio]
shared2
[zz]
shared2
[prio:vars]
ansible_group_priority=10
who=prio
[zz:vars]
who=zz

[empty]

[web-servers]
ws1

[parent:children]
empty
"#,
    ),
    ("host_vars/x1.json", r#"{"fromjson": {"nested": [1, {"a": null}]}}"#),
    (
        "group_vars/all/z.yml",
        r#"merge: {a: 1}
"#,
    ),
    (
        "group_vars/b_group.yml",
        r#"merge: {b: 2}
"#,
    ),
];

#[test]
fn yaml_list() {
    expect(
        YAML,
        &["-i", "hosts.yml", "--list"],
        r#"{
    "_meta": {
        "hostvars": {
            "db-a.example.com": {
                "ansible_port": 2222,
                "backup": true,
                "dns": "10.0.0.1",
                "env": "prod",
                "ntp": "pool.ntp.org",
                "role": "database"
            },
            "db-b.example.com": {
                "dns": "10.0.0.1",
                "env": "prod",
                "ntp": "pool.ntp.org",
                "role": "database"
            },
            "lonely": {
                "dns": "10.0.0.1",
                "env": "base",
                "ntp": "pool.ntp.org"
            },
            "web1": {
                "dns": "10.0.0.1",
                "env": "web_group_vars",
                "extra_list": [
                    1,
                    2
                ],
                "http_port": 80,
                "ntp": "pool.ntp.org",
                "role": "frontend"
            },
            "web2": {
                "dns": "10.0.0.1",
                "env": "web_group_vars",
                "extra_list": [
                    1,
                    2
                ],
                "http_port": 8080,
                "ntp": "pool.ntp.org",
                "role": "frontend"
            },
            "web3": {
                "dns": "10.0.0.1",
                "env": "web_group_vars",
                "extra_list": [
                    1,
                    2
                ],
                "http_port": 80,
                "ntp": "pool.ntp.org",
                "role": "frontend"
            }
        }
    },
    "all": {
        "children": [
            "ungrouped",
            "web",
            "db",
            "prod"
        ]
    },
    "db": {
        "hosts": [
            "db-a.example.com",
            "db-b.example.com"
        ]
    },
    "prod": {
        "children": [
            "web",
            "db"
        ]
    },
    "ungrouped": {
        "hosts": [
            "lonely"
        ]
    },
    "web": {
        "hosts": [
            "web1",
            "web2",
            "web3"
        ]
    }
}
"#,
    );
}

#[test]
fn yaml_graph() {
    expect(
        YAML,
        &["-i", "hosts.yml", "--graph"],
        r#"@all:
  |--@ungrouped:
  |  |--lonely
  |--@web:
  |  |--web1
  |  |--web2
  |  |--web3
  |--@db:
  |  |--db-a.example.com
  |  |--db-b.example.com
  |--@prod:
  |  |--@web:
  |  |  |--web1
  |  |  |--web2
  |  |  |--web3
  |  |--@db:
  |  |  |--db-a.example.com
  |  |  |--db-b.example.com
"#,
    );
}

#[test]
fn yaml_graph_prod() {
    expect(
        YAML,
        &["-i", "hosts.yml", "--graph", "prod"],
        r#"@prod:
  |--@web:
  |  |--web1
  |  |--web2
  |  |--web3
  |--@db:
  |  |--db-a.example.com
  |  |--db-b.example.com
"#,
    );
}

#[test]
fn yaml_host_web2() {
    expect(
        YAML,
        &["-i", "hosts.yml", "--host", "web2"],
        r#"{
    "dns": "10.0.0.1",
    "env": "web_group_vars",
    "extra_list": [
        1,
        2
    ],
    "http_port": 8080,
    "ntp": "pool.ntp.org",
    "role": "frontend"
}
"#,
    );
}

#[test]
fn yaml_host_db_a_example_com() {
    expect(
        YAML,
        &["-i", "hosts.yml", "--host", "db-a.example.com"],
        r#"{
    "ansible_port": 2222,
    "backup": true,
    "dns": "10.0.0.1",
    "env": "prod",
    "ntp": "pool.ntp.org",
    "role": "database"
}
"#,
    );
}

#[test]
fn yaml_host_lonely() {
    expect(
        YAML,
        &["-i", "hosts.yml", "--host", "lonely"],
        r#"{
    "dns": "10.0.0.1",
    "env": "base",
    "ntp": "pool.ntp.org"
}
"#,
    );
}

#[test]
fn ini_list() {
    expect(
        INI,
        &["-i", "hosts.ini", "--list"],
        r#"{
    "_meta": {
        "hostvars": {
            "app-a.lab": {
                "conn_timeout": 30,
                "domain": "lab.example",
                "listen": "0.0.0.0",
                "ntp": "10.0.0.123",
                "tier": "app-from-group-vars"
            },
            "app-b.lab": {
                "conn_timeout": 30,
                "domain": "lab.example",
                "listen": "0.0.0.0",
                "ntp": "10.0.0.123",
                "tier": "app-from-group-vars"
            },
            "app-c.lab": {
                "conn_timeout": 30,
                "domain": "lab.example",
                "listen": "0.0.0.0",
                "ntp": "10.0.0.123",
                "tier": "app-from-group-vars"
            },
            "app01.lab": {
                "conn_timeout": 30,
                "domain": "lab.example",
                "enabled": true,
                "listen": "0.0.0.0",
                "ntp": "10.0.0.123",
                "tier": "app-from-group-vars"
            },
            "app02.lab": {
                "conn_timeout": 30,
                "domain": "lab.example",
                "enabled": true,
                "listen": "0.0.0.0",
                "ntp": "10.0.0.123",
                "tier": "app-from-group-vars"
            },
            "app03.lab": {
                "conn_timeout": 30,
                "domain": "lab.example",
                "enabled": true,
                "listen": "0.0.0.0",
                "ntp": "10.0.0.123",
                "tier": "app-from-group-vars"
            },
            "db1": {
                "ansible_host": "10.0.0.5",
                "conn_timeout": 30,
                "domain": "lab.example",
                "labels": [
                    "a",
                    "b"
                ],
                "ntp": "10.0.0.123",
                "tier": "backend"
            },
            "db2": {
                "conn_timeout": 30,
                "domain": "lab.example",
                "ntp": "10.0.0.123",
                "tier": "backend"
            },
            "db4": {
                "conn_timeout": 5,
                "domain": "lab.example",
                "ntp": "10.0.0.123",
                "tier": "backend"
            },
            "db6": {
                "conn_timeout": 30,
                "domain": "lab.example",
                "ntp": "10.0.0.123",
                "tier": "backend"
            },
            "gateway": {
                "ansible_host": "192.168.1.1",
                "ansible_port": 2222,
                "domain": "lab.example",
                "managed": "yes",
                "ntp": "10.0.0.123",
                "weight": 1.5
            }
        }
    },
    "all": {
        "children": [
            "ungrouped",
            "backend"
        ]
    },
    "app": {
        "hosts": [
            "app01.lab",
            "app02.lab",
            "app03.lab",
            "app-a.lab",
            "app-b.lab",
            "app-c.lab"
        ]
    },
    "backend": {
        "children": [
            "app",
            "db"
        ]
    },
    "db": {
        "hosts": [
            "db1",
            "db2",
            "db4",
            "db6"
        ]
    },
    "ungrouped": {
        "hosts": [
            "gateway"
        ]
    }
}
"#,
    );
}

#[test]
fn ini_graph() {
    expect(
        INI,
        &["-i", "hosts.ini", "--graph"],
        r#"@all:
  |--@ungrouped:
  |  |--gateway
  |--@backend:
  |  |--@app:
  |  |  |--app01.lab
  |  |  |--app02.lab
  |  |  |--app03.lab
  |  |  |--app-a.lab
  |  |  |--app-b.lab
  |  |  |--app-c.lab
  |  |--@db:
  |  |  |--db1
  |  |  |--db2
  |  |  |--db4
  |  |  |--db6
"#,
    );
}

#[test]
fn ini_graph_backend() {
    expect(
        INI,
        &["-i", "hosts.ini", "--graph", "backend"],
        r#"@backend:
  |--@app:
  |  |--app01.lab
  |  |--app02.lab
  |  |--app03.lab
  |  |--app-a.lab
  |  |--app-b.lab
  |  |--app-c.lab
  |--@db:
  |  |--db1
  |  |--db2
  |  |--db4
  |  |--db6
"#,
    );
}

#[test]
fn ini_host_gateway() {
    expect(
        INI,
        &["-i", "hosts.ini", "--host", "gateway"],
        r#"{
    "ansible_host": "192.168.1.1",
    "ansible_port": 2222,
    "domain": "lab.example",
    "managed": "yes",
    "ntp": "10.0.0.123",
    "weight": 1.5
}
"#,
    );
}

#[test]
fn ini_host_db1() {
    expect(
        INI,
        &["-i", "hosts.ini", "--host", "db1"],
        r#"{
    "ansible_host": "10.0.0.5",
    "conn_timeout": 30,
    "domain": "lab.example",
    "labels": [
        "a",
        "b"
    ],
    "ntp": "10.0.0.123",
    "tier": "backend"
}
"#,
    );
}

#[test]
fn ini_host_db4() {
    expect(
        INI,
        &["-i", "hosts.ini", "--host", "db4"],
        r#"{
    "conn_timeout": 5,
    "domain": "lab.example",
    "ntp": "10.0.0.123",
    "tier": "backend"
}
"#,
    );
}

#[test]
fn ini_host_app02_lab() {
    expect(
        INI,
        &["-i", "hosts.ini", "--host", "app02.lab"],
        r#"{
    "conn_timeout": 30,
    "domain": "lab.example",
    "enabled": true,
    "listen": "0.0.0.0",
    "ntp": "10.0.0.123",
    "tier": "app-from-group-vars"
}
"#,
    );
}

#[test]
fn dir_list() {
    expect(
        DIR,
        &["-i", "inventory", "--list"],
        r#"{
    "_meta": {
        "hostvars": {
            "nas1": {
                "share": "/srv/from-group-vars"
            },
            "vps1": {
                "share": "/cloud"
            },
            "vps2": {
                "share": "/vps2"
            }
        }
    },
    "all": {
        "children": [
            "ungrouped",
            "cloud",
            "media"
        ]
    },
    "cloud": {
        "hosts": [
            "vps1",
            "vps2"
        ]
    },
    "media": {
        "children": [
            "nas"
        ]
    },
    "nas": {
        "hosts": [
            "nas1"
        ]
    }
}
"#,
    );
}

#[test]
fn dir_graph() {
    expect(
        DIR,
        &["-i", "inventory", "--graph"],
        r#"@all:
  |--@ungrouped:
  |--@cloud:
  |  |--vps1
  |  |--vps2
  |--@media:
  |  |--@nas:
  |  |  |--nas1
"#,
    );
}

#[test]
fn dir_host_vps2() {
    expect(
        DIR,
        &["-i", "inventory", "--host", "vps2"],
        r#"{
    "share": "/vps2"
}
"#,
    );
}

#[test]
fn dir_host_nas1() {
    expect(
        DIR,
        &["-i", "inventory", "--host", "nas1"],
        r#"{
    "share": "/srv/from-group-vars"
}
"#,
    );
}

#[test]
fn edge_list() {
    expect(
        EDGE,
        &["-i", "hosts", "--list"],
        r#"{
    "_meta": {
        "hostvars": {
            "shared": {
                "merge": {
                    "b": 2
                },
                "who": "b"
            },
            "shared2": {
                "merge": {
                    "a": 1
                },
                "who": "prio"
            },
            "ws1": {
                "merge": {
                    "a": 1
                }
            },
            "x1": {
                "a": "x y",
                "b": "0755",
                "c": 16,
                "d": [
                    1,
                    2
                ],
                "e": {
                    "k": 1
                },
                "f": null,
                "fromjson": {
                    "nested": [
                        1,
                        {
                            "a": null
                        }
                    ]
                },
                "g": "true",
                "h": "its",
                "i": 1000,
                "j": -3,
                "k": 1000.0,
                "l": "~",
                "m": "",
                "merge": {
                    "b": 2
                },
                "who": "b"
            }
        }
    },
    "a_group": {
        "hosts": [
            "shared"
        ]
    },
    "all": {
        "children": [
            "ungrouped",
            "b_group",
            "a_group",
            "prio",
            "zz",
            "web-servers",
            "parent"
        ]
    },
    "b_group": {
        "hosts": [
            "shared",
            "x1"
        ]
    },
    "parent": {
        "children": [
            "empty"
        ]
    },
    "prio": {
        "hosts": [
            "shared2"
        ]
    },
    "web-servers": {
        "hosts": [
            "ws1"
        ]
    },
    "zz": {
        "hosts": [
            "shared2"
        ]
    }
}
"#,
    );
}

#[test]
fn edge_host_x1() {
    expect(
        EDGE,
        &["-i", "hosts", "--host", "x1"],
        r#"{
    "a": "x y",
    "b": "0755",
    "c": 16,
    "d": [
        1,
        2
    ],
    "e": {
        "k": 1
    },
    "f": null,
    "fromjson": {
        "nested": [
            1,
            {
                "a": null
            }
        ]
    },
    "g": "true",
    "h": "its",
    "i": 1000,
    "j": -3,
    "k": 1000.0,
    "l": "~",
    "m": "",
    "merge": {
        "b": 2
    },
    "who": "b"
}
"#,
    );
}

#[test]
fn edge_host_shared() {
    expect(
        EDGE,
        &["-i", "hosts", "--host", "shared"],
        r#"{
    "merge": {
        "b": 2
    },
    "who": "b"
}
"#,
    );
}

#[test]
fn edge_host_shared2() {
    expect(
        EDGE,
        &["-i", "hosts", "--host", "shared2"],
        r#"{
    "merge": {
        "a": 1
    },
    "who": "prio"
}
"#,
    );
}

#[test]
fn edge_graph_parent() {
    expect(
        EDGE,
        &["-i", "hosts", "--graph", "parent"],
        r#"@parent:
  |--@empty:
"#,
    );
}

#[test]
fn inventory_directory_is_the_default_source() {
    let p = project(DIR);
    let explicit = p.hearth(&["inventory", "-i", "inventory", "--graph"]);
    let default = p.hearth(&["inventory", "--graph"]);
    assert_eq!(default.code(0).stdout, explicit.code(0).stdout);
    assert!(!default.stdout.contains("should-not-appear"));
}

#[test]
fn unknown_host_or_group_is_an_error() {
    let p = project(EDGE);
    let host = p.hearth(&["inventory", "-i", "hosts", "--host", "nope"]);
    host.code(1).stderr_has("nope");
    assert_eq!(host.stdout, "");
    let group = p.hearth(&["inventory", "-i", "hosts", "--graph", "nope"]);
    group.code(1).stderr_has("nope");
}

#[test]
fn questionable_group_name_is_warned_about() {
    let p = project(EDGE);
    p.hearth(&["inventory", "-i", "hosts", "--graph"]).code(0).stderr_has("web-servers");
}

#[test]
fn undefined_child_group_is_reported_with_its_line() {
    let p = project(&[("hosts", "[parent:children]\nmissing\n")]);
    let run = p.hearth(&["inventory", "-i", "hosts", "--list"]);
    assert_ne!(run.code, 0, "Ansible refuses this file too (it then falls back to no inventory)");
    run.stderr_has("hosts:2").stderr_has("missing");
}

/// Several hosts, all local, in overlapping groups, with variables at every inventory level.
const FLEET: &[(&str, &str)] = &[
    (
        "hosts",
        "[web]\nweb1\nweb2\nweb3\n\n[db]\ndb1\ndb2\n\n[staging]\nweb3\ndb2\n\n[prod:children]\nweb\ndb\n\n\
         [all:vars]\nansible_connection=local\nmsg_src=inventory-all\n\n[web:vars]\nmsg_src=inventory-web\n",
    ),
    ("group_vars/all.yml", "color: blue\n"),
    ("group_vars/web.yml", "color: green\n"),
    ("group_vars/staging.yml", "color: red\n"),
    ("host_vars/web1.yml", "color: host\n"),
    (
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    \
         - debug: msg=\"{{ inventory_hostname }} color={{ color }} src={{ msg_src }}\"\n",
    ),
];

/// Hosts that reported `ok: [name]` in a run.
fn ran(run: &Run) -> BTreeSet<String> {
    run.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ok: [")?.split(']').next().map(str::to_string))
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn limit_patterns_select_hosts_like_ansible() {
    let p = project(FLEET);
    let cases: &[(&str, &[&str])] = &[
        ("web:&staging", &["web3"]),
        ("prod:!staging", &["web1", "web2", "db1"]),
        ("web*", &["web1", "web2", "web3"]),
        ("w*:!web2", &["web1", "web3"]),
        ("*1", &["web1", "db1"]),
        ("staging,web1", &["web3", "db2", "web1"]),
        ("db[1]", &["db2"]),
        ("web[0:1]", &["web1", "web2"]),
        ("~db\\d", &["db1", "db2"]),
        ("web1:nomatch", &["web1"]),
    ];
    for (limit, want) in cases {
        let run = p.hearth(&["apply", "site.yml", "-i", "hosts", "--limit", limit]);
        run.code(0);
        assert_eq!(ran(&run), set(want), "--limit {limit}\n{}", run.stdout);
        for host in want.iter() {
            assert_eq!(run.recap(host, "ok"), 1, "--limit {limit}");
        }
        let recap = run.stdout.split("PLAY RECAP").nth(1).unwrap_or_default();
        assert_eq!(recap.lines().filter(|l| !l.trim().is_empty()).count(), want.len() + 1, "{recap}");
    }
}

#[test]
fn limit_matching_nothing_is_an_error() {
    let p = project(FLEET);
    let run = p.hearth(&["apply", "site.yml", "-i", "hosts", "--limit", "nomatch"]);
    run.code(1).stderr_has("no hosts to target").stderr_has("nomatch");
    assert!(ran(&run).is_empty());
}

#[test]
fn play_hosts_pattern_intersected_with_limit() {
    let p = project(FLEET);
    p.write("site.yml", "- hosts: prod:!db1\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n");
    let run = p.hearth(&["apply", "site.yml", "-i", "hosts", "--limit", "staging"]);
    run.code(0);
    assert_eq!(ran(&run), set(&["web3", "db2"]));
}

#[test]
fn group_vars_precedence_seen_by_tasks() {
    let p = project(FLEET);
    let run = p.hearth(&["apply", "site.yml", "-i", "hosts"]);
    run.code(0);
    for msg in [
        // host_vars beat group_vars
        "web1 color=host src=inventory-web",
        "web2 color=green src=inventory-web",
        // web (a child of prod, deeper) beats staging; group_vars files beat [all:vars]
        "web3 color=green src=inventory-web",
        "db1 color=blue src=inventory-all",
        "db2 color=red src=inventory-all",
    ] {
        run.stdout_has(&format!("\"msg\": \"{msg}\""));
    }
    assert_eq!(ran(&run).len(), 5);
}

#[test]
fn group_vars_beside_the_playbook_beat_the_inventory_ones() {
    let p = project(FLEET);
    p.write("pb/site.yml", &p.read("site.yml")).write("pb/group_vars/web.yml", "color: purple\n");
    let run = p.hearth(&["apply", "pb/site.yml", "-i", "hosts"]);
    run.code(0)
        .stdout_has("\"msg\": \"web1 color=host src=inventory-web\"")
        .stdout_has("\"msg\": \"web2 color=purple src=inventory-web\"")
        .stdout_has("\"msg\": \"web3 color=purple src=inventory-web\"")
        .stdout_has("\"msg\": \"db2 color=red src=inventory-all\"");
}
