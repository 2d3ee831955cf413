//! `reboot` (ansible.builtin.reboot): reads the host's boot id, runs the shutdown command
//! (`shutdown -r <minutes> "<msg>"` found in `search_paths`, as Ansible builds it on Linux), then
//! waits — logging in again with a new connection (`Transport::reconnect`) whenever the old one
//! is gone — until the boot id differs and then until `test_command` succeeds, each within
//! `reboot_timeout`. Never on the control node itself. In check mode nothing runs and the task
//! reports changed, as in Ansible. Only Linux's commands are known (plus Alpine's and Void's).

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::args::{de_opt_int, de_opt_str};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Cmd, CmdOutput, Transport, TransportError};

/// Parameters of `reboot`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reboot {
    /// Command whose output changes when the host has booted again.
    pub boot_time_command: Option<String>,
    /// Seconds each new connection's handshake may take while waiting (default: the run's).
    #[serde(default, deserialize_with = "de_opt_int")]
    pub connect_timeout: Option<i64>,
    /// Message given to `shutdown` (default "Reboot initiated by Ansible").
    #[serde(default, deserialize_with = "de_opt_str")]
    pub msg: Option<String>,
    /// Seconds to wait after the shutdown command before checking (default 0).
    #[serde(default, deserialize_with = "de_opt_int")]
    pub post_reboot_delay: Option<i64>,
    /// Seconds before the reboot, passed to `shutdown` in whole minutes (default 0).
    #[serde(default, deserialize_with = "de_opt_int")]
    pub pre_reboot_delay: Option<i64>,
    /// Command (with arguments) run instead of `shutdown -r ...`.
    pub reboot_command: Option<String>,
    /// Seconds to wait for the host to come back, for each of the two checks (default 600).
    #[serde(default, deserialize_with = "de_opt_int")]
    pub reboot_timeout: Option<i64>,
    /// Directories searched for the shutdown command (a list or a comma-separated string).
    #[serde(default, deserialize_with = "de_opt_list")]
    pub search_paths: Option<Vec<String>>,
    /// Command that must succeed on the rebooted host (default `whoami`).
    pub test_command: Option<String>,
}

fn de_opt_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    super::args::de_list(d).map(Some)
}

/// Ansible's default boot id command on Linux.
pub const BOOT_TIME_COMMAND: &str = "cat /proc/sys/kernel/random/boot_id";
/// Ansible's default message.
pub const MESSAGE: &str = "Reboot initiated by Ansible";
/// Ansible's default directories for finding the shutdown command.
pub const SEARCH_PATHS: &[&str] = &["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"];
/// Longest pause between two checks, in seconds (Ansible's `max_fail_sleep`).
const MAX_SLEEP: u64 = 12;

/// Finds the first `$d/$name` (of any type) among the directories given after the name.
const FIND: &str = "n=$1; shift; for d; do if [ -e \"$d/$n\" ] || [ -L \"$d/$n\" ]; then \
                    printf '%s\\n' \"$d/$n\"; exit 0; fi; done; exit 1";

/// The shutdown program and its arguments for a distribution (`ID` of /etc/os-release), as
/// Ansible's tables give them (Linux default: `shutdown -r {minutes} "{message}"`).
pub fn shutdown_for(os_id: &str, delay_sec: i64, message: &str) -> (&'static str, String) {
    let minutes = delay_sec / 60;
    match os_id {
        "alpine" => ("reboot", String::new()),
        "void" => ("shutdown", format!("-r +{minutes} \"{message}\"")),
        _ => ("shutdown", format!("-r {minutes} \"{message}\"")),
    }
}

/// `reboot_command` split like Ansible: program, then the rest as one argument string.
pub fn split_command(command: &str) -> (&str, &str) {
    command.split_once(' ').unwrap_or((command, ""))
}

/// The `ID=` of an /etc/os-release text, unquoted and lowercased.
pub fn os_id(os_release: &str) -> String {
    os_release
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_lowercase())
        .unwrap_or_default()
}

/// A list as Python prints it (`['/sbin', '/bin']`), for Ansible's messages.
pub fn py_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{}'", s.replace('\'', "\\'"))).collect();
    format!("[{}]", quoted.join(", "))
}

/// Pause after the `fails`-th failed check: 2^fails seconds up to [`MAX_SLEEP`], plus `jitter`
/// (0..1 s), like Ansible's exponential backoff.
pub fn backoff(fails: u32, jitter: f64) -> Duration {
    let base = 2u64.checked_pow(fails).unwrap_or(MAX_SLEEP).min(MAX_SLEEP);
    Duration::from_secs_f64(base as f64 + jitter.clamp(0.0, 1.0))
}

/// Up to a second of jitter from the clock (no need for a random generator here).
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    f64::from(nanos % 1000) / 1000.0
}

/// Why one check failed: `lost` when the connection broke (then log in again before the next).
struct Miss {
    lost: bool,
}

impl From<TransportError> for Miss {
    fn from(e: TransportError) -> Miss {
        Miss { lost: matches!(e, TransportError::Unreachable(_)) }
    }
}

/// Runs `check` until it succeeds, pausing with [`backoff`]; `Err` with Ansible's message when
/// `timeout` seconds pass first.
fn until(
    host: &dyn Transport,
    timeout: i64,
    what: &str,
    mut check: impl FnMut() -> Result<(), Miss>,
) -> Result<(), String> {
    let end = Instant::now() + Duration::from_secs(timeout.max(0).unsigned_abs());
    let mut fails = 0;
    while Instant::now() < end {
        match check() {
            Ok(()) => return Ok(()),
            Err(miss) => {
                if miss.lost {
                    // Not up yet is just another failed check: the next one logs in again.
                    let _ = host.reconnect(None);
                }
                std::thread::sleep(backoff(fails, jitter()));
                fails += 1;
            }
        }
    }
    Err(format!("Timed out waiting for {what} (timeout={timeout})"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Elapsed whole seconds, as Ansible's `timedelta.seconds`.
fn seconds(since: Instant) -> Value {
    Value::from(since.elapsed().as_secs())
}

fn fail(msg: String, fields: &[(&str, Value)]) -> ModuleError {
    let result: Map = fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModuleError::Failed { msg, result }
}

impl Reboot {
    fn boot_command(&self) -> &str {
        self.boot_time_command.as_deref().filter(|c| !c.is_empty()).unwrap_or(BOOT_TIME_COMMAND)
    }

    /// The boot id now; a non-zero exit fails like Ansible's `get_system_boot_time`.
    fn boot_id(&self, host: &dyn Transport) -> Result<Result<String, String>, TransportError> {
        let out = host.run(&Cmd::shell(self.boot_command()))?;
        if out.rc != 0 {
            return Ok(Err(format!(
                "reboot: failed to get host boot time info, rc: {}, stdout: {}, stderr: {}",
                out.rc,
                text(&out.stdout),
                text(&out.stderr)
            )));
        }
        Ok(Ok(text(&out.stdout).trim().to_string()))
    }

    /// The full reboot command line: `reboot_command`, or the distribution's shutdown command
    /// found in `search_paths` with Ansible's arguments.
    fn command_line(&self, host: &dyn Transport) -> Result<String, ModuleError> {
        let delay = self.pre_reboot_delay.unwrap_or(0).max(0);
        let message = self.msg.as_deref().unwrap_or(MESSAGE);
        let (program, args) = match &self.reboot_command {
            Some(c) => {
                let (p, a) = split_command(c);
                (p.to_string(), a.to_string())
            }
            None => {
                let release = host.read_file("/etc/os-release")?.unwrap_or_default();
                let (p, a) = shutdown_for(&os_id(&text(&release)), delay, message);
                (p.to_string(), a)
            }
        };
        if program.starts_with('/') {
            return Ok(format!("{program} {args}"));
        }
        let paths: Vec<String> = match &self.search_paths {
            Some(p) => p.clone(),
            None => SEARCH_PATHS.iter().map(|s| s.to_string()).collect(),
        };
        let mut argv = vec!["/bin/sh".to_string(), "-c".into(), FIND.into(), "sh".into(), program.clone()];
        argv.extend(paths.iter().cloned());
        let found = host.run(&Cmd::new(argv))?;
        let path = text(&found.stdout).lines().next().unwrap_or_default().to_string();
        if found.rc != 0 || path.is_empty() {
            let msg = format!("Unable to find command \"{program}\" in search paths: {}", py_list(&paths));
            return Err(ModuleError::msg(msg));
        }
        Ok(format!("{path} {args}"))
    }

    /// Shuts the host down and waits until it is back (the action run outside check mode).
    fn reboot(&self, host: &dyn Transport) -> Result<Map, ModuleError> {
        let previous = self.boot_id(host)?.map_err(|msg| fail(msg, &[("reboot", false.into())]))?;
        let line = self.command_line(host)?;
        let out = match host.run(&Cmd::shell(&line)) {
            // The host may drop the connection before the command could answer.
            Err(TransportError::Unreachable(_)) => CmdOutput::default(),
            other => other?,
        };
        let start = Instant::now();
        if out.rc != 0 {
            let msg = format!(
                "Reboot command failed. Error was: '{}, {}'",
                text(&out.stdout).trim(),
                text(&out.stderr).trim()
            );
            return Err(fail(msg, &[("rebooted", false.into()), ("elapsed", seconds(start))]));
        }
        let post = self.post_reboot_delay.unwrap_or(0).max(0);
        std::thread::sleep(Duration::from_secs(post.unsigned_abs()));
        self.wait(host, &previous)
            .map_err(|msg| fail(msg, &[("rebooted", true.into()), ("elapsed", seconds(start))]))?;
        let mut result = Map::new();
        result.insert("rebooted".into(), true.into());
        result.insert("elapsed".into(), seconds(start));
        Ok(result)
    }

    /// Waits for a new boot id, then for `test_command` to succeed.
    fn wait(&self, host: &dyn Transport, previous: &str) -> Result<(), String> {
        let timeout = self.reboot_timeout.unwrap_or(600);
        let handshake =
            self.connect_timeout.filter(|t| *t > 0).map(|t| Duration::from_secs(t.unsigned_abs()));
        until(host, timeout, "last boot time check", || {
            if handshake.is_some() {
                // Ansible resets the connection with the custom timeout before each check.
                host.reconnect(handshake)?;
            }
            match self.boot_id(host)? {
                Ok(now) if !now.is_empty() && now != previous => Ok(()),
                _ => Err(Miss { lost: false }),
            }
        })?;
        let test = self.test_command.as_deref().unwrap_or("whoami");
        until(host, timeout, "post-reboot test command", || match host.run(&Cmd::shell(test))? {
            out if out.rc == 0 => Ok(()),
            _ => Err(Miss { lost: false }),
        })
    }
}

impl Module for Reboot {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if ctx.host.is_local() {
            let msg = "Running reboot with local connection would reboot the control node.".to_string();
            let fields = [("changed", false.into()), ("elapsed", 0.into()), ("rebooted", false.into())];
            return Err(fail(msg, &fields));
        }
        let this = self.clone();
        Ok(Plan::change("reboot", Box::new(move |c: &Ctx| this.reboot(c.host)))
            .with("rebooted", true)
            .with("elapsed", 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_command_like_ansible_on_linux() {
        assert_eq!(
            shutdown_for("debian", 0, MESSAGE),
            ("shutdown", "-r 0 \"Reboot initiated by Ansible\"".into())
        );
        assert_eq!(shutdown_for("raspbian", 150, "bye"), ("shutdown", "-r 2 \"bye\"".into()));
        assert_eq!(shutdown_for("void", 60, "m"), ("shutdown", "-r +1 \"m\"".into()));
        assert_eq!(shutdown_for("alpine", 60, "m"), ("reboot", String::new()));
    }

    #[test]
    fn reboot_command_splits_at_the_first_space() {
        assert_eq!(split_command("/bin/systemctl reboot --force"), ("/bin/systemctl", "reboot --force"));
        assert_eq!(split_command("reboot"), ("reboot", ""));
    }

    #[test]
    fn os_release_id() {
        assert_eq!(os_id("NAME=\"Debian\"\nID=debian\nID_LIKE=x\n"), "debian");
        assert_eq!(os_id("ID=\"Alpine\"\n"), "alpine");
        assert_eq!(os_id(""), "");
    }

    #[test]
    fn lists_print_like_python() {
        let paths: Vec<String> = SEARCH_PATHS[..2].iter().map(|s| s.to_string()).collect();
        assert_eq!(py_list(&paths), "['/sbin', '/bin']");
    }

    #[test]
    fn backoff_doubles_up_to_twelve_seconds() {
        assert_eq!(backoff(0, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(3, 0.5), Duration::from_millis(8500));
        assert_eq!(backoff(4, 0.0), Duration::from_secs(12));
        assert_eq!(backoff(80, 2.0), Duration::from_secs(13));
    }

    #[test]
    fn never_on_the_control_node_even_in_check_mode() {
        let p: Reboot = serde_json::from_value(serde_json::json!({})).unwrap();
        let (vars, templar, search) =
            (minijinja::Value::UNDEFINED, hearth_template::Templar::new(), Default::default());
        let ctx = Ctx {
            host: &hearth_transport::Local,
            vars: &vars,
            templar: &templar,
            search: &search,
            diff: false,
        };
        match p.plan(&ctx) {
            Err(ModuleError::Failed { msg, result }) => {
                assert_eq!(msg, "Running reboot with local connection would reboot the control node.");
                assert_eq!(result["rebooted"], false);
            }
            _ => panic!("reboot planned on the control node"),
        }
    }
}
