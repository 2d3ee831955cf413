//! `lineinfile`: make sure one line is in a file (or that matching lines are not), exactly the
//! way Ansible's module edits it: lines split on `\n` only, the last match replaced (the first
//! with `firstmatch`), `insertafter`/`insertbefore` used only when nothing matched, a missing
//! final newline added before appending, CRLF lines replaced by LF ones when rewritten. The
//! editing is the pure [`present`]/[`absent`] pair in `lineinfile_edit.rs`; the module around it
//! only reads, plans and writes. It does not expand `~` in `path` and does not manage SELinux.

use serde::Deserialize;

use super::lineinfile_edit::{Edit, LineSpec, absent, present};

use super::fileedit::{self, Target};
use crate::module::{Ctx, Module, ModuleError, Plan};

/// Whether the line must be there or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Ensure the line is in the file.
    #[default]
    Present,
    /// Remove matching lines.
    Absent,
}

crate::file_attrs::file_params! {
    /// Parameters of `lineinfile`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Lineinfile {
        /// The file to edit.
        #[serde(alias = "dest", alias = "destfile", alias = "name")]
        pub path: String,
        /// `present` (default) or `absent`.
        #[serde(default)]
        pub state: State,
        /// Python regular expression selecting the line to replace or remove.
        #[serde(default, alias = "regex", deserialize_with = "super::args::de_opt_str")]
        pub regexp: Option<String>,
        /// Literal string selecting the line to replace or remove.
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub search_string: Option<String>,
        /// The line to insert or replace with.
        #[serde(default, alias = "value", deserialize_with = "super::args::de_opt_str")]
        pub line: Option<String>,
        /// Insert after the last line matching this regex (or `EOF`, `BOF`) when regexp matched nothing.
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub insertafter: Option<String>,
        /// Insert before the last line matching this regex (or `BOF`) when regexp matched nothing.
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub insertbefore: Option<String>,
        /// Use the first match of regexp/insertafter/insertbefore instead of the last.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub firstmatch: bool,
        /// Fill `\1`-style groups in `line` from regexp; leave the file alone when it does not match.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub backrefs: bool,
        /// Create the file when missing (state=present).
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub create: bool,
        /// Keep a dated copy of the old file.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub backup: bool,
        /// Command with `%s` that must accept the new content before it is written.
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub validate: Option<String>,
        ..UnsafeWrites,
        ..FileAttrs,
    }
}

impl Lineinfile {
    fn spec(&self) -> LineSpec<'_> {
        let (insertafter, insertbefore) = match (&self.insertafter, &self.insertbefore) {
            (None, None) => (Some("EOF"), None),
            (a, b) => (a.as_deref(), b.as_deref()),
        };
        LineSpec {
            regexp: self.regexp.as_deref(),
            search_string: self.search_string.as_deref(),
            line: self.line.as_deref(),
            insertafter,
            insertbefore,
            firstmatch: self.firstmatch,
            backrefs: self.backrefs,
        }
    }

    /// Ansible's `mutually_exclusive` argument check.
    fn check_exclusive(&self) -> Result<(), ModuleError> {
        let pairs = [
            ("insertbefore", self.insertbefore.is_some(), "insertafter", self.insertafter.is_some()),
            ("regexp", self.regexp.is_some(), "search_string", self.search_string.is_some()),
            ("backrefs", self.backrefs, "search_string", self.search_string.is_some()),
        ];
        let clash: Vec<String> =
            pairs.iter().filter(|p| p.1 && p.3).map(|p| format!("{}|{}", p.0, p.2)).collect();
        if !clash.is_empty() {
            return Err(ModuleError::msg(format!("parameters are mutually exclusive: {}", clash.join(", "))));
        }
        Ok(())
    }

    /// Ansible's per-state requirements (checked after refusing a directory, like Ansible).
    fn check_state(&self) -> Result<(), ModuleError> {
        let msg = match self.state {
            State::Present if self.backrefs && self.regexp.is_none() => {
                "regexp is required with backrefs=true"
            }
            State::Present if self.line.is_none() => "line is required with state=present",
            State::Absent if self.regexp.is_none() && self.search_string.is_none() && self.line.is_none() => {
                "one of line, search_string, or regexp is required with state=absent"
            }
            _ => return Ok(()),
        };
        Err(ModuleError::msg(msg))
    }

    /// Ansible's warning about an empty regexp or search_string (it matches every line).
    fn warning(&self) -> Option<String> {
        let name = match (self.regexp.as_deref(), self.search_string.as_deref()) {
            (Some(""), _) => "regular expression",
            (_, Some("")) => "search string",
            _ => return None,
        };
        let mut msg = format!(
            "The {name} is an empty string, which will match every line in the file. This may have unintended \
             consequences, such as replacing the last line in the file rather than appending."
        );
        if name == "regular expression" {
            msg.push_str(
                " If this is desired, use '^' to match every line in the file and avoid this warning.",
            );
        }
        Some(msg)
    }

    /// Computes the edit on the current content; None when there is no file to act on.
    fn edit(&self, t: &Target, current: &[u8]) -> Result<Option<Edit>, ModuleError> {
        let spec = self.spec();
        let edit = match (self.state, &t.stat) {
            (State::Absent, None) => return Ok(None),
            (State::Present, None) if !self.create => {
                return Err(fileedit::fail_rc(format!("Destination {} does not exist !", t.path), 257));
            }
            (State::Present, _) => present(current, &spec, self.line.as_deref().unwrap_or_default()),
            (State::Absent, Some(_)) => absent(current, &spec),
        };
        edit.map(Some).map_err(|e| ModuleError::msg(e.to_string()))
    }
}

impl Module for Lineinfile {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        self.check_exclusive()?;
        let t = fileedit::inspect(ctx.host, &self.path)?;
        self.check_state()?;
        let current = match &t.stat {
            Some(_) => ctx.host.read_file(&t.real)?.unwrap_or_default(),
            None => Vec::new(),
        };
        let Some(edit) = self.edit(&t, &current)? else {
            return Ok(Plan::ok("file not present").with("msg", "file not present"));
        };
        let attrs = self.file_attrs().resolve(t.stat.as_ref())?;
        let attrs_changed = fileedit::attrs_change(t.stat.as_ref(), &attrs);
        let msg = fileedit::with_attrs_msg(&edit.msg, attrs_changed);
        let mut plan = if !edit.changed && !attrs_changed {
            Plan::ok(format!("{} already as wanted", t.path))
        } else {
            let action =
                write_action(t.clone(), edit.clone(), attrs.clone(), self.backup, self.validate.clone());
            Plan::change(msg.clone(), action)
        };
        if edit.changed {
            plan = plan.with_diff(fileedit::content_diff(&t.path, &current, &edit.content));
        }
        if let Some(d) = t.stat.as_ref().and_then(|st| fileedit::attrs_diff(&t.path, st, &attrs)) {
            plan = plan.with_diff(d);
        }
        plan = plan.with("msg", msg).with("backup", "");
        if let Some(w) = self.warning() {
            plan = plan.with("warnings", vec![w]);
        }
        Ok(if self.state == State::Absent { plan.with("found", edit.found) } else { plan })
    }
}

/// The change step: backup, validate, write (or only fix attributes).
fn write_action(
    t: Target,
    edit: Edit,
    attrs: hearth_transport::Attrs,
    backup: bool,
    validate: Option<String>,
) -> crate::module::Action {
    Box::new(move |ctx: &Ctx| {
        let content = edit.changed.then_some(&edit.content[..]);
        fileedit::apply_edit(ctx.host, &t, content, &attrs, backup.then_some("backup"), validate.as_deref())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorded case.
    type Case = (&'static str, Option<&'static str>, &'static str, Option<&'static str>, &'static str);

    /// (name, file before (None: missing), arguments, file after (None: not created), msg),
    /// expectations recorded from ansible-core 2.18's lineinfile.
    #[rustfmt::skip]
    const CASES: &[Case] = &[
        ("append_to_file", Some("a\nb\n"), r#"{"line": "c"}"#, Some("a\nb\nc\n"), "line added"),
        ("already_present", Some("a\nc\nb\n"), r#"{"line": "c"}"#, Some("a\nc\nb\n"), ""),
        ("append_without_trailing_newline", Some("a\nb"), r#"{"line": "c"}"#, Some("a\nb\nc\n"), "line added"),
        ("present_as_last_line_without_newline", Some("a\nc"), r#"{"line": "c"}"#, Some("a\nc\n"), "line replaced"),
        ("empty_file", Some(""), r#"{"line": "c"}"#, Some("c\n"), "line added"),
        ("crlf_exact_line_rewritten_lf", Some("a\r\nfoo\r\nb\r\n"), r#"{"line": "foo"}"#, Some("a\r\nfoo\nb\r\n"), "line replaced"),
        ("crlf_append", Some("a\r\nb\r\n"), r#"{"line": "foo"}"#, Some("a\r\nb\r\nfoo\n"), "line added"),
        ("regexp_replaces_last_match", Some("x=1\ny\nx=2\n"), r#"{"regexp": "^x=", "line": "x=9"}"#, Some("x=1\ny\nx=9\n"), "line replaced"),
        ("regexp_firstmatch", Some("x=1\ny\nx=2\n"), r#"{"regexp": "^x=", "line": "x=9", "firstmatch": true}"#, Some("x=9\ny\nx=2\n"), "line replaced"),
        ("regexp_search_not_fullmatch", Some("foo bar baz\n"), r#"{"regexp": "bar", "line": "qux"}"#, Some("qux\n"), "line replaced"),
        ("regexp_dollar_before_newline", Some("port 22\nx\n"), r#"{"regexp": "22$", "line": "port 2222"}"#, Some("port 2222\nx\n"), "line replaced"),
        ("regexp_same_line_no_change", Some("a\nPort 22\n"), r#"{"regexp": "^#?Port ", "line": "Port 22"}"#, Some("a\nPort 22\n"), ""),
        ("regexp_no_match_appends", Some("a\nb\n"), r#"{"regexp": "^zz", "line": "c"}"#, Some("a\nb\nc\n"), "line added"),
        ("regexp_no_match_line_elsewhere", Some("a\nc\nb\n"), r#"{"regexp": "^zz", "line": "c"}"#, Some("a\nc\nb\n"), ""),
        ("regexp_no_match_insertafter", Some("a\nb\nc\n"), r#"{"regexp": "^zz", "line": "new", "insertafter": "^a"}"#, Some("a\nnew\nb\nc\n"), "line added"),
        ("insertafter_last_match", Some("s\na\ns\nb\n"), r#"{"line": "new", "insertafter": "^s"}"#, Some("s\na\ns\nnew\nb\n"), "line added"),
        ("insertafter_firstmatch", Some("s\na\ns\nb\n"), r#"{"line": "new", "insertafter": "^s", "firstmatch": true}"#, Some("s\nnew\na\ns\nb\n"), "line added"),
        ("insertafter_no_match_appends", Some("a\nb\n"), r#"{"line": "new", "insertafter": "^zz"}"#, Some("a\nb\nnew\n"), "line added"),
        ("insertafter_at_eof_line", Some("a\nb\n"), r#"{"line": "new", "insertafter": "^b"}"#, Some("a\nb\nnew\n"), "line added"),
        ("insertafter_at_eof_without_newline", Some("a\nb"), r#"{"line": "new", "insertafter": "^b"}"#, Some("a\nbnew\n"), "line added"),
        ("insertafter_next_already_line", Some("a\nnew\nb\n"), r#"{"line": "new", "insertafter": "^a"}"#, Some("a\nnew\nb\n"), ""),
        ("insertafter_bof", Some("a\nb\n"), r#"{"line": "new", "insertafter": "BOF"}"#, Some("new\na\nb\n"), "line added"),
        ("insertafter_eof", Some("a\nb"), r#"{"line": "new", "insertafter": "EOF"}"#, Some("a\nb\nnew\n"), "line added"),
        ("insertbefore_match", Some("a\nb\nc\n"), r#"{"line": "new", "insertbefore": "^b"}"#, Some("a\nnew\nb\nc\n"), "line added"),
        ("insertbefore_last_match", Some("b\na\nb\n"), r#"{"line": "new", "insertbefore": "^b"}"#, Some("b\na\nnew\nb\n"), "line added"),
        ("insertbefore_firstmatch", Some("b\na\nb\n"), r#"{"line": "new", "insertbefore": "^b", "firstmatch": true}"#, Some("new\nb\na\nb\n"), "line added"),
        ("insertbefore_first_line", Some("a\nb\n"), r#"{"line": "new", "insertbefore": "^a"}"#, Some("new\na\nb\n"), "line added"),
        ("insertbefore_bof", Some("a\nb\n"), r#"{"line": "new", "insertbefore": "BOF"}"#, Some("new\na\nb\n"), "line added"),
        ("insertbefore_no_match_appends", Some("a\nb\n"), r#"{"line": "new", "insertbefore": "^zz"}"#, Some("a\nb\nnew\n"), "line added"),
        ("insertbefore_line_exists", Some("new\na\n"), r#"{"line": "new", "insertbefore": "^a"}"#, Some("new\na\n"), ""),
        ("insertafter_firstmatch_misses_existing_line", Some("s\nx\nnew\n"), r#"{"line": "new", "insertafter": "^s", "firstmatch": true}"#, Some("s\nnew\nx\nnew\n"), "line added"),
        ("regexp_match_ignores_insertafter", Some("x=1\na\n"), r#"{"regexp": "^x=", "line": "x=2", "insertafter": "^a"}"#, Some("x=2\na\n"), "line replaced"),
        ("backrefs_expand", Some("Port 22\n"), r#"{"regexp": "^(Port) (\\d+)$", "line": "\\1 2\\g<2>", "backrefs": true}"#, Some("Port 222\n"), "line replaced"),
        ("backrefs_named", Some("key = old\n"), r#"{"regexp": "^(?P<k>\\w+) = ", "line": "\\g<k> = new", "backrefs": true}"#, Some("key = new\n"), "line replaced"),
        ("backrefs_no_match_no_change", Some("a\nb\n"), r#"{"regexp": "^(zz)", "line": "\\1", "backrefs": true}"#, Some("a\nb\n"), ""),
        ("backrefs_unchanged", Some("Port 22\n"), r#"{"regexp": "^(Port) 22$", "line": "\\1 22", "backrefs": true}"#, Some("Port 22\n"), ""),
        ("backrefs_last_match", Some("p 1\np 2\n"), r#"{"regexp": "^p (\\d)", "line": "p \\1\\1", "backrefs": true}"#, Some("p 1\np 22\n"), "line replaced"),
        ("search_string_replace", Some("a.b=1\nab=2\n"), r#"{"search_string": "a.b", "line": "a.b=3"}"#, Some("a.b=3\nab=2\n"), "line replaced"),
        ("search_string_no_match_appends", Some("ab=2\n"), r#"{"search_string": "a.b", "line": "a.b=3"}"#, Some("ab=2\na.b=3\n"), "line added"),
        ("search_string_firstmatch", Some("k1\nk2\n"), r#"{"search_string": "k", "line": "z", "firstmatch": true}"#, Some("z\nk2\n"), "line replaced"),
        ("regexp_case_insensitive", Some("LISTEN 80\n"), r#"{"regexp": "(?i)^listen", "line": "listen 8080"}"#, Some("listen 8080\n"), "line replaced"),
        ("regexp_literal_brace", Some("server {\n}\n"), r#"{"regexp": "^server {", "line": "server { # x"}"#, Some("server { # x\n}\n"), "line replaced"),
        ("create_new", None, r#"{"line": "a", "create": true}"#, Some("a\n"), "line added"),
        ("create_new_insertbefore_bof", None, r#"{"line": "a", "create": true, "insertbefore": "BOF"}"#, Some("a\n"), "line added"),
        ("create_new_backrefs", None, r#"{"regexp": "(x)", "line": "\\1", "create": true, "backrefs": true}"#, None, ""),
        ("line_with_newline_added_each_time", Some("a\nb\nc\n"), r#"{"line": "b\nc"}"#, Some("a\nb\nc\nb\nc\n"), "line added"),
        ("empty_regexp_replaces_last", Some("a\nb\n"), r#"{"regexp": "", "line": "z"}"#, Some("a\nz\n"), "line replaced"),
        ("absent_line", Some("a\nb\na\n"), r#"{"state": "absent", "line": "a"}"#, Some("b\n"), "2 line(s) removed"),
        ("absent_line_crlf", Some("a\r\nb\r\n"), r#"{"state": "absent", "line": "a"}"#, Some("b\r\n"), "1 line(s) removed"),
        ("absent_regexp_all", Some("x1\ny\nx2\n"), r#"{"state": "absent", "regexp": "^x"}"#, Some("y\n"), "2 line(s) removed"),
        ("absent_search_string", Some("a.b\nab\n"), r#"{"state": "absent", "search_string": "a.b"}"#, Some("ab\n"), "1 line(s) removed"),
        ("absent_nothing", Some("a\nb\n"), r#"{"state": "absent", "line": "z"}"#, Some("a\nb\n"), ""),
        ("absent_regexp_wins_over_line", Some("a\nb\n"), r#"{"state": "absent", "regexp": "^b", "line": "a"}"#, Some("a\n"), "1 line(s) removed"),
        ("absent_last_line_without_newline", Some("a\nb"), r#"{"state": "absent", "line": "b"}"#, Some("a\n"), "1 line(s) removed"),
    ];

    fn params(args: &str) -> Lineinfile {
        let mut v: hearth_formats::value::Value = serde_json::from_str(args).unwrap();
        v["path"] = "/f".into();
        serde_json::from_value(v).unwrap()
    }

    fn run(before: &[u8], p: &Lineinfile) -> Edit {
        match p.state {
            State::Present => present(before, &p.spec(), p.line.as_deref().unwrap()).unwrap(),
            State::Absent => absent(before, &p.spec()).unwrap(),
        }
    }

    #[test]
    fn edits_match_ansible() {
        for (name, before, args, after, msg) in CASES {
            let p = params(args);
            p.check_exclusive().and_then(|()| p.check_state()).unwrap();
            let e = run(before.unwrap_or_default().as_bytes(), &p);
            let want = after.unwrap_or_default();
            assert_eq!(String::from_utf8_lossy(&e.content), *want, "{name}");
            assert_eq!(e.msg, *msg, "{name}");
            assert_eq!(e.changed, before != after, "{name}");
        }
    }

    #[test]
    fn second_run_is_idempotent() {
        for (name, before, args, after, _) in CASES {
            let p = params(args);
            let Some(after) = after else { continue };
            let again = run(after.as_bytes(), &p);
            // Ansible itself is not idempotent on these.
            let unstable = [
                "line_with_newline_added_each_time",
                "backrefs_last_match",
                "backrefs_expand",
                "insertafter_at_eof_without_newline",
                "search_string_firstmatch",
            ];
            if !unstable.contains(name) && before.is_some() {
                assert!(!again.changed, "{name}: {:?}", String::from_utf8_lossy(&again.content));
            }
        }
    }

    #[test]
    fn parameter_errors_match_ansible() {
        let cases: &[(&str, &str)] = &[
            (r#"{"regexp": "x"}"#, "line is required with state=present"),
            (r#"{"line": "x", "backrefs": true}"#, "regexp is required with backrefs=true"),
            (r#"{"state": "absent"}"#, "one of line, search_string, or regexp is required with state=absent"),
            (
                r#"{"line": "x", "insertafter": "a", "insertbefore": "b"}"#,
                "parameters are mutually exclusive: insertbefore|insertafter",
            ),
            (
                r#"{"line": "x", "regexp": "a", "search_string": "b", "backrefs": true}"#,
                "parameters are mutually exclusive: regexp|search_string, backrefs|search_string",
            ),
        ];
        for (args, msg) in cases {
            let p = params(args);
            assert_eq!(p.check_exclusive().and_then(|()| p.check_state()).unwrap_err().to_string(), *msg);
        }
    }

    #[test]
    fn aliases_and_string_booleans() {
        let p: Lineinfile = serde_json::from_str(
            r#"{"dest": "/x", "value": 42, "regex": "^a", "create": "yes", "mode": "0600"}"#,
        )
        .unwrap();
        assert_eq!(
            (p.path.as_str(), p.line.as_deref(), p.regexp.as_deref(), p.create),
            ("/x", Some("42"), Some("^a"), true)
        );
        assert!(serde_json::from_str::<Lineinfile>(r#"{"path": "/x", "bogus": 1}"#).is_err());
    }
}

#[cfg(test)]
mod module_tests {
    use std::os::unix::fs::PermissionsExt;

    use serde_json::json;

    use super::super::fileedit::testing::run;

    #[test]
    fn edits_a_file_then_reports_ok() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("sub/app.conf");
        let path = f.to_str().unwrap();
        let err = run("lineinfile", json!({"path": path, "line": "a=1"})).err().unwrap();
        assert_eq!(err, format!("Destination {path} does not exist !"));
        let r = run(
            "ansible.builtin.lineinfile",
            json!({"dest": path, "line": "a=1", "create": "yes", "mode": "0600"}),
        )
        .unwrap();
        assert!(r.changed);
        assert_eq!(r.result["msg"], "line added and ownership, perms or SE linux context changed");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a=1\n");
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o7777, 0o600);
        let r = run("lineinfile", json!({"path": path, "line": "a=1", "mode": "0600"})).unwrap();
        assert!(!r.changed);
        assert_eq!((r.result["msg"].as_str(), r.result["backup"].as_str()), (Some(""), Some("")));
        let r = run("lineinfile", json!({"path": path, "line": "b", "regexp": ""})).unwrap();
        assert!(
            r.result["warnings"][0]
                .as_str()
                .unwrap()
                .starts_with("The regular expression is an empty string")
        );
    }

    #[test]
    fn backup_mode_and_absent() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("hosts");
        let path = f.to_str().unwrap();
        std::fs::write(&f, "x\ny\nx\n").unwrap();
        let r = run("lineinfile", json!({"path": path, "regexp": "^x", "state": "absent", "backup": true}))
            .unwrap();
        assert_eq!(
            (r.changed, r.result["msg"].as_str(), r.result["found"].as_u64()),
            (true, Some("2 line(s) removed"), Some(2))
        );
        let backup = r.result["backup"].as_str().unwrap();
        assert!(backup.starts_with(&format!("{path}.")) && backup.ends_with('~'), "{backup}");
        assert_eq!(std::fs::read_to_string(backup).unwrap(), "x\ny\nx\n");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "y\n");
        let r = run("lineinfile", json!({"path": path, "line": "y", "mode": "g+w"})).unwrap();
        assert_eq!(
            (r.changed, r.result["msg"].as_str(), r.diffs),
            (true, Some("ownership, perms or SE linux context changed"), 1)
        );
        let missing = dir.path().join("nope");
        let r = run("lineinfile", json!({"path": missing, "line": "y", "state": "absent"})).unwrap();
        assert_eq!((r.changed, r.result["msg"].as_str()), (false, Some("file not present")));
        let err = run("lineinfile", json!({"path": dir.path(), "line": "y"})).err().unwrap();
        assert!(err.ends_with("is a directory !"), "{err}");
    }

    #[test]
    fn validate_failure_leaves_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("sudoers");
        std::fs::write(&f, "ok\n").unwrap();
        let args = json!({"path": f, "line": "bad", "validate": "false %s"});
        let err = run("lineinfile", args).err().unwrap();
        assert!(err.starts_with("failed to validate: rc:1 error:"), "{err}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "ok\n");
    }
}
