//! `deb822_repository`: an apt source in deb822 format at
//! `/etc/apt/sources.list.d/<slug>.sources`, written like Ansible's module writes it (fields
//! sorted by parameter name, `X-Repolib-Name`, `yes`/`no`), and its `signed_by` key: a URL is
//! fetched on the target into `/etc/apt/keyrings/<slug>.asc` (armored) or `.gpg`; a path is used
//! as is; an inline key block goes into the file. No python3-debian needed. It never runs
//! `apt-get update` (Ansible's module does not either).

use serde::Deserialize;

use super::apt::de_list;
use super::get_url::fetch::{self, Request};
use super::mode::{attrs, attrs_differ};
use crate::module::{Ctx, Diff, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Attrs, FileKind};

/// Where Ansible puts downloaded signing keys.
pub const KEYRINGS_DIR: &str = "/etc/apt/keyrings";

/// Parameters of `deb822_repository`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deb822Repository {
    /// Repository name: `X-Repolib-Name` and, slugified, the file names.
    pub name: String,
    /// `deb` and/or `deb-src` (default `deb`).
    #[serde(default, deserialize_with = "de_list")]
    pub types: Vec<String>,
    /// Repository URIs.
    #[serde(default, deserialize_with = "de_list")]
    pub uris: Vec<String>,
    /// Suites (codenames), or an exact path ending in `/`.
    #[serde(default, deserialize_with = "de_list")]
    pub suites: Vec<String>,
    /// Components (`main`, `stable`, ...).
    #[serde(default, deserialize_with = "de_list")]
    pub components: Vec<String>,
    /// Architectures to fetch (`amd64`, `arm64`, `armhf`).
    #[serde(default, deserialize_with = "de_list")]
    pub architectures: Vec<String>,
    /// Key: a URL (downloaded on the host), a path on the host, or an inline key block.
    pub signed_by: Option<String>,
    /// `Enabled:` (yes/no).
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub enabled: Option<bool>,
    /// `Trusted:` (yes/no).
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub trusted: Option<bool>,
    /// `Allow-Insecure:`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub allow_insecure: Option<bool>,
    /// `Allow-Weak:`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub allow_weak: Option<bool>,
    /// `Allow-Downgrade-To-Insecure:`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub allow_downgrade_to_insecure: Option<bool>,
    /// `By-Hash:`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub by_hash: Option<bool>,
    /// `Check-Date:`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub check_date: Option<bool>,
    /// `Check-Valid-Until:`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub check_valid_until: Option<bool>,
    /// `Date-Max-Future:` seconds.
    pub date_max_future: Option<i64>,
    /// `Inrelease-Path:`.
    pub inrelease_path: Option<String>,
    /// `Languages:`.
    #[serde(default, deserialize_with = "de_list")]
    pub languages: Vec<String>,
    /// `Pdiffs:`.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub pdiffs: Option<bool>,
    /// `Targets:`.
    #[serde(default, deserialize_with = "de_list")]
    pub targets: Vec<String>,
    /// Mode of the `.sources` file (default 0644).
    pub mode: Option<Value>,
    /// `present` (default) or `absent`.
    #[serde(default = "present")]
    pub state: String,
    /// Accepted and ignored: hearth needs no python3-debian on the host.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub install_python_debian: Option<bool>,
}

fn present() -> String {
    "present".into()
}

/// Ansible's slug: lower case, `_`/spaces to `-`, then only `[a-z0-9-]`.
pub fn slug(name: &str) -> String {
    let dashed: String = name
        .to_lowercase()
        .split(|c: char| c == '_' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    dashed.chars().filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-').collect()
}

/// Ansible's `format_multiline`: a value spanning lines, each indented, empty lines as `.`.
fn multiline(v: &str) -> String {
    let lines: Vec<String> = v
        .trim()
        .lines()
        .map(|l| if l.trim().is_empty() { ".".to_string() } else { l.trim().to_string() })
        .map(|l| format!("    {l}"))
        .collect();
    format!("\n{}", lines.join("\n"))
}

impl Deb822Repository {
    /// The `.sources` text, fields in the order Ansible writes them (sorted parameter names).
    pub fn render(&self, signed_by: Option<&str>) -> String {
        let yn = |b: &Option<bool>| b.map(|b| if b { "yes" } else { "no" }.to_string());
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.join(" "));
        let types = if self.types.is_empty() { Some("deb".to_string()) } else { list(&self.types) };
        let fields: [(&str, Option<String>); 20] = [
            ("Allow-Downgrade-To-Insecure", yn(&self.allow_downgrade_to_insecure)),
            ("Allow-Insecure", yn(&self.allow_insecure)),
            ("Allow-Weak", yn(&self.allow_weak)),
            ("Architectures", list(&self.architectures)),
            ("By-Hash", yn(&self.by_hash)),
            ("Check-Date", yn(&self.check_date)),
            ("Check-Valid-Until", yn(&self.check_valid_until)),
            ("Components", list(&self.components)),
            ("Date-Max-Future", self.date_max_future.map(|d| d.to_string())),
            ("Enabled", yn(&self.enabled)),
            ("Inrelease-Path", self.inrelease_path.clone()),
            ("Languages", list(&self.languages)),
            ("X-Repolib-Name", Some(self.name.clone())),
            ("Pdiffs", yn(&self.pdiffs)),
            ("Signed-By", signed_by.map(str::to_string)),
            ("Suites", list(&self.suites)),
            ("Targets", list(&self.targets)),
            ("Trusted", yn(&self.trusted)),
            ("Types", types),
            ("URIs", list(&self.uris)),
        ];
        let mut out = String::new();
        for (k, v) in fields {
            let Some(v) = v else { continue };
            let v = if v.contains('\n') { multiline(&v) } else { format!(" {v}") };
            out.push_str(&format!("{k}:{v}\n"));
        }
        out
    }
}

/// One file the plan writes or removes.
struct FileChange {
    path: String,
    content: Option<Vec<u8>>,
    attrs: Attrs,
}

impl Module for Deb822Repository {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let slug = slug(&self.name);
        if slug.is_empty() {
            return Err(ModuleError::msg(format!("name {:?} gives an empty file name", self.name)));
        }
        let dest = format!("/etc/apt/sources.list.d/{slug}.sources");
        let key_path = |ext: &str| format!("{KEYRINGS_DIR}/{slug}.{ext}");
        let mut changes: Vec<FileChange> = Vec::new();
        let mut diffs = Vec::new();
        match self.state.as_str() {
            "absent" => {
                let mut key_filename = Value::Null;
                for path in [dest.clone(), key_path("asc"), key_path("gpg")] {
                    if ctx.host.stat(&path, false)?.is_some() {
                        if path != dest {
                            key_filename = path.clone().into();
                        }
                        changes.push(FileChange { path, content: None, attrs: Attrs::default() });
                    }
                }
                let base = Plan::ok("").with("dest", dest.clone()).with("key_filename", key_filename);
                let plan = finish(changes, diffs, format!("{dest} is absent"))?;
                return Ok(merge(plan.with("repo", Value::Null), base));
            }
            "present" => {}
            s => {
                return Err(ModuleError::msg(format!(
                    "value of state must be one of: absent, present, got: {s}"
                )));
            }
        }
        for t in &self.types {
            if t != "deb" && t != "deb-src" {
                return Err(ModuleError::msg(format!(
                    "value of types must be one or more of: deb, deb-src, got: {t}"
                )));
            }
        }
        let (mut signed, mut key_filename) = (None, Value::Null);
        if let Some(v) = &self.signed_by {
            if v.contains("://") {
                let tool = fetch::probe_tool(ctx.host)?;
                let req = Request { url: v.clone(), timeout: 10, validate_certs: true, ..Request::default() };
                let body = fetch::fetch_text(ctx.host, tool, &req)
                    .map_err(|e| ModuleError::msg(format!("Could not fetch signed_by key: {e}")))?;
                let armored = String::from_utf8_lossy(&body).contains("-----BEGIN PGP PUBLIC KEY BLOCK-----");
                let path = key_path(if armored { "asc" } else { "gpg" });
                if ctx.host.stat(KEYRINGS_DIR, true)?.is_none_or(|s| s.kind != FileKind::Directory) {
                    let a =
                        Attrs { mode: Some(0o755), owner: Some("root".into()), group: Some("root".into()) };
                    changes.push(FileChange { path: KEYRINGS_DIR.into(), content: None, attrs: a });
                }
                file_change(ctx, &path, body, &Value::from("0644"), &mut changes, &mut diffs, false)?;
                signed = Some(path.clone());
                key_filename = path.into();
            } else if v.trim_start().starts_with('/')
                && !v.contains('\n')
                && ctx.host.stat(v.trim(), true)?.is_some_and(|s| s.kind == FileKind::File)
            {
                signed = Some(v.trim().to_string());
                key_filename = v.trim().into();
            } else {
                signed = Some(v.clone());
            }
        }
        let repo = self.render(signed.as_deref());
        let mode = self.mode.clone().unwrap_or(Value::from("0644"));
        file_change(ctx, &dest, repo.clone().into_bytes(), &mode, &mut changes, &mut diffs, true)?;
        let plan = finish(changes, diffs, format!("{dest} already as desired"))?;
        Ok(plan.with("repo", repo).with("dest", dest).with("key_filename", key_filename))
    }
}

fn merge(mut plan: Plan, base: Plan) -> Plan {
    plan.result.extend(base.result);
    plan
}

/// Adds a write when content or mode differ (with a diff for text files).
fn file_change(
    ctx: &Ctx,
    path: &str,
    content: Vec<u8>,
    mode: &Value,
    changes: &mut Vec<FileChange>,
    diffs: &mut Vec<Diff>,
    text: bool,
) -> Result<(), ModuleError> {
    let cur = ctx.host.stat(path, true)?;
    let want = attrs(Some(mode), None, None, cur.as_ref()).map_err(ModuleError::msg)?;
    let before = match &cur {
        Some(_) => ctx.host.read_file(path)?,
        None => None,
    };
    let same = before.as_deref() == Some(&content[..]);
    if same && cur.as_ref().is_some_and(|c| !attrs_differ(c, &want)) {
        return Ok(());
    }
    if text && !same {
        diffs.push(Diff {
            before_header: if before.is_some() { path.to_string() } else { String::new() },
            after_header: path.to_string(),
            before: before.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default(),
            after: String::from_utf8_lossy(&content).into_owned(),
        });
    }
    changes.push(FileChange { path: path.to_string(), content: Some(content), attrs: want });
    Ok(())
}

/// Ok when nothing changes; otherwise one action doing every change in order.
fn finish(changes: Vec<FileChange>, diffs: Vec<Diff>, ok: String) -> Result<Plan, ModuleError> {
    if changes.is_empty() {
        return Ok(Plan::ok(ok));
    }
    let summary = changes
        .iter()
        .map(|c| match (&c.content, c.attrs.is_empty()) {
            (Some(_), _) => format!("write {}", c.path),
            (None, true) => format!("remove {}", c.path),
            (None, false) => format!("create {}", c.path),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut plan = Plan::change(
        summary,
        Box::new(move |ctx: &Ctx| {
            for c in &changes {
                match (&c.content, c.attrs.is_empty()) {
                    (Some(b), _) => ctx.host.write_file(&c.path, b, &c.attrs)?,
                    (None, true) => ctx.host.remove(&c.path)?,
                    (None, false) => ctx.host.make_dir(&c.path, &c.attrs)?,
                }
            }
            Ok(Map::new())
        }),
    );
    plan.diffs = diffs;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(extra: serde_json::Value) -> Deb822Repository {
        let mut v = serde_json::json!({"name": "Docker CE", "uris": "https://download.docker.com/linux/debian",
            "suites": ["bookworm"], "components": "stable"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn renders_like_ansible() {
        let r = repo(serde_json::json!({"architectures": "amd64", "enabled": true}));
        assert_eq!(slug(&r.name), "docker-ce");
        assert_eq!(
            r.render(Some("/etc/apt/keyrings/docker-ce.asc")),
            "Architectures: amd64\nComponents: stable\nEnabled: yes\nX-Repolib-Name: Docker CE\n\
             Signed-By: /etc/apt/keyrings/docker-ce.asc\nSuites: bookworm\nTypes: deb\n\
             URIs: https://download.docker.com/linux/debian\n"
        );
        let inline = repo(serde_json::json!({})).render(Some("-----BEGIN PGP-----\n\nabc\n-----END-----\n"));
        assert!(
            inline.contains("Signed-By:\n    -----BEGIN PGP-----\n    .\n    abc\n    -----END-----\n"),
            "{inline}"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("My_Repo  v2!"), "my-repo-v2");
        assert_eq!(slug("docker"), "docker");
    }
}
