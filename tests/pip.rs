// `pip` on the local connection, offline: a wheel written by the test, a venv made by
// `python3 -m venv`, `--no-index --find-links`.

use std::path::Path;
use std::process::Command;

fn wheel(dir: &Path) {
    let script = r#"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1] + "/tinypkg-1.0-py3-none-any.whl", "w")
z.writestr("tinypkg/__init__.py", "")
z.writestr("tinypkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n")
z.writestr("tinypkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
z.writestr("tinypkg-1.0.dist-info/RECORD", "")
z.close()
"#;
    let ok = Command::new("python3").args(["-c", script]).arg(dir).status().unwrap().success();
    assert!(ok);
}

fn apply(dir: &Path, state: &str) -> String {
    let pb = dir.join(format!("pb-{state}.yml"));
    let d = dir.display();
    let extra = if state == "absent" {
        String::new()
    } else {
        format!("        extra_args: --no-index --find-links {d}/wheels\n")
    };
    std::fs::write(
        &pb,
        format!(
            "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - pip:\n        name: tinypkg>=1.0\n        state: {state}\n        virtualenv: {d}/venv\n        virtualenv_command: python3 -m venv\n{extra}"
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["apply", "-i", "localhost,", "-c", "local"])
        .arg(&pb)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn installs_is_idempotent_and_removes() {
    if Command::new("python3").args(["-m", "venv", "--help"]).output().map_or(true, |o| !o.status.success()) {
        eprintln!("skipped: no python3 venv");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("wheels")).unwrap();
    wheel(&dir.join("wheels"));
    assert!(apply(dir, "present").contains("changed=1"));
    let site = Command::new(dir.join("venv/bin/pip")).args(["list", "--format=freeze"]).output().unwrap();
    assert!(String::from_utf8_lossy(&site.stdout).contains("tinypkg==1.0"));
    assert!(apply(dir, "present").contains("changed=0"));
    assert!(apply(dir, "absent").contains("changed=1"));
    assert!(apply(dir, "absent").contains("changed=0"));
}
