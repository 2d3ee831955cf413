//! HTTP for the API server double: bearer-token authentication, routing of discovery and
//! resource paths to the store, query parameters (dryRun, fieldManager, force, selectors), body
//! decoding (JSON or YAML) and JSON responses, Status objects for errors. Serves what real
//! kubectl and kube-rs ask for; not OpenAPI (404), not protobuf, not aggregated discovery (clients
//! fall back to the plain documents).

use std::collections::BTreeMap;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response};
use serde_json::Value;

use super::faults::Action;
use super::merge::merge_patch;
use super::openapi;
use super::resources::{self, Registry, ResourceType};
use super::shared::{Body, Shared};
use super::status::ApiError;
use super::store::{PatchKind, Store, WriteOpts};
use super::watch;

/// A JSON response.
pub fn json(code: u16, v: &Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())).boxed());
    *r.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    r
}

fn error(e: &ApiError) -> Response<Body> {
    json(e.code, &e.to_status())
}

/// Decodes `%XX` and `+` in a query component.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters (last value wins).
pub fn query(q: Option<&str>) -> BTreeMap<String, String> {
    q.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// A JSON or YAML request body.
fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Ok(v);
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?;
    serde_saphyr::from_str::<Value>(text)
        .map_err(|e| ApiError::bad_request(format!("error decoding the request body: {e}")))
}

/// The program name of a User-Agent (`kubectl/v1.32 ...` → `kubectl`), the default field manager.
fn manager_from_agent(agent: &str) -> String {
    agent.split('/').next().unwrap_or_default().chars().take(128).collect()
}

/// A planned fault: the connection is closed without an answer (hyper drops it on this error).
#[derive(Debug, thiserror::Error)]
#[error("fault injected: connection closed without an answer")]
pub struct Closed;

/// Serves one request (or the fault the plan has for it).
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Body>, Closed> {
    let authorized = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == shared.token);
    if !authorized {
        return Ok(error(&ApiError::unauthorized()));
    }
    let mut drop_watch = None;
    match shared.faults.take(req.method(), req.uri().path(), req.uri().query()) {
        Some(Action::Status { code, retry_after }) => return Ok(injected(code, retry_after)),
        Some(Action::Close) => return Err(Closed),
        Some(Action::Delay(d)) => tokio::time::sleep(d).await,
        Some(Action::DropWatch(n)) => drop_watch = Some(n),
        None => {}
    }
    let result = route(&shared, req, drop_watch).await;
    shared.flush();
    Ok(result.unwrap_or_else(|e| error(&e)))
}

/// The error answer of a planned fault, with `Retry-After` when the plan gives one.
fn injected(code: u16, retry_after: Option<u64>) -> Response<Body> {
    let mut r = error(&ApiError::injected(code, retry_after));
    if let Some(secs) = retry_after {
        r.headers_mut().insert(hyper::header::RETRY_AFTER, hyper::header::HeaderValue::from(secs));
    }
    r
}

/// A response or the error `Status` to answer with.
type Answer = Result<Response<Body>, ApiError>;

/// Routes one request; `drop_watch` (a planned fault) ends a watch stream after that many events.
async fn route(shared: &Arc<Shared>, req: Request<Incoming>, drop_watch: Option<usize>) -> Answer {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let q = query(req.uri().query());
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get = req.method() == Method::GET;
    let registry = shared.store.lock().map_err(|_| ApiError::no_route())?.registry.clone();
    if let Some(found) = discovery(&registry, &segs, get) {
        return found;
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(ApiError::no_route()),
    };
    let namespaced_path = rest.len() >= 3
        && rest[0] == "namespaces"
        && registry.find(group, version, rest[2]).is_some_and(|t| t.namespaced);
    let (ns, rest) = if namespaced_path { (Some(rest[1]), &rest[2..]) } else { (None, rest) };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(*n), None),
        [p, n, s] => (*p, Some(*n), Some(*s)),
        _ => return Err(ApiError::no_route()),
    };
    let rt = registry.find(group, version, plural).cloned().ok_or_else(ApiError::no_route)?;
    if rt.namespaced && ns.is_none() && (name.is_some() || req.method() != Method::GET) {
        return Err(ApiError::no_route());
    }
    if sub.is_some_and(|s| s != "status") || (sub.is_some() && !rt.has_status) {
        return Err(ApiError::no_route());
    }
    let ns = ns.unwrap_or_default().to_string();
    let agent =
        req.headers().get(hyper::header::USER_AGENT).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let opts = write_opts(&q, agent)?;
    let content_type =
        req.headers().get(hyper::header::CONTENT_TYPE).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let content_type = content_type.split(';').next().unwrap_or_default().trim().to_string();
    let method = req.method().clone();
    if method == Method::GET && name.is_none() && q.get("watch").is_some_and(|w| w == "true" || w == "1") {
        return watch::start(shared, &rt, (!ns.is_empty()).then_some(ns.as_str()), &q, drop_watch);
    }
    let bytes = req.into_body().collect().await.map_err(|e| ApiError::bad_request(e.to_string()))?.to_bytes();
    let mut store = shared.store.lock().map_err(|_| ApiError::no_route())?;
    let name = name.map(str::to_string);
    let rt = &rt;
    if let (Some("status"), Some(n), false) = (sub, &name, method == Method::GET) {
        return write_status(&mut store, rt, (&ns, n), (method, content_type.as_str()), &bytes, &opts);
    }
    match (method, name) {
        (Method::GET, None) => {
            let labels = q.get("labelSelector").map_or("", String::as_str);
            let fields = q.get("fieldSelector").map_or("", String::as_str);
            let scope = (rt.namespaced && !ns.is_empty()).then_some(ns.as_str());
            Ok(json(200, &store.list(rt, scope, labels, fields)?))
        }
        (Method::GET, Some(n)) => Ok(json(200, &store.get(rt, &ns, &n)?)),
        (Method::POST, None) => Ok(json(201, &store.create(rt, &ns, parse_body(&bytes)?, &opts)?)),
        (Method::PUT, Some(n)) => Ok(json(200, &store.replace(rt, &ns, &n, parse_body(&bytes)?, &opts)?)),
        (Method::PATCH, Some(n)) => {
            let kind = match content_type.as_str() {
                "application/apply-patch+yaml" => PatchKind::Apply,
                "application/merge-patch+json" => PatchKind::Merge,
                "application/strategic-merge-patch+json" => PatchKind::Strategic,
                other => return Err(ApiError::unsupported_media(other)),
            };
            let (code, v) = store.patch(rt, &ns, &n, kind, parse_body(&bytes)?, &opts)?;
            Ok(json(code, &v))
        }
        (Method::DELETE, Some(n)) => {
            let body_dry = !bytes.is_empty()
                && parse_body(&bytes).is_ok_and(|b| b["dryRun"].as_array().is_some_and(|d| !d.is_empty()));
            Ok(json(200, &store.delete(rt, &ns, &n, opts.dry_run || body_dry)?))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// The discovery documents (`/version`, `/api`, `/apis`, `/openapi/v3`...), or `None` for a
/// resource path.
fn discovery(registry: &Registry, segs: &[&str], get: bool) -> Option<Result<Response<Body>, ApiError>> {
    let found = match segs {
        ["version"] if get => Ok(json(200, &resources::version())),
        ["api"] if get => Ok(json(200, &registry.core_versions())),
        ["apis"] if get => Ok(json(200, &registry.group_list())),
        ["api", v] if get => {
            registry.resource_list("", v).map(|d| json(200, &d)).ok_or_else(ApiError::no_route)
        }
        ["apis", g] if get => registry.group(g).map(|d| json(200, &d)).ok_or_else(ApiError::no_route),
        ["apis", g, v] if get => {
            registry.resource_list(g, v).map(|d| json(200, &d)).ok_or_else(ApiError::no_route)
        }
        ["openapi", "v3"] if get => Ok(json(200, &openapi::index(registry))),
        ["openapi", "v3", "api", v] if get => {
            openapi::document(registry, "", v).map(|d| json(200, &d)).ok_or_else(ApiError::no_route)
        }
        ["openapi", "v3", "apis", g, v] if get => {
            openapi::document(registry, g, v).map(|d| json(200, &d)).ok_or_else(ApiError::no_route)
        }
        _ => return None,
    };
    Some(found)
}

/// A PUT or PATCH of an object's `status` subresource.
fn write_status(
    store: &mut Store,
    rt: &ResourceType,
    (ns, n): (&str, &str),
    request: (Method, &str),
    bytes: &[u8],
    opts: &WriteOpts,
) -> Result<Response<Body>, ApiError> {
    let current = store.get(rt, ns, n)?;
    let body = parse_body(bytes)?;
    let status = match request {
        (Method::PUT, _) => body["status"].clone(),
        (Method::PATCH, "application/merge-patch+json" | "application/strategic-merge-patch+json") => {
            merge_patch(&current, &body)["status"].clone()
        }
        (Method::PATCH, other) => return Err(ApiError::unsupported_media(other)),
        _ => return Err(ApiError::method_not_allowed()),
    };
    if !opts.dry_run {
        let generation = current["metadata"]["generation"].as_i64().unwrap_or(1);
        store.set_status(&Store::key(rt, ns, n), generation, status, &opts.manager);
    }
    Ok(json(200, &store.get(rt, ns, n)?))
}

fn write_opts(q: &BTreeMap<String, String>, agent: &str) -> Result<WriteOpts, ApiError> {
    let dry_run = match q.get("dryRun").map(String::as_str) {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid dryRun value: {other:?}; only \"All\" is supported"
            )));
        }
    };
    let manager = q.get("fieldManager").cloned().unwrap_or_else(|| manager_from_agent(agent));
    Ok(WriteOpts { dry_run, manager, force: q.get("force").is_some_and(|f| f == "true") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode() {
        let q = query(Some("labelSelector=app%3Dweb%2Ctier+in+%28a%29&dryRun=All&x"));
        assert_eq!(q["labelSelector"], "app=web,tier in (a)");
        assert_eq!(q["dryRun"], "All");
        assert_eq!(q["x"], "");
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn bodies_and_managers() {
        assert_eq!(parse_body(b"a: 1\nb: [x]").unwrap(), serde_json::json!({"a": 1, "b": ["x"]}));
        assert_eq!(parse_body(b"{\"a\": 1}").unwrap()["a"], 1);
        assert_eq!(parse_body(b"a: [").unwrap_err().code, 400);
        assert_eq!(manager_from_agent("kubectl/v1.32.4 (linux/amd64)"), "kubectl");
    }
}
