//! Retries of Kubernetes API requests, as a tower layer inside hearth's kube-rs client (it sees
//! the method, the status and the `Retry-After` header, which kube-rs's errors drop). Like
//! client-go: a 429, or a 5xx with `Retry-After`, is retried whatever the method (the server did
//! not act on it), waiting what the server asks (capped). Beyond client-go, as kubectl users
//! expect of a provisioner: 500/502/503/504 and lost connections are retried with exponential
//! backoff on idempotent requests only (GET, DELETE, server-side apply, dry runs). Never other
//! 4xx. Each attempt has a timeout (watches excepted); a timeout is not retried. When retries run
//! out the error says how often and for how long ([`GaveUp`]). The decision is the pure
//! [`Policy::next_wait`]; kube-rs's own retry layer is switched off (`config`).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ::kube::client::{Body, DynBody};
use http::{Method, Request, Response};
use http_body_util::BodyExt;
use tower::{BoxError, Layer, Service};

/// The environment variable that sets the per-request timeout, in seconds.
pub const REQUEST_TIMEOUT_ENV: &str = "HEARTH_K8S_REQUEST_TIMEOUT";

/// How long one API request may wait for its answer: `HEARTH_K8S_REQUEST_TIMEOUT` seconds
/// (fractions allowed), else 60 s — the API server's own limit for a request.
pub fn request_timeout(env: &dyn Fn(&str) -> Option<String>) -> Duration {
    env(REQUEST_TIMEOUT_ENV)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(Duration::from_secs(60), Duration::from_secs_f64)
}

/// How hard to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff; each next one doubles.
    pub first_backoff: Duration,
    /// The longest `Retry-After` honoured (a longer one is cut to this).
    pub max_retry_after: Duration,
    /// No retry starts once this much time has passed since the first attempt.
    pub budget: Duration,
    /// How long one attempt may wait for its answer (not for watches).
    pub timeout: Duration,
}

impl Policy {
    /// hearth's policy: 5 attempts, backoff 0.2 s doubling, `Retry-After` up to 10 s, 30 s in
    /// all, this per-request `timeout`.
    pub fn standard(timeout: Duration) -> Policy {
        Policy {
            attempts: 5,
            first_backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(10),
            budget: Duration::from_secs(30),
            timeout,
        }
    }

    /// How long to wait before attempt `attempt + 1` after attempt `attempt` (1-based) ended as
    /// `outcome`, `elapsed` after the first began; `None`: do not retry.
    pub fn next_wait(
        &self,
        idempotent: bool,
        outcome: Outcome,
        attempt: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempt >= self.attempts {
            return None;
        }
        let wait = self.wait_for(idempotent, outcome, attempt)?;
        (elapsed + wait <= self.budget).then_some(wait)
    }

    /// The wait `outcome` calls for, attempts and budget aside (`None`: never retried).
    fn wait_for(&self, idempotent: bool, outcome: Outcome, attempt: u32) -> Option<Duration> {
        let backoff = self.first_backoff * 2u32.saturating_pow(attempt.saturating_sub(1));
        let wait = match outcome {
            Outcome::Status { code: 429, retry_after } => retry_after.unwrap_or(backoff),
            Outcome::Status { code: 500..=599, retry_after: Some(after) } => after,
            Outcome::Status { code: 500 | 502 | 503 | 504, retry_after: None } if idempotent => backoff,
            Outcome::Lost if idempotent => backoff,
            _ => return None,
        };
        Some(wait.min(self.max_retry_after))
    }
}

/// How one attempt ended, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An answer with this status (and `Retry-After`, when it had one).
    Status {
        /// The HTTP status code.
        code: u16,
        /// The `Retry-After` header (seconds form).
        retry_after: Option<Duration>,
    },
    /// No answer: the connection was lost or closed mid-request.
    Lost,
    /// No connection: refused (a wrong port or a stopped server; not retried, like client-go).
    Refused,
}

/// Retries ran out: what the last attempt got, after how many attempts and how long.
#[derive(Debug, thiserror::Error)]
#[error("{attempts} attempts over {:.1} s", elapsed.as_secs_f64())]
pub struct GaveUp {
    /// Attempts made.
    pub attempts: u32,
    /// From the first attempt to the last answer.
    pub elapsed: Duration,
    /// The last answer's status and body, or `None` when the last attempt got no answer.
    pub status: Option<(u16, String)>,
    /// The last attempt's transport error, when it got no answer.
    #[source]
    pub cause: Option<BoxError>,
}

/// An attempt got no answer within the request timeout.
#[derive(Debug, thiserror::Error)]
#[error("no answer within {:.0?}", after)]
pub struct TimedOut {
    /// The request timeout.
    pub after: Duration,
}

/// Whether repeating the request cannot do more than doing it once.
fn idempotent(req: &Request<Body>) -> bool {
    let query = req.uri().query().unwrap_or_default();
    let dry_run = query.split('&').any(|p| p == "dryRun=All");
    let apply = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|c| c.as_bytes().starts_with(b"application/apply-patch"));
    match *req.method() {
        Method::GET | Method::HEAD | Method::DELETE => true,
        Method::PATCH => apply || dry_run,
        _ => dry_run,
    }
}

fn is_watch(req: &Request<Body>) -> bool {
    req.uri().query().unwrap_or_default().split('&').any(|p| p == "watch=true" || p == "watch=1")
}

/// A copy to send again, when the body can be copied.
fn copy(req: &Request<Body>) -> Option<Request<Body>> {
    let mut new = Request::new(req.body().try_clone()?);
    *new.method_mut() = req.method().clone();
    *new.uri_mut() = req.uri().clone();
    *new.version_mut() = req.version();
    *new.headers_mut() = req.headers().clone();
    *new.extensions_mut() = req.extensions().clone();
    Some(new)
}

/// Whether the connection was refused (somewhere in the error's sources).
fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = s.source();
    }
    false
}

fn retry_after(res: &Response<Box<DynBody>>) -> Option<Duration> {
    let v = res.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The layer that adds [`Retry`] to the client's stack.
#[derive(Debug, Clone)]
pub struct RetryLayer(pub Policy);

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Retry<S> {
        Retry { inner: Arc::new(Mutex::new(inner)), policy: self.0 }
    }
}

/// The retrying service. The inner service (not `Clone` in kube-rs's stack) is shared behind a
/// lock, held only to check readiness and start a call, never across an await.
pub struct Retry<S> {
    inner: Arc<Mutex<S>>,
    policy: Policy,
}

type Answer = Result<Response<Box<DynBody>>, BoxError>;

/// Waits until `inner` is ready and starts `req` on it, under one lock.
async fn send<S>(inner: &Mutex<S>, req: Request<Body>) -> Answer
where
    S: Service<Request<Body>, Response = Response<Box<DynBody>>, Error = BoxError>,
{
    let mut req = Some(req);
    let call = poll_fn(|cx| {
        let mut s = inner.lock().unwrap_or_else(|p| p.into_inner());
        match s.poll_ready(cx) {
            Poll::Ready(Ok(())) => match req.take() {
                Some(r) => Poll::Ready(Ok(s.call(r))),
                // Invariant: poll_fn is not polled again after Ready, so `req` is still there.
                None => Poll::Ready(Err(BoxError::from("request already sent"))),
            },
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await?;
    call.await
}

impl<S> Service<Request<Body>> for Retry<S>
where
    S: Service<Request<Body>, Response = Response<Box<DynBody>>, Error = BoxError> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Box<DynBody>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness is checked per attempt, in `send`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let (inner, policy) = (self.inner.clone(), self.policy);
        Box::pin(attempts(inner, policy, req))
    }
}

/// Sends `req` until it gets an answer worth returning or the policy says stop.
async fn attempts<S>(inner: Arc<Mutex<S>>, policy: Policy, req: Request<Body>) -> Answer
where
    S: Service<Request<Body>, Response = Response<Box<DynBody>>, Error = BoxError>,
{
    let (idempotent, watch) = (idempotent(&req), is_watch(&req));
    let start = Instant::now();
    let mut next = Some(req);
    let mut attempt = 0;
    while let Some(req) = next.take() {
        attempt += 1;
        let again = copy(&req);
        let answer = if watch {
            send(&inner, req).await
        } else {
            tokio::time::timeout(policy.timeout, send(&inner, req))
                .await
                .map_err(|_| BoxError::from(TimedOut { after: policy.timeout }))?
        };
        let outcome = match &answer {
            Ok(res) => Outcome::Status { code: res.status().as_u16(), retry_after: retry_after(res) },
            Err(e) if refused(&**e) => Outcome::Refused,
            Err(_) => Outcome::Lost,
        };
        let wait = policy.next_wait(idempotent, outcome, attempt, start.elapsed());
        match (wait, again) {
            (Some(wait), Some(again)) => {
                tokio::time::sleep(wait).await;
                next = Some(again);
            }
            // Retries ran out on an answer that called for one: say so.
            _ if attempt > 1 && policy.wait_for(idempotent, outcome, attempt).is_some() => {
                return Err(gave_up(answer, attempt, start.elapsed()).await);
            }
            _ => return answer,
        }
    }
    // Invariant: the loop returns on every path; `next` is only emptied right before a retry.
    Err(BoxError::from("no attempt was made"))
}

async fn gave_up(answer: Answer, attempts: u32, elapsed: Duration) -> BoxError {
    let (status, cause) = match answer {
        Ok(res) => {
            let code = res.status().as_u16();
            let body = res.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            (Some((code, String::from_utf8_lossy(&body).into_owned())), None)
        }
        Err(e) => (None, Some(e)),
    };
    BoxError::from(GaveUp { attempts, elapsed, status, cause })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_millis;

    fn status(code: u16, after: Option<u64>) -> Outcome {
        Outcome::Status { code, retry_after: after.map(Duration::from_secs) }
    }

    #[test]
    fn the_request_timeout_is_60_s_unless_the_environment_sets_one() {
        let secs = |pairs| request_timeout(&env_of(pairs)).as_secs_f64();
        assert_eq!(secs(&[]), 60.0);
        assert_eq!(secs(&[("HEARTH_K8S_REQUEST_TIMEOUT", "2.5")]), 2.5);
        assert_eq!(secs(&[("HEARTH_K8S_REQUEST_TIMEOUT", "soon")]), 60.0);
        assert_eq!(secs(&[("HEARTH_K8S_REQUEST_TIMEOUT", "0")]), 60.0);
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn idempotent_5xx_and_lost_connections_back_off_exponentially() {
        let p = Policy::standard(Duration::from_secs(60));
        let waits: Vec<_> = (1..=5).map(|a| p.next_wait(true, status(503, None), a, S(0))).collect();
        assert_eq!(waits, [Some(S(200)), Some(S(400)), Some(S(800)), Some(S(1600)), None]);
        assert_eq!(p.next_wait(true, Outcome::Lost, 1, S(0)), Some(S(200)));
        assert_eq!(p.next_wait(true, status(500, None), 2, S(0)), Some(S(400)));
        assert_eq!(p.next_wait(false, status(503, None), 1, S(0)), None);
        assert_eq!(p.next_wait(false, Outcome::Lost, 1, S(0)), None);
        assert_eq!(p.next_wait(true, Outcome::Refused, 1, S(0)), None);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(
            refused_in(&refused) && !refused_in(&std::io::Error::from(std::io::ErrorKind::ConnectionReset))
        );
    }

    fn refused_in(e: &std::io::Error) -> bool {
        refused(e)
    }

    #[test]
    fn retry_after_is_honoured_for_any_method_and_capped() {
        let p = Policy::standard(Duration::from_secs(60));
        assert_eq!(p.next_wait(false, status(429, Some(1)), 1, S(0)), Some(S(1000)));
        assert_eq!(p.next_wait(false, status(429, None), 2, S(0)), Some(S(400)));
        assert_eq!(p.next_wait(false, status(503, Some(2)), 1, S(0)), Some(S(2000)));
        assert_eq!(p.next_wait(true, status(429, Some(3600)), 1, S(0)), Some(S(10_000)));
        assert_eq!(p.next_wait(true, status(429, Some(5)), 1, Duration::from_secs(28)), None);
    }

    #[test]
    fn other_client_errors_and_successes_are_never_retried() {
        let p = Policy::standard(Duration::from_secs(60));
        for code in [200, 201, 400, 401, 403, 404, 409, 410, 415, 422, 501] {
            assert_eq!(p.next_wait(true, status(code, None), 1, S(0)), None, "{code}");
        }
    }

    #[test]
    fn idempotence_follows_method_content_type_and_dry_run() {
        let req = |m: Method, uri: &str, ct: &str| {
            let mut r = Request::new(Body::from(Vec::new()));
            *r.method_mut() = m;
            *r.uri_mut() = uri.parse().unwrap();
            r.headers_mut().insert(http::header::CONTENT_TYPE, ct.parse().unwrap());
            r
        };
        assert!(idempotent(&req(Method::GET, "/api/v1/x", "")));
        assert!(idempotent(&req(Method::DELETE, "/api/v1/x", "")));
        assert!(idempotent(&req(Method::PATCH, "/a?fieldManager=h", "application/apply-patch+yaml")));
        assert!(!idempotent(&req(Method::PATCH, "/a", "application/merge-patch+json")));
        assert!(idempotent(&req(Method::PATCH, "/a?dryRun=All", "application/merge-patch+json")));
        assert!(!idempotent(&req(Method::POST, "/a", "application/json")));
        assert!(is_watch(&req(Method::GET, "/a?watch=true&resourceVersion=3", "")));
        assert!(!is_watch(&req(Method::GET, "/a?watchful=true", "")));
        assert!(copy(&req(Method::GET, "/a", "")).is_some());
    }
}
