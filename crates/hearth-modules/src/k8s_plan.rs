//! Deciding and acting per object for the `k8s` module. Present: read the live object, ask the
//! server for a dry-run apply, compare both without server-set fields; equal → ok, else a change
//! whose action applies for real (and waits, with `wait`). Patched: the same with a dry-run
//! patch (or apply), for objects that exist only — a missing one is skipped with a message.
//! Absent: a change to delete what exists. Diffs are live vs. dry-run YAML with Secret values
//! masked; results carry the objects with Secret values masked too (so `-v` output and
//! registered results never show them). A custom resource whose CustomResourceDefinition an
//! earlier document of the task creates cannot be dry-run: it is planned as its definition.
//! Not here: parameters and definition sources (`k8s`), API calls (`hearth_kube::ops`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::k8s_result::{Entry, failed, result_fields, with_results};
use crate::module::{Action, Diff, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_kube::KubeError;
use hearth_kube::compare::{mask_pair, redact, unchanged, yaml_text};
use hearth_kube::follow::follow;
use hearth_kube::ops::{ApplyOpts, MergeType, ObjectRef};
use hearth_kube::wait::{WaitCondition, readiness};

/// How long a custom resource waits for its just-created CustomResourceDefinition to be served.
const CRD_ESTABLISH_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// Also wait for objects that need no change (not in check mode).
    pub when_unchanged: bool,
}

/// One object of the task, resolved to its resource.
pub struct Target {
    /// Where the object lives.
    pub oref: ObjectRef,
    /// The object as defined.
    pub desired: Value,
    /// Its kind is defined by a CustomResourceDefinition created by an earlier document of the
    /// task (so the server does not serve it yet).
    pub crd_in_task: bool,
}

/// How `state: patched` changes an existing object.
#[derive(Debug, Clone)]
pub enum PatchWith {
    /// Server-side apply (`apply: true`).
    Apply,
    /// A patch of the first of these content types the server accepts (415 → the next).
    Patch(Vec<MergeType>),
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
    /// because its namespace or CRD is created by an earlier document of the same task).
    planned: Option<Value>,
    change: Option<Method>,
    /// A patch content type to change with instead of server-side apply.
    patch: Option<MergeType>,
    /// Why the object is planned as its definition, or why it is skipped.
    note: Option<String>,
    crd_in_task: bool,
}

impl Item {
    fn new(t: Target, live: Option<Value>) -> Item {
        let Target { oref, desired, crd_in_task } = t;
        Item { oref, desired, live, planned: None, change: None, patch: None, note: None, crd_in_task }
    }
}

/// Plans `state: present` for objects in order.
pub fn present(targets: Vec<Target>, opts: ApplyOpts, waiting: Waiting) -> Result<Plan, KubeError> {
    let mut new_namespaces = HashSet::new();
    let mut items = Vec::new();
    for t in targets {
        let mut item = Item::new(t, None);
        item.live = item.oref.get()?;
        let (planned, note) = match item.oref.apply(&item.desired, &opts, true) {
            Ok(p) => (p, None),
            Err(e) if e.is_not_found() && item.crd_in_task => {
                (item.desired.clone(), Some("its CustomResourceDefinition is created by this task".into()))
            }
            // The namespace is created by an earlier document: the dry-run cannot know it yet.
            Err(e)
                if e.is_not_found()
                    && item.oref.namespace.as_ref().is_some_and(|ns| new_namespaces.contains(ns)) =>
            {
                (item.desired.clone(), None)
            }
            Err(e) => return Err(e),
        };
        if item.live.is_none()
            && item.oref.resolved.resource.kind == "Namespace"
            && item.oref.resolved.resource.group.is_empty()
        {
            new_namespaces.insert(item.oref.name.clone());
        }
        item.change = match &item.live {
            None => Some(Method::Create),
            Some(l) if unchanged(l, &planned) => None,
            Some(_) => Some(Method::Update),
        };
        item.planned = Some(planned);
        item.note = note;
        items.push(item);
    }
    finish(items, opts, waiting)
}

/// Plans `state: patched`: objects that exist are patched (or applied) when a dry-run says the
/// patch changes them; missing ones are skipped with a note, never created.
pub fn patched(
    targets: Vec<Target>,
    opts: ApplyOpts,
    with: &PatchWith,
    waiting: Waiting,
) -> Result<Plan, KubeError> {
    let mut items = Vec::new();
    for t in targets {
        let live = if t.crd_in_task { None } else { t.oref.get()? };
        let mut item = Item::new(t, live);
        let Some(live) = &item.live else {
            item.note = Some(format!(
                "{} does not exist; it is not created, as state is 'patched'",
                item.oref.target()
            ));
            items.push(item);
            continue;
        };
        let planned = match with {
            PatchWith::Apply => item.oref.apply(&item.desired, &opts, true)?,
            PatchWith::Patch(types) => {
                let (planned, used) = dry_run_patch(&item.oref, &item.desired, types, &opts)?;
                item.patch = Some(used);
                planned
            }
        };
        item.change = (!unchanged(live, &planned)).then_some(Method::Update);
        item.planned = Some(planned);
        items.push(item);
    }
    finish(items, opts, waiting)
}

/// A dry-run patch with the first content type the server accepts (a 415 tries the next).
fn dry_run_patch(
    oref: &ObjectRef,
    patch: &Value,
    types: &[MergeType],
    opts: &ApplyOpts,
) -> Result<(Value, MergeType), KubeError> {
    let mut last = None;
    for t in types {
        match oref.patch(patch, *t, &opts.field_manager, true) {
            Ok(v) => return Ok((v, *t)),
            Err(e @ KubeError::Api { code: 415, .. }) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| KubeError::Config("merge_type must name at least one patch type".into())))
}

/// Plans `state: absent`: delete what exists.
pub fn absent(targets: Vec<Target>, waiting: Waiting) -> Result<Plan, KubeError> {
    let mut items = Vec::new();
    for t in targets {
        let live = if t.crd_in_task { None } else { t.oref.get()? };
        let mut item = Item::new(t, live);
        item.change = item.live.as_ref().map(|_| Method::Delete);
        items.push(item);
    }
    finish(items, ApplyOpts { field_manager: String::new(), force: false }, waiting)
}

fn finish(items: Vec<Item>, opts: ApplyOpts, waiting: Waiting) -> Result<Plan, KubeError> {
    let changed: Vec<&Item> = items.iter().filter(|i| i.change.is_some()).collect();
    let planned_view: Vec<Entry> = items.iter().map(Item::entry).collect();
    let skipped: Vec<String> =
        items.iter().filter(|i| i.change.is_none()).filter_map(|i| i.note.clone()).collect();
    if changed.is_empty() && waiting.enabled && waiting.when_unchanged {
        wait_unchanged(&items, &waiting)?;
    }
    let mut plan = if changed.is_empty() {
        let names: Vec<String> = items.iter().filter(|i| i.note.is_none()).map(|i| i.oref.target()).collect();
        let reason = if names.is_empty() {
            skipped.join("; ")
        } else if items.iter().all(|i| i.live.is_none()) {
            format!("{}: already absent", names.join(", "))
        } else {
            format!("{}: up to date (a server-side dry-run changes nothing)", names.join(", "))
        };
        with_results(Plan::ok(reason), &planned_view)
    } else {
        let summary: Vec<String> = changed
            .iter()
            .map(|i| {
                let why = i.note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
                format!("{} {}{why}", i.change_name(), i.oref.target())
            })
            .collect();
        let diffs: Vec<Diff> = changed.iter().map(|i| i.diff()).collect();
        let action: Action = Box::new(move |_ctx| act(items, &opts, &waiting));
        let mut plan = with_results(Plan::change(summary.join("; "), action), &planned_view);
        plan.diffs = diffs;
        plan
    };
    if !skipped.is_empty() {
        plan.result.insert("msg".into(), skipped.join("; ").into());
        plan.result.insert("warnings".into(), skipped.into_iter().map(Value::String).collect());
    }
    Ok(plan)
}

/// Waits for objects that needed no change to be ready, like a changed one would be: a re-run
/// after a rollout that timed out must fail again, not report ok.
fn wait_unchanged(items: &[Item], waiting: &Waiting) -> Result<(), KubeError> {
    for item in items.iter().filter(|i| i.note.is_none() && i.live.is_some()) {
        wait_ready(&item.oref, waiting, Value::Null).map_err(|e| KubeError::NotReady(e.to_string()))?;
    }
    Ok(())
}

impl Item {
    fn change_name(&self) -> &'static str {
        self.change.map(Method::name).unwrap_or("keep")
    }

    fn diff(&self) -> Diff {
        let target = self.oref.target();
        let after = if self.change == Some(Method::Delete) { None } else { self.planned.as_ref() };
        let normalized = |v: Option<&Value>| v.map(hearth_kube::compare::normalize);
        let (before, after) = mask_pair(normalized(self.live.as_ref()).as_ref(), normalized(after).as_ref());
        let after_header = match self.change {
            Some(Method::Delete) => format!("{target} (deleted)"),
            _ if self.planned.as_ref() == Some(&self.desired) => match &self.note {
                Some(note) => format!("{target} (definition: {note})"),
                None => format!("{target} (definition)"),
            },
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

impl Item {
    /// This object's part of the result as planned.
    fn entry(&self) -> Entry {
        let i = self;
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
                let applied = change(&item, opts).map_err(|e| failed(e, &entries))?;
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

/// Applies or patches one object for real. A custom resource whose CRD this task just created
/// is retried while the server does not serve its kind yet (a real CRD takes a moment).
fn change(item: &Item, opts: &ApplyOpts) -> Result<Value, KubeError> {
    let once = || match item.patch {
        Some(t) => item.oref.patch(&item.desired, t, &opts.field_manager, false),
        None => item.oref.apply(&item.desired, opts, false),
    };
    let start = Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        match once() {
            Err(e) if e.is_not_found() && item.crd_in_task && start.elapsed() < CRD_ESTABLISH_TIMEOUT => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            other => return other,
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().round())
}

/// Follows the object (watch, resumed when it drops) until it is ready; returns its last state.
fn wait_ready(oref: &ObjectRef, waiting: &Waiting, applied: Value) -> Result<Value, ModuleError> {
    let mut last = applied;
    let state = follow(oref, waiting.timeout, waiting.max_sleep, |obj| match obj {
        Some(obj) => {
            last = obj.clone();
            readiness(obj, waiting.condition.as_ref())
        }
        None => Err("the object does not exist".into()),
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
    let state = follow(oref, waiting.timeout, waiting.max_sleep, |obj| match obj {
        Some(_) => Err("still exists".to_string()),
        None => Ok(()),
    })
    .map_err(|e| e.to_string())?;
    state.map_err(|_| {
        format!("{} still exists {} after it was deleted", oref.target(), seconds(waiting.timeout))
    })
}
