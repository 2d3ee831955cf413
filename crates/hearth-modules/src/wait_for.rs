//! `wait_for`: wait for a port to open or close, a file to appear (optionally containing a
//! regex) or disappear, or just a number of seconds. The polling runs on the host in one
//! POSIX sh loop (`wait_for.sh`: bash's /dev/tcp, else nc), so a wait costs one round trip
//! instead of one per try, and "127.0.0.1" means the host itself as in Ansible. It reads only,
//! so it also runs in check mode. `state: drained`, `exclude_hosts` and
//! `active_connection_states` are not supported; `match_groups` is filled for files only.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// Parameters of `wait_for`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitFor {
    /// Host to connect to for `port` (default 127.0.0.1, seen from the target).
    pub host: Option<String>,
    /// TCP port to wait for.
    #[serde(default, deserialize_with = "opt_int")]
    pub port: Option<i64>,
    /// File to wait for.
    pub path: Option<String>,
    /// Regex (Python syntax) the file or the port's banner must match.
    pub search_regex: Option<String>,
    /// `started`/`present` (default), `stopped`/`absent`.
    pub state: Option<String>,
    /// Seconds before giving up (default 300).
    #[serde(default, deserialize_with = "opt_int")]
    pub timeout: Option<i64>,
    /// Seconds to wait before the first check (default 0).
    #[serde(default, deserialize_with = "opt_int")]
    pub delay: Option<i64>,
    /// Seconds between checks (default 1).
    #[serde(default, deserialize_with = "opt_int")]
    pub sleep: Option<i64>,
    /// Seconds each connection attempt may take (default 5).
    #[serde(default, deserialize_with = "opt_int")]
    pub connect_timeout: Option<i64>,
    /// Message on timeout instead of the default one.
    pub msg: Option<String>,
}

fn opt_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    super::args::de_int(d).map(Some)
}

const SCRIPT: &str = include_str!("wait_for.sh");

/// The default timeout message, worded like Ansible's.
pub fn timeout_msg(
    host: &str,
    port: Option<i64>,
    path: Option<&str>,
    regex: Option<&str>,
    absent: bool,
) -> String {
    match (port, path, regex, absent) {
        (Some(p), _, _, true) => format!("Timeout when waiting for {host}:{p} to stop."),
        (Some(p), _, Some(r), false) => format!("Timeout when waiting for search string {r} in {host}:{p}"),
        (Some(p), _, None, false) => format!("Timeout when waiting for {host}:{p}"),
        (None, Some(f), _, true) => format!("Timeout when waiting for {f} to be absent."),
        (None, Some(f), Some(r), false) => format!("Timeout when waiting for search string {r} in {f}"),
        (None, Some(f), None, false) => format!("Timeout when waiting for file {f}"),
        (None, None, _, _) => "Timeout".into(),
    }
}

/// The script's `elapsed=N` line and what follows it (the file, for match groups).
pub fn parse_output(out: &str) -> (i64, &str) {
    let (first, rest) = out.split_once('\n').unwrap_or((out, ""));
    (first.strip_prefix("elapsed=").and_then(|n| n.trim().parse().ok()).unwrap_or(0), rest)
}

/// Groups of the first match of a Python regex (MULTILINE, like Ansible) in `text`.
pub fn match_groups(regex: &str, text: &str) -> Result<Vec<Value>, ModuleError> {
    let re = hearth_formats::pyre::compile(&format!("(?m){regex}"))
        .map_err(|e| ModuleError::msg(format!("Invalid regular expression: {e}")))?;
    let caps = re.captures(text.as_bytes()).map_err(|e| ModuleError::msg(e.to_string()))?;
    Ok(caps
        .map(|c| {
            (1..c.len())
                .map(|i| c.get(i).map_or(Value::Null, |m| Value::String(m.as_str().into_owned())))
                .collect()
        })
        .unwrap_or_default())
}

impl Module for WaitFor {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let state = self.state.as_deref().unwrap_or("started");
        let absent = match state {
            "started" | "present" => false,
            "stopped" | "absent" => true,
            "drained" => return Err(ModuleError::msg("wait_for: state=drained is not supported")),
            s => {
                return Err(ModuleError::msg(format!(
                    "value of state must be one of: absent, drained, present, started, stopped, got: {s}"
                )));
            }
        };
        let mode = match (self.port, &self.path) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::msg("port and path parameter can not both be passed to wait_for"));
            }
            (None, Some(_)) if state == "stopped" => {
                return Err(ModuleError::msg(
                    "state=stopped should only be used for checking a port in the wait_for module",
                ));
            }
            (Some(_), None) => "port",
            (None, Some(_)) => "path",
            (None, None) => "sleep",
        };
        if let Some(r) = &self.search_regex {
            match_groups(r, "")?;
        }
        let host = self.host.clone().unwrap_or_else(|| "127.0.0.1".into());
        let timeout = self.timeout.unwrap_or(300).max(0);
        let num = |v: Option<i64>, d: i64| v.unwrap_or(d).max(0).to_string();
        let argv = [
            "/bin/sh",
            "-c",
            SCRIPT,
            "wait_for",
            mode,
            state,
            &host,
            &self.port.map(|p| p.to_string()).unwrap_or_default(),
            self.path.as_deref().unwrap_or(""),
            self.search_regex.as_deref().unwrap_or(""),
            &timeout.to_string(),
            &num(self.delay, 0),
            &self.sleep.unwrap_or(1).max(1).to_string(),
            &num(self.connect_timeout, 5),
        ];
        let out = ctx.host.run(&Cmd::new(argv))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let (elapsed, content) = parse_output(&stdout);
        let mut r = Map::new();
        r.insert("elapsed".into(), Value::from(elapsed));
        if out.rc != 0 {
            let msg = match (out.rc, &self.msg) {
                (1, Some(m)) => m.clone(),
                (1, None) => {
                    timeout_msg(&host, self.port, self.path.as_deref(), self.search_regex.as_deref(), absent)
                }
                (rc, _) => {
                    format!("wait_for failed (rc {rc}): {}", String::from_utf8_lossy(&out.stderr).trim())
                }
            };
            return Err(ModuleError::Failed { msg, result: r });
        }
        let groups = match (&self.search_regex, mode) {
            (Some(re), "path") if !absent => match_groups(re, content)?,
            _ => Vec::new(),
        };
        let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
        Ok(Plan::ok(format!("{mode} condition met after {elapsed}s"))
            .with("elapsed", elapsed)
            .with("state", state)
            .with("port", opt(self.port.map(Value::from)))
            .with("path", opt(self.path.clone().map(Value::String)))
            .with("search_regex", opt(self.search_regex.clone().map(Value::String)))
            .with("match_groups", Value::Array(groups))
            .with("match_groupdict", Value::Object(Map::new())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_messages_match_ansible() {
        assert_eq!(
            timeout_msg("10.77.1.2", Some(8080), None, None, false),
            "Timeout when waiting for 10.77.1.2:8080"
        );
        assert_eq!(timeout_msg("h", Some(1), None, None, true), "Timeout when waiting for h:1 to stop.");
        assert_eq!(timeout_msg("h", None, Some("/f"), None, false), "Timeout when waiting for file /f");
        assert_eq!(
            timeout_msg("h", None, Some("/f"), None, true),
            "Timeout when waiting for /f to be absent."
        );
        assert_eq!(
            timeout_msg("h", None, Some("/f"), Some("ready"), false),
            "Timeout when waiting for search string ready in /f"
        );
    }

    #[test]
    fn output_and_groups() {
        assert_eq!(parse_output("elapsed=3\nport=8080\n"), (3, "port=8080\n"));
        assert_eq!(parse_output("elapsed=0\n"), (0, ""));
        let g = match_groups(r"^port=(\d+)$", "a\nport=8080\nb").unwrap();
        assert_eq!(g, vec![Value::String("8080".into())]);
        assert!(match_groups("x(", "").is_err());
    }

    /// The script itself, run locally: a file appearing, a timeout, a closed port.
    #[test]
    fn script_waits_locally() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ready");
        std::fs::write(&f, "state: up 42\n").unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new("sh")
                .args(["-c", SCRIPT, "wait_for"])
                .args(args)
                .output()
                .unwrap();
            (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let p = f.display().to_string();
        assert_eq!(
            run(&["path", "present", "", "", &p, r"up \d+", "2", "0", "1", "1"]),
            (0, "elapsed=0\nstate: up 42\n".into())
        );
        assert_eq!(run(&["path", "present", "", "", &p, "down", "1", "0", "1", "1"]).0, 1);
        assert_eq!(run(&["path", "absent", "", "", "/nonexistent/x", "", "1", "0", "1", "1"]).0, 0);
        assert_eq!(run(&["port", "stopped", "127.0.0.1", "1", "", "", "2", "0", "1", "1"]).0, 0);
        assert_eq!(run(&["port", "started", "127.0.0.1", "1", "", "", "1", "0", "1", "1"]).0, 1);
    }
}
