//! The apt module's round trips: one script that reads the cache age and the dpkg status of
//! every named package, `apt-get`/`apt-cache` runs with the non-interactive environment, and
//! the bounded wait for the dpkg/apt locks that unattended-upgrades holds on fresh hosts.
//! It decides nothing about desired state (see `apt.rs`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::parse::{Installed, parse_dpkg_query};
use crate::module::ModuleError;
use hearth_formats::value::{Map, Value};
use hearth_transport::{Cmd, CmdOutput, Transport};

/// Ansible's `APT_UPDATE_SUCCESS_STAMP_PATH`; the lists directory is the fallback.
const STAMP: &str = "/var/lib/apt/periodic/update-success-stamp";

/// Prints apt-get's presence, the target's clock, the cache mtime, then dpkg-query lines.
const READ_STATE: &str = r#"command -v apt-get >/dev/null 2>&1 && echo apt=yes || echo apt=no
date +%s
stat -c %Y "$0" 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0
[ $# -eq 0 ] || dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n' "$@" 2>/dev/null
exit 0"#;

/// The host's apt state as the module needs it.
#[derive(Debug, Clone)]
pub struct AptState {
    /// The target's clock, seconds since the epoch.
    pub now: i64,
    /// When the cache was last updated (stamp file or lists directory mtime).
    pub cache_mtime: i64,
    /// dpkg's view of the named packages (absent: unknown or not installed).
    pub packages: BTreeMap<String, Installed>,
}

/// One round trip: cache age and the status of `names` (names without version specs).
pub fn read_state(host: &dyn Transport, names: &[String]) -> Result<AptState, ModuleError> {
    let mut argv = vec!["/bin/sh".to_string(), "-c".into(), READ_STATE.into(), STAMP.into()];
    argv.extend(names.iter().cloned());
    let out = host.run(&Cmd::new(argv))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines().skip_while(|l| !l.starts_with("apt="));
    if lines.next() != Some("apt=yes") {
        return Err(ModuleError::msg(
            "apt-get not found on the host: the apt module needs a Debian-family target",
        ));
    }
    let mut num = || lines.next().and_then(|l| l.trim().parse::<i64>().ok()).unwrap_or(0);
    let (now, cache_mtime) = (num(), num());
    let rest: Vec<&str> = lines.collect();
    Ok(AptState { now, cache_mtime, packages: parse_dpkg_query(&rest.join("\n")) })
}

/// Runs apt tools with the non-interactive environment, waiting for the dpkg/apt locks.
pub struct AptRunner<'a> {
    /// The connection (become already applied by the engine).
    pub host: &'a dyn Transport,
    /// How long to wait for locks, in seconds (Ansible's `lock_timeout`).
    pub lock_timeout: u64,
}

/// Whether apt's error says another process holds a lock (retry instead of failing).
pub fn is_lock_error(stderr: &str) -> bool {
    ["Could not get lock", "Unable to lock", "Unable to acquire the dpkg frontend lock", "is locked by"]
        .iter()
        .any(|m| stderr.contains(m))
}

impl AptRunner<'_> {
    /// Runs `argv` (apt-get or apt-cache …) until it does not fail on a lock or time runs out.
    pub fn run(&self, argv: Vec<String>) -> Result<CmdOutput, ModuleError> {
        let mut cmd = Cmd::new(argv);
        cmd.env = vec![
            ("DEBIAN_FRONTEND".into(), "noninteractive".into()),
            ("DEBCONF_NONINTERACTIVE_SEEN".into(), "true".into()),
            ("NEEDRESTART_MODE".into(), "l".into()),
            ("LC_ALL".into(), "C".into()),
        ];
        let deadline = Instant::now() + Duration::from_secs(self.lock_timeout);
        loop {
            let out = self.host.run(&cmd)?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.rc != 0 && is_lock_error(&stderr) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            return Ok(out);
        }
    }

    /// The lock-wait option apt itself honours (apt >= 1.9.11), before our own retries.
    pub fn lock_option(&self) -> [String; 2] {
        ["-o".into(), format!("DPkg::Lock::Timeout={}", self.lock_timeout)]
    }

    /// `apt-get update`; a failed fetch is an error (not just a warning) like Ansible's.
    pub fn update_cache(&self) -> Result<(), ModuleError> {
        let mut argv = vec!["apt-get".to_string(), "update".into(), "-q".into()];
        argv.extend(self.lock_option());
        argv.extend(["-o".into(), "APT::Update::Error-Mode=any".into()]);
        let out = self.run(argv)?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let failed_fetch = stderr.lines().any(|l| l.starts_with("E:") || l.contains("Failed to fetch"));
        if out.rc != 0 || failed_fetch {
            let mut r = output_fields(&out);
            r.insert("rc".into(), Value::from(out.rc));
            let first = stderr.lines().find(|l| l.starts_with("E:") || l.starts_with("W:")).unwrap_or("");
            return Err(ModuleError::Failed {
                msg: format!("Failed to update apt cache: {first}"),
                result: r,
            });
        }
        Ok(())
    }

    /// Runs an apt-get command that must succeed; its output becomes the result fields.
    pub fn must(&self, argv: Vec<String>, what: &str) -> Result<Map, ModuleError> {
        let shown = argv.join(" ");
        let out = self.run(argv)?;
        let mut r = output_fields(&out);
        if out.rc != 0 {
            r.insert("rc".into(), Value::from(out.rc));
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr.lines().filter(|l| l.starts_with("E:")).collect::<Vec<_>>().join("; ");
            let why = if why.is_empty() { stderr.trim().to_string() } else { why };
            return Err(ModuleError::Failed { msg: format!("'{shown}' failed to {what}: {why}"), result: r });
        }
        Ok(r)
    }
}

/// `stdout`, `stderr` and their `_lines`, as Ansible's apt returns them.
pub fn output_fields(out: &CmdOutput) -> Map {
    let mut r = Map::new();
    for (k, b) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let s = String::from_utf8_lossy(b).into_owned();
        let lines: Vec<String> = s.lines().map(str::to_string).collect();
        r.insert(format!("{k}_lines"), Value::from(lines));
        r.insert(k.into(), Value::String(s));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_messages() {
        assert!(is_lock_error(
            "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 12 (apt-get)"
        ));
        assert!(is_lock_error("E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend)"));
        assert!(!is_lock_error("E: Unable to locate package nope"));
    }
}
