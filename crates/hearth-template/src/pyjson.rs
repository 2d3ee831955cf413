//! Python's `json.dumps` output for `to_json` / `to_nice_json`: `", "` and `": "` separators,
//! ASCII-only escapes (`ensure_ascii`), optional indent and key sorting, Python float reprs.
//! Not here: parsing (serde_json does that).

use std::fmt::Write;

use hearth_formats::value::Value;

use hearth_formats::pyfloat::float_repr;

/// Options of `json.dumps` that Ansible's filters use.
#[derive(Debug, Clone, Default)]
pub struct JsonStyle {
    /// Spaces per nesting level; `None` prints everything on one line.
    pub indent: Option<usize>,
    /// Sort mapping keys (`sort_keys=True`).
    pub sort_keys: bool,
    /// Escape non-ASCII characters as `\uXXXX` (Python's default).
    pub ensure_ascii: bool,
}

/// Serializes a value exactly like Python's `json.dumps` with the given options.
pub fn dumps(v: &Value, style: &JsonStyle) -> String {
    let mut out = String::new();
    write_value(&mut out, v, style, 0);
    out
}

fn write_value(out: &mut String, v: &Value, style: &JsonStyle, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_string(out, s, style.ensure_ascii),
        Value::Array(items) => {
            let items: Vec<&Value> = items.iter().collect();
            write_container(out, ('[', ']'), &items, style, depth, |out, item, d| {
                write_value(out, item, style, d)
            });
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            write_container(out, ('{', '}'), &entries, style, depth, |out, (k, v), d| {
                write_string(out, k, style.ensure_ascii);
                out.push_str(": ");
                write_value(out, v, style, d);
            });
        }
    }
}

fn write_container<T>(
    out: &mut String,
    (open, close): (char, char),
    items: &[T],
    style: &JsonStyle,
    depth: usize,
    mut write_item: impl FnMut(&mut String, &T, usize),
) {
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    for (i, item) in items.iter().enumerate() {
        match style.indent {
            Some(n) => {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                out.push_str(&" ".repeat(n * (depth + 1)));
            }
            None if i > 0 => out.push_str(", "),
            None => {}
        }
        write_item(out, item, depth + 1);
    }
    if let Some(n) = style.indent {
        out.push('\n');
        out.push_str(&" ".repeat(n * depth));
    }
    out.push(close);
}

fn number(n: &serde_json::Number) -> String {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or(0.0);
        if f.is_nan() {
            return "NaN".into();
        }
        if f.is_infinite() {
            return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
        }
        return float_repr(f);
    }
    n.to_string()
}

fn write_string(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compact() -> JsonStyle {
        JsonStyle { indent: None, sort_keys: false, ensure_ascii: true }
    }

    #[test]
    fn compact_like_python() {
        let v = json!({"b": [1, 2.5, "é\n", null], "a": {"x": true}, "c": {}, "d": []});
        assert_eq!(
            dumps(&v, &compact()),
            r#"{"b": [1, 2.5, "\u00e9\n", null], "a": {"x": true}, "c": {}, "d": []}"#
        );
        assert_eq!(dumps(&json!(1.0), &compact()), "1.0");
        assert_eq!(dumps(&json!("😀"), &compact()), r#""\ud83d\ude00""#);
    }

    #[test]
    fn nice_like_python() {
        let v = json!({"b": [1, {"y": 1}], "a": "x", "c": []});
        let style = JsonStyle { indent: Some(4), sort_keys: true, ensure_ascii: true };
        let want = "{\n    \"a\": \"x\",\n    \"b\": [\n        1,\n        {\n            \"y\": 1\n        }\n    ],\n    \"c\": []\n}";
        assert_eq!(dumps(&v, &style), want);
    }
}
