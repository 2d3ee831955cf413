//! `find`: list files on the host by name pattern (shell glob, or Python regex with
//! `use_regex`), type, age, size, mode and content, with Ansible's result (`files` with each
//! entry's stat fields, `matched`, `examined`, `msg`, `skipped_paths`). The walk is one script
//! (`find_walk.rs`); the filters are pure functions here, applied in Ansible's order. Content
//! (`contains`) and checksums need a second round trip over the candidates only. Times are whole
//! seconds (Ansible reports fractions).

use serde::Deserialize;

use super::find_content::{self, Wanted};
use super::find_match::{Names, parse_age, parse_size};
use super::find_walk::{self, Entry, Walk};
use super::mode;
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// Parameters of `find`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Find {
    /// Directories to search.
    #[serde(alias = "name", alias = "path", deserialize_with = "super::args::de_list")]
    pub paths: Vec<String>,
    /// Basename patterns (globs, or regexes with `use_regex`); any may match.
    #[serde(default, alias = "pattern", deserialize_with = "super::args::de_list")]
    pub patterns: Vec<String>,
    /// Basename patterns that exclude an entry `patterns` matched.
    #[serde(default, alias = "exclude", deserialize_with = "super::args::de_list")]
    pub excludes: Vec<String>,
    /// Python regex a line of a regular file must match from its start (or, with
    /// `read_whole_file`, anywhere in the file).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub contains: Option<String>,
    /// Search `contains` in the whole file instead of line by line.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub read_whole_file: bool,
    /// `file` (default), `directory`, `link` or `any`.
    #[serde(default)]
    pub file_type: FileType,
    /// Older than this (`2d`, `1h`, `30m`, `10s`, `1w`), or younger when negative.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub age: Option<String>,
    /// Which time `age` looks at: `mtime` (default), `atime` or `ctime`.
    #[serde(default)]
    pub age_stamp: AgeStamp,
    /// At least this size (`10k`, `1m`, `2g`, `1t`, bytes bare), or at most when negative.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub size: Option<String>,
    /// Descend into subdirectories.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub recurse: bool,
    /// Include names starting with a dot.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub hidden: bool,
    /// Descend into linked directories.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub follow: bool,
    /// Add each regular file's SHA-1 as `checksum`.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub get_checksum: bool,
    /// Patterns are Python regexes matched from the name's start, not globs.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub use_regex: bool,
    /// Deepest level to report (1: the paths' own entries); 0 or unset for no limit.
    #[serde(default, deserialize_with = "super::args::de_opt_int")]
    pub depth: Option<i64>,
    /// Permission bits (octal string or symbolic) an entry must have.
    #[serde(default)]
    pub mode: Option<Value>,
    /// With `mode`: the bits must be exactly these (true) or any of them (false).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub exact_mode: bool,
    /// Text encoding of files read for `contains`: `utf-8` (default) or `latin-1`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub encoding: Option<String>,
    /// Stop after this many matches.
    #[serde(default, deserialize_with = "super::args::de_opt_int")]
    pub limit: Option<i64>,
}

fn yes() -> bool {
    true
}

/// Which kind of entry `find` reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    /// Regular files.
    #[default]
    File,
    /// Directories.
    Directory,
    /// Symbolic links.
    Link,
    /// Everything (`size` applies to regular files only).
    Any,
}

/// Which timestamp `age` compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgeStamp {
    /// Modification.
    #[default]
    Mtime,
    /// Access.
    Atime,
    /// Status change.
    Ctime,
}

/// The filters that need only the entry's stat.
struct Filters {
    names: Names,
    now: i64,
    age: Option<i64>,
    size: Option<i64>,
    mode: Option<u32>,
}

impl Filters {
    fn new(f: &Find, now: i64) -> Result<Filters, ModuleError> {
        let age = f
            .age
            .as_deref()
            .map(|a| parse_age(a).ok_or_else(|| failed_with("failed to process age", "age", a)));
        let size = f
            .size
            .as_deref()
            .map(|s| parse_size(s).ok_or_else(|| failed_with("failed to process size", "size", s)));
        let mode = match &f.mode {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v @ Value::String(_)) => {
                Some(mode::parse_mode(v, Some(0)).map_err(ModuleError::msg)? & 0o7777)
            }
            Some(other) => {
                let kind = if other.is_number() { "int" } else { "other" };
                return Err(ModuleError::msg(format!(
                    "argument 'mode' is not a string and conversion is not allowed, value is of type {kind}"
                )));
            }
        };
        Ok(Filters {
            names: Names::new(&f.patterns, &f.excludes, f.use_regex)?,
            now,
            age: age.transpose()?,
            size: size.transpose()?,
            mode,
        })
    }

    fn age_ok(&self, e: &Entry, stamp: AgeStamp) -> bool {
        let t = match stamp {
            AgeStamp::Mtime => e.mtime,
            AgeStamp::Atime => e.atime,
            AgeStamp::Ctime => e.ctime,
        };
        match self.age {
            None => true,
            Some(a) if a >= 0 => self.now - t >= a,
            Some(a) => self.now - t <= -a,
        }
    }

    fn size_ok(&self, e: &Entry) -> bool {
        match self.size {
            None => true,
            Some(s) if s >= 0 => e.size as i64 >= s,
            Some(s) => e.size as i64 <= -s,
        }
    }

    fn mode_ok(&self, e: &Entry, exact: bool) -> bool {
        let bits = e.raw_mode & 0o7777;
        match self.mode {
            None => true,
            Some(m) if exact => bits == m,
            Some(m) => bits & m != 0,
        }
    }
}

fn failed_with(msg: &str, key: &str, value: &str) -> ModuleError {
    let mut result = Map::new();
    result.insert(key.into(), value.into());
    ModuleError::Failed { msg: msg.into(), result }
}

const DIR: u32 = 0o040000;
const REG: u32 = 0o100000;
const LNK: u32 = 0o120000;

impl Find {
    /// Whether an entry passes every filter but `contains` (Ansible's per-type rules).
    fn candidate(&self, f: &Filters, e: &Entry) -> Result<bool, ModuleError> {
        let name = basename(&e.path);
        if self.depth.is_some_and(|d| d > 0 && e.depth as i64 > d) || (name.starts_with('.') && !self.hidden)
        {
            return Ok(false);
        }
        let common = f.names.accept(name)? && f.age_ok(e, self.age_stamp) && f.mode_ok(e, self.exact_mode);
        Ok(match (self.file_type, e.kind()) {
            (FileType::Any, REG) | (FileType::File, REG) => common && f.size_ok(e),
            (FileType::Any, _) | (FileType::Directory, DIR) | (FileType::Link, LNK) => common,
            _ => false,
        })
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Module for Find {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if let Some(l) = self.limit.filter(|l| *l <= 0) {
            return Err(ModuleError::msg(format!("limit cannot be {l} (use None for unlimited)")));
        }
        let max = match (self.recurse, self.depth.filter(|d| *d > 0)) {
            (false, _) => "1".to_string(),
            (true, Some(d)) => (d + 1).to_string(),
            (true, None) => String::new(),
        };
        let follow = if self.follow { "-L" } else { "" };
        let mut argv = vec!["/bin/sh", "-c", find_walk::SCRIPT, "sh", follow, &max];
        argv.extend(self.paths.iter().map(String::as_str));
        let out = ctx.host.run(&Cmd::new(argv))?;
        let walk = find_walk::parse(&out.stdout, self.paths.len()).map_err(ModuleError::msg)?;
        let filters = Filters::new(self, walk.now)?;
        let found = find_content::filter(ctx, &self.wanted(), self.select(&walk, &filters)?)?;
        // Ansible stops walking in the directory where the limit was reached.
        let last =
            found.last().map(|(e, _)| *e).filter(|_| self.limit.is_some_and(|l| found.len() as i64 >= l));
        let examined = find_walk::examined(&walk, last);
        Ok(self.result(&walk, found, examined))
    }
}

impl Find {
    /// What the content round trips must do: `contains` applies to `file_type: file` only,
    /// checksums to regular files (so not to `directory` or `link` searches).
    fn wanted(&self) -> Wanted<'_> {
        Wanted {
            contains: self.contains.as_deref().filter(|_| self.file_type == FileType::File),
            read_whole_file: self.read_whole_file,
            encoding: self.encoding.as_deref(),
            limit: self.limit,
            checksums: self.get_checksum && matches!(self.file_type, FileType::File | FileType::Any),
        }
    }

    /// Candidates in walk order (up to `limit` when no content is to be read).
    fn select<'a>(&self, walk: &'a Walk, f: &Filters) -> Result<Vec<&'a Entry>, ModuleError> {
        let mut found: Vec<&Entry> = Vec::new();
        for e in walk.trees.iter().flat_map(|t| t.entries.iter()) {
            if self.candidate(f, e)? {
                found.push(e);
            }
        }
        if self.contains.is_none()
            && let Some(l) = self.limit
        {
            found.truncate(l as usize);
        }
        Ok(found)
    }

    fn result(&self, walk: &Walk, files: Vec<(&Entry, Option<String>)>, examined: usize) -> Plan {
        let mut skipped = Map::new();
        let mut warnings = Vec::new();
        for (path, tree) in self.paths.iter().zip(&walk.trees) {
            if tree.top.is_none() {
                let why = format!("'{path}' is not a directory");
                warnings.push(format!("Skipped '{path}' path due to this access issue: {why}\n"));
                skipped.insert(path.clone(), why.into());
            }
        }
        for (path, why) in &walk.skipped {
            skipped.insert(path.clone(), why.clone().into());
        }
        let limited = self.limit.is_some_and(|l| files.len() as i64 >= l);
        let msg = match (warnings.is_empty(), limited) {
            (false, _) => "Not all paths examined, check warnings for details",
            (true, true) => "Limit of matches reached",
            (true, false) => "All paths examined",
        };
        let list: Vec<Value> =
            files.iter().map(|(e, sum)| Value::Object(entry_result(e, sum.as_deref()))).collect();
        let mut plan = Plan::ok(format!("{} of {examined} entries matched", list.len()))
            .with("matched", list.len())
            .with("files", list)
            .with("examined", examined)
            .with("msg", msg)
            .with("skipped_paths", skipped);
        if !warnings.is_empty() {
            plan = plan.with("warnings", warnings);
        }
        plan
    }
}

/// One entry of `files`: `path` and Ansible's `statinfo` fields.
fn entry_result(e: &Entry, checksum: Option<&str>) -> Map {
    let m = e.raw_mode;
    let kind = e.kind();
    let mut r = Map::new();
    r.insert("path".into(), e.path.clone().into());
    r.insert("mode".into(), format!("{:04o}", m & 0o7777).into());
    for (key, k) in
        [("isdir", DIR), ("ischr", 0o020000), ("isblk", 0o060000), ("isreg", REG), ("isfifo", 0o010000)]
    {
        r.insert(key.into(), (kind == k).into());
    }
    r.insert("islnk".into(), (kind == LNK).into());
    r.insert("issock".into(), (kind == 0o140000).into());
    for (key, v) in [
        ("uid", e.uid),
        ("gid", e.gid),
        ("size", e.size),
        ("inode", e.inode),
        ("dev", e.dev),
        ("nlink", e.nlink),
    ] {
        r.insert(key.into(), v.into());
    }
    for (key, v) in [("atime", e.atime), ("mtime", e.mtime), ("ctime", e.ctime)] {
        r.insert(key.into(), v.into());
    }
    r.insert("gr_name".into(), e.group.clone().into());
    r.insert("pw_name".into(), e.user.clone().into());
    for &(key, b) in super::stat::MODE_BITS {
        r.insert(key.into(), (m & b != 0).into());
    }
    if let Some(sum) = checksum {
        r.insert("checksum".into(), sum.into());
    }
    r
}

#[cfg(test)]
mod module_tests {
    use super::*;
    use crate::put::testing::Env;
    use crate::stat::Algorithm;
    use serde_json::json;

    fn names(run: &crate::put::testing::Run) -> Vec<String> {
        let mut v: Vec<String> = run.result["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn filters_on_a_real_tree() {
        let env = Env::new();
        for (f, text) in [
            ("a.log", "x\n"),
            ("b.txt", "hello\nworld\n"),
            (".h.log", ""),
            ("d/c.log", "xx"),
            ("d/e/f.log", ""),
        ] {
            env.write(f, text);
        }
        let top = env.path("");
        let run = env.run::<Find>(json!({"paths": top, "patterns": "*.log"})).unwrap();
        assert!(!run.changed);
        assert_eq!(names(&run), ["a.log"]);
        assert_eq!(run.result["examined"], 4, "a.log b.txt .h.log d");
        assert_eq!(run.result["msg"], "All paths examined");
        let run = env
            .run::<Find>(json!({"paths": [top], "patterns": ["*.log"], "recurse": true, "hidden": true}))
            .unwrap();
        assert_eq!(names(&run), [".h.log", "a.log", "c.log", "f.log"]);
        let run =
            env.run::<Find>(json!({"paths": top, "pattern": "*.log", "recurse": true, "depth": 2})).unwrap();
        assert_eq!(names(&run), ["a.log", "c.log"]);
        let run = env
            .run::<Find>(
                json!({"paths": top, "use_regex": true, "patterns": ["^[ab]\\."], "excludes": "b.*"}),
            )
            .unwrap();
        assert_eq!(names(&run), ["a.log"]);
        let run = env.run::<Find>(json!({"paths": top, "contains": "wor", "get_checksum": true})).unwrap();
        assert_eq!(names(&run), ["b.txt"]);
        assert_eq!(run.result["files"][0]["checksum"], Algorithm::Sha1.digest(b"hello\nworld\n"));
        let run = env.run::<Find>(json!({"paths": top, "file_type": "directory", "recurse": true})).unwrap();
        assert_eq!(names(&run), ["d", "e"]);
        let run = env.run::<Find>(json!({"paths": top, "size": "2", "recurse": true})).unwrap();
        assert_eq!(names(&run), ["a.log", "b.txt", "c.log"]);
        let f = &run.result["files"][0];
        assert_eq!(f["isreg"], true);
        assert_eq!(f["mode"].as_str().unwrap().len(), 4);
        std::os::unix::fs::symlink(env.path("d"), env.path("ld")).unwrap();
        let run = env
            .run::<Find>(json!({"paths": top, "patterns": "c.log", "recurse": true, "follow": true}))
            .unwrap();
        assert_eq!(names(&run), ["c.log", "c.log"], "through the link too");
        let run = env.run::<Find>(json!({"paths": top, "file_type": "link", "follow": true})).unwrap();
        assert_eq!(names(&run), ["ld"], "a followed link is still reported as a link (lstat)");
        std::fs::remove_file(env.path("ld")).unwrap();
        let run = env.run::<Find>(json!({"paths": [env.path("a.log"), top], "limit": 1})).unwrap();
        assert_eq!(run.result["matched"], 1);
        assert_eq!(run.result["msg"], "Not all paths examined, check warnings for details");
        assert_eq!(
            run.result["skipped_paths"][env.path("a.log")],
            format!("'{}' is not a directory", env.path("a.log"))
        );
    }
}
