//! Lookups against a temporary playbook directory with a role.

use std::fs;

use serde_json::json;

use crate::Templar;
use hearth_formats::value::Value;

/// A playbook dir with `files/`, `templates/` and a role with its own `files/`.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::create_dir_all(p.join("files")).unwrap();
    fs::create_dir_all(p.join("templates")).unwrap();
    fs::create_dir_all(p.join("roles/web/files")).unwrap();
    fs::write(p.join("files/motd"), "hello\n\n").unwrap();
    fs::write(p.join("files/a.conf"), "a").unwrap();
    fs::write(p.join("files/b.conf"), "b").unwrap();
    fs::write(p.join("top.txt"), "top").unwrap();
    fs::write(p.join("roles/web/files/motd"), "from role\n").unwrap();
    fs::write(p.join("templates/t.j2"), "name={{ name }} x={{ x | default('none') }}\n").unwrap();
    dir
}

fn render(dir: &tempfile::TempDir, text: &str, extra: Value) -> Result<String, String> {
    let t = Templar::new();
    let mut vars = json!({"playbook_dir": dir.path().to_str().unwrap(), "name": "web", "lst": [1, 2]});
    for (k, v) in extra.as_object().unwrap() {
        vars[k] = v.clone();
    }
    let ctx = t.context(vars.as_object().unwrap());
    t.render_str(text, &ctx).map_err(|e| e.message)
}

#[test]
fn env_lookup() {
    let d = fixture();
    let none = json!({});
    assert_eq!(render(&d, "{{ lookup('env', 'PATH') == '' }}", none.clone()).unwrap(), "False");
    assert_eq!(render(&d, "[{{ lookup('env', 'HEARTH_NO_SUCH_VAR') }}]", none.clone()).unwrap(), "[]");
    assert_eq!(
        render(&d, "{{ lookup('env', 'HEARTH_NO_SUCH_VAR', default='d') }}", none.clone()).unwrap(),
        "d"
    );
    assert_eq!(
        render(&d, "{{ query('env', 'HEARTH_NO_SUCH_VAR', 'HEARTH_NO2') }}", none).unwrap(),
        "['', '']"
    );
}

#[test]
fn file_lookup_searches_role_then_playbook() {
    let d = fixture();
    assert_eq!(render(&d, "{{ lookup('file', 'motd') }}|", json!({})).unwrap(), "hello|");
    assert_eq!(render(&d, "{{ lookup('file', 'motd', rstrip=False) }}|", json!({})).unwrap(), "hello\n\n|");
    assert_eq!(render(&d, "{{ lookup('file', 'top.txt', 'motd') }}", json!({})).unwrap(), "top,hello");
    let role = json!({"role_path": d.path().join("roles/web").to_str().unwrap()});
    assert_eq!(render(&d, "{{ lookup('file', 'motd') }}", role).unwrap(), "from role");
    let err = render(&d, "{{ lookup('file', 'missing') }}", json!({})).unwrap_err();
    assert!(err.contains("missing"), "{err}");
    let ignored = render(&d, "{{ lookup('file', 'missing', errors='ignore') }}", json!({})).unwrap();
    assert_eq!(ignored, "");
}

#[test]
fn template_lookup_uses_context() {
    let d = fixture();
    assert_eq!(render(&d, "{{ lookup('template', 't.j2') }}", json!({})).unwrap(), "name=web x=none\n");
    let with_vars = "{{ lookup('template', 't.j2', template_vars={'x': 1}) }}";
    assert_eq!(render(&d, with_vars, json!({})).unwrap(), "name=web x=1\n");
}

#[test]
fn vars_first_found_fileglob_pipe() {
    let d = fixture();
    let p = d.path().to_str().unwrap().to_string();
    assert_eq!(render(&d, "{{ lookup('vars', 'name') }}", json!({})).unwrap(), "web");
    assert_eq!(render(&d, "{{ lookup('vars', 'nope', default=3) }}", json!({})).unwrap(), "3");
    assert!(render(&d, "{{ lookup('vars', 'nope') }}", json!({})).unwrap_err().contains("nope"));
    let ff = render(&d, "{{ lookup('first_found', ['x.conf', 'b.conf', 'a.conf']) }}", json!({})).unwrap();
    assert_eq!(ff, format!("{p}/files/b.conf"));
    let ff =
        render(&d, "{{ lookup('first_found', files=['zz', 'top.txt'], paths=[playbook_dir]) }}", json!({}));
    assert_eq!(ff.unwrap(), format!("{p}/top.txt"));
    assert!(
        render(&d, "{{ lookup('first_found', 'zz') }}", json!({})).unwrap_err().contains("No file was found")
    );
    assert_eq!(render(&d, "{{ query('first_found', 'zz', skip=True) }}", json!({})).unwrap(), "[]");
    let globbed =
        render(&d, "{{ query('fileglob', '*.conf') | map('basename') | sort }}", json!({})).unwrap();
    assert_eq!(globbed, "['a.conf', 'b.conf']");
    assert_eq!(render(&d, "{{ lookup('pipe', 'echo hi; echo') }}|", json!({})).unwrap(), "hi|");
    assert!(render(&d, "{{ lookup('pipe', 'exit 3') }}", json!({})).unwrap_err().contains("returned 3"));
}

#[test]
fn unknown_lookup_names_supported_ones() {
    let d = fixture();
    let err = render(&d, "{{ lookup('password', 'x') }}", json!({})).unwrap_err();
    assert!(err.contains("'password'") && err.contains("first_found"), "{err}");
}
