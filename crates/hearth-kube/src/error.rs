//! Errors of the Kubernetes client layer, each one sentence a user can act on: which object
//! (`Deployment ns/name`), what the server said, and a hint where one helps (a field-manager
//! conflict names the manager and fields and points at `force_conflicts`). The formatting of
//! server `Status` objects is pure; nothing here talks to the network.

use ::kube::core::Status;

use super::definition::DefinitionError;
use super::retry::{GaveUp, REQUEST_TIMEOUT_ENV, TimedOut};

/// Why a Kubernetes operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// No usable configuration: a missing or malformed kubeconfig, an unknown context, no
    /// in-cluster service account.
    #[error("{0}")]
    Config(String),
    /// The cluster does not serve the object's apiVersion/kind.
    #[error("{0}")]
    UnknownKind(String),
    /// The API server answered with an error status (401, 403, 404, 409, 422, ...).
    #[error("{message}")]
    Api {
        /// The HTTP status code.
        code: u16,
        /// The full message (object, code, server reason, hint).
        message: String,
    },
    /// The API server could not be reached (connection refused, DNS, TLS).
    #[error("{0}")]
    Unreachable(String),
    /// The definition does not describe objects.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    /// The API server did not answer within the request timeout.
    #[error("{0}")]
    TimedOut(String),
    /// A waited-for object did not become ready in time (the message says what was missing).
    #[error("{0}")]
    NotReady(String),
}

impl KubeError {
    /// True for a 404 from the server (the object or its namespace does not exist).
    pub fn is_not_found(&self) -> bool {
        matches!(self, KubeError::Api { code: 404, .. })
    }
}

/// How messages name an object: `Deployment ns/name`, or `Namespace name` when cluster-scoped.
pub fn target(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// Turns a kube-rs error about `target` into a [`KubeError`]; `server` is the API server URL.
pub fn from_kube(err: ::kube::Error, target: &str, server: &str) -> KubeError {
    match err {
        ::kube::Error::Api(status) => {
            KubeError::Api { code: status.code, message: status_message(target, server, &status) }
        }
        ::kube::Error::Service(e) if e.is::<GaveUp>() || e.is::<TimedOut>() => retried(&*e, target, server),
        ::kube::Error::HyperError(_) | ::kube::Error::Service(_) => {
            // The variant's own text ("ServiceError: ...") adds nothing to its causes.
            let cause = std::error::Error::source(&err).map(chain).unwrap_or_else(|| err.to_string());
            KubeError::Unreachable(format!(
                "{target}: cannot reach the Kubernetes API server at {server}: {cause}"
            ))
        }
        ::kube::Error::Auth(_) => KubeError::Config(format!("{target}: client credentials: {}", chain(&err))),
        other => KubeError::Config(format!("{target}: {}", chain(&other))),
    }
}

/// The error for a request the retry layer gave up on, or one that timed out.
fn retried(e: &(dyn std::error::Error + 'static), target: &str, server: &str) -> KubeError {
    if let Some(t) = e.downcast_ref::<TimedOut>() {
        return KubeError::TimedOut(format!(
            "{target}: the Kubernetes API server at {server} did not answer within {} (the request \
             timeout; {REQUEST_TIMEOUT_ENV} sets it in seconds)",
            seconds(t.after)
        ));
    }
    let Some(g) = e.downcast_ref::<GaveUp>() else {
        return KubeError::Unreachable(format!("{target}: {}", chain(e)));
    };
    let over = format!("{} times over {:.1} s", g.attempts, g.elapsed.as_secs_f64());
    match (&g.status, &g.cause) {
        (Some((code, body)), _) => {
            let status = serde_json::from_str::<Status>(body)
                .unwrap_or_else(|_| Status::failure(body.trim(), "").with_code(*code));
            let reason = if status.reason.is_empty() { canonical_reason(*code) } else { &status.reason };
            let message = status.message.trim();
            KubeError::Api {
                code: *code,
                message: format!(
                    "{target}: the Kubernetes API server at {server} answered {code} {reason} {over}{}",
                    if message.is_empty() { String::new() } else { format!(" (last: {message})") }
                ),
            }
        }
        (None, cause) => KubeError::Unreachable(format!(
            "{target}: cannot reach the Kubernetes API server at {server} ({over}): {}",
            cause.as_deref().map(|c| chain(c)).unwrap_or_else(|| "connection lost".into())
        )),
    }
}

/// `2 s`, `1.5 s`.
fn seconds(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s:.1} s") }
}

/// The error and its sources, joined with `: ` (repeated texts dropped).
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// One message for an error `Status` from the server about `target`.
pub fn status_message(target: &str, server: &str, status: &Status) -> String {
    let reason = if status.reason.is_empty() || status.reason == "Failed to parse error data" {
        canonical_reason(status.code)
    } else {
        status.reason.as_str()
    };
    let head = format!("{target}: {} {reason}", status.code);
    let message = status.message.trim();
    match status.code {
        409 if message.starts_with("Apply failed") => {
            format!(
                "{head}: {}; set `server_side_apply: {{force_conflicts: true}}` to take these fields over",
                conflict_summary(status)
            )
        }
        401 => format!(
            "{head}: the API server at {server} rejected the kubeconfig's credentials{}",
            if message.is_empty() || message == "Unauthorized" {
                String::new()
            } else {
                format!(" ({message})")
            }
        ),
        _ if message.is_empty() => head,
        _ => format!("{head}: {message}"),
    }
}

/// "conflict with field manager "kubectl" on .spec.replicas, .spec.template.spec..." from the
/// Status causes, or the server's own message when it has no causes.
pub fn conflict_summary(status: &Status) -> String {
    let causes = status.details.as_ref().map(|d| d.causes.as_slice()).unwrap_or_default();
    let mut by_manager: Vec<(String, Vec<String>)> = Vec::new();
    for cause in causes.iter().filter(|c| c.reason == "FieldManagerConflict") {
        let manager = quoted(&cause.message).unwrap_or("unknown").to_string();
        match by_manager.iter_mut().find(|(m, _)| *m == manager) {
            Some((_, fields)) => fields.push(cause.field.clone()),
            None => by_manager.push((manager, vec![cause.field.clone()])),
        }
    }
    if by_manager.is_empty() {
        by_manager = parse_conflicts(&status.message);
    }
    if by_manager.is_empty() {
        return status.message.trim().replace('\n', " ");
    }
    let parts: Vec<String> = by_manager
        .iter()
        .map(|(m, fields)| format!("conflict with field manager \"{m}\" on {}", fields.join(", ")))
        .collect();
    parts.join("; ")
}

/// Managers and fields from a conflict message without causes: `conflict with "m" using v1:
/// .a` or `conflicts with "m":` followed by `- .a` lines, possibly for several managers.
fn parse_conflicts(message: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for part in message.split("conflict").skip(1) {
        let Some(manager) = quoted(part) else { continue };
        let after_quote = &part[part.find(manager).map_or(0, |i| i + manager.len() + 1)..];
        let Some((_, rest)) = after_quote.split_once(':') else { continue };
        let fields: Vec<String> = rest
            .lines()
            .map(|l| l.trim().trim_start_matches("- ").trim())
            .filter(|l| l.starts_with('.'))
            .map(str::to_string)
            .collect();
        if !fields.is_empty() {
            out.push((manager.to_string(), fields));
        }
    }
    out
}

/// The first double-quoted text in `s`.
fn quoted(s: &str) -> Option<&str> {
    let start = s.find('"')? + 1;
    let len = s[start..].find('"')?;
    Some(&s[start..start + len])
}

fn canonical_reason(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Gone",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(v: serde_json::Value) -> Status {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_conflict_names_manager_fields_and_the_force_hint() {
        let s = status(serde_json::json!({
            "kind": "Status", "status": "Failure", "code": 409, "reason": "Conflict",
            "message": "Apply failed with 2 conflicts: conflicts with \"kubectl\" using apps/v1:\n- .spec.replicas\n- .spec.paused",
            "details": {"name": "web", "kind": "deployments", "causes": [
                {"reason": "FieldManagerConflict", "message": "conflict with \"kubectl\" using apps/v1", "field": ".spec.replicas"},
                {"reason": "FieldManagerConflict", "message": "conflict with \"kubectl\" using apps/v1", "field": ".spec.paused"}]}}));
        assert_eq!(
            status_message("Deployment ci/web", "https://k:6443", &s),
            "Deployment ci/web: 409 Conflict: conflict with field manager \"kubectl\" on .spec.replicas, \
             .spec.paused; set `server_side_apply: {force_conflicts: true}` to take these fields over"
        );
        let bare = status(serde_json::json!({"code": 409, "reason": "Conflict",
            "message": "Apply failed with 1 conflict: conflict with \"helm\" using v1: .data.a"}));
        assert_eq!(conflict_summary(&bare), "conflict with field manager \"helm\" on .data.a");
        let many = status(serde_json::json!({"code": 409, "reason": "Conflict",
            "message": "Apply failed with 3 conflicts: conflicts with \"a\":\n- .x\n- .y\nconflict with \"b\": .z"}));
        assert_eq!(
            conflict_summary(&many),
            "conflict with field manager \"a\" on .x, .y; conflict with field manager \"b\" on .z"
        );
        let odd = status(serde_json::json!({"code": 409, "message": "Apply failed: something else"}));
        assert_eq!(conflict_summary(&odd), "Apply failed: something else");
    }

    #[test]
    fn other_statuses_keep_the_server_reason() {
        let s = status(serde_json::json!({"code": 422, "reason": "Invalid",
            "message": "Deployment.apps \"web\" is invalid: spec.selector: Invalid value"}));
        assert_eq!(
            status_message("Deployment ci/web", "https://k", &s),
            "Deployment ci/web: 422 Invalid: Deployment.apps \"web\" is invalid: spec.selector: Invalid value"
        );
        let unauth =
            status(serde_json::json!({"code": 401, "reason": "Unauthorized", "message": "Unauthorized"}));
        assert_eq!(
            status_message("Secret ci/token", "https://k", &unauth),
            "Secret ci/token: 401 Unauthorized: the API server at https://k rejected the kubeconfig's credentials"
        );
        let raw = Status::failure("403 page", "Failed to parse error data").with_code(403);
        assert_eq!(
            status_message("Namespace ci", "https://k", &raw),
            "Namespace ci: 403 Forbidden: 403 page"
        );
    }

    #[test]
    fn retries_that_ran_out_and_timeouts_say_what_happened() {
        let body = r#"{"kind":"Status","code":503,"reason":"ServiceUnavailable","message":"etcd is down"}"#;
        let gave_up = GaveUp {
            attempts: 5,
            elapsed: std::time::Duration::from_millis(3050),
            status: Some((503, body.into())),
            cause: None,
        };
        let e = retried(&gave_up, "Deployment ci/web", "https://k");
        assert!(matches!(e, KubeError::Api { code: 503, .. }));
        assert_eq!(
            e.to_string(),
            "Deployment ci/web: the Kubernetes API server at https://k answered 503 ServiceUnavailable 5 \
             times over 3.0 s (last: etcd is down)"
        );
        let plain = GaveUp { status: Some((429, "slow down".into())), ..gave_up };
        let text = retried(&plain, "Namespace ci", "https://k").to_string();
        assert!(
            text.ends_with("answered 429 TooManyRequests 5 times over 3.0 s (last: slow down)"),
            "{text}"
        );
        let lost = GaveUp {
            attempts: 2,
            elapsed: std::time::Duration::from_millis(200),
            status: None,
            cause: Some("connection closed before message completed".into()),
        };
        assert_eq!(
            retried(&lost, "Namespace ci", "https://k").to_string(),
            "Namespace ci: cannot reach the Kubernetes API server at https://k (2 times over 0.2 s): \
             connection closed before message completed"
        );
        let slow = TimedOut { after: std::time::Duration::from_secs(2) };
        assert_eq!(
            retried(&slow, "Secret ci/t", "https://k").to_string(),
            "Secret ci/t: the Kubernetes API server at https://k did not answer within 2 s (the request \
             timeout; HEARTH_K8S_REQUEST_TIMEOUT sets it in seconds)"
        );
    }

    #[test]
    fn targets_and_chains_read_naturally() {
        assert_eq!(target("Namespace", None, "ci"), "Namespace ci");
        assert_eq!(target("Secret", Some("ci"), "t"), "Secret ci/t");
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        assert_eq!(chain(&io), "Connection refused");
    }
}
