//! The kinds the API server double serves and the discovery documents describing them
//! (`/api`, `/api/v1`, `/apis`, `/apis/{group}/{version}`, `/version`). Built-in kinds are fixed;
//! CustomResourceDefinitions add and remove kinds at run time. It does not serve OpenAPI schemas
//! or aggregated discovery (clients fall back to these plain forms).

use serde_json::{Value, json};

/// One resource (a kind at a group/version) the server serves.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    /// API group ("" for the core group).
    pub group: String,
    /// Version (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Plural resource name used in URLs (`deployments`).
    pub plural: String,
    /// Singular name (`deployment`).
    pub singular: String,
    /// Short names (`deploy`).
    pub short_names: Vec<String>,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Whether `status` is a subresource (ignored on writes to the main resource).
    pub has_status: bool,
    /// Whether the double knows the kind's schema (list merge keys); false for CRDs.
    pub builtin: bool,
}

impl ResourceType {
    /// `apps/v1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `deployments.apps` or `secrets`, as error messages name the resource.
    pub fn resource(&self) -> String {
        if self.group.is_empty() { self.plural.clone() } else { format!("{}.{}", self.plural, self.group) }
    }

    /// `Deployment.apps` or `Secret`, as validation errors name the kind.
    pub fn kind_group(&self) -> String {
        if self.group.is_empty() { self.kind.clone() } else { format!("{}.{}", self.kind, self.group) }
    }

    fn discovery(&self) -> Vec<Value> {
        let verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
        let mut main = json!({
            "name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
            "kind": self.kind, "verbs": verbs,
        });
        if !self.short_names.is_empty() {
            main["shortNames"] = json!(self.short_names);
        }
        let mut out = vec![main];
        if self.has_status {
            out.push(json!({
                "name": format!("{}/status", self.plural), "singularName": "", "namespaced": self.namespaced,
                "kind": self.kind, "verbs": ["get", "patch", "update"],
            }));
        }
        out
    }
}

#[allow(clippy::too_many_arguments)] // a table row
fn builtin(
    group: &str,
    kind: &str,
    plural: &str,
    short: &[&str],
    namespaced: bool,
    status: bool,
) -> ResourceType {
    ResourceType {
        group: group.into(),
        version: "v1".into(),
        kind: kind.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        short_names: short.iter().map(|s| s.to_string()).collect(),
        namespaced,
        has_status: status,
        builtin: true,
    }
}

/// The kinds served: built-ins plus those of established CRDs.
#[derive(Debug, Clone)]
pub struct Registry {
    types: Vec<ResourceType>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            types: vec![
                builtin("", "Namespace", "namespaces", &["ns"], false, true),
                builtin("", "Node", "nodes", &["no"], false, true),
                builtin("", "Secret", "secrets", &[], true, false),
                builtin("", "ConfigMap", "configmaps", &["cm"], true, false),
                builtin("", "ServiceAccount", "serviceaccounts", &["sa"], true, false),
                builtin("", "Service", "services", &["svc"], true, true),
                builtin("apps", "Deployment", "deployments", &["deploy"], true, true),
                builtin(
                    "apiextensions.k8s.io",
                    "CustomResourceDefinition",
                    "customresourcedefinitions",
                    &["crd", "crds"],
                    false,
                    true,
                ),
            ],
        }
    }
}

impl Registry {
    /// The type served at group/version/plural.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types.iter().find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// The type of a kind at an apiVersion (`apps/v1`, `Deployment`).
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types.iter().find(|t| t.api_version() == api_version && t.kind == kind)
    }

    /// Registers the served versions of a CRD object; replaces what the same CRD registered.
    pub fn add_crd(&mut self, crd: &Value) {
        self.remove_crd(crd);
        let spec = &crd["spec"];
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let names = &spec["names"];
        for version in spec["versions"].as_array().into_iter().flatten() {
            if version["served"] == json!(false) {
                continue;
            }
            let kind = s(&names["kind"]);
            self.types.push(ResourceType {
                group: s(&spec["group"]),
                version: s(&version["name"]),
                singular: names["singular"].as_str().map_or_else(|| kind.to_lowercase(), str::to_string),
                kind,
                plural: s(&names["plural"]),
                short_names: names["shortNames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                namespaced: spec["scope"] != json!("Cluster"),
                has_status: !version["subresources"]["status"].is_null(),
                builtin: false,
            });
        }
    }

    /// Unregisters what a CRD object registered.
    pub fn remove_crd(&mut self, crd: &Value) {
        let group = crd["spec"]["group"].as_str().unwrap_or_default();
        let plural = crd["spec"]["names"]["plural"].as_str().unwrap_or_default();
        self.types.retain(|t| t.builtin || !(t.group == group && t.plural == plural));
    }

    /// Every served type.
    pub fn types(&self) -> impl Iterator<Item = &ResourceType> {
        self.types.iter()
    }

    /// Every served (group, version), core first.
    pub fn group_versions(&self) -> Vec<(String, String)> {
        let mut out = vec![(String::new(), "v1".to_string())];
        for (g, versions) in self.groups() {
            out.extend(versions.into_iter().map(|v| (g.clone(), v)));
        }
        out
    }

    /// Groups (non-core) with their versions, in registration order.
    fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in self.types.iter().filter(|t| !t.group.is_empty()) {
            match out.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, versions)) if !versions.contains(&t.version) => versions.push(t.version.clone()),
                Some(_) => {}
                None => out.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        out
    }

    /// `/api`: the core versions.
    pub fn core_versions(&self) -> Value {
        json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
    }

    /// `/apis`: every group with its versions.
    pub fn group_list(&self) -> Value {
        let groups: Vec<Value> = self.groups().into_iter().map(|(g, v)| group_doc(&g, &v)).collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `/apis/{group}`, when the group exists.
    pub fn group(&self, group: &str) -> Option<Value> {
        let (g, versions) = self.groups().into_iter().find(|(g, _)| g == group)?;
        let mut doc = group_doc(&g, &versions);
        doc["kind"] = json!("APIGroup");
        doc["apiVersion"] = json!("v1");
        Some(doc)
    }

    /// `/api/v1` or `/apis/{group}/{version}`, when something is served there.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let resources: Vec<Value> = self
            .types
            .iter()
            .filter(|t| t.group == group && t.version == version)
            .flat_map(ResourceType::discovery)
            .collect();
        if resources.is_empty() {
            return None;
        }
        let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
        Some(
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
        )
    }
}

fn group_doc(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> =
        versions.iter().map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v})).collect();
    json!({"name": group, "versions": vs, "preferredVersion": vs[0]})
}

/// `/version`: what the double claims to be.
pub fn version() -> Value {
    json!({
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-hearth-double", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc", "platform": "linux/amd64",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crd_versions_appear_and_disappear() {
        let mut r = Registry::default();
        let crd = json!({"spec": {"group": "lab.hearth.dev", "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets"},
            "versions": [{"name": "v1", "served": true}, {"name": "v0", "served": false}]}});
        r.add_crd(&crd);
        assert!(r.find("lab.hearth.dev", "v1", "widgets").is_some_and(|t| t.namespaced && !t.builtin));
        assert!(r.find("lab.hearth.dev", "v0", "widgets").is_none());
        assert!(r.group_list().to_string().contains("lab.hearth.dev/v1"));
        assert_eq!(r.resource_list("lab.hearth.dev", "v1").unwrap()["resources"][0]["kind"], "Widget");
        r.remove_crd(&crd);
        assert!(r.group("lab.hearth.dev").is_none());
        assert_eq!(r.resource_list("apps", "v1").unwrap()["groupVersion"], "apps/v1");
    }
}
