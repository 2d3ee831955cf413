//! Ansible's text filters: regular expressions (Python `re` syntax as far as the `regex` crate
//! allows), base64, hashes, shell quoting, Python's `str.split` and `os.path` helpers.
//! Not here: lookaround and backreferences inside patterns (the `regex` crate has neither),
//! `realpath`, `password_hash`.

use std::fmt::Write;

use base64::Engine;
use minijinja::value::{Kwargs, Rest, Tuple, ValueKind};
use minijinja::{Environment, Error, Value};
use regex::{Captures, Regex};

use super::filters::filter_error;
use super::pyrepr::py_str;

/// Registers the text filters.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", |s: &Value| regex_escape(&py_str(s)));
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
}

/// Compiles a Python regular expression with Ansible's `ignorecase`/`multiline` flags.
pub(crate) fn py_regex(pattern: &str, ignorecase: bool, multiline: bool) -> Result<Regex, Error> {
    let mut flags = String::new();
    if ignorecase {
        flags.push_str("(?i)");
    }
    if multiline {
        flags.push_str("(?m)");
    }
    // Python's `\Z` is the regex crate's `\z`.
    let translated = pattern.replace("\\Z", "\\z");
    Regex::new(&format!("{flags}{translated}")).map_err(|e| {
        filter_error(format!(
            "invalid regular expression '{pattern}' (lookaround and backreferences are not supported): {e}"
        ))
    })
}

/// Reads the `ignorecase` and `multiline` keyword arguments.
pub(crate) fn regex_flags(kwargs: &Kwargs) -> Result<(bool, bool), Error> {
    Ok((
        kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false),
        kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false),
    ))
}

/// `regex_replace(pattern, replacement, ignorecase=False, multiline=False, count=0,
/// mandatory_count=0)`: Python's `re.subn`.
fn regex_replace(value: &Value, pattern: &str, repl: Option<&str>, kwargs: Kwargs) -> Result<String, Error> {
    let (ic, ml) = regex_flags(&kwargs)?;
    let count = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    let mandatory = kwargs.get::<Option<usize>>("mandatory_count")?.unwrap_or(0);
    kwargs.assert_all_used()?;
    let text = py_str(value);
    let re = py_regex(pattern, ic, ml)?;
    let template = parse_replacement(repl.unwrap_or(""))?;
    let (out, subs) = substitute(&re, &text, &template, count);
    if mandatory != 0 && mandatory != subs {
        return Err(filter_error(format!(
            "'{pattern}' should match {mandatory} times, but matches {subs} times in '{text}'"
        )));
    }
    Ok(out)
}

/// One piece of a Python replacement template.
#[derive(Debug, PartialEq)]
enum ReplPart {
    Lit(String),
    Group(String),
}

/// Parses Python's replacement syntax: `\1`, `\g<1>`, `\g<name>`, `\n`, `\\`.
fn parse_replacement(repl: &str) -> Result<Vec<ReplPart>, Error> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            lit.push(c);
            continue;
        }
        let group = match chars.next() {
            Some(d @ '0'..='9') => {
                let mut n = d.to_string();
                if let Some(d2) = chars.next_if(|c| c.is_ascii_digit()) {
                    n.push(d2);
                }
                n
            }
            Some('g') => {
                if chars.next() != Some('<') {
                    return Err(filter_error("bad replacement: missing < after \\g"));
                }
                let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                name
            }
            Some(e) => {
                match escape_char(e) {
                    Some(c) => lit.push(c),
                    None => {
                        lit.push('\\');
                        lit.push(e);
                    }
                }
                continue;
            }
            None => return Err(filter_error("bad escape (end of pattern) in replacement")),
        };
        if !lit.is_empty() {
            parts.push(ReplPart::Lit(std::mem::take(&mut lit)));
        }
        parts.push(ReplPart::Group(group));
    }
    if !lit.is_empty() {
        parts.push(ReplPart::Lit(lit));
    }
    Ok(parts)
}

/// The character a Python string escape (`\n`, `\t`, ...) stands for.
fn escape_char(e: char) -> Option<char> {
    Some(match e {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'a' => '\u{7}',
        'f' => '\u{c}',
        'v' => '\u{b}',
        'b' => '\u{8}',
        '\\' => '\\',
        _ => return None,
    })
}

fn expand(caps: &Captures, template: &[ReplPart], out: &mut String) {
    for part in template {
        match part {
            ReplPart::Lit(s) => out.push_str(s),
            ReplPart::Group(g) => {
                let m = match g.parse::<usize>() {
                    Ok(i) => caps.get(i),
                    Err(_) => caps.name(g),
                };
                out.push_str(m.map_or("", |m| m.as_str()));
            }
        }
    }
}

/// Replaces up to `count` matches (0 = all); returns the text and the number of replacements.
fn substitute(re: &Regex, text: &str, template: &[ReplPart], count: usize) -> (String, usize) {
    let mut out = String::new();
    let mut last = 0;
    let mut subs = 0;
    for caps in re.captures_iter(text) {
        if count != 0 && subs == count {
            break;
        }
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&text[last..m.start()]);
        expand(&caps, template, &mut out);
        last = m.end();
        subs += 1;
    }
    out.push_str(&text[last..]);
    (out, subs)
}

/// `regex_search(pattern, '\\1', '\\g<name>', ignorecase=, multiline=)`: the match, the listed
/// groups, or `None`.
fn regex_search(value: &Value, pattern: &str, groups: Rest<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let (ic, ml) = regex_flags(&kwargs)?;
    kwargs.assert_all_used()?;
    let text = py_str(value);
    let re = py_regex(pattern, ic, ml)?;
    let Some(caps) = re.captures(&text) else { return Ok(Value::from(())) };
    if groups.is_empty() {
        return Ok(Value::from(caps.get(0).map_or("", |m| m.as_str())));
    }
    let mut out = Vec::new();
    for g in groups.iter() {
        let name = g
            .strip_prefix("\\g<")
            .and_then(|n| n.strip_suffix('>'))
            .or_else(|| g.strip_prefix('\\'))
            .ok_or_else(|| filter_error("Unknown argument"))?;
        let m = match name.parse::<usize>() {
            Ok(i) => caps.get(i),
            Err(_) => caps.name(name),
        };
        out.push(m.map_or(Value::from(()), |m| Value::from(m.as_str())));
    }
    Ok(Value::from(out))
}

/// `regex_findall(pattern, multiline=, ignorecase=)`: Python's `re.findall` (whole matches,
/// the one group, or lists of all groups).
fn regex_findall(value: &Value, pattern: &str, kwargs: Kwargs) -> Result<Value, Error> {
    let (ic, ml) = regex_flags(&kwargs)?;
    kwargs.assert_all_used()?;
    let text = py_str(value);
    let re = py_regex(pattern, ic, ml)?;
    let ngroups = re.captures_len() - 1;
    let group = |caps: &Captures, i: usize| Value::from(caps.get(i).map_or("", |m| m.as_str()));
    let found = re.captures_iter(&text).map(|caps| match ngroups {
        0 => group(&caps, 0),
        1 => group(&caps, 1),
        n => Value::from_object(Tuple::from((1..=n).map(|i| group(&caps, i)).collect::<Vec<_>>())),
    });
    Ok(Value::from(found.collect::<Vec<_>>()))
}

/// Python's `re.escape`: backslash before the characters special in patterns.
pub fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\\t"),
            '\n' => out.push_str("\\\n"),
            c if "()[]{}?*+-|^$\\.&~# \r\u{b}\u{c}".contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
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
    if let Some(dot) = p.rfind('.').filter(|d| *d >= sep) {
        if p[sep..dot].chars().any(|c| c != '.') {
            return (&p[..dot], &p[dot..]);
        }
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
    fn replacement_templates() {
        let re = py_regex(r"(?P<k>\w+)=(\w+)", false, false).unwrap();
        let t = parse_replacement(r"\2:\g<k>\n\\$1").unwrap();
        assert_eq!(substitute(&re, "a=1 b=2", &t, 0).0, "1:a\n\\$1 2:b\n\\$1");
        assert_eq!(substitute(&re, "a=1 b=2", &t, 1), ("1:a\n\\$1 b=2".to_string(), 1));
    }

    #[test]
    fn python_helpers() {
        assert_eq!(shell_quote("a b'c"), "'a b'\"'\"'c'");
        assert_eq!(shell_quote("/x/y-1.2"), "/x/y-1.2");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(regex_escape("a.b*c d"), "a\\.b\\*c\\ d");
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
    fn expanduser_uses_home() {
        let home = std::env::var("HOME").unwrap();
        assert_eq!(expanduser("~/x"), format!("{}/x", home.trim_end_matches('/')));
        assert_eq!(expanduser("/x/~"), "/x/~");
    }
}
