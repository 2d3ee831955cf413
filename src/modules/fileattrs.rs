//! File attribute helpers shared by `copy`, `template`, `file` and `stat`: Ansible's mode syntax
//! (octal string, integer, symbolic), the "do attributes differ" check, Ansible's backup file
//! names and local-time formatting.
//!
//! TEMPORARY: `parse_mode`, `format_mode`, `attrs`, `attrs_differ` and `backup_name` duplicate
//! what `mode.rs` (lines helper) provides; the integrator unifies them. This file does not talk
//! to hosts except through [`realpath`].

use std::mem::MaybeUninit;

use crate::transport::{Attrs, Cmd, FileKind, FileStat, Transport, TransportError};
use crate::value::{Map, Value};

/// Reads an Ansible `mode` (octal string, integer already in decimal, or symbolic) into
/// permission bits; `current` is the path's present mode, used by symbolic modes.
pub fn parse_mode(v: &Value, current: Option<u32>) -> Result<u32, String> {
    parse_mode_at(v, current, false)
}

/// Like [`parse_mode`], knowing whether the path is a directory (for the symbolic `X`).
pub fn parse_mode_at(v: &Value, current: Option<u32>, is_dir: bool) -> Result<u32, String> {
    let mode = match v {
        Value::Number(n) => {
            n.as_u64().ok_or_else(|| format!("mode must be in octal or symbolic form: {n}"))?
        }
        Value::String(s) => match u64::from_str_radix(s.trim(), 8) {
            Ok(m) => m,
            Err(_) => u64::from(symbolic(s.trim(), current.unwrap_or(0), is_dir)?),
        },
        other => return Err(format!("mode must be in octal or symbolic form: {other}")),
    };
    u32::try_from(mode)
        .ok()
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| format!("Invalid mode supplied, only permission info is allowed: {mode:o}"))
}

/// Applies a comma-separated symbolic mode (`u=rw,g=r,o=`, `a+x`, `g-w`, `o=u`) to `current`.
fn symbolic(spec: &str, current: u32, is_dir: bool) -> Result<u32, String> {
    let mut mode = current;
    for part in spec.split(',') {
        let bad = || format!("mode must be in octal or symbolic form: {spec}");
        let op_at = part.find(['+', '-', '=']).ok_or_else(bad)?;
        let (who, rest) = part.split_at(op_at);
        if !who.chars().all(|c| "ugoa".contains(c)) {
            return Err(bad());
        }
        let (op, perms) = rest.split_at(1);
        let mask = who_mask(if who.is_empty() { "a" } else { who });
        let bits = perm_bits(perms, mode, is_dir).ok_or_else(bad)? & mask;
        mode = match op {
            "+" => mode | bits,
            "-" => mode & !bits,
            _ => (mode & !mask) | bits,
        };
    }
    Ok(mode)
}

/// The bits a `who` list (`u`, `g`, `o`, `a`) may touch.
fn who_mask(who: &str) -> u32 {
    who.chars()
        .map(|c| match c {
            'u' => 0o4700,
            'g' => 0o2070,
            'o' => 0o1007,
            _ => 0o7777,
        })
        .fold(0, |a, b| a | b)
}

/// The bits named by `rwxXst` (for every class) or copied from `u`/`g`/`o`.
fn perm_bits(perms: &str, current: u32, is_dir: bool) -> Option<u32> {
    let copy = |shift: u32| {
        let b = (current >> shift) & 0o7;
        Some(b << 6 | b << 3 | b)
    };
    match perms {
        "u" => return copy(6),
        "g" => return copy(3),
        "o" => return copy(0),
        _ => {}
    }
    perms.chars().try_fold(0, |acc, c| {
        let b = match c {
            'r' => 0o444,
            'w' => 0o222,
            'x' => 0o111,
            'X' if is_dir || current & 0o111 != 0 => 0o111,
            'X' => 0,
            's' => 0o6000,
            't' => 0o1000,
            _ => return None,
        };
        Some(acc | b)
    })
}

/// Formats permission bits the way Ansible's `file`/`copy` results report them ("0644",
/// "04755"; `stat` uses four digits instead).
pub fn format_mode(mode: u32) -> String {
    format!("0{mode:03o}")
}

/// Builds the attributes to enforce from a task's raw `mode`/`owner`/`group`, resolving a
/// symbolic mode against the path's current mode.
pub fn attrs(
    mode: Option<&Value>,
    owner: Option<&str>,
    group: Option<&str>,
    current: Option<&FileStat>,
) -> Result<Attrs, String> {
    let is_dir = current.is_some_and(|s| s.kind == FileKind::Directory);
    let mode = mode.map(|m| parse_mode_at(m, current.map(|s| s.mode), is_dir)).transpose()?;
    Ok(Attrs { mode, owner: owner.map(str::to_string), group: group.map(str::to_string) })
}

/// True when enforcing `want` on a path with `have` would change something.
pub fn attrs_differ(have: &FileStat, want: &Attrs) -> bool {
    want.mode.is_some_and(|m| m != have.mode)
        || want.owner.as_deref().is_some_and(|o| id_differs(o, have.owner.as_deref(), have.uid))
        || want.group.as_deref().is_some_and(|g| id_differs(g, have.group.as_deref(), have.gid))
}

/// Compares a wanted user/group (name or numeric id) with what a path has.
fn id_differs(want: &str, name: Option<&str>, id: u32) -> bool {
    match want.parse::<u32>() {
        Ok(n) => n != id,
        Err(_) => name != Some(want),
    }
}

/// Lines describing the attributes that would change, for a before/after diff.
pub fn attr_diff_lines(have: &FileStat, want: &Attrs) -> (String, String) {
    let (mut before, mut after) = (String::new(), String::new());
    if let Some(m) = want.mode.filter(|m| *m != have.mode) {
        before.push_str(&format!("mode: '{}'\n", format_mode(have.mode)));
        after.push_str(&format!("mode: '{}'\n", format_mode(m)));
    }
    let id = |v: &Option<String>, n: u32| v.clone().unwrap_or_else(|| n.to_string());
    if let Some(o) = want.owner.as_deref().filter(|o| id_differs(o, have.owner.as_deref(), have.uid)) {
        before.push_str(&format!("owner: {}\n", id(&have.owner, have.uid)));
        after.push_str(&format!("owner: {o}\n"));
    }
    if let Some(g) = want.group.as_deref().filter(|g| id_differs(g, have.group.as_deref(), have.gid)) {
        before.push_str(&format!("group: {}\n", id(&have.group, have.gid)));
        after.push_str(&format!("group: {g}\n"));
    }
    (before, after)
}

/// serde helper for Ansible `str` parameters such as `owner: 1000`: numbers and booleans
/// become text the way Python's `str()` writes them.
pub fn de_opt_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match <Value as serde::Deserialize>::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Bool(b) => Some(if b { "True" } else { "False" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => return Err(serde::de::Error::custom(format!("expected a string, got {other}"))),
    })
}

/// Ansible's `add_path_info` result fields for a path: state, mode, owner, group, uid, gid, size.
pub fn path_fields(s: &FileStat) -> Map {
    let state = match s.kind {
        FileKind::Directory => "directory",
        FileKind::Link => "link",
        FileKind::File | FileKind::Other => "file",
    };
    let mut m = Map::new();
    m.insert("state".into(), state.into());
    m.insert("mode".into(), format_mode(s.mode).into());
    m.insert("owner".into(), s.owner.clone().unwrap_or_else(|| s.uid.to_string()).into());
    m.insert("group".into(), s.group.clone().unwrap_or_else(|| s.gid.to_string()).into());
    m.insert("uid".into(), s.uid.into());
    m.insert("gid".into(), s.gid.into());
    m.insert("size".into(), s.size.into());
    m
}

/// A placeholder stat for a path about to be created (root-owned, mode 0), for resolving
/// symbolic modes; callers set the mode they assume.
pub fn new_stat(kind: FileKind) -> FileStat {
    FileStat { kind, mode: 0, uid: 0, gid: 0, owner: None, group: None, size: 0, mtime: 0, link_target: None }
}

/// Ansible's backup name (`backup_local`): `<path>.<pid>.<YYYY-MM-DD@HH:MM:SS~>` in local time.
pub fn backup_name(path: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let t = LocalTime::at(now);
    format!(
        "{path}.{}.{:04}-{:02}-{:02}@{:02}:{:02}:{:02}~",
        std::process::id(),
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second
    )
}

/// A broken-down local time (the control node's time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// Full year.
    pub year: i32,
    /// 1-12.
    pub month: u32,
    /// 1-31.
    pub day: u32,
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
    /// 0-60.
    pub second: u32,
}

impl LocalTime {
    /// Converts seconds since the epoch to local time (UTC if the conversion fails).
    pub fn at(secs: i64) -> LocalTime {
        let t = secs as nix::libc::time_t;
        let mut tm = MaybeUninit::<nix::libc::tm>::zeroed();
        // SAFETY: `t` and `tm` are valid for the call; localtime_r is thread-safe and only writes
        // into `tm`, which is zero-initialised (a valid `tm`) even if the call fails.
        let tm = unsafe {
            nix::libc::localtime_r(&t, tm.as_mut_ptr());
            tm.assume_init()
        };
        let u = |v: nix::libc::c_int| u32::try_from(v).unwrap_or(0);
        LocalTime {
            year: tm.tm_year + 1900,
            month: u(tm.tm_mon + 1),
            day: u(tm.tm_mday),
            hour: u(tm.tm_hour),
            minute: u(tm.tm_min),
            second: u(tm.tm_sec),
        }
    }
}

/// The canonical path of `path` on the host (`readlink -f`), for operating on a link's target.
pub fn realpath(host: &dyn Transport, path: &str) -> Result<String, TransportError> {
    let out = host.run(&Cmd::new(["readlink", "-f", "--", path]))?;
    let resolved = String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_string();
    if out.rc != 0 || resolved.is_empty() {
        return Err(TransportError::io("readlink", path, String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(resolved)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stat(mode: u32) -> FileStat {
        FileStat {
            kind: FileKind::File,
            mode,
            uid: 0,
            gid: 0,
            owner: Some("root".into()),
            group: Some("root".into()),
            size: 0,
            mtime: 0,
            link_target: None,
        }
    }

    #[test]
    fn octal_and_integer_modes() {
        assert_eq!(parse_mode(&json!("0644"), None), Ok(0o644));
        assert_eq!(parse_mode(&json!("755"), None), Ok(0o755));
        assert_eq!(parse_mode(&json!(420), None), Ok(0o644));
        assert_eq!(parse_mode(&json!("01777"), None), Ok(0o1777));
        assert!(parse_mode(&json!("0o99"), None).is_err());
        assert!(parse_mode(&json!(70000), None).is_err());
    }

    #[test]
    fn symbolic_modes() {
        assert_eq!(parse_mode(&json!("u=rw,g=r,o=r"), Some(0o777)), Ok(0o644));
        assert_eq!(parse_mode(&json!("u+x"), Some(0o644)), Ok(0o744));
        assert_eq!(parse_mode(&json!("a-w"), Some(0o664)), Ok(0o444));
        assert_eq!(parse_mode(&json!("go="), Some(0o755)), Ok(0o700));
        assert_eq!(parse_mode(&json!("+x"), Some(0o600)), Ok(0o711));
        assert_eq!(parse_mode(&json!("g=u"), Some(0o640)), Ok(0o660));
        assert_eq!(parse_mode(&json!("u+s"), Some(0o755)), Ok(0o4755));
        assert_eq!(parse_mode_at(&json!("a+X"), Some(0o600), true), Ok(0o711));
        assert_eq!(parse_mode_at(&json!("a+X"), Some(0o600), false), Ok(0o600));
        assert!(parse_mode(&json!("z+x"), Some(0)).is_err());
    }

    #[test]
    fn mode_formatting() {
        assert_eq!(format_mode(0o644), "0644");
        assert_eq!(format_mode(0o4755), "04755");
    }

    #[test]
    fn attribute_comparison() {
        let have = stat(0o644);
        let want = attrs(Some(&json!("0644")), Some("root"), Some("0"), Some(&have)).unwrap();
        assert!(!attrs_differ(&have, &want));
        let want = attrs(Some(&json!("0600")), None, None, Some(&have)).unwrap();
        assert!(attrs_differ(&have, &want));
        assert_eq!(attr_diff_lines(&have, &want), ("mode: '0644'\n".into(), "mode: '0600'\n".into()));
        let want = attrs(None, Some("nobody"), None, Some(&have)).unwrap();
        assert!(attrs_differ(&have, &want));
    }

    #[test]
    fn backup_name_shape() {
        let name = backup_name("/etc/x.conf");
        let rest = name.strip_prefix(&format!("/etc/x.conf.{}.", std::process::id())).unwrap();
        assert_eq!(rest.len(), "2024-01-02@03:04:05~".len());
        assert_eq!(&rest[10..11], "@");
        assert!(rest.ends_with('~'));
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
}
