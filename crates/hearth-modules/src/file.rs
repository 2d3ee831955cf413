//! `file`: make a path a file (attributes only), directory, symbolic or hard link, touch it or
//! remove it, like Ansible's `file` module, including its default `state` (the path's current
//! kind) and its error messages. Timestamps accept only `now` and `preserve`; SELinux contexts
//! and file attributes (`chattr`) are not supported. Hard links use `test -ef` and `ln` on the
//! host because the transport has no hard-link call.

use serde::Deserialize;

use super::file_attrs::FileAttrs;
use super::fileedit::{self, join, parent};
use super::mode::{self, DiffMap, attrs_diff_maps, attrs_differ, path_fields};
use super::{Ctx, Diff, ModuleError, Outcome, Plan};
use hearth_formats::value::Map;
use hearth_transport::{Attrs, Cmd, FileKind, FileStat};

crate::file_attrs::file_params! {
    /// Parameters of `file`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        /// The path to manage.
        #[serde(alias = "dest", alias = "name")]
        pub path: String,
        /// What the path must be; default: what it is now, else `directory` with `recurse`, else `file`.
        pub state: Option<State>,
        /// Target of a `link`/`hard` link.
        pub src: Option<String>,
        ..FileAttrs,
        /// Apply mode/owner/group to everything below a directory.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub recurse: bool,
        /// Replace a file or empty directory by a link, or link to a missing target.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub force: bool,
        /// Operate on a link's target rather than the link.
        #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
        pub follow: bool,
        /// `now` or `preserve` (default `now` for touch, else `preserve`).
        pub modification_time: Option<String>,
        /// Accepted for compatibility; only `now`/`preserve` times are supported.
        pub modification_time_format: Option<String>,
        /// `now` or `preserve` (default `now` for touch, else `preserve`).
        pub access_time: Option<String>,
        /// Accepted for compatibility; only `now`/`preserve` times are supported.
        pub access_time_format: Option<String>,
        ..UnsafeWrites,
    }
}

fn yes() -> bool {
    true
}

/// The kinds of path `file` can enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Remove the path (recursively for directories).
    Absent,
    /// A directory, created with its parents.
    Directory,
    /// An existing file (never created).
    File,
    /// A hard link to `src`.
    Hard,
    /// A symbolic link to `src`.
    Link,
    /// Create if missing, update timestamps.
    Touch,
}

/// Ansible's name for what is at a path now.
pub fn prev_state(st: Option<&FileStat>) -> &'static str {
    match st.map(|s| s.kind) {
        None => "absent",
        Some(FileKind::Directory) => "directory",
        Some(FileKind::Link) => "link",
        Some(FileKind::File | FileKind::Other) => "file",
    }
}

/// Ansible's default state: the current kind if the path exists, else `directory` when
/// recursing, else `file`.
pub fn default_state(given: Option<State>, prev: Option<&FileStat>, recurse: bool) -> State {
    given.unwrap_or(match prev.map(|s| s.kind) {
        Some(FileKind::Directory) => State::Directory,
        Some(FileKind::Link) => State::Link,
        Some(_) => State::File,
        None if recurse => State::Directory,
        None => State::File,
    })
}

/// Whether timestamps are set to the current time (`modification_time`/`access_time: now`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamps {
    /// Set the modification time to now.
    pub mtime_now: bool,
    /// Set the access time to now.
    pub atime_now: bool,
}

impl Stamps {
    /// True when any timestamp is to be set.
    pub fn any(self) -> bool {
        self.mtime_now || self.atime_now
    }
}

fn stamp(v: Option<&str>, touch: bool, name: &str) -> Result<bool, ModuleError> {
    match v {
        None => Ok(touch),
        Some("now") => Ok(true),
        Some("preserve") => Ok(false),
        Some(other) => {
            Err(ModuleError::msg(format!("{name}: '{other}' is not supported; use 'now' or 'preserve'")))
        }
    }
}

impl super::Module for File {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let mut path = self.path.clone();
        let st = ctx.host.stat(&path, false)?;
        if self.state.is_some_and(|s| !matches!(s, State::Link | State::Absent))
            && st.as_ref().is_some_and(|s| s.kind == FileKind::Directory)
            && let Some(src) = &self.src
        {
            path = join(&path, fileedit::basename(src));
        }
        let prev = if path == self.path { st } else { ctx.host.stat(&path, false)? };
        let state = default_state(self.state, prev.as_ref(), self.recurse);
        if self.recurse && state != State::Directory {
            return Err(failed("recurse option requires state to be 'directory'", &path));
        }
        if self.src.is_some() && !matches!(state, State::Link | State::Hard) {
            return Err(failed("src option requires state to be 'link' or 'hard'", &path));
        }
        let is_touch = state == State::Touch;
        let stamps = Stamps {
            mtime_now: stamp(self.modification_time.as_deref(), is_touch, "modification_time")?,
            atime_now: stamp(self.access_time.as_deref(), is_touch, "access_time")?,
        };
        let spec = self.file_attrs();
        match state {
            State::Absent => absent(&path, prev.as_ref()),
            State::File => file_state(ctx, &path, prev, self.follow, spec, stamps),
            State::Directory => directory(ctx, &path, prev, self, stamps),
            State::Link => ensure_link(ctx, &path, self.src.as_deref(), self.force, self.follow, spec),
            State::Hard => hard(ctx, &path, self.src.as_deref(), prev.as_ref(), self.force, spec),
            State::Touch => touch(ctx, &path, prev, self.follow, spec, stamps),
        }
    }
}

/// A failure carrying `path` in its result, like Ansible's.
fn failed(msg: impl Into<String>, path: &str) -> ModuleError {
    let mut result = Map::new();
    result.insert("path".into(), path.into());
    ModuleError::Failed { msg: msg.into(), result }
}

/// Ansible's `file` diff: dicts with `path`, `state` when it changes, and `extra` entries
/// (attributes, link `src`), serialized like its callback; `file` diffs have no headers.
fn state_diff(path: &str, prev: &str, next: &str, extra: (DiffMap, DiffMap)) -> Diff {
    let side = |mut m: DiffMap, state: &str| {
        m.insert("path", path.to_string());
        if prev != next {
            m.insert("state", state.to_string());
        }
        mode::serialize_diff(&m)
    };
    Diff {
        before_header: String::new(),
        after_header: String::new(),
        before: side(extra.0, prev),
        after: side(extra.1, next),
    }
}

fn absent(path: &str, prev: Option<&FileStat>) -> Result<Plan, ModuleError> {
    let Some(st) = prev else {
        return Ok(Plan::ok(format!("{path} is already absent")).with("path", path).with("state", "absent"));
    };
    let owned = path.to_string();
    let plan = Plan::change(
        format!("remove {path}"),
        Box::new(move |ctx| {
            ctx.host.remove(&owned)?;
            Ok(Map::new())
        }),
    );
    let diff = state_diff(path, prev_state(Some(st)), "absent", Default::default());
    Ok(plan.with_diff(diff).with("path", path).with("state", "absent"))
}

/// Follows a link to its target's real path when `follow` is on and the target exists.
fn follow_link(
    ctx: &Ctx,
    path: &str,
    prev: Option<FileStat>,
    follow: bool,
) -> Result<(String, Option<FileStat>), ModuleError> {
    if follow
        && prev.as_ref().is_some_and(|s| s.kind == FileKind::Link)
        && let Some(target) = ctx.host.stat(path, true)?
    {
        return Ok((fileedit::realpath(ctx.host, path)?, Some(target)));
    }
    Ok((path.to_string(), prev))
}

fn file_state(
    ctx: &Ctx,
    path: &str,
    prev: Option<FileStat>,
    follow: bool,
    spec: FileAttrs,
    stamps: Stamps,
) -> Result<Plan, ModuleError> {
    let (path, prev) = follow_link(ctx, path, prev, follow)?;
    match prev {
        Some(st) if st.kind == FileKind::File => plan_attrs(&path, &st, spec, stamps, "file"),
        other => {
            let prev = prev_state(other.as_ref());
            let mut err = failed(format!("file ({path}) is {prev}, cannot continue"), &path);
            if let ModuleError::Failed { result, .. } = &mut err {
                result.insert("state".into(), prev.into());
            }
            Err(err)
        }
    }
}

/// Plans mode/owner/group (and `now` timestamps) on an existing path.
fn plan_attrs(
    path: &str,
    st: &FileStat,
    spec: FileAttrs,
    stamps: Stamps,
    state: &str,
) -> Result<Plan, ModuleError> {
    let mut want = spec.resolve(Some(st))?;
    if st.kind == FileKind::Link {
        want.mode = None;
    }
    let mut fields = path_fields(st);
    fields.insert("path".into(), path.into());
    fields.insert("state".into(), state.into());
    if let Some(m) = want.mode {
        fields.insert("mode".into(), mode::format_mode(m).into());
    }
    let differ = attrs_differ(st, &want);
    if !differ && !stamps.any() {
        let mut plan = Plan::ok(format!("{path} already as desired"));
        plan.result = fields;
        return Ok(plan);
    }
    let lines = attrs_diff_maps(st, &want);
    let owned = path.to_string();
    let summary = if differ { format!("set attributes of {path}") } else { format!("touch {path}") };
    let mut plan = Plan::change(
        summary,
        Box::new(move |ctx| {
            if differ {
                ctx.host.set_attrs(&owned, &want)?;
            }
            run_touch(ctx, &owned, stamps)?;
            Ok(Map::new())
        }),
    )
    .with_diff(state_diff(path, state, state, lines));
    plan.result = fields;
    Ok(plan)
}

/// Sets the requested timestamps to now with `touch -c` on the host.
fn run_touch(ctx: &Ctx, path: &str, stamps: Stamps) -> Result<(), ModuleError> {
    if !stamps.any() {
        return Ok(());
    }
    // `-h`: a path that is still a link here is one the user chose not to follow.
    let mut argv = vec!["touch", "-c", "-h"];
    match (stamps.mtime_now, stamps.atime_now) {
        (true, false) => argv.push("-m"),
        (false, true) => argv.push("-a"),
        _ => {}
    }
    argv.extend(["--", path]);
    let out = ctx.host.run(&Cmd::new(argv))?;
    if out.rc != 0 {
        return Err(failed(format!("touch failed: {}", String::from_utf8_lossy(&out.stderr).trim()), path));
    }
    Ok(())
}

fn touch(
    ctx: &Ctx,
    path: &str,
    prev: Option<FileStat>,
    follow: bool,
    spec: FileAttrs,
    stamps: Stamps,
) -> Result<Plan, ModuleError> {
    let (path, prev) = follow_link(ctx, path, prev, follow)?;
    let path = path.as_str();
    let Some(st) = prev.as_ref() else {
        let base = FileStat { mode: 0o644, ..mode::new_stat(FileKind::File) };
        let want = spec.resolve(Some(&base))?;
        let owned = path.to_string();
        let plan = Plan::change(
            format!("create {path}"),
            Box::new(move |ctx| {
                ctx.host.write_file(&owned, b"", &want)?;
                Ok(Map::new())
            }),
        );
        let diff = state_diff(path, "absent", "touch", Default::default());
        return Ok(plan.with_diff(diff).with("dest", path));
    };
    let mut plan = plan_attrs(path, st, spec, stamps, prev_state(Some(st)))?;
    plan.result.insert("dest".into(), path.into());
    Ok(plan)
}

fn directory(
    ctx: &Ctx,
    path: &str,
    prev: Option<FileStat>,
    p: &File,
    stamps: Stamps,
) -> Result<Plan, ModuleError> {
    let (path, prev) = follow_link(ctx, path, prev, p.follow)?;
    let spec = p.file_attrs();
    let mut plans = vec![ensure_directory(&path, prev.as_ref(), spec, stamps)?];
    if p.recurse && prev.is_some() {
        let mut entries = Vec::new();
        walk(ctx, &path, &mut entries)?;
        for (child, st) in entries {
            plans.push(plan_attrs(&child, &st, spec, stamps, prev_state(Some(&st)))?);
        }
    }
    let mut plan = merge(plans, format!("{path} already as desired"));
    plan.result.insert("path".into(), path.into());
    Ok(plan)
}

/// Ensures a directory exists with attributes (no recursion); shared with `copy`.
pub fn ensure_directory(
    path: &str,
    prev: Option<&FileStat>,
    spec: FileAttrs,
    stamps: Stamps,
) -> Result<Plan, ModuleError> {
    match prev {
        Some(st) if st.kind == FileKind::Directory => plan_attrs(path, st, spec, stamps, "directory"),
        Some(st) => Err(failed(format!("{path} already exists as a {}", prev_state(Some(st))), path)),
        None => {
            let base = FileStat { mode: 0o755, ..mode::new_stat(FileKind::Directory) };
            let want = spec.resolve(Some(&base))?;
            let owned = path.to_string();
            let mut after = DiffMap::new();
            if let Some(m) = want.mode {
                after.insert("mode", mode::format_mode(m));
            }
            let plan = Plan::change(
                format!("create directory {path}"),
                Box::new(move |ctx| {
                    ctx.host.make_dir(&owned, &want)?;
                    let st = ctx.host.stat(&owned, true)?;
                    Ok(st.map(|s| path_fields(&s)).unwrap_or_default())
                }),
            );
            let diff = state_diff(path, "absent", "directory", (DiffMap::new(), after));
            Ok(plan.with_diff(diff).with("path", path).with("state", "directory"))
        }
    }
}

/// Collects every path below `dir` (not following links), parents before children.
fn walk(ctx: &Ctx, dir: &str, out: &mut Vec<(String, FileStat)>) -> Result<(), ModuleError> {
    for name in ctx.host.list_dir(dir)? {
        let path = join(dir, &name);
        if let Some(st) = ctx.host.stat(&path, false)? {
            let is_dir = st.kind == FileKind::Directory;
            out.push((path.clone(), st));
            if is_dir {
                walk(ctx, &path, out)?;
            }
        }
    }
    Ok(())
}

/// Combines plans into one: ok when all are ok, else one change running every action in order.
pub fn merge(plans: Vec<Plan>, ok_reason: String) -> Plan {
    let (mut actions, mut summaries, mut diffs, mut result) =
        (Vec::new(), Vec::new(), Vec::new(), Map::new());
    for p in plans {
        diffs.extend(p.diffs);
        if result.is_empty() {
            result = p.result;
        }
        match p.outcome {
            Outcome::Ok(_) => {}
            Outcome::Change { summary, action } => {
                summaries.push(summary);
                actions.push(action);
            }
            Outcome::Run(action) => actions.push(action),
        }
    }
    let mut plan = if actions.is_empty() {
        Plan::ok(ok_reason)
    } else {
        let summary = match summaries.len() {
            0..=3 => summaries.join(", "),
            n => format!("{} and {} more", summaries[..3].join(", "), n - 3),
        };
        let mut plan = Plan::change(
            summary,
            Box::new(move |ctx| {
                let mut out = Map::new();
                for (i, action) in actions.into_iter().enumerate() {
                    let fields = action(ctx)?;
                    if i == 0 {
                        out = fields;
                    }
                }
                Ok(out)
            }),
        );
        plan.diffs = diffs;
        plan
    };
    plan.result = result;
    plan
}

/// Ensures a symbolic link `path` → `src`, with Ansible's `force` rules; shared with `copy`.
pub fn ensure_link(
    ctx: &Ctx,
    path: &str,
    src: Option<&str>,
    force: bool,
    follow: bool,
    spec: FileAttrs,
) -> Result<Plan, ModuleError> {
    let prev = ctx.host.stat(path, false)?;
    let existing_target = prev.as_ref().and_then(|s| s.link_target.clone());
    let src = match src {
        Some(s) => Some(s.to_string()),
        None if follow => existing_target.clone(),
        None => None,
    };
    let base = match &prev {
        Some(s) if s.kind == FileKind::Directory => path,
        _ => parent(path),
    };
    let absrc = src.as_deref().map(|s| if s.starts_with('/') { s.to_string() } else { join(base, s) });
    if let Some(abs) = absrc.as_deref().filter(|_| !force)
        && ctx.host.stat(abs, true)?.is_none()
    {
        let msg = format!(
            "src file does not exist, use \"force=yes\" if you really want to create the link: {abs}"
        );
        return Err(failed(msg, path));
    }
    check_link_conflicts(ctx, path, prev.as_ref(), force)?;
    let prev_name = prev_state(prev.as_ref());
    let relink = match (&prev, &src) {
        (Some(s), Some(want)) if s.kind == FileKind::Link => existing_target.as_deref() != Some(want),
        (Some(s), None) if s.kind == FileKind::Link => false,
        (_, Some(_)) => true,
        (_, None) => return Err(failed("src is required for creating new symlinks", path)),
    };
    let src = src.unwrap_or_default();
    let mut plans = Vec::new();
    if relink {
        let (p, s, was_dir) = (path.to_string(), src.clone(), prev_name == "directory");
        let before: DiffMap = existing_target.map(|t| ("src", t.to_string())).into_iter().collect();
        let diff = state_diff(path, prev_name, "link", (before, DiffMap::from([("src", src.clone())])));
        plans.push(
            Plan::change(
                format!("link {path} -> {src}"),
                Box::new(move |ctx| {
                    if was_dir {
                        ctx.host.remove(&p)?;
                    }
                    ctx.host.symlink(&s, &p)?;
                    Ok(Map::new())
                }),
            )
            .with_diff(diff),
        );
    }
    if let Some(target) = absrc.filter(|_| follow)
        && let Some(st) = ctx.host.stat(&target, true)?
    {
        plans.push(plan_attrs(&target, &st, spec, Stamps::default(), prev_state(Some(&st)))?);
    } else if !follow && (spec.owner.is_some() || spec.group.is_some()) {
        let want = Attrs { mode: None, owner: spec.owner.map(Into::into), group: spec.group.map(Into::into) };
        let needed = relink || prev.as_ref().is_none_or(|s| attrs_differ(s, &want));
        if needed {
            let p = path.to_string();
            plans.push(Plan::change(
                format!("set owner of link {path}"),
                Box::new(move |ctx| Ok(ctx.host.set_attrs(&p, &want).map(|()| Map::new())?)),
            ));
        }
    }
    let mut plan = merge(plans, format!("{path} already links to {src}"));
    plan.result = Map::new();
    Ok(plan.with("dest", path).with("src", src).with("state", "link"))
}

/// Ansible's refusals to turn a file or a non-empty directory into a link.
fn check_link_conflicts(
    ctx: &Ctx,
    path: &str,
    prev: Option<&FileStat>,
    force: bool,
) -> Result<(), ModuleError> {
    match prev.map(|s| s.kind) {
        Some(FileKind::Directory) if !force => {
            Err(failed(format!("refusing to convert from directory to symlink for {path}"), path))
        }
        Some(FileKind::Directory) if !ctx.host.list_dir(path)?.is_empty() => {
            Err(failed(format!("the directory {path} is not empty, refusing to convert it"), path))
        }
        Some(FileKind::File | FileKind::Other) if !force => {
            Err(failed(format!("refusing to convert from file to symlink for {path}"), path))
        }
        _ => Ok(()),
    }
}

/// A hard link `path` → `src`, compared by inode with `test -ef`, made with `ln -f`.
fn hard(
    ctx: &Ctx,
    path: &str,
    src: Option<&str>,
    prev: Option<&FileStat>,
    force: bool,
    spec: FileAttrs,
) -> Result<Plan, ModuleError> {
    let src = src.ok_or_else(|| failed("src is required for creating new hardlinks", path))?;
    let Some(src_stat) = ctx.host.stat(src, true)? else {
        return Err(failed("src does not exist", path));
    };
    let same = match prev {
        Some(st) if st.kind != FileKind::Link => ctx.host.run(&Cmd::new(["test", path, "-ef", src]))?.rc == 0,
        _ => false,
    };
    if same {
        let mut plan = plan_attrs(path, &src_stat, spec, Stamps::default(), "hard")?;
        plan.result.insert("src".into(), src.into());
        return Ok(plan);
    }
    match prev.map(|s| s.kind) {
        Some(FileKind::Directory) => {
            return Err(failed(format!("refusing to convert from directory to hard link for {path}"), path));
        }
        Some(FileKind::File | FileKind::Other) if !force => {
            return Err(failed("Cannot link, file exists at destination", path));
        }
        _ => {}
    }
    let want = spec.resolve(Some(&src_stat))?;
    let (p, s) = (path.to_string(), src.to_string());
    let diff = state_diff(path, prev_state(prev), "hard", Default::default());
    let plan = Plan::change(
        format!("hard link {path} -> {src}"),
        Box::new(move |ctx| {
            let out = ctx.host.run(&Cmd::new(["ln", "-f", "--", s.as_str(), p.as_str()]))?;
            if out.rc != 0 {
                let msg = format!("Error while linking: {}", String::from_utf8_lossy(&out.stderr).trim());
                return Err(failed(msg, &p));
            }
            ctx.host.set_attrs(&p, &want)?;
            Ok(Map::new())
        }),
    );
    Ok(plan.with_diff(diff).with("dest", path).with("src", src).with("state", "hard"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::new_stat;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn default_state_follows_ansible() {
        let dir = new_stat(FileKind::Directory);
        let link = new_stat(FileKind::Link);
        assert_eq!(default_state(None, Some(&dir), false), State::Directory);
        assert_eq!(default_state(None, Some(&link), false), State::Link);
        assert_eq!(default_state(None, None, true), State::Directory);
        assert_eq!(default_state(None, None, false), State::File);
        assert_eq!(default_state(Some(State::Touch), Some(&dir), false), State::Touch);
    }

    #[test]
    fn state_file_on_missing_path_fails() {
        let env = Env::new();
        let err = env.run::<File>(json!({"path": env.path("x")})).err().unwrap();
        assert_eq!(err.to_string(), format!("file ({}) is absent, cannot continue", env.path("x")));
        std::fs::create_dir(env.path("d")).unwrap();
        let err = env.run::<File>(json!({"path": env.path("d"), "state": "file"})).err().unwrap();
        assert!(err.to_string().ends_with("is directory, cannot continue"), "{err}");
    }

    #[test]
    fn directory_create_then_ok_then_mode() {
        let env = Env::new();
        let args = json!({"path": env.path("a/b"), "state": "directory", "mode": "0750"});
        let run = env.run::<File>(args.clone()).unwrap();
        assert!(run.changed);
        assert_eq!(env.mode("a/b"), 0o750);
        assert_eq!(
            run.diffs[0].after,
            format!(
                "{{\n    \"mode\": \"0750\",\n    \"path\": \"{}\",\n    \"state\": \"directory\"\n}}\n",
                env.path("a/b")
            )
        );
        assert!(!env.run::<File>(args).unwrap().changed);
        let run = env.run::<File>(json!({"path": env.path("a/b"), "mode": "0700"})).unwrap();
        assert!(run.changed);
        assert_eq!(env.mode("a/b"), 0o700);
        assert_eq!(run.result["mode"], "0700");
    }

    #[test]
    fn recurse_applies_modes_below() {
        let env = Env::new();
        env.write("d/f", "x");
        env.write("d/s/g", "y");
        let args =
            json!({"path": env.path("d"), "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o="});
        assert!(env.run::<File>(args.clone()).unwrap().changed);
        assert_eq!(env.mode("d"), 0o750);
        assert_eq!(env.mode("d/s"), 0o750);
        assert_eq!(env.mode("d/f"), 0o640);
        assert_eq!(env.mode("d/s/g"), 0o640);
        assert!(!env.run::<File>(args).unwrap().changed);
        let err = env.run::<File>(json!({"path": env.path("d/f"), "state": "file", "recurse": true})).err();
        assert_eq!(err.unwrap().to_string(), "recurse option requires state to be 'directory'");
    }

    #[test]
    fn touch_creates_and_always_changes() {
        let env = Env::new();
        let args = json!({"path": env.path("t"), "state": "touch", "mode": "0600"});
        assert!(env.run::<File>(args.clone()).unwrap().changed);
        assert_eq!(env.mode("t"), 0o600);
        assert!(env.run::<File>(args).unwrap().changed);
        let args = json!({"path": env.path("t"), "state": "touch", "modification_time": "preserve",
                          "access_time": "preserve"});
        assert!(!env.run::<File>(args).unwrap().changed);
    }

    #[test]
    fn absent_removes_once() {
        let env = Env::new();
        env.write("d/f", "x");
        let args = json!({"path": env.path("d"), "state": "absent"});
        assert!(env.run::<File>(args.clone()).unwrap().changed);
        assert!(!std::path::Path::new(&env.path("d")).exists());
        assert!(!env.run::<File>(args).unwrap().changed);
    }

    #[test]
    fn symlinks() {
        let env = Env::new();
        env.write("target", "x");
        let args = json!({"path": env.path("l"), "src": "target", "state": "link"});
        let run = env.run::<File>(args.clone()).unwrap();
        assert!(run.changed);
        assert_eq!(std::fs::read_link(env.path("l")).unwrap().to_str(), Some("target"));
        assert_eq!(run.result["dest"], env.path("l"));
        assert!(!env.run::<File>(args).unwrap().changed);
        // Retarget, refuse to replace a file without force, dangling target without force.
        env.write("other", "y");
        assert!(
            env.run::<File>(json!({"path": env.path("l"), "src": "other", "state": "link"})).unwrap().changed
        );
        let on_file = json!({"path": env.path("other"), "src": "target", "state": "link"});
        let err = env.run::<File>(on_file).err().unwrap();
        assert!(err.to_string().starts_with("refusing to convert from file to symlink"), "{err}");
        let dangling = json!({"path": env.path("d"), "src": "nope", "state": "link"});
        assert!(env.run::<File>(dangling).err().unwrap().to_string().starts_with("src file does not exist"));
        let forced = json!({"path": env.path("d"), "src": "nope", "state": "link", "force": true});
        assert!(env.run::<File>(forced).unwrap().changed);
    }

    #[test]
    fn hard_links() {
        let env = Env::new();
        env.write("f", "x");
        let args = json!({"path": env.path("h"), "src": env.path("f"), "state": "hard"});
        assert!(env.run::<File>(args.clone()).unwrap().changed);
        std::fs::write(env.path("f"), "changed").unwrap();
        assert_eq!(env.read("h"), "changed");
        assert!(!env.run::<File>(args).unwrap().changed);
    }

    #[test]
    fn src_requires_link_state() {
        let env = Env::new();
        env.write("f", "x");
        let err = env.run::<File>(json!({"path": env.path("f"), "src": "x"})).err().unwrap();
        assert_eq!(err.to_string(), "src option requires state to be 'link' or 'hard'");
    }
}
