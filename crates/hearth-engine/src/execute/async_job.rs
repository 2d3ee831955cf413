//! `async:` and `poll:` on a task, with Ansible's results. With `poll` above 0 the task runs
//! to completion as usual but every program it starts on the host is killed when the `async`
//! time is up (the task then fails with Ansible's message). With `poll: 0` (command and shell)
//! the program is started in the background on the host and the task reports its job id at
//! once; `async_status` reads the job's files later (`~/.ansible_async/<jid>/`). The engine
//! wraps the task's connection in [`Job`] ([`for_task`]), so modules never see `async`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::single::{Single, failed, with_flags};
use super::state::Env;
use crate::load::task::Task;
use crate::report::Status;
use hearth_formats::value::{Map, Value};
use hearth_modules::Spec;
use hearth_transport::{Attrs, Become, Cmd, CmdOutput, FileStat, Probe, Transport, TransportError};

/// Ansible's default `poll` interval when `async` is set without `poll`.
const DEFAULT_POLL: u64 = 15;

/// Exit status reported for a command that never started because the time was up.
const KILLED: i32 = 137;

/// Runs the wrapped command under `timeout` when the host has it (coreutils or busybox).
const TIMED: &str =
    r#"if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL "$0" "$@"; fi; exec "$@""#;

/// Starts `$@` in the background with its output, exit status and times in the job directory,
/// and prints that directory. The job ignores SIGHUP and holds none of the session's
/// descriptors, so the connection's channel closes at once.
const LAUNCH: &str = r#"jid=$1 limit=$2 shown=$3; shift 3
d="${HOME:-/tmp}/.ansible_async/$jid"
(umask 077 && mkdir -p "$d") || exit 1
printf '%s' "$shown" > "$d/cmd" || exit 1
(
  trap '' HUP
  date '+%Y-%m-%d %H:%M:%S.%N' > "$d/start"
  t0=$(date +%s)
  if command -v timeout >/dev/null 2>&1; then timeout -s KILL "$limit" "$@"; else "$@"; fi > "$d/stdout" 2> "$d/stderr" < /dev/null
  rc=$?
  date '+%Y-%m-%d %H:%M:%S.%N' > "$d/end"
  if [ "$rc" != 0 ] && [ $(( $(date +%s) - t0 )) -ge "$limit" ]; then : > "$d/timedout"; fi
  printf '%s' "$rc" > "$d/rc.tmp" && mv -f "$d/rc.tmp" "$d/rc"
) > /dev/null 2>&1 < /dev/null &
printf '%s\n' "$d"
"#;

/// A task's `async`/`poll`, rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Async {
    /// Seconds the job may run.
    pub limit: u64,
    /// Seconds between polls; 0 starts the job and moves on.
    pub poll: u64,
}

impl Async {
    /// Reads rendered `async`/`poll` values; `None` when `async` is absent or 0 (Ansible then
    /// runs the task normally).
    pub fn from_values(limit: Option<&Value>, poll: Option<&Value>) -> Result<Option<Async>, String> {
        let number = |v: &Value, what: &str| -> Result<u64, String> {
            let n = match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            n.ok_or_else(|| format!("{what} must be a number of seconds, got {v}"))
        };
        let Some(limit) = limit else { return Ok(None) };
        let limit = number(limit, "async")?;
        let poll = poll.map(|p| number(p, "poll")).transpose()?.unwrap_or(DEFAULT_POLL);
        Ok((limit > 0).then_some(Async { limit, poll }))
    }
}

/// What the job's commands did, for the task's result.
#[derive(Debug, Default)]
struct State {
    /// A command ran (or was started).
    ran: bool,
    /// A command was killed because the time was up.
    timed_out: bool,
    /// `poll: 0`: the directory of the job started in the background.
    launched: Option<String>,
}

/// A task's connection with `async` applied to every command it runs.
pub struct Job<'a> {
    inner: &'a dyn Transport,
    spec: Async,
    /// `ansible_job_id` of this run of the task.
    pub jid: String,
    /// The module, for how `async_status` shows the command (`shell`: the script).
    module: &'static str,
    started: Instant,
    state: Mutex<State>,
}

/// A job id like Ansible's (`j` + digits + `.` + digits), unique within the run.
fn new_jid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or(0);
    format!("j{nanos}.{}{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

impl<'a> Job<'a> {
    /// Wraps `inner` for a task of `module` with `spec`. Fire-and-forget needs a module that
    /// runs exactly one program.
    pub fn new(inner: &'a dyn Transport, spec: Async, module: &'static str) -> Result<Job<'a>, String> {
        if spec.poll == 0 && !matches!(module, "command" | "shell") {
            return Err(format!(
                "async with poll: 0 is supported for command and shell in hearth, not {module}; use poll > 0"
            ));
        }
        let state = Mutex::new(State::default());
        Ok(Job { inner, spec, jid: new_jid(), module, started: Instant::now(), state })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How the job's command appears in `async_status`'s `cmd` (Ansible's: the argv list for
    /// command, the script for shell).
    fn shown(&self, cmd: &Cmd) -> String {
        let v = match (self.module, cmd.argv.as_slice()) {
            ("shell", [_, dash_c, script, ..]) if dash_c == "-c" => Value::String(script.clone()),
            _ => Value::from(cmd.argv.clone()),
        };
        v.to_string()
    }

    fn launch(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError> {
        if cmd.stdin.is_some() {
            return Err(TransportError::io(
                "async",
                &cmd.argv.join(" "),
                "stdin cannot be fed to a job started with poll: 0",
            ));
        }
        let mut argv: Vec<String> = ["/bin/sh", "-c", LAUNCH, "hearth-async"].map(String::from).to_vec();
        argv.extend([self.jid.clone(), self.spec.limit.to_string(), self.shown(cmd)]);
        argv.extend(cmd.argv.iter().cloned());
        let out =
            self.inner.run(&Cmd { argv, stdin: None, chdir: cmd.chdir.clone(), env: cmd.env.clone() })?;
        if out.rc != 0 {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(TransportError::io(
                "async",
                "~/.ansible_async",
                format!("cannot start the job: {why}"),
            ));
        }
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let mut st = self.state();
        st.ran = true;
        st.launched = Some(dir);
        Ok(CmdOutput { rc: 0, stdout: Vec::new(), stderr: Vec::new() })
    }

    fn timed(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError> {
        let left = self.spec.limit.saturating_sub(self.started.elapsed().as_secs());
        if left == 0 {
            self.state().timed_out = true;
            return Ok(CmdOutput { rc: KILLED, stdout: Vec::new(), stderr: Vec::new() });
        }
        let mut argv: Vec<String> = ["/bin/sh", "-c", TIMED].map(String::from).to_vec();
        argv.push(left.to_string());
        argv.extend(cmd.argv.iter().cloned());
        let out = self.inner.run(&Cmd { argv, ..cmd.clone() })?;
        let mut st = self.state();
        st.ran = true;
        // timeout(1) kills its whole process group, itself included: the status varies (137,
        // or a signal), the time does not.
        if out.rc != 0 && self.started.elapsed().as_secs() >= self.spec.limit {
            st.timed_out = true;
        }
        Ok(out)
    }

    /// The task's status and result as Ansible reports an async task: the job id added, the
    /// start result for `poll: 0`, Ansible's failure when the time ran out.
    pub fn finish(&self, changed: bool, failed: bool, mut result: Map) -> (bool, bool, Map) {
        let st = self.state();
        if !st.ran {
            return (changed, failed, result);
        }
        let id = Value::String(self.jid.clone());
        if let Some(dir) = &st.launched {
            let mut r = Map::new();
            r.insert("ansible_job_id".into(), id);
            r.insert("failed".into(), Value::from(0));
            r.insert("finished".into(), Value::from(0));
            r.insert("results_file".into(), Value::String(dir.clone()));
            r.insert("started".into(), Value::from(1));
            return (true, false, r);
        }
        if st.timed_out {
            let mut r = Map::new();
            r.insert("ansible_job_id".into(), id);
            r.insert(
                "msg".into(),
                Value::String(format!(
                    "async task did not complete within the requested time - {}s",
                    self.spec.limit
                )),
            );
            return (false, true, r);
        }
        result.insert("ansible_job_id".into(), id);
        result.insert("finished".into(), Value::from(1));
        result.insert("started".into(), Value::from(1));
        (changed, failed, result)
    }
}

impl Transport for Job<'_> {
    fn with_deadline<'b>(
        &'b self,
        deadline: &'b hearth_transport::deadline::Deadline,
    ) -> Box<dyn Transport + 'b> {
        self.inner.with_deadline(deadline)
    }

    fn with_become(&self, target: &Become) -> Result<Box<dyn Transport + '_>, TransportError> {
        self.inner.with_become(target)
    }

    fn run(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError> {
        if self.spec.poll == 0 { self.launch(cmd) } else { self.timed(cmd) }
    }

    fn stat(&self, path: &str, follow: bool) -> Result<Option<FileStat>, TransportError> {
        self.inner.stat(path, follow)
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        self.inner.read_file(path)
    }

    fn write_file(&self, path: &str, content: &[u8], attrs: &Attrs) -> Result<(), TransportError> {
        self.inner.write_file(path, content, attrs)
    }

    fn set_attrs(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        self.inner.set_attrs(path, attrs)
    }

    fn make_dir(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        self.inner.make_dir(path, attrs)
    }

    fn remove(&self, path: &str) -> Result<(), TransportError> {
        self.inner.remove(path)
    }

    fn symlink(&self, target: &str, path: &str) -> Result<(), TransportError> {
        self.inner.symlink(target, path)
    }

    fn copy_file(&self, from: &str, to: &str) -> Result<(), TransportError> {
        self.inner.copy_file(from, to)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, TransportError> {
        self.inner.list_dir(path)
    }

    fn probe(&self, path: &str) -> Result<Probe, TransportError> {
        self.inner.probe(path)
    }

    fn is_local(&self) -> bool {
        self.inner.is_local()
    }

    fn reconnect(&self, timeout: Option<std::time::Duration>) -> Result<(), TransportError> {
        self.inner.reconnect(timeout)
    }
}

/// The task's `async`/`poll`, rendered, as a wrapper of its connection (`None` without async).
pub(super) fn for_task<'a>(
    task: &Task,
    env: &Env,
    ctx: &minijinja::Value,
    spec: &Spec,
    transport: &'a dyn Transport,
) -> Result<Option<Job<'a>>, String> {
    if task.async_.is_none() {
        return Ok(None);
    }
    let render = |v: &Option<Value>| -> Result<Option<Value>, String> {
        v.as_ref().map(|v| env.templar.render_value(v, ctx).map_err(|e| e.message)).transpose()
    };
    let Some(a) = Async::from_values(render(&task.async_)?.as_ref(), render(&task.poll)?.as_ref())? else {
        return Ok(None);
    };
    Job::new(transport, a, spec.name).map(Some)
}

/// An async task's result as Ansible reports it (job id, start result, time-out failure).
pub(super) fn finish(job: &Job, single: Result<Single, Box<Single>>) -> Single {
    let s = single.unwrap_or_else(|b| *b);
    if s.status == Status::Unreachable || s.status == Status::Skipped {
        return s;
    }
    let (changed, failed_now, result) =
        job.finish(s.status == Status::Changed, s.status == Status::Failed, s.result);
    if failed_now {
        let msg = result.get("msg").and_then(Value::as_str).unwrap_or_default().to_string();
        return Single { diffs: s.diffs, ..failed(msg, result) };
    }
    let status = if changed { Status::Changed } else { Status::Ok };
    Single { status, result: with_flags(result, changed, false), diffs: s.diffs, reason: s.reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn async_and_poll_values() {
        let n = |v: u64| Value::from(v);
        assert_eq!(Async::from_values(None, Some(&n(0))), Ok(None));
        assert_eq!(Async::from_values(Some(&n(0)), None), Ok(None));
        assert_eq!(Async::from_values(Some(&n(30)), None), Ok(Some(Async { limit: 30, poll: 15 })));
        let s = Value::String("45".into());
        assert_eq!(Async::from_values(Some(&s), Some(&n(0))), Ok(Some(Async { limit: 45, poll: 0 })));
        assert!(
            Async::from_values(Some(&Value::String("soon".into())), None)
                .unwrap_err()
                .contains("async must be")
        );
    }

    #[test]
    fn fire_and_forget_is_for_command_and_shell() {
        let local = hearth_transport::Local;
        let spec = Async { limit: 5, poll: 0 };
        assert!(Job::new(&local, spec, "shell").is_ok());
        let err = Job::new(&local, spec, "apt").err().unwrap_or_default();
        assert!(err.contains("poll: 0 is supported for command and shell"), "{err}");
        assert!(Job::new(&local, Async { limit: 5, poll: 2 }, "apt").is_ok());
    }

    #[test]
    fn job_ids_differ() {
        assert_ne!(new_jid(), new_jid());
        assert!(new_jid().starts_with('j'));
    }
}
