//! Errors of the API server double as the real API reports them: `Status` objects (kind Status,
//! apiVersion v1, status Failure, reason, code, details). Only the reasons the double produces
//! are here; it does not model Forbidden, Timeout or the rest.

use serde_json::{Value, json};

/// One failed request: HTTP code, machine reason, human message, optional details.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code (also `code` in the body).
    pub code: u16,
    /// `reason` (NotFound, AlreadyExists, Conflict, Invalid, Unauthorized, BadRequest...).
    pub reason: &'static str,
    /// `message`.
    pub message: String,
    /// `details`, when the real server sends them.
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, reason, message: message.into(), details: None }
    }

    /// A planned fault's answer (500, 429, 503...), with `details.retryAfterSeconds` as the real
    /// server sends beside a Retry-After header.
    pub fn injected(code: u16, retry_after: Option<u64>) -> ApiError {
        let reason = match code {
            429 => "TooManyRequests",
            500 => "InternalError",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "Unknown",
        };
        let mut e = ApiError::new(code, reason, format!("fault injected by the API server double ({code})"));
        e.details = retry_after.map(|s| json!({"retryAfterSeconds": s}));
        e
    }

    /// 401 for a missing or wrong bearer token.
    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// 400 for a body or query the server cannot use.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    /// 404 for a path the server does not serve at all.
    pub fn no_route() -> ApiError {
        ApiError::new(404, "NotFound", "the server could not find the requested resource")
    }

    /// 404 for an object that does not exist (`resource` like `deployments.apps`).
    pub fn not_found(resource: &str, group: &str, name: &str) -> ApiError {
        let mut e = ApiError::new(404, "NotFound", format!("{resource} \"{name}\" not found"));
        e.details = Some(json!({"name": name, "group": group, "kind": plural_of(resource)}));
        e
    }

    /// 409 for a create of a name that is taken.
    pub fn already_exists(resource: &str, group: &str, name: &str) -> ApiError {
        let mut e = ApiError::new(409, "AlreadyExists", format!("{resource} \"{name}\" already exists"));
        e.details = Some(json!({"name": name, "group": group, "kind": plural_of(resource)}));
        e
    }

    /// 409 for an update with a stale resourceVersion.
    pub fn stale(resource: &str, group: &str, name: &str) -> ApiError {
        let mut e = ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again"
            ),
        );
        e.details = Some(json!({"name": name, "group": group, "kind": plural_of(resource)}));
        e
    }

    /// 409 for server-side apply conflicts: (manager as printed, field path) pairs.
    pub fn apply_conflict(message: String, causes: Vec<(String, String)>) -> ApiError {
        let causes: Vec<Value> = causes
            .into_iter()
            .map(|(m, f)| json!({"type": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": f}))
            .collect();
        let mut e = ApiError::new(409, "Conflict", message);
        e.details = Some(json!({"causes": causes}));
        e
    }

    /// 422 for an object that fails validation: `Kind.group "name" is invalid: ...`.
    pub fn invalid(kind_group: &str, kind: &str, group: &str, name: &str, causes: &[Cause]) -> ApiError {
        let list: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        let joined = if list.len() == 1 { list[0].clone() } else { format!("[{}]", list.join(", ")) };
        let mut e = ApiError::new(422, "Invalid", format!("{kind_group} \"{name}\" is invalid: {joined}"));
        let causes: Vec<Value> = causes
            .iter()
            .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
            .collect();
        e.details = Some(json!({"name": name, "group": group, "kind": kind, "causes": causes}));
        e
    }

    /// 405 for a verb a resource does not support.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// 415 for a patch type the double does not implement.
    pub fn unsupported_media(ct: &str) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {ct})"
            ),
        )
    }

    /// The Status object for the response body.
    pub fn to_status(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}

/// One validation failure: field path, cause reason (FieldValueInvalid...), message.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueDuplicate`.
    pub reason: &'static str,
    /// Path like `spec.template.spec.containers`.
    pub field: String,
    /// `Required value`, `Invalid value: ...`.
    pub message: String,
}

impl Cause {
    /// A required field is missing.
    pub fn required(field: &str) -> Cause {
        Cause { reason: "FieldValueRequired", field: field.into(), message: "Required value".into() }
    }

    /// A field has a bad value.
    pub fn invalid(field: &str, value: &str, why: &str) -> Cause {
        Cause {
            reason: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: {value}: {why}"),
        }
    }
}

/// `deployments.apps` → `deployments` (details.kind carries the plural resource name).
fn plural_of(resource: &str) -> &str {
    resource.split('.').next().unwrap_or(resource)
}

/// The Status the real server returns for a successful immediate delete.
pub fn deleted(name: &str, group: &str, plural: &str, uid: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "group": group, "kind": plural, "uid": uid},
    })
}
