//! `get_url`: download a URL on the target (curl or wget) to a temporary file beside `dest`,
//! verify its checksum, then move it into place atomically. Idempotent: with a checksum the
//! download is skipped when `dest` already matches; without one, when `dest` exists (unless
//! `force`). Credentials and headers travel on stdin (see `fetch`). Not here: `backup`,
//! `client_cert`, proxies, `Content-Disposition` file names for a directory `dest`.

pub mod fetch;

use serde::Deserialize;

use self::fetch::{ALGORITHMS, Request, Tool, digest_from_file, failure_msg, parse_checksum};
use super::file_attrs;
use super::fileedit::{basename, join, parent};
use super::mode::{attrs_differ, path_fields};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Attrs, Cmd, FileKind, FileStat, Transport};

crate::file_attrs::file_params! {
    /// Parameters of `get_url`.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct GetUrl {
        /// The URL (http, https or ftp).
        pub url: String,
        /// Absolute path of the file, or a directory (the URL's last path segment is the name).
        pub dest: String,
        ..FileAttrs,
        /// `algorithm:digest` or `algorithm:URL-of-a-checksum-file` (md5, sha1, sha224, sha256, ...).
        #[serde(default)]
        pub checksum: String,
        /// Download even when `dest` exists (without a checksum); replace it when the content differs.
        #[serde(default, alias = "thirsty", deserialize_with = "super::args::de_bool")]
        pub force: bool,
        /// Request headers, as a mapping (or `key:value,key:value`).
        #[serde(default)]
        pub headers: Option<Value>,
        /// Seconds to wait for the server to connect (default 10).
        #[serde(default = "ten", deserialize_with = "super::args::de_int")]
        pub timeout: i64,
        /// Basic-auth user name (never placed on a command line).
        #[serde(alias = "username")]
        pub url_username: Option<String>,
        /// Basic-auth password (never placed on a command line).
        #[serde(alias = "password")]
        pub url_password: Option<String>,
        /// Send basic auth without waiting for a 401 (hearth always does with credentials).
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub force_basic_auth: bool,
        /// Check TLS certificates (default true).
        #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
        pub validate_certs: bool,
        /// The User-Agent header (default `ansible-httpget`).
        #[serde(default = "agent")]
        pub http_agent: String,
        /// Accepted for compatibility; the temporary file is always created beside `dest`.
        pub tmp_dest: Option<String>,
    }
}

fn ten() -> i64 {
    10
}
fn yes() -> bool {
    true
}
fn agent() -> String {
    "ansible-httpget".into()
}

impl GetUrl {
    fn request(&self, url: &str) -> Result<Request, ModuleError> {
        let mut headers = vec![("User-Agent".to_string(), self.http_agent.clone())];
        match &self.headers {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => headers.extend(m.iter().map(|(k, v)| (k.clone(), text(v)))),
            Some(Value::String(s)) => {
                for pair in s.split(',').filter(|p| !p.trim().is_empty()) {
                    let (k, v) = pair.split_once(':').ok_or_else(|| {
                        ModuleError::msg(format!("headers must be key:value pairs, got {pair}"))
                    })?;
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            Some(other) => return Err(ModuleError::msg(format!("headers must be a mapping, got {other}"))),
        }
        let auth = match (&self.url_username, &self.url_password) {
            (Some(u), p) => Some((u.clone(), p.clone().unwrap_or_default())),
            (None, Some(_)) => return Err(ModuleError::msg("url_password needs url_username")),
            (None, None) => None,
        };
        let timeout = self.timeout.max(1) as u64;
        Ok(Request { url: url.to_string(), headers, timeout, auth, validate_certs: self.validate_certs })
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The last path segment of a URL (without query), Ansible's `url_filename` fallback.
pub fn url_filename(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let after_host = path.split_once("://").map_or(path, |(_, r)| r.split_once('/').map_or("", |(_, p)| p));
    let name = after_host.rsplit('/').next().unwrap_or("");
    if name.is_empty() { "index.html".into() } else { name.to_string() }
}

/// The digests `tool` (e.g. `sha256sum`) prints for `paths`, in order (missing files: None).
fn digests(host: &dyn Transport, tool: &str, paths: &[&str]) -> Result<Vec<Option<String>>, ModuleError> {
    let script = r#"t=$1; shift; for f in "$@"; do if [ -f "$f" ]; then "$t" -- "$f" | cut -d' ' -f1; else echo -; fi; done"#;
    let mut argv = vec!["/bin/sh".to_string(), "-c".into(), script.into(), "sh".into(), tool.into()];
    argv.extend(paths.iter().map(|p| p.to_string()));
    let out = host.run(&Cmd::new(argv))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut v: Vec<Option<String>> = text
        .lines()
        .map(|l| l.trim().trim_start_matches('\\'))
        .map(|l| (l != "-").then(|| l.to_string()))
        .collect();
    v.resize(paths.len(), None);
    Ok(v)
}

fn sum_tool(algo: &str) -> &'static str {
    ALGORITHMS.iter().find(|(a, _)| *a == algo).map_or("sha256sum", |(_, t)| t)
}

impl Module for GetUrl {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if self.url.trim().is_empty() || !self.url.contains("://") {
            return Err(ModuleError::msg(format!("url must be an absolute URL, got {:?}", self.url)));
        }
        let tool = fetch::probe_tool(ctx.host)?;
        let mut dest = self.dest.clone();
        if ctx.host.stat(&dest, true)?.is_some_and(|s| s.kind == FileKind::Directory) {
            dest = join(&dest, &url_filename(&self.url));
        }
        let checksum = if self.checksum.trim().is_empty() {
            None
        } else {
            let (algo, value) = parse_checksum(&self.checksum).map_err(ModuleError::msg)?;
            let digest = if value.contains("://") {
                let body = fetch::fetch_text(ctx.host, tool, &self.request(&value)?)?;
                let name = url_filename(&self.url);
                digest_from_file(&String::from_utf8_lossy(&body), &name).ok_or_else(|| {
                    ModuleError::msg(format!("Unable to find a checksum for file '{name}' in '{value}'"))
                })?
            } else {
                value.to_ascii_lowercase()
            };
            Some((algo, digest))
        };
        let cur = ctx.host.stat(&dest, true)?;
        if cur.as_ref().is_some_and(|s| s.kind == FileKind::Directory) {
            return Err(ModuleError::msg(format!("{dest} is a directory")));
        }
        let want = self.file_attrs().resolve(cur.as_ref())?;
        let fresh = match (&cur, &checksum) {
            (Some(_), Some((algo, want_digest))) => {
                digests(ctx.host, sum_tool(algo), &[&dest])?[0].as_deref() == Some(want_digest.as_str())
            }
            (Some(_), None) => !self.force,
            (None, _) => false,
        };
        let base = Plan::ok("").with("dest", dest.clone()).with("url", self.url.clone());
        if let (true, Some(have)) = (fresh, &cur) {
            let reason = if checksum.is_some() { "checksum matches" } else { "file already exists" };
            if !attrs_differ(have, &want) {
                return Ok(
                    with(Plan::ok(format!("{dest}: {reason}")), base).with("msg", "file already exists")
                );
            }
            let path = dest.clone();
            let plan = Plan::change(
                format!("{dest}: {reason}; set attributes"),
                Box::new(move |ctx: &Ctx| {
                    ctx.host.set_attrs(&path, &want)?;
                    stat_fields(ctx, &path)
                }),
            );
            return Ok(with(plan, base));
        }
        let (p, url, d) = (self.clone(), self.url.clone(), dest.clone());
        let summary = format!("download {url} to {dest}");
        let action = Box::new(move |ctx: &Ctx| download(ctx, &p, tool, &d, checksum, cur, want));
        Ok(with(Plan::change(summary, action), base))
    }
}

fn with(mut plan: Plan, base: Plan) -> Plan {
    plan.result.extend(base.result);
    plan
}

fn stat_fields(ctx: &Ctx, path: &str) -> Result<Map, ModuleError> {
    Ok(ctx.host.stat(path, true)?.map(|s| path_fields(&s)).unwrap_or_default())
}

/// The change: fetch to a temp file beside `dest`, verify, keep or replace, move into place.
fn download(
    ctx: &Ctx,
    p: &GetUrl,
    tool: Tool,
    dest: &str,
    checksum: Option<(String, String)>,
    cur: Option<FileStat>,
    want: Attrs,
) -> Result<Map, ModuleError> {
    let host = ctx.host;
    let template = join(parent(dest), &format!(".{}.hearth-XXXXXX", basename(dest)));
    let made = host.run(&Cmd::new(["mktemp", template.as_str()]))?;
    if made.rc != 0 {
        let why = String::from_utf8_lossy(&made.stderr).trim().to_string();
        return Err(ModuleError::msg(format!("Destination {} is not writable: {why}", parent(dest))));
    }
    let tmp = String::from_utf8_lossy(&made.stdout).trim().to_string();
    let remove = |host: &dyn Transport| host.run(&Cmd::new(["rm", "-f", tmp.as_str()]));
    let mut r = Map::new();
    r.insert("dest".into(), dest.into());
    r.insert("url".into(), p.url.clone().into());
    let fetched = fetch::fetch(host, tool, &p.request(&p.url)?, &tmp)?;
    if let Some(s) = fetched.status {
        r.insert("status_code".into(), s.into());
    }
    if fetched.rc != 0 || fetched.status.is_some_and(|s| s >= 400) {
        remove(host)?;
        return Err(ModuleError::Failed { msg: failure_msg(&p.url, &fetched), result: r });
    }
    let sums = digests(host, "sha1sum", &[&tmp, dest])?;
    let (src_sha1, dest_sha1) = (sums[0].clone().unwrap_or_default(), sums[1].clone());
    r.insert("checksum_src".into(), src_sha1.clone().into());
    r.insert("checksum_dest".into(), dest_sha1.clone().map_or(Value::Null, Value::from));
    if let Some((algo, expected)) = &checksum {
        let got = digests(host, sum_tool(algo), &[&tmp])?[0].clone().unwrap_or_default();
        if got != *expected {
            remove(host)?;
            let msg = format!("The checksum for {dest} did not match {expected}; it was {got}.");
            return Err(ModuleError::Failed { msg, result: r });
        }
    }
    if dest_sha1.as_deref() == Some(src_sha1.as_str()) {
        remove(host)?;
        let set = match &cur {
            Some(have) => file_attrs::apply(host, dest, &want, have)?,
            None => false,
        };
        if !set {
            r.insert("changed".into(), Value::Bool(false));
        }
        r.insert("msg".into(), "file already exists".into());
        r.extend(stat_fields(ctx, dest)?);
        return Ok(r);
    }
    // The new file keeps an existing file's mode and ownership unless told otherwise.
    let keep = Attrs {
        mode: want.mode.or(cur.as_ref().map(|c| c.mode)).or(Some(0o644)),
        owner: want.owner.clone().or(cur.as_ref().map(|c| c.uid.to_string())),
        group: want.group.clone().or(cur.as_ref().map(|c| c.gid.to_string())),
    };
    if let Err(e) = host.set_attrs(&tmp, &keep) {
        remove(host)?;
        return Err(e.into());
    }
    let moved = host.run(&Cmd::new(["mv", "-f", tmp.as_str(), dest]))?;
    if moved.rc != 0 {
        remove(host)?;
        let why = String::from_utf8_lossy(&moved.stderr).trim().to_string();
        return Err(ModuleError::Failed {
            msg: format!("cannot move the download to {dest}: {why}"),
            result: r,
        });
    }
    let fields = stat_fields(ctx, dest)?;
    let size = fields.get("size").cloned().unwrap_or(Value::from(0));
    r.insert("msg".into(), format!("OK ({size} bytes)").into());
    r.extend(fields);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_from_urls() {
        assert_eq!(url_filename("http://h/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(url_filename("http://h/"), "index.html");
        assert_eq!(url_filename("http://h"), "index.html");
    }
}
