//! Python `re` patterns and replacement templates on top of the `regex` crate, for modules whose
//! parameters are Python regular expressions (`lineinfile`, `blockinfile`, `replace`). Patterns
//! are bytes patterns like Ansible compiles them (ASCII classes, `.` matches any byte), `$`
//! matches before a final newline like Python's, `\Z` is end of text and a `{` that is not a
//! quantifier is a literal. Patterns the crate refuses (look-around, backreferences) run on
//! the `fancy-regex` fallback inside `PyRegex`.

pub use super::pyregex::{Captures, PyReError, PyRegex, Syntax};

/// Compiles a Python bytes pattern.
pub fn compile(pattern: &str) -> Result<PyRegex, PyReError> {
    PyRegex::new(pattern, &translate(pattern), Syntax::Bytes)
}

/// True when the pattern turns on Python's MULTILINE flag (`(?m)` at its start).
pub fn is_multiline(pattern: &str) -> bool {
    pattern
        .strip_prefix("(?")
        .and_then(|r| r.split_once(')'))
        .is_some_and(|(flags, _)| flags.contains('m') && flags.bytes().all(|b| b"aiLmsux".contains(&b)))
}

/// Rewrites the Python-only spellings of a pattern into the regex crate's.
fn translate(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                match chars[i + 1] {
                    'Z' if !in_class => out.push_str("\\z"),
                    // Python's `\<` and `\>` are literals; the crate reads them as word boundaries.
                    n @ ('<' | '>') => out.push(n),
                    n => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` (after an optional `^`) right at the start of a class is literal.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '$' if !in_class => out.push_str("(?m:$)"),
            '{' if !in_class => match quantifier(&chars[i..]) {
                Some((q, len)) => {
                    out.push_str(&q);
                    i += len;
                    continue;
                }
                None => out.push_str("\\{"),
            },
            '}' if !in_class => out.push_str("\\}"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Reads `{n}`, `{n,}`, `{,m}`, `{n,m}` at the start of `s`: the crate's spelling and its length.
fn quantifier(s: &[char]) -> Option<(String, usize)> {
    let close = s.iter().position(|c| *c == '}')?;
    let body: String = s[1..close].iter().collect();
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body.as_str(), None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(lo) || !hi.is_none_or(digits) || (lo.is_empty() && hi.is_none_or(str::is_empty)) {
        return None;
    }
    let lo = if lo.is_empty() { "0" } else { lo };
    let q = match hi {
        Some(h) => format!("{{{lo},{h}}}"),
        None => format!("{{{lo}}}"),
    };
    Some((q, close + 1))
}

/// Python's `match.expand(template)`: `\1`, `\g<1>`, `\g<name>`, `\n`-style escapes; a group
/// that did not take part expands to nothing.
pub fn expand(template: &str, caps: &Captures, re: &PyRegex) -> Result<Vec<u8>, PyReError> {
    let err = |message: String| PyReError::Template { template: template.to_string(), message };
    let t = template.as_bytes();
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        if t[i] != b'\\' || i + 1 == t.len() {
            out.push(t[i]);
            i += 1;
            continue;
        }
        let n = t[i + 1];
        i += 2;
        match n {
            b'g' => {
                let rest = &template[i..];
                let name = rest.strip_prefix('<').and_then(|r| r.split_once('>')).map(|(n, _)| n);
                let name = name.ok_or_else(|| err("missing group name".into()))?;
                i += name.len() + 2;
                push_group(&mut out, caps, re, name).map_err(err)?;
            }
            b'0' => {
                let (v, len) = octal(&t[i..], 2, 0);
                out.push(v);
                i += len;
            }
            b'1'..=b'9' => {
                let (v, len) = octal(&t[i..], 2, u32::from(n - b'0'));
                if len == 2 && v_ok(n, &t[i..]) {
                    out.push(v);
                    i += len;
                } else {
                    let two = t.get(i).filter(|b| b.is_ascii_digit()).is_some();
                    let group = if two { &template[i - 1..=i] } else { &template[i - 1..i] };
                    i += usize::from(two);
                    push_group(&mut out, caps, re, group).map_err(err)?;
                }
            }
            b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\' => out.push(match n {
                b'a' => 7,
                b'b' => 8,
                b'f' => 12,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 11,
                _ => b'\\',
            }),
            c if c.is_ascii_alphabetic() => return Err(err(format!("bad escape \\{}", c as char))),
            c => {
                out.push(b'\\');
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// True when `\` + first digit + the next two bytes form a three-digit octal escape.
fn v_ok(first: u8, rest: &[u8]) -> bool {
    (b'0'..=b'3').contains(&first) && rest.len() >= 2 && rest[..2].iter().all(|b| (b'0'..=b'7').contains(b))
}

/// Reads up to `max` more octal digits after an initial value.
fn octal(s: &[u8], max: usize, init: u32) -> (u8, usize) {
    let mut v = init;
    let mut len = 0;
    while len < max && s.get(len).is_some_and(|b| (b'0'..=b'7').contains(b)) {
        v = v * 8 + u32::from(s[len] - b'0');
        len += 1;
    }
    (u8::try_from(v & 0xff).unwrap_or(0), len)
}

fn push_group(out: &mut Vec<u8>, caps: &Captures, re: &PyRegex, name: &str) -> Result<(), String> {
    let m = match name.parse::<usize>() {
        Ok(n) if n < re.captures_len() => caps.get(n),
        Ok(n) => return Err(format!("invalid group reference {n}")),
        Err(_) if re.has_group(name) => caps.name(name),
        Err(_) => return Err(format!("unknown group name '{name}'")),
    };
    out.extend_from_slice(m.map_or(&b""[..], |m| m.as_bytes()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(p: &str, hay: &str) -> bool {
        compile(p).unwrap().is_match(hay.as_bytes()).unwrap()
    }

    #[test]
    fn python_semantics() {
        let cases: &[(&str, &str, bool)] = &[
            ("foo$", "foo\n", true),
            ("foo$", "foo\r\n", false),
            ("foo$", "foo", true),
            ("^$", "foo\n", false),
            ("^$", "\n", true),
            ("foo\\Z", "foo\n", false),
            ("foo\\Z", "foo", true),
            ("server {", "server {\n", true),
            ("a{2}", "xaax", true),
            ("a{,2}b", "b", true),
            ("x{1,2", "x{1,2", true),
            ("[[]", "a[b", true),
            ("[]a]", "]", true),
            ("[^]]", "]", false),
            ("\\d+", "a1", true),
            ("\\w", "é", false),
            ("é", "café\n", true),
            ("(?i)LISTEN", "listen 80", true),
            ("^#?Port ", "#Port 22\n", true),
            ("a.b", "a\u{e9}b", false),
            ("a..b", "a\u{e9}b", true),
        ];
        for (p, hay, want) in cases {
            assert_eq!(search(p, hay), *want, "{p:?} on {hay:?}");
        }
        // The same Python semantics on the backtracking fallback.
        for (p, hay, want) in [
            ("(?<=a)b$", "ab\n", true),
            ("(?<!a)b\\Z", "ab", false),
            ("^(?!#)Port {2}", "Port  22", true),
            ("^(?!#)Port {2}", "#Port  22", false),
            ("(\\w)\\1[]]", "aa]", true),
            ("(?=.)a.b", "a\u{e9}b", false),
        ] {
            assert!(compile(p).unwrap().is_fancy(), "{p}");
            assert_eq!(search(p, hay), want, "{p:?} on {hay:?}");
        }
    }

    #[test]
    fn multiline_flag() {
        assert!(is_multiline("(?m)^foo"));
        assert!(is_multiline("(?im)foo"));
        assert!(!is_multiline("^(?:m)"));
        assert!(!is_multiline("foo"));
    }

    fn exp(p: &str, hay: &str, t: &str) -> Result<String, PyReError> {
        let re = compile(p).unwrap();
        let caps = re.captures(hay.as_bytes()).unwrap().unwrap();
        expand(t, &caps, &re).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn templates() {
        assert_eq!(exp("(a)(b)?(?P<n>c)", "ac", r"\1-\2-\g<n>-\g<3>-\g<0>").unwrap(), "a--c-c-ac");
        assert_eq!(exp("(x)", "x", r"\1\t\\.\n").unwrap(), "x\t\\.\n");
        assert_eq!(exp("(x)", "x", r"\.").unwrap(), "\\.");
        assert_eq!(exp("(x)", "x", r"\101").unwrap(), "A");
        assert_eq!(exp("(x)", "x", r"\1 1").unwrap(), "x 1");
        assert!(exp("(x)", "x", r"\2").is_err());
        assert!(exp("(x)", "x", r"\q").is_err());
        assert!(exp("(x)", "x", r"\g<nope>").is_err());
        assert_eq!(exp(r"(?P<k>\w+)(?==)", "ab=1", r"[\g<k>]\1").unwrap(), "[ab]ab");
    }
}
