//! Merging JSON objects: the structural merge of server-side apply (maps field by field, keyed
//! lists item by item, atomic values replaced), JSON merge patch (RFC 7386) and the map/keyed-list
//! part of strategic merge patch. It does not implement strategic-merge directives (`$patch`,
//! `$setElementOrder`, `$retainKeys`): they are dropped.

use serde_json::{Map, Value};

use super::fields::{ListKind, atomic_map, item_key, list_kind};

/// `applied` merged onto `live` as server-side apply does (before removing disowned fields).
pub fn apply_merge(live: &Value, applied: &Value, builtin: bool) -> Value {
    merge_at(live, applied, "", builtin, false)
}

/// A strategic merge patch, treated as a merge patch whose keyed lists merge by key.
pub fn strategic_patch(target: &Value, patch: &Value, builtin: bool) -> Value {
    merge_at(target, patch, "", builtin, true)
}

fn merge_at(live: &Value, applied: &Value, field: &str, builtin: bool, nulls_delete: bool) -> Value {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) if !atomic_map(field, builtin) => {
            let mut out = l.clone();
            for (k, av) in a {
                if k.starts_with('$') {
                    continue;
                }
                if av.is_null() && nulls_delete {
                    out.remove(k);
                    continue;
                }
                let merged = match l.get(k) {
                    Some(lv) => merge_at(lv, av, k, builtin, nulls_delete),
                    None => strip_directives(av),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(a)) => match list_kind(field, a, builtin) {
            ListKind::Map(keys) => {
                let mut out = l.clone();
                for item in a {
                    let key = item_key(item, &keys);
                    match out.iter_mut().find(|x| item_key(x, &keys) == key) {
                        Some(existing) => *existing = merge_at(existing, item, "", builtin, nulls_delete),
                        None => out.push(strip_directives(item)),
                    }
                }
                Value::Array(out)
            }
            ListKind::Set => {
                let mut out = l.clone();
                for item in a {
                    if !out.contains(item) {
                        out.push(item.clone());
                    }
                }
                Value::Array(out)
            }
            ListKind::Atomic => applied.clone(),
        },
        _ => strip_directives(applied),
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(p) = patch else { return patch.clone() };
    let mut out = match target {
        Value::Object(t) => t.clone(),
        _ => Map::new(),
    };
    for (k, pv) in p {
        if pv.is_null() {
            out.remove(k);
        } else {
            let merged = merge_patch(out.get(k).unwrap_or(&Value::Null), pv);
            out.insert(k.clone(), merged);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn apply_merges_containers_by_name_and_replaces_atomic_lists() {
        let live = json!({"spec": {"containers": [
            {"name": "a", "image": "x", "args": ["1", "2"]}, {"name": "b", "image": "y"}]}});
        let applied = json!({"spec": {"containers": [{"name": "a", "image": "z", "args": ["3"]}]}});
        let out = apply_merge(&live, &applied, true);
        assert_eq!(
            out,
            json!({"spec": {"containers": [{"name": "a", "image": "z", "args": ["3"]}, {"name": "b", "image": "y"}]}})
        );
    }

    #[test]
    fn selectors_are_atomic() {
        let live = json!({"selector": {"matchLabels": {"a": "1"}}});
        let out = apply_merge(&live, &json!({"selector": {"matchLabels": {"b": "2"}}}), true);
        assert_eq!(out, json!({"selector": {"matchLabels": {"b": "2"}}}));
    }

    #[test]
    fn merge_patch_deletes_nulls() {
        let t = json!({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]});
        let out = merge_patch(&t, &json!({"a": null, "b": {"c": 5}, "l": [3]}));
        assert_eq!(out, json!({"b": {"c": 5, "d": 3}, "l": [3]}));
    }

    #[test]
    fn strategic_patch_merges_env_by_name() {
        let t = json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]});
        let out =
            strategic_patch(&t, &json!({"env": [{"name": "B", "value": "3"}], "$retainKeys": []}), true);
        assert_eq!(out, json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]}));
    }
}
