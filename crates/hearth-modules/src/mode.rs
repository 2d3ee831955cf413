//! File permission and ownership parameters shared by every module that manages a file
//! (`mode`, `owner`, `group`), read exactly the way Ansible reads them: an int is used as-is
//! (so an unquoted YAML `644` is decimal 644 = 0o1204, Ansible's famous pitfall), a string is
//! octal (`"0644"`, `"644"`, `"0o644"`) or symbolic (`"u=rw,g=r,o="`, `"u+x,go-w"`, `"a+rX"`)
//! relative to the current mode. Also the attribute comparison, Ansible's attribute diff dicts
//! and path result fields built from a stat. It does not touch the host; callers stat and apply.

use std::collections::BTreeMap;

use hearth_formats::value::{Map, Value};
use hearth_transport::{Attrs, FileKind, FileStat};

/// The umask Ansible's symbolic modes assume for an empty "who" (`+x`, `=rw`); the host's real
/// umask is not queried (Debian's default).
pub const UMASK: u32 = 0o022;

/// Mode a new file gets before `mode` is applied (0666 & ~umask), the base for symbolic modes.
pub const NEW_FILE_MODE: u32 = 0o644;

/// Mode a new directory gets before `mode` is applied (0777 & ~umask).
pub const NEW_DIR_MODE: u32 = 0o755;

const MSG_FORM: &str = "mode must be in octal or symbolic form";
const MSG_RANGE: &str = "Invalid mode supplied, only permission info is allowed";

/// Reads a file's `mode` parameter; `current` is the file's mode (None: a new file).
pub fn parse_mode(v: &Value, current: Option<u32>) -> Result<u32, String> {
    parse_mode_at(v, current, false)
}

/// Reads a `mode` parameter for a file or directory (`X` adds execute on directories).
pub fn parse_mode_at(v: &Value, current: Option<u32>, is_dir: bool) -> Result<u32, String> {
    let base = current.unwrap_or(if is_dir { NEW_DIR_MODE } else { NEW_FILE_MODE });
    let mode = match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| format!("{MSG_FORM}: {n}"))?,
        Value::String(s) => match python_octal(s) {
            Some(m) => m,
            None => i64::from(symbolic(s, base, is_dir).map_err(|e| format!("{MSG_FORM}: {e}"))?),
        },
        other => return Err(format!("{MSG_FORM}: {other}")),
    };
    u32::try_from(mode).ok().filter(|m| m & !0o7777 == 0).ok_or_else(|| format!("{MSG_RANGE}: {mode}"))
}

/// Formats a mode the way Ansible reports it: `"0644"`, `"04755"`.
pub fn format_mode(m: u32) -> String {
    format!("0{m:03o}")
}

/// Python's `int(s, 8)`: optional sign, optional `0o` prefix, octal digits with single `_`.
fn python_octal(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (t, prefixed) = match t.get(..2) {
        Some("0o" | "0O") => (&t[2..], true),
        _ => (t, false),
    };
    let digits = if prefixed { t.strip_prefix('_').unwrap_or(t) } else { t };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if !clean.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let n = i64::from_str_radix(&clean, 8).ok()?;
    Some(if neg { -n } else { n })
}

/// chmod-style symbolic modes, applied clause by clause to `base` like Ansible does.
fn symbolic(s: &str, base: u32, is_dir: bool) -> Result<u32, String> {
    let mut mode = base;
    for clause in s.split(',') {
        let bad = || format!("bad symbolic permission for mode: {clause}");
        let first_op = clause.find(['+', '-', '=']).unwrap_or(clause.len());
        let users = &clause[..first_op];
        let use_umask = users.is_empty();
        let users = if users.is_empty() || users == "a" { "ugo" } else { users };
        if !users.bytes().all(|b| matches!(b, b'u' | b'g' | b'o')) {
            return Err(bad());
        }
        let mut rest = &clause[first_op..];
        while let Some(op) = rest.chars().next() {
            let body = &rest[1..];
            let end = body.find(['+', '-', '=']).unwrap_or(body.len());
            let perms = &body[..end];
            if !perms.bytes().all(|b| b"rwxXstugo".contains(&b)) {
                return Err(bad());
            }
            for who in users.chars() {
                let bits = perm_bits(mode, is_dir, who, perms, use_umask);
                mode = apply_op(who, op, bits, mode);
            }
            rest = &body[end..];
        }
    }
    Ok(mode)
}

/// The bits `perms` stand for, for one of `u`, `g`, `o` (Ansible's
/// `_get_octal_mode_from_symbolic_perms`).
fn perm_bits(prev: u32, is_dir: bool, who: char, perms: &str, use_umask: bool) -> u32 {
    let shift = match who {
        'u' => 6,
        'g' => 3,
        _ => 0,
    };
    let allowed = if use_umask { !UMASK & 0o777 } else { 0o777 };
    let apply_x = is_dir || prev & 0o111 != 0;
    perms.chars().fold(0, |acc, p| {
        acc | match p {
            'r' => (0o4 << shift) & allowed,
            'w' => (0o2 << shift) & allowed,
            'x' => (0o1 << shift) & allowed,
            'X' if apply_x => 0o1 << shift,
            's' if who == 'u' => 0o4000,
            's' if who == 'g' => 0o2000,
            't' if who == 'o' => 0o1000,
            'u' => ((prev >> 6) & 0o7) << shift,
            'g' => ((prev >> 3) & 0o7) << shift,
            'o' => (prev & 0o7) << shift,
            _ => 0,
        }
    })
}

fn apply_op(who: char, op: char, bits: u32, mode: u32) -> u32 {
    match op {
        '=' => {
            let mask = match who {
                'u' => 0o4700,
                'g' => 0o2070,
                _ => 0o1007,
            };
            (mode & !mask & 0o7777) | bits
        }
        '+' => mode | bits,
        _ => mode & !bits,
    }
}

/// Turns the `mode`/`owner`/`group` parameters into what to enforce on a path, resolving a
/// symbolic mode against `current` (None: the file is about to be created).
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

/// True when applying `attrs` to a path with this `stat` would change something.
pub fn attrs_differ(stat: &FileStat, attrs: &Attrs) -> bool {
    let mode = attrs.mode.is_some_and(|m| m != stat.mode);
    let owner = attrs.owner.as_deref().is_some_and(|o| !same_id(o, stat.owner.as_deref(), stat.uid));
    let group = attrs.group.as_deref().is_some_and(|g| !same_id(g, stat.group.as_deref(), stat.gid));
    mode || owner || group
}

/// True when a wanted user/group (name or numeric id) is the current one.
fn same_id(wanted: &str, name: Option<&str>, id: u32) -> bool {
    name == Some(wanted) || wanted.parse::<u32>().ok() == Some(id)
}

/// One side of an Ansible diff dict (`path`, `state`, `mode`, ...), sorted like Ansible's output.
pub type DiffMap = BTreeMap<&'static str, String>;

/// The attributes that would change, as Ansible's before/after diff dict entries (`mode`,
/// `owner`, `group`). Owners and groups are shown as names, where Ansible shows numeric ids.
pub fn attrs_diff_maps(stat: &FileStat, attrs: &Attrs) -> (DiffMap, DiffMap) {
    let (mut before, mut after) = (DiffMap::new(), DiffMap::new());
    if let Some(m) = attrs.mode.filter(|m| *m != stat.mode) {
        before.insert("mode", format_mode(stat.mode));
        after.insert("mode", format_mode(m));
    }
    if let Some(o) = attrs.owner.as_deref().filter(|o| !same_id(o, stat.owner.as_deref(), stat.uid)) {
        before.insert("owner", stat.owner.clone().unwrap_or_else(|| stat.uid.to_string()));
        after.insert("owner", o.to_string());
    }
    if let Some(g) = attrs.group.as_deref().filter(|g| !same_id(g, stat.group.as_deref(), stat.gid)) {
        before.insert("group", stat.group.clone().unwrap_or_else(|| stat.gid.to_string()));
        after.insert("group", g.to_string());
    }
    (before, after)
}

/// Before/after texts of the attributes that would change, serialized like Ansible's callback
/// serializes its attribute diffs; None when nothing changes.
pub fn attrs_diff_text(stat: &FileStat, attrs: &Attrs) -> Option<(String, String)> {
    let (before, after) = attrs_diff_maps(stat, attrs);
    if before.is_empty() {
        return None;
    }
    Some((serialize_diff(&before), serialize_diff(&after)))
}

/// A diff dict as Ansible's callback prints it (`_serialize_diff`: sorted JSON, 4-space indent,
/// trailing newline).
pub fn serialize_diff(m: &DiffMap) -> String {
    if m.is_empty() {
        return "{}\n".into();
    }
    let body: Vec<String> =
        m.iter().map(|(k, v)| format!("    {}: {}", Value::from(*k), Value::from(v.as_str()))).collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(v: Value, cur: u32) -> Result<u32, String> {
        parse_mode(&v, Some(cur))
    }

    #[test]
    fn octal_strings_and_ints() {
        let cases: &[(Value, u32)] = &[
            (json!("0644"), 0o644),
            (json!("644"), 0o644),
            (json!("0o644"), 0o644),
            (json!("0O755"), 0o755),
            (json!(" 0600 "), 0o600),
            (json!("04755"), 0o4755),
            (json!("6_44"), 0o644),
            (json!(420), 0o644),
            (json!(644), 644),
            (json!(0), 0),
        ];
        for (v, want) in cases {
            assert_eq!(p(v.clone(), 0o600), Ok(*want), "{v}");
        }
    }

    #[test]
    fn symbolic_modes() {
        let cases: &[(&str, u32, u32)] = &[
            ("u=rw,g=r,o=", 0o777, 0o640),
            ("u=rw,g=r,o=r", 0o000, 0o644),
            ("u+x,go-w", 0o666, 0o744),
            ("a+r", 0o200, 0o644),
            ("+x", 0o644, 0o755),
            ("=rw", 0o000, 0o644),
            ("a+X", 0o644, 0o644),
            ("a+X", 0o744, 0o755),
            ("g=u", 0o740, 0o770),
            ("u+s", 0o755, 0o4755),
            ("o+t", 0o755, 0o1755),
            ("u=rwx,g=rx,o=rx", 0o4644, 0o755),
            ("ug=rw-x+r", 0o777, 0o667),
            ("u", 0o640, 0o640),
        ];
        for (s, cur, want) in cases {
            assert_eq!(p(json!(s), *cur), Ok(*want), "{s} on {cur:o}");
        }
    }

    #[test]
    fn symbolic_new_file_and_directory() {
        assert_eq!(parse_mode(&json!("u+x"), None), Ok(0o744));
        assert_eq!(parse_mode_at(&json!("a+X"), Some(0o644), true), Ok(0o755));
    }

    #[test]
    fn bad_modes() {
        for v in
            [json!("rw"), json!("u=rwq"), json!("z+x"), json!(-1), json!(0o17777), json!(1.5), json!("-644")]
        {
            assert!(p(v.clone(), 0o644).is_err(), "{v}");
        }
        assert!(p(json!("rw"), 0).unwrap_err().starts_with("mode must be in octal or symbolic form"));
    }

    #[test]
    fn format() {
        assert_eq!(format_mode(0o644), "0644");
        assert_eq!(format_mode(0o4755), "04755");
        assert_eq!(format_mode(0o7), "0007");
    }

    fn stat(mode: u32) -> FileStat {
        FileStat {
            kind: FileKind::File,
            mode,
            uid: 1000,
            gid: 1000,
            owner: Some("pi".into()),
            group: Some("pi".into()),
            size: 0,
            mtime: 0,
            link_target: None,
        }
    }

    #[test]
    fn attrs_compare_names_and_ids() {
        let st = stat(0o644);
        let a = attrs(Some(&json!("0644")), Some("pi"), Some("1000"), Some(&st)).unwrap();
        assert!(!attrs_differ(&st, &a));
        assert_eq!(attrs_diff_text(&st, &a), None);
        let a = attrs(Some(&json!("g+w")), Some("root"), None, Some(&st)).unwrap();
        assert_eq!(a.mode, Some(0o664));
        assert!(attrs_differ(&st, &a));
        let (before, after) = attrs_diff_text(&st, &a).unwrap();
        assert_eq!(before, "{\n    \"mode\": \"0644\",\n    \"owner\": \"pi\"\n}\n");
        assert_eq!(after, "{\n    \"mode\": \"0664\",\n    \"owner\": \"root\"\n}\n");
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
    fn symbolic_modes_on_files_and_directories() {
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
    fn attribute_comparison_with_root_owner() {
        let have = FileStat {
            owner: Some("root".into()),
            group: Some("root".into()),
            uid: 0,
            gid: 0,
            ..stat(0o644)
        };
        let want = attrs(Some(&json!("0644")), Some("root"), Some("0"), Some(&have)).unwrap();
        assert!(!attrs_differ(&have, &want));
        let want = attrs(Some(&json!("0600")), None, None, Some(&have)).unwrap();
        assert!(attrs_differ(&have, &want));
        assert_eq!(
            attrs_diff_text(&have, &want),
            Some(("{\n    \"mode\": \"0644\"\n}\n".into(), "{\n    \"mode\": \"0600\"\n}\n".into()))
        );
        let want = attrs(None, Some("nobody"), None, Some(&have)).unwrap();
        assert!(attrs_differ(&have, &want));
    }

    #[test]
    fn empty_diff_dict() {
        assert_eq!(serialize_diff(&DiffMap::new()), "{}\n");
    }
}
