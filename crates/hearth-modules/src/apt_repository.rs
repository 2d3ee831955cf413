//! `apt_repository`: one-line `deb`/`deb-src` sources (options such as `[signed-by=...]` kept as
//! written) in `/etc/apt/sources.list.d/<filename>.list`. A line already enabled in any
//! sources file counts as present; `absent` removes it wherever it is (and a file it leaves
//! empty). After a change the cache is updated (`update_cache`, default true, like Ansible).
//! Not here: `ppa:` repositories (Ubuntu Launchpad) and re-enabling commented-out lines.

use serde::Deserialize;

use super::apt::host::AptRunner;
use super::fileedit::join;
use super::mode::attrs;
use crate::module::{Ctx, Diff, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Transport;

const LIST_DIR: &str = "/etc/apt/sources.list.d";
const MAIN_LIST: &str = "/etc/apt/sources.list";

/// Parameters of `apt_repository`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AptRepository {
    /// The source line, e.g. `deb [signed-by=/etc/apt/keyrings/x.asc] https://example.org/debian bookworm main`.
    pub repo: String,
    /// `present` (default) or `absent`.
    #[serde(default = "present")]
    pub state: String,
    /// File name in sources.list.d without `.list` (default: derived from the URL, like Ansible).
    pub filename: Option<String>,
    /// Run `apt-get update` after a change (default true).
    #[serde(default = "yes", alias = "update-cache", deserialize_with = "super::args::de_bool")]
    pub update_cache: bool,
    /// Retries of the cache update (accepted; hearth waits for locks instead).
    pub update_cache_retries: Option<i64>,
    /// Longest delay between cache update retries (accepted; see `update_cache_retries`).
    pub update_cache_retry_max_delay: Option<i64>,
    /// Mode of a new sources file (default 0644).
    pub mode: Option<Value>,
    /// Only used for `ppa:` repositories, which hearth does not support; accepted.
    pub codename: Option<String>,
    /// Accepted for compatibility (nothing is fetched).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub validate_certs: bool,
    /// Accepted and ignored: hearth needs no python3-apt on the host.
    #[serde(default, deserialize_with = "super::args::de_opt_bool")]
    pub install_python_apt: Option<bool>,
}

fn present() -> String {
    "present".into()
}
fn yes() -> bool {
    true
}

/// A source line with whitespace collapsed, for comparing.
fn normalize(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a line is an enabled `deb`/`deb-src` source.
fn is_source(line: &str) -> bool {
    matches!(line.split_whitespace().next(), Some("deb" | "deb-src"))
}

/// Ansible's `_suggest_filename`: options and schemes dropped, the first word (host/path) with
/// every non-alphanumeric run turned into `_`, plus `.list`.
pub fn suggest_filename(repo: &str) -> String {
    let no_opts =
        regex::Regex::new(r"\[[^\]]+\]").map_or(repo.to_string(), |r| r.replace_all(repo, "").into_owned());
    let no_scheme =
        regex::Regex::new(r"\w+://").map_or(no_opts.clone(), |r| r.replace_all(&no_opts, "").into_owned());
    let first = no_scheme.split_whitespace().find(|p| *p != "deb" && *p != "deb-src").unwrap_or("");
    let first = first.rsplit_once('@').map_or(first, |(_, host)| host);
    let words: Vec<&str> =
        first.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    format!("{}.list", words.join("_"))
}

/// The file's text without lines equal to `line` (None when nothing matched).
fn without(text: &str, line: &str) -> Option<String> {
    let kept: Vec<&str> = text.lines().filter(|l| !(is_source(l) && normalize(l) == line)).collect();
    (kept.len() != text.lines().count()).then(|| kept.iter().map(|l| format!("{l}\n")).collect())
}

/// The host's one-line-style source lists (`sources.list` and `sources.list.d/*.list`) with
/// their text, in apt's order.
fn source_lists(host: &dyn Transport) -> Result<Vec<(String, String)>, ModuleError> {
    let mut files: Vec<String> = vec![MAIN_LIST.into()];
    let mut names = host.list_dir(LIST_DIR).unwrap_or_default();
    names.sort();
    files.extend(names.iter().filter(|n| n.ends_with(".list")).map(|n| join(LIST_DIR, n)));
    let mut texts = Vec::new();
    for f in files {
        if let Some(b) = host.read_file(&f)? {
            texts.push((f, String::from_utf8_lossy(&b).into_owned()));
        }
    }
    Ok(texts)
}

impl Module for AptRepository {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let line = normalize(&self.repo);
        if line.starts_with("ppa:") {
            return Err(ModuleError::msg("ppa: repositories are not supported by hearth; give the deb line"));
        }
        if !is_source(&line) {
            return Err(ModuleError::msg(format!("Invalid repository string: {}", self.repo)));
        }
        let texts = source_lists(ctx.host)?;
        let base = |p: Plan| p.with("repo", self.repo.clone()).with("state", self.state.clone());
        let mut writes: Vec<(String, Option<String>)> = Vec::new();
        let mut diffs = Vec::new();
        match self.state.as_str() {
            "present" => {
                if texts.iter().any(|(_, t)| t.lines().any(|l| is_source(l) && normalize(l) == line)) {
                    return Ok(base(Plan::ok(format!("{line} already present"))));
                }
                let name = match &self.filename {
                    Some(f) => format!("{}.list", f.trim_end_matches(".list")),
                    None => suggest_filename(&line),
                };
                let path = join(LIST_DIR, &name);
                let old = texts.iter().find(|(f, _)| *f == path).map(|(_, t)| t.clone());
                let mut new = old.clone().unwrap_or_default();
                if !new.is_empty() && !new.ends_with('\n') {
                    new.push('\n');
                }
                new.push_str(&format!("{line}\n"));
                diffs.push(diff(&path, old.as_deref(), &new));
                writes.push((path, Some(new)));
            }
            "absent" => {
                for (f, t) in &texts {
                    if let Some(rest) = without(t, &line) {
                        let empty = rest.trim().is_empty() && f != MAIN_LIST;
                        diffs.push(diff(f, Some(t), if empty { "" } else { &rest }));
                        writes.push((f.clone(), (!empty).then_some(rest)));
                    }
                }
                if writes.is_empty() {
                    return Ok(base(Plan::ok(format!("{line} already absent"))));
                }
            }
            s => {
                return Err(ModuleError::msg(format!(
                    "value of state must be one of: absent, present, got: {s}"
                )));
            }
        }
        let want = attrs(Some(&self.mode.clone().unwrap_or(Value::from("0644"))), None, None, None)
            .map_err(ModuleError::msg)?;
        let (added, removed) =
            if self.state == "present" { (vec![line.clone()], vec![]) } else { (vec![], vec![line.clone()]) };
        let summary = writes.iter().map(|(f, _)| format!("edit {f}")).collect::<Vec<_>>().join(", ");
        let update = self.update_cache;
        let mut plan = Plan::change(
            summary,
            Box::new(move |ctx: &Ctx| {
                for (f, content) in &writes {
                    match content {
                        Some(c) => ctx.host.write_file(f, c.as_bytes(), &want)?,
                        None => ctx.host.remove(f)?,
                    }
                }
                if update {
                    AptRunner { host: ctx.host, lock_timeout: 60 }.update_cache()?;
                }
                Ok(Map::new())
            }),
        );
        plan.diffs = diffs;
        Ok(base(plan).with("sources_added", added).with("sources_removed", removed))
    }
}

fn diff(path: &str, before: Option<&str>, after: &str) -> Diff {
    Diff {
        before_header: path.to_string(),
        after_header: path.to_string(),
        before: before.unwrap_or("").to_string(),
        after: after.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_like_ansible() {
        assert_eq!(
            suggest_filename(
                "deb [arch=amd64 signed-by=/k.asc] https://download.docker.com/linux/debian bookworm stable"
            ),
            "download_docker_com_linux_debian.list"
        );
        assert_eq!(
            suggest_filename("deb http://user:pw@10.77.0.1:8080 bookworm stable"),
            "10_77_0_1_8080.list"
        );
    }

    #[test]
    fn removing_lines() {
        let t = "# comment\ndeb  http://a  x main\ndeb http://b y main\n";
        assert_eq!(without(t, "deb http://a x main").as_deref(), Some("# comment\ndeb http://b y main\n"));
        assert_eq!(without(t, "deb http://c z main"), None);
    }
}
