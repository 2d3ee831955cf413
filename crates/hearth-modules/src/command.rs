//! `command` and `shell`: run a program (argv, no shell) or a shell script on the host.
//! `creates`/`removes` make them idempotent; otherwise they always report changed and are
//! skipped in check mode, as in Ansible.

use std::time::Instant;

use serde::Deserialize;

use crate::module::{Action, Ctx, Module, ModuleError, Outcome, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Cmd, CmdOutput, TransportError};

/// Parameters of `command`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// The command line, split like a shell would (no shell features); the free-form argument.
    #[serde(alias = "_raw_params")]
    pub cmd: Option<String>,
    /// The command as a list of arguments (instead of `cmd`).
    pub argv: Option<Vec<String>>,
    /// Change into this directory first.
    pub chdir: Option<String>,
    /// Skip when this path exists.
    pub creates: Option<String>,
    /// Skip when this path does not exist.
    pub removes: Option<String>,
    /// Text fed to standard input.
    pub stdin: Option<String>,
    /// Append a newline to `stdin` (default true).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub stdin_add_newline: bool,
    /// Strip empty lines at the end of stdout/stderr (default true).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub strip_empty_ends: bool,
    /// Accepted for compatibility; variables in arguments are never expanded (no shell).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub expand_argument_vars: bool,
}

/// Parameters of `shell`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shell {
    /// The script, run with `/bin/sh -c`; the free-form argument.
    #[serde(alias = "_raw_params")]
    pub cmd: Option<String>,
    /// Change into this directory first.
    pub chdir: Option<String>,
    /// Skip when this path exists.
    pub creates: Option<String>,
    /// Skip when this path does not exist.
    pub removes: Option<String>,
    /// Shell to use instead of `/bin/sh`.
    pub executable: Option<String>,
    /// Text fed to standard input.
    pub stdin: Option<String>,
    /// Append a newline to `stdin` (default true).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub stdin_add_newline: bool,
    /// Strip empty lines at the end of stdout/stderr (default true).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub strip_empty_ends: bool,
}

fn yes() -> bool {
    true
}

impl Module for Command {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let argv = match (&self.argv, &self.cmd) {
            (Some(a), None) if !a.is_empty() => a.clone(),
            (None, Some(c)) if !c.trim().is_empty() => {
                shlex::split(c).ok_or_else(|| ModuleError::msg(format!("cannot split command line: {c}")))?
            }
            (Some(_), Some(_)) => {
                return Err(ModuleError::msg("parameters are mutually exclusive: argv|cmd"));
            }
            _ => return Err(ModuleError::msg("no command given")),
        };
        let shown = Value::from(argv.clone());
        let run = Run {
            cmd: Cmd {
                argv,
                stdin: stdin(&self.stdin, self.stdin_add_newline),
                chdir: self.chdir.clone(),
                env: vec![],
            },
            shown,
            strip: self.strip_empty_ends,
        };
        guard(ctx, &self.creates, &self.removes, run)
    }
}

impl Module for Shell {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let script = self
            .cmd
            .clone()
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| ModuleError::msg("no command given"))?;
        let exe = self.executable.clone().unwrap_or_else(|| "/bin/sh".into());
        let run = Run {
            cmd: Cmd {
                argv: vec![exe, "-c".into(), script.clone()],
                stdin: stdin(&self.stdin, self.stdin_add_newline),
                chdir: self.chdir.clone(),
                env: vec![],
            },
            shown: Value::String(script),
            strip: self.strip_empty_ends,
        };
        guard(ctx, &self.creates, &self.removes, run)
    }
}

fn stdin(s: &Option<String>, newline: bool) -> Option<Vec<u8>> {
    s.as_ref().map(|s| {
        let mut b = s.clone().into_bytes();
        if newline && !s.ends_with('\n') {
            b.push(b'\n');
        }
        b
    })
}

/// A prepared command and how to show it in the result.
struct Run {
    cmd: Cmd,
    shown: Value,
    strip: bool,
}

/// `creates`/`removes` checks, then the command as an action the engine runs outside check mode.
fn guard(
    ctx: &Ctx,
    creates: &Option<String>,
    removes: &Option<String>,
    run: Run,
) -> Result<Plan, ModuleError> {
    let within = |p: &str| match (&run.cmd.chdir, p.starts_with('/')) {
        (Some(dir), false) => format!("{dir}/{p}"),
        _ => p.to_string(),
    };
    if let Some(p) = creates
        && ctx.host.stat(&within(p), true)?.is_some()
    {
        return Ok(skip_plan(&run.shown, format!("skipped, since {p} exists")));
    }
    if let Some(p) = removes
        && ctx.host.stat(&within(p), true)?.is_none()
    {
        return Ok(skip_plan(&run.shown, format!("skipped, since {p} does not exist")));
    }
    let guarded = creates.is_some() || removes.is_some();
    let Run { cmd, shown, strip } = run;
    let action: Action = Box::new(move |ctx: &Ctx| execute(ctx, &cmd, shown, strip));
    if guarded {
        // Like Ansible: with creates/removes, check mode reports the command as changed
        // (it would run) instead of skipping it.
        let msg = "Command would have run if not in check mode";
        return Ok(Plan::change("creates/removes says the command must run", action).with("msg", msg));
    }
    Ok(Plan { outcome: Outcome::Run(action), diffs: Vec::new(), result: Map::new() })
}

fn skip_plan(shown: &Value, msg: String) -> Plan {
    Plan::ok(msg.clone())
        .with("cmd", shown.clone())
        .with("msg", msg)
        .with("rc", 0)
        .with("stdout", "")
        .with("stderr", "")
}

fn execute(ctx: &Ctx, cmd: &Cmd, shown: Value, strip: bool) -> Result<Map, ModuleError> {
    let start = Instant::now();
    let started = now_text();
    let out = match ctx.host.run(cmd) {
        Ok(o) => o,
        Err(TransportError::Spawn { program, message }) => {
            let mut r = Map::new();
            r.insert("cmd".into(), shown);
            r.insert("rc".into(), Value::from(2));
            return Err(ModuleError::Failed { msg: format!("[Errno 2] {message}: '{program}'"), result: r });
        }
        Err(e) => return Err(e.into()),
    };
    let times = Times { start: started, end: now_text(), delta: delta_text(start.elapsed()) };
    result_of(shown, &out, strip, times)
}

/// When a command ran, as Ansible shows it (`start`, `end`, `delta`).
pub struct Times {
    /// Local start time, `2026-12-03 18:12:59.317700`.
    pub start: String,
    /// Local end time.
    pub end: String,
    /// Duration, `0:00:00.004543`.
    pub delta: String,
}

/// The result of a command that ran, as `command`/`shell` (and `async_status`) report it;
/// a non-zero exit status is a failure that still reports `changed`.
pub fn result_of(shown: Value, out: &CmdOutput, strip: bool, times: Times) -> Result<Map, ModuleError> {
    let text = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).into_owned();
        if strip { s.trim_end_matches(['\n', '\r']).to_string() } else { s }
    };
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let mut r = Map::new();
    r.insert("cmd".into(), shown);
    r.insert("rc".into(), Value::from(out.rc));
    r.insert("start".into(), Value::String(times.start));
    r.insert("end".into(), Value::String(times.end));
    r.insert("delta".into(), Value::String(times.delta));
    r.insert("stdout_lines".into(), Value::from(stdout.lines().map(str::to_string).collect::<Vec<_>>()));
    r.insert("stderr_lines".into(), Value::from(stderr.lines().map(str::to_string).collect::<Vec<_>>()));
    r.insert("stdout".into(), Value::String(stdout));
    r.insert("stderr".into(), Value::String(stderr));
    if out.rc != 0 {
        // Ansible reports a command that ran as changed even when it failed.
        r.insert("changed".into(), Value::Bool(true));
        return Err(ModuleError::Failed { msg: "non-zero return code".into(), result: r });
    }
    r.insert("msg".into(), Value::String(String::new()));
    Ok(r)
}

/// Local time like Python's `str(datetime.now())`, as Ansible reports `start`/`end`.
fn now_text() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// A duration as Python's `str(timedelta)` prints it, as Ansible reports `delta`.
pub fn delta_text(d: std::time::Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}.{:06}", s / 3600, (s / 60) % 60, s % 60, d.subsec_micros())
}
