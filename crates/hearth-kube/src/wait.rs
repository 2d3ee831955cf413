//! `wait:` for the `k8s` module: whether an object is ready (a Deployment's rollout is complete,
//! a `wait_condition` matches) as pure functions over the object. Not here: fetching and
//! watching the object until it is (see `follow`).

use serde::Deserialize;

use hearth_formats::value::Value;

/// `wait_condition:`: the status condition to wait for.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WaitCondition {
    /// The condition's `type` (e.g. `Available`, `Ready`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The wanted `status`: `True` (default), `False` or `Unknown`.
    #[serde(default = "true_str", deserialize_with = "status_str")]
    pub status: String,
    /// The wanted `reason`, when it matters.
    pub reason: Option<String>,
}

fn true_str() -> String {
    "True".into()
}

/// Accepts `status: true` (a YAML boolean) as well as the string `"True"`.
fn status_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// `Ok` when `obj` is ready; otherwise what is still missing, for a timeout message.
pub fn readiness(obj: &Value, condition: Option<&WaitCondition>) -> Result<(), String> {
    match condition {
        Some(c) => condition_met(obj, c),
        None if obj.get("kind").and_then(Value::as_str) == Some("Deployment") => rollout_complete(obj),
        None => Ok(()),
    }
}

fn int(v: &Value, path: &[&str]) -> Option<i64> {
    path.iter().try_fold(v, |v, k| v.get(*k)).and_then(Value::as_i64)
}

fn conditions(obj: &Value) -> impl Iterator<Item = &Value> {
    obj.get("status").and_then(|s| s.get("conditions")).and_then(Value::as_array).into_iter().flatten()
}

fn field<'a>(c: &'a Value, key: &str) -> &'a str {
    c.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `Type=Status reason=Reason` of one condition.
fn show(c: &Value) -> String {
    let reason = field(c, "reason");
    let mut s = format!("{}={}", field(c, "type"), field(c, "status"));
    if !reason.is_empty() {
        s.push_str(&format!(" reason={reason}"));
    }
    s
}

/// A Deployment's rollout is complete: the controller saw the latest spec, every replica is
/// updated and available, and no old replica is left.
pub fn rollout_complete(obj: &Value) -> Result<(), String> {
    let want = int(obj, &["spec", "replicas"]).unwrap_or(1);
    let generation = int(obj, &["metadata", "generation"]).unwrap_or(0);
    let observed = int(obj, &["status", "observedGeneration"]).unwrap_or(0);
    let updated = int(obj, &["status", "updatedReplicas"]).unwrap_or(0);
    let available = int(obj, &["status", "availableReplicas"]).unwrap_or(0);
    let total = int(obj, &["status", "replicas"]).unwrap_or(0);
    let mut missing = Vec::new();
    if observed < generation {
        missing.push(format!("generation {generation} not yet observed (observedGeneration {observed})"));
    }
    if updated < want {
        missing.push(format!("{updated} of {want} replicas updated"));
    }
    if available < want {
        missing.push(format!("{available} of {want} replicas available"));
    }
    if total > updated {
        missing.push(format!("{} old replicas pending termination", total - updated));
    }
    if missing.is_empty() {
        return Ok(());
    }
    missing.extend(conditions(obj).filter(|c| field(c, "status") != "True").map(show));
    Err(missing.join("; "))
}

/// The object has a condition of the wanted type, status and (if given) reason.
pub fn condition_met(obj: &Value, want: &WaitCondition) -> Result<(), String> {
    let found = conditions(obj).find(|c| field(c, "type") == want.kind);
    let matches = found.is_some_and(|c| {
        field(c, "status") == want.status && want.reason.as_deref().is_none_or(|r| field(c, "reason") == r)
    });
    if matches {
        return Ok(());
    }
    let mut wanted = format!("{}={}", want.kind, want.status);
    if let Some(r) = &want.reason {
        wanted.push_str(&format!(" reason={r}"));
    }
    Err(match found {
        Some(c) => format!("condition {wanted} not met (now {})", show(c)),
        None => format!("condition {wanted} not met (no {} condition yet)", want.kind),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(status: Value) -> Value {
        json!({"kind": "Deployment", "metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": status})
    }

    #[test]
    fn a_complete_rollout_is_ready() {
        let d = deployment(json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
            "availableReplicas": 2}));
        assert_eq!(readiness(&d, None), Ok(()));
    }

    #[test]
    fn an_incomplete_rollout_names_what_is_missing() {
        let d = deployment(json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
            "availableReplicas": 1, "conditions": [
                {"type": "Available", "status": "True"},
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}));
        assert_eq!(
            readiness(&d, None),
            Err("1 of 2 replicas available; Progressing=False reason=ProgressDeadlineExceeded".into())
        );
        let fresh = deployment(json!({}));
        assert_eq!(
            rollout_complete(&fresh),
            Err("generation 2 not yet observed (observedGeneration 0); 0 of 2 replicas updated; \
                 0 of 2 replicas available"
                .into())
        );
        let old = deployment(json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2,
            "availableReplicas": 2}));
        assert_eq!(rollout_complete(&old), Err("1 old replicas pending termination".into()));
    }

    #[test]
    fn other_kinds_are_ready_once_they_exist() {
        assert_eq!(readiness(&json!({"kind": "ConfigMap"}), None), Ok(()));
    }

    #[test]
    fn wait_condition_matches_type_status_and_reason() {
        let obj =
            json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Pulling"}]}});
        let parse = |v: Value| serde_json::from_value::<WaitCondition>(v).unwrap();
        assert_eq!(
            readiness(&obj, Some(&parse(json!({"type": "Ready"})))),
            Err("condition Ready=True not met (now Ready=False reason=Pulling)".into())
        );
        assert_eq!(readiness(&obj, Some(&parse(json!({"type": "Ready", "status": false})))), Ok(()));
        let with_reason = parse(json!({"type": "Ready", "status": "False", "reason": "Other"}));
        assert!(readiness(&obj, Some(&with_reason)).is_err());
        assert_eq!(
            condition_met(&obj, &parse(json!({"type": "Synced"}))),
            Err("condition Synced=True not met (no Synced condition yet)".into())
        );
    }
}
