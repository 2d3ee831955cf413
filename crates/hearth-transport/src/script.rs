//! The POSIX `sh` scripts a script transport runs, one pure builder per operation, and
//! the pure parsers of what they print. Scripts use only POSIX sh and coreutils (GNU or busybox):
//! no Python, no bash-isms. Each operation is one script, so one round trip. Every path and value
//! passes through [`super::quote`]; this file runs nothing itself.

use super::quote::{has_nul, join, quote};
use crate::cmd::Cmd;
use crate::file::{Access, Attrs, FileKind, FileStat, PROBE_CONTENT_LIMIT, Probe};

/// Printed on stderr (with exit code 1) when the path a script looks at does not exist.
pub const ABSENT: &str = "hearth:absent";
/// Printed on stderr (with exit code 127) when `run` cannot find the program.
pub const NO_PROGRAM: &str = "hearth:no-program";
/// Printed on stderr (with exit code 127) when `run` cannot enter its `chdir`.
pub const NO_DIR: &str = "hearth:no-dir";

/// Reports that a path is a directory (followed by the quoted path).
const IS_DIR: &str = "printf '%s: Is a directory\\n'";

/// The `stat` format shared by GNU coreutils and busybox: raw mode in hex, ids, size, mtime, names.
const STAT_FORMAT: &str = "%f %u %g %s %Y %U %G";

/// Why a command cannot be turned into a script.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScriptError {
    /// An argument holds a NUL byte.
    #[error("an argument contains a NUL byte")]
    Nul,
    /// An environment variable name is not a shell name.
    #[error("invalid environment variable name '{0}'")]
    EnvName(String),
    /// The argv is empty.
    #[error("empty command")]
    Empty,
}

/// `cmd` as a script: enter `chdir`, export `env`, check the program exists, then `exec` it.
pub fn run(cmd: &Cmd) -> Result<String, ScriptError> {
    let program = cmd.argv.first().ok_or(ScriptError::Empty)?;
    let env_values: Vec<&str> = cmd.env.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]).collect();
    if has_nul(&cmd.argv) || has_nul(&env_values) || cmd.chdir.as_deref().is_some_and(|d| d.contains('\0')) {
        return Err(ScriptError::Nul);
    }
    let mut s = String::new();
    if let Some(dir) = &cmd.chdir {
        s += &format!("cd -- {} || {{ echo {NO_DIR} >&2; exit 127; }}\n", quote(dir));
    }
    for (k, v) in &cmd.env {
        if !is_name(k) {
            return Err(ScriptError::EnvName(k.clone()));
        }
        s += &format!("export {k}={}\n", quote(v));
    }
    s +=
        &format!("command -v {} >/dev/null 2>&1 || {{ echo {NO_PROGRAM} >&2; exit 127; }}\n", quote(program));
    s += &format!("exec {}", join(&cmd.argv));
    Ok(s)
}

/// True for a valid shell variable name.
fn is_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Stats `path` with one `stat` call; a link's target follows on the next lines.
pub fn stat(path: &str, follow: bool) -> String {
    let p = quote(path);
    if follow {
        format!("if [ -e {p} ]; then exec stat -L -c '{STAT_FORMAT}' -- {p}; fi\necho {ABSENT} >&2; exit 1")
    } else {
        format!(
            "if [ -e {p} ] || [ -L {p} ]; then stat -c '{STAT_FORMAT}' -- {p} || exit 1\n\
             if [ -L {p} ]; then exec readlink -- {p}; fi; exit 0; fi\necho {ABSENT} >&2; exit 1"
        )
    }
}

/// Parses the output of [`stat`] (GNU coreutils and busybox print the same fields).
pub fn parse_stat(out: &[u8]) -> Result<FileStat, String> {
    let text = String::from_utf8_lossy(out);
    let (line, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let f: Vec<&str> = line.splitn(7, ' ').collect();
    if f.len() != 7 {
        return Err(format!("unexpected stat output: {line:?}"));
    }
    let num = |i: usize| f[i].parse::<u64>().map_err(|_| format!("unexpected stat field {:?}", f[i]));
    let raw = u32::from_str_radix(f[0], 16).map_err(|_| format!("unexpected stat mode {:?}", f[0]))?;
    let kind = match raw & 0o170000 {
        0o100000 => FileKind::File,
        0o040000 => FileKind::Directory,
        0o120000 => FileKind::Link,
        _ => FileKind::Other,
    };
    let name = |s: &str| (s != "UNKNOWN" && !s.is_empty()).then(|| s.to_string());
    let link_target = (kind == FileKind::Link).then(|| rest.strip_suffix('\n').unwrap_or(rest).to_string());
    Ok(FileStat {
        kind,
        mode: raw & 0o7777,
        uid: num(1)? as u32,
        gid: num(2)? as u32,
        owner: name(f[5]),
        group: name(f[6]),
        size: num(3)?,
        mtime: f[4].parse().map_err(|_| format!("unexpected stat mtime {:?}", f[4]))?,
        link_target,
    })
}

/// Separates the sections of [`probe`]'s output.
pub const SEP: &str = "hearth:sep";

/// One round trip for what file modules check: lstat (+ link target), stat through links, the
/// access the user has (`rwx` letters), and the content of a regular file up to
/// [`PROBE_CONTENT_LIMIT`] (prefixed `Y`, or `N` for none).
pub fn probe(path: &str) -> String {
    let p = quote(path);
    let dir = quote(parent_of(path));
    format!(
        "if ! {{ [ -e {p} ] || [ -L {p} ]; }}; then if [ -d {dir} ]; then echo d; fi; echo {ABSENT} >&2; exit 1; fi
         stat -c '{STAT_FORMAT}' -- {p} || exit 1
         if [ -L {p} ]; then readlink -- {p}; fi
         echo {SEP}
         if [ -e {p} ]; then stat -L -c '{STAT_FORMAT}' -- {p} || exit 1; fi
         echo {SEP}
         a=; if [ -r {p} ]; then a=r; fi; if [ -w {p} ]; then a=${{a}}w; fi; if [ -x {p} ]; then a=${{a}}x; fi
         echo \"$a\"
         echo {SEP}
         if [ -f {p} ] && [ -r {p} ] && [ \"$(stat -L -c %s -- {p})\" -le {PROBE_CONTENT_LIMIT} ]; then printf Y; exec cat -- {p}; fi
         printf N"
    )
}

/// Parses [`probe`]'s output into (lstat, stat through links, small content).
pub fn parse_probe(out: &[u8]) -> Result<Probe, String> {
    let sep = format!("{SEP}\n");
    let (first, rest) = split_once_bytes(out, sep.as_bytes()).ok_or("probe: missing first separator")?;
    let (second, rest) = split_once_bytes(rest, sep.as_bytes()).ok_or("probe: missing second separator")?;
    let (third, fourth) = split_once_bytes(rest, sep.as_bytes()).ok_or("probe: missing third separator")?;
    let lstat = parse_stat(first)?;
    let stat = if second.is_empty() { None } else { Some(parse_stat(second)?) };
    let letters = String::from_utf8_lossy(third);
    let has = |c: char| letters.trim_end().contains(c);
    let access = Access { readable: has('r'), writeable: has('w'), executable: has('x') };
    let content = match fourth.split_first() {
        Some((b'Y', content)) => Some(content.to_vec()),
        _ => None,
    };
    Ok(Probe { lstat: Some(lstat), stat, content, access: Some(access), parent_dir: None })
}

fn split_once_bytes<'a>(hay: &'a [u8], needle: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let i = hay.windows(needle.len()).position(|w| w == needle)?;
    Some((&hay[..i], &hay[i + needle.len()..]))
}

/// Prints a file, or reports [`ABSENT`].
pub fn read_file(path: &str) -> String {
    let p = quote(path);
    format!("if [ -e {p} ]; then exec cat -- {p}; fi\necho {ABSENT} >&2; exit 1")
}

/// Writes stdin to `path` atomically: temp file in the same directory, mode and owner (kept from
/// the old file unless `attrs` says otherwise), then `mv -f` over the target. The temp file
/// must hold exactly `len` bytes first: stdin that ended early (a connection lost or closed by
/// Ctrl-C mid-transfer) is refused, never renamed into place as a truncated file.
pub fn write_file(path: &str, attrs: &Attrs, len: usize) -> String {
    let p = quote(path);
    let dir = parent_of(path);
    let template = quote(&format!("{}/.hearth-tmp-XXXXXX", dir.trim_end_matches('/'))).into_owned();
    let mode = match attrs.mode {
        Some(m) => format!("chmod {m:04o} \"$t\""),
        None => format!(
            "if [ -e {p} ]; then chmod \"$(stat -L -c %a -- {p})\" \"$t\"; \
             else chmod \"$(printf %o $((0666 & ~0$(umask))))\" \"$t\"; fi"
        ),
    };
    let keep_owner =
        format!("{{ [ ! -e {p} ] || chown \"$(stat -L -c %u:%g -- {p})\" \"$t\" 2>/dev/null || :; }}");
    let whole = format!(
        "{{ n=$(wc -c <\"$t\") && [ \"$((n))\" -eq {len} ] || {{ echo {} >&2; false; }}; }}",
        quote(SHORT_INPUT)
    );
    let mut steps = vec!["cat >\"$t\"".to_string(), whole, mode, keep_owner];
    steps.extend(owner_steps("\"$t\"", attrs));
    steps.push(format!("mv -f \"$t\" {p}"));
    format!(
        "if [ -d {p} ]; then {IS_DIR} {p} >&2; exit 1; fi\n\
         t=$(mktemp {template}) || exit 1\n\
         trap 'rm -f \"$t\"; exit 129' HUP INT TERM PIPE\n{{ {}; }} || {{ rm -f \"$t\"; exit 1; }}",
        steps.join(" &&\n  ")
    )
}

/// The directory a path's last component is in (`.` for a bare name).
pub(crate) fn parent_of(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((d, _)) => d,
        None => ".",
    }
}

/// What a write says when its content arrived incomplete.
pub const SHORT_INPUT: &str =
    "the content arrived incomplete (connection lost?); the file was left as it was";

/// Exit code of [`place`] when the backup copy failed (the write was not attempted).
pub const BACKUP_FAILED: i32 = 3;

/// Copies `$1` to `$1.<pid>.<YYYY-MM-DD@HH:MM:SS~>` keeping mode, owner and times, like
/// Ansible's `backup_local` (pid and local time are the host's), and prints the name.
pub const BACKUP: &str =
    r#"b="$1.$$.$(date +%Y-%m-%d@%H:%M:%S~)" && cp -p -- "$1" "$b" && printf '%s\n' "$b""#;

/// Backup (when asked and a file is there), [`write_file`] and a stat of the result in one
/// script: stdout is the backup's name (an empty line without one), then the stat line.
pub fn place(path: &str, attrs: &Attrs, backup: bool, len: usize) -> String {
    let p = quote(path);
    let backup = match backup {
        true => {
            format!("if [ -e {p} ]; then set -- {p}; {{ {BACKUP}; }} || exit {BACKUP_FAILED}; else echo; fi")
        }
        false => "echo".to_string(),
    };
    format!("{backup}\n{}\nexec stat -c '{STAT_FORMAT}' -- {p}", write_file(path, attrs, len))
}

/// Parses [`place`]'s output into the backup's name and the written file's stat.
pub fn parse_placed(out: &[u8]) -> Result<(Option<String>, FileStat), String> {
    let text = String::from_utf8_lossy(out);
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let (backup, stat) = body.rsplit_once('\n').ok_or("place: unexpected output")?;
    Ok(((!backup.is_empty()).then(|| backup.to_string()), parse_stat(stat.as_bytes())?))
}

/// `chown`/`chgrp` steps for an already quoted target (not following a final symlink).
fn owner_steps(target: &str, attrs: &Attrs) -> Vec<String> {
    let mut steps = Vec::new();
    if let Some(o) = &attrs.owner {
        steps.push(format!("chown -h {} {target}", quote(o)));
    }
    if let Some(g) = &attrs.group {
        steps.push(format!("chgrp -h {} {target}", quote(g)));
    }
    steps
}

/// Applies `attrs` to `path`; `None` when there is nothing to do.
pub fn set_attrs(path: &str, attrs: &Attrs) -> Option<String> {
    let p = quote(path);
    let mut steps: Vec<String> = attrs.mode.map(|m| format!("chmod {m:04o} -- {p}")).into_iter().collect();
    steps.extend(owner_steps(&format!("-- {p}"), attrs));
    (!steps.is_empty()).then(|| steps.join(" && "))
}

/// Creates `path` and its missing parents, applying `attrs` to the directories it created.
pub fn make_dir(path: &str, attrs: &Attrs) -> String {
    let mut s = String::new();
    for dir in ancestors(path) {
        let d = quote(&dir);
        let mut make = format!("mkdir -- {d}");
        if let Some(more) = set_attrs(&dir, attrs) {
            make = format!("{make} && {more}");
        }
        s += &format!("[ -d {d} ] || {{ {make}; }} || exit 1\n");
    }
    s
}

/// Every prefix of `path` that names a directory, outermost first (`a/b/c` → `a`, `a/b`, `a/b/c`).
pub fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = if path.starts_with('/') { "/".to_string() } else { String::new() };
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if !cur.is_empty() && !cur.ends_with('/') {
            cur.push('/');
        }
        cur.push_str(part);
        out.push(cur.clone());
    }
    if out.is_empty() {
        out.push(cur);
    }
    out
}

/// Removes a file, link or directory tree; succeeds when absent.
pub fn remove(path: &str) -> String {
    format!("exec rm -rf -- {}", quote(path))
}

/// Points a symlink at `path` to `target`, replacing a file or link but never a directory.
pub fn symlink(target: &str, path: &str) -> String {
    let p = quote(path);
    format!(
        "if [ -d {p} ] && [ ! -L {p} ]; then {IS_DIR} {p} >&2; exit 1; fi\nexec ln -sfn -- {} {p}",
        quote(target)
    )
}

/// Copies a file keeping mode, owner (when allowed) and times.
pub fn copy_file(from: &str, to: &str) -> String {
    format!("exec cp -p -- {} {}", quote(from), quote(to))
}

/// Lists a directory's entries, each name followed by a NUL byte.
pub fn list_dir(path: &str) -> String {
    format!(
        "cd -- {} || exit 1\nfor f in .* *; do case $f in .|..) continue;; esac\n\
         if [ -e \"$f\" ] || [ -L \"$f\" ]; then printf '%s\\0' \"$f\"; fi; done",
        quote(path)
    )
}

/// Parses [`list_dir`] output into sorted names.
pub fn parse_list(out: &[u8]) -> Vec<String> {
    let mut names: Vec<String> = out
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_is_parsed() {
        let out = b"81a4 0 0 3 1700000000 root root\nhearth:sep\n81a4 0 0 3 1700000000 root root\nhearth:sep\nrw\nhearth:sep\nYa\nb";
        let p = parse_probe(out).unwrap();
        assert_eq!(p.lstat.unwrap().size, 3);
        assert_eq!(p.content.unwrap(), b"a\nb");
        assert_eq!(p.access, Some(Access { readable: true, writeable: true, executable: false }));
        let link = b"a1ff 0 0 4 1 root root\nfile\nhearth:sep\nhearth:sep\n\nhearth:sep\nN";
        let p = parse_probe(link).unwrap();
        assert_eq!(p.lstat.unwrap().link_target.as_deref(), Some("file"));
        assert_eq!((p.stat, p.content), (None, None));
        assert_eq!(p.access, Some(Access::default()));
    }

    /// Runs `script` with `sh -c`, `input` on stdin; returns the exit code and stderr.
    fn sh(script: &str, input: &[u8]) -> (i32, String) {
        use std::io::Write;
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    #[test]
    fn a_write_whose_content_arrived_short_is_refused_and_leaves_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f").display().to_string();
        std::fs::write(&path, "old\n").unwrap();
        let (rc, err) = sh(&write_file(&path, &Attrs::default(), 10), b"new");
        assert_ne!(rc, 0);
        assert!(err.contains(SHORT_INPUT), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");
        assert_eq!(sh(&write_file(&path, &Attrs::default(), 3), b"new").0, 0);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn placed_output_is_the_backup_name_then_the_stat() {
        let (b, st) = parse_placed(b"/x/f.12.2026-12-04@10:00:00~\n81a0 0 0 3 1 root root\n").unwrap();
        assert_eq!((b.as_deref(), st.mode, st.size), (Some("/x/f.12.2026-12-04@10:00:00~"), 0o640, 3));
        let (b, st) = parse_placed(b"\n81a4 0 0 0 1 root root\n").unwrap();
        assert_eq!((b, st.mode), (None, 0o644));
        assert!(parse_placed(b"81a4 0 0 0 1 root root\n").is_err());
    }

    fn stat_of(out: &str) -> FileStat {
        parse_stat(out.as_bytes()).unwrap()
    }

    #[test]
    fn parses_gnu_stat_of_a_file() {
        let st = stat_of("81a4 0 0 1234 1700000000 root root\n");
        assert_eq!(st.kind, FileKind::File);
        assert_eq!((st.mode, st.uid, st.gid, st.size, st.mtime), (0o644, 0, 0, 1234, 1700000000));
        assert_eq!((st.owner.as_deref(), st.group.as_deref()), (Some("root"), Some("root")));
        assert_eq!(st.link_target, None);
    }

    #[test]
    fn parses_special_bits_dirs_and_unknown_owners() {
        let st = stat_of("43ed 1000 1000 4096 1700000001 UNKNOWN UNKNOWN\n");
        assert_eq!((st.kind, st.mode), (FileKind::Directory, 0o1755));
        assert_eq!((st.owner, st.group), (None, None));
        let st = stat_of("89ed 0 50 10 5 root staff\n");
        assert_eq!((st.kind, st.mode, st.group.as_deref()), (FileKind::File, 0o4755, Some("staff")));
        assert_eq!(stat_of("21b6 0 5 0 1 root tty\n").kind, FileKind::Other);
    }

    #[test]
    fn parses_busybox_stat_of_a_link_with_odd_target() {
        // busybox prints the same fields as GNU; readlink adds the target and a newline.
        let st = stat_of("a1ff 0 0 11 1700000000 root root\n/etc/a b\nc\n");
        assert_eq!((st.kind, st.mode), (FileKind::Link, 0o777));
        assert_eq!(st.link_target.as_deref(), Some("/etc/a b\nc"));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_stat(b"stat: cannot stat").is_err());
        assert!(parse_stat(b"zz 0 0 0 0 a b\n").is_err());
    }

    #[test]
    fn ancestors_walk_down() {
        assert_eq!(ancestors("/a/b//c/"), ["/a", "/a/b", "/a/b/c"]);
        assert_eq!(ancestors("x/y"), ["x", "x/y"]);
        assert_eq!(ancestors("/"), ["/"]);
        assert_eq!(ancestors(""), [""]);
    }

    #[test]
    fn run_script_quotes_everything() {
        let mut cmd = Cmd::new(["printf", "%s", "a b; $x"]);
        cmd.chdir = Some("/tmp/it's".into());
        cmd.env = vec![("LANG".into(), "C'".into())];
        let s = run(&cmd).unwrap();
        assert!(s.contains(r"cd -- '/tmp/it'\''s'"), "{s}");
        assert!(s.contains(r"export LANG='C'\'''"), "{s}");
        assert!(s.ends_with("exec printf %s 'a b; $x'"), "{s}");
        cmd.env = vec![("A;B".into(), "1".into())];
        assert_eq!(run(&cmd), Err(ScriptError::EnvName("A;B".into())));
        assert_eq!(run(&Cmd::new(["a\0b"])), Err(ScriptError::Nul));
        assert_eq!(run(&Cmd::default()), Err(ScriptError::Empty));
    }

    #[test]
    fn set_attrs_is_none_when_empty() {
        assert_eq!(set_attrs("/x", &Attrs::default()), None);
        let a = Attrs { mode: Some(0o640), owner: Some("me".into()), group: None };
        assert_eq!(set_attrs("/x y", &a).unwrap(), "chmod 0640 -- '/x y' && chown -h me -- '/x y'");
    }

    #[test]
    fn parses_nul_separated_names() {
        assert_eq!(parse_list(b"b\0a b\0\nx\0"), ["\nx", "a b", "b"]);
        assert!(parse_list(b"").is_empty());
    }
}
