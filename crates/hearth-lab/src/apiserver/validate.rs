//! Validation the double enforces before storing an object, with the real server's field paths
//! and messages: names, Deployments (selector vs template labels, containers), CRDs. It does not
//! validate against OpenAPI schemas: unknown fields are kept, wrong types mostly pass.

use serde_json::Value;

use super::selector;
use super::status::Cause;

/// Validation failures of an object of `kind` (empty when valid).
pub fn validate(kind: &str, obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    if name.is_empty() {
        causes.push(Cause::required("metadata.name"));
    } else if kind == "Namespace" && !dns_label(name) {
        causes.push(Cause::invalid(
            "metadata.name",
            &format!("{name:?}"),
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        ));
    } else if !dns_subdomain(name) {
        causes.push(Cause::invalid(
            "metadata.name",
            &format!("{name:?}"),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ));
    }
    match kind {
        "Deployment" => deployment(obj, &mut causes),
        "CustomResourceDefinition" => crd(obj, name, &mut causes),
        _ => {}
    }
    causes
}

/// An RFC 1123 label (namespace names).
pub fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// An RFC 1123 subdomain (most object names).
pub fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label)
}

fn deployment(obj: &Value, causes: &mut Vec<Cause>) {
    let spec = &obj["spec"];
    let template = &spec["template"];
    let labels = &template["metadata"]["labels"];
    match &spec["selector"] {
        Value::Null => causes.push(Cause::required("spec.selector")),
        sel => match selector::from_label_selector(sel) {
            Err(e) => causes.push(Cause::invalid("spec.selector.matchExpressions", "", &e)),
            Ok(reqs) if reqs.is_empty() => causes.push(Cause::invalid(
                "spec.selector",
                &sel.to_string(),
                "empty selector is invalid for deployment",
            )),
            Ok(reqs) if !selector::matches(&reqs, labels) => causes.push(Cause::invalid(
                "spec.template.metadata.labels",
                &go_map(labels),
                "`selector` does not match template `labels`",
            )),
            Ok(_) => {}
        },
    }
    if spec["replicas"].as_i64().is_some_and(|r| r < 0) {
        causes.push(Cause::invalid(
            "spec.replicas",
            &spec["replicas"].to_string(),
            "must be greater than or equal to 0",
        ));
    }
    let containers = template["spec"]["containers"].as_array().cloned().unwrap_or_default();
    if containers.is_empty() {
        causes.push(Cause::required("spec.template.spec.containers"));
    }
    let mut seen = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let at = format!("spec.template.spec.containers[{i}]");
        match c["name"].as_str() {
            None | Some("") => causes.push(Cause::required(&format!("{at}.name"))),
            Some(n) if seen.contains(&n) => causes.push(Cause {
                reason: "FieldValueDuplicate",
                field: format!("{at}.name"),
                message: format!("Duplicate value: {n:?}"),
            }),
            Some(n) => seen.push(n),
        }
        if c["image"].as_str().is_none_or(str::is_empty) {
            causes.push(Cause::required(&format!("{at}.image")));
        }
    }
}

fn crd(obj: &Value, name: &str, causes: &mut Vec<Cause>) {
    let spec = &obj["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let plural = spec["names"]["plural"].as_str().unwrap_or_default();
    for (field, v) in [("spec.group", group), ("spec.names.plural", plural)] {
        if v.is_empty() {
            causes.push(Cause::required(field));
        }
    }
    if spec["names"]["kind"].as_str().is_none_or(str::is_empty) {
        causes.push(Cause::required("spec.names.kind"));
    }
    if spec["versions"].as_array().is_none_or(Vec::is_empty) {
        causes.push(Cause::required("spec.versions"));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        causes.push(Cause::invalid(
            "metadata.name",
            &format!("{name:?}"),
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
}

/// Go's `%#v` of a map[string]string, as the real messages print label maps.
fn go_map(v: &Value) -> String {
    let mut pairs: Vec<(String, String)> = v
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    pairs.sort();
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
    format!("map[string]string{{{}}}", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(sel: Value, labels: Value, containers: Value) -> Value {
        json!({"metadata": {"name": "web"}, "spec": {"selector": sel,
            "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}}}})
    }

    #[test]
    fn deployment_rules() {
        let ok = deploy(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web"}),
            json!([{"name": "a", "image": "i"}]),
        );
        assert!(validate("Deployment", &ok).is_empty());
        let bad = deploy(json!({"matchLabels": {"app": "web"}}), json!({"app": "db"}), json!([]));
        let causes = validate("Deployment", &bad);
        assert_eq!(causes[0].field, "spec.template.metadata.labels");
        assert_eq!(
            causes[0].message,
            "Invalid value: map[string]string{\"app\":\"db\"}: `selector` does not match template `labels`"
        );
        assert_eq!(causes[1], Cause::required("spec.template.spec.containers"));
        let dup = deploy(
            json!({"matchLabels": {"a": "1"}}),
            json!({"a": "1"}),
            json!([{"name": "x", "image": "i"}, {"name": "x"}]),
        );
        assert_eq!(validate("Deployment", &dup).len(), 2);
    }

    #[test]
    fn names() {
        assert!(dns_subdomain("a.b-c") && !dns_subdomain("A") && !dns_subdomain("-a"));
        assert!(!dns_label("a.b"));
        assert_eq!(validate("Namespace", &json!({"metadata": {"name": "a.b"}}))[0].field, "metadata.name");
        assert_eq!(validate("Secret", &json!({"metadata": {}}))[0], Cause::required("metadata.name"));
        let crd = json!({"metadata": {"name": "x"}, "spec": {"group": "g.io", "names": {"plural": "ws", "kind": "W"},
            "versions": [{"name": "v1"}]}});
        assert_eq!(validate("CustomResourceDefinition", &crd).len(), 1);
    }
}
