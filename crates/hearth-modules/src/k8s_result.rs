//! The `k8s` module's registered result: `result` (one object, or `{results: [...]}` with
//! `changed`, `method`, `result` each for several) and `method`, built from per-object entries,
//! also for failures part-way. Pure; deciding and acting are in `k8s_plan`.

use crate::module::{ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_kube::KubeError;

/// One object's part of the result.
pub struct Entry {
    /// Whether it changed.
    pub changed: bool,
    /// `create`, `update` or `delete`.
    pub method: Option<&'static str>,
    /// The object, Secret values masked.
    pub object: Value,
}

/// `result` (the object, or `{results: [...]}` for several), `method` for a single object.
pub fn with_results(mut plan: Plan, entries: &[Entry]) -> Plan {
    let fields = result_fields(entries);
    plan.result.extend(fields);
    plan
}

/// The result fields for these entries (see [`with_results`]).
pub fn result_fields(entries: &[Entry]) -> Map {
    let mut m = Map::new();
    if let [one] = entries {
        m.insert("result".into(), one.object.clone());
        if let Some(method) = one.method {
            m.insert("method".into(), method.into());
        }
        return m;
    }
    let results: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut r = Map::new();
            r.insert("changed".into(), e.changed.into());
            if let Some(method) = e.method {
                r.insert("method".into(), method.into());
            }
            r.insert("result".into(), e.object.clone());
            Value::Object(r)
        })
        .collect();
    let mut wrapper = Map::new();
    wrapper.insert("results".into(), Value::Array(results));
    m.insert("result".into(), Value::Object(wrapper));
    m
}

/// A failure after `done` objects were changed (their results are kept for `register`).
pub fn failed(e: KubeError, done: &[Entry]) -> ModuleError {
    ModuleError::Failed {
        msg: e.to_string(),
        result: if done.is_empty() { Map::new() } else { result_fields(done) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(changed: bool, method: Option<&'static str>, name: &str) -> Entry {
        Entry { changed, method, object: json!({"metadata": {"name": name}}) }
    }

    #[test]
    fn one_object_is_the_result_and_several_are_results() {
        let one = result_fields(&[entry(true, Some("create"), "a")]);
        assert_eq!(Value::Object(one), json!({"result": {"metadata": {"name": "a"}}, "method": "create"}));
        let two = result_fields(&[entry(false, None, "a"), entry(true, Some("update"), "b")]);
        assert_eq!(
            Value::Object(two),
            json!({"result": {"results": [
                {"changed": false, "result": {"metadata": {"name": "a"}}},
                {"changed": true, "method": "update", "result": {"metadata": {"name": "b"}}}]}})
        );
    }
}
