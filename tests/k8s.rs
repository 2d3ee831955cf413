//! The `k8s` and `k8s_info` modules end to end: the hearth binary against the in-process
//! Kubernetes API server double (real HTTPS, tokens, discovery, server-side apply, dry-run,
//! simulated rollouts). Tests assert what a user sees — the objects in the API, recap counts,
//! diffs, error messages — and that Secret values never reach the output. One test runs against
//! a real cluster when `HEARTH_E2E_KUBECONFIG` is set and is skipped otherwise.

use std::time::{Duration, Instant};

use crate::support::kube::{Kube, get};
use crate::support::{Project, Run};

const TOKEN: &str = "s3cr3t-runner-token";
/// base64 of TOKEN: the form the Secret's `data` holds.
const TOKEN_B64: &str = "czNjcjN0LXJ1bm5lci10b2tlbg==";

const TEMPLATE: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: {{ ns }}
---
apiVersion: v1
kind: Secret
metadata:
  name: runner-token
  namespace: {{ ns }}
type: Opaque
stringData:
  token: {{ token }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gitlab-runner
  namespace: {{ ns }}
  labels: {app: gitlab-runner}
  annotations: {lab.hearth.dev/rollout: \"{{ rollout }}\"}
spec:
  replicas: {{ replicas }}
  selector: {matchLabels: {app: gitlab-runner}}
  template:
    metadata: {labels: {app: gitlab-runner}}
    spec:
      containers:
      - name: runner
        image: gitlab/gitlab-runner:{{ version }}
        env:
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: runner-token, key: token}}
";

/// The runner task with these extra vars and module parameters.
fn runner(vars: &str, extra: &str) -> String {
    format!(
        "    - name: runner\n      kubernetes.core.k8s:\n        template: runner.yaml.j2\n{extra}      vars:\n\
         \x20       ns: ci\n        token: {TOKEN}\n{vars}"
    )
}

fn vars(replicas: u32, version: &str, rollout: &str) -> String {
    format!("        replicas: {replicas}\n        version: {version}\n        rollout: \"{rollout}\"\n")
}

fn with_template(k: &Kube) -> &Kube {
    k.p.write("templates/runner.yaml.j2", TEMPLATE);
    k
}

fn no_secret(run: &Run) {
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(TOKEN) && !text.contains(TOKEN_B64), "a Secret value leaked:\n{text}");
    }
}

fn replicas(k: &Kube) -> i64 {
    let d = k.get("apps/v1", "Deployment", Some("ci"), "gitlab-runner").expect("the Deployment exists");
    d["spec"]["replicas"].as_i64().expect("replicas")
}

#[test]
fn a_multi_document_template_applies_then_reapplies_as_ok() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    with_template(&k);
    let task = runner(&vars(2, "v17.0.0", "100ms"), "");
    let first = k.run(&task, &["--diff", "-v"]);
    first.code(0);
    assert_eq!(first.recap("localhost", "changed"), 1);
    no_secret(&first);
    assert!(k.get("v1", "Namespace", None, "ci").is_some());
    let secret = k.get("v1", "Secret", Some("ci"), "runner-token").expect("the Secret exists");
    assert_eq!(secret["data"]["token"], TOKEN_B64);
    assert_eq!(replicas(&k), 2);
    let again = k.run(&task, &["--diff", "-v"]);
    again.code(0);
    assert_eq!((again.recap("localhost", "changed"), again.recap("localhost", "ok")), (0, 1));
    no_secret(&again);
}

#[test]
fn changing_one_field_reports_changed_with_its_diff_and_check_mode_persists_nothing() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    with_template(&k);
    k.run(&runner(&vars(2, "v17.0.0", "100ms"), ""), &[]).code(0);
    let changed = runner(&vars(3, "v17.0.0", "100ms"), "");
    let check = k.run(&changed, &["--check", "--diff"]);
    check.code(0);
    assert_eq!(check.recap("localhost", "changed"), 1);
    check.stdout_has("-  replicas: 2").stdout_has("+  replicas: 3");
    assert!(
        !check.stdout.contains("Namespace ci (live)"),
        "only the changed object has a diff:\n{}",
        check.stdout
    );
    assert_eq!(replicas(&k), 2, "check mode must not change the object");
    let real = k.run(&changed, &["--diff"]);
    real.code(0);
    assert_eq!(real.recap("localhost", "changed"), 1);
    assert_eq!(replicas(&k), 3);
    no_secret(&real);
}

#[test]
fn check_mode_on_an_empty_cluster_creates_nothing() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    with_template(&k);
    let run = k.run(&runner(&vars(2, "v17.0.0", "100ms"), ""), &["--check", "--diff"]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    run.stdout_has("Deployment ci/gitlab-runner");
    no_secret(&run);
    assert!(k.get("v1", "Namespace", None, "ci").is_none());
    assert!(k.get("v1", "Secret", Some("ci"), "runner-token").is_none());
}

#[test]
fn a_changed_secret_value_shows_which_key_changed_without_the_value() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    with_template(&k);
    k.run(&runner(&vars(2, "v17.0.0", "100ms"), ""), &[]).code(0);
    let task = runner(&vars(2, "v17.0.0", "100ms"), "").replace(TOKEN, "another-value");
    let run = k.run(&task, &["--diff", "-v"]);
    run.code(0);
    run.stdout_has("+  token: VALUE_SPECIFIED_IN_NO_LOG_PARAMETER (changed)");
    assert!(
        !run.stdout.contains("another-value") && !run.stdout.contains("YW5vdGhlci12YWx1ZQ"),
        "{}",
        run.stdout
    );
    no_secret(&run);
}

#[test]
fn wait_returns_after_the_simulated_rollout() {
    let k = Kube::start(Some(Duration::from_millis(1500)));
    with_template(&k);
    let start = Instant::now();
    let run =
        k.run(&runner(&vars(2, "v17.0.0", "1500ms"), "        wait: true\n        wait_timeout: 30\n"), &[]);
    run.code(0);
    assert!(start.elapsed() >= Duration::from_millis(1500), "returned before the rollout completed");
    let d = k.get("apps/v1", "Deployment", Some("ci"), "gitlab-runner").expect("Deployment");
    assert_eq!(d["status"]["availableReplicas"], 2);
}

#[test]
fn wait_times_out_naming_what_is_unready() {
    let k = Kube::start(None);
    with_template(&k);
    let run =
        k.run(&runner(&vars(2, "v17.0.0", "never"), "        wait: true\n        wait_timeout: 2\n"), &[]);
    run.code(2);
    assert_eq!(run.recap("localhost", "failed"), 1);
    run.stdout_has("Deployment ci/gitlab-runner not ready after 2s: ").stdout_has("of 2 replicas available");
    // A re-run changes nothing but still waits, and fails again: never ok on an unready rollout.
    let again =
        k.run(&runner(&vars(2, "v17.0.0", "never"), "        wait: true\n        wait_timeout: 1\n"), &[]);
    again.code(2).stdout_has("Deployment ci/gitlab-runner not ready after 1s: ");
    assert_eq!(again.recap("localhost", "changed"), 0);
    // Check mode does not wait.
    let check = k.run(
        &runner(&vars(2, "v17.0.0", "never"), "        wait: true\n        wait_timeout: 1\n"),
        &["--check"],
    );
    check.code(0);
}

/// A lone Deployment in `files/deploy.yaml` (wait_condition applies to every object of a task).
fn deployment_file(k: &Kube, image: &str, rollout: &str) {
    k.p.write(
        "files/deploy.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n  \
             annotations: {{lab.hearth.dev/rollout: \"{rollout}\"}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n  \
             template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: web, image: {image}}}]}}\n"
        ),
    );
}

#[test]
fn wait_condition_waits_for_that_condition() {
    let k = Kube::start(Some(Duration::from_millis(300)));
    let task = |cond: &str, timeout: u32| {
        format!(
            "    - k8s:\n        src: deploy.yaml\n        wait: true\n        wait_timeout: {timeout}\n        \
                 wait_condition: {cond}\n"
        )
    };
    deployment_file(&k, "nginx:1", "300ms");
    k.run(&task("{type: Available}", 20), &[]).code(0);
    let d = k.get("apps/v1", "Deployment", Some("default"), "web").expect("Deployment");
    let available = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Available" && c["status"] == "True");
    assert!(available, "returned before Available=True: {d}");
    deployment_file(&k, "nginx:2", "never");
    let run = k.run(&task("{type: Ready}", 1), &[]);
    run.code(2);
    run.stdout_has(
        "Deployment default/web not ready after 1s: condition Ready=True not met (no Ready condition yet)",
    );
}

#[test]
fn absent_deletes_waits_and_is_ok_once_gone() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    with_template(&k);
    k.run(&runner(&vars(1, "v17.0.0", "100ms"), ""), &[]).code(0);
    let absent = "    - kubernetes.core.k8s:\n        state: absent\n        api_version: apps/v1\n        \
                  kind: Deployment\n        namespace: ci\n        name: gitlab-runner\n        wait: true\n";
    let run = k.run(absent, &["--diff"]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    run.stdout_has("-  replicas: 1");
    assert!(k.get("apps/v1", "Deployment", Some("ci"), "gitlab-runner").is_none());
    let again = k.run(absent, &[]);
    again.code(0);
    assert_eq!(again.recap("localhost", "changed"), 0);
}

#[test]
fn a_field_manager_conflict_fails_clearly_unless_forced() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    let cm = |value: &str, extra: &str| {
        format!(
            "    - k8s:\n{extra}        definition:\n          apiVersion: v1\n          kind: ConfigMap\n          \
             metadata: {{name: settings, namespace: default}}\n          data: {{level: \"{value}\"}}\n"
        )
    };
    k.run(&cm("3", "        server_side_apply: {field_manager: other-team}\n"), &[]).code(0);
    let conflict = k.run(&cm("2", ""), &[]);
    conflict.code(2);
    conflict
        .stdout_has("ConfigMap default/settings: 409 Conflict: conflict with field manager \\\"other-team\\\" on .data.level")
        .stdout_has("force_conflicts: true");
    assert_eq!(k.get("v1", "ConfigMap", Some("default"), "settings").unwrap()["data"]["level"], "3");
    let forced = k.run(&cm("2", "        server_side_apply: {force_conflicts: true}\n"), &[]);
    forced.code(0);
    assert_eq!(forced.recap("localhost", "changed"), 1);
    assert_eq!(k.get("v1", "ConfigMap", Some("default"), "settings").unwrap()["data"]["level"], "2");
}

#[test]
fn an_invalid_deployment_is_the_servers_422_reason() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    let task = "    - k8s:\n        definition:\n          apiVersion: apps/v1\n          kind: Deployment\n          \
                metadata: {name: bad, namespace: default}\n          spec:\n            selector: {matchLabels: {app: a}}\n            \
                template:\n              metadata: {labels: {app: b}}\n              spec: {containers: [{name: c, image: busybox}]}\n";
    let run = k.run(task, &[]);
    run.code(2);
    run.stdout_has("Deployment default/bad: 422 Invalid");
}

#[test]
fn a_wrong_token_is_401_and_a_closed_port_is_unreachable() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    let good = std::fs::read_to_string(&k.kubeconfig).unwrap();
    k.p.write("bad-token", &good.replace("test-token", "wrong-token"));
    let port = k.server.url.rsplit(':').next().unwrap().to_string();
    k.p.write("closed", &good.replace(&format!(":{port}"), ":1"));
    let task = |kc: &str| {
        format!(
            "    - k8s:\n        kubeconfig: {kc}\n        definition: {{apiVersion: v1, kind: ConfigMap, \
             metadata: {{name: x, namespace: default}}}}\n      ignore_errors: true\n"
        )
    };
    let run = k.run(&format!("{}{}", task("bad-token"), task("closed")), &[]);
    run.code(0);
    run.stdout_has("401 Unauthorized: the API server at").stdout_has("rejected the kubeconfig's credentials");
    run.stdout_has("ConfigMap default/x (discovery of v1): cannot reach the Kubernetes API server at https://127.0.0.1:1");
    assert_eq!(run.recap("localhost", "ignored"), 2);
    assert!(!run.stdout.contains("wrong-token") && !run.stdout.contains("test-token"), "{}", run.stdout);
}

#[test]
fn k8s_info_lists_by_label_and_masks_secrets() {
    let k = Kube::start(Some(Duration::from_millis(100)));
    let objects = "    - k8s:\n        definition: |\n          apiVersion: v1\n          kind: ConfigMap\n          \
                   metadata: {name: a, namespace: default, labels: {tier: web}}\n          ---\n          \
                   apiVersion: v1\n          kind: ConfigMap\n          metadata: {name: b, namespace: default, labels: {tier: db}}\n          \
                   ---\n          apiVersion: v1\n          kind: Secret\n          metadata: {name: s, namespace: default}\n          \
                   data: {token: czNjcjN0LXJ1bm5lci10b2tlbg==}\n";
    let read = "    - kubernetes.core.k8s_info: {kind: ConfigMap, namespace: default, label_selectors: [tier=web]}\n      \
                register: web\n    - debug: {msg: \"{{ web.resources | map(attribute='metadata.name') | list }} {{ web.api_found }}\"}\n    \
                - k8s_info: {kind: Secret, namespace: default, name: s}\n      register: s\n    \
                - debug: {msg: \"secret={{ s.resources[0].data.token }}\"}\n    \
                - k8s_info: {kind: Widget, api_version: example.com/v1}\n      register: w\n    \
                - debug: {msg: \"widgets={{ w.api_found }}\"}\n";
    let run = k.run(&format!("{objects}{read}"), &["-v"]);
    run.code(0);
    run.stdout_has("['a'] True")
        .stdout_has("secret=VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
        .stdout_has("widgets=False");
    no_secret(&run);
}

/// Runs only when `HEARTH_E2E_KUBECONFIG` names a kubeconfig of a real cluster.
#[test]
fn real_cluster() {
    let Ok(kubeconfig) = std::env::var("HEARTH_E2E_KUBECONFIG") else {
        eprintln!("skipped: HEARTH_E2E_KUBECONFIG is not set");
        return;
    };
    let p = Project::new();
    let ns = format!("hearth-e2e-{}", std::process::id());
    let objects = format!(
        "        definition:\n          - {{apiVersion: v1, kind: Namespace, metadata: {{name: {ns}}}}}\n          \
         - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: settings, namespace: {ns}}}, data: {{a: \"1\"}}}}\n"
    );
    let play = |state: &str| {
        format!(
            "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - kubernetes.core.k8s:\n        state: {state}\n        \
             wait: true\n{objects}"
        )
    };
    let run = |state: &str| {
        p.write("site.yml", &play(state));
        p.hearth_env(&["apply", "site.yml"], &[("K8S_AUTH_KUBECONFIG", kubeconfig.as_str())])
    };
    let first = run("present");
    first.code(0);
    let cm = get(std::path::Path::new(&kubeconfig), "v1", "ConfigMap", Some(&ns), "settings");
    assert_eq!(cm.expect("the ConfigMap exists")["data"]["a"], "1");
    let again = run("present");
    again.code(0);
    assert_eq!(again.recap("localhost", "changed"), 0);
    run("absent").code(0);
    assert!(get(std::path::Path::new(&kubeconfig), "v1", "ConfigMap", Some(&ns), "settings").is_none());
}
