//! One kube-rs client per (kubeconfig, context, certificate checking) for the whole run, shared
//! by every task, host and worker thread, with its API discovery cache: apiVersion + kind →
//! resource (plural, scope), fetched one group-version at a time and fetched again once when a
//! kind is missing (a CRD created earlier in the run). kube-rs is async: calls run on hearth's
//! shared runtime through `block_on`. Every request goes through hearth's retry layer (`retry`).
//! Not here: object operations (see `ops`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ::kube::Client;
use ::kube::client::ClientBuilder;
use ::kube::discovery::ApiResource;

use super::config::{self, ClientKey};
use super::error::{KubeError, from_kube};
use super::retry::{self, Policy, RetryLayer};
use hearth_formats::value::Value;
use hearth_transport::runner::block_on;

/// A connected cluster: the client, where it points, and what it serves.
pub struct Cluster {
    /// The kube-rs client (cheap to clone; one connection pool).
    pub client: Client,
    /// The API server URL, for messages.
    pub server: String,
    /// The namespace of the kubeconfig context (`default` when it sets none).
    pub default_namespace: String,
    /// Resources per apiVersion, as discovery last listed them.
    discovery: Mutex<HashMap<String, Arc<Vec<Served>>>>,
}

/// One kind a group-version serves.
#[derive(Debug, Clone)]
struct Served {
    kind: String,
    plural: String,
    namespaced: bool,
}

/// A kind resolved through discovery.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// What kube-rs needs to address the resource.
    pub resource: ApiResource,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
}

impl Resolved {
    /// The kind `api_version` + `kind` as the CustomResourceDefinition `crd` would serve it, if
    /// it defines that kind: for a custom resource whose CRD an earlier document of the same
    /// task creates (discovery cannot know it before the CRD is applied).
    pub fn from_crd(crd: &Value, api_version: &str, kind: &str) -> Option<Resolved> {
        let is_crd = crd.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
            && crd
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|a| a.starts_with("apiextensions.k8s.io/"));
        let spec = crd.get("spec").filter(|_| is_crd)?;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let group = text(spec.get("group"))?;
        let names = spec.get("names")?;
        let plural = text(names.get("plural"))?;
        let (_, version) = api_version.split_once('/').filter(|(g, _)| *g == group)?;
        let versions = spec.get("versions").and_then(Value::as_array);
        let serves = versions
            .is_some_and(|vs| vs.iter().any(|v| text(v.get("name")).as_deref() == Some(version)))
            || text(spec.get("version")).as_deref() == Some(version);
        if text(names.get("kind")).as_deref() != Some(kind) || !serves {
            return None;
        }
        let resource = ApiResource {
            group,
            version: version.into(),
            api_version: api_version.into(),
            kind: kind.into(),
            plural,
        };
        Some(Resolved { resource, namespaced: text(spec.get("scope")).as_deref() != Some("Cluster") })
    }
}

/// Runs a future on the shared runtime, turning a runtime failure into a [`KubeError`].
pub fn run<T>(fut: impl std::future::Future<Output = Result<T, KubeError>>) -> Result<T, KubeError> {
    block_on(fut).map_err(|e| KubeError::Config(format!("cannot start the async runtime: {e}")))?
}

/// The shared cluster for `key`, connecting (building the client) on first use.
pub fn cluster(key: &ClientKey) -> Result<Arc<Cluster>, KubeError> {
    static CLUSTERS: OnceLock<Mutex<HashMap<ClientKey, Arc<Cluster>>>> = OnceLock::new();
    let clusters = CLUSTERS.get_or_init(Default::default);
    if let Some(c) = lock(clusters).get(key) {
        return Ok(c.clone());
    }
    // Built outside the lock: two threads may both build one; the first stored wins.
    let built = Arc::new(connect(key)?);
    Ok(lock(clusters).entry(key.clone()).or_insert(built).clone())
}

/// A poisoned lock only means another thread panicked mid-insert; the map is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn connect(key: &ClientKey) -> Result<Cluster, KubeError> {
    let what = config::describe(key);
    run(async {
        let cfg = config::load(key).await?;
        let server = cfg.cluster_url.to_string().trim_end_matches('/').to_string();
        let default_namespace = cfg.default_namespace.clone();
        // The client spawns its connection tasks, so it must be built inside the runtime.
        let timeout = retry::request_timeout(&|k| std::env::var(k).ok());
        let client = ClientBuilder::try_from(cfg)
            .map_err(|e| from_kube(e, &what, &server))?
            .with_layer(&RetryLayer(Policy::standard(timeout)))
            .build();
        Ok(Cluster { client, server, default_namespace, discovery: Mutex::new(HashMap::new()) })
    })
}

impl Cluster {
    /// Resolves `api_version` + `kind` to a resource, listing the group-version at most twice;
    /// `target` names the object in errors.
    pub fn resolve(&self, api_version: &str, kind: &str, target: &str) -> Result<Resolved, KubeError> {
        let cached = lock(&self.discovery).get(api_version).cloned();
        let find = |list: &[Served]| list.iter().find(|s| s.kind == kind).cloned();
        let served = match cached.as_deref().and_then(|l| find(l)) {
            Some(s) => s,
            None => {
                let list = Arc::new(self.list_group_version(api_version, kind, target)?);
                lock(&self.discovery).insert(api_version.to_string(), list.clone());
                find(&list).ok_or_else(|| self.unknown(api_version, kind))?
            }
        };
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        let resource = ApiResource {
            group,
            version,
            api_version: api_version.into(),
            kind: served.kind,
            plural: served.plural,
        };
        Ok(Resolved { resource, namespaced: served.namespaced })
    }

    fn unknown(&self, api_version: &str, kind: &str) -> KubeError {
        KubeError::UnknownKind(format!(
            "kind {kind} in apiVersion {api_version} is not served by the Kubernetes API server at {} \
             (is the apiVersion right, or the CustomResourceDefinition installed?)",
            self.server
        ))
    }

    fn list_group_version(
        &self,
        api_version: &str,
        kind: &str,
        target: &str,
    ) -> Result<Vec<Served>, KubeError> {
        let core = !api_version.contains('/');
        let what = format!("{target} (discovery of {api_version})");
        let list = run(async {
            let r = if core {
                self.client.list_core_api_resources(api_version).await
            } else {
                self.client.list_api_group_resources(api_version).await
            };
            match r {
                Err(::kube::Error::Api(s)) if s.code == 404 => Err(self.unknown(api_version, kind)),
                other => other.map_err(|e| from_kube(e, &what, &self.server)),
            }
        })?;
        Ok(list
            .resources
            .into_iter()
            .filter(|r| !r.name.contains('/'))
            .map(|r| Served { kind: r.kind, plural: r.name, namespaced: r.namespaced })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_crd_in_the_task_resolves_the_kinds_it_defines() {
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets"},
                "versions": [{"name": "v1", "served": true, "storage": true}]}});
        let r = Resolved::from_crd(&crd, "example.com/v1", "Widget").unwrap();
        assert_eq!(
            (r.resource.plural.as_str(), r.resource.group.as_str(), r.namespaced),
            ("widgets", "example.com", true)
        );
        assert!(Resolved::from_crd(&crd, "example.com/v2", "Widget").is_none());
        assert!(Resolved::from_crd(&crd, "other.com/v1", "Widget").is_none());
        assert!(Resolved::from_crd(&crd, "example.com/v1", "Gadget").is_none());
        let mut cluster = crd.clone();
        cluster["spec"]["scope"] = json!("Cluster");
        assert!(!Resolved::from_crd(&cluster, "example.com/v1", "Widget").unwrap().namespaced);
        assert!(
            Resolved::from_crd(
                &json!({"kind": "ConfigMap", "spec": crd["spec"]}),
                "example.com/v1",
                "Widget"
            )
            .is_none()
        );
    }
}
