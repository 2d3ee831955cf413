//! The double's object store and the semantics of each verb: get, list (label and field
//! selectors), create, replace, patch (apply, merge, strategic), delete; server metadata (uid,
//! resourceVersion from one global counter, generation, creationTimestamp, managedFields),
//! defaults, validation, namespaces that must exist and cascade on delete, CRDs that register
//! kinds. No HTTP here (see `http.rs`), no persistence: everything is lost when the server stops.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::apply::{self, Shape, Writer};
use super::defaults::{apply_defaults, generation_changes};
use super::merge::{merge_patch, strategic_patch};
use super::objects::{comparable, crd_status, identify, new_uid, now};
use super::resources::{Registry, ResourceType};
use super::selector;
use super::status::{self, ApiError};
use super::validate::validate;

/// (group, plural, namespace or "", name).
pub type Key = (String, String, String, String);

/// How a write was asked for.
#[derive(Debug, Clone, Default)]
pub struct WriteOpts {
    /// `dryRun=All`: validate and return the result, persist nothing.
    pub dry_run: bool,
    /// `fieldManager` (or the user agent's program name).
    pub manager: String,
    /// `force=true` on apply: take fields from other managers.
    pub force: bool,
}

/// A PATCH body's type, from its Content-Type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PatchKind {
    /// `application/apply-patch+yaml`.
    Apply,
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
}

/// Every object, the resourceVersion counter and the served kinds.
pub struct Store {
    /// Kinds served (built-ins + CRDs).
    pub registry: Registry,
    objects: BTreeMap<Key, Value>,
    rv: u64,
    /// Rollout delay for Deployments without the annotation (None: never).
    pub default_rollout: Option<Duration>,
    /// Deployments whose spec changed since the last drain: (key, generation).
    pub rollouts: Vec<(Key, i64)>,
    /// Objects changed since the last drain, for watchers: (type, object, key).
    pub events: Vec<(&'static str, Value, Key)>,
}

impl Store {
    /// An empty store (no namespaces: `start` creates `default`).
    pub fn new(default_rollout: Option<Duration>) -> Store {
        Store {
            registry: Registry::default(),
            objects: BTreeMap::new(),
            rv: 0,
            default_rollout,
            rollouts: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// The store key of an object.
    pub fn key(rt: &ResourceType, ns: &str, name: &str) -> Key {
        (
            rt.group.clone(),
            rt.plural.clone(),
            if rt.namespaced { ns.to_string() } else { String::new() },
            name.to_string(),
        )
    }

    /// The stored object `rt`/`ns`/`name` (for the rollout simulator).
    pub fn object(&self, key: &Key) -> Option<&Value> {
        self.objects.get(key)
    }

    /// GET one object.
    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<Value, ApiError> {
        self.objects
            .get(&Self::key(rt, ns, name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.resource(), &rt.group, name))
    }

    /// LIST objects of a type (`ns` None: all namespaces).
    pub fn list(
        &self,
        rt: &ResourceType,
        ns: Option<&str>,
        labels: &str,
        fields: &str,
    ) -> Result<Value, ApiError> {
        let reqs = selector::parse(labels).map_err(ApiError::bad_request)?;
        let freqs = selector::parse_fields(fields).map_err(ApiError::bad_request)?;
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|((g, p, n, _), _)| *g == rt.group && *p == rt.plural && ns.is_none_or(|ns| ns == n))
            .map(|(_, v)| v)
            .filter(|v| {
                selector::matches(&reqs, &v["metadata"]["labels"]) && selector::fields_match(&freqs, v)
            })
            .cloned()
            .collect();
        Ok(json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(),
            "metadata": {"resourceVersion": self.rv.to_string()}, "items": items}))
    }

    fn require_namespace(&self, rt: &ResourceType, ns: &str) -> Result<(), ApiError> {
        if rt.namespaced
            && !self.objects.contains_key(&(String::new(), "namespaces".into(), String::new(), ns.into()))
        {
            return Err(ApiError::not_found("namespaces", "", ns));
        }
        Ok(())
    }

    fn shape(rt: &ResourceType) -> Shape {
        Shape { builtin: rt.builtin, strip_status: rt.has_status }
    }

    fn writer(rt: &ResourceType, opts: &WriteOpts) -> Writer {
        Writer {
            manager: opts.manager.clone(),
            api_version: rt.api_version(),
            subresource: None,
            time: now(),
        }
    }

    /// POST: create a new object.
    pub fn create(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        mut body: Value,
        opts: &WriteOpts,
    ) -> Result<Value, ApiError> {
        identify(rt, ns, None, &mut body)?;
        if body["metadata"]["name"].as_str().is_none_or(str::is_empty)
            && let Some(prefix) = body["metadata"]["generateName"].as_str()
        {
            let suffix: String = new_uid().chars().filter(char::is_ascii_alphanumeric).take(5).collect();
            body["metadata"]["name"] = json!(format!("{prefix}{suffix}"));
        }
        let name = body["metadata"]["name"].as_str().unwrap_or_default().to_string();
        if self.objects.contains_key(&Self::key(rt, ns, &name)) {
            return Err(ApiError::already_exists(&rt.resource(), &rt.group, &name));
        }
        self.commit(rt, ns, &name, None, body, Some(opts), opts.dry_run)
    }

    /// PUT: replace an existing object (its resourceVersion, when given, must be current).
    pub fn replace(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        mut body: Value,
        opts: &WriteOpts,
    ) -> Result<Value, ApiError> {
        identify(rt, ns, Some(name), &mut body)?;
        let old = self.get(rt, ns, name)?;
        if let Some(rv) = body["metadata"]["resourceVersion"].as_str()
            && rv != old["metadata"]["resourceVersion"].as_str().unwrap_or_default()
        {
            return Err(ApiError::stale(&rt.resource(), &rt.group, name));
        }
        self.commit(rt, ns, name, Some(old), body, Some(opts), opts.dry_run)
    }

    /// PATCH: apply, merge or strategic merge; returns the HTTP code (201 when apply created).
    pub fn patch(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        kind: PatchKind,
        patch: Value,
        opts: &WriteOpts,
    ) -> Result<(u16, Value), ApiError> {
        let live = self.objects.get(&Self::key(rt, ns, name)).cloned();
        match kind {
            PatchKind::Apply => {
                let mut applied = patch;
                identify(rt, ns, Some(name), &mut applied)?;
                if opts.manager.is_empty() {
                    return Err(ApiError::bad_request(
                        "PATCH, application/apply-patch+yaml requires fieldManager",
                    ));
                }
                if live.is_none() {
                    self.require_namespace(rt, ns)?;
                }
                let normalize = |v: &mut Value| {
                    let _ = apply_defaults(&rt.kind, v);
                };
                let writer = Self::writer(rt, opts);
                let merged =
                    apply::apply(live.as_ref(), &applied, &writer, Self::shape(rt), opts.force, &normalize)
                        .map_err(|c| ApiError::apply_conflict(c.message(), c.0.clone()))?;
                let code = if live.is_some() { 200 } else { 201 };
                Ok((code, self.commit(rt, ns, name, live, merged, None, opts.dry_run)?))
            }
            PatchKind::Merge | PatchKind::Strategic => {
                let old = live.ok_or_else(|| ApiError::not_found(&rt.resource(), &rt.group, name))?;
                if !patch.is_object() {
                    return Err(ApiError::bad_request("the patch must be a JSON object"));
                }
                let new = if kind == PatchKind::Merge {
                    merge_patch(&old, &patch)
                } else {
                    strategic_patch(&old, &patch, rt.builtin)
                };
                let mut new = new;
                identify(rt, ns, Some(name), &mut new)?;
                Ok((200, self.commit(rt, ns, name, Some(old), new, Some(opts), opts.dry_run)?))
            }
        }
    }

    /// Stores `new` in place of `old`: defaults, validation, metadata. `update` (None for apply,
    /// which computed managedFields itself) says who takes ownership of changed fields.
    #[allow(clippy::too_many_arguments)] // the verb's whole context
    fn commit(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        old: Option<Value>,
        mut new: Value,
        update: Option<&WriteOpts>,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        if old.is_none() {
            self.require_namespace(rt, ns)?;
        }
        if rt.has_status {
            match old.as_ref().and_then(|o| o.get("status")) {
                Some(st) => new["status"] = st.clone(),
                None => {
                    if let Some(m) = new.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
        apply_defaults(&rt.kind, &mut new).map_err(ApiError::bad_request)?;
        let causes = validate(&rt.kind, &new);
        if !causes.is_empty() {
            return Err(ApiError::invalid(&rt.kind_group(), &rt.kind, &rt.group, name, &causes));
        }
        if let Some(opts) = update {
            let entries = old.as_ref().map(apply::read_managed).unwrap_or_default();
            let blank = json!({});
            let writer = Self::writer(rt, opts);
            let entries =
                apply::update(entries, old.as_ref().unwrap_or(&blank), &new, &writer, Self::shape(rt));
            apply::write_managed(&mut new, &entries);
        }
        let (uid, created, generation) = match &old {
            Some(o) => {
                let g = o["metadata"]["generation"].as_i64().unwrap_or(1);
                let g = if generation_changes(o, &new) { g + 1 } else { g };
                (o["metadata"]["uid"].clone(), o["metadata"]["creationTimestamp"].clone(), g)
            }
            None => (json!(new_uid()), json!(now()), 1),
        };
        let meta = &mut new["metadata"];
        meta["uid"] = uid;
        meta["creationTimestamp"] = created;
        meta["generation"] = json!(generation);
        if let Some(o) = old.as_ref().filter(|o| comparable(o) == comparable(&new)) {
            return Ok(o.clone());
        }
        new["metadata"]["resourceVersion"] = match &old {
            Some(o) if dry_run => o["metadata"]["resourceVersion"].clone(),
            _ => json!((self.rv + 1).to_string()),
        };
        if dry_run {
            return Ok(new);
        }
        self.rv += 1;
        let key = Self::key(rt, ns, name);
        if rt.kind == "CustomResourceDefinition" && rt.group == "apiextensions.k8s.io" {
            crd_status(&mut new);
            self.registry.add_crd(&new);
        }
        let spec_changed =
            old.as_ref().is_none_or(|o| o["metadata"]["generation"] != new["metadata"]["generation"]);
        if rt.kind == "Deployment" && rt.group == "apps" && spec_changed {
            self.rollouts.push((key.clone(), generation));
        }
        self.events.push((if old.is_some() { "MODIFIED" } else { "ADDED" }, new.clone(), key.clone()));
        self.objects.insert(key, new.clone());
        Ok(new)
    }

    /// Replaces the status of a stored object as the controller `manager` (status subresource);
    /// false when the object is gone or its generation moved on.
    pub fn set_status(&mut self, key: &Key, generation: i64, status: Value, manager: &str) -> bool {
        let Some(obj) = self.objects.get(key) else { return false };
        if obj["metadata"]["generation"].as_i64() != Some(generation) || obj["status"] == status {
            return false;
        }
        let mut new = obj.clone();
        new["status"] = status;
        let writer = Writer {
            manager: manager.into(),
            api_version: obj["apiVersion"].as_str().unwrap_or_default().into(),
            subresource: Some("status".into()),
            time: now(),
        };
        let shape = Shape { builtin: true, strip_status: false };
        let view = |v: &Value| json!({"status": v["status"]});
        let entries = apply::update(apply::read_managed(obj), &view(obj), &view(&new), &writer, shape);
        apply::write_managed(&mut new, &entries);
        self.rv += 1;
        new["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.events.push(("MODIFIED", new.clone(), key.clone()));
        self.objects.insert(key.clone(), new);
        true
    }

    /// DELETE: removes an object (a Namespace takes its objects along, a CRD its kind and objects).
    pub fn delete(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let key = Self::key(rt, ns, name);
        let obj = self
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.resource(), &rt.group, name))?;
        let uid = obj["metadata"]["uid"].as_str().unwrap_or_default().to_string();
        if dry_run {
            return Ok(status::deleted(name, &rt.group, &rt.plural, &uid));
        }
        let doomed: Vec<Key> = if rt.kind == "Namespace" && rt.group.is_empty() {
            self.objects.keys().filter(|k| k.2 == name).cloned().collect()
        } else if rt.kind == "CustomResourceDefinition" && rt.group == "apiextensions.k8s.io" {
            let group = obj["spec"]["group"].as_str().unwrap_or_default();
            let plural = obj["spec"]["names"]["plural"].as_str().unwrap_or_default();
            self.registry.remove_crd(&obj);
            self.objects.keys().filter(|k| k.0 == group && k.1 == plural).cloned().collect()
        } else {
            Vec::new()
        };
        for k in doomed.into_iter().chain([key]) {
            if let Some(v) = self.objects.remove(&k) {
                self.rv += 1;
                self.events.push(("DELETED", v, k));
            }
        }
        Ok(status::deleted(name, &rt.group, &rt.plural, &uid))
    }
}
