//! Label selectors (the `labelSelector` query string and a Deployment's `spec.selector`) and the
//! `metadata.name`/`metadata.namespace` field selectors. It does not implement set-based field
//! selectors or selectors on other fields.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// `key=value` or `key==value`.
    Eq(String, String),
    /// `key!=value` (also true when the key is absent).
    Ne(String, String),
    /// `key in (a,b)`.
    In(String, BTreeSet<String>),
    /// `key notin (a,b)` (also true when the key is absent).
    NotIn(String, BTreeSet<String>),
    /// `key`.
    Exists(String),
    /// `!key`.
    NotExists(String),
}

/// Parses a `labelSelector` (comma-separated requirements; empty selects everything).
pub fn parse(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for part in split_top(text) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        out.push(parse_one(part)?);
    }
    Ok(out)
}

/// Splits on commas outside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_one(part: &str) -> Result<Requirement, String> {
    let bad = || format!("unable to parse requirement: {part:?}");
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::NotExists(checked_key(key.trim(), part)?));
    }
    for (op, ne) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((k, v)) = part.split_once(op) {
            let (k, v) = (checked_key(k.trim(), part)?, v.trim().to_string());
            return Ok(if ne { Requirement::Ne(k, v) } else { Requirement::Eq(k, v) });
        }
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if words.len() == 1 {
        return Ok(Requirement::Exists(checked_key(words[0], part)?));
    }
    let key = checked_key(words[0], part)?;
    let rest = words[1].trim();
    let (op, list) = rest.split_once(char::is_whitespace).map_or((rest, ""), |(o, l)| (o, l.trim()));
    let list = list.strip_prefix('(').and_then(|l| l.strip_suffix(')')).ok_or_else(bad)?;
    let values: BTreeSet<String> =
        list.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
    match op {
        "in" => Ok(Requirement::In(key, values)),
        "notin" => Ok(Requirement::NotIn(key, values)),
        _ => Err(bad()),
    }
}

fn checked_key(key: &str, part: &str) -> Result<String, String> {
    let ok = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(key.to_string())
    } else {
        Err(format!("unable to parse requirement: invalid label key {key:?} in {part:?}"))
    }
}

/// Whether labels (a JSON map, or null) satisfy every requirement.
pub fn matches(reqs: &[Requirement], labels: &Value) -> bool {
    let get = |k: &str| labels.get(k).and_then(Value::as_str);
    reqs.iter().all(|r| match r {
        Requirement::Eq(k, v) => get(k) == Some(v.as_str()),
        Requirement::Ne(k, v) => get(k) != Some(v.as_str()),
        Requirement::In(k, vs) => get(k).is_some_and(|x| vs.contains(x)),
        Requirement::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(x)),
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::NotExists(k) => get(k).is_none(),
    })
}

/// Converts a `metav1.LabelSelector` (matchLabels, matchExpressions) to requirements.
pub fn from_label_selector(sel: &Value) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for (k, v) in sel["matchLabels"].as_object().unwrap_or(&Map::new()) {
        out.push(Requirement::Eq(k.clone(), v.as_str().unwrap_or_default().to_string()));
    }
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let key = e["key"].as_str().unwrap_or_default().to_string();
        let values: BTreeSet<String> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        out.push(match e["operator"].as_str().unwrap_or_default() {
            "In" => Requirement::In(key, values),
            "NotIn" => Requirement::NotIn(key, values),
            "Exists" => Requirement::Exists(key),
            "DoesNotExist" => Requirement::NotExists(key),
            other => return Err(format!("{other:?} is not a valid label selector operator")),
        });
    }
    Ok(out)
}

/// A `fieldSelector`: (field, value, negated) triples on metadata.name / metadata.namespace.
pub fn parse_fields(text: &str) -> Result<Vec<(String, String, bool)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, value, neg) = if let Some((f, v)) = part.split_once("!=") {
            (f, v, true)
        } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            (f, v, false)
        } else {
            return Err(format!("invalid selector: {part:?}; can't understand it"));
        };
        let field = field.trim();
        if field != "metadata.name" && field != "metadata.namespace" {
            return Err(format!("field label not supported: {field}"));
        }
        out.push((field.to_string(), value.trim().to_string(), neg));
    }
    Ok(out)
}

/// Whether an object satisfies parsed field requirements.
pub fn fields_match(reqs: &[(String, String, bool)], obj: &Value) -> bool {
    reqs.iter().all(|(field, value, neg)| {
        let key = field.trim_start_matches("metadata.");
        let actual = obj["metadata"][key].as_str().unwrap_or_default();
        (actual == value) != *neg
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(text: &str, labels: Value) -> bool {
        matches(&parse(text).unwrap(), &labels)
    }

    #[test]
    fn every_operator() {
        let l = json!({"app": "web", "tier": "front"});
        assert!(sel("app=web", l.clone()));
        assert!(sel("app==web,tier", l.clone()));
        assert!(!sel("app!=web", l.clone()));
        assert!(sel("app!=db", json!({})));
        assert!(sel("tier in (front, back)", l.clone()));
        assert!(!sel("tier notin (front)", l.clone()));
        assert!(sel("x notin (a)", l.clone()));
        assert!(sel("!x", l.clone()));
        assert!(!sel("!app", l.clone()));
        assert!(sel("", json!(null)));
        assert!(parse("app in x").is_err());
        assert!(parse("a b c").is_err());
    }

    #[test]
    fn label_selector_objects() {
        let s = json!({"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]});
        let reqs = from_label_selector(&s).unwrap();
        assert!(matches(&reqs, &json!({"app": "web", "tier": "front"})));
        assert!(!matches(&reqs, &json!({"app": "web"})));
    }

    #[test]
    fn field_selectors() {
        let f = parse_fields("metadata.name=web,metadata.namespace!=kube-system").unwrap();
        assert!(fields_match(&f, &json!({"metadata": {"name": "web", "namespace": "default"}})));
        assert!(!fields_match(&f, &json!({"metadata": {"name": "db"}})));
        assert!(parse_fields("spec.x=1").is_err());
    }
}
