//! Ansible's `version` / `version_compare` (a test and a filter): LooseVersion (the default),
//! StrictVersion and semantic versions, compared like Python.
//! Not here: `pep440` (needs Python's `packaging` rules; reported as unsupported).

use std::cmp::Ordering;

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, Value};

use super::filter_support::filter_error;
use super::pyrepr::py_str;

/// Registers `version` and `version_compare` as both tests and filters.
pub fn register(env: &mut Environment<'static>) {
    env.add_test("version", version_compare);
    env.add_test("version_compare", version_compare);
    env.add_filter("version_compare", version_compare);
    env.add_filter("version", version_compare);
}

/// `value is version(other, operator='eq', strict=None, version_type=None)`.
fn version_compare(value: &Value, other: &Value, op: Option<&str>, kwargs: Kwargs) -> Result<bool, Error> {
    let op = match op {
        Some(op) => op.to_string(),
        None => kwargs.get::<Option<String>>("operator")?.unwrap_or_else(|| "eq".into()),
    };
    let strict = kwargs.get::<Option<bool>>("strict")?;
    let version_type = kwargs.get::<Option<String>>("version_type")?;
    kwargs.assert_all_used()?;
    if strict.is_some() && version_type.is_some() {
        return Err(filter_error("Cannot specify both 'strict' and 'version_type'"));
    }
    let (a, b) = (py_str(value), py_str(other));
    if value.is_none() || a.is_empty() {
        return Err(filter_error("Input version value cannot be empty"));
    }
    if b.is_empty() {
        return Err(filter_error("Version parameter to compare against cannot be empty"));
    }
    let kind = match (strict, version_type.as_deref()) {
        (Some(true), _) => "strict",
        (_, Some(t)) => t,
        _ => "loose",
    };
    let ord = compare(&a, &b, kind)?;
    apply_operator(&op, ord)
}

/// Compares two version strings with one of Ansible's version types.
pub fn compare(a: &str, b: &str, kind: &str) -> Result<Ordering, Error> {
    let failed = |e: String| filter_error(format!("Version comparison failed: {e}"));
    match kind {
        "loose" => loose_cmp(&loose_parse(a), &loose_parse(b)).map_err(failed),
        "strict" => Ok(strict_parse(a).map_err(failed)?.cmp(&strict_parse(b).map_err(failed)?)),
        "semver" | "semantic" => {
            Ok(semver_cmp(&semver_parse(a).map_err(failed)?, &semver_parse(b).map_err(failed)?))
        }
        other => Err(filter_error(format!(
            "Invalid version type ({other}). Must be one of 'loose', 'strict', 'semver', 'semantic'"
        ))),
    }
}

fn apply_operator(op: &str, ord: Ordering) -> Result<bool, Error> {
    Ok(match op {
        "==" | "=" | "eq" => ord == Ordering::Equal,
        "!=" | "<>" | "ne" => ord != Ordering::Equal,
        "<" | "lt" => ord == Ordering::Less,
        "<=" | "le" => ord != Ordering::Greater,
        ">" | "gt" => ord == Ordering::Greater,
        ">=" | "ge" => ord != Ordering::Less,
        other => {
            return Err(filter_error(format!(
                "Invalid operator type ({other}). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', \
                 '>', 'gt', '>=', 'ge', '!=', '<>', 'ne'"
            )));
        }
    })
}

/// One component of a LooseVersion.
#[derive(Debug, PartialEq)]
enum Part {
    Num(u64),
    Text(String),
}

/// LooseVersion's split: digit runs, lowercase-letter runs, and the text between them; dots
/// dropped.
fn loose_parse(s: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut chars = s.chars().peekable();
    let class = |c: char| match c {
        '0'..='9' => 0,
        'a'..='z' => 1,
        '.' => 2,
        _ => 3,
    };
    while let Some(&c) = chars.peek() {
        let k = class(c);
        let mut run = String::new();
        while let Some(c) = chars.next_if(|c| class(*c) == k) {
            run.push(c);
            if k == 2 {
                break;
            }
        }
        match k {
            0 => parts.push(run.parse().map(Part::Num).unwrap_or(Part::Text(run))),
            2 => {}
            _ => parts.push(Part::Text(run)),
        }
    }
    parts
}

/// Python's list comparison of LooseVersion parts; an int against a str is a TypeError.
fn loose_cmp(a: &[Part], b: &[Part]) -> Result<Ordering, String> {
    for (x, y) in a.iter().zip(b) {
        let ord = match (x, y) {
            (Part::Num(x), Part::Num(y)) => x.cmp(y),
            (Part::Text(x), Part::Text(y)) => x.cmp(y),
            _ => return Err("'<' not supported between instances of 'str' and 'int'".into()),
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(a.len().cmp(&b.len()))
}

/// StrictVersion: `N.N[.N][(a|b)N]`; a pre-release sorts before the release.
fn strict_parse(s: &str) -> Result<(u64, u64, u64, (u8, u64)), String> {
    let invalid = || format!("invalid version number '{s}'");
    let (nums, pre) = match s.find(['a', 'b']) {
        Some(i) => (&s[..i], Some((s.as_bytes()[i], &s[i + 1..]))),
        None => (s, None),
    };
    let fields: Vec<&str> = nums.split('.').collect();
    if !(2..=3).contains(&fields.len())
        || fields.iter().any(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid());
    }
    let num = |f: &str| f.parse::<u64>().map_err(|_| invalid());
    let patch = if fields.len() == 3 { num(fields[2])? } else { 0 };
    let pre = match pre {
        None => (u8::MAX, 0),
        Some((_, n)) if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) => return Err(invalid()),
        Some((letter, n)) => (letter, num(n)?),
    };
    Ok((num(fields[0])?, num(fields[1])?, patch, pre))
}

/// A parsed semantic version: numbers and pre-release identifiers.
type SemVer = ((u64, u64, u64), Vec<String>);

fn semver_parse(s: &str) -> Result<SemVer, String> {
    let invalid = || format!("invalid semantic version '{s}'");
    let core_pre = s.split_once('+').map_or(s, |(v, _)| v);
    let (core, pre) = match core_pre.split_once('-') {
        Some((c, p)) => (c, p.split('.').map(String::from).collect()),
        None => (core_pre, Vec::new()),
    };
    let nums: Vec<u64> =
        core.split('.').map(|n| n.parse::<u64>().map_err(|_| invalid())).collect::<Result<_, _>>()?;
    if nums.len() != 3 || pre.iter().any(String::is_empty) {
        return Err(invalid());
    }
    Ok(((nums[0], nums[1], nums[2]), pre))
}

fn semver_cmp(a: &SemVer, b: &SemVer) -> Ordering {
    a.0.cmp(&b.0).then_with(|| match (a.1.is_empty(), b.1.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (x, y) in a.1.iter().zip(&b.1) {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    _ => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            a.1.len().cmp(&b.1.len())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_versions() {
        let lt = |a, b| compare(a, b, "loose").unwrap() == Ordering::Less;
        assert!(lt("1.2", "1.10"));
        assert!(lt("1.2", "1.2.1"));
        assert!(lt("2.0rc1", "2.0rc2"));
        assert_eq!(compare("1.0", "1.0", "loose").unwrap(), Ordering::Equal);
        assert_eq!(
            loose_parse("1.2-rc1"),
            [Part::Num(1), Part::Num(2), Part::Text("-".into()), Part::Text("rc".into()), Part::Num(1)]
        );
        assert!(compare("1.a", "1.1", "loose").is_err());
    }

    #[test]
    fn strict_and_semver() {
        assert_eq!(compare("1.2", "1.2.0", "strict").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.2a1", "1.2", "strict").unwrap(), Ordering::Less);
        assert!(compare("1.2.3.4", "1.2", "strict").is_err());
        assert_eq!(compare("1.0.0-alpha", "1.0.0", "semver").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0.0-alpha.1", "1.0.0-alpha.beta", "semver").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0.0+b1", "1.0.0", "semver").unwrap(), Ordering::Equal);
    }
}
