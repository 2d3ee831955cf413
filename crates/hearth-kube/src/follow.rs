//! Following one object until a check on it passes (`wait:`): GET it, then watch it from that
//! resourceVersion and check every event. A watch that ends, drops or fails (the server's
//! timeout, a closed connection, 410 Gone, no watch support) is never an error: the object is
//! fetched again — a fresh state and resourceVersion — and watched again, with a pause that
//! doubles up to `max_sleep` while watches keep ending without events (so a server without
//! watches is polled). Only the GET's errors (after the retry layer's retries) end the wait.
//! Like kube-rs's `watcher` and client-go's `UntilWithSync`, which re-list on watch errors. Not
//! here: what "ready" means (see `wait`).

use std::time::{Duration, Instant};

use ::kube::api::{WatchEvent, WatchParams};
use futures_util::StreamExt;

use super::client::run;
use super::error::KubeError;
use super::ops::{ObjectRef, object_value};
use hearth_formats::value::Value;

/// The longest one watch request lasts (under the client's 60 s read timeout).
const WATCH_SECONDS: u64 = 50;

/// How one watch ended.
enum Watched {
    /// An event passed the check.
    Passed,
    /// The stream ended or failed; `events` is how many it delivered.
    Ended { events: usize },
}

/// Follows `oref` until `check` passes on its state (`None`: it does not exist) or `timeout`
/// passes; then the last check's verdict. GET errors end the wait at once.
pub fn follow(
    oref: &ObjectRef,
    timeout: Duration,
    max_sleep: Duration,
    mut check: impl FnMut(Option<&Value>) -> Result<(), String>,
) -> Result<Result<(), String>, KubeError> {
    let deadline = Instant::now() + timeout;
    let first_pause = Duration::from_millis(100).min(max_sleep);
    let mut pause = first_pause;
    loop {
        let obj = oref.get()?;
        let state = check(obj.as_ref());
        if state.is_ok() || Instant::now() >= deadline {
            return Ok(state);
        }
        let version = obj.as_ref().and_then(|o| o.get("metadata")?.get("resourceVersion")?.as_str());
        let ended = match version {
            Some(v) => watch(oref, v, deadline, &mut check),
            None => Watched::Ended { events: 0 },
        };
        match ended {
            Watched::Passed => return Ok(Ok(())),
            Watched::Ended { events } if events > 0 => pause = first_pause,
            Watched::Ended { .. } => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(max_sleep.max(Duration::from_millis(10)));
    }
}

/// Watches `oref` from resourceVersion `version` until an event passes `check`, the stream
/// ends or fails, or `deadline` passes.
fn watch(
    oref: &ObjectRef,
    version: &str,
    deadline: Instant,
    check: &mut impl FnMut(Option<&Value>) -> Result<(), String>,
) -> Watched {
    let left = deadline.saturating_duration_since(Instant::now()).as_secs() + 1;
    let params = WatchParams::default()
        .fields(&format!("metadata.name={}", oref.name))
        .timeout(left.min(WATCH_SECONDS) as u32);
    let api = oref.api();
    let ended = run(async {
        let Ok(stream) = api.watch(&params, version).await else { return Ok(Watched::Ended { events: 0 }) };
        let mut stream = std::pin::pin!(stream);
        let mut events = 0;
        loop {
            let next = tokio::time::timeout_at(deadline.into(), stream.next()).await;
            let state = match next {
                Ok(Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o)))) => {
                    match object_value(o, &oref.resolved) {
                        Ok(v) => check(Some(&v)),
                        Err(_) => return Ok(Watched::Ended { events }),
                    }
                }
                Ok(Some(Ok(WatchEvent::Deleted(_)))) => check(None),
                Ok(Some(Ok(WatchEvent::Bookmark(_)))) => continue,
                // 410 Gone and other watch errors, a failed or ended stream, the deadline.
                _ => return Ok(Watched::Ended { events }),
            };
            events += 1;
            if state.is_ok() {
                return Ok(Watched::Passed);
            }
        }
    });
    ended.unwrap_or(Watched::Ended { events: 0 })
}
