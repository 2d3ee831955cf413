//! The rollout simulator: plays the deployment controller for Deployments. When a Deployment is
//! created or its spec changes, its status says "progressing" at once, then "complete" after a
//! delay — the server's default, or the object's `lab.hearth.dev/rollout` annotation (`300ms`,
//! `2s`, `0`, or `never`). A rollout that never completes reports ProgressDeadlineExceeded after
//! `spec.progressDeadlineSeconds`. It creates no ReplicaSets or Pods.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::store::{Key, Store};

/// The annotation choosing a Deployment's simulated rollout.
pub const ANNOTATION: &str = "lab.hearth.dev/rollout";

/// The manager the simulated controller writes status as.
const MANAGER: &str = "kube-controller-manager";

/// When a rollout completes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// After this long.
    After(Duration),
    /// Never (the deadline passes instead).
    Never,
}

/// `300ms`, `2s`, `1m`, `0` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map_or((s, "s"), |i| s.split_at(i));
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

/// The rollout mode of a Deployment: its annotation, else the server default (None: never).
pub fn mode(obj: &Value, default: Option<Duration>) -> Mode {
    match obj["metadata"]["annotations"][ANNOTATION].as_str() {
        Some("never") => Mode::Never,
        Some(d) => parse_duration(d).map_or(Mode::Never, Mode::After),
        None => default.map_or(Mode::Never, Mode::After),
    }
}

fn replica_set(obj: &Value) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    obj["spec"]["template"].to_string().hash(&mut h);
    let hash: String = format!("{:x}", h.finish()).chars().take(10).collect();
    format!("{}-{hash}", obj["metadata"]["name"].as_str().unwrap_or_default())
}

fn condition(ty: &str, status: &str, reason: &str, message: String, now: &str) -> Value {
    json!({"type": ty, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
        "reason": reason, "message": message})
}

/// The phase a Deployment's status describes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    /// New pods are coming up.
    Progressing,
    /// Every replica updated and available.
    Complete,
    /// The progress deadline passed.
    DeadlineExceeded,
}

/// The status the deployment controller would write for a Deployment in a phase.
pub fn status(obj: &Value, phase: Phase, now: &str) -> Value {
    let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let rs = replica_set(obj);
    let generation = obj["metadata"]["generation"].clone();
    if phase == Phase::Complete || replicas == 0 {
        return json!({
            "observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas,
            "conditions": [
                condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.".into(), now),
                condition("Progressing", "True", "NewReplicaSetAvailable", format!("ReplicaSet {rs:?} has successfully progressed."), now),
            ],
        });
    }
    let progressing = match phase {
        Phase::DeadlineExceeded => condition(
            "Progressing",
            "False",
            "ProgressDeadlineExceeded",
            format!("ReplicaSet {rs:?} has timed out progressing."),
            now,
        ),
        _ => condition(
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            format!("ReplicaSet {rs:?} is progressing."),
            now,
        ),
    };
    json!({
        "observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
        "readyReplicas": 0, "availableReplicas": 0, "unavailableReplicas": replicas,
        "conditions": [
            condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.".into(), now),
            progressing,
        ],
    })
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Writes the status of `phase`; false when the Deployment is gone or has a newer generation.
fn write(store: &Arc<Mutex<Store>>, key: &Key, generation: i64, phase: Phase) -> Option<(Mode, Value)> {
    let mut s = store.lock().ok()?;
    let obj = s.object(key)?.clone();
    if obj["metadata"]["generation"].as_i64() != Some(generation) {
        return None;
    }
    s.set_status(key, generation, status(&obj, phase, &now()), MANAGER);
    Some((mode(&obj, s.default_rollout), obj))
}

/// Runs one simulated rollout of generation `generation` of the Deployment at `key`.
pub async fn run(store: Arc<Mutex<Store>>, key: Key, generation: i64, notify: impl Fn()) {
    let Some((mode, obj)) = write(&store, &key, generation, Phase::Progressing) else { return };
    notify();
    match mode {
        Mode::After(delay) => {
            tokio::time::sleep(delay).await;
            write(&store, &key, generation, Phase::Complete);
        }
        Mode::Never => {
            let deadline = obj["spec"]["progressDeadlineSeconds"].as_u64().unwrap_or(600);
            tokio::time::sleep(Duration::from_secs(deadline)).await;
            write(&store, &key, generation, Phase::DeadlineExceeded);
        }
    }
    notify();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_modes() {
        assert_eq!(parse_duration("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("x"), None);
        let d = json!({"metadata": {"annotations": {ANNOTATION: "never"}}});
        assert_eq!(mode(&d, Some(Duration::ZERO)), Mode::Never);
        assert_eq!(mode(&json!({}), Some(Duration::ZERO)), Mode::After(Duration::ZERO));
    }

    #[test]
    fn statuses() {
        let d = json!({"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 2}});
        let done = status(&d, Phase::Complete, "T");
        assert_eq!(done["availableReplicas"], 2);
        assert_eq!(done["observedGeneration"], 2);
        assert_eq!(done["conditions"][1]["reason"], "NewReplicaSetAvailable");
        let late = status(&d, Phase::DeadlineExceeded, "T");
        assert_eq!(late["conditions"][1]["status"], "False");
        assert_eq!(late["availableReplicas"], 0);
    }
}
