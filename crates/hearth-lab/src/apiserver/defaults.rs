//! What the real API server fills in on write: the defaults of the built-in kinds the double
//! serves (a subset: the fields clients commonly read back), Secret `stringData` folded into
//! `data`, and whether a change bumps `metadata.generation`. It does not default Pods, Services
//! or CRD objects (no schemas).

use base64::Engine;
use serde_json::{Map, Value, json};

fn set_default(obj: &mut Value, key: &str, value: Value) {
    if let Some(m) = obj.as_object_mut() {
        m.entry(key.to_string()).or_insert(value);
    }
}

/// Applies the defaults of `kind` in place; fails (a 400 message) on a Secret with bad base64.
pub fn apply_defaults(kind: &str, obj: &mut Value) -> Result<(), String> {
    match kind {
        "Deployment" => deployment(obj),
        "Secret" => secret(obj)?,
        "Namespace" => {
            let name = obj["metadata"]["name"].clone();
            if let Some(meta) = obj.get_mut("metadata") {
                set_default(meta, "labels", json!({}));
                meta["labels"]["kubernetes.io/metadata.name"] = name;
            }
            set_default(obj, "spec", json!({"finalizers": ["kubernetes"]}));
            set_default(obj, "status", json!({"phase": "Active"}));
        }
        _ => {}
    }
    Ok(())
}

fn deployment(obj: &mut Value) {
    set_default(obj, "spec", json!({}));
    let spec = &mut obj["spec"];
    set_default(spec, "replicas", json!(1));
    set_default(spec, "revisionHistoryLimit", json!(10));
    set_default(spec, "progressDeadlineSeconds", json!(600));
    set_default(spec, "strategy", json!({"type": "RollingUpdate"}));
    if spec["strategy"]["type"] == "RollingUpdate" {
        set_default(&mut spec["strategy"], "rollingUpdate", json!({}));
        set_default(&mut spec["strategy"]["rollingUpdate"], "maxUnavailable", json!("25%"));
        set_default(&mut spec["strategy"]["rollingUpdate"], "maxSurge", json!("25%"));
    }
    let Some(pod) = spec.get_mut("template").and_then(|t| t.get_mut("spec")) else { return };
    set_default(pod, "restartPolicy", json!("Always"));
    set_default(pod, "terminationGracePeriodSeconds", json!(30));
    set_default(pod, "dnsPolicy", json!("ClusterFirst"));
    set_default(pod, "securityContext", json!({}));
    set_default(pod, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        for c in pod.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
            let image = c["image"].as_str().unwrap_or_default();
            let latest =
                !image.rsplit('/').next().unwrap_or_default().contains(':') || image.ends_with(":latest");
            set_default(c, "imagePullPolicy", json!(if latest { "Always" } else { "IfNotPresent" }));
            set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
            set_default(c, "terminationMessagePolicy", json!("File"));
            set_default(c, "resources", json!({}));
            for p in c.get_mut("ports").and_then(Value::as_array_mut).into_iter().flatten() {
                set_default(p, "protocol", json!("TCP"));
            }
        }
    }
}

fn secret(obj: &mut Value) -> Result<(), String> {
    set_default(obj, "type", json!("Opaque"));
    let engine = base64::engine::general_purpose::STANDARD;
    for (k, v) in obj["data"].as_object().into_iter().flatten() {
        let text = v.as_str().unwrap_or_default();
        engine.decode(text).map_err(|e| format!("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data in data[{k:?}]: {e}"))?;
    }
    let Some(Value::Object(string_data)) = obj.as_object_mut().and_then(|m| m.remove("stringData")) else {
        return Ok(());
    };
    set_default(obj, "data", Value::Object(Map::new()));
    for (k, v) in string_data {
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
        obj["data"][k] = json!(engine.encode(text));
    }
    Ok(())
}

/// Whether `old` → `new` bumps generation: a spec change, or for kinds without spec any change
/// outside metadata and status.
pub fn generation_changes(old: &Value, new: &Value) -> bool {
    if old.get("spec").is_some() || new.get("spec").is_some() {
        return old.get("spec") != new.get("spec");
    }
    let body = |v: &Value| {
        let mut m = v.as_object().cloned().unwrap_or_default();
        for k in ["metadata", "status", "apiVersion", "kind"] {
            m.remove(k);
        }
        m
    };
    body(old) != body(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_string_data_is_folded() {
        let mut s = json!({"stringData": {"password": "hunter2"}, "data": {"a": "Yg=="}});
        apply_defaults("Secret", &mut s).unwrap();
        assert_eq!(s, json!({"data": {"a": "Yg==", "password": "aHVudGVyMg=="}, "type": "Opaque"}));
        assert!(apply_defaults("Secret", &mut json!({"data": {"a": "!!"}})).is_err());
    }

    #[test]
    fn deployment_defaults() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx:1.27",
            "ports": [{"containerPort": 80}]}]}}}});
        apply_defaults("Deployment", &mut d).unwrap();
        assert_eq!(d["spec"]["replicas"], 1);
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
    }

    #[test]
    fn generation_rules() {
        let a = json!({"metadata": {"labels": {"x": "1"}}, "spec": {"replicas": 1}, "status": {}});
        let mut b = a.clone();
        b["metadata"]["labels"]["x"] = json!("2");
        b["status"] = json!({"replicas": 1});
        assert!(!generation_changes(&a, &b));
        b["spec"]["replicas"] = json!(2);
        assert!(generation_changes(&a, &b));
        assert!(generation_changes(&json!({"data": {"a": "1"}}), &json!({"data": {"a": "2"}})));
    }
}
