//! Python's `str()` and `repr()` of template values, so that `{{ [1, 'a'] }}` prints
//! `[1, 'a']` and `{{ 1.0 }}` prints `1.0` exactly as Ansible's Jinja2 does.
//! Not here: JSON or YAML output (`pyjson.rs`, `pyyaml.rs`).

use std::fmt::Write;

use hearth_formats::pyfloat::float_repr;
use minijinja::Value;
use minijinja::value::ValueKind;

/// Python's `str(value)`: strings as they are, everything else as its repr.
pub fn py_str(v: &Value) -> String {
    match v.as_str() {
        Some(s) if v.kind() == ValueKind::String => s.to_string(),
        _ => py_repr(v),
    }
}

/// Python's `repr(value)`: `True`, `None`, `'text'`, `[1, 'a']`, `{'k': 1.0}`.
pub fn py_repr(v: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, v);
    out
}

fn write_repr(out: &mut String, v: &Value) {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if v.is_true() { "True" } else { "False" }),
        ValueKind::Number => out.push_str(&number_repr(v)),
        ValueKind::String => out.push_str(&str_repr(v.as_str().unwrap_or_default())),
        ValueKind::Map => write_map(out, v),
        ValueKind::Seq | ValueKind::Iterable => write_seq(out, v),
        _ => out.push_str(&v.to_string()),
    }
}

/// A list as `[a, b]`, a tuple as `(a, b)` (one item: `(a,)`).
fn write_seq(out: &mut String, v: &Value) {
    let tuple = v.is_tuple();
    out.push(if tuple { '(' } else { '[' });
    let mut count = 0;
    if let Ok(items) = v.try_iter() {
        for item in items {
            if count > 0 {
                out.push_str(", ");
            }
            write_repr(out, &item);
            count += 1;
        }
    }
    if tuple && count == 1 {
        out.push(',');
    }
    out.push(if tuple { ')' } else { ']' });
}

fn write_map(out: &mut String, v: &Value) {
    out.push('{');
    if let Ok(keys) = v.try_iter() {
        for (i, key) in keys.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_repr(out, &key);
            out.push_str(": ");
            write_repr(out, &v.get_item(&key).unwrap_or_default());
        }
    }
    out.push('}');
}

/// Python's repr of an int or float value.
pub fn number_repr(v: &Value) -> String {
    if v.is_integer() {
        return v.to_string();
    }
    match f64::try_from(v.clone()) {
        Ok(f) => float_repr(f),
        Err(_) => v.to_string(),
    }
}

/// Python's `repr(str)`: single quotes unless the text holds `'` but no `"`, with escapes.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_unprintable(c) => {
                let n = c as u32;
                let _ = match n {
                    0..=0xff => write!(out, "\\x{n:02x}"),
                    0x100..=0xffff => write!(out, "\\u{n:04x}"),
                    _ => write!(out, "\\U{n:08x}"),
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Characters Python's `str.isprintable()` rejects (control, separators other than space).
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{ad}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
        || (c.is_whitespace() && c != ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_python() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (-3.25, "-3.25"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123456.789, "123456.789"),
            (1e20, "1e+20"),
            (2.5e100, "2.5e+100"),
            (0.0, "0.0"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn strings_like_python() {
        assert_eq!(str_repr("a"), "'a'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("it's \"q\""), "'it\\'s \"q\"'");
        assert_eq!(str_repr("a\nb\\c\t\x01é"), "'a\\nb\\\\c\\t\\x01é'");
    }

    #[test]
    fn collections_like_python() {
        let v = Value::from(minijinja::value::Serde(
            serde_json::json!({"a": [1, "x", true, null, 1.0], "b": {}}),
        ));
        assert_eq!(py_repr(&v), "{'a': [1, 'x', True, None, 1.0], 'b': {}}");
        assert_eq!(py_str(&Value::from("x")), "x");
        assert_eq!(py_str(&Value::from(false)), "False");
        let t = Value::from_object(minijinja::value::Tuple::from(vec![Value::from("a"), Value::from(1)]));
        assert_eq!(py_repr(&t), "('a', 1)");
    }
}
