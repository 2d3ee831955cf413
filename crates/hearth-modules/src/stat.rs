//! `stat`: report facts about a path in Ansible's `stat` result shape (`exists`, `mode`,
//! `isdir`, `checksum`, ...). Never changes anything. MIME types and file attributes
//! (`get_mime`, `get_attributes`) are accepted and not reported; `atime`, `ctime`, `inode` and
//! `dev` are not reported because the transport's stat does not carry them. Checksums are
//! computed on the control node from the file's bytes.

use serde::Deserialize;
use sha1::Digest;

use super::fileedit;
use super::put::hex;
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
pub use hearth_transport::Access;
use hearth_transport::{Cmd, FileKind, FileStat};

/// Parameters of `stat`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stat {
    /// The path to inspect.
    #[serde(alias = "dest", alias = "name")]
    pub path: String,
    /// Report on a link's target instead of the link.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub follow: bool,
    /// Compute the checksum of a regular file.
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub get_checksum: bool,
    /// Which checksum to compute.
    #[serde(default, alias = "checksum", alias = "checksum_algo")]
    pub checksum_algorithm: Algorithm,
    /// Accepted and ignored.
    #[serde(default, alias = "mime", alias = "mime_type", alias = "mime-type")]
    #[serde(deserialize_with = "super::args::de_opt_bool")]
    pub get_mime: Option<bool>,
    /// Accepted and ignored.
    #[serde(default, alias = "attr", alias = "attributes")]
    #[serde(deserialize_with = "super::args::de_opt_bool")]
    pub get_attributes: Option<bool>,
}

fn yes() -> bool {
    true
}

/// Checksum algorithms Ansible's `stat` offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// MD5.
    Md5,
    /// SHA-1 (Ansible's default).
    #[default]
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    /// Lower-case hex digest of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> String {
        match self {
            Algorithm::Md5 => hex(&md5::Md5::digest(bytes)),
            Algorithm::Sha1 => hex(&sha1::Sha1::digest(bytes)),
            Algorithm::Sha224 => hex(&sha2::Sha224::digest(bytes)),
            Algorithm::Sha256 => hex(&sha2::Sha256::digest(bytes)),
            Algorithm::Sha384 => hex(&sha2::Sha384::digest(bytes)),
            Algorithm::Sha512 => hex(&sha2::Sha512::digest(bytes)),
        }
    }
}

impl Module for Stat {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let probe = ctx.host.probe(&self.path)?;
        let Some(st) = (if self.follow { probe.stat } else { probe.lstat }) else {
            let mut missing = Map::new();
            missing.insert("exists".into(), false.into());
            return Ok(Plan::ok(format!("{} does not exist", self.path)).with("stat", missing));
        };
        let access = match probe.access {
            Some(a) => a,
            None => access(ctx, &self.path)?,
        };
        // The checksum first: it reads from the probe, which a command (realpath) forgets.
        let checksum = match (st.kind, self.get_checksum && access.readable) {
            (FileKind::File, true) => {
                ctx.host.read_file(&self.path)?.map(|b| self.checksum_algorithm.digest(&b))
            }
            _ => None,
        };
        let lnk_source = match st.kind {
            FileKind::Link => Some(fileedit::realpath(ctx.host, &self.path).unwrap_or_else(|_| {
                fileedit::join_link(&self.path, st.link_target.as_deref().unwrap_or(""))
            })),
            _ => None,
        };
        let result = stat_result(&self.path, &st, access, lnk_source, checksum);
        Ok(Plan::ok(format!("{} exists", self.path)).with("stat", result))
    }
}

/// Asks the host which access the connecting user has (one round trip), where the probe did not.
fn access(ctx: &Ctx, path: &str) -> Result<Access, ModuleError> {
    let script = r#"test -r "$1" && echo r; test -w "$1" && echo w; test -x "$1" && echo x; true"#;
    let out = ctx.host.run(&Cmd::new(["/bin/sh", "-c", script, "sh", path]))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let has = |c: &str| text.lines().any(|l| l == c);
    Ok(Access { readable: has("r"), writeable: has("w"), executable: has("x") })
}

/// The permission bits Ansible's `stat` and `find` report as booleans, by result key.
pub const MODE_BITS: &[(&str, u32)] = &[
    ("wusr", 0o200),
    ("rusr", 0o400),
    ("xusr", 0o100),
    ("wgrp", 0o020),
    ("rgrp", 0o040),
    ("xgrp", 0o010),
    ("woth", 0o002),
    ("roth", 0o004),
    ("xoth", 0o001),
    ("isuid", 0o4000),
    ("isgid", 0o2000),
];

/// Builds Ansible's `stat` dictionary for an existing path.
pub fn stat_result(
    path: &str,
    st: &FileStat,
    access: Access,
    lnk_source: Option<String>,
    checksum: Option<String>,
) -> Map {
    let m = st.mode;
    let bit = |b: u32| Value::Bool(m & b != 0);
    let mut r = Map::new();
    r.insert("exists".into(), true.into());
    r.insert("path".into(), path.into());
    r.insert("mode".into(), format!("{m:04o}").into());
    r.insert("isdir".into(), (st.kind == FileKind::Directory).into());
    r.insert("isreg".into(), (st.kind == FileKind::File).into());
    r.insert("islnk".into(), (st.kind == FileKind::Link).into());
    for key in ["ischr", "isblk", "isfifo", "issock"] {
        r.insert(key.into(), false.into());
    }
    r.insert("uid".into(), st.uid.into());
    r.insert("gid".into(), st.gid.into());
    r.insert("size".into(), st.size.into());
    r.insert("mtime".into(), st.mtime.into());
    for &(key, b) in MODE_BITS {
        r.insert(key.into(), bit(b));
    }
    r.insert("readable".into(), access.readable.into());
    r.insert("writeable".into(), access.writeable.into());
    r.insert("executable".into(), access.executable.into());
    if st.kind == FileKind::Link {
        r.insert("lnk_source".into(), lnk_source.unwrap_or_default().into());
        r.insert("lnk_target".into(), st.link_target.clone().unwrap_or_default().into());
    }
    if let Some(name) = &st.owner {
        r.insert("pw_name".into(), name.clone().into());
    }
    if let Some(name) = &st.group {
        r.insert("gr_name".into(), name.clone().into());
    }
    if let Some(sum) = checksum {
        r.insert("checksum".into(), sum.into());
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::new_stat;

    #[test]
    fn result_for_a_file() {
        let st = FileStat { mode: 0o4750, size: 3, owner: Some("root".into()), ..new_stat(FileKind::File) };
        let access = Access { readable: true, writeable: false, executable: true };
        let r = stat_result("/x", &st, access, None, Some("abc".into()));
        assert_eq!(r["mode"], "4750");
        assert_eq!(r["isreg"], true);
        assert_eq!(r["isdir"], false);
        assert_eq!(r["xgrp"], true);
        assert_eq!(r["roth"], false);
        assert_eq!(r["isuid"], true);
        assert_eq!(r["pw_name"], "root");
        assert_eq!(r["checksum"], "abc");
        assert!(!r.contains_key("lnk_target"));
        assert!(!r.contains_key("gr_name"));
    }

    #[test]
    fn result_for_a_link() {
        let st = FileStat { link_target: Some("b".into()), mode: 0o777, ..new_stat(FileKind::Link) };
        let r = stat_result("/a", &st, Access::default(), Some("/b".into()), None);
        assert_eq!(r["islnk"], true);
        assert_eq!(r["lnk_target"], "b");
        assert_eq!(r["lnk_source"], "/b");
    }

    #[test]
    fn digests() {
        assert_eq!(Algorithm::Sha1.digest(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(Algorithm::Md5.digest(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            Algorithm::Sha256.digest(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

#[cfg(test)]
mod module_tests {
    use super::*;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn stat_file_link_and_missing() {
        let env = Env::new();
        env.write("f", "hello\n");
        std::os::unix::fs::symlink("f", env.path("l")).unwrap();
        let run = env.run::<Stat>(json!({"path": env.path("f")})).unwrap();
        assert!(!run.changed);
        let st = &run.result["stat"];
        assert_eq!(st["exists"], true);
        assert_eq!(st["isreg"], true);
        assert_eq!(st["checksum"], "f572d396fae9206628714fb2ce00f72e94f2258f");
        assert_eq!(st["readable"], true);
        let run = env.run::<Stat>(json!({"path": env.path("l"), "checksum_algorithm": "sha256"})).unwrap();
        assert_eq!(run.result["stat"]["islnk"], true);
        assert_eq!(
            run.result["stat"]["lnk_source"],
            std::fs::canonicalize(env.path("f")).unwrap().to_str().unwrap()
        );
        let run = env.run::<Stat>(json!({"path": env.path("l"), "follow": true, "checksum": "md5"})).unwrap();
        assert_eq!(run.result["stat"]["checksum"], "b1946ac92492d2347c6235b4d2611184");
        let run = env.run::<Stat>(json!({"path": env.path("nope")})).unwrap();
        assert_eq!(run.result["stat"], json!({"exists": false}));
    }
}

#[cfg(test)]
mod registry_tests {
    use serde_json::json;

    #[test]
    fn aliases_pass_the_registry_parameter_check() {
        for (name, args) in [
            ("stat", json!({"dest": "/x", "checksum_algo": "sha256", "mime": true})),
            ("file", json!({"name": "/x", "state": "absent"})),
            ("copy", json!({"content": "x", "dest": "/x", "owner": "root"})),
            ("template", json!({"src": "a.j2", "dest": "/x"})),
        ] {
            let spec = crate::registry::lookup(name).unwrap();
            assert!((spec.build)(args).is_ok(), "{name}");
        }
    }
}
