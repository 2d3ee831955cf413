//! The `k8s` module against a misbehaving Kubernetes API (issue 12): the API server double
//! answers 500, 429 with Retry-After, 503 for ever, closes a connection, answers slower than the
//! request timeout, refuses an invalid object, and drops watches mid-rollout. Each test asserts
//! what a user sees — exit code, recap, the message, the object in the API — and what the server
//! saw (how often a request was retried). Timing bounds are generous: only "waited at least" and
//! "ended at all", never speed.

use std::time::{Duration, Instant};

use crate::support::kube::Kube;

const CM: &str = "/api/v1/namespaces/default/configmaps/web";
const DEPLOY: &str = "/apis/apps/v1/namespaces/default/deployments";

/// A task applying ConfigMap default/web.
const CONFIGMAP: &str = "    - k8s:\n        definition: {apiVersion: v1, kind: ConfigMap, \
                         metadata: {name: web, namespace: default}, data: {a: '1'}}\n";

fn applied(k: &Kube) -> bool {
    k.get("v1", "ConfigMap", Some("default"), "web").is_some_and(|cm| cm["data"]["a"] == "1")
}

#[test]
fn a_500_then_success_is_retried_and_applies() {
    let k = Kube::with_faults(None, &format!("PATCH {CM}=500*1"));
    let run = k.run(CONFIGMAP, &[]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    assert!(applied(&k));
    // The dry run got the 500 and was sent again; then the apply.
    assert_eq!(k.server.requests("PATCH", CM), 3);
}

#[test]
fn a_429_with_retry_after_waits_as_asked_then_applies() {
    let k = Kube::with_faults(None, &format!("PATCH {CM}=429:1*1"));
    let start = Instant::now();
    let run = k.run(CONFIGMAP, &[]);
    let took = start.elapsed();
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    assert!(applied(&k));
    assert!(took >= Duration::from_secs(1), "took {took:?}: Retry-After: 1 was not honoured");
}

#[test]
fn a_503_for_ever_is_one_clear_error_after_bounded_retries() {
    let k = Kube::with_faults(None, &format!("{CM}=503*forever"));
    let start = Instant::now();
    let run = k.run(CONFIGMAP, &[]);
    let took = start.elapsed();
    run.code(2);
    run.stdout_has(&format!(
        "ConfigMap default/web: the Kubernetes API server at {} answered 503",
        k.server.url
    ))
    .stdout_has("503 ServiceUnavailable 5 times over ")
    .stdout_has("(last: fault injected by the API server double (503))");
    assert_eq!(run.recap("localhost", "failed"), 1);
    assert_eq!(k.server.requests("GET", CM), 5, "five attempts of the GET, then no more");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert_eq!(k.server.requests("PATCH", CM), 0, "nothing was applied");
}

#[test]
fn a_connection_closed_without_an_answer_is_retried_and_applies() {
    let k = Kube::with_faults(None, &format!("PATCH {CM}=close*1"));
    let run = k.run(CONFIGMAP, &[]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    assert!(applied(&k));
}

#[test]
fn an_answer_slower_than_the_request_timeout_is_a_clear_error() {
    let k = Kube::with_faults(None, &format!("GET {CM}=delay:10*forever"));
    let start = Instant::now();
    let run = k.run_env(CONFIGMAP, &[], &[("HEARTH_K8S_REQUEST_TIMEOUT", "1")]);
    let took = start.elapsed();
    run.code(2);
    run.stdout_has(&format!(
        "ConfigMap default/web: the Kubernetes API server at {} did not answer within 1 s (the request \
         timeout; HEARTH_K8S_REQUEST_TIMEOUT sets it in seconds)",
        k.server.url
    ));
    assert_eq!(k.server.requests("GET", CM), 1, "a timeout is not retried");
    assert!(took < Duration::from_secs(9), "took {took:?}: the 10 s answer was waited for");
    assert!(!applied(&k));
}

#[test]
fn an_invalid_object_is_refused_once_and_not_retried() {
    let k = Kube::start(None);
    let task = "    - k8s:\n        definition:\n          apiVersion: apps/v1\n          kind: Deployment\n          \
                metadata: {name: bad, namespace: default}\n          spec:\n            selector: {matchLabels: {app: a}}\n            \
                template:\n              metadata: {labels: {app: b}}\n              spec: {containers: [{name: c, image: busybox}]}\n";
    let run = k.run(task, &[]);
    run.code(2);
    run.stdout_has("Deployment default/bad: 422 Invalid");
    assert_eq!(k.server.requests("PATCH", &format!("{DEPLOY}/bad")), 1);
}

#[test]
fn a_watch_dropped_mid_rollout_is_resumed_and_the_wait_succeeds() {
    // The first two watches end at once, before the 2 s rollout completes.
    let k = Kube::with_faults(None, &format!("GET {DEPLOY}=drop-watch:0*2"));
    let task = "    - k8s:\n        wait: true\n        wait_timeout: 60\n        definition:\n          \
                apiVersion: apps/v1\n          kind: Deployment\n          metadata:\n            name: web\n            \
                namespace: default\n            annotations: {lab.hearth.dev/rollout: 2s}\n          spec:\n            \
                replicas: 2\n            selector: {matchLabels: {app: web}}\n            template:\n              \
                metadata: {labels: {app: web}}\n              spec: {containers: [{name: c, image: busybox}]}\n";
    let start = Instant::now();
    let run = k.run(task, &[]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), 1);
    assert!(start.elapsed() >= Duration::from_secs(2), "the rollout was not waited for");
    let watches = k.server.requests("GET", &format!("{DEPLOY}?"));
    assert!(watches >= 3, "{watches} watches: the dropped ones were not resumed");
    let live = k.get("apps/v1", "Deployment", Some("default"), "web").unwrap();
    assert_eq!(live["status"]["availableReplicas"], 2, "{live}");
}
