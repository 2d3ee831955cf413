//! The smallest OpenAPI v3 the double can serve honestly: the index (`/openapi/v3`) and, per
//! group/version, the object paths with their verbs, the group-version-kind extension and the
//! query parameters the server understands (dryRun, fieldManager, fieldValidation, force). That
//! is what kubectl reads to learn that the server validates fields itself. No schemas: the
//! double does not know them, so `components.schemas` is empty.

use serde_json::{Map, Value, json};

use super::resources::{Registry, ResourceType};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// `/openapi/v3`: where each group/version's document is.
pub fn index(registry: &Registry) -> Value {
    let mut paths = Map::new();
    for (group, version) in registry.group_versions() {
        let p = gv_path(&group, &version);
        paths.insert(p.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=hearth")}));
    }
    json!({"paths": paths})
}

fn params(names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .map(|n| json!({"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": true}}))
        .collect()
}

fn object_paths(t: &ResourceType, out: &mut Map<String, Value>) {
    let gvk = json!({"group": t.group, "version": t.version, "kind": t.kind});
    let base = format!("/{}", gv_path(&t.group, &t.version));
    let scope = if t.namespaced { "/namespaces/{namespace}" } else { "" };
    let write = params(&["dryRun", "fieldManager", "fieldValidation"]);
    let mut patch = params(&["dryRun", "fieldManager", "fieldValidation", "force"]);
    patch.push(json!({"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}));
    let op = |action: &str, parameters: &[Value]| {
        json!({"x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk, "parameters": parameters,
            "responses": {"200": {"description": "OK"}}})
    };
    out.insert(
        format!("{base}{scope}/{}", t.plural),
        json!({"get": op("list", &params(&["labelSelector", "fieldSelector", "watch"])), "post": op("post", &write)}),
    );
    out.insert(
        format!("{base}{scope}/{}/{{name}}", t.plural),
        json!({"get": op("get", &[]), "put": op("put", &write), "patch": op("patch", &patch),
            "delete": op("delete", &params(&["dryRun"]))}),
    );
}

/// `/openapi/v3/{api/v1 | apis/group/version}`, when that group/version is served.
pub fn document(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let types: Vec<&ResourceType> =
        registry.types().filter(|t| t.group == group && t.version == version).collect();
    if types.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    for t in types {
        object_paths(t, &mut paths);
    }
    Some(json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
        "components": {"schemas": {}}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_operations_advertise_field_validation() {
        let r = Registry::default();
        assert!(
            index(&r)["paths"]["apis/apps/v1"]["serverRelativeURL"]
                .as_str()
                .unwrap()
                .starts_with("/openapi/v3/")
        );
        let doc = document(&r, "apps", "v1").unwrap();
        let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert!(patch["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "fieldValidation"));
        assert!(document(&r, "nope", "v1").is_none());
    }
}
