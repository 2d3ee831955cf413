//! The pure parts of `pip`: requirement names with version specifiers, PEP 503 name
//! normalisation, a numeric version compare and `pip list --format=freeze` parsing.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One requested package: its name and the version specifiers (`>=1.0`, `!=2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Req {
    /// The name as written (extras stripped).
    pub name: String,
    /// `(operator, version)` pairs.
    pub specs: Vec<(String, String)>,
}

/// Lowercases and folds `-`, `_` and `.` runs to one `-` (PEP 503).
pub fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Parses `foo`, `foo==1.0`, `foo[extra]>=2,<3`.
pub fn parse_req(s: &str) -> Req {
    let s = s.trim();
    let end = s.find(|c: char| "<>=!~[ ;".contains(c)).unwrap_or(s.len());
    let name = s[..end].to_string();
    let mut rest = &s[end..];
    if let Some(close) = rest.strip_prefix('[').and_then(|r| r.find(']')) {
        rest = &rest[close + 2..];
    }
    let rest = rest.split(';').next().unwrap_or("");
    let specs = rest
        .split(',')
        .filter_map(|p| {
            let p = p.trim();
            let op_len = p.find(|c: char| !"<>=!~".contains(c)).unwrap_or(p.len());
            (op_len > 0).then(|| (p[..op_len].to_string(), p[op_len..].trim().to_string()))
        })
        .collect();
    Req { name, specs }
}

/// Whether `s` names a local path, URL or VCS reference rather than a package name.
pub fn is_path_or_url(s: &str) -> bool {
    s.contains("://") || s.starts_with('/') || s.starts_with('.') || s.contains('+') && s.contains(':')
}

fn parts(v: &str) -> Vec<u64> {
    v.trim()
        .trim_start_matches('v')
        .split('.')
        .map_while(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// Compares release numbers numerically (`1.10 > 1.9`, `1.0 == 1`).
pub fn compare(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (parts(a), parts(b));
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    x.cmp(&y)
}

/// Whether `installed` satisfies one specifier.
pub fn satisfies(installed: &str, op: &str, want: &str) -> bool {
    let prefix = want.strip_suffix(".*");
    let ord = compare(installed, prefix.unwrap_or(want));
    match op {
        "==" | "===" => match prefix {
            Some(p) => {
                let (i, p) = (parts(installed), parts(p));
                i.len() >= p.len() && i[..p.len()] == p[..]
            }
            None => ord == Ordering::Equal,
        },
        "!=" => ord != Ordering::Equal,
        ">=" => ord != Ordering::Less,
        "<=" => ord != Ordering::Greater,
        ">" => ord == Ordering::Greater,
        "<" => ord == Ordering::Less,
        "~=" => {
            let w = parts(want);
            let upper = &w[..w.len().saturating_sub(1)];
            let i = parts(installed);
            ord != Ordering::Less && i.len() >= upper.len() && i[..upper.len()] == upper[..]
        }
        _ => false,
    }
}

/// Parses `name==version` lines into normalised name → version.
pub fn parse_freeze(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once("=="))
        .map(|(n, v)| (normalize(n), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(normalize("Foo_Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize("a--_b"), "a-b");
    }

    #[test]
    fn requirements_parse() {
        assert_eq!(parse_req("foo").specs, vec![]);
        let r = parse_req("foo[x]>=2,<3");
        assert_eq!(r.name, "foo");
        assert_eq!(r.specs, vec![(">=".into(), "2".into()), ("<".into(), "3".into())]);
        assert_eq!(parse_req("foo==1.0").specs, vec![("==".into(), "1.0".into())]);
    }

    #[test]
    fn specifiers_match() {
        assert!(satisfies("1.10", ">=", "1.9"));
        assert!(satisfies("1.0", "==", "1"));
        assert!(!satisfies("1.0", "!=", "1.0.0"));
        assert!(satisfies("2.2.1", "~=", "2.2"));
        assert!(!satisfies("3.0", "~=", "2.2"));
        assert!(satisfies("1.4.2", "==", "1.4.*"));
        assert!(satisfies("1.0", "<=", "1.0"));
    }

    #[test]
    fn freeze_parses() {
        let m = parse_freeze("Foo_Bar==1.0\n-e git+x\npip==24.0\n");
        assert_eq!(m.get("foo-bar").map(String::as_str), Some("1.0"));
        assert_eq!(m.len(), 2);
    }
}
