//! `file`: make a path a file (attributes only), directory, symbolic or hard link, touch it or
//! remove it, like Ansible's `file` module, including its default `state` (the path's current
//! kind) and its error messages. Timestamps accept only `now` and `preserve`; SELinux contexts
//! and file attributes (`chattr`) are not supported. Hard links use `test -ef` and `ln` on the
//! host because the transport has no hard-link call.

use serde::Deserialize;

use super::file_attrs::FileAttrs;
use super::file_link::{ensure_link, hard};
use super::file_plan::{Stamps, failed, merge, plan_attrs, prev_state, state_diff};
use super::fileedit::{self, join};
use super::mode::{self, DiffMap, path_fields};
use crate::module::{Ctx, ModuleError, Plan};
use hearth_formats::value::Map;
use hearth_transport::{FileKind, FileStat};

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

impl crate::module::Module for File {
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
                Box::new(move |ctx| Ok(path_fields(&ctx.host.make_dir_stat(&owned, &want)?))),
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
