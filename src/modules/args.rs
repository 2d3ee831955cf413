//! Reading module arguments: Ansible's `key=value` strings and free-form commands, and the serde
//! helpers every module's parameter struct uses for Ansible's loose types (bool, int, str). Modes
//! live in `mode.rs`.

use crate::value::{Map, Value};

/// Splits `src=a dest="b c" mode=0644` into pairs, honouring single and double quotes.
/// Words that are not `key=value` are returned as the free-form rest, in order.
pub fn split_kv(s: &str, keys: Option<&[&str]>) -> (Map, String) {
    let mut map = Map::new();
    let mut rest = Vec::new();
    for word in split_words(s) {
        match word.split_once('=') {
            Some((k, v)) if is_key(k) && keys.is_none_or(|ks| ks.contains(&k)) => {
                map.insert(k.to_string(), Value::String(unquote(v)));
            }
            _ => rest.push(word),
        }
    }
    (map, rest.join(" "))
}

fn is_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits on whitespace outside quotes, keeping quotes in the words.
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut jinja_depth = 0usize;
    let mut prev = '\0';
    for c in s.chars() {
        // Never split inside `{{ ... }}` or `{% ... %}`: Jinja expressions may contain spaces.
        match (prev, c) {
            ('{', '{' | '%') => jinja_depth += 1,
            ('}', '}') | ('%', '}') => jinja_depth = jinja_depth.saturating_sub(1),
            _ => {}
        }
        prev = c;
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match (c, quote) {
            ('\\', _) => {
                cur.push(c);
                escaped = true;
            }
            ('"' | '\'', None) => {
                quote = Some(c);
                cur.push(c);
            }
            (q, Some(open)) if q == open => {
                quote = None;
                cur.push(c);
            }
            (w, None) if w.is_whitespace() && jinja_depth == 0 => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// Reads a boolean the way Ansible does: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`.
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "on" | "1" | "true" | "y" | "t" => Some(true),
            "no" | "off" | "0" | "false" | "n" | "f" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// serde helper for boolean parameters that may arrive as strings (`force=yes`).
pub fn de_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    parse_bool(&v).ok_or_else(|| serde::de::Error::custom(format!("expected a boolean, got {v}")))
}

/// serde helper for optional boolean parameters.
pub fn de_opt_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    if v.is_null() {
        return Ok(None);
    }
    parse_bool(&v).map(Some).ok_or_else(|| serde::de::Error::custom(format!("expected a boolean, got {v}")))
}

/// serde helper for integer parameters that may arrive as strings (`verbosity=2`).
pub fn de_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    match &v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {v}")))
}

/// serde helper for optional integer parameters (`depth: 2`, `limit: "5"`).
pub fn de_opt_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    match &v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .map(Some)
    .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {v}")))
}

/// serde helper for Ansible `str` parameters, which also accept numbers and booleans
/// (`line: 42`, `owner: 1000`) and turn them into text the way Python's `str()` does.
pub fn de_opt_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match <Value as serde::Deserialize>::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Bool(b) => Some(if b { "True" } else { "False" }.into()),
        Value::Number(n) => Some(n.to_string()),
        other => return Err(serde::de::Error::custom(format!("expected a string, got {other}"))),
    })
}

/// serde helper for Ansible `list` parameters: a list, or a comma-separated string.
pub fn de_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(match <Value as serde::Deserialize>::deserialize(d)? {
        Value::Null => Vec::new(),
        Value::Array(a) => a.iter().map(text).collect(),
        Value::String(s) => s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
        other => vec![text(&other)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_with_quotes() {
        let (m, rest) = split_kv(r#"src=a dest="b c" mode=0644"#, None);
        assert_eq!(m["src"], "a");
        assert_eq!(m["dest"], "b c");
        assert_eq!(m["mode"], "0644");
        assert_eq!(rest, "");
    }

    #[test]
    fn jinja_expressions_stay_whole() {
        let (m, _) = split_kv("msg={{ x | default('a b') }} other=1", None);
        assert_eq!(m["msg"], "{{ x | default('a b') }}");
        assert_eq!(m["other"], "1");
    }

    #[test]
    fn free_form_keeps_unknown_words() {
        let (m, rest) = split_kv("echo a=b 'x y' creates=/tmp/f", Some(&["creates", "chdir"]));
        assert_eq!(m["creates"], "/tmp/f");
        assert_eq!(rest, "echo a=b 'x y'");
    }
}
