//! Deciding and acting per object for the `k8s` module. Present: read the live object, ask the
//! server for a dry-run apply, compare both without server-set fields; equal → ok, else a change
//! whose action applies for real (and waits, with `wait`). Absent: a change to delete what
//! exists. Diffs are live vs. dry-run YAML with Secret values masked; results carry the objects
//! with Secret values masked too (so `-v` output and registered results never show them).
//! Not here: parameters and definition sources (`k8s`), API calls (`crate::kube::ops`).

use std::collections::HashSet;
use std::time::Duration;

use super::{Action, Diff, ModuleError, Plan};
use crate::kube::KubeError;
use crate::kube::compare::{mask_pair, redact, unchanged, yaml_text};
use crate::kube::ops::{ApplyOpts, ObjectRef};
use crate::kube::wait::{WaitCondition, poll, readiness};
use crate::value::{Map, Value};

/// `wait`, `wait_timeout`, `wait_sleep`, `wait_condition` as one value.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// Wait at all.
    pub enabled: bool,
    /// Give up after this long.
    pub timeout: Duration,
    /// Longest pause between two checks.
    pub max_sleep: Duration,
    /// The condition to wait for instead of the kind's own readiness.
    pub condition: Option<WaitCondition>,
}

/// What has to happen to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Create,
    Update,
    Delete,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Create => "create",
            Method::Update => "update",
            Method::Delete => "delete",
        }
    }
}

/// One object with what planning found.
struct Item {
    oref: ObjectRef,
    desired: Value,
    /// The object as it is, or `None`.
    live: Option<Value>,
    /// The object as the dry-run says it would be (the definition when the dry-run could not run
    /// because its namespace is created by an earlier document of the same task).
    planned: Option<Value>,
    change: Option<Method>,
}

/// Plans `state: present` for objects in order.
pub fn present(
    objects: Vec<(ObjectRef, Value)>,
    opts: ApplyOpts,
    waiting: Waiting,
) -> Result<Plan, KubeError> {
    let mut new_namespaces = HashSet::new();
    let mut items = Vec::new();
    for (oref, desired) in objects {
        let live = oref.get()?;
        let planned = match oref.apply(&desired, &opts, true) {
            Ok(p) => p,
            // The namespace is created by an earlier document: the dry-run cannot know it yet.
            Err(e)
                if e.is_not_found()
                    && oref.namespace.as_ref().is_some_and(|ns| new_namespaces.contains(ns)) =>
            {
                desired.clone()
            }
            Err(e) => return Err(e),
        };
        if live.is_none()
            && oref.resolved.resource.kind == "Namespace"
            && oref.resolved.resource.group.is_empty()
        {
            new_namespaces.insert(oref.name.clone());
        }
        let change = match &live {
            None => Some(Method::Create),
            Some(l) if unchanged(l, &planned) => None,
            Some(_) => Some(Method::Update),
        };
        items.push(Item { oref, desired, live, planned: Some(planned), change });
    }
    Ok(finish(items, opts, waiting))
}

/// Plans `state: absent`: delete what exists.
pub fn absent(objects: Vec<(ObjectRef, Value)>, waiting: Waiting) -> Result<Plan, KubeError> {
    let mut items = Vec::new();
    for (oref, desired) in objects {
        let live = oref.get()?;
        let change = live.as_ref().map(|_| Method::Delete);
        items.push(Item { oref, desired, live, planned: None, change });
    }
    Ok(finish(items, ApplyOpts { field_manager: String::new(), force: false }, waiting))
}

fn finish(items: Vec<Item>, opts: ApplyOpts, waiting: Waiting) -> Plan {
    let changed: Vec<&Item> = items.iter().filter(|i| i.change.is_some()).collect();
    let planned_view: Vec<Entry> = items.iter().map(Entry::planned).collect();
    if changed.is_empty() {
        let names: Vec<String> = items.iter().map(|i| i.oref.target()).collect();
        let reason = if items.iter().all(|i| i.live.is_none()) {
            format!("{}: already absent", names.join(", "))
        } else {
            format!("{}: up to date (a server-side dry-run apply changes nothing)", names.join(", "))
        };
        return with_results(Plan::ok(reason), &planned_view);
    }
    let summary: Vec<String> =
        changed.iter().map(|i| format!("{} {}", i.change_name(), i.oref.target())).collect();
    let diffs: Vec<Diff> = changed.iter().map(|i| i.diff()).collect();
    let action: Action = Box::new(move |_ctx| act(items, &opts, &waiting));
    let mut plan = with_results(Plan::change(summary.join("; "), action), &planned_view);
    plan.diffs = diffs;
    plan
}

impl Item {
    fn change_name(&self) -> &'static str {
        self.change.map(Method::name).unwrap_or("keep")
    }

    fn diff(&self) -> Diff {
        let target = self.oref.target();
        let after = if self.change == Some(Method::Delete) { None } else { self.planned.as_ref() };
        let normalized = |v: Option<&Value>| v.map(crate::kube::compare::normalize);
        let (before, after) = mask_pair(normalized(self.live.as_ref()).as_ref(), normalized(after).as_ref());
        let after_header = match self.change {
            Some(Method::Delete) => format!("{target} (deleted)"),
            _ if self.planned.as_ref() == Some(&self.desired) => format!("{target} (definition)"),
            _ => format!("{target} (server-side dry-run)"),
        };
        Diff {
            before_header: format!("{target} ({})", if self.live.is_some() { "live" } else { "absent" }),
            after_header,
            before: yaml_text(before.as_ref()),
            after: yaml_text(after.as_ref()),
        }
    }
}

/// One object's part of the result.
struct Entry {
    changed: bool,
    method: Option<&'static str>,
    object: Value,
}

impl Entry {
    fn planned(i: &Item) -> Entry {
        let object = match i.change {
            None | Some(Method::Delete) => i.live.clone(),
            Some(_) => i.planned.clone(),
        };
        Entry {
            changed: i.change.is_some(),
            method: i.change.map(Method::name),
            object: object.map(|o| redact(&o)).unwrap_or_else(|| Value::Object(Map::new())),
        }
    }
}

/// `result` (the object, or `{results: [...]}` for several), `method` for a single object.
fn with_results(mut plan: Plan, entries: &[Entry]) -> Plan {
    let fields = result_fields(entries);
    plan.result.extend(fields);
    plan
}

fn result_fields(entries: &[Entry]) -> Map {
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

/// Applies or deletes each changed object in order, waiting after each when asked.
fn act(items: Vec<Item>, opts: &ApplyOpts, waiting: &Waiting) -> Result<Map, ModuleError> {
    let mut entries = Vec::new();
    for item in items {
        let object = match item.change {
            None => item.live.clone().unwrap_or_default(),
            Some(Method::Delete) => {
                item.oref.delete().map_err(|e| failed(e, &entries))?;
                if waiting.enabled {
                    wait_gone(&item.oref, waiting)
                        .map_err(|m| ModuleError::Failed { msg: m, result: Map::new() })?;
                }
                item.live.clone().unwrap_or_default()
            }
            Some(_) => {
                let applied = item.oref.apply(&item.desired, opts, false).map_err(|e| failed(e, &entries))?;
                if waiting.enabled { wait_ready(&item.oref, waiting, applied)? } else { applied }
            }
        };
        entries.push(Entry {
            changed: item.change.is_some(),
            method: item.change.map(Method::name),
            object: redact(&object),
        });
    }
    Ok(result_fields(&entries))
}

fn failed(e: KubeError, done: &[Entry]) -> ModuleError {
    ModuleError::Failed {
        msg: e.to_string(),
        result: if done.is_empty() { Map::new() } else { result_fields(done) },
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().round())
}

/// Polls until the object is ready; returns its last state.
fn wait_ready(oref: &ObjectRef, waiting: &Waiting, applied: Value) -> Result<Value, ModuleError> {
    let mut last = applied;
    let state = poll(waiting.timeout, waiting.max_sleep, || -> Result<Result<(), String>, KubeError> {
        match oref.get()? {
            Some(obj) => {
                let r = readiness(&obj, waiting.condition.as_ref());
                last = obj;
                Ok(r)
            }
            None => Ok(Err("the object does not exist".into())),
        }
    })
    .map_err(|e| ModuleError::msg(e.to_string()))?;
    match state {
        Ok(()) => Ok(last),
        Err(why) => Err(ModuleError::Failed {
            msg: format!("{} not ready after {}: {why}", oref.target(), seconds(waiting.timeout)),
            result: result_fields(&[Entry { changed: true, method: None, object: redact(&last) }]),
        }),
    }
}

fn wait_gone(oref: &ObjectRef, waiting: &Waiting) -> Result<(), String> {
    let state = poll(waiting.timeout, waiting.max_sleep, || -> Result<Result<(), String>, KubeError> {
        Ok(match oref.get()? {
            Some(_) => Err("still exists".to_string()),
            None => Ok(()),
        })
    })
    .map_err(|e| e.to_string())?;
    state.map_err(|_| {
        format!("{} still exists {} after it was deleted", oref.target(), seconds(waiting.timeout))
    })
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
