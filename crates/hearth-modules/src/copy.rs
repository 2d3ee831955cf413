//! `copy`: put a file (from `content`, a control-node `src`, or with `remote_src` a file on the
//! host) at `dest`, or copy a directory tree with rsync-like trailing-slash semantics, like
//! Ansible's `copy` action plus module. Idempotent by content and attributes. A vaulted
//! control-node `src` is decrypted unless `decrypt: false`. `unsafe_writes` is accepted and
//! ignored: hearth always writes atomically. `~` in `dest` is not expanded.

use serde::Deserialize;
use sha1::Digest;

use super::file::ensure_directory;
use super::file_attrs::FileAttrs;
use super::file_link::ensure_link;
use super::file_plan::{Stamps, merge};
use super::fileedit::{basename, join, realpath};
use super::mode::parse_mode_at;
use super::put::{self, Placement};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Value;
use hearth_transport::{Attrs, FileKind, Local, Transport};

crate::file_attrs::file_params! {
    /// Parameters of `copy`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Copy {
        /// File or directory to copy: on the control node (relative paths searched in `files/`),
        /// or on the host with `remote_src`. A trailing `/` on a directory copies its contents.
        pub src: Option<String>,
        /// Literal content to write instead of `src` (a mapping or list is written as JSON).
        pub content: Option<Value>,
        /// Where to write; an existing directory or a path ending in `/` receives the file inside.
        pub dest: String,
        ..FileAttrs,
        /// Keep a timestamped copy of a file that is replaced.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub backup: bool,
        /// Replace a file whose content differs; with `false` only missing files are written.
        #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
        pub force: bool,
        /// Mode of directories created by a recursive copy.
        pub directory_mode: Option<Value>,
        /// `src` is a path on the host rather than on the control node.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub remote_src: bool,
        /// Command with `%s` that must accept the new file before it replaces `dest`.
        pub validate: Option<String>,
        /// Decrypt a vaulted control-node `src` (default yes; `false` copies it as it is).
        #[serde(default, deserialize_with = "super::args::de_opt_bool")]
        pub decrypt: Option<bool>,
        /// Write through a symbolic link at `dest` instead of replacing it.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub follow: bool,
        /// Follow symbolic links in the source tree (default yes; no with `remote_src`).
        #[serde(default, deserialize_with = "super::args::de_opt_bool")]
        pub local_follow: Option<bool>,
        ..UnsafeWrites,
        /// Expected SHA1 of the source; a mismatch fails the task.
        pub checksum: Option<String>,
    }
}

fn yes() -> bool {
    true
}

impl Module for Copy {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if let Some(content) = &self.content {
            if self.src.is_some() {
                return Err(ModuleError::msg("src and content are mutually exclusive"));
            }
            if self.dest.ends_with('/') {
                return Err(ModuleError::msg("can not use content with a dir as dest"));
            }
            let (dest, parents) = resolve_dest(ctx, &self.dest, None, self.follow)?;
            let mode = self.mode.clone().filter(|m| m != "preserve");
            return put::plan_put(ctx, self.placement(dest, None, content_bytes(content), mode, parents)?);
        }
        let src = self.src.as_deref().ok_or_else(|| ModuleError::msg("src (or content) is required"))?;
        let (host, path): (&dyn Transport, String) =
            if self.remote_src { (ctx.host, src.to_string()) } else { (&Local, find_src(ctx, src)?) };
        let follow_src = self.local_follow.unwrap_or(!self.remote_src);
        let st =
            host.stat(&path, true)?.ok_or_else(|| ModuleError::msg(format!("Source {src} not found")))?;
        if st.kind == FileKind::Directory {
            return self.plan_tree(ctx, host, &path, follow_src);
        }
        let bytes =
            host.read_file(&path)?.ok_or_else(|| ModuleError::msg(format!("Source {src} not found")))?;
        let bytes = self.source_bytes(bytes, &path)?;
        self.check_checksum(&bytes)?;
        let (dest, parents) = resolve_dest(ctx, &self.dest, Some(basename(&path)), self.follow)?;
        let mode = self.mode_for(st.mode);
        Ok(put::plan_put(ctx, self.placement(dest, Some(&path), bytes, mode, parents)?)?.with("src", path))
    }
}

impl Copy {
    /// The placement of one file with this task's options; `source` is the file the content
    /// comes from (None: inline `content`), named in the diff like Ansible does.
    fn placement(
        &self,
        dest: String,
        source: Option<&str>,
        content: Vec<u8>,
        mode: Option<Value>,
        make_parents: bool,
    ) -> Result<Placement, ModuleError> {
        Ok(Placement {
            after_header: source.map_or_else(|| dest.clone(), str::to_string),
            dest,
            content,
            mode,
            owner: self.owner.clone(),
            group: self.group.clone(),
            backup: self.backup,
            force: self.force,
            follow: self.follow,
            validate: self.validate.clone(),
            make_parents: if make_parents { Some(self.dir_attrs()?) } else { None },
        })
    }

    /// The `mode` to enforce for a source file with `src_mode` (`preserve` copies it).
    fn mode_for(&self, src_mode: u32) -> Option<Value> {
        match &self.mode {
            Some(Value::String(s)) if s == "preserve" => Some(format!("0{:03o}", src_mode).into()),
            other => other.clone(),
        }
    }

    /// Attributes for directories created on the way (`directory_mode`, owner, group).
    fn dir_attrs(&self) -> Result<Attrs, ModuleError> {
        let mode = self.directory_mode.as_ref().map(|m| parse_mode_at(m, Some(0o755), true));
        Ok(Attrs {
            mode: mode.transpose().map_err(ModuleError::msg)?,
            owner: self.owner.clone(),
            group: self.group.clone(),
        })
    }

    /// A vaulted control-node source, decrypted (and its text masked in output) unless
    /// `decrypt: false`; other sources unchanged.
    fn source_bytes(&self, bytes: Vec<u8>, path: &str) -> Result<Vec<u8>, ModuleError> {
        if self.remote_src || !self.decrypt.unwrap_or(true) {
            return Ok(bytes);
        }
        hearth_formats::vault::decrypt_source(bytes, std::path::Path::new(path))
            .map_err(|e| ModuleError::msg(e.to_string()))
    }

    fn check_checksum(&self, bytes: &[u8]) -> Result<(), ModuleError> {
        match &self.checksum {
            Some(want) if *want != put::hex(&sha1::Sha1::digest(bytes)) => {
                Err(ModuleError::msg("Copied file does not match the expected checksum. Transfer failed."))
            }
            _ => Ok(()),
        }
    }

    /// A recursive copy: directories, then files, then links, merged into one plan.
    fn plan_tree(
        &self,
        ctx: &Ctx,
        host: &dyn Transport,
        src: &str,
        follow: bool,
    ) -> Result<Plan, ModuleError> {
        let dest_dir = if self.dest.ends_with('/') { self.dest.clone() } else { format!("{}/", self.dest) };
        let root = if src.ends_with('/') { dest_dir.clone() } else { join(&dest_dir, basename(src)) };
        let mut tree = Tree::default();
        if !src.ends_with('/') {
            tree.dirs.push(String::new());
        }
        let mut seen = if follow { vec![realpath(host, src)?] } else { Vec::new() };
        walk_tree(host, src.trim_end_matches('/'), "", follow, &mut seen, &mut tree)?;
        let at = |rel: &str| {
            if rel.is_empty() { root.trim_end_matches('/').to_string() } else { join(&root, rel) }
        };
        let (owner, group) = (self.owner.as_deref(), self.group.as_deref());
        let dir_spec = FileAttrs { mode: self.directory_mode.as_ref(), owner, group };
        let mut plans = Vec::new();
        for rel in &tree.dirs {
            let path = at(rel);
            let prev = ctx.host.stat(&path, false)?;
            plans.push(ensure_directory(&path, prev.as_ref(), dir_spec, Stamps::default())?);
        }
        for (src_file, rel, mode) in &tree.files {
            let bytes =
                host.read_file(src_file)?.ok_or_else(|| ModuleError::msg(format!("{src_file} vanished")))?;
            let bytes = self.source_bytes(bytes, src_file)?;
            let placement = self.placement(at(rel), Some(src_file), bytes, self.mode_for(*mode), true)?;
            plans.push(put::plan_put(ctx, Placement { follow: false, ..placement })?);
        }
        for (target, rel) in &tree.links {
            let spec = FileAttrs { mode: None, owner, group };
            plans.push(ensure_link(ctx, &at(rel), Some(target), true, false, spec)?);
        }
        let plan = merge(plans, format!("{dest_dir} already matches {src}"));
        let mut plan = Plan { result: Default::default(), ..plan };
        plan = plan.with("dest", dest_dir).with("src", src);
        Ok(plan)
    }
}

/// Finds a control-node `src` in the search path (`files/` first), keeping a trailing slash.
fn find_src(ctx: &Ctx, src: &str) -> Result<String, ModuleError> {
    let found = ctx.search.find("files", src.trim_end_matches('/')).ok_or_else(|| {
        let dirs: Vec<String> = ctx.search.dirs.iter().map(|d| d.display().to_string()).collect();
        ModuleError::msg(format!(
            "Could not find or access '{src}' (searched files/ in: {})",
            dirs.join(", ")
        ))
    })?;
    let mut path = found.to_string_lossy().into_owned();
    if src.ends_with('/') && !path.ends_with('/') {
        path.push('/');
    }
    Ok(path)
}

/// Where a single file goes: inside `dest` when it ends with `/` (parents created) or is a
/// directory, else `dest` itself. `name` is the source's file name (`None` for `content`).
fn resolve_dest(
    ctx: &Ctx,
    dest: &str,
    name: Option<&str>,
    follow: bool,
) -> Result<(String, bool), ModuleError> {
    if let (true, Some(name)) = (dest.ends_with('/'), name) {
        return Ok((join(dest, name), true));
    }
    let is_dir = ctx.host.stat(dest, follow)?.is_some_and(|s| s.kind == FileKind::Directory);
    match (is_dir, name) {
        (false, _) => Ok((dest.to_string(), false)),
        (true, Some(name)) => Ok((join(dest, name), false)),
        (true, None) => Err(ModuleError::msg("can not use content with a dir as dest")),
    }
}

/// The bytes `content` stands for: strings as they are, data as Python's `json.dumps`.
pub fn content_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.clone().into_bytes(),
        Value::Bool(b) => (if *b { "True" } else { "False" }).into(),
        Value::Array(_) | Value::Object(_) => py_json(v).into_bytes(),
        other => other.to_string().into_bytes(),
    }
}

/// JSON the way Python's `json.dumps` writes it (`", "`/`": "` separators, ASCII only).
pub fn py_json(v: &Value) -> String {
    match v {
        Value::Array(a) => format!("[{}]", a.iter().map(py_json).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => {
            let items: Vec<String> =
                m.iter().map(|(k, v)| format!("{}: {}", py_str(k), py_json(v))).collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::String(s) => py_str(s),
        other => other.to_string(),
    }
}

fn py_str(s: &str) -> String {
    let json = Value::String(s.to_string()).to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// A source tree: relative directories, files (source path, relative path, mode) and links
/// (target, relative path).
#[derive(Debug, Default)]
struct Tree {
    dirs: Vec<String>,
    files: Vec<(String, String, u32)>,
    links: Vec<(String, String)>,
}

/// Walks a source directory; with `follow`, links to files and directories are copied as what
/// they point to, except links back into a directory being copied (kept as links). `seen` holds
/// the real paths of the directories being walked, innermost last.
fn walk_tree(
    host: &dyn Transport,
    dir: &str,
    rel: &str,
    follow: bool,
    seen: &mut Vec<String>,
    tree: &mut Tree,
) -> Result<(), ModuleError> {
    for name in host.list_dir(dir)? {
        let path = join(dir, &name);
        let r = if rel.is_empty() { name.clone() } else { join(rel, &name) };
        let Some(mut st) = host.stat(&path, false)? else { continue };
        let mut real = seen.last().map(|top| join(top, &name));
        if st.kind == FileKind::Link && follow {
            match host.stat(&path, true)? {
                Some(t) if t.kind == FileKind::Directory => {
                    let target = realpath(host, &path)?;
                    if !seen.contains(&target) {
                        (st, real) = (t, Some(target));
                    }
                }
                Some(t) => st = t,
                None => {}
            }
        }
        match st.kind {
            FileKind::File => tree.files.push((path, r, st.mode)),
            FileKind::Link => tree.links.push((st.link_target.unwrap_or_default(), r)),
            FileKind::Directory => {
                tree.dirs.push(r.clone());
                let pushed = follow.then(|| seen.push(real.unwrap_or_default())).is_some();
                walk_tree(host, &path, &r, follow, seen, tree)?;
                if pushed {
                    seen.pop();
                }
            }
            FileKind::Other => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn python_json_for_data_content() {
        assert_eq!(
            py_json(&json!({"a": [1, true, null], "b": "é"})),
            r#"{"a": [1, true, null], "b": "\u00e9"}"#
        );
        assert_eq!(content_bytes(&json!(true)), b"True");
        assert_eq!(content_bytes(&json!(12)), b"12");
    }

    #[test]
    fn content_creates_then_is_idempotent() {
        let env = Env::new();
        let dest = env.path("a.conf");
        let args = json!({"content": "hello\n", "dest": dest, "mode": "0640"});
        let run = env.run::<Copy>(args.clone()).unwrap();
        assert!(run.changed);
        assert_eq!(env.read("a.conf"), "hello\n");
        assert_eq!(env.mode("a.conf"), 0o640);
        assert_eq!(run.result["checksum"], "f572d396fae9206628714fb2ce00f72e94f2258f");
        assert_eq!(run.result["mode"], "0640");
        assert_eq!(run.diffs[0].after, "hello\n");
        assert!(!env.run::<Copy>(args).unwrap().changed);
    }

    #[test]
    fn mode_change_only() {
        let env = Env::new();
        env.write("a", "x\n");
        let run =
            env.run::<Copy>(json!({"content": "x\n", "dest": env.path("a"), "mode": "u=rw,go="})).unwrap();
        assert!(run.changed);
        assert_eq!(env.mode("a"), 0o600);
        let d = &run.diffs[0];
        assert_eq!((d.before_header.as_str(), d.after_header.as_str()), ("", ""));
        let path = env.path("a");
        assert_eq!(d.after, format!("{{\n    \"mode\": \"0600\",\n    \"path\": \"{path}\"\n}}\n"));
    }

    #[test]
    fn backup_keeps_the_old_file() {
        let env = Env::new();
        env.write("a", "old\n");
        let run =
            env.run::<Copy>(json!({"content": "new\n", "dest": env.path("a"), "backup": "yes"})).unwrap();
        let backup = run.result["backup_file"].as_str().unwrap().to_string();
        assert!(backup.starts_with(&format!("{}.", env.path("a"))));
        assert_eq!(std::fs::read_to_string(backup).unwrap(), "old\n");
        assert_eq!(env.read("a"), "new\n");
        assert_eq!(run.diffs[0].before, "old\n");
    }

    #[test]
    fn force_false_keeps_existing_content() {
        let env = Env::new();
        env.write("a", "old\n");
        let run =
            env.run::<Copy>(json!({"content": "new\n", "dest": env.path("a"), "force": false})).unwrap();
        assert!(!run.changed);
        assert_eq!(env.read("a"), "old\n");
    }

    #[test]
    fn src_into_directory_and_trailing_slash() {
        let env = Env::new();
        env.write("files/app.conf", "conf\n");
        std::fs::create_dir(env.path("etc")).unwrap();
        let run = env.run::<Copy>(json!({"src": "app.conf", "dest": env.path("etc")})).unwrap();
        assert!(run.changed);
        assert_eq!(env.read("etc/app.conf"), "conf\n");
        let run = env.run::<Copy>(json!({"src": "app.conf", "dest": env.path("new/dir/")})).unwrap();
        assert!(run.changed);
        assert_eq!(env.read("new/dir/app.conf"), "conf\n");
    }

    #[test]
    fn missing_parent_is_an_error() {
        let env = Env::new();
        let err = env.run::<Copy>(json!({"content": "x", "dest": env.path("nope/a")})).err().unwrap();
        assert!(err.to_string().starts_with("Destination directory "), "{err}");
        let err = env.run::<Copy>(json!({"content": "x", "dest": env.path("d/")})).err().unwrap();
        assert_eq!(err.to_string(), "can not use content with a dir as dest");
    }

    #[test]
    fn directory_copy_with_and_without_trailing_slash() {
        let env = Env::new();
        env.write("files/tree/a", "a\n");
        env.write("files/tree/sub/b", "b\n");
        std::os::unix::fs::symlink("a", env.path("files/tree/link")).unwrap();
        let args = json!({"src": "tree", "dest": env.path("out"), "directory_mode": "0750"});
        assert!(env.run::<Copy>(args.clone()).unwrap().changed);
        assert_eq!(env.read("out/tree/sub/b"), "b\n");
        assert_eq!(env.read("out/tree/link"), "a\n", "local_follow copies the link's file");
        assert_eq!(env.mode("out/tree/sub"), 0o750);
        assert!(!env.run::<Copy>(args).unwrap().changed);
        let args = json!({"src": "tree/", "dest": env.path("flat"), "local_follow": false});
        assert!(env.run::<Copy>(args.clone()).unwrap().changed);
        assert_eq!(env.read("flat/a"), "a\n");
        assert_eq!(std::fs::read_link(env.path("flat/link")).unwrap().to_str(), Some("a"));
        assert!(!env.run::<Copy>(args).unwrap().changed);
    }

    #[test]
    fn validate_rejects_bad_content() {
        let env = Env::new();
        env.write("a", "good\n");
        let args = json!({"content": "bad\n", "dest": env.path("a"), "validate": "grep -q good %s"});
        let err = env.run::<Copy>(args).err().unwrap();
        assert_eq!(err.to_string(), "failed to validate");
        assert_eq!(env.read("a"), "good\n");
        let args = json!({"content": "good too\n", "dest": env.path("a"), "validate": "grep -q good %s"});
        assert!(env.run::<Copy>(args).unwrap().changed);
    }

    #[test]
    fn remote_src_and_preserve() {
        let env = Env::new();
        env.write("src.sh", "#!/bin/sh\n");
        std::fs::set_permissions(env.path("src.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o751))
            .unwrap();
        let args = json!({"src": env.path("src.sh"), "remote_src": true, "dest": env.path("dst.sh"), "mode": "preserve"});
        assert!(env.run::<Copy>(args.clone()).unwrap().changed);
        assert_eq!(env.mode("dst.sh"), 0o751);
        assert!(!env.run::<Copy>(args).unwrap().changed);
    }

    #[test]
    fn replaces_a_link_unless_following() {
        let env = Env::new();
        env.write("target", "t\n");
        std::os::unix::fs::symlink(env.path("target"), env.path("l")).unwrap();
        let run = env.run::<Copy>(json!({"content": "n\n", "dest": env.path("l"), "follow": true})).unwrap();
        assert!(run.changed);
        assert_eq!(env.read("target"), "n\n");
        assert!(std::fs::symlink_metadata(env.path("l")).unwrap().is_symlink());
        assert!(env.run::<Copy>(json!({"content": "n\n", "dest": env.path("l")})).unwrap().changed);
        assert!(!std::fs::symlink_metadata(env.path("l")).unwrap().is_symlink());
    }
}
