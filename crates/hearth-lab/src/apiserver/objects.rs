//! Object identity and server-set metadata helpers for the store: the apiVersion/kind/name/
//! namespace checks of a request body, uids, timestamps, the "did anything change" comparison and
//! a CRD's status. No storage here.

use serde_json::{Value, json};

use super::resources::ResourceType;
use super::status::ApiError;

/// Now, RFC 3339 (seconds, UTC).
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A fresh RFC 4122-looking version 4 uid (not cryptographic).
pub fn new_uid() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = Vec::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        bytes.extend(h.finish().to_be_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-4{}-a{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

/// Checks apiVersion/kind and fills name/namespace from the request.
pub fn identify(rt: &ResourceType, ns: &str, name: Option<&str>, body: &mut Value) -> Result<(), ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request("the body of the request must be a JSON or YAML object"));
    }
    let av = rt.api_version();
    match body["apiVersion"].as_str() {
        Some(v) if v != av => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({av})"
            )));
        }
        _ => body["apiVersion"] = json!(av),
    }
    match body["kind"].as_str() {
        Some(k) if k != rt.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                rt.kind
            )));
        }
        _ => body["kind"] = json!(rt.kind),
    }
    if !body["metadata"].is_object() {
        body["metadata"] = json!({});
    }
    if let Some(name) = name {
        match body["metadata"]["name"].as_str() {
            Some(n) if n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            _ => body["metadata"]["name"] = json!(name),
        }
    }
    if rt.namespaced {
        match body["metadata"]["namespace"].as_str() {
            Some(n) if n != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => body["metadata"]["namespace"] = json!(ns),
        }
    } else if let Some(m) = body["metadata"].as_object_mut() {
        m.remove("namespace");
    }
    Ok(())
}

/// An object minus what moves on every write (resourceVersion, managedFields times).
pub fn comparable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v["metadata"].as_object_mut() {
        m.remove("resourceVersion");
    }
    for e in v["metadata"]["managedFields"].as_array_mut().into_iter().flatten() {
        if let Some(m) = e.as_object_mut() {
            m.remove("time");
        }
    }
    v
}

/// A CRD is accepted and established at once.
pub fn crd_status(crd: &mut Value) {
    let t = now();
    let cond = |ty: &str, reason: &str, msg: &str| json!({"type": ty, "status": "True", "reason": reason, "message": msg, "lastTransitionTime": t});
    crd["status"] = json!({
        "acceptedNames": crd["spec"]["names"],
        "conditions": [cond("NamesAccepted", "NoConflicts", "no conflicts found"),
            cond("Established", "InitialNamesAccepted", "the initial names have been accepted")],
        "storedVersions": crd["spec"]["versions"].as_array().into_iter().flatten()
            .filter(|v| v["storage"] == json!(true)).map(|v| v["name"].clone()).collect::<Vec<_>>(),
    });
}
