//! Watches (`?watch=true` on a collection): a stream of `{"type":"ADDED|MODIFIED|DELETED",
//! "object":...}` lines. Without a resourceVersion (or with "0") it starts with ADDED events for the
//! current objects; with one it replays the recent events after it. It does not send bookmarks,
//! nor DELETED for objects that merely stop matching a label selector.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::{Bytes, Frame};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::resources::ResourceType;
use super::selector::{self, Requirement};
use super::shared::{Body, Event, Shared, same_type};
use super::status::ApiError;

/// A response body fed from a channel.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

struct Filter {
    rt: ResourceType,
    ns: Option<String>,
    labels: Vec<Requirement>,
    fields: Vec<(String, String, bool)>,
}

impl Filter {
    fn accepts(&self, e: &Event) -> bool {
        same_type(&self.rt, &e.2)
            && self.ns.as_ref().is_none_or(|ns| *ns == e.2.2)
            && selector::matches(&self.labels, &e.1["metadata"]["labels"])
            && selector::fields_match(&self.fields, &e.1)
    }
}

fn line(kind: &str, obj: &Value) -> Bytes {
    Bytes::from(format!("{}\n", json!({"type": kind, "object": obj})))
}

fn rv_of(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Starts a watch on `rt` (in `ns`, or everywhere) with the request's query parameters; with
/// `limit` (a planned fault) the stream ends after that many events.
pub fn start(
    shared: &Arc<Shared>,
    rt: &ResourceType,
    ns: Option<&str>,
    q: &BTreeMap<String, String>,
    limit: Option<usize>,
) -> Result<Response<Body>, ApiError> {
    let filter = Filter {
        rt: rt.clone(),
        ns: ns.filter(|_| rt.namespaced).map(str::to_string),
        labels: selector::parse(q.get("labelSelector").map_or("", String::as_str))
            .map_err(ApiError::bad_request)?,
        fields: selector::parse_fields(q.get("fieldSelector").map_or("", String::as_str))
            .map_err(ApiError::bad_request)?,
    };
    let timeout = q.get("timeoutSeconds").and_then(|t| t.parse().ok()).unwrap_or(1800);
    let mut rx = shared.events.subscribe();
    let since = q.get("resourceVersion").and_then(|v| v.parse::<u64>().ok()).filter(|v| *v > 0);
    let initial: Vec<Bytes> = match since {
        None => {
            let store = shared.store.lock().map_err(|_| ApiError::no_route())?;
            let list = store.list(rt, filter.ns.as_deref(), "", "")?;
            list["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|o| {
                    selector::matches(&filter.labels, &o["metadata"]["labels"])
                        && selector::fields_match(&filter.fields, o)
                })
                .map(|o| line("ADDED", o))
                .collect()
        }
        Some(rv) => {
            let history = shared.history.lock().map_err(|_| ApiError::no_route())?;
            history
                .iter()
                .filter(|e| rv_of(&e.1) > rv && filter.accepts(e))
                .map(|e| line(e.0, &e.1))
                .collect()
        }
    };
    let (tx, body_rx) = mpsc::channel(64);
    let mut left = limit.unwrap_or(usize::MAX);
    tokio::spawn(async move {
        for l in initial {
            if left == 0 || tx.send(l).await.is_err() {
                return;
            }
            left -= 1;
        }
        if left == 0 {
            return;
        }
        let deadline = tokio::time::sleep(Duration::from_secs(timeout));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                e = rx.recv() => match e {
                    Ok(e) if filter.accepts(&e) => {
                        left -= 1;
                        if tx.send(line(e.0, &e.1)).await.is_err() || left == 0 {
                            return;
                        }
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    let mut r = Response::new(ChannelBody(body_rx).boxed());
    *r.status_mut() = StatusCode::OK;
    r.headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    Ok(r)
}
