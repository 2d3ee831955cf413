//! Placing one file's bytes at a resolved path on the host: the core shared by `copy` and
//! `template`. Compares content and attributes, plans backup, validation (`validate: cmd %s` run
//! on a temp copy) and the atomic write, and builds the diff. It does not resolve `src`/`dest`
//! (the modules do) and never writes outside the plan's action.

use sha1::Digest;

use super::fileedit::{self, parent};
use super::mode::{self, attrs, attrs_differ, format_mode};
use crate::module::{Ctx, Diff, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Attrs, FileKind, FileStat};

/// Ansible's `MAX_FILE_SIZE_FOR_DIFF`: larger files get no text diff.
const MAX_DIFF_SIZE: usize = 104_448;

/// One file to place: the resolved destination, the bytes and how to write them.
pub struct Placement {
    /// Final path of the file (already resolved against directories and trailing slashes).
    pub dest: String,
    /// The bytes the file must contain.
    pub content: Vec<u8>,
    /// Raw `mode` parameter (octal, integer or symbolic); "preserve" must be resolved before.
    pub mode: Option<Value>,
    /// Owner name or id.
    pub owner: Option<String>,
    /// Group name or id.
    pub group: Option<String>,
    /// Keep a timestamped copy of the old file.
    pub backup: bool,
    /// Replace an existing file whose content differs (false: only create).
    pub force: bool,
    /// Write through a symbolic link at `dest` instead of replacing the link.
    pub follow: bool,
    /// Command with `%s` that must accept the new content before it is written.
    pub validate: Option<String>,
    /// Attributes for missing parent directories, which are created; `None`: they must exist.
    pub make_parents: Option<Attrs>,
    /// What the diff's `after` header names, like Ansible's `_get_diff_data`: `dest` for inline
    /// `content`, else the source file.
    pub after_header: String,
}

/// What a destination looks like before writing.
struct Current {
    /// The path to write (a followed link's target or `dest`).
    path: String,
    /// Its stat, when it is a regular file that will be overwritten in place.
    file: Option<FileStat>,
    /// A link at `dest` that must be replaced by the file.
    replace_link: bool,
    /// Whether anything exists at the path.
    exists: bool,
}

/// Plans writing `p.content` to `p.dest`: ok when content and attributes match.
pub fn plan_put(ctx: &Ctx, p: Placement) -> Result<Plan, ModuleError> {
    let cur = inspect(ctx, &p)?;
    if cur.exists && !p.force {
        return Ok(Plan::ok(format!("{} exists and force is off", cur.path)).with("dest", cur.path));
    }
    let base = cur.file.clone().unwrap_or(FileStat { mode: 0o644, ..mode::new_stat(FileKind::File) });
    let want = attrs(p.mode.as_ref(), p.owner.as_deref(), p.group.as_deref(), Some(&base))
        .map_err(ModuleError::msg)?;
    let size_matches = cur.file.as_ref().is_some_and(|s| s.size == p.content.len() as u64);
    let before = match &cur.file {
        Some(_) if size_matches || ctx.diff => ctx.host.read_file(&cur.path)?,
        _ => None,
    };
    let same = size_matches && before.as_deref() == Some(&p.content[..]);
    let plan_fields = fields(&p.content, &cur.path, &want, cur.file.as_ref());
    if same {
        let Some(have) = cur.file.as_ref().filter(|h| attrs_differ(h, &want)) else {
            return Ok(with_fields(Plan::ok(format!("{} already as desired", cur.path)), plan_fields));
        };
        let diff = attrs_diff(&cur.path, have, &want);
        let path = cur.path.clone();
        let plan = Plan::change(
            format!("set attributes of {path}"),
            Box::new(move |ctx| {
                ctx.host.set_attrs(&path, &want)?;
                stat_fields(ctx, &path)
            }),
        )
        .with_diff(diff);
        return Ok(with_fields(plan, plan_fields));
    }
    let diff = content_diff(&cur.path, before.as_deref(), &p.content, &p.after_header);
    let summary = format!("{} {}", if cur.file.is_some() { "update" } else { "create" }, cur.path);
    let plan = Plan::change(summary, Box::new(move |ctx| write(ctx, p, cur, want)));
    Ok(with_fields(plan.with_diff(diff), plan_fields))
}

/// Stats the destination, follows or marks a link, and checks the parent directory.
fn inspect(ctx: &Ctx, p: &Placement) -> Result<Current, ModuleError> {
    let mut path = p.dest.clone();
    let mut st = ctx.host.stat(&path, false)?;
    let mut replace_link = false;
    if st.as_ref().is_some_and(|s| s.kind == FileKind::Link) {
        match ctx.host.stat(&path, true)? {
            Some(target) if p.follow => {
                path = fileedit::realpath(ctx.host, &path)?;
                st = Some(target);
            }
            _ => replace_link = true,
        }
    }
    if st.as_ref().is_some_and(|s| s.kind == FileKind::Directory) {
        return Err(ModuleError::msg(format!("{path} is a directory, cannot write a file there")));
    }
    if st.is_none() && p.make_parents.is_none() {
        let dir = parent(&path);
        // The probe of an absent path tells whether its parent is a directory (one trip fewer).
        let told = ctx.host.probe(&path)?.parent_dir;
        let is_dir =
            || Ok::<_, ModuleError>(ctx.host.stat(dir, true)?.is_some_and(|s| s.kind == FileKind::Directory));
        if !told.map_or_else(is_dir, Ok)? {
            return Err(ModuleError::msg(format!("Destination directory {dir} does not exist")));
        }
    }
    let exists = st.is_some();
    let file = st.filter(|s| s.kind == FileKind::File && !replace_link);
    Ok(Current { path, file, replace_link, exists })
}

/// The change: parents, backup, validation, then the atomic write.
fn write(ctx: &Ctx, p: Placement, cur: Current, want: Attrs) -> Result<Map, ModuleError> {
    let mut out = Map::new();
    if let Some(dir_attrs) = &p.make_parents {
        let dir = parent(&cur.path);
        if ctx.host.stat(dir, true)?.is_none() {
            ctx.host.make_dir(dir, dir_attrs)?;
        }
    }
    if p.validate.is_none() && !cur.replace_link {
        // Backup, write and the stat for the result in one round trip.
        let backup = p.backup && cur.exists;
        if let Some(name) = fileedit::place(ctx.host, &cur.path, &p.content, &want, backup)? {
            out.insert("backup_file".into(), name.into());
        }
        out.extend(stat_fields(ctx, &cur.path)?);
        return Ok(out);
    }
    if p.backup && cur.exists {
        let name = fileedit::backup(ctx.host, &cur.path)?;
        out.insert("backup_file".into(), name.into());
    }
    if let Some(cmd) = &p.validate {
        validate(ctx, cmd, &p.content, &want, &cur.path)?;
    }
    if cur.replace_link {
        ctx.host.remove(&cur.path)?;
    }
    ctx.host.write_file(&cur.path, &p.content, &want)?;
    out.extend(stat_fields(ctx, &cur.path)?);
    Ok(out)
}

/// Runs `validate` on a temp copy of the new content and fails like Ansible's `copy` on non-zero.
fn validate(ctx: &Ctx, cmd: &str, content: &[u8], want: &Attrs, dest: &str) -> Result<(), ModuleError> {
    let res = fileedit::run_validate(ctx.host, cmd, content, dest, want)?;
    if res.rc != 0 {
        let mut result = Map::new();
        result.insert("exit_status".into(), res.rc.into());
        result.insert("stdout".into(), String::from_utf8_lossy(&res.stdout).into_owned().into());
        result.insert("stderr".into(), String::from_utf8_lossy(&res.stderr).into_owned().into());
        return Err(ModuleError::Failed { msg: "failed to validate".into(), result });
    }
    Ok(())
}

/// A before/after text diff, with "(binary)" for content that is not text. Headers as Ansible's
/// `_get_diff_data`: `before` names `dest` when it exists (none when it is created).
pub fn content_diff(dest: &str, before: Option<&[u8]>, after: &[u8], after_header: &str) -> Diff {
    Diff {
        before_header: if before.is_some() { dest.to_string() } else { String::new() },
        after_header: after_header.to_string(),
        before: before.map(diff_text).unwrap_or_default(),
        after: diff_text(after),
    }
}

/// The attributes-only diff: Ansible runs its `file` module then, whose diff dicts name the
/// path and have no headers.
fn attrs_diff(path: &str, have: &FileStat, want: &Attrs) -> Diff {
    let (mut before, mut after) = mode::attrs_diff_maps(have, want);
    before.insert("path", path.to_string());
    after.insert("path", path.to_string());
    Diff {
        before_header: String::new(),
        after_header: String::new(),
        before: mode::serialize_diff(&before),
        after: mode::serialize_diff(&after),
    }
}

fn diff_text(b: &[u8]) -> String {
    if b.len() > MAX_DIFF_SIZE {
        return "(file too large for diff)".into();
    }
    match std::str::from_utf8(b) {
        Ok(s) if !b.iter().take(8192).any(|&c| c == 0) => s.to_string(),
        _ => "(binary)".into(),
    }
}

/// Lower-case hex digest of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Ansible's copy result fields known before writing (`dest`, `checksum`, `size`, ...).
fn fields(content: &[u8], dest: &str, want: &Attrs, have: Option<&FileStat>) -> Map {
    let mut m = Map::new();
    m.insert("dest".into(), dest.into());
    m.insert("checksum".into(), hex(&sha1::Sha1::digest(content)).into());
    m.insert("md5sum".into(), hex(&md5::Md5::digest(content)).into());
    m.insert("size".into(), content.len().into());
    m.insert("state".into(), "file".into());
    if let Some(mode) = want.mode.or(have.map(|h| h.mode)) {
        m.insert("mode".into(), format_mode(mode).into());
    }
    if let Some(o) = want.owner.clone().or(have.and_then(|h| h.owner.clone())) {
        m.insert("owner".into(), o.into());
    }
    if let Some(g) = want.group.clone().or(have.and_then(|h| h.group.clone())) {
        m.insert("group".into(), g.into());
    }
    if let Some(h) = have {
        m.insert("uid".into(), h.uid.into());
        m.insert("gid".into(), h.gid.into());
    }
    m
}

/// Result fields read back from the host after a change.
fn stat_fields(ctx: &Ctx, path: &str) -> Result<Map, ModuleError> {
    Ok(ctx.host.stat(path, true)?.map(|s| mode::path_fields(&s)).unwrap_or_default())
}

fn with_fields(mut plan: Plan, fields: Map) -> Plan {
    plan.result.extend(fields);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_text_diffs() {
        let d = content_diff("/x", Some(b"a\n"), b"b\0c", "/src/x");
        assert_eq!((d.before.as_str(), d.after.as_str()), ("a\n", "(binary)"));
        assert_eq!((d.before_header.as_str(), d.after_header.as_str()), ("/x", "/src/x"));
        let d = content_diff("/x", None, b"new\n", "/x");
        assert_eq!((d.before.as_str(), d.before_header.as_str()), ("", ""));
    }

    #[test]
    fn result_fields() {
        let want = Attrs { mode: Some(0o600), owner: None, group: None };
        let m = fields(b"hello\n", "/x", &want, None);
        assert_eq!(m["checksum"], "f572d396fae9206628714fb2ce00f72e94f2258f");
        assert_eq!(m["size"], 6);
        assert_eq!(m["mode"], "0600");
        assert_eq!(m["state"], "file");
    }
}

/// Helpers for module tests against the local transport in a temp directory.
#[cfg(test)]
pub(crate) mod testing {
    use serde::de::DeserializeOwned;

    use crate::module::{Ctx, Diff, Module, ModuleError, Outcome, SearchPath};
    use hearth_formats::value::{Map, Value};
    use hearth_template::Templar;
    use hearth_transport::Local;

    /// A temp dir, a templar with some variables and a search path pointing at the temp dir.
    pub struct Env {
        pub dir: tempfile::TempDir,
        pub templar: Templar,
        pub vars: minijinja::Value,
        pub search: SearchPath,
    }

    /// What one plan-and-apply did.
    pub struct Run {
        pub changed: bool,
        pub result: Map,
        pub diffs: Vec<Diff>,
    }

    impl Env {
        pub fn new() -> Env {
            let dir = tempfile::tempdir().unwrap();
            let templar = Templar::new();
            let vars =
                templar.context(serde_json::json!({"who": "world", "items": [1, 2]}).as_object().unwrap());
            let search = SearchPath { dirs: vec![dir.path().to_path_buf()] };
            Env { dir, templar, vars, search }
        }

        pub fn ctx(&self) -> Ctx<'_> {
            Ctx { host: &Local, vars: &self.vars, templar: &self.templar, search: &self.search, diff: true }
        }

        /// Absolute path of `rel` inside the temp dir.
        pub fn path(&self, rel: &str) -> String {
            self.dir.path().join(rel).to_string_lossy().into_owned()
        }

        pub fn write(&self, rel: &str, text: &str) {
            let p = self.dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }

        pub fn read(&self, rel: &str) -> String {
            std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
        }

        pub fn mode(&self, rel: &str) -> u32 {
            use std::os::unix::fs::PermissionsExt;
            std::fs::symlink_metadata(self.dir.path().join(rel)).unwrap().permissions().mode() & 0o7777
        }

        /// Builds module `M` from JSON arguments, plans it and runs the action if any.
        pub fn run<M: DeserializeOwned + Module>(&self, args: Value) -> Result<Run, ModuleError> {
            let module: M = serde_json::from_value(args).unwrap();
            let ctx = self.ctx();
            let plan = module.plan(&ctx)?;
            let mut result = plan.result;
            let changed = match plan.outcome {
                Outcome::Ok(_) => false,
                Outcome::Change { action, .. } | Outcome::Run(action) => {
                    result.extend(action(&ctx)?);
                    true
                }
            };
            Ok(Run { changed, result, diffs: plan.diffs })
        }
    }
}
