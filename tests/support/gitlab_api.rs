//! A GitLab REST API double: the runner endpoints `playbooks/tasks/gitlab-runner-create.yml`
//! calls (`POST /api/v4/user/runners`, `GET /api/v4/runners[/all]`, `GET`/`DELETE
//! /api/v4/runners/:id`), authenticated by `PRIVATE-TOKEN` (or `Authorization: Bearer`). It
//! records every runner created and every request, so tests can count creations and check what
//! reached the wire. Not a GitLab: no pagination, no projects or groups, no token rotation.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::http::{HttpRequest, HttpResponse, form_pairs, serve};

/// A runner as the double keeps it.
#[derive(Debug, Clone)]
pub struct Runner {
    /// The runner id.
    pub id: u64,
    /// Its description.
    pub description: String,
    /// Its tags.
    pub tag_list: Vec<String>,
    /// instance_type, group_type or project_type.
    pub runner_type: String,
    /// Whether it picks untagged jobs.
    pub run_untagged: bool,
    /// The `glrt-` authentication token returned at creation.
    pub token: String,
}

#[derive(Default)]
struct State {
    runners: Vec<Runner>,
    created: usize,
    requests: Vec<String>,
}

/// A running double.
pub struct GitlabApi {
    /// Base URL, e.g. `http://10.77.3.1:41234`.
    pub url: String,
    /// The accepted `PRIVATE-TOKEN`.
    pub token: String,
    state: Arc<Mutex<State>>,
}

impl GitlabApi {
    /// Starts a double on `bind` (any port) accepting `token`.
    pub fn start(bind: &str, token: &str) -> GitlabApi {
        let state = Arc::new(Mutex::new(State::default()));
        let (st, tok) = (state.clone(), token.to_string());
        let url = serve(bind, Arc::new(move |req: &HttpRequest| handle(req, &tok, &st)));
        GitlabApi { url, token: token.to_string(), state }
    }

    /// How many runners were created through the API (deleted ones included).
    pub fn created(&self) -> usize {
        self.state.lock().expect("state").created
    }

    /// The runners that exist now.
    pub fn runners(&self) -> Vec<Runner> {
        self.state.lock().expect("state").runners.clone()
    }

    /// Adds a runner as if created elsewhere (not counted in `created`).
    pub fn seed(&self, description: &str, tags: &[&str]) -> Runner {
        let mut st = self.state.lock().expect("state");
        let r = runner(&st, description, tags.iter().map(|t| t.to_string()).collect(), true);
        st.runners.push(r.clone());
        r
    }

    /// `METHOD path` of every request, in order.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().expect("state").requests.clone()
    }
}

fn runner(st: &State, description: &str, tag_list: Vec<String>, run_untagged: bool) -> Runner {
    let id = st.runners.iter().map(|r| r.id).max().unwrap_or(0) + 1;
    Runner {
        id,
        description: description.to_string(),
        tag_list,
        runner_type: "instance_type".into(),
        run_untagged,
        token: format!("glrt-double{id:04}{}", std::process::id()),
    }
}

fn summary(r: &Runner) -> Value {
    json!({
        "id": r.id, "description": r.description, "ip_address": null, "active": true, "paused": false,
        "is_shared": r.runner_type == "instance_type", "runner_type": r.runner_type,
        "name": "gitlab-runner", "online": false, "status": "never_contacted",
    })
}

fn detail(r: &Runner) -> Value {
    let mut v = summary(r);
    v["tag_list"] = json!(r.tag_list);
    v["run_untagged"] = json!(r.run_untagged);
    v["locked"] = json!(false);
    v
}

/// The request's parameters: a JSON object body, or a form body, or the query.
fn params(req: &HttpRequest) -> serde_json::Map<String, Value> {
    let ct = req.header("Content-Type").unwrap_or("");
    if ct.starts_with("application/json") {
        return serde_json::from_slice::<Value>(&req.body)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
    }
    let text =
        if req.body.is_empty() { req.query.clone() } else { String::from_utf8_lossy(&req.body).into_owned() };
    form_pairs(&text).into_iter().map(|(k, v)| (k, Value::String(v))).collect()
}

fn tags(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|t| t.as_str()).map(str::to_string).collect(),
        Some(Value::String(s)) => {
            s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
        }
        _ => vec![],
    }
}

fn handle(req: &HttpRequest, token: &str, state: &Mutex<State>) -> HttpResponse {
    let mut st = state.lock().expect("state");
    st.requests.push(format!("{} {}", req.method, req.path));
    let bearer = req.header("Authorization").and_then(|a| a.strip_prefix("Bearer "));
    if req.header("PRIVATE-TOKEN").or(bearer) != Some(token) {
        return HttpResponse::json("401 Unauthorized", &json!({"message": "401 Unauthorized"}));
    }
    let not_found = || HttpResponse::json("404 Not Found", &json!({"message": "404 Not found"}));
    let segs: Vec<&str> = req.path.trim_end_matches('/').split('/').collect();
    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["", "api", "v4", "user", "runners"]) => {
            let p = params(req);
            let kind = p.get("runner_type").and_then(Value::as_str).unwrap_or("");
            if !["instance_type", "group_type", "project_type"].contains(&kind) {
                let msg = json!({"error": "runner_type does not have a valid value"});
                return HttpResponse::json("400 Bad Request", &msg);
            }
            let desc = p.get("description").and_then(Value::as_str).unwrap_or("");
            let untagged = match p.get("run_untagged") {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s != "false",
                _ => true,
            };
            let mut r = runner(&st, desc, tags(p.get("tag_list")), untagged);
            r.runner_type = kind.to_string();
            st.runners.push(r.clone());
            st.created += 1;
            HttpResponse::json(
                "201 Created",
                &json!({"id": r.id, "token": r.token, "token_expires_at": null}),
            )
        }
        ("GET", ["", "api", "v4", "runners"] | ["", "api", "v4", "runners", "all"]) => {
            let kind = req.param("type");
            let list: Vec<Value> = st
                .runners
                .iter()
                .filter(|r| kind.as_deref().is_none_or(|k| r.runner_type == k))
                .map(summary)
                .collect();
            HttpResponse::json("200 OK", &Value::Array(list))
        }
        (m, ["", "api", "v4", "runners", id]) => {
            let Some(i) = id.parse::<u64>().ok().and_then(|id| st.runners.iter().position(|r| r.id == id))
            else {
                return not_found();
            };
            match m {
                "GET" => HttpResponse::json("200 OK", &detail(&st.runners[i])),
                "DELETE" => {
                    st.runners.remove(i);
                    HttpResponse { status: "204 No Content", headers: vec![], body: vec![] }
                }
                _ => not_found(),
            }
        }
        _ => not_found(),
    }
}
