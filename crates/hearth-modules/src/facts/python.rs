//! `ansible_python` and `ansible_python_version`: which Python Ansible would run its modules
//! with on the host, found the way Ansible 2.18's interpreter discovery looks for one (or
//! `ansible_python_interpreter`), and asked for its version by the gather script. Hosts without
//! Python get neither fact (Ansible cannot gather facts there at all); hearth itself never
//! needs Python.

use hearth_formats::value::{Map, Value};

/// The interpreters Ansible 2.18's discovery tries, in order (`INTERPRETER_PYTHON_FALLBACK`).
pub const FALLBACK: &str =
    "python3.13 python3.12 python3.11 python3.10 python3.9 python3.8 /usr/bin/python3 python3";

/// What the script's Python prints: `sys.executable`, then `sys.version_info` joined by
/// spaces, whether the `ssl` module is there, and the implementation's name (`cpython`).
pub const PROBE: &str = "import sys, importlib.util as u; print(sys.executable); print(*sys.version_info); print(u.find_spec('ssl') is not None); print(sys.implementation.name)";

/// `python` and `python_version` from the probe's output; empty when there was no Python.
pub fn facts(text: &str) -> Map {
    let mut lines = text.lines();
    let (Some(exe), Some(version)) = (lines.next(), lines.next()) else { return Map::new() };
    let v: Vec<&str> = version.split_whitespace().collect();
    let [major, minor, micro, level, serial] = v[..] else { return Map::new() };
    let num = |s: &str| s.parse::<u64>().ok();
    let (Some(major), Some(minor), Some(micro), Some(serial)) =
        (num(major), num(minor), num(micro), num(serial))
    else {
        return Map::new();
    };
    let mut version = Map::new();
    version.insert("major".into(), Value::from(major));
    version.insert("minor".into(), Value::from(minor));
    version.insert("micro".into(), Value::from(micro));
    version.insert("releaselevel".into(), Value::String(level.into()));
    version.insert("serial".into(), Value::from(serial));
    let info = vec![
        Value::from(major),
        Value::from(minor),
        Value::from(micro),
        Value::String(level.into()),
        Value::from(serial),
    ];
    let mut python = Map::new();
    python.insert("executable".into(), Value::String(exe.into()));
    python.insert("has_sslcontext".into(), Value::Bool(lines.next() == Some("True")));
    python.insert("type".into(), Value::String(lines.next().unwrap_or("cpython").into()));
    python.insert("version".into(), Value::Object(version));
    python.insert("version_info".into(), Value::Array(info));
    let mut m = Map::new();
    m.insert("python".into(), Value::Object(python));
    m.insert("python_version".into(), Value::String(format!("{major}.{minor}.{micro}")));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debian_python() {
        let f = facts("/usr/bin/python3.11\n3 11 2 final 0\nTrue\ncpython\n");
        assert_eq!(f["python_version"], "3.11.2");
        assert_eq!(
            f["python"],
            json!({"executable": "/usr/bin/python3.11", "has_sslcontext": true, "type": "cpython",
                   "version": {"major": 3, "minor": 11, "micro": 2, "releaselevel": "final", "serial": 0},
                   "version_info": [3, 11, 2, "final", 0]})
        );
    }

    #[test]
    fn no_python_no_facts() {
        assert!(facts("").is_empty());
        assert!(facts("/usr/bin/python3\nnot a version\n").is_empty());
    }
}
