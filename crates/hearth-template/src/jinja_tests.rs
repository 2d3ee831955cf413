//! Ansible's Jinja tests (`x is changed`, `x is match(...)`, `x is file`, ...). minijinja already
//! has `defined`, `undefined`, `none`, `in`, `string`, `number`, `mapping`, `iterable`,
//! `sequence`. File tests look at the control node, like Ansible's.
//! Not here: `version` (in `version.rs`), `vault_encrypted`, `same_file`, `mount`.

use std::path::Path;

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filter_support::{filter_error, py_truthy};
use super::filters_regex::{py_regex, regex_error, regex_flags};
use super::pyrepr::py_str;

/// Registers Ansible's tests.
pub fn register(env: &mut Environment<'static>) {
    for name in ["changed", "change"] {
        env.add_test(name, changed);
    }
    for name in ["failed", "failure"] {
        env.add_test(name, |r: &Value| result_flag(r, "failed", "failed"));
    }
    for name in ["succeeded", "success", "successful"] {
        env.add_test(name, |r: &Value| result_flag(r, "failed", "succeeded").map(|f| !f));
    }
    for name in ["skipped", "skip"] {
        env.add_test(name, |r: &Value| result_flag(r, "skipped", "skipped"));
    }
    env.add_test("unreachable", |r: &Value| result_flag(r, "unreachable", "unreachable"));
    env.add_test("reachable", |r: &Value| result_flag(r, "unreachable", "reachable").map(|f| !f));
    env.add_test("match", |v: &Value, p: &str, k: Kwargs| regex_test(v, p, k, true));
    env.add_test("search", |v: &Value, p: &str, k: Kwargs| regex_test(v, p, k, false));
    env.add_test("regex", regex_named);
    env.add_test("truthy", |v: &Value, k: Kwargs| truthy(v, k));
    env.add_test("falsy", |v: &Value, k: Kwargs| truthy(v, k).map(|t| !t));
    for name in ["subset", "issubset"] {
        env.add_test(name, |a: &Value, b: &Value| subset(a, b));
    }
    for name in ["superset", "issuperset"] {
        env.add_test(name, |a: &Value, b: &Value| subset(b, a));
    }
    env.add_test("contains", |seq: &Value, v: &Value| contains(seq, v));
    env.add_test("any", |v: &Value| Ok::<_, Error>(v.try_iter()?.any(|i| py_truthy(&i))));
    env.add_test("all", |v: &Value| Ok::<_, Error>(v.try_iter()?.all(|i| py_truthy(&i))));
    // Jinja2's `sequence` is anything with a length and items: strings and dicts too, never an
    // undefined value (minijinja's says true for undefined and false for strings and dicts).
    env.add_test("sequence", |v: &Value| {
        matches!(v.kind(), ValueKind::String | ValueKind::Seq | ValueKind::Map | ValueKind::Iterable)
    });
    // Jinja2's `iterable` calls `iter()`, which fails on Ansible's undefined; `None` is not.
    env.add_test("iterable", |v: &Value| {
        strict(v)?;
        Ok::<_, Error>(matches!(
            v.kind(),
            ValueKind::String | ValueKind::Seq | ValueKind::Map | ValueKind::Iterable
        ))
    });
    register_path_tests(env);
}

fn register_path_tests(env: &mut Environment<'static>) {
    for name in ["file", "is_file"] {
        env.add_test(name, |p: &Value| Path::new(&py_str(p)).is_file());
    }
    for name in ["directory", "is_dir"] {
        env.add_test(name, |p: &Value| Path::new(&py_str(p)).is_dir());
    }
    for name in ["link", "is_link"] {
        env.add_test(name, |p: &Value| Path::new(&py_str(p)).is_symlink());
    }
    env.add_test("exists", |p: &Value| Path::new(&py_str(p)).exists());
    env.add_test("link_exists", |p: &Value| Path::new(&py_str(p)).symlink_metadata().is_ok());
    for name in ["abs", "is_abs"] {
        env.add_test(name, |p: &Value| py_str(p).starts_with('/'));
    }
}

/// Reads a flag of a registered task result; `test` names the test for the error message.
fn result_flag(result: &Value, key: &str, test: &str) -> Result<bool, Error> {
    if result.kind() != ValueKind::Map {
        return Err(filter_error(format!("The '{test}' test expects a dictionary")));
    }
    Ok(result.get_attr(key).is_ok_and(|v| py_truthy(&v)))
}

/// `changed`: the result's `changed`, or any changed item of a loop's `results`.
fn changed(result: &Value) -> Result<bool, Error> {
    if result.kind() != ValueKind::Map {
        return Err(filter_error("The 'changed' test expects a dictionary"));
    }
    let own = result.get_attr("changed")?;
    if !own.is_undefined() {
        return Ok(py_truthy(&own));
    }
    let results = result.get_attr("results")?;
    if results.kind() != ValueKind::Seq {
        return Ok(false);
    }
    Ok(results.try_iter()?.any(|r| r.get_attr("changed").is_ok_and(|c| py_truthy(&c))))
}

/// `match` (anchored at the start, like `re.match`) and `search` (anywhere).
fn regex_test(v: &Value, pattern: &str, kwargs: Kwargs, anchored: bool) -> Result<bool, Error> {
    let (ic, ml) = regex_flags(&kwargs)?;
    kwargs.assert_all_used()?;
    let pattern = if anchored { format!("\\A(?:{pattern})") } else { pattern.to_string() };
    py_regex(&pattern, ic, ml)?.is_match(py_str(v).as_bytes()).map_err(regex_error)
}

/// `regex(pattern, ignorecase=, multiline=, match_type='search')`.
fn regex_named(v: &Value, pattern: &str, kwargs: Kwargs) -> Result<bool, Error> {
    let anchored = match kwargs.get::<Option<&str>>("match_type")?.unwrap_or("search") {
        "match" => true,
        "search" => false,
        other => return Err(filter_error(format!("regex: match_type '{other}' is not supported"))),
    };
    regex_test(v, pattern, kwargs, anchored)
}

/// `truthy(convert_bool=False)`: Python truthiness, optionally reading "yes"/"off"/... first.
fn truthy(v: &Value, kwargs: Kwargs) -> Result<bool, Error> {
    let convert = kwargs.get::<Option<bool>>("convert_bool")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    strict(v)?;
    if convert && let Some(b) = boolean_like(v) {
        return Ok(b);
    }
    Ok(py_truthy(v))
}

/// Fails on an undefined value, as Ansible's strict undefined does when a test touches it.
fn strict(v: &Value) -> Result<(), Error> {
    if v.is_undefined() {
        return Err(Error::new(minijinja::ErrorKind::UndefinedError, "the tested value is undefined"));
    }
    Ok(())
}

/// Ansible's `boolean()` for the values it recognises.
fn boolean_like(v: &Value) -> Option<bool> {
    match v.kind() {
        ValueKind::Bool => Some(v.is_true()),
        ValueKind::String => match v.as_str()?.to_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" => Some(true),
            "n" | "no" | "off" | "0" | "false" | "f" => Some(false),
            _ => None,
        },
        ValueKind::Number => match f64::try_from(v.clone()).ok()? {
            1.0 => Some(true),
            0.0 => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `set(a) <= set(b)`.
fn subset(a: &Value, b: &Value) -> Result<bool, Error> {
    let b: Vec<Value> = b.try_iter()?.collect();
    Ok(a.try_iter()?.all(|x| b.contains(&x)))
}

/// `value in seq` (for strings: substring).
fn contains(seq: &Value, v: &Value) -> Result<bool, Error> {
    if seq.kind() == ValueKind::String {
        return Ok(seq.as_str().unwrap_or_default().contains(&py_str(v)));
    }
    if seq.kind() == ValueKind::Map {
        return Ok(!seq.get_item(v)?.is_undefined());
    }
    Ok(seq.try_iter()?.any(|x| &x == v))
}
