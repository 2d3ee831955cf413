//! `slurp`: read a file on the host and return it base64-encoded (`content`, `encoding`,
//! `source`), with Ansible's messages for a missing, unreadable or directory source. Never
//! changes anything. [`read`] is shared with `fetch`, which needs the same bytes and errors.

use base64::Engine;
use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_transport::{Cmd, FileKind};

/// Parameters of `slurp`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slurp {
    /// The file to read.
    #[serde(alias = "path")]
    pub src: String,
}

/// Why a file could not be read, worded like Ansible's `slurp`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Nothing at the path.
    #[error("file not found: {0}")]
    Missing(String),
    /// The path is a directory.
    #[error("source is a directory and must be a file: {0}")]
    Directory(String),
    /// The connecting (or become) user may not read it.
    #[error("file is not readable: {0}")]
    Unreadable(String),
    /// Anything else the host reported.
    #[error("unable to slurp file: {0}")]
    Other(String),
}

/// The bytes of `src` on the host (through links), in one round trip for small files.
pub fn read(ctx: &Ctx, src: &str) -> Result<Vec<u8>, ReadError> {
    let probe = ctx.host.probe(src).map_err(|e| ReadError::Other(e.to_string()))?;
    match (&probe.stat, probe.content) {
        (None, _) if behind_closed_dir(ctx, src) => Err(ReadError::Unreadable(src.into())),
        (None, _) => Err(ReadError::Missing(src.into())),
        (Some(st), _) if st.kind == FileKind::Directory => Err(ReadError::Directory(src.into())),
        (_, Some(bytes)) => Ok(bytes),
        (Some(_), None) => match ctx.host.read_file(src) {
            Ok(Some(bytes)) => Ok(bytes),
            Ok(None) => Err(ReadError::Missing(src.into())),
            Err(e) if e.to_string().contains("Permission denied") => Err(ReadError::Unreadable(src.into())),
            Err(e) => Err(ReadError::Other(e.to_string())),
        },
    }
}

/// Whether the deepest existing directory above `src` may not be searched, so the user cannot
/// even see whether `src` exists (Python's `open` then fails with EACCES, not ENOENT).
fn behind_closed_dir(ctx: &Ctx, src: &str) -> bool {
    const SCRIPT: &str = r#"d=$(dirname -- "$1")
while [ ! -d "$d" ] && [ "$d" != / ] && [ "$d" != . ]; do d=$(dirname -- "$d"); done
[ -x "$d" ] || exit 13"#;
    ctx.host.run(&Cmd::new(["/bin/sh", "-c", SCRIPT, "sh", src])).is_ok_and(|out| out.rc == 13)
}

impl Module for Slurp {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let bytes = read(ctx, &self.src).map_err(|e| ModuleError::msg(e.to_string()))?;
        let content = base64::engine::general_purpose::STANDARD.encode(&bytes);
        Ok(Plan::ok(format!("read {} bytes of {}", bytes.len(), self.src))
            .with("content", content)
            .with("encoding", "base64")
            .with("source", self.src.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn content_and_errors() {
        let env = Env::new();
        env.write("f", "hello\n");
        let run = env.run::<Slurp>(json!({"src": env.path("f")})).unwrap();
        assert!(!run.changed);
        assert_eq!(run.result["content"], "aGVsbG8K");
        assert_eq!(run.result["encoding"], "base64");
        assert_eq!(run.result["source"], env.path("f"));
        let missing = env.run::<Slurp>(json!({"path": env.path("nope")})).err().unwrap();
        assert_eq!(missing.to_string(), format!("file not found: {}", env.path("nope")));
        let dir = env.run::<Slurp>(json!({"src": env.path("")})).err().unwrap();
        assert!(dir.to_string().starts_with("source is a directory and must be a file: "));
    }
}
