//! `uri`: one HTTP request from the target (like Ansible, the request runs on the host), with
//! curl; the request travels on stdin (see `exchange`). Registers Ansible's fields: `status`,
//! `url`, `msg`, the response headers lower-cased with `_`, `json` for JSON responses, `content`
//! with `return_content`, `redirected`, `elapsed`, `cookies`. Unchanged unless it writes `dest`.
//! No check mode (Ansible's `uri` has none: skipped). Not here: `src`, `form-multipart`,
//! `unix_socket`, `client_cert`, proxies, wget.

pub mod exchange;

use serde::Deserialize;

use self::exchange::{Exchange, Response, form_escape};
use super::get_url::fetch::{self, Request, Tool};
use super::get_url::url_filename;
use crate::module::{Ctx, Module, ModuleError, Outcome, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Attrs, FileKind};

/// Parameters of `uri`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uri {
    /// The URL (http or https).
    pub url: String,
    /// The HTTP method (default GET), a single upper-case word.
    #[serde(default = "get")]
    pub method: String,
    /// Request headers, as a mapping (sent through curl's stdin, never argv).
    #[serde(default)]
    pub headers: Option<Value>,
    /// The request body; with `body_format: json` any value, encoded for you.
    pub body: Option<Value>,
    /// `raw` (default), `json` or `form-urlencoded`; the latter two set Content-Type too.
    #[serde(default = "raw")]
    pub body_format: String,
    /// Accepted status codes: one or a list (default 200); others fail the task.
    #[serde(default)]
    pub status_code: Option<Value>,
    /// Register the body as `content`.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub return_content: bool,
    /// Seconds without progress before giving up (default 30).
    #[serde(default = "thirty", deserialize_with = "super::args::de_int")]
    pub timeout: i64,
    /// Check TLS certificates (default true).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub validate_certs: bool,
    /// Basic-auth user name.
    #[serde(alias = "user")]
    pub url_username: Option<String>,
    /// Basic-auth password (never placed on a command line).
    #[serde(alias = "password")]
    pub url_password: Option<String>,
    /// Send basic auth with the first request instead of after a 401 challenge.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub force_basic_auth: bool,
    /// `safe` (default: only for GET and HEAD), `all`, or `none`.
    #[serde(default)]
    pub follow_redirects: Option<Value>,
    /// Write the body to this path on the host (a directory: the URL's file name inside it).
    pub dest: Option<String>,
    /// Skip the request when this path exists on the host.
    pub creates: Option<String>,
    /// Skip the request unless this path exists on the host.
    pub removes: Option<String>,
    /// The User-Agent header (default `ansible-httpget`).
    #[serde(default = "agent")]
    pub http_agent: String,
}

fn get() -> String {
    "GET".into()
}
fn raw() -> String {
    "raw".into()
}
fn thirty() -> i64 {
    30
}
fn yes() -> bool {
    true
}
fn agent() -> String {
    "ansible-httpget".into()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The accepted status codes from `status_code` (an int, a string, a comma list or a list).
pub fn status_codes(v: Option<&Value>) -> Result<Vec<i64>, String> {
    let items: Vec<Value> = match v {
        None | Some(Value::Null) => return Ok(vec![200]),
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => s.split(',').map(|p| Value::String(p.trim().to_string())).collect(),
        Some(other) => vec![other.clone()],
    };
    items
        .iter()
        .map(|i| match i {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .map(|c| {
            c.ok_or_else(|| format!("status_code must be integers, got {}", text(v.unwrap_or(&Value::Null))))
        })
        .collect()
}

/// Encodes `body` for `body_format`, with the Content-Type it implies (pure).
pub fn encode_body(
    body: Option<&Value>,
    format: &str,
) -> Result<(Option<String>, Option<&'static str>), String> {
    let Some(body) = body.filter(|b| !b.is_null()) else { return Ok((None, None)) };
    match format {
        "raw" => match body {
            Value::String(s) => Ok((Some(s.clone()), None)),
            other => Ok((Some(text(other)), None)),
        },
        "json" => match body {
            Value::String(s) => Ok((Some(s.clone()), Some("application/json"))),
            other => Ok((Some(other.to_string()), Some("application/json"))),
        },
        "form-urlencoded" => {
            let pairs: Vec<(String, Value)> = match body {
                Value::String(s) => return Ok((Some(s.clone()), Some("application/x-www-form-urlencoded"))),
                Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                Value::Array(a) => a
                    .iter()
                    .map(|p| match p {
                        Value::Array(kv) if kv.len() == 2 => Ok((text(&kv[0]), kv[1].clone())),
                        _ => Err(format!("failed to parse body as form_urlencoded: {p} is not a pair")),
                    })
                    .collect::<Result<_, _>>()?,
                other => return Err(format!("cannot form-urlencode body, expect list or dict, got {other}")),
            };
            let mut out = Vec::new();
            for (k, v) in pairs {
                let values = match v {
                    Value::Array(a) => a,
                    Value::Null => vec![],
                    v => vec![v],
                };
                for v in values.iter().filter(|v| !v.is_null()) {
                    out.push(format!("{}={}", form_escape(&k), form_escape(&text(v))));
                }
            }
            Ok((Some(out.join("&")), Some("application/x-www-form-urlencoded")))
        }
        "form-multipart" => Err("body_format form-multipart is not supported by hearth".into()),
        other => Err(format!(
            "value of body_format must be one of: form-urlencoded, json, raw, form-multipart, got: {other}"
        )),
    }
}

/// Whether redirects are followed for `method` under `follow_redirects` (pure).
pub fn follows(setting: Option<&Value>, method: &str) -> Result<bool, String> {
    let s = match setting {
        None | Some(Value::Null) => "safe".to_string(),
        Some(Value::Bool(b)) => if *b { "all" } else { "none" }.to_string(),
        Some(v) => text(v).to_ascii_lowercase(),
    };
    match s.as_str() {
        "safe" => Ok(matches!(method, "GET" | "HEAD")),
        "all" | "yes" | "urllib2" => Ok(true),
        "none" | "no" => Ok(false),
        other => Err(format!(
            "value of follow_redirects must be one of: all, no, none, safe, urllib2, yes, got: {other}"
        )),
    }
}

impl Uri {
    fn request(&self) -> Result<(Request, Exchange), ModuleError> {
        let method = self.method.trim().to_ascii_uppercase();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ModuleError::msg(
                "Parameter 'method' needs to be a single word in uppercase, like GET or POST.",
            ));
        }
        let mut headers = vec![("User-Agent".to_string(), self.http_agent.clone())];
        match &self.headers {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => headers.extend(m.iter().map(|(k, v)| (k.clone(), text(v)))),
            Some(other) => return Err(ModuleError::msg(format!("headers must be a mapping, got {other}"))),
        }
        let format = self.body_format.to_ascii_lowercase();
        let (body, content_type) = encode_body(self.body.as_ref(), &format).map_err(ModuleError::msg)?;
        if let Some(ct) = content_type
            && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".into(), ct.into()));
        }
        let auth = match (&self.url_username, &self.url_password) {
            (Some(u), p) => Some((u.clone(), p.clone().unwrap_or_default())),
            (None, Some(_)) => return Err(ModuleError::msg("url_password needs url_username")),
            (None, None) => None,
        };
        let follow = follows(self.follow_redirects.as_ref(), &method).map_err(ModuleError::msg)?;
        let timeout = self.timeout.max(1) as u64;
        let req =
            Request { url: self.url.clone(), headers, timeout, auth, validate_certs: self.validate_certs };
        let x = Exchange { method, body, follow, basic_first: self.force_basic_auth, time_cond: None };
        Ok((req, x))
    }
}

impl Module for Uri {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if !self.url.contains("://") {
            return Err(ModuleError::msg(format!("url must be an absolute URL, got {:?}", self.url)));
        }
        let codes = status_codes(self.status_code.as_ref()).map_err(ModuleError::msg)?;
        let (req, mut x) = self.request()?;
        if let Some(c) = &self.creates
            && ctx.host.stat(c, false)?.is_some()
        {
            return Ok(Plan::ok(format!("{c} exists")).with("stdout", format!("skipped, since '{c}' exists")));
        }
        if let Some(r) = &self.removes
            && ctx.host.stat(r, false)?.is_none()
        {
            let msg = format!("skipped, since '{r}' does not exist");
            return Ok(Plan::ok(format!("{r} does not exist")).with("stdout", msg));
        }
        if fetch::probe_tool(ctx.host)? != Tool::Curl {
            return Err(ModuleError::msg("uri needs curl on the host (only wget was found)"));
        }
        let mut dest = self.dest.clone();
        if let Some(d) = &dest {
            match ctx.host.stat(d, true)? {
                Some(s) if s.kind == FileKind::Directory => {
                    dest = Some(format!("{}/{}", d.trim_end_matches('/'), url_filename(&self.url)))
                }
                Some(_) => x.time_cond = Some(d.clone()),
                None => {}
            }
        }
        let (return_content, url) = (self.return_content, self.url.clone());
        let action = Box::new(move |ctx: &Ctx| {
            let resp = exchange::run(ctx.host, &req, &x)?;
            finish(ctx, &url, &resp, &codes, return_content, dest.as_deref())
        });
        let mut plan = Plan { outcome: Outcome::Run(action), diffs: Vec::new(), result: Map::new() };
        plan.result.insert("msg".into(), "remote module (uri) does not support check mode".into());
        Ok(plan)
    }
}

/// Turns the response into the registered result; fails unless the status is accepted.
fn finish(
    ctx: &Ctx,
    url: &str,
    resp: &Response,
    codes: &[i64],
    return_content: bool,
    dest: Option<&str>,
) -> Result<Map, ModuleError> {
    let mut r = result_fields(url, resp, return_content);
    let status = resp.status.map_or(-1, i64::from);
    if !codes.contains(&status) {
        let msg = r.get("msg").map(text).unwrap_or_default();
        let list = codes.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let msg = format!("Status code was {status} and not [{list}]: {msg}");
        r.insert("msg".into(), msg.clone().into());
        return Err(ModuleError::Failed { msg, result: r });
    }
    if let Some(d) = dest
        && status != 304
    {
        ctx.host.write_file(d, &resp.body, &Attrs::default())?;
        r.insert("changed".into(), Value::Bool(true));
        r.insert("path".into(), d.into());
    }
    Ok(r)
}

/// Ansible's result fields for a response (pure).
pub fn result_fields(url: &str, resp: &Response, return_content: bool) -> Map {
    let mut r = Map::new();
    let success = resp.status.is_some_and(|s| (200..300).contains(&s));
    let final_url = if success { resp.url.as_str() } else { url };
    r.insert("redirected".into(), Value::Bool(final_url != url));
    r.insert("url".into(), final_url.into());
    r.insert("status".into(), resp.status.map_or(-1, i64::from).into());
    let mut cookies = Map::new();
    for (k, v) in &resp.headers {
        let key = k.to_ascii_lowercase().replace('-', "_");
        let v = match r.get(&key) {
            Some(Value::String(old)) if key != "url" && key != "status" => format!("{old}, {v}"),
            _ => v.clone(),
        };
        if k.eq_ignore_ascii_case("set-cookie")
            && let Some((name, value)) = v.split(';').next().and_then(|c| c.split_once('='))
        {
            cookies.insert(name.trim().to_string(), value.trim().into());
        }
        if key == "location" {
            r.insert(key, join_url(url, &v).into());
        } else if key != "url" && key != "status" {
            r.insert(key, v.into());
        }
    }
    let header = |name: &str| resp.headers.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(name));
    let msg = match resp.status {
        Some(_) if success => {
            let cs = cookies.iter().map(|(k, v)| format!("{k}={}", text(v))).collect::<Vec<_>>().join("; ");
            r.insert("cookies_string".into(), cs.into());
            r.insert("cookies".into(), Value::Object(cookies));
            format!("OK ({} bytes)", header("content-length").map_or("unknown", |(_, v)| v.as_str()))
        }
        Some(s) => format!("HTTP Error {s}: {}", resp.reason).trim_end_matches([':', ' ']).to_string(),
        None => format!("Connection failure: {}", curl_error(&resp.error)),
    };
    r.insert("msg".into(), msg.into());
    r.insert("elapsed".into(), (resp.elapsed as i64).into());
    r.insert("changed".into(), Value::Bool(false));
    let is_json = header("content-type").is_some_and(|(_, ct)| is_json_type(ct));
    let content = String::from_utf8_lossy(&resp.body).into_owned();
    if is_json && let Ok(v) = serde_json::from_str::<Value>(&content) {
        r.insert("json".into(), v);
    }
    if return_content {
        r.insert("content".into(), content.into());
    }
    r
}

/// `application/json`, `text/javascript`, `application/problem+json`: Ansible's JSON test.
fn is_json_type(ct: &str) -> bool {
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let sub = mime.split_once('/').map_or("", |(_, s)| s);
    let sub = sub.rsplit_once('+').map_or(sub, |(_, suffix)| suffix);
    matches!(sub, "json" | "javascript")
}

/// curl's error without its `curl: (7) ` prefix.
fn curl_error(e: &str) -> String {
    let line = e.lines().last().unwrap_or("").trim();
    let line = line.strip_prefix("curl: ").unwrap_or(line);
    let line = line.split_once(") ").filter(|(n, _)| n.starts_with('(')).map_or(line, |(_, rest)| rest);
    if line.is_empty() { "no response".into() } else { line.to_string() }
}

/// A Location header resolved against the request URL (pure; Python's `urljoin` for the common cases).
pub fn join_url(base: &str, loc: &str) -> String {
    if loc.contains("://") {
        return loc.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some(l) = loc.strip_prefix("//") {
        return format!("{scheme}://{l}");
    }
    if loc.starts_with('/') {
        return format!("{scheme}://{host}{loc}");
    }
    let path = rest[host.len()..].split(['?', '#']).next().unwrap_or("");
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    format!("{scheme}://{host}{dir}{loc}")
}

#[cfg(test)]
mod tests;
