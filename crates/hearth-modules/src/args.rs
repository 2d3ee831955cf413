//! The serde helpers every module's parameter struct uses for Ansible's loose types (bool, int,
//! str). `key=value` strings are `hearth_formats::kv`; modes live in `mode.rs`.

use hearth_formats::value::Value;

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
