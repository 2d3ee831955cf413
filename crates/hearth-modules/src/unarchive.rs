//! `unarchive`: unpack a tar or zip archive (from the control node, or on the host with
//! `remote_src`) into an existing directory with the host's own `tar`/`unzip`, like Ansible's
//! `unarchive`. Idempotent: a tar is compared with `tar --diff`, a zip by `unzip -Z` sizes.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Attrs, Cmd, FileKind, Transport};

crate::file_attrs::file_params! {
    /// Parameters of `unarchive`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Unarchive {
        /// The archive: a control-node file (searched in `files/`), or a host path with `remote_src`.
        pub src: String,
        /// Existing directory to unpack into.
        pub dest: String,
        /// `src` is already on the host.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub remote_src: bool,
        /// Skip when this path exists on the host.
        pub creates: Option<String>,
        /// Return the archive's member names as `files`.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub list_files: bool,
        /// Member names or patterns not to extract.
        #[serde(default, deserialize_with = "super::args::de_list")]
        pub exclude: Vec<String>,
        /// Only these member names or patterns are extracted.
        #[serde(default, deserialize_with = "super::args::de_list")]
        pub include: Vec<String>,
        /// Extra options passed to `tar` or `unzip`.
        #[serde(default, deserialize_with = "super::args::de_list")]
        pub extra_opts: Vec<String>,
        /// Do not replace files that are newer than the archive's members.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub keep_newer: bool,
        ..FileAttrs,
        /// Accepted (a vaulted control-node archive is sent as it is).
        #[serde(default, deserialize_with = "super::args::de_opt_bool")]
        pub decrypt: Option<bool>,
    }
}

/// Which tool unpacks an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// `tar`, with the compression flag it needs (empty for plain tar).
    Tar(&'static str),
    /// `unzip`.
    Zip,
}

impl Handler {
    /// Ansible's handler name for results.
    pub fn name(self) -> &'static str {
        match self {
            Handler::Tar(_) => "TgzArchive",
            Handler::Zip => "ZipArchive",
        }
    }
}

/// Picks the handler from the archive's first bytes (magic numbers), then its name.
pub fn detect(head: &[u8], name: &str) -> Option<Handler> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(Handler::Zip);
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Some(Handler::Tar("-z"));
    }
    if head.starts_with(b"BZh") {
        return Some(Handler::Tar("-j"));
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Some(Handler::Tar("-J"));
    }
    if head.len() > 262 && &head[257..262] == b"ustar" {
        return Some(Handler::Tar(""));
    }
    let n = name.to_ascii_lowercase();
    if n.ends_with(".zip") {
        Some(Handler::Zip)
    } else if n.ends_with(".tar") {
        Some(Handler::Tar(""))
    } else {
        None
    }
}

fn out_text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Unarchive {
    /// The command listing the archive's members.
    fn list_cmd(&self, h: Handler, archive: &str) -> Cmd {
        match h {
            Handler::Tar(z) => {
                let mut v = vec!["tar".to_string(), "-t".into()];
                if !z.is_empty() {
                    v.push(z.into());
                }
                v.extend(["-f".into(), archive.to_string()]);
                Cmd::new(v)
            }
            Handler::Zip => Cmd::new(["unzip", "-Z1", archive]),
        }
    }

    /// The command unpacking (`extract`) or comparing (`!extract`, tar only) the archive.
    fn tar_cmd(&self, z: &str, archive: &str, extract: bool) -> Cmd {
        let mut v = vec!["tar".to_string(), "-C".into(), self.dest.clone()];
        v.push(if extract { "-x".into() } else { "-d".into() });
        if !z.is_empty() {
            v.push(z.into());
        }
        if self.keep_newer && extract {
            v.push("--keep-newer-files".into());
        }
        v.extend(self.exclude.iter().map(|e| format!("--exclude={e}")));
        v.extend(self.extra_opts.iter().cloned());
        v.extend(["-f".into(), archive.to_string()]);
        v.extend(self.include.iter().cloned());
        Cmd::new(v)
    }

    /// The command unpacking a zip archive.
    fn zip_cmd(&self, archive: &str) -> Cmd {
        let mut v = vec!["unzip".to_string(), "-q".into(), "-o".into()];
        v.extend(self.extra_opts.iter().cloned());
        v.push(archive.to_string());
        v.extend(self.include.iter().cloned());
        if !self.exclude.is_empty() {
            v.push("-x".into());
            v.extend(self.exclude.iter().cloned());
        }
        v.extend(["-d".into(), self.dest.clone()]);
        Cmd::new(v)
    }

    /// True when every zip member exists in dest with the same size.
    fn zip_matches(&self, host: &dyn Transport, archive: &str) -> Result<bool, ModuleError> {
        let out = host.run(&Cmd::new(["unzip", "-Zl", archive]))?;
        if out.rc != 0 {
            return Ok(false);
        }
        for line in out_text(&out.stdout).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || !(f[0].starts_with('-') || f[0].starts_with('d')) {
                continue;
            }
            let name = f[9..].join(" ");
            let path = format!("{}/{}", self.dest.trim_end_matches('/'), name);
            let Some(st) = host.stat(&path, false)? else { return Ok(false) };
            if f[0].starts_with('-') && f[3].parse::<u64>().ok() != Some(st.size) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Unpacks `archive` on the host and applies mode/owner/group to the listed files.
    fn extract(
        &self,
        host: &dyn Transport,
        h: Handler,
        archive: &str,
        files: &[String],
    ) -> Result<(), ModuleError> {
        let cmd = match h {
            Handler::Tar(z) => self.tar_cmd(z, archive, true),
            Handler::Zip => self.zip_cmd(archive),
        };
        let out = host.run(&cmd)?;
        if out.rc != 0 {
            let mut result = Map::new();
            result.insert("rc".into(), Value::from(out.rc));
            result.insert("stderr".into(), Value::from(out_text(&out.stderr)));
            let msg = format!("failed to unpack {archive} to {}", self.dest);
            return Err(ModuleError::Failed { msg, result });
        }
        if self.file_attrs().any() {
            let attrs = self.file_attrs().resolve(None)?;
            for f in files {
                let path = format!("{}/{}", self.dest.trim_end_matches('/'), f.trim_end_matches('/'));
                host.set_attrs(&path, &attrs)?;
            }
        }
        Ok(())
    }
}

impl Module for Unarchive {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let host = ctx.host;
        if let Some(c) = &self.creates
            && host.stat(c, true)?.is_some()
        {
            let msg = format!("skipped, since {c} exists");
            return Ok(Plan::ok(msg.clone()).with("msg", msg).with("skipped", true));
        }
        if self.src.starts_with("http://") || self.src.starts_with("https://") {
            return Err(ModuleError::msg("hearth's unarchive does not download URLs; use get_url first"));
        }
        match host.stat(&self.dest, true)? {
            Some(st) if st.kind == FileKind::Directory => {}
            _ => return Err(ModuleError::msg(format!("dest '{}' must be an existing dir", self.dest))),
        }
        let (bytes, local_path) = if self.remote_src {
            let b = host
                .read_file(&self.src)?
                .ok_or_else(|| ModuleError::msg(format!("Source '{}' does not exist", self.src)))?;
            (b, None)
        } else {
            let p = ctx
                .search
                .find("files", &self.src)
                .ok_or_else(|| ModuleError::msg(format!("Could not find or access '{}'", self.src)))?;
            let b = std::fs::read(&p).map_err(|e| ModuleError::msg(format!("{}: {e}", p.display())))?;
            (b, Some(p.to_string_lossy().into_owned()))
        };
        let h = detect(&bytes[..bytes.len().min(512)], &self.src).ok_or_else(|| {
            ModuleError::msg(format!("Failed to find handler for \"{}\". Make sure the required command to extract the file is installed.", self.src))
        })?;
        let archive = if self.remote_src {
            self.src.clone()
        } else {
            let tmp = host.run(&Cmd::new(["mktemp", "/tmp/.hearth-unarchive.XXXXXX"]))?;
            let t = out_text(&tmp.stdout).trim().to_string();
            if tmp.rc != 0 || t.is_empty() {
                return Err(ModuleError::msg("could not create a temporary file on the host"));
            }
            host.write_file(&t, &bytes, &Attrs::default())?;
            t
        };
        let res = self.plan_on_host(host, h, &archive);
        let cleanup = |host: &dyn Transport| {
            if !self.remote_src {
                let _ = host.remove(&archive);
            }
        };
        let (matches, files) = match res {
            Ok(v) => v,
            Err(e) => {
                cleanup(host);
                return Err(e);
            }
        };
        let src = local_path.unwrap_or_else(|| self.src.clone());
        let mut plan = if matches {
            cleanup(host);
            Plan::ok(format!("{} already matches {src}", self.dest))
        } else {
            let me = Unarchive { ..self.clone_params() };
            let (arch, fl) = (archive.clone(), files.clone());
            let remote = self.remote_src;
            Plan::change(
                format!("unpack {src} into {}", self.dest),
                Box::new(move |ctx: &Ctx| {
                    let r = me.extract(ctx.host, h, &arch, &fl);
                    if !remote {
                        let _ = ctx.host.remove(&arch);
                    }
                    r.map(|()| Map::new())
                }),
            )
        };
        plan = plan.with("dest", self.dest.clone()).with("src", src).with("handler", h.name());
        if self.list_files {
            plan = plan.with("files", Value::from(files.into_iter().map(Value::from).collect::<Vec<_>>()));
        }
        Ok(plan)
    }
}

impl Unarchive {
    /// A copy of the parameters for the action closure.
    fn clone_params(&self) -> Unarchive {
        Unarchive {
            src: self.src.clone(),
            dest: self.dest.clone(),
            remote_src: self.remote_src,
            creates: self.creates.clone(),
            list_files: self.list_files,
            exclude: self.exclude.clone(),
            include: self.include.clone(),
            extra_opts: self.extra_opts.clone(),
            keep_newer: self.keep_newer,
            mode: self.mode.clone(),
            owner: self.owner.clone(),
            group: self.group.clone(),
            decrypt: self.decrypt,
        }
    }

    /// Lists the archive and compares it with dest: (already unpacked, member names).
    fn plan_on_host(
        &self,
        host: &dyn Transport,
        h: Handler,
        archive: &str,
    ) -> Result<(bool, Vec<String>), ModuleError> {
        let out = host.run(&self.list_cmd(h, archive))?;
        if out.rc == 127 {
            let tool = if h == Handler::Zip { "unzip" } else { "tar" };
            return Err(ModuleError::msg(format!(
                "Failed to find handler for \"{}\". Make sure the required command to extract the file is installed. Unable to find required '{tool}' binary in the path.",
                self.src
            )));
        }
        if out.rc != 0 {
            return Err(ModuleError::msg(format!(
                "Failed to list {}: {}",
                self.src,
                out_text(&out.stderr).trim()
            )));
        }
        let files: Vec<String> = out_text(&out.stdout).lines().map(str::to_string).collect();
        let matches = match h {
            Handler::Tar(z) => host.run(&self.tar_cmd(z, archive, false))?.rc == 0,
            Handler::Zip => self.zip_matches(host, archive)?,
        };
        Ok((matches, files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic_then_name() {
        assert_eq!(detect(b"PK\x03\x04rest", "a.bin"), Some(Handler::Zip));
        assert_eq!(detect(&[0x1f, 0x8b, 8], "a"), Some(Handler::Tar("-z")));
        assert_eq!(detect(b"BZh9", "a"), Some(Handler::Tar("-j")));
        assert_eq!(detect(b"xx", "a.tar"), Some(Handler::Tar("")));
        assert_eq!(detect(b"xx", "a.txt"), None);
        assert_eq!(Handler::Zip.name(), "ZipArchive");
    }
}
