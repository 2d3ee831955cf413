//! `fetch`: copy a file from the host to the control node, under
//! `dest/<inventory_hostname>/<src>` (or `dest` itself with `flat`), like Ansible's action: the
//! host's file is read with `slurp`'s reader, compared by SHA-1 with the local copy, and written
//! on the controller atomically (through the `local` transport) only when it differs. A relative
//! `dest` is taken from the playbook's directory. It fetches single files, never directories.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::fileedit;
use super::slurp::{self, ReadError};
use super::stat::Algorithm;
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Attrs, Local, Transport};

/// Parameters of `fetch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    /// The file on the host.
    pub src: String,
    /// Directory (or, with `flat`, file) on the control node.
    pub dest: String,
    /// Save to `dest` itself (or `dest/<basename>` when it ends with `/`), without host and path.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub flat: bool,
    /// Fail when the host's file cannot be read.
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub fail_on_missing: bool,
    /// Check the written copy's checksum against the host's.
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub validate_checksum: bool,
}

fn yes() -> bool {
    true
}

/// Python's `os.path.normpath` for absolute and relative paths (`a/./b/../c` → `a/c`).
fn normpath(p: &str) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            Component::ParentDir if matches!(out.last(), Some(Component::RootDir)) => {}
            other => out.push(other),
        }
    }
    if out.is_empty() { PathBuf::from(".") } else { out.iter().collect() }
}

/// `dest` with a leading `~` replaced by the control node's home, as Ansible's `path_dwim` does.
fn home(dest: &str) -> String {
    match (dest == "~" || dest.starts_with("~/"), std::env::var("HOME")) {
        (true, Ok(h)) => format!("{h}{}", &dest[1..]),
        _ => dest.to_string(),
    }
}

/// Where the copy goes on the controller: Ansible's layout rules, with `base` for a relative
/// `dest` and `is_dir` telling which local paths are directories.
pub fn local_path(
    src: &str,
    dest: &str,
    flat: bool,
    host: &str,
    base: &Path,
    is_dir: impl Fn(&Path) -> bool,
) -> Result<PathBuf, String> {
    let anchored =
        |d: &str| if d.starts_with('/') { d.to_string() } else { format!("{}/{d}", base.display()) };
    let path = if flat {
        if !dest.ends_with('/') && is_dir(Path::new(&anchored(dest))) {
            return Err("dest is an existing directory, use a trailing slash if you want to fetch src into that directory".into());
        }
        let file =
            if dest.ends_with('/') { format!("{dest}{}", fileedit::basename(src)) } else { dest.to_string() };
        if dest.ends_with('/') && is_dir(Path::new(&anchored(&file))) {
            return Err(format!(
                "calculated dest '{file}' is an existing directory, use another path that does not point to an existing directory"
            ));
        }
        normpath(&anchored(&file))
    } else {
        let top = normpath(&format!("{}/{host}", anchored(dest)));
        let path = normpath(&format!("{}/{src}", top.display()));
        if !path.starts_with(&top) {
            return Err(format!(
                "Detected directory traversal, expected to be contained in '{}' but got '{}'",
                top.display(),
                path.display()
            ));
        }
        path
    };
    Ok(path)
}

impl Fetch {
    /// Ansible's result when the host's file cannot be fetched: a failure, or with
    /// `fail_on_missing: false` an ok task saying it was ignored.
    fn unreadable(&self, e: ReadError) -> Result<Plan, ModuleError> {
        let msg = match &e {
            ReadError::Missing(_) => "the remote file does not exist, not transferring, ignored".to_string(),
            ReadError::Directory(_) => {
                "remote file is a directory, fetch cannot work on directories".to_string()
            }
            other => other.to_string(),
        };
        if self.fail_on_missing {
            let mut result = Map::new();
            result.insert("file".into(), self.src.clone().into());
            return Err(ModuleError::Failed { msg, result });
        }
        let msg = match e {
            ReadError::Directory(_) => format!("{msg}, not transferring, ignored"),
            _ => msg,
        };
        Ok(Plan::ok(msg.clone()).with("msg", msg).with("file", self.src.clone()))
    }
}

impl Module for Fetch {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let remote = match slurp::read(ctx, &self.src) {
            Ok(bytes) => bytes,
            Err(e) => return self.unreadable(e),
        };
        let var = |name: &str| ctx.vars.get_attr(name).ok().and_then(|v| v.as_str().map(str::to_string));
        let host = var("inventory_hostname").unwrap_or_else(|| "localhost".into());
        let base = var("playbook_dir").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
        let dest = local_path(&self.src, &home(&self.dest), self.flat, &host, &base, |p| p.is_dir())
            .map_err(ModuleError::msg)?;
        let dest_text = dest.display().to_string();
        let local = Local.read_file(&dest_text)?;
        let sha1 = Algorithm::Sha1.digest(&remote);
        if let Some(before) = local.as_ref().filter(|b| Algorithm::Sha1.digest(b) == sha1) {
            return Ok(Plan::ok(format!("{dest_text} already has the host's content"))
                .with("md5sum", Algorithm::Md5.digest(before))
                .with("file", self.src.clone())
                .with("dest", dest_text)
                .with("checksum", sha1));
        }
        let diff = fileedit::content_diff(&dest_text, local.as_deref().unwrap_or_default(), &remote);
        let summary = format!("fetch {} to {dest_text}", self.src);
        let (src, validate) = (self.src.clone(), self.validate_checksum);
        let (md5, dest_shown) = (Algorithm::Md5.digest(&remote), dest_text.clone());
        let action: crate::module::Action =
            Box::new(move |_ctx: &Ctx| write_local(&dest_text, &remote, &src, validate));
        // The fields the copy will have, so check mode registers them too; the action re-reads them.
        Ok(Plan::change(summary, action)
            .with_diff(diff)
            .with("md5sum", md5)
            .with("dest", dest_shown)
            .with("remote_md5sum", Value::Null)
            .with("checksum", sha1.clone())
            .with("remote_checksum", sha1))
    }
}

/// Writes the copy on the controller (parents created) and reports Ansible's result fields.
fn write_local(dest: &str, bytes: &[u8], src: &str, validate: bool) -> Result<Map, ModuleError> {
    fileedit::ensure_parent(&Local, dest)?;
    Local.write_file(dest, bytes, &Attrs::default())?;
    let written = Local.read_file(dest)?.unwrap_or_default();
    let (remote_sum, new_sum) = (Algorithm::Sha1.digest(bytes), Algorithm::Sha1.digest(&written));
    let mut out = Map::new();
    out.insert("md5sum".into(), Algorithm::Md5.digest(&written).into());
    out.insert("dest".into(), dest.into());
    out.insert("remote_md5sum".into(), Value::Null);
    out.insert("checksum".into(), new_sum.clone().into());
    out.insert("remote_checksum".into(), remote_sum.clone().into());
    if validate && new_sum != remote_sum {
        out.insert("file".into(), src.into());
        return Err(ModuleError::Failed { msg: "checksum mismatch".into(), result: out });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(src: &str, dest: &str, flat: bool) -> Result<String, String> {
        let dirs = ["/backup", "/backup/web1/etc", "/play/out"];
        local_path(src, dest, flat, "web1", Path::new("/play"), |p| dirs.iter().any(|d| Path::new(d) == p))
            .map(|p| p.display().to_string())
    }

    #[test]
    fn destination_layout() {
        assert_eq!(path("/etc/profile", "/backup", false).unwrap(), "/backup/web1/etc/profile");
        assert_eq!(path("/etc/profile", "/backup/", false).unwrap(), "/backup/web1/etc/profile");
        assert_eq!(path("etc/x", "out", false).unwrap(), "/play/out/web1/etc/x");
        assert_eq!(path("/etc/profile", "/tmp/p.txt", true).unwrap(), "/tmp/p.txt");
        assert_eq!(path("/etc/profile", "/backup/", true).unwrap(), "/backup/profile");
        assert_eq!(path("/etc/profile", "got/", true).unwrap(), "/play/got/profile");
        assert!(
            path("/etc/profile", "/backup", true).unwrap_err().starts_with("dest is an existing directory")
        );
        assert!(path("/x/etc", "/backup/web1/", true).unwrap_err().starts_with("calculated dest"));
        assert!(
            path("../../../x", "/backup", false).unwrap_err().starts_with("Detected directory traversal")
        );
        assert_eq!(normpath("/a/./b/../c"), PathBuf::from("/a/c"));
    }
}

#[cfg(test)]
mod module_tests {
    use super::*;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn fetch_writes_once_and_reports_missing() {
        let env = Env::new();
        env.write("remote/f.txt", "hello\n");
        let args = json!({"src": env.path("remote/f.txt"), "dest": env.path("got/"), "flat": true});
        let run = env.run::<Fetch>(args.clone()).unwrap();
        assert!(run.changed);
        assert_eq!(env.read("got/f.txt"), "hello\n");
        assert_eq!(run.result["checksum"], "f572d396fae9206628714fb2ce00f72e94f2258f");
        assert_eq!(run.result["remote_checksum"], run.result["checksum"]);
        assert_eq!(run.result["md5sum"], "b1946ac92492d2347c6235b4d2611184");
        let again = env.run::<Fetch>(args).unwrap();
        assert!(!again.changed);
        assert_eq!(again.result["dest"], env.path("got/f.txt"));

        let missing = json!({"src": env.path("nope"), "dest": env.path("got/")});
        let err = env.run::<Fetch>(missing).err().unwrap();
        assert_eq!(err.to_string(), "the remote file does not exist, not transferring, ignored");
        let ignored = json!({"src": env.path("nope"), "dest": env.path("got/"), "fail_on_missing": false});
        let run = env.run::<Fetch>(ignored).unwrap();
        assert!(!run.changed);
        assert_eq!(run.result["file"], env.path("nope"));
    }
}
