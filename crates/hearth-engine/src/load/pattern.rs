//! Host patterns (`hosts:` and `--limit`) with Ansible's semantics: terms split on `,` (or `:`
//! when that is unambiguous), plain terms unioned first, then `&` intersections, then `!`
//! exclusions; globs (`web*`), regexes (`~web\d+`), subscripts (`web[0]`, `web[1:3]`) and the
//! implicit localhost. It works over any [`Universe`], so it is pure and testable on its own; it
//! does not read `@file` limit lists.

use crate::load::address::LOCALHOST_NAMES;
use crate::load::pattern_syntax::{self, MalformedPattern, Subscript, split_subscript};
use hearth_formats::pyre::{PyReError, PyRegex, Syntax};

/// What pattern matching needs to know about an inventory.
pub trait Universe {
    /// Group names in definition order (`all` and `ungrouped` included).
    fn group_names(&self) -> Vec<&str>;
    /// Host names in inventory order.
    fn host_names(&self) -> Vec<&str>;
    /// Whether a host of that exact name exists.
    fn has_host(&self, name: &str) -> bool;
    /// The hosts of a group and its descendants, in Ansible's order.
    fn hosts_of_group(&self, group: &str) -> Vec<String>;
    /// The first localhost-like host defined in the inventory, if any.
    fn localhost(&self) -> Option<String>;
}

/// A pattern that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The pattern has no terms at all.
    #[error("empty host pattern")]
    Empty,
    /// A `~regex` term that does not compile.
    #[error("invalid host list pattern: {pattern}: {message}")]
    Regex { pattern: String, message: String },
    /// A pattern that is malformed whatever the inventory holds (`web[`, `web[3:1]`, `&`).
    #[error(transparent)]
    Malformed(#[from] MalformedPattern),
    /// A `[N]` index past the hosts of a group that has some (Ansible's words).
    #[error(
        "No hosts matched the subscripted pattern '{term}' ('{expr}' has {count} host(s), the first is [0])"
    )]
    Index { term: String, expr: String, count: usize },
}

/// The result of resolving a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// Matching host names, in inventory order, without duplicates.
    pub hosts: Vec<String>,
    /// Terms that matched neither a group nor a host (Ansible warns "Could not match supplied
    /// host pattern, ignoring: TERM").
    pub unmatched: Vec<String>,
}

/// Orders terms: plain ones first (or `all` if there are none), then `&`, then `!`.
fn order(terms: Vec<String>) -> Vec<String> {
    let (excl, rest): (Vec<_>, Vec<_>) = terms.into_iter().partition(|t| t.starts_with('!'));
    let (inter, mut plain): (Vec<_>, Vec<_>) = rest.into_iter().partition(|t| t.starts_with('&'));
    if plain.is_empty() {
        plain.push("all".to_string());
    }
    plain.into_iter().chain(inter).chain(excl).collect()
}

/// Splits a pattern into terms like Ansible's `split_host_pattern`.
pub fn split(pattern: &str) -> Vec<String> {
    pattern_syntax::split(pattern)
}

/// Refuses a pattern that is malformed or holds a `~regex` that does not compile, before any
/// inventory is known (a play's literal `hosts:` is checked when the playbook loads).
pub fn validate(pattern: &str) -> Result<(), PatternError> {
    let terms = split(pattern);
    if terms.is_empty() {
        return Err(PatternError::Empty);
    }
    pattern_syntax::check(pattern)?;
    for term in terms {
        let bare = term.strip_prefix(['&', '!']).unwrap_or(&term);
        if bare.starts_with('~') {
            Matcher::new(bare)?;
        }
    }
    Ok(())
}

/// Resolves a pattern against an inventory.
pub fn resolve(u: &impl Universe, pattern: &str) -> Result<Resolved, PatternError> {
    let terms = split(pattern);
    if terms.is_empty() {
        return Err(PatternError::Empty);
    }
    pattern_syntax::check(pattern)?;
    let mut out = Resolved::default();
    let mut hosts: Vec<String> = Vec::new();
    for term in order(terms) {
        if u.has_host(&term) {
            hosts.push(term);
            continue;
        }
        let bare = term.strip_prefix(['&', '!']).unwrap_or(&term);
        let (matched, any) = match_term(u, bare)?;
        if !any && bare != "all" {
            out.unmatched.push(bare.to_string());
        }
        if term.starts_with('!') {
            hosts.retain(|h| !matched.contains(h));
        } else if term.starts_with('&') {
            hosts.retain(|h| matched.contains(h));
        } else {
            let existing: Vec<String> = hosts.clone();
            hosts.extend(matched.into_iter().filter(|h| !existing.contains(h)));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.hosts = hosts.into_iter().filter(|h| seen.insert(h.clone())).collect();
    Ok(out)
}

/// Resolves `pattern` restricted to the hosts `limit` selects (`--limit`), like Ansible's
/// subset: the limit is evaluated on its own and only filters, it never adds hosts.
pub fn resolve_limited(
    u: &impl Universe,
    pattern: &str,
    limit: Option<&str>,
) -> Result<Resolved, PatternError> {
    let mut res = resolve(u, pattern)?;
    if let Some(limit) = limit {
        let sub = resolve(u, limit)?;
        res.hosts.retain(|h| sub.hosts.contains(h));
        res.unmatched.extend(sub.unmatched);
    }
    Ok(res)
}

/// One term without its `&`/`!`: returns the hosts and whether anything (group or host) matched.
fn match_term(u: &impl Universe, term: &str) -> Result<(Vec<String>, bool), PatternError> {
    let (expr, subscript) = split_subscript(term);
    let matcher = Matcher::new(expr)?;
    let groups = matcher.matching(u.group_names())?;
    let mut hosts: Vec<String> = groups.iter().flat_map(|g| u.hosts_of_group(g)).collect();
    let special = expr.starts_with('~') || expr.contains(['.', '?', '*', '[']);
    if groups.is_empty() || special {
        hosts.extend(matcher.matching(u.host_names())?.into_iter().map(str::to_string));
    }
    if hosts.is_empty() && LOCALHOST_NAMES.contains(&expr) {
        hosts.push(u.localhost().unwrap_or_else(|| expr.to_string()));
    }
    let any = !hosts.is_empty() || !groups.is_empty();
    let count = hosts.len();
    match apply_subscript(hosts, subscript) {
        Some(hosts) => Ok((hosts, any)),
        None => Err(PatternError::Index { term: term.to_string(), expr: expr.to_string(), count }),
    }
}

/// Python slicing as Ansible's `_apply_subscript` does it: a slice past the end selects no
/// hosts, a single index past the end of a non-empty list is None (Ansible's IndexError).
fn apply_subscript(hosts: Vec<String>, subscript: Option<Subscript>) -> Option<Vec<String>> {
    let Some((start, end)) = subscript else { return Some(hosts) };
    let len = hosts.len() as i64;
    let index = |i: i64| if i < 0 { i.saturating_add(len) } else { i };
    match end {
        // Python's `if end:` treats 0 like "no end": a single index.
        Some(e) if e != 0 => {
            let e = if e == -1 { len - 1 } else { e };
            let (s, e) = (index(start).clamp(0, len), index(e).saturating_add(1).clamp(0, len));
            Some(if s < e { hosts[s as usize..e as usize].to_vec() } else { Vec::new() })
        }
        _ => {
            if hosts.is_empty() {
                return Some(Vec::new());
            }
            hosts.get(usize::try_from(index(start)).ok()?).map(|h| vec![h.clone()])
        }
    }
}

/// A glob (fnmatch) or `~regex` term compiled to a Python regex (`re.match`, so look-around
/// and backreferences work as in Ansible).
struct Matcher {
    re: PyRegex,
    term: String,
}

impl Matcher {
    fn new(term: &str) -> Result<Matcher, PatternError> {
        let source = match term.strip_prefix('~') {
            Some(re) => format!("^(?:{})", re.replace("\\Z", "\\z")),
            None => format!("(?s)^(?:{})$", hearth_formats::fnmatch::glob_to_regex(term)),
        };
        let re = PyRegex::new(term, &source, Syntax::Text).map_err(|e| regex_error(term, e))?;
        Ok(Matcher { re, term: term.to_string() })
    }

    /// The names the term matches, in order.
    fn matching<'a>(&self, names: Vec<&'a str>) -> Result<Vec<&'a str>, PatternError> {
        let mut out = Vec::new();
        for n in names {
            if self.re.is_match(n.as_bytes()).map_err(|e| regex_error(&self.term, e))? {
                out.push(n);
            }
        }
        Ok(out)
    }
}

/// A pattern the regex engines refuse or give up on.
fn regex_error(term: &str, e: PyReError) -> PatternError {
    let message = match e {
        PyReError::Pattern { message, .. } | PyReError::Match { message, .. } => message,
        PyReError::Template { message, .. } => message,
    };
    // The regex crate draws the pattern with a caret over several lines: keep the last one,
    // which says what is wrong, so the error stays one line.
    let last = message.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or(&message);
    let message = last.strip_prefix("error: ").unwrap_or(last).to_string();
    PatternError::Regex { pattern: term.to_string(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// all > ungrouped(solo), web(w1,w2,w3), db(d1 > replica(d2)), other(o1)
    struct Fake;

    impl Universe for Fake {
        fn group_names(&self) -> Vec<&str> {
            vec!["all", "ungrouped", "web", "db", "replica", "other"]
        }
        fn host_names(&self) -> Vec<&str> {
            vec!["solo", "w1.example.com", "w2.example.com", "w3.example.com", "d1", "o1", "d2"]
        }
        fn has_host(&self, name: &str) -> bool {
            self.host_names().contains(&name)
        }
        fn hosts_of_group(&self, group: &str) -> Vec<String> {
            let v: &[&str] = match group {
                "all" => &["solo", "w1.example.com", "w2.example.com", "w3.example.com", "d1", "o1", "d2"],
                "ungrouped" => &["solo"],
                "web" => &["w1.example.com", "w2.example.com", "w3.example.com"],
                "db" => &["d1", "d2"],
                "replica" => &["d2"],
                "other" => &["o1"],
                _ => &[],
            };
            v.iter().map(|s| s.to_string()).collect()
        }
        fn localhost(&self) -> Option<String> {
            None
        }
    }

    fn r(p: &str) -> Vec<String> {
        resolve(&Fake, p).unwrap().hosts
    }

    #[test]
    fn basic_terms() {
        assert_eq!(r("all").len(), 7);
        assert_eq!(r("*"), r("all"));
        assert_eq!(r("web"), ["w1.example.com", "w2.example.com", "w3.example.com"]);
        assert_eq!(r("replica:db"), ["d2", "d1"]);
        assert_eq!(r("d1"), ["d1"]);
        assert_eq!(r("ungrouped"), ["solo"]);
    }

    #[test]
    fn set_operations_in_ansible_order() {
        assert_eq!(r("all:!db"), ["solo", "w1.example.com", "w2.example.com", "w3.example.com", "o1"]);
        assert_eq!(r("!db:all"), r("all:!db"));
        assert_eq!(r("!db"), r("all:!db"));
        assert_eq!(r("db:&replica"), ["d2"]);
        assert_eq!(r("web*:!w2*:db[0]:&d*"), ["d1"]);
    }

    #[test]
    fn globs_regex_and_subscripts() {
        assert_eq!(r("*.example.com").len(), 3);
        assert_eq!(r("w?.example.com").len(), 3);
        assert_eq!(r("w[12].example.com"), ["w1.example.com", "w2.example.com"]);
        assert_eq!(r("w[!12].example.com"), ["w3.example.com"]);
        assert_eq!(r("~w[12]"), ["w1.example.com", "w2.example.com"]);
        assert_eq!(r("web[1]"), ["w2.example.com"]);
        assert_eq!(r("web[-1]"), ["w3.example.com"]);
        assert_eq!(r("web[0:1]"), ["w1.example.com", "w2.example.com"]);
        assert_eq!(r("web[1:]"), ["w2.example.com", "w3.example.com"]);
        assert!(r("web[5:9]").is_empty());
        assert!(r("nosuch[0]").is_empty());
        assert!(r("web[0:9223372036854775807]").len() == 3);
    }

    #[test]
    fn implicit_localhost_and_unmatched() {
        assert_eq!(r("localhost"), ["localhost"]);
        assert_eq!(r("all:localhost").last().unwrap(), "localhost");
        assert!(!r("all").contains(&"localhost".to_string()));
        let res = resolve(&Fake, "nosuch:web").unwrap();
        assert_eq!(res.unmatched, ["nosuch"]);
        assert_eq!(res.hosts.len(), 3);
    }

    #[test]
    fn limit_only_filters() {
        let res = resolve_limited(&Fake, "web:db", Some("d*:w1*")).unwrap();
        assert_eq!(res.hosts, ["w1.example.com", "d1", "d2"]);
        assert_eq!(resolve_limited(&Fake, "web", Some("db")).unwrap().hosts, Vec::<String>::new());
        assert_eq!(resolve_limited(&Fake, "web", None).unwrap().hosts.len(), 3);
    }

    #[test]
    fn errors() {
        assert_eq!(resolve(&Fake, " , "), Err(PatternError::Empty));
        assert!(matches!(resolve(&Fake, "~web("), Err(PatternError::Regex { .. })));
        assert!(matches!(resolve(&Fake, "web["), Err(PatternError::Malformed(_))));
        assert!(matches!(resolve_limited(&Fake, "all", Some("db[3:1]")), Err(PatternError::Malformed(_))));
        let index = resolve(&Fake, "web[3]").unwrap_err().to_string();
        assert_eq!(
            index,
            "No hosts matched the subscripted pattern 'web[3]' ('web' has 3 host(s), the first is [0])"
        );
        assert!(matches!(resolve(&Fake, "web[-4]"), Err(PatternError::Index { .. })));
        assert!(matches!(resolve(&Fake, "web[-9223372036854775808]"), Err(PatternError::Index { .. })));
        assert_eq!(validate("~web("), resolve(&Fake, "~web(").map(|_| ()));
        assert_eq!(validate("web[1:x]"), resolve(&Fake, "web[1:x]").map(|_| ()));
        assert_eq!(validate("web:!db[0]"), Ok(()));
        // Look-ahead works as in Python's `re.match`.
        assert_eq!(resolve(&Fake, "~(?!w2)w\\d").unwrap().hosts, ["w1.example.com", "w3.example.com"]);
    }
}
