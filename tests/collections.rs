//! The `collections:` keyword: a bare module name is searched in the listed collections before
//! the builtins (play, block, task and a role's `meta/main.yml`; roles do not inherit the
//! play's list), as ansible-playbook 2.18 resolves it. A module of an installed collection that
//! shadows a builtin must fail as "not implemented", never silently run hearth's builtin.

use std::path::Path;

use crate::support::Project;

/// An installed collection `acme.tools` beside the playbook with its own `lineinfile` module.
fn with_acme_collection(p: &Project) {
    p.write(
        "collections/ansible_collections/acme/tools/galaxy.yml",
        "namespace: acme\nname: tools\nversion: 1.0.0\n",
    );
    p.write("collections/ansible_collections/acme/tools/plugins/modules/lineinfile.py", "# acme's own\n");
    p.write("collections/ansible_collections/acme/tools/plugins/modules/copy.py", "# acme's own\n");
    p.write("roles/r/meta/main.yml", "collections: [acme.tools]\n");
    p.write(
        "roles/r/tasks/main.yml",
        "- lineinfile: { path: \"{{ root }}/role.txt\", line: role, create: true }\n  ignore_errors: true\n",
    );
}

#[test]
fn bare_names_resolve_through_the_listed_collections() {
    let p = Project::new();
    with_acme_collection(&p);
    let root = p.root();
    p.write(
        "site.yml",
        &format!(
            r#"- hosts: localhost
  gather_facts: false
  collections: [acme.tools]
  vars: {{ root: "{root}" }}
  tasks:
    - lineinfile: {{ path: "{{{{ root }}}}/play.txt", line: play, create: true }}
      ignore_errors: true
    - lineinfile: {{ path: "{{{{ root }}}}/task.txt", line: task, create: true }}
      collections: [ansible.builtin]
    - block:
        - lineinfile: {{ path: "{{{{ root }}}}/block.txt", line: block, create: true }}
      collections: [ansible.builtin]
    - name: the builtin copy action comes before any collection's copy module
      copy: {{ dest: "{{{{ root }}}}/copy.txt", content: "copy\n" }}
    - import_role: {{ name: r }}
- hosts: localhost
  gather_facts: false
  vars: {{ root: "{root}" }}
  tasks:
    - lineinfile: {{ path: "{{{{ root }}}}/play2.txt", line: play2, create: true }}
"#
        ),
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0).stdout_has("hearth does not implement the module 'acme.tools.lineinfile'");
    for made in ["task.txt", "block.txt", "copy.txt", "play2.txt"] {
        assert!(
            Path::new(&root).join(made).exists(),
            "{made} must be written by hearth's module: {}",
            run.stdout
        );
    }
    for shadowed in ["play.txt", "role.txt"] {
        assert!(
            !Path::new(&root).join(shadowed).exists(),
            "{shadowed}: acme's module must not be replaced by hearth's"
        );
    }
    assert_eq!(run.recap("localhost", "ignored"), 2, "the play's and the role's lineinfile: {}", run.stdout);
}

#[test]
fn a_known_collection_gives_its_module_and_a_malformed_list_is_a_load_error() {
    let p = Project::new();
    p.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  collections: [community.general]\n  tasks:\n    - pacman: { name: x }\n      when: false\n    - debug: msg=ok\n",
    );
    p.hearth(&["apply", "site.yml"]).code(0);
    p.write(
        "bad.yml",
        "- hosts: localhost\n  gather_facts: false\n  collections: [notacollection]\n  tasks: []\n",
    );
    let run = p.hearth(&["apply", "bad.yml"]);
    run.code(4).stderr_has("bad.yml:3").stderr_has("namespace.collection");
}
