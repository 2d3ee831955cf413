//! Test-only fault injection for the API server double: a plan of rules "the next N requests
//! matching METHOD + path prefix answer STATUS (with Retry-After) / close the connection without
//! answering / are answered after a delay / get a watch stream that ends after K events", given
//! when the double starts (`Options::faults`, or `HEARTH_LAB_K8S_FAULTS` for `hearth lab`), plus
//! a log of every request for tests that count what the server saw. With no rules the double
//! behaves exactly as without this file. Not here: answering requests (see `http`).

use std::sync::Mutex;
use std::time::Duration;

use hyper::Method;

/// What a matching request gets instead of its normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// An error `Status` with this code, and a `Retry-After: seconds` header when given.
    Status {
        /// The HTTP status code.
        code: u16,
        /// The Retry-After header, in seconds.
        retry_after: Option<u64>,
    },
    /// The connection is closed without an answer.
    Close,
    /// The normal answer, this much later.
    Delay(Duration),
    /// A watch whose stream ends after this many events (the request itself succeeds).
    DropWatch(usize),
}

/// One rule of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The HTTP method it matches (`None`: any).
    pub method: Option<String>,
    /// The path prefix it matches (`/apis/apps/v1/namespaces/ci/deployments`).
    pub path_prefix: String,
    /// How many more requests it applies to (`None`: every one).
    pub remaining: Option<usize>,
    /// What those requests get.
    pub action: Action,
}

/// Why a fault spec could not be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "fault {spec:?}: {why} (expected `[METHOD ]/path/prefix=ACTION[*N|*forever]`, ACTION one of \
         500, 429:RETRY_AFTER_SECONDS, close, delay:SECONDS, drop-watch:EVENTS)"
)]
pub struct FaultSpecError {
    /// The rule as written.
    pub spec: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl Fault {
    /// Reads one rule, e.g. `PATCH /apis/apps=503*forever`, `GET /api/v1=429:1`,
    /// `/api=close*2`, `GET /apis/apps=delay:5`, `GET /apis/apps=drop-watch:1`.
    pub fn parse(spec: &str) -> Result<Fault, FaultSpecError> {
        let bad = |why| FaultSpecError { spec: spec.to_string(), why };
        let (target, action) = spec.trim().split_once('=').ok_or_else(|| bad("no `=`"))?;
        let (method, path_prefix) = match target.trim().split_once(' ') {
            Some((m, p)) => (Some(m.trim().to_ascii_uppercase()), p.trim()),
            None => (None, target.trim()),
        };
        if !path_prefix.starts_with('/') {
            return Err(bad("the path prefix must start with /"));
        }
        let (action, count) = action.trim().split_once('*').unwrap_or((action.trim(), "1"));
        let remaining = match count {
            "forever" => None,
            n => Some(n.parse::<usize>().map_err(|_| bad("the count is not a number or `forever`"))?),
        };
        let number = |s: &str| s.parse::<u64>().map_err(|_| bad("not a number"));
        let status = |s: &str| s.parse::<u16>().map_err(|_| bad("not a status code"));
        let action = match action.split_once(':') {
            None if action == "close" => Action::Close,
            None => Action::Status { code: status(action)?, retry_after: None },
            Some(("delay", s)) => Action::Delay(Duration::from_secs_f64(
                s.parse::<f64>()
                    .ok()
                    .filter(|d| d.is_finite() && *d >= 0.0)
                    .ok_or_else(|| bad("bad delay"))?,
            )),
            Some(("drop-watch", n)) => Action::DropWatch(n.parse().map_err(|_| bad("not a number"))?),
            Some((code, after)) => Action::Status { code: status(code)?, retry_after: Some(number(after)?) },
        };
        if let Action::Status { code, .. } = action
            && !(400..600).contains(&code)
        {
            return Err(bad("a status must be 400-599"));
        }
        Ok(Fault { method, path_prefix: path_prefix.to_string(), remaining, action })
    }

    /// Reads a `;`-separated list of rules (the `HEARTH_LAB_K8S_FAULTS` form).
    pub fn parse_list(specs: &str) -> Result<Vec<Fault>, FaultSpecError> {
        specs.split(';').filter(|s| !s.trim().is_empty()).map(Fault::parse).collect()
    }

    fn matches(&self, method: &Method, path: &str, watch: bool) -> bool {
        self.remaining != Some(0)
            && (watch || !matches!(self.action, Action::DropWatch(_)))
            && self.method.as_deref().is_none_or(|m| m == method.as_str())
            && path.starts_with(&self.path_prefix)
    }
}

/// The plan and the request log, shared by every connection.
#[derive(Debug, Default)]
pub struct Faults {
    plan: Mutex<Vec<Fault>>,
    seen: Mutex<Vec<(String, String)>>,
}

impl Faults {
    /// A plan of these rules (applied first match first).
    pub fn new(plan: Vec<Fault>) -> Faults {
        Faults { plan: Mutex::new(plan), seen: Mutex::new(Vec::new()) }
    }

    /// Logs the request (path and query) and takes the action of the first rule it matches, if
    /// any; `drop-watch` rules match watch requests only.
    pub fn take(&self, method: &Method, path: &str, query: Option<&str>) -> Option<Action> {
        let full = query.map_or_else(|| path.to_string(), |q| format!("{path}?{q}"));
        lock(&self.seen).push((method.to_string(), full));
        let watch = query.unwrap_or_default().split('&').any(|p| p == "watch=true" || p == "watch=1");
        let mut plan = lock(&self.plan);
        let rule = plan.iter_mut().find(|f| f.matches(method, path, watch))?;
        if let Some(n) = &mut rule.remaining {
            *n -= 1;
        }
        Some(rule.action.clone())
    }

    /// How many requests so far had this method and a path (with `?query`) starting with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        lock(&self.seen).iter().filter(|(m, p)| m == method && p.starts_with(prefix)).count()
    }
}

/// A poisoned lock only means a connection task panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_as_rules() {
        let f = Fault::parse("patch /apis/apps=503*forever").unwrap();
        assert_eq!(
            f,
            Fault {
                method: Some("PATCH".into()),
                path_prefix: "/apis/apps".into(),
                remaining: None,
                action: Action::Status { code: 503, retry_after: None }
            }
        );
        assert_eq!(
            Fault::parse("/api=429:1").unwrap().action,
            Action::Status { code: 429, retry_after: Some(1) }
        );
        assert_eq!(Fault::parse("/api=close*2").unwrap().remaining, Some(2));
        assert_eq!(
            Fault::parse("GET /a=delay:1.5").unwrap().action,
            Action::Delay(Duration::from_millis(1500))
        );
        assert_eq!(Fault::parse("GET /a=drop-watch:1").unwrap().action, Action::DropWatch(1));
        for bad in ["/a", "a=500", "/a=200", "/a=66036", "/a=500*x", "/a=delay:-1", "/a=wat"] {
            assert!(Fault::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Fault::parse_list("/a=500; GET /b=close;").unwrap().len(), 2);
    }

    #[test]
    fn rules_apply_first_match_first_and_run_out() {
        let plan = "GET /w=drop-watch:1*1;GET /a=500*1;/a=close*forever";
        let faults = Faults::new(Fault::parse_list(plan).unwrap());
        let get = Method::GET;
        let status = Some(Action::Status { code: 500, retry_after: None });
        assert_eq!(faults.take(&get, "/a/b", None), status);
        assert_eq!(faults.take(&get, "/a/b", None), Some(Action::Close));
        assert_eq!(faults.take(&Method::PATCH, "/a", None), Some(Action::Close));
        assert_eq!(faults.take(&get, "/other", None), None);
        assert_eq!(faults.take(&get, "/w", None), None);
        assert_eq!(faults.take(&get, "/w", Some("watch=true")), Some(Action::DropWatch(1)));
        assert_eq!(faults.take(&get, "/w", Some("watch=true")), None);
        let counts = (faults.count("GET", "/a"), faults.count("GET", "/"), faults.count("PUT", "/"));
        assert_eq!(counts, (2, 6, 0));
        assert_eq!(faults.count("GET", "/w?watch"), 2);
    }
}
