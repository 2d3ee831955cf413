//! Object operations over kube-rs's dynamic API (`Api<DynamicObject>`), synchronous for the
//! modules: get, server-side apply and merge / strategic-merge patch (optionally `dryRun=All`),
//! delete, list. Objects travel as
//! JSON values so comparing, masking and diffing stay plain data. Every error names the object.
//! Not here: deciding what to do (the `k8s` module) or waiting (see `wait`).

use std::sync::Arc;

use ::kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};

use super::client::{Cluster, Resolved, run};
use super::error::{KubeError, from_kube, target};
use hearth_formats::value::Value;

/// The field manager hearth applies as unless `server_side_apply.field_manager` says otherwise.
pub const FIELD_MANAGER: &str = "hearth";

/// How to apply: field manager and whether to take over fields other managers own.
#[derive(Debug, Clone)]
pub struct ApplyOpts {
    /// The field manager name.
    pub field_manager: String,
    /// Force conflicting fields over to this manager.
    pub force: bool,
}

/// A patch content type for `state: patched` (`merge_type:`). JSON patch (a list of
/// operations) is not offered: a definition is a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeType {
    /// `application/strategic-merge-patch+json` (built-in kinds; CRs answer 415).
    StrategicMerge,
    /// `application/merge-patch+json` (RFC 7386; any kind).
    Merge,
}

impl MergeType {
    /// The `merge_type:` spelling.
    pub fn name(self) -> &'static str {
        match self {
            MergeType::StrategicMerge => "strategic-merge",
            MergeType::Merge => "merge",
        }
    }
}

/// One object on one cluster: where it lives and how messages name it.
#[derive(Clone)]
pub struct ObjectRef {
    /// The cluster.
    pub cluster: Arc<Cluster>,
    /// The resolved kind.
    pub resolved: Resolved,
    /// The namespace (`None` for cluster-scoped kinds).
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
}

impl ObjectRef {
    /// `Deployment ns/name`.
    pub fn target(&self) -> String {
        target(&self.resolved.resource.kind, self.namespace.as_deref(), &self.name)
    }

    /// The dynamic API for this object's kind and namespace.
    pub(crate) fn api(&self) -> Api<DynamicObject> {
        let client = self.cluster.client.clone();
        match &self.namespace {
            Some(ns) => Api::namespaced_with(client, ns, &self.resolved.resource),
            None => Api::all_with(client, &self.resolved.resource),
        }
    }

    fn fail(&self, e: ::kube::Error) -> KubeError {
        from_kube(e, &self.target(), &self.cluster.server)
    }

    /// The live object, or `None` when it does not exist.
    pub fn get(&self) -> Result<Option<Value>, KubeError> {
        let api = self.api();
        let found = run(async { api.get_opt(&self.name).await.map_err(|e| self.fail(e)) })?;
        found.map(|o| self.to_value(o)).transpose()
    }

    /// Server-side applies `desired`; with `dry_run` nothing is persisted (`dryRun=All`).
    pub fn apply(&self, desired: &Value, opts: &ApplyOpts, dry_run: bool) -> Result<Value, KubeError> {
        let mut params = PatchParams::apply(&opts.field_manager);
        params.force = opts.force;
        params.dry_run = dry_run;
        let api = self.api();
        let applied = run(async {
            api.patch(&self.name, &params, &Patch::Apply(desired)).await.map_err(|e| self.fail(e))
        })?;
        self.to_value(applied)
    }

    /// Patches the object with `patch` as `merge_type` says, as field manager `manager`; with
    /// `dry_run` nothing is persisted. A missing object is a 404 error.
    pub fn patch(
        &self,
        patch: &Value,
        merge_type: MergeType,
        manager: &str,
        dry_run: bool,
    ) -> Result<Value, KubeError> {
        let params = PatchParams { dry_run, field_manager: Some(manager.into()), ..Default::default() };
        let body = match merge_type {
            MergeType::StrategicMerge => Patch::Strategic(patch),
            MergeType::Merge => Patch::Merge(patch),
        };
        let api = self.api();
        let patched = run(async { api.patch(&self.name, &params, &body).await.map_err(|e| self.fail(e)) })?;
        self.to_value(patched)
    }

    /// Deletes the object (dependents are removed in the background). A 404 is not an error.
    pub fn delete(&self) -> Result<(), KubeError> {
        let api = self.api();
        run(async {
            match api.delete(&self.name, &DeleteParams::background()).await {
                Ok(_) => Ok(()),
                Err(::kube::Error::Api(s)) if s.code == 404 => Ok(()),
                Err(e) => Err(self.fail(e)),
            }
        })
    }

    fn to_value(&self, obj: DynamicObject) -> Result<Value, KubeError> {
        object_value(obj, &self.resolved).map_err(|e| {
            KubeError::Config(format!("{}: unreadable object from the server: {e}", self.target()))
        })
    }
}

/// A DynamicObject as JSON, with apiVersion/kind filled in (list items come without them).
pub(crate) fn object_value(obj: DynamicObject, resolved: &Resolved) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(obj)?;
    if let Value::Object(m) = &mut v {
        let r = &resolved.resource;
        m.entry("apiVersion").or_insert_with(|| Value::String(r.api_version.clone()));
        m.entry("kind").or_insert_with(|| Value::String(r.kind.clone()));
    }
    Ok(v)
}

/// Selection for [`list`].
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Namespace (`None`: all namespaces, or cluster-scoped).
    pub namespace: Option<String>,
    /// Label selector (`app=web,tier!=db`).
    pub labels: Option<String>,
    /// Field selector (`status.phase=Running`).
    pub fields: Option<String>,
}

/// Lists objects of a kind.
pub fn list(cluster: &Arc<Cluster>, resolved: &Resolved, sel: &Selection) -> Result<Vec<Value>, KubeError> {
    let client = cluster.client.clone();
    let api: Api<DynamicObject> = match (&sel.namespace, resolved.namespaced) {
        (Some(ns), true) => Api::namespaced_with(client, ns, &resolved.resource),
        _ => Api::all_with(client, &resolved.resource),
    };
    let params = ListParams {
        label_selector: sel.labels.clone(),
        field_selector: sel.fields.clone(),
        ..Default::default()
    };
    let what = match &sel.namespace {
        Some(ns) if resolved.namespaced => format!("{} in namespace {ns}", resolved.resource.kind),
        _ => resolved.resource.kind.clone(),
    };
    let items = run(async { api.list(&params).await.map_err(|e| from_kube(e, &what, &cluster.server)) })?;
    items
        .items
        .into_iter()
        .map(|o| object_value(o, resolved))
        .collect::<Result<_, _>>()
        .map_err(|e| KubeError::Config(format!("{what}: unreadable list from the server: {e}")))
}
