//! What the API server double's connections share: the store, the token, the event stream
//! that watches follow, the fault plan, and the response body type.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::combinators::BoxBody;
use hyper::body::Bytes;
use serde_json::Value;
use tokio::sync::broadcast;

use super::faults::Faults;
use super::resources::ResourceType;
use super::rollout;
use super::store::{Key, Store};

/// A change event as watchers receive it: (type, object, key).
pub type Event = (&'static str, Value, Key);

/// What every connection shares.
pub struct Shared {
    /// The objects.
    pub store: Arc<Mutex<Store>>,
    /// The bearer token clients must send.
    pub token: String,
    /// Change events for watchers.
    pub events: broadcast::Sender<Event>,
    /// Recent events (for watches that resume from a resourceVersion).
    pub history: Mutex<Vec<Event>>,
    /// The test-only fault plan and request log (empty plan: no faults).
    pub faults: Arc<Faults>,
}

/// The response body type (whole JSON documents or a watch stream).
pub type Body = BoxBody<Bytes, Infallible>;

impl Shared {
    /// Publishes the store's pending events and starts pending rollouts.
    pub fn flush(self: &Arc<Self>) {
        let (events, rollouts) = match self.store.lock() {
            Ok(mut s) => (std::mem::take(&mut s.events), std::mem::take(&mut s.rollouts)),
            Err(_) => return,
        };
        if let Ok(mut h) = self.history.lock() {
            h.extend(events.iter().cloned());
            let excess = h.len().saturating_sub(1000);
            h.drain(..excess);
        }
        for e in events {
            let _ = self.events.send(e);
        }
        for (key, generation) in rollouts {
            let me = self.clone();
            let store = self.store.clone();
            tokio::spawn(async move { rollout::run(store, key, generation, move || me.flush()).await });
        }
    }
}

/// Whether a type is this resource (for watch filtering).
pub fn same_type(rt: &ResourceType, key: &Key) -> bool {
    key.0 == rt.group && key.1 == rt.plural
}
