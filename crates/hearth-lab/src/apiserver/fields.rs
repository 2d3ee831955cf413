//! Field paths and field sets as server-side apply tracks them: the set of fields an object sets
//! (leaves, atomic values, list items), their `fieldsV1` encoding (`f:`, `k:`, `v:`, `.`), the
//! printed form (`.spec.template.spec.containers[name="web"].image`) and a tiny schema of the
//! built-in kinds' keyed lists. It does not know full OpenAPI schemas: CRD lists are atomic.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pe {
    /// A map field.
    Field(String),
    /// A keyed list item: its key fields as canonical JSON (`{"name":"web"}`).
    Key(String),
    /// A set-list item: its value as JSON.
    Value(String),
}

/// A path from the object root.
pub type Path = Vec<Pe>;
/// A set of paths (what one manager owns).
pub type FieldSet = BTreeSet<Path>;

/// How a list is merged.
#[derive(Debug, Clone, PartialEq)]
pub enum ListKind {
    /// Replaced as a whole.
    Atomic,
    /// Items identified by these key fields.
    Map(Vec<&'static str>),
    /// Items identified by their value.
    Set,
}

/// The merge kind of the list in field `name` of a built-in kind (items decide `ports`).
pub fn list_kind(name: &str, items: &[Value], builtin: bool) -> ListKind {
    if !builtin {
        return ListKind::Atomic;
    }
    match name {
        "containers" | "initContainers" | "ephemeralContainers" | "env" | "volumes" | "imagePullSecrets" => {
            ListKind::Map(vec!["name"])
        }
        "volumeMounts" => ListKind::Map(vec!["mountPath"]),
        "volumeDevices" => ListKind::Map(vec!["devicePath"]),
        "ports" if items.iter().any(|i| i.get("containerPort").is_some()) => {
            ListKind::Map(vec!["containerPort", "protocol"])
        }
        "ports" => ListKind::Map(vec!["port", "protocol"]),
        "conditions" => ListKind::Map(vec!["type"]),
        "ownerReferences" => ListKind::Map(vec!["uid"]),
        "finalizers" => ListKind::Set,
        _ => ListKind::Atomic,
    }
}

/// Whether the map in field `name` of a built-in kind is replaced as a whole.
pub fn atomic_map(name: &str, builtin: bool) -> bool {
    builtin && matches!(name, "selector" | "nodeSelector")
}

/// The key of a keyed-list item: key fields in name order (protocol defaults to TCP).
pub fn item_key(item: &Value, keys: &[&str]) -> String {
    let mut m = Map::new();
    let mut sorted = keys.to_vec();
    sorted.sort_unstable();
    for k in sorted {
        match item.get(k) {
            Some(v) => {
                m.insert(k.to_string(), v.clone());
            }
            None if k == "protocol" => {
                m.insert(k.to_string(), Value::String("TCP".into()));
            }
            None => {}
        }
    }
    Value::Object(m).to_string()
}

/// The fields an object sets, minus what the server owns (apiVersion, kind, identity metadata,
/// and `status` when it is a subresource).
pub fn field_set(obj: &Value, builtin: bool, strip_status: bool) -> FieldSet {
    let mut set = FieldSet::new();
    walk(obj, &mut Vec::new(), &mut set, builtin);
    set.retain(|p| !server_owned(p, strip_status));
    set
}

fn server_owned(p: &Path, strip_status: bool) -> bool {
    let f = |i: usize| match p.get(i) {
        Some(Pe::Field(s)) => s.as_str(),
        _ => "",
    };
    match f(0) {
        "apiVersion" | "kind" => true,
        "status" => strip_status,
        "metadata" => matches!(
            f(1),
            "name"
                | "namespace"
                | "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "managedFields"
                | "selfLink"
                | "deletionTimestamp"
                | "deletionGracePeriodSeconds"
                | ""
        ),
        _ => false,
    }
}

fn walk(v: &Value, path: &mut Path, out: &mut FieldSet, builtin: bool) {
    let last = match path.last() {
        Some(Pe::Field(s)) => s.clone(),
        _ => String::new(),
    };
    match v {
        Value::Object(m) if m.is_empty() || atomic_map(&last, builtin) => {
            out.insert(path.clone());
        }
        Value::Object(m) => {
            for (k, child) in m {
                path.push(Pe::Field(k.clone()));
                walk(child, path, out, builtin);
                path.pop();
            }
        }
        Value::Array(items) => match list_kind(&last, items, builtin) {
            ListKind::Atomic => {
                out.insert(path.clone());
            }
            ListKind::Set => {
                for item in items {
                    path.push(Pe::Value(item.to_string()));
                    out.insert(path.clone());
                    path.pop();
                }
            }
            ListKind::Map(keys) => {
                for item in items {
                    path.push(Pe::Key(item_key(item, &keys)));
                    out.insert(path.clone());
                    if let Value::Object(m) = item {
                        for (k, child) in m {
                            path.push(Pe::Field(k.clone()));
                            walk(child, path, out, builtin);
                            path.pop();
                        }
                    }
                    path.pop();
                }
            }
        },
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The value at a path, if present.
pub fn get<'a>(mut v: &'a Value, path: &[Pe]) -> Option<&'a Value> {
    for pe in path {
        v = match pe {
            Pe::Field(f) => v.get(f)?,
            Pe::Key(k) => {
                let keys = key_names(k);
                v.as_array()?.iter().find(|item| item_key(item, &keys) == *k)?
            }
            Pe::Value(x) => v.as_array()?.iter().find(|item| item.to_string() == *x)?,
        };
    }
    Some(v)
}

/// Removes the value at a path (a field or a list item); absent paths are fine.
pub fn remove(v: &mut Value, path: &[Pe]) {
    let Some((last, parent)) = path.split_last() else { return };
    let mut cur = v;
    for pe in parent {
        let next = match pe {
            Pe::Field(f) => cur.get_mut(f),
            Pe::Key(k) => {
                let keys = key_names(k);
                cur.as_array_mut().and_then(|a| a.iter_mut().find(|item| item_key(item, &keys) == *k))
            }
            Pe::Value(x) => cur.as_array_mut().and_then(|a| a.iter_mut().find(|item| item.to_string() == *x)),
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    match last {
        Pe::Field(f) => {
            if let Some(m) = cur.as_object_mut() {
                m.remove(f);
            }
        }
        Pe::Key(k) => {
            let keys = key_names(k);
            if let Some(a) = cur.as_array_mut() {
                a.retain(|item| item_key(item, &keys) != *k);
            }
        }
        Pe::Value(x) => {
            if let Some(a) = cur.as_array_mut() {
                a.retain(|item| item.to_string().as_str() != x.as_str());
            }
        }
    }
}

/// The key field names inside a `Key` element's JSON.
fn key_names(k: &str) -> Vec<&str> {
    let names: Vec<String> = match serde_json::from_str::<Map<String, Value>>(k) {
        Ok(m) => m.keys().cloned().collect(),
        Err(_) => Vec::new(),
    };
    // Keys come from a fixed static table; map back to it to keep lifetimes simple.
    const KNOWN: [&str; 8] =
        ["name", "mountPath", "devicePath", "containerPort", "protocol", "port", "type", "uid"];
    KNOWN.iter().copied().filter(|n| names.iter().any(|x| x == n)).collect()
}

/// The printed form of a path, as conflict messages show it.
pub fn display(path: &[Pe]) -> String {
    let mut s = String::new();
    for pe in path {
        match pe {
            Pe::Field(f) => {
                s.push('.');
                s.push_str(f);
            }
            Pe::Key(k) => {
                let m: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                s.push_str(&format!("[{}]", parts.join(",")));
            }
            Pe::Value(x) => s.push_str(&format!("[={x}]")),
        }
    }
    s
}

/// Encodes a set as `fieldsV1` (`{"f:spec":{"f:replicas":{}}}`, `.` marks a member with children).
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        insert(&mut root, path);
    }
    // A member with children carries ".".
    mark_members(&mut root, set, &mut Vec::new());
    Value::Object(root)
}

fn insert(node: &mut Map<String, Value>, path: &[Pe]) {
    let Some((first, rest)) = path.split_first() else { return };
    let name = match first {
        Pe::Field(f) => format!("f:{f}"),
        Pe::Key(k) => format!("k:{k}"),
        Pe::Value(x) => format!("v:{x}"),
    };
    if let Value::Object(next) = node.entry(name).or_insert_with(|| Value::Object(Map::new())) {
        insert(next, rest);
    }
}

fn mark_members(node: &mut Map<String, Value>, set: &FieldSet, path: &mut Path) {
    for (name, child) in node.iter_mut() {
        let Some(pe) = parse_pe(name) else { continue };
        path.push(pe);
        if let Value::Object(m) = child {
            if !m.is_empty() && set.contains(path) && !m.contains_key(".") {
                m.insert(".".into(), Value::Object(Map::new()));
            }
            mark_members(m, set, path);
        }
        path.pop();
    }
}

fn parse_pe(name: &str) -> Option<Pe> {
    let (tag, rest) = name.split_at_checked(2)?;
    match tag {
        "f:" => Some(Pe::Field(rest.into())),
        "k:" => Some(Pe::Key(
            serde_json::from_str::<Value>(rest).map_or_else(|_| rest.to_string(), |v| v.to_string()),
        )),
        "v:" => Some(Pe::Value(rest.into())),
        _ => None,
    }
}

/// Decodes `fieldsV1` back into a set (unknown entries are skipped).
pub fn from_fields_v1(v: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    decode(v, &mut Vec::new(), &mut set);
    set
}

fn decode(v: &Value, path: &mut Path, out: &mut FieldSet) {
    let Some(m) = v.as_object() else { return };
    if !path.is_empty() && (m.is_empty() || m.contains_key(".")) {
        out.insert(path.clone());
    }
    for (name, child) in m {
        if let Some(pe) = parse_pe(name) {
            path.push(pe);
            decode(child, path, out);
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx", "args": ["a"],
                        "ports": [{"containerPort": 80}]}]}}}})
    }

    #[test]
    fn field_set_like_the_real_server() {
        let set = field_set(&deployment(), true, true);
        let v1 = to_fields_v1(&set);
        assert_eq!(
            v1,
            json!({"f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:replicas": {}, "f:selector": {},
                    "f:template": {"f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:args": {},
                            "f:image": {}, "f:name": {},
                            "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}}}}}}})
        );
        assert_eq!(from_fields_v1(&v1), set);
    }

    #[test]
    fn paths_print_get_and_remove() {
        let mut d = deployment();
        let p = vec![
            Pe::Field("spec".into()),
            Pe::Field("template".into()),
            Pe::Field("spec".into()),
            Pe::Field("containers".into()),
            Pe::Key(r#"{"name":"web"}"#.into()),
            Pe::Field("image".into()),
        ];
        assert_eq!(display(&p), r#".spec.template.spec.containers[name="web"].image"#);
        assert_eq!(get(&d, &p), Some(&json!("nginx")));
        remove(&mut d, &p[..5]);
        assert_eq!(d["spec"]["template"]["spec"]["containers"], json!([]));
        let sets = field_set(&json!({"metadata": {"finalizers": ["a"]}}), true, true);
        assert_eq!(display(sets.iter().next().unwrap()), r#".metadata.finalizers[="a"]"#);
    }

    #[test]
    fn crd_lists_are_atomic() {
        let set = field_set(&json!({"spec": {"containers": [{"name": "x"}]}}), false, true);
        assert_eq!(set.len(), 1);
    }
}
