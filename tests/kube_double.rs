//! The Kubernetes API server double (`hearth::lab::apiserver`) driven by the machine's real
//! `kubectl`: server-side apply, managedFields, generation, conflicts, validation, CRDs, label
//! selectors, delete and authentication. Skips (saying so) when kubectl is missing.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use hearth::lab::apiserver::ApiServer;
use serde_json::Value;

/// A double with its kubeconfig in a temp dir.
struct Cluster {
    dir: tempfile::TempDir,
    server: ApiServer,
    kubeconfig: PathBuf,
}

fn kubectl_missing() -> bool {
    let found =
        Command::new("kubectl").args(["version", "--client"]).output().is_ok_and(|o| o.status.success());
    if !found {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: kubectl is not installed (apt-get install kubernetes-client)"
        );
    }
    !found
}

impl Cluster {
    fn start(rollout: Option<Duration>) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        let server = ApiServer::start("s3cret-token", rollout, &kubeconfig).expect("start the double");
        Cluster { dir, server, kubeconfig }
    }

    /// Runs kubectl with this cluster's kubeconfig, `input` on stdin.
    fn run(&self, args: &[&str], input: &str) -> Output {
        let mut child = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env("HOME", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("stdin");
        child.wait_with_output().expect("kubectl output")
    }

    /// kubectl that must succeed; returns stdout.
    fn ok(&self, args: &[&str], input: &str) -> String {
        let out = self.run(args, input);
        assert!(out.status.success(), "kubectl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// kubectl that must fail; returns stderr.
    fn fails(&self, args: &[&str], input: &str) -> String {
        let out = self.run(args, input);
        assert!(
            !out.status.success(),
            "kubectl {args:?} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all, "")).expect("kubectl json")
    }
}

const MANIFESTS: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: demo
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - {name: MODE, value: prod}
";

#[test]
fn kubectl_server_side_apply_round_trip() {
    if kubectl_missing() {
        return;
    }
    let c = Cluster::start(Some(Duration::from_millis(200)));
    let out = c.ok(&["apply", "--server-side", "-f", "-"], MANIFESTS);
    assert!(out.contains("deployment.apps/web serverside-applied"), "{out}");

    let table = c.ok(&["get", "deployments", "-n", "demo"], "");
    assert!(table.lines().nth(1).is_some_and(|l| l.starts_with("web ")), "{table}");
    let d = c.json(&["get", "deployment", "web", "-n", "demo", "--show-managed-fields"]);
    assert_eq!(d["metadata"]["generation"], 1);
    assert_eq!(d["spec"]["replicas"], 2);
    let mf = &d["metadata"]["managedFields"][0];
    assert_eq!((mf["manager"].as_str(), mf["operation"].as_str()), (Some("kubectl"), Some("Apply")));
    assert_eq!(mf["fieldsType"], "FieldsV1");
    assert!(mf["fieldsV1"]["f:spec"]["f:replicas"].is_object(), "{mf}");
    assert!(
        mf["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]["."]
            .is_object()
    );
    let secret = c.json(&["get", "secret", "creds", "-n", "demo"]);
    assert_eq!(secret["data"]["password"], "aHVudGVyMg==");
    assert!(secret.get("stringData").is_none());

    // The simulated rollout completes; an unchanged re-apply then changes nothing.
    c.ok(&["rollout", "status", "deployment/web", "-n", "demo", "--timeout=20s"], "");
    let done = c.json(&["get", "deployment", "web", "-n", "demo"]);
    assert_eq!(done["status"]["availableReplicas"], 2);
    assert_eq!(done["status"]["observedGeneration"], 1);
    c.ok(&["apply", "--server-side", "-f", "-"], MANIFESTS);
    let again = c.json(&["get", "deployment", "web", "-n", "demo"]);
    assert_eq!(again["metadata"]["generation"], 1);
    assert_eq!(again["metadata"]["resourceVersion"], done["metadata"]["resourceVersion"]);

    // Another manager changing replicas conflicts, then takes them with --force-conflicts.
    let other = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: demo}\nspec: {replicas: 3}\n";
    let err = c.fails(&["apply", "--server-side", "--field-manager=other", "-f", "-"], other);
    assert!(err.contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"), "{err}");
    c.ok(&["apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-"], other);
    let forced = c.json(&["get", "deployment", "web", "-n", "demo"]);
    assert_eq!(forced["spec"]["replicas"], 3);
    assert_eq!(forced["metadata"]["generation"], 2);

    // Dropping env from kubectl's apply removes it.
    let no_env = MANIFESTS
        .replace("replicas: 2", "replicas: 3")
        .replace("        env:\n        - {name: MODE, value: prod}\n", "");
    c.ok(&["apply", "--server-side", "-f", "-"], &no_env);
    let pruned = c.json(&["get", "deployment", "web", "-n", "demo"]);
    assert!(pruned["spec"]["template"]["spec"]["containers"][0].get("env").is_none(), "{pruned}");

    let out = c.ok(&["delete", "deployment", "web", "-n", "demo"], "");
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    let err = c.fails(&["get", "deployment", "web", "-n", "demo"], "");
    assert!(err.contains("NotFound") && err.contains("deployments.apps \"web\" not found"), "{err}");
    c.ok(&["delete", "namespace", "demo"], "");
    let err = c.fails(&["get", "secret", "creds", "-n", "demo"], "");
    assert!(err.contains("not found"), "{err}");
    drop(c.server);
}

#[test]
fn kubectl_sees_errors_like_a_real_server() {
    if kubectl_missing() {
        return;
    }
    let c = Cluster::start(None);
    let bad = MANIFESTS
        .split("---\n")
        .nth(2)
        .expect("deployment")
        .replace("labels: {app: web}\n    spec", "labels: {app: db}\n    spec")
        .replace("namespace: demo", "namespace: default");
    let err = c.fails(&["apply", "--server-side", "-f", "-"], &bad);
    assert!(err.contains("`selector` does not match template `labels`"), "{err}");
    let err =
        c.fails(&["apply", "--server-side", "-f", "-"], MANIFESTS.split("---\n").nth(1).expect("secret"));
    assert!(err.contains("namespaces \"demo\" not found"), "{err}");

    let wrong = c.dir.path().join("wrong");
    std::fs::write(&wrong, std::fs::read_to_string(&c.kubeconfig).unwrap().replace("s3cret-token", "nope"))
        .unwrap();
    let out = Command::new("kubectl").arg("--kubeconfig").arg(&wrong).args(["get", "ns"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("You must be logged in to the server"), "{err}");
}

#[test]
fn kubectl_crds_and_label_selectors() {
    if kubectl_missing() {
        return;
    }
    let c = Cluster::start(None);
    let crd = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.lab.hearth.dev
spec:
  group: lab.hearth.dev
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
";
    c.ok(&["apply", "--server-side", "-f", "-"], crd);
    let widget = "apiVersion: lab.hearth.dev/v1\nkind: Widget\nmetadata: {name: w1, labels: {tier: a}}\nspec: {size: 3}\n";
    c.ok(&["apply", "--server-side", "-f", "-"], widget);
    let w = c.json(&["get", "widgets", "w1"]);
    assert_eq!(w["spec"]["size"], 3);

    for (name, tier) in [("a", "front"), ("b", "back"), ("c", "")] {
        let labels = if tier.is_empty() { String::new() } else { format!("labels: {{tier: {tier}}}") };
        c.ok(
            &["create", "-f", "-"],
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, {labels}}}\n"),
        );
    }
    let names = |sel: &str| -> Vec<String> {
        let list = c.json(&["get", "configmaps", "-l", sel]);
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("tier in (front,back)"), ["a", "b"]);
    assert_eq!(names("tier notin (front)"), ["b", "c"]);
    assert_eq!(names("!tier"), ["c"]);
    assert_eq!(names("tier!=back,tier"), ["a"]);
}

#[test]
fn kube_rs_client_works_against_the_double() {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Namespace;
    use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};

    let c = Cluster::start(Some(Duration::ZERO));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(&c.kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
        let client = kube::Client::try_from(config).expect("client");
        let discovery = kube::discovery::Discovery::new(client.clone()).run().await.expect("discovery");
        assert!(discovery.groups().any(|g| g.name() == "apps"));

        let nss: Api<Namespace> = Api::all(client.clone());
        let names: Vec<String> =
            nss.list(&ListParams::default()).await.expect("list").items.into_iter().filter_map(|n| n.metadata.name).collect();
        assert!(names.contains(&"default".to_string()), "{names:?}");

        let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
        let manifest = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
        let dry = PatchParams::apply("hearth").dry_run();
        deploys.patch("web", &dry, &Patch::Apply(&manifest)).await.expect("dry-run apply");
        assert!(deploys.get_opt("web").await.expect("get").is_none(), "dry run persisted");
        let d = deploys.patch("web", &PatchParams::apply("hearth"), &Patch::Apply(&manifest)).await.expect("apply");
        assert_eq!(d.metadata.generation, Some(1));
        let err = deploys.get("nope").await.expect_err("missing");
        assert!(matches!(err, kube::Error::Api(ref s) if s.code == 404 && s.reason == "NotFound"), "{err:?}");
        deploys.delete("web", &DeleteParams::default()).await.expect("delete");
    });
}
