//! Field ownership: `metadata.managedFields` entries, server-side apply (merge, conflicts with
//! other managers, removal of fields the applier dropped, `force`) and how plain updates move
//! ownership. Pure functions over JSON values; the store decides when to call them. It does not
//! do defaulting, validation or server metadata (uid, resourceVersion, generation).

use serde_json::{Value, json};

use super::fields::{self, FieldSet, Path, Pe};
use super::merge::apply_merge;

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Field manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// The apiVersion the manager used.
    pub api_version: String,
    /// When it last changed its fields (RFC 3339).
    pub time: String,
    /// `status` for writes to the status subresource.
    pub subresource: Option<String>,
    /// The fields it owns.
    pub set: FieldSet,
}

/// Who writes: manager, apiVersion used, subresource, time.
#[derive(Debug, Clone)]
pub struct Writer {
    /// Field manager.
    pub manager: String,
    /// apiVersion of the request.
    pub api_version: String,
    /// `status` for the status subresource.
    pub subresource: Option<String>,
    /// Now, RFC 3339.
    pub time: String,
}

/// What the double knows of a kind's shape.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Built-in kinds have keyed lists; CRD lists are atomic.
    pub builtin: bool,
    /// `status` is a subresource: not owned through the main resource.
    pub strip_status: bool,
}

/// The entries of an object's `metadata.managedFields`.
pub fn read_managed(obj: &Value) -> Vec<Entry> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| Entry {
            manager: s(&e["manager"]),
            operation: s(&e["operation"]),
            api_version: s(&e["apiVersion"]),
            time: s(&e["time"]),
            subresource: e["subresource"].as_str().map(str::to_string),
            set: fields::from_fields_v1(&e["fieldsV1"]),
        })
        .collect()
}

/// Writes entries as `metadata.managedFields` (removed when there are none).
pub fn write_managed(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut v = json!({"manager": e.manager, "operation": e.operation, "apiVersion": e.api_version,
                "time": e.time, "fieldsType": "FieldsV1", "fieldsV1": fields::to_fields_v1(&e.set)});
            if let Some(sub) = &e.subresource {
                v["subresource"] = json!(sub);
            }
            v
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// A manager as conflict messages print it: `"name"`, or `"name" using apps/v1` for updaters.
pub fn printed(e: &Entry) -> String {
    let mut s = format!("{:?}", e.manager);
    if let Some(sub) = &e.subresource {
        s.push_str(&format!(" with subresource {sub:?}"));
    }
    if e.operation == "Update" {
        s.push_str(&format!(" using {}", e.api_version));
    }
    s
}

/// Apply conflicts: (printed manager, printed path) in manager order.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflicts(pub Vec<(String, String)>);

impl Conflicts {
    /// The message the real server sends.
    pub fn message(&self) -> String {
        let c = &self.0;
        if c.len() == 1 {
            return format!("Apply failed with 1 conflict: conflict with {}: {}", c[0].0, c[0].1);
        }
        let mut managers: Vec<&String> = c.iter().map(|(m, _)| m).collect();
        managers.sort();
        managers.dedup();
        let mut lines = Vec::new();
        for m in managers {
            lines.push(format!("conflicts with {m}:"));
            lines.extend(c.iter().filter(|(x, _)| x == m).map(|(_, p)| format!("- {p}")));
        }
        format!("Apply failed with {} conflicts: {}", c.len(), lines.join("\n"))
    }
}

/// Whether a write changes the value at `p` (list items: whether they appear or go).
fn changed(old: &Value, new: &Value, p: &Path) -> bool {
    match p.last() {
        Some(Pe::Key(_) | Pe::Value(_)) => fields::get(old, p).is_some() != fields::get(new, p).is_some(),
        _ => fields::get(old, p) != fields::get(new, p),
    }
}

/// Server-side apply of `applied` by `who` onto `live` (None: create). Returns the merged object
/// with its new managedFields, or the conflicts when `force` is false. `normalize` is what the
/// server does on write (defaults, Secret stringData): conflicts are changes that survive it.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    who: &Writer,
    shape: Shape,
    force: bool,
    normalize: &dyn Fn(&mut Value),
) -> Result<Value, Conflicts> {
    let mut applied = applied.clone();
    if let Some(meta) = applied.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    if shape.strip_status
        && let Some(m) = applied.as_object_mut()
    {
        m.remove("status");
    }
    let live_body = live.cloned().unwrap_or_else(|| json!({}));
    let mut merged = apply_merge(&live_body, &applied, shape.builtin);
    let mut entries = live.map(read_managed).unwrap_or_default();
    let ours = |e: &Entry| e.manager == who.manager && e.operation == "Apply" && e.subresource.is_none();
    let s_a = fields::field_set(&applied, shape.builtin, shape.strip_status);

    let mut normalized = merged.clone();
    normalize(&mut normalized);
    let mut conflicts = Vec::new();
    for e in entries.iter().filter(|e| !ours(e)) {
        for p in e.set.intersection(&s_a) {
            if changed(&live_body, &normalized, p) {
                conflicts.push((printed(e), fields::display(p), p.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(Conflicts(conflicts.into_iter().map(|(m, p, _)| (m, p)).collect()));
    }
    for e in entries.iter_mut().filter(|e| !ours(e)) {
        for (_, _, p) in &conflicts {
            e.set.remove(p);
        }
    }
    let previous = entries.iter().find(|e| ours(e)).map(|e| e.set.clone()).unwrap_or_default();
    let owned = |p: &Path| s_a.contains(p) || entries.iter().any(|e| !ours(e) && e.set.contains(p));
    for p in previous.difference(&s_a) {
        if owned(p) {
            continue;
        }
        fields::remove(&mut merged, p);
        // Maps and lists emptied by the removal go too, unless someone owns them.
        for end in (1..p.len()).rev() {
            let parent = &p[..end];
            let empty = fields::get(&merged, parent).is_some_and(|v| {
                v.as_object().is_some_and(|m| m.is_empty()) || v.as_array().is_some_and(Vec::is_empty)
            });
            if !empty || owned(&parent.to_vec()) {
                break;
            }
            fields::remove(&mut merged, parent);
        }
    }
    match entries.iter_mut().find(|e| ours(e)) {
        Some(e) => {
            e.set = s_a;
            e.api_version = who.api_version.clone();
            e.time = who.time.clone();
        }
        None => entries.push(Entry {
            manager: who.manager.clone(),
            operation: "Apply".into(),
            api_version: who.api_version.clone(),
            time: who.time.clone(),
            subresource: None,
            set: s_a,
        }),
    }
    entries.retain(|e| !e.set.is_empty());
    write_managed(&mut merged, &entries);
    Ok(merged)
}

/// Ownership after a plain write (create, update, patch) of `old` → `new` by `who`: the writer
/// takes every field it changed; removed fields leave every owner.
pub fn update(mut entries: Vec<Entry>, old: &Value, new: &Value, who: &Writer, shape: Shape) -> Vec<Entry> {
    let s_old = fields::field_set(old, shape.builtin, shape.strip_status);
    let s_new = fields::field_set(new, shape.builtin, shape.strip_status);
    let changed: FieldSet = s_new.iter().filter(|p| changed(old, new, p)).cloned().collect();
    let removed: FieldSet = s_old.difference(&s_new).cloned().collect();
    for e in &mut entries {
        e.set.retain(|p| !changed.contains(p) && !removed.contains(p));
    }
    let ours =
        |e: &Entry| e.manager == who.manager && e.operation == "Update" && e.subresource == who.subresource;
    match entries.iter_mut().find(|e| ours(e)) {
        Some(e) => {
            e.set.extend(changed);
            e.api_version = who.api_version.clone();
            e.time = who.time.clone();
        }
        None if !changed.is_empty() => entries.push(Entry {
            manager: who.manager.clone(),
            operation: "Update".into(),
            api_version: who.api_version.clone(),
            time: who.time.clone(),
            subresource: who.subresource.clone(),
            set: changed,
        }),
        None => {}
    }
    entries.retain(|e| !e.set.is_empty());
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape { builtin: true, strip_status: true };

    fn who(m: &str) -> Writer {
        Writer { manager: m.into(), api_version: "apps/v1".into(), subresource: None, time: "T".into() }
    }

    fn deploy(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    #[test]
    fn create_then_reapply_is_stable() {
        let a = apply(None, &deploy(1, "nginx"), &who("kubectl"), SHAPE, false, &|_| {}).unwrap();
        assert_eq!(a["metadata"]["managedFields"][0]["operation"], "Apply");
        let b = apply(Some(&a), &deploy(1, "nginx"), &who("kubectl"), SHAPE, false, &|_| {}).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn conflicts_name_the_manager_and_force_takes_over() {
        let live = deploy(1, "nginx");
        let entries = update(vec![], &json!({}), &live, &who("kubectl-client-side-apply"), SHAPE);
        let mut live = live;
        write_managed(&mut live, &entries);
        let err =
            apply(Some(&live), &json!({"spec": {"replicas": 3}}), &who("hearth"), SHAPE, false, &|_| {})
                .unwrap_err();
        assert_eq!(
            err.message(),
            r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#
        );
        // The same value is shared ownership, not a conflict.
        assert!(
            apply(Some(&live), &json!({"spec": {"replicas": 1}}), &who("hearth"), SHAPE, false, &|_| {})
                .is_ok()
        );
        let forced =
            apply(Some(&live), &json!({"spec": {"replicas": 3}}), &who("hearth"), SHAPE, true, &|_| {})
                .unwrap();
        assert_eq!(forced["spec"]["replicas"], 3);
        let owners = read_managed(&forced);
        let replicas = vec![Pe::Field("spec".into()), Pe::Field("replicas".into())];
        assert!(!owners[0].set.contains(&replicas) && owners[1].set.contains(&replicas));
    }

    #[test]
    fn omitted_fields_are_removed_unless_someone_else_owns_them() {
        let mut with_env = deploy(1, "nginx");
        with_env["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"name": "A", "value": "1"}]);
        let a = apply(None, &with_env, &who("hearth"), SHAPE, false, &|_| {}).unwrap();
        let b = apply(Some(&a), &deploy(1, "nginx"), &who("hearth"), SHAPE, false, &|_| {}).unwrap();
        assert!(b["spec"]["template"]["spec"]["containers"][0].get("env").is_none());
        let c = apply(Some(&a), &with_env, &who("other"), SHAPE, false, &|_| {}).unwrap();
        let d = apply(Some(&c), &deploy(1, "nginx"), &who("hearth"), SHAPE, false, &|_| {}).unwrap();
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["env"][0]["name"], "A");
    }

    #[test]
    fn several_conflicts_are_grouped_by_manager() {
        let c = Conflicts(vec![("\"a\"".into(), ".x".into()), ("\"a\"".into(), ".y".into())]);
        assert_eq!(c.message(), "Apply failed with 2 conflicts: conflicts with \"a\":\n- .x\n- .y");
    }
}
