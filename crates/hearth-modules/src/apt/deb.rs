//! `apt: deb=...`: a `.deb` file on the target, or a URL downloaded on the target (curl or
//! wget) into a private temporary directory. Idempotent by the package's name and version as
//! `dpkg-deb -f` reads them; apt-get installs the file so its dependencies come from the
//! repositories. It does not verify signatures of the file (neither does Ansible).

use super::apt_get::{Work, simulate};
use super::debver;
use super::host::AptRunner;
use super::params::Apt;
use crate::module::ModuleError;
use hearth_transport::Cmd;

/// Downloads `$1` into a new directory (printed), readable by apt's `_apt` user.
const FETCH: &str = r#"d=$(mktemp -d /tmp/hearth-deb.XXXXXX) || exit 1
chmod 755 "$d"; f="$d/package.deb"
if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$f" "$1" || { rm -rf "$d"; exit 1; }
elif command -v wget >/dev/null 2>&1; then wget -q -O "$f" "$1" || { rm -rf "$d"; exit 1; }
else echo "neither curl nor wget is installed" >&2; rm -rf "$d"; exit 1; fi
echo "$d""#;

/// Decides whether the `.deb` must be installed; `keep` keeps a download for the action.
pub fn decide(p: &Apt, runner: &AptRunner, deb: &str, keep: bool) -> Result<Option<Work>, ModuleError> {
    let host = runner.host;
    let (path, dir) = if deb.contains("://") {
        let out = host.run(&Cmd::new(["/bin/sh", "-c", FETCH, "sh", deb]))?;
        if out.rc != 0 {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(ModuleError::msg(format!("failed to download {deb}: {why}")));
        }
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (format!("{dir}/package.deb"), Some(dir))
    } else {
        (deb.to_string(), None)
    };
    let cleanup = |dir: &Option<String>| {
        if let Some(d) = dir {
            let _ = host.run(&Cmd::new(["rm", "-rf", d.as_str()]));
        }
    };
    let result = inspect(p, runner, deb, &path, dir.clone());
    match result {
        Ok(Some(w)) if keep => Ok(Some(w)),
        other => {
            cleanup(&dir);
            other
        }
    }
}

fn inspect(
    p: &Apt,
    runner: &AptRunner,
    deb: &str,
    path: &str,
    dir: Option<String>,
) -> Result<Option<Work>, ModuleError> {
    let host = runner.host;
    let out = host.run(&Cmd::new(["dpkg-deb", "-f", path, "Package", "Version"]))?;
    if out.rc != 0 {
        let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(ModuleError::msg(format!("cannot read package {deb}: {why}")));
    }
    let (name, version) = control_fields(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| ModuleError::msg(format!("{deb} has no Package/Version fields")))?;
    let q = host.run(&Cmd::new([
        "dpkg-query".to_string(),
        "-W".into(),
        "-f".into(),
        "${Version}\t${db:Status-Abbrev}\n".into(),
        name.clone(),
    ]))?;
    let text = String::from_utf8_lossy(&q.stdout);
    let installed = text.lines().find_map(|l| {
        let (v, s) = l.split_once('\t')?;
        (s.chars().nth(1) == Some('i')).then(|| v.to_string())
    });
    if let Some(v) = &installed {
        if *v == version {
            return Ok(None);
        }
        if debver::compare(&version, v).is_lt() && !(p.allow_downgrade || p.force) {
            return Err(ModuleError::msg(format!(
                "{name}: installed version {v} is newer than {version} in {deb}; set allow_downgrade: true"
            )));
        }
    }
    simulate(p, runner, vec!["install".into(), path.to_string()], dir)
}

/// Reads `Package: x` and `Version: y` from `dpkg-deb -f` output.
pub fn control_fields(text: &str) -> Option<(String, String)> {
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix(':')).map(|v| v.trim().to_string()))
    };
    Some((field("Package")?, field("Version")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control() {
        assert_eq!(
            control_fields("Package: hello\nVersion: 1:2.0-1\n"),
            Some(("hello".into(), "1:2.0-1".into()))
        );
        assert_eq!(control_fields("Package: x\n"), None);
    }
}
