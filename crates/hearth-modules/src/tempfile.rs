//! `tempfile`: create a uniquely named file (mode 0600) or directory (0700) on the host, like
//! Python's `mkstemp`/`mkdtemp` that Ansible's module calls: `PREFIX` + 8 random characters
//! from `[a-z0-9_]` + `SUFFIX`, in `path` or else `$TMPDIR` or `/tmp`. Always changed; skipped
//! in check mode, as in Ansible (the module cannot say what name it would create).

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Outcome, Plan};
use hearth_formats::value::Map;
use hearth_transport::Cmd;

/// Parameters of `tempfile`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tempfile {
    /// `file` (default) or `directory`.
    #[serde(default)]
    pub state: Kind,
    /// Directory to create it in (default `$TMPDIR` or `/tmp`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub path: Option<String>,
    /// Start of the name (default `ansible.`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub prefix: Option<String>,
    /// End of the name (default none).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub suffix: Option<String>,
}

/// What to create.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A file (mode 0600).
    #[default]
    File,
    /// A directory (mode 0700).
    Directory,
}

/// Creates the name exclusively (noclobber for a file, `mkdir` for a directory), retrying on a
/// clash. `$1` is `file` or `directory`, `$2` the directory ("" for the default), `$3`/`$4`
/// prefix and suffix. Prints the path.
const SCRIPT: &str = r#"umask 077
d=${2:-${TMPDIR:-/tmp}}
i=0
while [ $i -lt 100 ]; do
  r=$(LC_ALL=C tr -dc 'a-z0-9_' </dev/urandom | head -c 8)
  p="${d%/}/$3$r$4"
  if [ "$1" = directory ]; then
    mkdir -- "$p" 2>/dev/null && { printf %s "$p"; exit 0; }
  else
    (set -C; : > "$p") 2>/dev/null && { printf %s "$p"; exit 0; }
  fi
  [ -d "$d" ] || { echo "[Errno 2] No such file or directory: '$p'" >&2; exit 1; }
  [ -w "$d" ] || { echo "[Errno 13] Permission denied: '$p'" >&2; exit 1; }
  i=$((i + 1))
done
echo "No usable temporary file name found" >&2; exit 1"#;

impl Module for Tempfile {
    fn plan(&self, _ctx: &Ctx) -> Result<Plan, ModuleError> {
        let kind = if self.state == Kind::Directory { "directory" } else { "file" };
        let (kind, dir) = (kind.to_string(), self.path.clone().unwrap_or_default());
        let prefix = self.prefix.clone().unwrap_or_else(|| "ansible.".into());
        let suffix = self.suffix.clone().unwrap_or_default();
        let action: crate::module::Action = Box::new(move |ctx: &Ctx| {
            let out =
                ctx.host.run(&Cmd::new(["/bin/sh", "-c", SCRIPT, "sh", &kind, &dir, &prefix, &suffix]))?;
            if out.rc != 0 {
                return Err(ModuleError::msg(String::from_utf8_lossy(&out.stderr).trim().to_string()));
            }
            let mut result = Map::new();
            result.insert("path".into(), String::from_utf8_lossy(&out.stdout).into_owned().into());
            Ok(result)
        });
        Ok(Plan { outcome: Outcome::Run(action), diffs: Vec::new(), result: Map::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn creates_unique_private_files_and_directories() {
        let env = Env::new();
        let dir = env.path("");
        let run = env.run::<Tempfile>(json!({"path": dir, "prefix": "x.", "suffix": ".conf"})).unwrap();
        assert!(run.changed);
        let path = run.result["path"].as_str().unwrap().to_string();
        let name = path.rsplit('/').next().unwrap();
        assert!(name.starts_with("x.") && name.ends_with(".conf") && name.len() == 2 + 8 + 5, "{name}");
        assert_eq!(env.mode(name), 0o600);
        let run = env.run::<Tempfile>(json!({"path": dir, "state": "directory"})).unwrap();
        let name = run.result["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
        assert!(name.starts_with("ansible."), "{name}");
        assert_eq!(env.mode(&name), 0o700);
        assert_ne!(run.result["path"], path.as_str());
        let err = env.run::<Tempfile>(json!({"path": env.path("nope")})).err().unwrap();
        assert!(err.to_string().starts_with("[Errno 2] No such file or directory: "), "{err}");
    }
}
