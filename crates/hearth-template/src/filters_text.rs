//! Ansible's text filters: base64, hashes, shell quoting, Python's `str.split` and `os.path`
//! helpers. Not here: regular expressions (`filters_regex.rs`), `realpath`, `password_hash`.

use std::fmt::Write;

use base64::Engine;
use minijinja::value::{Tuple, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filter_support::filter_error;
use super::pyrepr::py_str;

/// Registers the text filters.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("b64encode", |s: &Value| base64::engine::general_purpose::STANDARD.encode(py_str(s)));
    env.add_filter("b64decode", b64decode);
    env.add_filter("hash", |s: &Value, kind: Option<&str>| hash(&py_str(s), kind.unwrap_or("sha1")));
    env.add_filter("md5", |s: &Value| hash(&py_str(s), "md5"));
    env.add_filter("sha1", |s: &Value| hash(&py_str(s), "sha1"));
    env.add_filter("checksum", |s: &Value| hash(&py_str(s), "sha1"));
    env.add_filter("quote", |s: &Value| shell_quote(&if s.is_none() { String::new() } else { py_str(s) }));
    env.add_filter("split", split);
    env.add_filter("basename", |p: &str| basename(p).to_string());
    env.add_filter("dirname", |p: &str| dirname(p));
    env.add_filter("splitext", |p: &str| {
        let (root, ext) = splitext(p);
        Value::from_object(Tuple::from(vec![Value::from(root), Value::from(ext)]))
    });
    env.add_filter("expanduser", |p: &str| expanduser(p));
    env.add_filter("path_join", path_join);
    env.add_filter("realpath", |p: &Value| realpath(&py_str(p)));
}

/// Python's `base64.b64decode` (non-alphabet characters ignored), decoded as UTF-8.
fn b64decode(s: &str) -> Result<String, Error> {
    let clean: String = s.chars().filter(|c| c.is_ascii_alphanumeric() || "+/=".contains(*c)).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| filter_error(format!("b64decode: {e}")))?;
    String::from_utf8(bytes).map_err(|e| filter_error(format!("b64decode: result is not UTF-8: {e}")))
}

/// `hash(kind)`: the hex digest of the text's UTF-8 bytes.
pub fn hash(s: &str, kind: &str) -> Result<String, Error> {
    use sha2::Digest;
    let bytes = s.as_bytes();
    let digest: Vec<u8> = match kind {
        "md5" => md5::Md5::digest(bytes).to_vec(),
        "sha1" => sha1::Sha1::digest(bytes).to_vec(),
        "sha224" => sha2::Sha224::digest(bytes).to_vec(),
        "sha256" => sha2::Sha256::digest(bytes).to_vec(),
        "sha384" => sha2::Sha384::digest(bytes).to_vec(),
        "sha512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return Err(filter_error(format!(
                "unsupported hash type {other}: supported are md5, sha1, sha224, sha256, sha384, sha512"
            )));
        }
    };
    Ok(digest.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    }))
}

/// Python's `shlex.quote`.
pub fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// Python's `str.split(sep=None, maxsplit=-1)`: whitespace runs when no separator is given.
fn split(v: &Value, sep: Option<Value>, maxsplit: Option<i64>) -> Result<Value, Error> {
    let s = py_str(v);
    let max = maxsplit.filter(|m| *m >= 0).map(|m| m as usize + 1).unwrap_or(usize::MAX);
    let parts: Vec<Value> = match sep.as_ref().filter(|s| !s.is_none()).map(py_str) {
        Some(sep) if sep.is_empty() => return Err(filter_error("split: empty separator")),
        Some(sep) => s.splitn(max, sep.as_str()).map(Value::from).collect(),
        None => split_whitespace(&s, max).into_iter().map(Value::from).collect(),
    };
    Ok(Value::from(parts))
}

fn split_whitespace(s: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if parts.len() + 1 == max {
            parts.push(rest.trim_end().to_string());
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        parts.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    parts
}

/// Python's `os.path.basename`.
pub fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Python's `os.path.dirname`: trailing slashes dropped unless the head is all slashes.
pub fn dirname(p: &str) -> String {
    let head = &p[..p.rfind('/').map_or(0, |i| i + 1)];
    if !head.is_empty() && head.chars().any(|c| c != '/') {
        head.trim_end_matches('/').to_string()
    } else {
        head.to_string()
    }
}

/// Python's `os.path.splitext`: leading dots of the file name are not an extension.
pub fn splitext(p: &str) -> (&str, &str) {
    let sep = p.rfind('/').map_or(0, |i| i + 1);
    if let Some(dot) = p.rfind('.').filter(|d| *d >= sep)
        && p[sep..dot].chars().any(|c| c != '.')
    {
        return (&p[..dot], &p[dot..]);
    }
    (p, "")
}

/// Python's `os.path.expanduser` on the control node.
pub fn expanduser(p: &str) -> String {
    let Some(rest) = p.strip_prefix('~') else { return p.to_string() };
    let (user, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let home = if user.is_empty() {
        std::env::var("HOME").ok()
    } else {
        nix::unistd::User::from_name(user).ok().flatten().map(|u| u.dir.to_string_lossy().into_owned())
    };
    match home {
        Some(h) => {
            let joined = format!("{}{tail}", h.trim_end_matches('/'));
            if joined.is_empty() { "/".to_string() } else { joined }
        }
        None => p.to_string(),
    }
}

/// Python's `os.path.realpath` on the control node: absolute (from the current directory),
/// symbolic links resolved, `.` and `..` removed; parts that do not exist are kept as written.
pub fn realpath(p: &str) -> String {
    let path = std::path::Path::new(p);
    let abs = match std::env::current_dir() {
        Ok(cwd) if !path.is_absolute() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    resolve(&abs, 0).to_string_lossy().into_owned()
}

/// Resolves an absolute path one component at a time; `depth` bounds link chains (a loop
/// leaves the rest unresolved, as Python does).
fn resolve(abs: &std::path::Path, depth: usize) -> std::path::PathBuf {
    use std::path::{Component, PathBuf};
    let mut out = PathBuf::from("/");
    for comp in abs.components() {
        match comp {
            Component::Normal(c) => {
                out.push(c);
                if depth < 40
                    && let Ok(target) = std::fs::read_link(&out)
                {
                    out.pop();
                    out = resolve(&out.join(target), depth + 1);
                }
            }
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Python's `os.path.join` over a list (or one string).
fn path_join(paths: &Value) -> Result<String, Error> {
    if paths.kind() == ValueKind::String {
        return Ok(py_str(paths));
    }
    let mut out = String::new();
    for part in paths.try_iter()? {
        let part = py_str(&part);
        if part.starts_with('/') {
            out = part;
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(&part);
        } else {
            out.push('/');
            out.push_str(&part);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_helpers() {
        assert_eq!(shell_quote("a b'c"), "'a b'\"'\"'c'");
        assert_eq!(shell_quote("/x/y-1.2"), "/x/y-1.2");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(basename("/a/b.txt"), "b.txt");
        assert_eq!(dirname("/a/b/"), "/a/b");
        assert_eq!(dirname("/a"), "/");
        assert_eq!(dirname("a"), "");
        assert_eq!(splitext("/a/b.tar.gz"), ("/a/b.tar", ".gz"));
        assert_eq!(splitext("/a/.bashrc"), ("/a/.bashrc", ""));
        assert_eq!(split_whitespace("  a  b c ", usize::MAX), ["a", "b", "c"]);
        assert_eq!(split_whitespace("a b c", 2), ["a", "b c"]);
        assert_eq!(hash("hello", "md5").unwrap(), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn realpath_like_python() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink("real", root.join("link")).unwrap();
        let r = root.display();
        assert_eq!(realpath(&format!("{r}/link/../link/x//y/./z")), format!("{r}/real/x/y/z"));
        assert_eq!(realpath("/tmp/../etc//hostname"), "/etc/hostname");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(realpath("relative/x"), format!("{}/relative/x", cwd.display()));
    }

    #[test]
    fn expanduser_uses_home() {
        let home = std::env::var("HOME").unwrap();
        assert_eq!(expanduser("~/x"), format!("{}/x", home.trim_end_matches('/')));
        assert_eq!(expanduser("/x/~"), "/x/~");
    }
}
