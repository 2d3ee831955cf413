//! `ansible.posix.sysctl`: one kernel parameter in a sysctl file and, optionally, in the running
//! kernel. The file is rewritten the way Ansible's module does (every `key = value` line
//! normalised to `key=value`, later duplicates of a key dropped, the key replaced where it first
//! appears or appended), which is the pure [`fix_lines`]; the current value comes from
//! `sysctl -n`. Order of the change step as in Ansible: `sysctl -w` (with `sysctl_set`), then
//! the file, then `sysctl -p FILE` (with `reload`). It does not handle BSD's sysctl flavours.

use serde::Deserialize;

use super::fileedit::{self, Target};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Attrs, Cmd};

/// Parameters of `sysctl`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sysctl {
    /// The dotted key (`net.ipv4.ip_forward`).
    #[serde(alias = "key")]
    pub name: String,
    /// The wanted value (booleans become `1`/`0`); required with state=present.
    #[serde(default, alias = "val")]
    pub value: Option<Value>,
    /// `present` (default) or `absent` (remove the key from the file).
    #[serde(default)]
    pub state: State,
    /// Ignore errors about unknown keys (`sysctl -e`).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub ignoreerrors: bool,
    /// Run `sysctl -p FILE` when something changed.
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub reload: bool,
    /// The file to edit.
    #[serde(default = "default_file")]
    pub sysctl_file: String,
    /// Also set the running value with `sysctl -w` when it differs.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub sysctl_set: bool,
}

fn yes() -> bool {
    true
}

fn default_file() -> String {
    "/etc/sysctl.conf".into()
}

/// Whether the key must be in the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// In the file with the value.
    #[default]
    Present,
    /// Not in the file.
    Absent,
}

/// Ansible's value normalisation: booleans (`yes`, `on`, `true`, ...) become `1`/`0`, other
/// text is trimmed, numbers are written as Python would.
pub fn normalise(v: &Value) -> String {
    let text = match v {
        Value::Null => return String::new(),
        Value::Bool(b) => return if *b { "1" } else { "0" }.into(),
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    };
    match text.to_ascii_lowercase().as_str() {
        "y" | "yes" | "on" | "1" | "true" | "t" => "1".into(),
        "n" | "no" | "off" | "0" | "false" | "f" => "0".into(),
        _ => text,
    }
}

/// Values compare equal when their whitespace-separated words do (`4096 87380` == `4096\t87380`).
pub fn same_value(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// A line that sets a key: not blank, not a `#`/`;` comment, and with an `=`.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let t = line.trim();
    if t.is_empty() || t.starts_with(['#', ';']) {
        return None;
    }
    t.split_once('=').map(|(k, v)| (k.trim(), v.trim()))
}

/// The value the file gives `name` (its last setting, as the kernel would apply it).
pub fn file_value<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().filter_map(key_value).filter(|(k, _)| *k == name).map(|(_, v)| v).next_back()
}

/// The file rewritten with `name` set to `value` (None: removed), as Ansible writes it: lines
/// trimmed, settings as `key=value`, only the first setting of each key kept, `name` replaced
/// where it first appears or appended.
pub fn fix_lines(text: &str, name: &str, value: Option<&str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = String::new();
    for line in text.lines() {
        let Some((k, v)) = key_value(line) else {
            out.push_str(line.trim());
            out.push('\n');
            continue;
        };
        if seen.contains(&k) {
            continue;
        }
        seen.push(k);
        let v = if k == name { value } else { Some(v) };
        if let Some(v) = v {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    if let Some(v) = value.filter(|_| !seen.contains(&name)) {
        out.push_str(&format!("{name}={v}\n"));
    }
    out
}

/// What the change step has to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Todo {
    /// Rewrite the file.
    pub write: bool,
    /// `sysctl -w`.
    pub set: bool,
    /// `sysctl -p FILE`.
    pub reload: bool,
}

impl Todo {
    /// Whether the task reports changed.
    pub fn changed(self) -> bool {
        self.write || self.set || self.reload
    }
}

/// Ansible's decision from the file's and the kernel's value (None: `sysctl` could not read
/// it). A kernel value matters only when the file is already right (`reload`) or with
/// `sysctl_set`; an unreadable one is set anyway, so `sysctl -w` says what is wrong.
pub fn decide(m: &Sysctl, want: &str, in_file: Option<&str>, running: Option<&str>) -> Todo {
    let differs = |cur: Option<&str>| cur.is_none_or(|c| !same_value(c, want));
    let write = match (m.state, in_file) {
        (State::Present, f) => differs(f),
        (State::Absent, f) => f.is_some(),
    };
    let present = m.state == State::Present;
    let set = m.sysctl_set && present && differs(running);
    let changed = write || set || (m.reload && present && differs(running));
    Todo { write, set, reload: changed && m.reload }
}

impl Sysctl {
    /// Ansible's argument checks.
    fn check(&self) -> Result<String, ModuleError> {
        if self.name.trim().is_empty() {
            return Err(ModuleError::msg("name cannot be blank"));
        }
        match (&self.value, self.state) {
            (None | Some(Value::Null), State::Present) => Err(ModuleError::msg("value cannot be None")),
            (v, _) => Ok(v.as_ref().map(normalise).unwrap_or_default()),
        }
    }
}

impl Module for Sysctl {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let want = self.check()?;
        let name = self.name.trim().to_string();
        let running = current(ctx, &name)?;
        let t = fileedit::inspect(ctx.host, &self.sysctl_file)?;
        let before = match &t.stat {
            Some(_) => {
                String::from_utf8_lossy(&ctx.host.read_file(&t.real)?.unwrap_or_default()).into_owned()
            }
            None => String::new(),
        };
        let in_file = file_value(&before, &name);
        let todo = decide(self, &want, in_file, running.as_deref());
        if !todo.changed() {
            let why = match self.state {
                State::Present => format!("{name} is {want} in {}", t.path),
                State::Absent => format!("{name} is not in {}", t.path),
            };
            return Ok(Plan::ok(why));
        }
        let value = (self.state == State::Present).then_some(want.as_str());
        let after = fix_lines(&before, &name, value);
        let summary = summary(&name, value, in_file, running.as_deref(), todo);
        let diff = todo.write.then(|| fileedit::content_diff(&t.path, before.as_bytes(), after.as_bytes()));
        let action = action(t, name, want, after, todo, self.ignoreerrors);
        Ok(diff.into_iter().fold(Plan::change(summary, action), Plan::with_diff))
    }
}

/// The running value from `sysctl -e -n`, as Ansible reads it (an unknown key reads as empty;
/// None when the command fails).
fn current(ctx: &Ctx, name: &str) -> Result<Option<String>, ModuleError> {
    let out = ctx.host.run(&Cmd::new(["sysctl", "-e", "-n", name]))?;
    let text = String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_string();
    Ok((out.rc == 0).then_some(text))
}

fn summary(name: &str, value: Option<&str>, in_file: Option<&str>, running: Option<&str>, t: Todo) -> String {
    let mut parts = Vec::new();
    if t.write {
        parts.push(match (in_file, value) {
            (_, None) => format!("remove {name} from the file"),
            (None, Some(v)) => format!("add {name}={v} to the file"),
            (Some(old), Some(v)) => format!("{name}: {old} => {v} in the file"),
        });
    }
    if t.set || t.reload {
        let now = running.unwrap_or("unknown key");
        parts.push(format!("running value {now}; {}", if t.set { "sysctl -w" } else { "reload" }));
    }
    parts.join(", ")
}

/// The change step: `sysctl -w`, the file, `sysctl -p` — each only when needed.
fn action(
    t: Target,
    name: String,
    want: String,
    after: String,
    todo: Todo,
    ignore: bool,
) -> crate::module::Action {
    Box::new(move |ctx: &Ctx| {
        if todo.set {
            let out = ctx.host.run(&Cmd::new(["sysctl", "-w", &format!("{name}={want}")]))?;
            if out.rc != 0 || !out.stderr.is_empty() {
                return Err(failed(&format!("setting {name} failed: "), &out));
            }
        }
        if todo.write {
            if t.stat.is_none() {
                fileedit::ensure_parent(ctx.host, &t.real)?;
            }
            ctx.host.write_file(&t.real, after.as_bytes(), &Attrs::default())?;
        }
        if todo.reload {
            let mut argv = vec!["sysctl", "-p", t.path.as_str()];
            if ignore {
                argv.insert(1, "-e");
            }
            let out = ctx.host.run(&Cmd::new(argv))?;
            if out.rc != 0 || reload_stderr_failed(&String::from_utf8_lossy(&out.stderr)) {
                return Err(failed("Failed to reload sysctl: ", &out));
            }
        }
        Ok(Map::new())
    })
}

/// Like Ansible, a reload fails on any stderr line except a key the kernel refused
/// (`sysctl: setting key "K": Invalid argument` or `...: Read-only file system`).
pub fn reload_stderr_failed(stderr: &str) -> bool {
    stderr.lines().filter(|l| !l.trim().is_empty()).any(|l| {
        let refused = l
            .strip_prefix("sysctl: setting key \"")
            .and_then(|r| r.split_once("\": "))
            .is_some_and(|(key, why)| {
                !key.contains('"') && matches!(why, "Invalid argument" | "Read-only file system")
            });
        !refused
    })
}

fn failed(prefix: &str, out: &hearth_transport::CmdOutput) -> ModuleError {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    fileedit::fail_rc(format!("{prefix}{}", text.trim_end()), out.rc.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_normalised_like_ansible() {
        assert_eq!(normalise(&json!(true)), "1");
        assert_eq!(normalise(&json!("yes")), "1");
        assert_eq!(normalise(&json!("Off")), "0");
        assert_eq!(normalise(&json!(5)), "5");
        assert_eq!(normalise(&json!(" 4096 87380 ")), "4096 87380");
        assert!(same_value("4096\t87380", "4096 87380"));
        assert!(!same_value("1", "0"));
    }

    #[test]
    fn lines_are_normalised_replaced_and_appended() {
        let text = "# comment\n  net.a = 1\n\nvm.b=2\n; other\nnet.a=3\nfoo\n";
        assert_eq!(file_value(text, "net.a"), Some("3"), "the last setting wins, like the kernel");
        assert_eq!(fix_lines(text, "vm.b", Some("5")), "# comment\nnet.a=1\n\nvm.b=5\n; other\nfoo\n");
        assert_eq!(fix_lines(text, "net.a", Some("9")), "# comment\nnet.a=9\n\nvm.b=2\n; other\nfoo\n");
        assert_eq!(
            fix_lines(text, "new.c", Some("x y")),
            "# comment\nnet.a=1\n\nvm.b=2\n; other\nfoo\nnew.c=x y\n"
        );
        assert_eq!(fix_lines(text, "net.a", None), "# comment\n\nvm.b=2\n; other\nfoo\n");
        assert_eq!(fix_lines("", "k", Some("1")), "k=1\n");
    }

    fn module(args: serde_json::Value) -> Sysctl {
        serde_json::from_value(args).unwrap()
    }

    #[test]
    fn decisions() {
        let m = module(json!({"name": "k", "value": 1}));
        let t = |write, set, reload| Todo { write, set, reload };
        assert_eq!(decide(&m, "1", Some("1"), Some("1")), t(false, false, false));
        assert_eq!(decide(&m, "1", Some("0"), Some("1")), t(true, false, true));
        assert_eq!(
            decide(&m, "1", Some("1"), Some("0")),
            t(false, false, true),
            "file right, kernel not: reload"
        );
        assert_eq!(decide(&m, "1", None, None), t(true, false, true));
        let no_reload = module(json!({"name": "k", "value": 1, "reload": false}));
        assert_eq!(decide(&no_reload, "1", Some("1"), Some("0")), t(false, false, false));
        let set = module(json!({"name": "k", "value": 1, "reload": "no", "sysctl_set": true}));
        assert_eq!(decide(&set, "1", Some("1"), Some("0")), t(false, true, false));
        assert_eq!(
            decide(&set, "1", Some("1"), Some("")),
            t(false, true, false),
            "unknown key: sysctl -w fails"
        );
        let absent = module(json!({"name": "k", "state": "absent"}));
        assert_eq!(decide(&absent, "", Some("1"), Some("1")), t(true, false, true));
        assert_eq!(decide(&absent, "", None, Some("1")), t(false, false, false));
    }

    #[test]
    fn argument_errors() {
        assert_eq!(
            module(json!({"name": " ", "value": 1})).check().unwrap_err().to_string(),
            "name cannot be blank"
        );
        assert_eq!(module(json!({"name": "k"})).check().unwrap_err().to_string(), "value cannot be None");
        assert_eq!(module(json!({"key": "k", "val": "on"})).check().unwrap(), "1");
    }

    #[test]
    fn reload_errors() {
        assert!(!reload_stderr_failed(""));
        assert!(!reload_stderr_failed("sysctl: setting key \"net.x\": Invalid argument\n"));
        assert!(reload_stderr_failed("sysctl: cannot stat /proc/sys/a/b: No such file or directory\n"));
    }

    #[test]
    fn fully_qualified_names() {
        for name in ["sysctl", "ansible.posix.sysctl", "ansible.builtin.sysctl"] {
            assert_eq!(crate::registry::lookup(name).map(|s| s.name), Some("sysctl"), "{name}");
        }
        assert!(crate::registry::lookup("kubernetes.core.sysctl").is_none());
    }
}
