//! The host side shared by modules that write files (`lineinfile`, `blockinfile`, `copy`,
//! `template`, `file`, `stat`): find the real file behind symlinks, make Ansible's dated backup,
//! run `validate` on a temporary copy, write, path helpers and the `(content)` / `(file
//! attributes)` diffs of the in-place editors. The text editing itself lives in each module as
//! pure functions; this file decides nothing about content.

use crate::module::{Diff, ModuleError};

use super::mode;
use hearth_formats::value::Map;
use hearth_transport::{Attrs, Cmd, CmdOutput, FileKind, FileStat, Transport, TransportError};

/// What the host has at a module's `path`.
#[derive(Debug, Clone)]
pub struct Target {
    /// The path as the user gave it (used in messages and diff headers).
    pub path: String,
    /// The path with symlinks resolved: the file that is really written.
    pub real: String,
    /// The real file's stat; None when it does not exist.
    pub stat: Option<FileStat>,
}

/// A failure with Ansible's `rc` result field.
pub fn fail_rc(msg: impl Into<String>, rc: i64) -> ModuleError {
    let mut result = Map::new();
    result.insert("rc".into(), rc.into());
    ModuleError::Failed { msg: msg.into(), result }
}

/// Stats `path` (following symlinks) and refuses a directory like Ansible (rc 256).
pub fn inspect(host: &dyn Transport, path: &str) -> Result<Target, ModuleError> {
    let real = match host.stat(path, false)? {
        Some(FileStat { kind: FileKind::Link, .. }) => realpath(host, path)?,
        _ => path.to_string(),
    };
    let stat = host.stat(&real, true)?;
    if stat.as_ref().is_some_and(|s| s.kind == FileKind::Directory) {
        return Err(fail_rc(format!("Path {path} is a directory !"), 256));
    }
    Ok(Target { path: path.to_string(), real, stat })
}

/// The canonical path of `path` on the host (`readlink -f`, Python's `os.path.realpath`), so a
/// write through a link replaces the file, not the link.
pub fn realpath(host: &dyn Transport, path: &str) -> Result<String, TransportError> {
    let out = host.run(&Cmd::new(["readlink", "-f", "--", path]))?;
    let resolved = String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_string();
    if out.rc != 0 || resolved.is_empty() {
        return Err(TransportError::io("readlink", path, String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(resolved)
}

/// Where a link at `link` pointing to `target` leads (without resolving further links).
pub fn join_link(link: &str, target: &str) -> String {
    if target.starts_with('/') {
        return target.to_string();
    }
    match link.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{target}"),
        None => target.to_string(),
    }
}

/// The parent directory of a host path ("." for a bare name).
pub fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

/// The last component of a path, ignoring trailing slashes.
pub fn basename(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    t.rsplit('/').next().unwrap_or(t)
}

/// Joins a host directory and a relative name.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') { format!("{dir}{name}") } else { format!("{dir}/{name}") }
}

/// Creates the parent directory of a file about to be created, when missing.
pub fn ensure_parent(host: &dyn Transport, path: &str) -> Result<(), ModuleError> {
    match path.rsplit_once('/') {
        Some((dir, _)) if !dir.is_empty() && host.stat(dir, true)?.is_none() => host
            .make_dir(dir, &Attrs::default())
            .map_err(|e| ModuleError::msg(format!("Error creating {dir} ({e})"))),
        _ => Ok(()),
    }
}

/// Copies `path` to `<path>.<pid>.<YYYY-MM-DD@HH:MM:SS~>` on the host, keeping mode, owner and
/// times, like Ansible's `backup_local` (pid and local time are the host's); returns the name.
pub fn backup(host: &dyn Transport, path: &str) -> Result<String, ModuleError> {
    host.backup(path).map_err(|e| backup_error(path, e))
}

/// Ansible's words for a backup that failed; other failures stay as they are.
pub fn backup_error(path: &str, e: TransportError) -> ModuleError {
    match e {
        TransportError::Io { op: "backup", message, .. } => {
            ModuleError::msg(format!("Could not make backup of {path}: {message}"))
        }
        other => other.into(),
    }
}

/// Backup (when `backup` and a file is there) and the atomic write in one round trip; returns
/// the backup's name.
pub fn place(
    host: &dyn Transport,
    path: &str,
    content: &[u8],
    attrs: &Attrs,
    backup: bool,
) -> Result<Option<String>, ModuleError> {
    Ok(host.place(path, content, attrs, backup).map_err(|e| backup_error(path, e))?.backup)
}

/// The change step of an in-place edit: with new `content`, create the parent or take the backup
/// (its name reported under `backup_key`: Ansible's `lineinfile` says `backup`, `blockinfile`
/// `backup_file`), validate and write; without, only enforce `attrs`.
pub fn apply_edit(
    host: &dyn Transport,
    t: &Target,
    content: Option<&[u8]>,
    attrs: &Attrs,
    backup_key: Option<&str>,
    validate: Option<&str>,
) -> Result<Map, ModuleError> {
    let mut out = Map::new();
    let Some(content) = content else {
        host.set_attrs(&t.real, attrs)?;
        return Ok(out);
    };
    if t.stat.is_none() {
        ensure_parent(host, &t.real)?;
    } else if validate.is_none() && t.path == t.real {
        // Backup and write in one round trip. (With `validate`, Ansible takes the backup before
        // it validates, so a rejected edit still leaves one; through a link, the backup is
        // named after the link.)
        if let (Some(key), Some(name)) =
            (backup_key, place(host, &t.real, content, attrs, backup_key.is_some())?)
        {
            out.insert(key.into(), name.into());
        }
        return Ok(out);
    } else if let Some(key) = backup_key {
        out.insert(key.into(), backup(host, &t.path)?.into());
    }
    write(host, validate, &t.real, content, attrs)?;
    Ok(out)
}

/// Writes `content` to `real` atomically, after `validate` (a command with `%s`) accepted a
/// temporary copy; a rejected copy fails the task like Ansible's `lineinfile` does and leaves
/// the file alone.
pub fn write(
    host: &dyn Transport,
    validate: Option<&str>,
    real: &str,
    content: &[u8],
    attrs: &Attrs,
) -> Result<(), ModuleError> {
    if let Some(v) = validate {
        let tmp_attrs = Attrs { mode: Some(0o600), ..Attrs::default() };
        let out = run_validate(host, v, content, real, &tmp_attrs)?;
        if out.rc != 0 {
            let msg =
                format!("failed to validate: rc:{} error:{}", out.rc, String::from_utf8_lossy(&out.stderr));
            return Err(fail_rc(msg, out.rc.into()));
        }
    }
    host.write_file(real, content, attrs)?;
    Ok(())
}

/// Runs `validate` (a command with `%s`) on a temporary copy of `content` with `tmp_attrs`,
/// named with `dest`'s extension like Ansible's, and returns its output: each module reports a
/// non-zero rc in its own words.
pub fn run_validate(
    host: &dyn Transport,
    validate: &str,
    content: &[u8],
    dest: &str,
    tmp_attrs: &Attrs,
) -> Result<CmdOutput, ModuleError> {
    if !validate.contains("%s") {
        return Err(ModuleError::msg(format!("validate must contain %s: {validate}")));
    }
    let mut mktemp = vec!["mktemp".to_string(), "-t".into(), "hearth-validate.XXXXXXXX".into()];
    if let Some(ext) = basename(dest).rsplit_once('.').map(|(_, e)| e).filter(|e| !e.is_empty()) {
        mktemp.push(format!("--suffix=.{ext}"));
    }
    let out = host.run(&Cmd::new(mktemp))?;
    let tmp = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.rc != 0 || tmp.is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(ModuleError::msg(format!(
            "failed to validate: cannot create a temporary file: {}",
            err.trim()
        )));
    }
    let checked = host.write_file(&tmp, content, tmp_attrs).map_err(ModuleError::from).and_then(|()| {
        let command = validate.replace("%s", &tmp).replace("%%", "%");
        let argv = shlex_split(&command)
            .ok_or_else(|| ModuleError::msg(format!("bad validate command: {validate}")))?;
        Ok(host.run(&Cmd::new(argv))?)
    });
    host.remove(&tmp)?;
    checked
}

/// POSIX shell-style word splitting (Python's `shlex.split`) through the `shlex` crate, which
/// the `command` module uses too: quotes and backslashes, no expansion; None on an unclosed quote.
pub fn shlex_split(s: &str) -> Option<Vec<String>> {
    shlex::split(s)
}

/// The content diff Ansible reports, headed `<path> (content)`.
pub fn content_diff(path: &str, before: &[u8], after: &[u8]) -> Diff {
    let header = format!("{path} (content)");
    Diff {
        before_header: header.clone(),
        after_header: header,
        before: String::from_utf8_lossy(before).into_owned(),
        after: String::from_utf8_lossy(after).into_owned(),
    }
}

/// The attributes diff Ansible reports, headed `<path> (file attributes)`, when any differ.
pub fn attrs_diff(path: &str, stat: &FileStat, attrs: &Attrs) -> Option<Diff> {
    let (before, after) = mode::attrs_diff_text(stat, attrs)?;
    let header = format!("{path} (file attributes)");
    Some(Diff { before_header: header.clone(), after_header: header, before, after })
}

/// Whether `attrs` would change the file: compared with its stat, or, for a file about to be
/// created, with the mode a new file gets (owner and group of a new file are assumed right).
pub fn attrs_change(stat: Option<&FileStat>, attrs: &Attrs) -> bool {
    match stat {
        Some(st) => mode::attrs_differ(st, attrs),
        None => attrs.mode.is_some_and(|m| m != mode::NEW_FILE_MODE),
    }
}

/// Appends Ansible's "ownership, perms or SE linux context changed" to a module message.
pub fn with_attrs_msg(msg: &str, attrs_changed: bool) -> String {
    match (msg.is_empty(), attrs_changed) {
        (_, false) => msg.to_string(),
        (true, true) => "ownership, perms or SE linux context changed".into(),
        (false, true) => format!("{msg} and ownership, perms or SE linux context changed"),
    }
}

/// Test support: plans a registered module on the local host and runs its change step.
#[cfg(test)]
pub(crate) mod testing {
    use crate::module::{Ctx, Outcome, SearchPath};
    use crate::registry::lookup;
    use hearth_formats::value::{Map, Value};
    use hearth_template::Templar;
    use hearth_transport::Local;

    /// What a module run did: changed, message, result fields, diff count.
    pub struct Ran {
        pub changed: bool,
        pub result: Map,
        pub diffs: usize,
    }

    /// Builds `module` from `args`, plans and (when it wants to) applies it.
    pub fn run(module: &str, args: Value) -> Result<Ran, String> {
        let m = (lookup(module).ok_or("no such module")?.build)(args).map_err(|e| e.to_string())?;
        let (templar, vars, search) = (Templar::new(), minijinja::Value::UNDEFINED, SearchPath::default());
        let ctx = Ctx { host: &Local, vars: &vars, templar: &templar, search: &search, diff: true };
        let plan = m.plan(&ctx).map_err(|e| e.to_string())?;
        let mut result = plan.result;
        let changed = match plan.outcome {
            Outcome::Ok(_) => false,
            Outcome::Change { action, .. } | Outcome::Run(action) => {
                result.extend(action(&ctx).map_err(|e| e.to_string())?);
                true
            }
        };
        Ok(Ran { changed, result, diffs: plan.diffs.len() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_transport::Local;

    #[test]
    fn shlex() {
        let w = |s: &str| shlex_split(s).unwrap();
        assert_eq!(w("visudo -cf /tmp/x"), ["visudo", "-cf", "/tmp/x"]);
        assert_eq!(w(r#"sh -c 'test -s "$1"' a\ b "x\"y""#), ["sh", "-c", "test -s \"$1\"", "a b", "x\"y"]);
        assert_eq!(w("  ''  "), [""]);
        assert_eq!(shlex_split("'open"), None);
        assert_eq!(w("visudo -cf %s"), ["visudo", "-cf", "%s"]);
        assert_eq!(w(r#"sh -c 'test -s "%s"' x"#), ["sh", "-c", r#"test -s "%s""#, "x"]);
        assert_eq!(w(r#"a "b \"c\"" d\ e ''"#), ["a", r#"b "c""#, "d e", ""]);
    }

    #[test]
    fn path_helpers() {
        assert_eq!(parent("/etc/x"), "/etc");
        assert_eq!(parent("/x"), "/");
        assert_eq!(parent("x"), ".");
        assert_eq!(basename("/a/b/"), "b");
        assert_eq!(join("/a/", "b"), "/a/b");
        assert_eq!(join("/a", "b"), "/a/b");
    }

    #[test]
    fn links_resolve_relative_to_their_directory() {
        assert_eq!(join_link("/etc/a", "b"), "/etc/b");
        assert_eq!(join_link("/etc/a", "/srv/b"), "/srv/b");
        assert_eq!(join_link("a", "b"), "b");
    }

    #[test]
    fn attrs_message() {
        assert_eq!(
            with_attrs_msg("line added", true),
            "line added and ownership, perms or SE linux context changed"
        );
        assert_eq!(with_attrs_msg("", true), "ownership, perms or SE linux context changed");
        assert_eq!(with_attrs_msg("line added", false), "line added");
    }

    #[test]
    fn backup_validate_and_symlinks_on_local_host() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.conf");
        std::fs::write(&real, "old\n").unwrap();
        let link = dir.path().join("link.conf");
        std::os::unix::fs::symlink("real.conf", &link).unwrap();
        let host = Local;
        let t = inspect(&host, link.to_str().unwrap()).unwrap();
        assert_eq!(t.real, real.to_str().unwrap());
        let b = backup(&host, &t.path).unwrap();
        let name = b.rsplit('/').next().unwrap();
        let re = regex::Regex::new(r"^link\.conf\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$").unwrap();
        assert!(re.is_match(name), "{name}");
        assert_eq!(std::fs::read(&b).unwrap(), b"old\n");
        let err = write(&host, Some("grep -q good %s"), &t.real, b"bad\n", &Attrs::default()).unwrap_err();
        assert!(err.to_string().starts_with("failed to validate: rc:1"), "{err}");
        assert_eq!(std::fs::read(&real).unwrap(), b"old\n");
        write(&host, Some("grep -q good %s"), &t.real, b"good\n", &Attrs::default()).unwrap();
        assert_eq!(std::fs::read(&link).unwrap(), b"good\n");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        let d = inspect(&host, dir.path().to_str().unwrap()).unwrap_err();
        assert!(d.to_string().ends_with("is a directory !"));
    }
}
