//! Unit tests of the store's verb semantics (kept apart from `store.rs` for its length).

use serde_json::{Value, json};

use super::resources::ResourceType;
use super::store::{PatchKind, Store, WriteOpts};

fn opts(m: &str) -> WriteOpts {
    WriteOpts { manager: m.into(), ..WriteOpts::default() }
}

fn ty(s: &Store, group: &str, plural: &str) -> ResourceType {
    s.registry.find(group, "v1", plural).cloned().unwrap()
}

fn store() -> Store {
    let mut s = Store::new(None);
    let ns = ty(&s, "", "namespaces");
    s.create(&ns, "", json!({"metadata": {"name": "demo"}}), &opts("t")).unwrap();
    s
}

fn deployment(labels: Value) -> Value {
    json!({"metadata": {"name": "web", "labels": labels}, "spec": {"selector": {"matchLabels": {"a": "1"}},
        "template": {"metadata": {"labels": {"a": "1"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
}

#[test]
fn creates_need_their_namespace_and_a_free_name() {
    let mut s = store();
    let cm = ty(&s, "", "configmaps");
    let e = s.create(&cm, "nope", json!({"metadata": {"name": "x"}}), &opts("t")).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (404, "namespaces \"nope\" not found"));
    s.create(&cm, "demo", json!({"metadata": {"name": "x"}}), &opts("t")).unwrap();
    let e = s.create(&cm, "demo", json!({"metadata": {"name": "x"}}), &opts("t")).unwrap_err();
    assert_eq!(
        (e.code, e.reason, e.message.as_str()),
        (409, "AlreadyExists", "configmaps \"x\" already exists")
    );
    let e =
        s.create(&cm, "demo", json!({"kind": "Secret", "metadata": {"name": "y"}}), &opts("t")).unwrap_err();
    assert_eq!(e.code, 400);
}

#[test]
fn generation_moves_with_spec_only_and_stale_writes_conflict() {
    let mut s = store();
    let d = ty(&s, "apps", "deployments");
    let created = s.create(&d, "demo", deployment(json!({"x": "1"})), &opts("a")).unwrap();
    assert_eq!(created["metadata"]["generation"], 1);
    let labelled = s
        .patch(&d, "demo", "web", PatchKind::Merge, json!({"metadata": {"labels": {"x": "2"}}}), &opts("b"))
        .unwrap()
        .1;
    assert_eq!(labelled["metadata"]["generation"], 1);
    assert_ne!(labelled["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
    let managers: Vec<&str> = labelled["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, ["a", "b"]);
    let scaled = s
        .patch(&d, "demo", "web", PatchKind::Strategic, json!({"spec": {"replicas": 4}}), &opts("b"))
        .unwrap()
        .1;
    assert_eq!(scaled["metadata"]["generation"], 2);
    let mut stale = created.clone();
    stale["spec"]["replicas"] = json!(9);
    let e = s.replace(&d, "demo", "web", stale, &opts("a")).unwrap_err();
    assert_eq!((e.code, e.reason), (409, "Conflict"));
    assert_eq!(s.rollouts.len(), 2, "create and the spec change start rollouts");
}

#[test]
fn invalid_deployments_are_422_and_dry_runs_persist_nothing() {
    let mut s = store();
    let d = ty(&s, "apps", "deployments");
    let mut bad = deployment(json!({}));
    bad["spec"]["template"]["metadata"]["labels"] = json!({"a": "2"});
    let e = s.create(&d, "demo", bad, &opts("a")).unwrap_err();
    assert_eq!((e.code, e.reason), (422, "Invalid"));
    assert!(
        e.message.starts_with("Deployment.apps \"web\" is invalid: spec.template.metadata.labels"),
        "{}",
        e.message
    );
    let dry = WriteOpts { dry_run: true, ..opts("a") };
    let (code, v) = s.patch(&d, "demo", "web", PatchKind::Apply, deployment(json!({})), &dry).unwrap();
    assert_eq!((code, v["metadata"]["name"].as_str()), (201, Some("web")));
    assert_eq!(s.get(&d, "demo", "web").unwrap_err().code, 404);
    let e = s.patch(&d, "demo", "web", PatchKind::Apply, deployment(json!({})), &opts("")).unwrap_err();
    assert_eq!(e.code, 400, "apply needs a field manager");
}

#[test]
fn namespaces_and_crds_take_their_objects_along() {
    let mut s = store();
    let cm = ty(&s, "", "configmaps");
    s.create(&cm, "demo", json!({"metadata": {"name": "x"}}), &opts("t")).unwrap();
    let crds = ty(&s, "apiextensions.k8s.io", "customresourcedefinitions");
    let crd = json!({"metadata": {"name": "widgets.lab.hearth.dev"}, "spec": {"group": "lab.hearth.dev",
        "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
        "versions": [{"name": "v1", "served": true, "storage": true}]}});
    let created = s.create(&crds, "", crd, &opts("t")).unwrap();
    assert_eq!(created["status"]["conditions"][1]["type"], "Established");
    let w = ty(&s, "lab.hearth.dev", "widgets");
    s.create(&w, "demo", json!({"metadata": {"name": "w"}, "spec": {"n": 1}}), &opts("t")).unwrap();
    s.delete(&crds, "", "widgets.lab.hearth.dev", false).unwrap();
    assert!(s.registry.find("lab.hearth.dev", "v1", "widgets").is_none());
    let ns = ty(&s, "", "namespaces");
    let status = s.delete(&ns, "", "demo", false).unwrap();
    assert_eq!(status["status"], "Success");
    assert_eq!(s.list(&cm, None, "", "").unwrap()["items"], json!([]));
    assert_eq!(s.get(&w, "demo", "w").unwrap_err().code, 404);
}
