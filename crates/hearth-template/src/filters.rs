//! Ansible's Jinja filters that minijinja lacks or prints differently, with Ansible's (Python's)
//! output conventions, and the formatter that prints values like Jinja2 under Python.
//! This file registers everything and holds the type conversions (`bool`, `int`, `string`, ...);
//! text filters live in `filters_text.rs`, `filters_regex.rs` and `filters_comment.rs`, data-structure
//! filters in `filters_data.rs` and `filters_lists.rs`.
//! Not here: tests (`jinja_tests.rs`), lookups (`lookups.rs`).

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Output, State, Value};

use super::filter_support::{filter_error, py_truthy, type_debug};
use super::pyrepr::{number_repr, py_repr, py_str};
use super::{
    filters_comment, filters_data, filters_ip, filters_lists, filters_password, filters_regex, filters_text,
    jinja_tests, version,
};

/// Registers Ansible's filters and tests.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("string", |v: &Value| filters_data::text_kept(py_str(v)));
    env.add_filter("join", join);
    env.add_filter("ternary", ternary);
    env.add_filter("mandatory", mandatory);
    env.add_filter("type_debug", type_debug);
    filters_text::register(env);
    filters_regex::register(env);
    filters_data::register(env);
    filters_lists::register(env);
    filters_comment::register(env);
    filters_password::register(env);
    filters_ip::register(env);
    version::register(env);
    jinja_tests::register(env);
}

/// Prints values like Ansible's Jinja2: `True`/`False`, `1.0`, Python reprs for lists and dicts
/// (`[1, 'a']`, `{'a': True}`), strings as they are, and a top-level `None` as nothing (Ansible's
/// finalize hook; inside a collection it is `None`).
pub fn ansible_formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    let text = match value.kind() {
        ValueKind::None => String::new(),
        ValueKind::Bool | ValueKind::Seq | ValueKind::Map => py_repr(value),
        ValueKind::Number => number_repr(value),
        _ => return minijinja::escape_formatter(out, state, value),
    };
    out.write_str(&text).map_err(Error::from)
}

/// Ansible's `bool`: `yes`/`on`/`1`/`true` (any case) and `1` are true, `None` stays `None`.
fn to_bool(v: &Value) -> Value {
    match v.kind() {
        ValueKind::None | ValueKind::Bool => v.clone(),
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default().to_lowercase();
            Value::from(matches!(s.as_str(), "yes" | "on" | "1" | "true"))
        }
        ValueKind::Number => Value::from(f64::try_from(v.clone()).is_ok_and(|f| f == 1.0)),
        _ => Value::from(false),
    }
}

/// Jinja2's `int(default=0, base=10)`: never fails, unparsable input gives the default.
fn to_int(v: &Value, default: Option<Value>, base: Option<u32>, kwargs: Kwargs) -> Result<Value, Error> {
    let default = default.or(kwargs.get("default")?).unwrap_or(Value::from(0));
    let base = base.or(kwargs.get("base")?).unwrap_or(10);
    kwargs.assert_all_used()?;
    Ok(match v.kind() {
        ValueKind::Bool => Value::from(v.is_true() as i64),
        ValueKind::Number if v.is_integer() => v.clone(),
        ValueKind::Number => {
            f64::try_from(v.clone()).map(|f| Value::from(f.trunc() as i64)).unwrap_or(default)
        }
        ValueKind::String => {
            parse_py_int(v.as_str().unwrap_or_default(), base).map(Value::from).unwrap_or(default)
        }
        _ => default,
    })
}

/// Python's `int(s, base)` with Jinja2's fallback to `int(float(s))`.
fn parse_py_int(s: &str, base: u32) -> Option<i64> {
    let t = s.trim().replace('_', "");
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, t.strip_prefix('+').unwrap_or(&t).to_string()),
    };
    let prefix = match base {
        16 => Some("0x"),
        8 => Some("0o"),
        2 => Some("0b"),
        _ => None,
    };
    let lower = digits.to_ascii_lowercase();
    let digits = prefix.and_then(|p| lower.strip_prefix(p)).unwrap_or(&lower);
    if let Ok(n) = i64::from_str_radix(digits, base) {
        return Some(if neg { -n } else { n });
    }
    let f: f64 = s.trim().parse().ok()?;
    f.is_finite().then_some(f.trunc() as i64)
}

/// Jinja2's `float(default=0.0)`: unparsable input gives the default.
fn to_float(v: &Value, default: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let default = default.or(kwargs.get("default")?).unwrap_or(Value::from(0.0));
    kwargs.assert_all_used()?;
    Ok(match v.kind() {
        ValueKind::Bool => Value::from(if v.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => f64::try_from(v.clone()).map(Value::from).unwrap_or(default),
        ValueKind::String => v.as_str().and_then(parse_py_float).map(Value::from).unwrap_or(default),
        _ => default,
    })
}

fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim().replace('_', "");
    match t.to_ascii_lowercase().trim_start_matches(['+', '-']) {
        "inf" | "infinity" | "nan" => t.to_ascii_lowercase().parse().ok(),
        _ => t.parse().ok(),
    }
}

/// Jinja2's `join(d='', attribute=None)`, with items printed by Python's `str()`.
fn join(v: &Value, sep: Option<&str>, kwargs: Kwargs) -> Result<String, Error> {
    let attribute: Option<String> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    if v.kind() == ValueKind::String {
        let s = v.as_str().unwrap_or_default();
        return Ok(s.chars().map(String::from).collect::<Vec<_>>().join(sep.unwrap_or("")));
    }
    let mut parts = Vec::new();
    for item in v.try_iter()? {
        let item = match &attribute {
            Some(a) => get_path(&item, a)?,
            None => item,
        };
        parts.push(py_str(&item));
    }
    Ok(parts.join(sep.unwrap_or("")))
}

/// Ansible's `ternary(true_val, false_val, none_val=None)`, with Python truthiness.
fn ternary(v: &Value, yes: Value, no: Value, none: Option<Value>) -> Value {
    match none {
        Some(n) if v.is_none() && !n.is_none() => n,
        _ if py_truthy(v) => yes,
        _ => no,
    }
}

/// Ansible's `mandatory(msg=None)`: fails on an undefined value.
fn mandatory(v: &Value, msg: Option<String>) -> Result<Value, Error> {
    if !v.is_undefined() {
        return Ok(v.clone());
    }
    Err(filter_error(msg.unwrap_or_else(|| "Mandatory variable not defined.".to_string())))
}

/// Jinja2's dotted attribute path (`a.b.0`) on a value.
pub(crate) fn get_path(v: &Value, path: &str) -> Result<Value, Error> {
    let mut cur = v.clone();
    for part in path.split('.') {
        cur = match part.parse::<usize>() {
            Ok(i) if cur.kind() == ValueKind::Seq => cur.get_item_by_index(i)?,
            _ => cur.get_attr(part)?,
        };
    }
    Ok(cur)
}

#[cfg(test)]
#[path = "filters_tests.rs"]
mod tests;
