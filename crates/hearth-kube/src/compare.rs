//! Deciding "changed or not" and showing it: strips the fields the API server sets on its own
//! (so a live object and a server-side dry-run result of the same definition compare equal),
//! masks Secret values for diffs and results, and prints objects as YAML for a unified diff.
//! Pure: the objects come from the API layer, the diff is drawn by the reporter.

use hearth_formats::pyyaml::{YamlStyle, dump};
use hearth_formats::value::{Map, Value};

/// What a Secret value is replaced with in diffs and results (Ansible's no_log placeholder).
pub const MASK: &str = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER";
/// The mask of a Secret value that a change replaces, so a diff still shows which key changed.
pub const MASK_CHANGED: &str = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER (changed)";

/// Metadata fields the server maintains; they differ between objects with the same content.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// kubectl keeps a full copy of the applied object (Secret data included) in this annotation.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The object without `status` and server-maintained metadata, for comparison and diffs.
pub fn normalize(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Value::Object(m) = &mut out {
        m.remove("status");
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            for key in SERVER_METADATA {
                meta.remove(*key);
            }
            if meta.get("annotations").and_then(Value::as_object).is_some_and(Map::is_empty) {
                meta.remove("annotations");
            }
        }
    }
    out
}

/// True when the dry-run result would leave the live object's content as it is.
pub fn unchanged(live: &Value, planned: &Value) -> bool {
    normalize(live) == normalize(planned)
}

fn is_secret(obj: &Value) -> bool {
    obj.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// Replaces every Secret value (`data`, `stringData`, kubectl's last-applied copy) with [`MASK`],
/// keeping the keys; other kinds are returned unchanged. Used on results and `k8s_info` output.
pub fn redact(obj: &Value) -> Value {
    let mut out = obj.clone();
    if is_secret(obj) {
        mask_values(&mut out, None);
    }
    out
}

/// Masks a before/after pair for a diff: equal values become [`MASK`] on both sides, a value
/// that changes (or appears in an existing Secret) becomes [`MASK_CHANGED`] on the after side.
pub fn mask_pair(before: Option<&Value>, after: Option<&Value>) -> (Option<Value>, Option<Value>) {
    let secret = before.is_some_and(is_secret) || after.is_some_and(is_secret);
    if !secret {
        return (before.cloned(), after.cloned());
    }
    let mut b = before.cloned();
    let mut a = after.cloned();
    if let Some(a) = &mut a {
        mask_values(a, before);
    }
    if let Some(b) = &mut b {
        mask_values(b, None);
    }
    (b, a)
}

/// Masks the values under `data`/`stringData`; with `old`, values differing from it are marked.
fn mask_values(obj: &mut Value, old: Option<&Value>) {
    for field in ["data", "stringData"] {
        let previous = old.and_then(|o| o.get(field));
        if let Some(Value::Object(values)) = obj.get_mut(field) {
            for (key, v) in values.iter_mut() {
                let same = old.is_none() || previous.and_then(|p| p.get(key)) == Some(v);
                *v = Value::String(if same { MASK } else { MASK_CHANGED }.into());
            }
        }
    }
    let note =
        obj.get_mut("metadata").and_then(|m| m.get_mut("annotations")).and_then(|a| a.get_mut(LAST_APPLIED));
    if let Some(v) = note {
        *v = Value::String(MASK.into());
    }
}

/// YAML text of an object for a diff side (empty for a missing object), keys sorted like
/// `kubectl diff` so the same content always prints the same way.
pub fn yaml_text(obj: Option<&Value>) -> String {
    let style = YamlStyle { indent: 2, width: 1 << 16, flow: Some(false), sort_keys: true };
    obj.map(|o| dump(o, &style)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "uid": "u1", "resourceVersion": "7", "generation": 1,
                "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{"manager": "hearth"}],
                "annotations": {}},
            "data": {"a": "1"}, "status": {"x": 1}})
    }

    #[test]
    fn server_set_fields_do_not_count_as_changes() {
        let planned = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "uid": "u1", "resourceVersion": "8",
                "managedFields": [{"manager": "other"}]}, "data": {"a": "1"}});
        assert!(unchanged(&live(), &planned));
        let changed = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n"}, "data": {"a": "2"}});
        assert!(!unchanged(&live(), &changed));
        assert_eq!(normalize(&live())["metadata"], json!({"name": "c", "namespace": "n"}));
    }

    #[test]
    fn secret_values_are_masked_with_keys_kept_and_changes_marked() {
        let before = json!({"kind": "Secret", "data": {"token": "b2xk", "same": "eA=="},
            "metadata": {"annotations": {LAST_APPLIED: "{\"data\":{\"token\":\"b2xk\"}}"}}});
        let after = json!({"kind": "Secret", "data": {"token": "bmV3", "same": "eA==", "added": "eQ=="},
            "metadata": {}});
        let (b, a) = mask_pair(Some(&before), Some(&after));
        let (b, a) = (b.unwrap(), a.unwrap());
        assert_eq!(b["data"], json!({"token": MASK, "same": MASK}));
        assert_eq!(a["data"], json!({"token": MASK_CHANGED, "same": MASK, "added": MASK_CHANGED}));
        assert_eq!(b["metadata"]["annotations"][LAST_APPLIED], json!(MASK));
        let text = format!("{}{}", yaml_text(Some(&b)), yaml_text(Some(&a)));
        assert!(!text.contains("b2xk") && !text.contains("bmV3") && text.contains("token:"), "{text}");
    }

    #[test]
    fn a_created_secret_is_masked_and_other_kinds_are_untouched() {
        let after = json!({"kind": "Secret", "stringData": {"password": "hunter2"}});
        let (b, a) = mask_pair(None, Some(&after));
        assert_eq!(b, None);
        assert_eq!(a.unwrap()["stringData"]["password"], json!(MASK));
        assert_eq!(redact(&after)["stringData"]["password"], json!(MASK));
        let cm = json!({"kind": "ConfigMap", "data": {"a": "1"}});
        assert_eq!(redact(&cm), cm);
        assert_eq!(mask_pair(Some(&cm), None), (Some(cm.clone()), None));
    }

    #[test]
    fn yaml_text_is_sorted_block_yaml() {
        let v = json!({"metadata": {"name": "c"}, "kind": "ConfigMap", "data": {"list": ["a"]}});
        assert_eq!(yaml_text(Some(&v)), "data:\n  list:\n  - a\nkind: ConfigMap\nmetadata:\n  name: c\n");
        assert_eq!(yaml_text(None), "");
    }
}
