//! Ansible's regular-expression filters (`regex_replace`, `regex_search`, `regex_findall`,
//! `regex_escape`) with Python `re` syntax: `(?P<name>)`, `\Z`, look-around and
//! backreferences (through `PyRegex`'s fallback engine), and Python replacement templates
//! (`\1`, `\g<name>`).
//! Not here: Python's `$` matching before a final newline.

use minijinja::value::{Kwargs, Rest, Tuple};
use minijinja::{Environment, Error, Value};

use hearth_formats::pyre::{Captures, PyReError, PyRegex, Syntax};

use super::filter_support::filter_error;
use super::pyrepr::py_str;

/// Registers the regular-expression filters.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", |s: &Value| regex_escape(&py_str(s)));
}

/// Compiles a Python regular expression with Ansible's `ignorecase`/`multiline` flags.
pub(crate) fn py_regex(pattern: &str, ignorecase: bool, multiline: bool) -> Result<PyRegex, Error> {
    let mut flags = String::new();
    if ignorecase {
        flags.push_str("(?i)");
    }
    if multiline {
        flags.push_str("(?m)");
    }
    // Python's `\Z` is the regex crate's `\z`.
    let translated = pattern.replace("\\Z", "\\z");
    PyRegex::new(pattern, &format!("{flags}{translated}"), Syntax::Text).map_err(regex_error)
}

/// A pattern that does not compile or match, as a filter error.
pub(crate) fn regex_error(e: PyReError) -> Error {
    filter_error(e.to_string())
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
    let (out, subs) = substitute(&re, &text, &template, count)?;
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
                out.push_str(&m.map_or_else(String::new, |m| m.as_str().into_owned()));
            }
        }
    }
}

/// Replaces up to `count` matches (0 = all); returns the text and the number of replacements.
fn substitute(
    re: &PyRegex,
    text: &str,
    template: &[ReplPart],
    count: usize,
) -> Result<(String, usize), Error> {
    let mut out = String::new();
    let mut last = 0;
    let mut subs = 0;
    for caps in re.captures_iter(text.as_bytes()).map_err(regex_error)? {
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
    Ok((out, subs))
}

/// `regex_search(pattern, '\\1', '\\g<name>', ignorecase=, multiline=)`: the match, the listed
/// groups, or `None`.
fn regex_search(value: &Value, pattern: &str, groups: Rest<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let (ic, ml) = regex_flags(&kwargs)?;
    kwargs.assert_all_used()?;
    let text = py_str(value);
    let re = py_regex(pattern, ic, ml)?;
    let Some(caps) = re.captures(text.as_bytes()).map_err(regex_error)? else { return Ok(Value::from(())) };
    if groups.is_empty() {
        return Ok(Value::from(caps.get(0).map_or_else(String::new, |m| m.as_str().into_owned())));
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
        out.push(m.map_or(Value::from(()), |m| Value::from(m.as_str().into_owned())));
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
    let group = |caps: &Captures, i: usize| {
        Value::from(caps.get(i).map_or_else(String::new, |m| m.as_str().into_owned()))
    };
    let found = re.captures_iter(text.as_bytes()).map_err(regex_error)?;
    let found = found.iter().map(|caps| match ngroups {
        0 => group(caps, 0),
        1 => group(caps, 1),
        n => Value::from_object(Tuple::from((1..=n).map(|i| group(caps, i)).collect::<Vec<_>>())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_templates() {
        let re = py_regex(r"(?P<k>\w+)=(\w+)", false, false).unwrap();
        let t = parse_replacement(r"\2:\g<k>\n\\$1").unwrap();
        assert_eq!(substitute(&re, "a=1 b=2", &t, 0).unwrap().0, "1:a\n\\$1 2:b\n\\$1");
        assert_eq!(substitute(&re, "a=1 b=2", &t, 1).unwrap(), ("1:a\n\\$1 b=2".to_string(), 1));
    }

    #[test]
    fn escapes_like_python() {
        assert_eq!(regex_escape("a.b*c d"), "a\\.b\\*c\\ d");
    }
}
