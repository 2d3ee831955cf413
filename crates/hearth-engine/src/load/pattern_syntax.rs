//! The shape of a host pattern, before any inventory is looked at: splitting it into terms
//! like Ansible's `split_host_pattern`, reading a term's `[N]` / `[N:M]` subscript, and refusing
//! malformed patterns (`web[`, `web[1:x]`, `web[3:1]`, `&`, `!!web`, `web,,db`, `~`) with a
//! message naming the pattern and what was expected. Ansible silently drops or reinterprets
//! most of these; hearth refuses them so a typo cannot select the wrong hosts. It does not
//! compile `~regex` terms or match anything: that is `pattern`'s job.

use std::sync::LazyLock;

use regex::Regex;

use crate::load::address::is_address;

/// A host pattern that is malformed whatever the inventory holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid host pattern '{pattern}': {message}")]
pub struct MalformedPattern {
    /// The whole pattern as written.
    pub pattern: String,
    /// What is wrong and what was expected instead.
    pub message: String,
}

/// A `[n]` or `[a:b]` suffix, as (start, end); `end` None for a single index, -1 for "to the end".
pub type Subscript = (i64, Option<i64>);

static SUBSCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern, exercised by the tests.
    Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$").expect("constant regex compiles")
});
static COLON_TERMS: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern, exercised by the tests.
    Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+").expect("constant regex compiles")
});

/// What a subscript must look like, for messages.
const SUBSCRIPT_FORMS: &str = "expected [N], [N:M] or [N:] with whole numbers N <= M";

/// What brackets are for, for messages.
const BRACKET_FORMS: &str = "expected a subscript like web[0] or web[1:3], or a glob class like web[12]";

/// Splits a pattern into terms like Ansible's `split_host_pattern`.
pub fn split(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if is_address(pattern) {
        vec![pattern.to_string()]
    } else {
        COLON_TERMS.find_iter(pattern).map(|m| m.as_str().to_string()).collect()
    };
    parts.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// Refuses a malformed pattern: empty terms, unbalanced brackets, a lone or doubled `&`/`!`, an
/// empty `~`, a subscript that is not `[N]`, `[N:M]` or `[N:]`, or one that runs backwards.
pub fn check(pattern: &str) -> Result<(), MalformedPattern> {
    let bad = |message: String| MalformedPattern { pattern: pattern.to_string(), message };
    if pattern.contains(',') {
        check_comma_terms(pattern).map_err(bad)?;
    } else if !is_address(pattern) {
        check_colon_gaps(pattern).map_err(bad)?;
    }
    for term in split(pattern) {
        check_term(&term).map_err(bad)?;
    }
    Ok(())
}

/// `a,b,c`: no empty term but a trailing one (`web1,` is a common way to write one host).
fn check_comma_terms(pattern: &str) -> Result<(), String> {
    let parts: Vec<&str> = pattern.split(',').collect();
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        if part.trim().is_empty() && (i != last || last == 0 || parts[last - 1].trim().is_empty()) {
            return Err(format!(
                "term {} is empty (expected a host, group or pattern between the commas)",
                i + 1
            ));
        }
    }
    Ok(())
}

/// `a:b:c`: what the terms leave between them must be one `:` (and spaces), nothing at the
/// ends; a leftover `[` or `]` is a bracket that does not pair up.
fn check_colon_gaps(pattern: &str) -> Result<(), String> {
    let mut at = 0;
    let mut gaps = Vec::new();
    for m in COLON_TERMS.find_iter(pattern) {
        gaps.push((at, &pattern[at..m.start()]));
        at = m.end();
    }
    gaps.push((at, &pattern[at..]));
    if gaps.len() == 1 {
        return Err("no host, group or pattern in it".to_string());
    }
    let last = gaps.len() - 1;
    // The 1-based character (not byte) position of a byte offset, for messages.
    let chars_to = |byte: usize| pattern[..byte].chars().count() + 1;
    for (i, (offset, gap)) in gaps.iter().enumerate() {
        if let Some(p) = gap.find(['[', ']']) {
            let what =
                if gap[p..].starts_with('[') { "'[' is not closed by ']'" } else { "']' has no opening '['" };
            return Err(format!("{what} (at character {}; {BRACKET_FORMS})", chars_to(offset + p)));
        }
        // Between two terms one ':' is the separator; at either end none is allowed.
        let allowed = if i == 0 || i == last { 0 } else { 1 };
        if let Some((p, _)) = gap.match_indices(':').nth(allowed) {
            return Err(format!(
                "an empty term at character {} (expected a host, group or pattern on each side of ':')",
                chars_to(offset + p)
            ));
        }
    }
    Ok(())
}

/// One term: its `&`/`!` prefix, its `~regex` or its brackets and subscript.
fn check_term(term: &str) -> Result<(), String> {
    let bare = term.strip_prefix(['&', '!']).unwrap_or(term);
    if let Some(op) = term.chars().next().filter(|_| bare.len() < term.len()) {
        if bare.trim().is_empty() {
            return Err(format!("'{op}' must be followed by a host, group or pattern"));
        }
        if bare.starts_with(['&', '!']) {
            return Err(format!("'{term}' has two operators (expected one '&' or '!' before a name)"));
        }
    }
    if let Some(re) = bare.strip_prefix('~') {
        if re.is_empty() {
            return Err("'~' must be followed by a regular expression".to_string());
        }
        return Ok(());
    }
    check_brackets(bare)?;
    check_subscript(bare)
}

/// Glob classes and subscripts pair `[` with `]`, without nesting.
fn check_brackets(term: &str) -> Result<(), String> {
    let mut open = None;
    for (i, c) in term.char_indices() {
        match (c, open) {
            ('[', Some(_)) | (']', None) => {}
            ('[', None) => {
                open = Some(i);
                continue;
            }
            (']', Some(_)) => {
                open = None;
                continue;
            }
            _ => continue,
        }
        let what = if c == '[' { "'[' inside '[...]'" } else { "']' has no opening '['" };
        return Err(format!("{what} in '{term}' ({BRACKET_FORMS})"));
    }
    match open {
        Some(_) => Err(format!("'[' is not closed by ']' in '{term}' ({BRACKET_FORMS})")),
        None => Ok(()),
    }
}

/// A trailing `[...]` holding a `:` or made of digits, `-` and spaces is a subscript and must
/// be a valid one (a glob class of `:` would match no host name); other brackets are glob
/// classes (`web[ab]`, `web[!1]`).
fn check_subscript(term: &str) -> Result<(), String> {
    let Some(inner) = term.strip_suffix(']').and_then(|t| t.rsplit_once('[')).map(|(_, i)| i) else {
        return Ok(());
    };
    let looks_numeric = inner.chars().all(|c| c.is_ascii_digit() || matches!(c, ':' | '-' | ' '));
    if !looks_numeric && !inner.contains(':') {
        return Ok(());
    }
    if term.len() == inner.len() + 2 {
        return Err(format!(
            "'{term}' is a subscript of nothing (expected a group name before it, like web{term})"
        ));
    }
    match split_subscript(term) {
        (_, Some((start, Some(end)))) if end >= 0 && end < start => {
            Err(format!("the subscript [{inner}] of '{term}' runs backwards ({SUBSCRIPT_FORMS})"))
        }
        (_, Some(_)) => Ok(()),
        (_, None) => Err(format!("'[{inner}]' in '{term}' is not a subscript ({SUBSCRIPT_FORMS})")),
    }
}

/// Splits a `[N]` / `[N:M]` / `[N:]` suffix off a term (regexes have none).
pub fn split_subscript(term: &str) -> (&str, Option<Subscript>) {
    if term.starts_with('~') {
        return (term, None);
    }
    let Some(c) = SUBSCRIPT.captures(term) else { return (term, None) };
    let expr = c.get(1).map_or(term, |m| m.as_str());
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
    if c.get(2).is_some() {
        return match num(2) {
            Some(i) => (expr, Some((i, None))),
            None => (term, None),
        };
    }
    match (num(3), c.get(5).map_or("", |m| m.as_str())) {
        (Some(start), "") => (expr, Some((start, Some(-1)))),
        (Some(start), end) => match end.parse::<i64>() {
            Ok(e) => (expr, Some((start, Some(e)))),
            Err(_) => (term, None),
        },
        _ => (term, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(p: &str) -> String {
        match check(p) {
            Err(e) => e.to_string(),
            Ok(()) => panic!("{p:?} was accepted"),
        }
    }

    #[test]
    fn splitting() {
        assert_eq!(split("a:b:&c:!d"), ["a", "b", "&c", "!d"]);
        assert_eq!(split("a, b[1], c[2:3] ,d"), ["a", "b[1]", "c[2:3]", "d"]);
        assert_eq!(split("web[1:3]"), ["web[1:3]"]);
        assert_eq!(split("::1"), ["::1"]);
        assert_eq!(split("host:22"), ["host:22"]);
    }

    #[test]
    fn well_formed_patterns_pass() {
        for p in [
            "all",
            "web",
            "web:db",
            "web:&prod:!web3",
            "web,db",
            "web1,",
            "web db",
            "web[0]",
            "web[-1]",
            "web[1:3]",
            "web[1:]",
            "web[1-2]",
            "w[12].lan",
            "w[!12].lan",
            "web[ab]",
            "~web\\d+",
            "~w[12]",
            "*.lan",
            "::1",
            "host:22",
            "10.0.0.1",
            "web:!db[0]",
            "web[0:0]",
        ] {
            assert_eq!(check(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn brackets_must_pair_up() {
        assert!(err("web[").contains("'web[': '[' is not closed by ']'"), "{}", err("web["));
        assert!(err("web]").contains("']' has no opening '['"));
        assert!(err("web[1:2").contains("'[' is not closed"));
        assert!(err("~[invalid regex").contains("'[' is not closed"));
        assert!(err("web[,db").contains("'[' is not closed by ']' in 'web['"));
        assert!(err("a[b[c]],x").contains("'[' inside '[...]'"));
    }

    #[test]
    fn subscripts_must_be_numbers_in_order() {
        assert!(err("web[1:x]").contains("'[1:x]' in 'web[1:x]' is not a subscript (expected [N]"));
        assert!(err("web[]").contains("is not a subscript"));
        assert!(err("web[:]").contains("is not a subscript"));
        assert!(err("web[:2]").contains("is not a subscript"));
        assert!(err("web[1:2:3]").contains("is not a subscript"));
        assert!(err("web[ 1]").contains("is not a subscript"));
        assert!(err("web[99999999999999999999]").contains("is not a subscript"));
        assert!(err("web[3:1]").contains("the subscript [3:1] of 'web[3:1]' runs backwards"));
        assert!(err("web[1:0]").contains("runs backwards"));
        assert!(err("[1]").contains("a subscript of nothing"));
    }

    #[test]
    fn operators_and_empty_terms() {
        assert!(err("&").contains("'&' must be followed by a host, group or pattern"));
        assert!(err("!").contains("'!' must be followed"));
        assert!(err("web:&").contains("'&' must be followed"));
        assert!(err("web,!").contains("'!' must be followed"));
        assert!(err("!!web").contains("'!!web' has two operators"));
        assert!(err("&!web").contains("two operators"));
        assert!(err("web,,db").contains("term 2 is empty"));
        assert!(err(",web").contains("term 1 is empty"));
        assert!(err("web,,").contains("term 2 is empty"));
        assert!(err(",").contains("term 1 is empty"));
        assert!(err("web::db").contains("an empty term at character 5"));
        assert!(err(":web").contains("an empty term at character 1"));
        assert!(err("web:").contains("an empty term"));
        assert!(err(":").contains("no host, group or pattern"));
        assert!(err("~").contains("'~' must be followed by a regular expression"));
        assert!(err("wéb::db").contains("an empty term at character 5"));
        assert!(err("web:~").contains("'~' must be followed"));
    }
}
