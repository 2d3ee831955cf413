//! `find`'s name, age and size parameters: Python `fnmatch` globs as regexes, Python regexes
//! matched from the start, and the `2d`/`10k` unit syntax. Pure; no host access.

use crate::module::ModuleError;
use hearth_formats::pyre;
use hearth_formats::pyre::{PyRegex, Syntax};

/// `2d` → 172800 (`s`, `m`, `h`, `d`, `w`; seconds bare), negative allowed.
pub fn parse_age(s: &str) -> Option<i64> {
    parse_unit(s, &[('s', 1), ('m', 60), ('h', 3600), ('d', 86400), ('w', 604800)])
}

/// `10k` → 10240 (`b`, `k`, `m`, `g`, `t`; bytes bare), negative allowed.
pub fn parse_size(s: &str) -> Option<i64> {
    parse_unit(s, &[('b', 1), ('k', 1 << 10), ('m', 1 << 20), ('g', 1 << 30), ('t', 1 << 40)])
}

fn parse_unit(s: &str, units: &[(char, i64)]) -> Option<i64> {
    let s = s.to_ascii_lowercase();
    let (num, mult) = match units.iter().find(|(u, _)| s.ends_with(*u)) {
        Some((_, m)) => (&s[..s.len() - 1], *m),
        None => (s.as_str(), 1),
    };
    let digits = num.strip_prefix('-').unwrap_or(num);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    num.parse::<i64>().ok()?.checked_mul(mult)
}

/// Python's `fnmatch.fnmatch` on POSIX (case-sensitive; `*` also matches `/` and dots) as a
/// regex: `*`, `?`, `[seq]`, `[!seq]`; an unclosed `[` is literal.
pub fn glob_regex(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::from("(?s)^");
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                let mut j = i + 1;
                if chars.get(j) == Some(&'!') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    re.push_str("\\[");
                } else {
                    let body: String = chars[i + 1..j].iter().collect();
                    let (neg, body) = match body.strip_prefix('!') {
                        Some(b) => ("^", b.to_string()),
                        None => ("", body),
                    };
                    let body = body.replace('\\', "\\\\").replace('[', "\\[").replace('&', "\\&");
                    let body = body.replace('~', "\\~").replace('^', "\\^");
                    re.push_str(&format!("[{neg}{body}]"));
                    i = j;
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    re
}

/// Compiled name patterns.
pub struct Names {
    patterns: Vec<PyRegex>,
    excludes: Vec<PyRegex>,
    /// Regexes (Python `re.match`: from the start) or globs (whole name).
    anchored_start_only: bool,
}

impl Names {
    /// Compiles `find`'s `patterns` and `excludes`: Python regexes with `use_regex`, else globs.
    pub fn new(patterns: &[String], excludes: &[String], use_regex: bool) -> Result<Names, ModuleError> {
        let compile = |p: &String| -> Result<PyRegex, ModuleError> {
            let r = if use_regex { pyre::compile(p) } else { PyRegex::new(p, &glob_regex(p), Syntax::Bytes) };
            r.map_err(|e| ModuleError::msg(e.to_string()))
        };
        let default = if use_regex { ".*" } else { "*" };
        let patterns = if patterns.is_empty() { vec![default.to_string()] } else { patterns.to_vec() };
        Ok(Names {
            patterns: patterns.iter().map(compile).collect::<Result<_, _>>()?,
            excludes: excludes.iter().map(compile).collect::<Result<_, _>>()?,
            anchored_start_only: use_regex,
        })
    }

    fn hit(&self, re: &PyRegex, name: &str) -> Result<bool, ModuleError> {
        let found = re.find(name.as_bytes()).map_err(|e| ModuleError::msg(e.to_string()))?;
        Ok(found.is_some_and(|m| m.start() == 0 && (self.anchored_start_only || m.end() == name.len())))
    }

    /// Ansible's `pfilter`: some pattern matches and no exclude does; a pattern that cannot be
    /// matched (too much backtracking) is an error, never a guess.
    pub fn accept(&self, name: &str) -> Result<bool, ModuleError> {
        for p in &self.patterns {
            if self.hit(p, name)? {
                for e in &self.excludes {
                    if self.hit(e, name)? {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str, name: &str) -> bool {
        regex::Regex::new(&glob_regex(p)).unwrap().is_match(name)
    }

    #[test]
    fn globs_like_fnmatch() {
        assert!(glob("*.log", "a.log"));
        assert!(glob("*.log", ".hidden.log"), "fnmatch's * matches a leading dot");
        assert!(!glob("*.log", "a.log.1"));
        assert!(glob("a?c", "abc"));
        assert!(glob("[!a]*", "bcd"));
        assert!(!glob("[!a]*", "abc"));
        assert!(glob("[]x]", "]"));
        assert!(glob("a[", "a["), "an unclosed [ is literal");
        assert!(glob("a.b", "a.b") && !glob("a.b", "axb"));
    }

    #[test]
    fn ages_and_sizes() {
        assert_eq!(parse_age("2d"), Some(172800));
        assert_eq!(parse_age("-1H"), Some(-3600));
        assert_eq!(parse_age("30"), Some(30));
        assert_eq!(parse_age("2x"), None);
        assert_eq!(parse_size("10k"), Some(10240));
        assert_eq!(parse_size("-1m"), Some(-1048576));
        assert_eq!(parse_size("b"), None);
    }
}
