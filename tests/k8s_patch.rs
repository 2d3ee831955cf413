//! `k8s` with `state: patched` (labelling Nodes as playbooks/runner.yml does) and a
//! CustomResourceDefinition applied with its custom resources in one task, against the API
//! server double. Tests assert the objects in the API, recap counts, messages and diffs.

use std::time::Duration;

use serde_json::json;

use crate::support::kube::Kube;

/// The runner playbook's node-labelling task for `node`, with extra module parameters.
fn label_task(node: &str, extra: &str) -> String {
    format!(
        "    - name: label\n      k8s:\n        state: patched\n        kind: Node\n        name: {node}\n\
         {extra}        definition:\n          metadata:\n            labels: \"{{{{ {{builder_node_label: 'true'}} }}}}\"\n\
         \x20     vars:\n        builder_node_label: ci.example.com/builder\n"
    )
}

fn with_node(name: &str) -> Kube {
    let k = Kube::start(Some(Duration::from_millis(100)));
    let node = json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}});
    k.server.create(node).expect("create the Node");
    k
}

fn labels(k: &Kube, node: &str) -> serde_json::Value {
    k.get("v1", "Node", None, node).expect("the Node exists")["metadata"]["labels"].clone()
}

#[test]
fn patched_labels_an_existing_node_and_a_rerun_is_ok() {
    let k = with_node("worker-1");
    let run = k.run(&label_task("worker-1", ""), &["--diff"]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    run.stdout_has("+    ci.example.com/builder: 'true'");
    assert_eq!(
        labels(&k, "worker-1"),
        json!({"kubernetes.io/hostname": "worker-1", "ci.example.com/builder": "true"}),
        "the patch adds the label and keeps the others"
    );
    let again = k.run(&label_task("worker-1", ""), &["--diff"]);
    again.code(0);
    assert_eq!((again.recap("localhost", "changed"), again.recap("localhost", "ok")), (0, 1));
    assert!(!again.stdout.contains("+    ci.example.com"), "no diff on a re-run:\n{}", again.stdout);
}

#[test]
fn check_mode_patches_nothing_but_shows_the_label() {
    let k = with_node("worker-1");
    let run = k.run(&label_task("worker-1", ""), &["--check", "--diff"]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    run.stdout_has("+    ci.example.com/builder: 'true'");
    assert_eq!(labels(&k, "worker-1"), json!({"kubernetes.io/hostname": "worker-1"}));
}

#[test]
fn patching_a_missing_node_is_ok_with_a_message_and_creates_nothing() {
    let k = with_node("worker-1");
    let task = format!("{}      register: r\n    - debug: var=r.msg\n", label_task("worker-9", ""));
    let run = k.run(&task, &[]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 0);
    run.stdout_has("Node worker-9 does not exist; it is not created, as state is 'patched'");
    run.stdout_has("[WARNING]: Node worker-9 does not exist");
    assert!(k.get("v1", "Node", None, "worker-9").is_none(), "patched must never create");
}

#[test]
fn merge_type_and_apply_are_honoured_and_json_is_refused() {
    let k = with_node("worker-1");
    k.run(&label_task("worker-1", "        merge_type: merge\n"), &[]).code(0);
    assert_eq!(labels(&k, "worker-1")["ci.example.com/builder"], "true");
    let applied = k.run(&label_task("worker-1", "        apply: true\n"), &[]);
    applied.code(0);
    assert_eq!(applied.recap("localhost", "changed"), 0, "the label is there already");
    let json_patch = k.run(&label_task("worker-1", "        merge_type: json\n"), &[]);
    json_patch.code(2);
    json_patch.stdout_has("merge_type json (a JSON patch) is not supported");
}

const CRD_AND_CRS: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: gear, namespace: default}
spec: {size: 3}
";

fn crd_task() -> &'static str {
    "    - k8s:\n        src: widgets.yaml\n"
}

#[test]
fn a_crd_and_its_custom_resource_apply_in_one_task_and_rerun_ok() {
    let k = Kube::start(None);
    k.p.write("files/widgets.yaml", CRD_AND_CRS);
    let check = k.run(crd_task(), &["--check", "--diff", "-vv"]);
    check.code(0);
    check.stdout_has("create Widget default/gear (its CustomResourceDefinition is created by this task)");
    check
        .stdout_has("Widget default/gear (definition: its CustomResourceDefinition is created by this task)");
    assert!(
        k.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "widgets.example.com").is_none()
    );
    let first = k.run(crd_task(), &[]);
    first.code(0);
    assert_eq!(first.recap("localhost", "changed"), 1);
    let widget = k.get("example.com/v1", "Widget", Some("default"), "gear").expect("the Widget exists");
    assert_eq!(widget["spec"]["size"], 3);
    let again = k.run(crd_task(), &[]);
    again.code(0);
    assert_eq!((again.recap("localhost", "changed"), again.recap("localhost", "ok")), (0, 1));
}

#[test]
fn a_custom_resource_in_a_later_task_sees_the_crd_of_an_earlier_one() {
    let k = Kube::start(None);
    let (crd, widget) = CRD_AND_CRS.split_once("---\n").expect("two documents");
    k.p.write("files/crd.yaml", crd).write("files/widget.yaml", widget);
    let tasks = "    - k8s_info: {kind: Widget, api_version: example.com/v1}\n      register: before\n\
                 \x20   - k8s: {src: crd.yaml}\n    - k8s: {src: widget.yaml}\n\
                 \x20   - assert: {that: [not before.api_found]}\n";
    let run = k.run(tasks, &[]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 2);
    assert!(k.get("example.com/v1", "Widget", Some("default"), "gear").is_some());
}
