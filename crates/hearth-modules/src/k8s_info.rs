//! `k8s_info` (also `kubernetes.core.k8s_info`): read Kubernetes objects for `register` — one
//! by name, or a list filtered by namespace, label and field selectors. A kind the cluster does
//! not serve is not an error: `api_found: false` with no resources, like kubernetes.core.
//! Secret values in the returned objects are masked (hearth never prints them, and a result is
//! printed with `-v`). Not supported: `wait*`, `hidden_fields`.

use serde::Deserialize;

use super::args::de_opt_bool;
use super::k8s::{connect, fail};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Value;
use hearth_kube::KubeError;
use hearth_kube::compare::redact;
use hearth_kube::error::target;
use hearth_kube::ops::{self, ObjectRef, Selection};

/// Parameters of `k8s_info`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct K8sInfo {
    /// The kind to read.
    pub kind: String,
    /// Its apiVersion (default `v1`).
    #[serde(alias = "api", alias = "version")]
    pub api_version: Option<String>,
    /// One object's name (otherwise all that match).
    pub name: Option<String>,
    /// The namespace (default: all namespaces).
    pub namespace: Option<String>,
    /// Label selectors, e.g. `["app=web", "tier!=db"]`.
    #[serde(default)]
    pub label_selectors: Vec<String>,
    /// Field selectors, e.g. `["status.phase=Running"]`.
    #[serde(default)]
    pub field_selectors: Vec<String>,
    /// Path of the kubeconfig file, or a kubeconfig mapping.
    pub kubeconfig: Option<Value>,
    /// The kubeconfig context to use (default: the current context).
    pub context: Option<String>,
    /// Check the API server's certificate (default yes).
    #[serde(default, alias = "verify_ssl", deserialize_with = "de_opt_bool")]
    pub validate_certs: Option<bool>,
}

impl Module for K8sInfo {
    fn plan(&self, _ctx: &Ctx) -> Result<Plan, ModuleError> {
        let cluster =
            connect(self.kubeconfig.as_ref(), self.context.as_deref(), self.validate_certs).map_err(fail)?;
        let api_version = self.api_version.as_deref().unwrap_or("v1");
        let what = target(&self.kind, self.namespace.as_deref(), self.name.as_deref().unwrap_or("(list)"));
        let resolved = match cluster.resolve(api_version, &self.kind, &what) {
            Ok(r) => r,
            Err(KubeError::UnknownKind(msg)) => {
                return Ok(Plan::ok(msg).with("resources", Value::Array(vec![])).with("api_found", false));
            }
            Err(e) => return Err(fail(e)),
        };
        let found = match &self.name {
            Some(name) => {
                let namespace = match (resolved.namespaced, &self.namespace) {
                    (true, Some(ns)) => Some(ns.clone()),
                    (true, None) => Some(cluster.default_namespace.clone()),
                    (false, _) => None,
                };
                let oref = ObjectRef { cluster: cluster.clone(), resolved, namespace, name: name.clone() };
                oref.get().map_err(fail)?.into_iter().collect()
            }
            None => {
                let join = |v: &[String]| (!v.is_empty()).then(|| v.join(","));
                let sel = Selection {
                    namespace: self.namespace.clone(),
                    labels: join(&self.label_selectors),
                    fields: join(&self.field_selectors),
                };
                ops::list(&cluster, &resolved, &sel).map_err(fail)?
            }
        };
        let resources: Vec<Value> = found.iter().map(redact).collect();
        Ok(Plan::ok(format!("{} {} found", resources.len(), self.kind))
            .with("resources", Value::Array(resources))
            .with("api_found", true))
    }
}
