//! Python methods that Ansible templates call on values (`x.split(',')`, `d.get('k', 1)`,
//! `s.startswith('a')`, `d.items()`), answered by minijinja's unknown-method hook.
//! Not here: rarely used methods (`format`, `partition`, `zfill`, ...): they fail with a clear
//! "unknown method" error.

use minijinja::value::{Rest, ValueKind, from_args};
use minijinja::{Error, ErrorKind, State, Value};

use super::pyrepr::py_str;

/// minijinja's unknown-method callback: Python's `str`, `dict` and `list` methods.
pub fn call_method(state: &mut State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => str_method(state, value, method, args),
        ValueKind::Map => dict_method(state, value, method, args),
        ValueKind::Seq => list_method(value, method, args),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn str_method(state: &mut State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let s = value.as_str().unwrap_or_default();
    let with_value = || [std::slice::from_ref(value), args].concat();
    match method {
        "lower" | "upper" | "title" | "capitalize" | "replace" | "split" => {
            apply(state, method, &with_value())
        }
        "strip" | "lstrip" | "rstrip" => {
            let (chars,): (Option<&str>,) = from_args(args)?;
            Ok(Value::from(strip(s, method, chars)))
        }
        "startswith" | "endswith" => {
            let (affix,): (Value,) = from_args(args)?;
            let options: Vec<String> = match affix.kind() {
                ValueKind::Seq => affix.try_iter()?.map(|a| py_str(&a)).collect(),
                _ => vec![py_str(&affix)],
            };
            let hit = |a: &String| {
                if method == "startswith" { s.starts_with(a.as_str()) } else { s.ends_with(a.as_str()) }
            };
            Ok(Value::from(options.iter().any(hit)))
        }
        "find" => {
            let (needle,): (&str,) = from_args(args)?;
            Ok(Value::from(s.find(needle).map_or(-1, |i| s[..i].chars().count() as i64)))
        }
        "count" => {
            let (needle,): (&str,) = from_args(args)?;
            Ok(Value::from(s.matches(needle).count()))
        }
        "join" => {
            let (items,): (Value,) = from_args(args)?;
            Ok(Value::from(items.try_iter()?.map(|i| py_str(&i)).collect::<Vec<_>>().join(s)))
        }
        "splitlines" => Ok(Value::from(s.lines().map(Value::from).collect::<Vec<_>>())),
        "isdigit" => Ok(Value::from(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))),
        "isalpha" => Ok(Value::from(!s.is_empty() && s.chars().all(char::is_alphabetic))),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn apply(state: &mut State, filter: &str, args: &[Value]) -> Result<Value, Error> {
    state.apply_filter(filter, args)
}

fn strip(s: &str, method: &str, chars: Option<&str>) -> String {
    let pat = |c: char| chars.map_or(c.is_whitespace(), |set| set.contains(c));
    match method {
        "lstrip" => s.trim_start_matches(pat),
        "rstrip" => s.trim_end_matches(pat),
        _ => s.trim_matches(pat),
    }
    .to_string()
}

fn dict_method(state: &mut State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    match method {
        "get" => {
            let (key, default): (Value, Option<Value>) = from_args(args)?;
            let v = value.get_item(&key)?;
            Ok(if v.is_undefined() { default.unwrap_or(Value::from(())) } else { v })
        }
        "keys" => Ok(Value::from(value.try_iter()?.collect::<Vec<_>>())),
        "values" => {
            let keys: Vec<Value> = value.try_iter()?.collect();
            Ok(Value::from(keys.iter().map(|k| value.get_item(k)).collect::<Result<Vec<_>, _>>()?))
        }
        "items" => apply(state, "items", std::slice::from_ref(value)),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn list_method(value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let (needle, _rest): (Value, Rest<Value>) = from_args(args)?;
    let mut items = value.try_iter()?;
    match method {
        "index" => items
            .position(|x| x == needle)
            .map(Value::from)
            .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("{needle} is not in list"))),
        "count" => Ok(Value::from(items.filter(|x| *x == needle).count())),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}
