//! `async_status`: the state of a job started with `async` and `poll: 0`, read from its
//! directory on the host (`~/.ansible_async/<jid>/`, written by the engine's job launcher) in
//! one round trip. A finished job reports its command's result, as Ansible does; `mode:
//! cleanup` removes the directory.

use serde::Deserialize;

use super::command::{Times, delta_text, result_of};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Cmd, CmdOutput};

/// Parameters of `async_status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsyncStatus {
    /// The job id (`ansible_job_id` of the task that started it).
    pub jid: String,
    /// `status` (default) or `cleanup`.
    #[serde(default)]
    pub mode: Mode,
    /// Accepted for compatibility; jobs live under the user's `~/.ansible_async`.
    #[serde(rename = "_async_dir")]
    pub async_dir: Option<String>,
}

/// What `async_status` does.
#[derive(Debug, Default, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Report the job's state.
    #[default]
    Status,
    /// Remove the job's files.
    Cleanup,
}

/// Prints the job directory, then `missing`, `erased`, `running`, or `done` followed by each
/// job file as `name size\n` + its bytes + `\n`.
const READ_JOB: &str = r#"d="${HOME:-/tmp}/.ansible_async/$1"
printf '%s\n' "$d"
if [ ! -d "$d" ]; then echo missing; exit 0; fi
if [ "$2" = cleanup ]; then rm -rf -- "$d" && echo erased; exit 0; fi
if [ ! -f "$d/rc" ]; then echo running; exit 0; fi
echo done
for f in rc start end cmd timedout stdout stderr; do
  if [ -f "$d/$f" ]; then printf '%s %s\n' "$f" "$(wc -c < "$d/$f" | tr -d ' ')"; cat "$d/$f"; printf '\n'; fi
done
"#;

/// What the job directory held.
#[derive(Debug, PartialEq, Eq)]
enum Job {
    Missing,
    Erased,
    Running,
    /// The job's files by name.
    Done(Vec<(String, Vec<u8>)>),
}

impl Module for AsyncStatus {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if self.jid.is_empty() || !self.jid.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
            return Err(ModuleError::msg(format!("invalid job id {:?}", self.jid)));
        }
        let mode = if self.mode == Mode::Cleanup { "cleanup" } else { "status" };
        let mut cmd = Cmd::shell(READ_JOB);
        cmd.argv.extend(["hearth-async-status".to_string(), self.jid.clone(), mode.to_string()]);
        let out = ctx.host.run(&cmd)?;
        if out.rc != 0 {
            return Err(ModuleError::msg(format!(
                "cannot read job {}: {}",
                self.jid,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let (dir, job) = parse(&out.stdout).ok_or_else(|| ModuleError::msg("unreadable job status"))?;
        report(&self.jid, &dir, job)
    }
}

/// The result for each state, with Ansible's keys.
fn report(jid: &str, dir: &str, job: Job) -> Result<Plan, ModuleError> {
    let mut base = Map::new();
    base.insert("ansible_job_id".into(), Value::String(jid.to_string()));
    base.insert("results_file".into(), Value::String(dir.to_string()));
    let empty = |m: &mut Map| {
        for k in ["stdout", "stderr"] {
            m.insert(k.into(), Value::String(String::new()));
            m.insert(format!("{k}_lines"), Value::Array(Vec::new()));
        }
    };
    let mut plan = Plan::ok("job state read");
    match job {
        Job::Missing => {
            base.insert("started".into(), Value::from(1));
            base.insert("finished".into(), Value::from(1));
            empty(&mut base);
            Err(ModuleError::Failed { msg: "could not find job".into(), result: base })
        }
        Job::Erased => {
            base.remove("results_file");
            base.insert("erased".into(), Value::String(dir.to_string()));
            base.insert("started".into(), Value::from(0));
            base.insert("finished".into(), Value::from(0));
            empty(&mut base);
            plan.result = base;
            Ok(plan)
        }
        Job::Running => {
            base.insert("started".into(), Value::from(1));
            base.insert("finished".into(), Value::from(0));
            empty(&mut base);
            plan.result = base;
            Ok(plan)
        }
        Job::Done(files) => finished(base, &files),
    }
}

/// A finished job: its command's result (or Ansible's time-out failure), marked finished.
fn finished(mut base: Map, files: &[(String, Vec<u8>)]) -> Result<Plan, ModuleError> {
    let file = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone());
    let text = |name: &str| String::from_utf8_lossy(&file(name).unwrap_or_default()).trim().to_string();
    base.insert("started".into(), Value::from(1));
    base.insert("finished".into(), Value::from(1));
    if file("timedout").is_some() {
        for k in ["stdout", "stderr"] {
            base.insert(k.into(), Value::String(String::new()));
            base.insert(format!("{k}_lines"), Value::Array(Vec::new()));
        }
        return Err(ModuleError::Failed { msg: "Timeout exceeded".into(), result: base });
    }
    let out = CmdOutput {
        rc: text("rc").parse().unwrap_or(-1),
        stdout: file("stdout").unwrap_or_default(),
        stderr: file("stderr").unwrap_or_default(),
    };
    let shown = serde_json::from_str(&text("cmd")).unwrap_or(Value::Null);
    let (start, end) = (micros(&text("start")), micros(&text("end")));
    let delta = delta_between(&start, &end);
    let merge = move |mut r: Map| {
        r.extend(base);
        r
    };
    match result_of(shown, &out, true, Times { start, end, delta }) {
        Ok(r) => {
            let done = merge(r);
            let action: crate::module::Action = Box::new(move |_: &Ctx| Ok(done.clone()));
            Ok(Plan { outcome: crate::module::Outcome::Run(action), diffs: Vec::new(), result: Map::new() })
        }
        Err(ModuleError::Failed { msg, result }) => Err(ModuleError::Failed { msg, result: merge(result) }),
        Err(e) => Err(e),
    }
}

/// `date +%N` prints nanoseconds; Ansible shows microseconds.
fn micros(t: &str) -> String {
    match t.rsplit_once('.') {
        Some((head, frac)) if frac.len() > 6 && frac.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{head}.{}", &frac[..6])
        }
        _ => t.to_string(),
    }
}

/// `end - start` as Ansible prints it, or zero when either time is unreadable.
fn delta_between(start: &str, end: &str) -> String {
    let parse = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").ok();
    let d = match (parse(start), parse(end)) {
        (Some(s), Some(e)) => (e - s).to_std().unwrap_or_default(),
        _ => std::time::Duration::ZERO,
    };
    delta_text(d)
}

/// Reads the script's output: the directory, the state and (when done) the framed files.
fn parse(out: &[u8]) -> Option<(String, Job)> {
    let (dir, rest) = split_line(out)?;
    let (state, mut rest) = split_line(rest)?;
    let job = match state.as_str() {
        "missing" => Job::Missing,
        "erased" => Job::Erased,
        "running" => Job::Running,
        "done" => {
            let mut files = Vec::new();
            while !rest.is_empty() {
                let (header, after) = split_line(rest)?;
                let (name, size) = header.split_once(' ')?;
                let size: usize = size.parse().ok()?;
                let body = after.get(..size)?.to_vec();
                // The body, then the newline that closes it.
                rest = after.get(size + 1..)?;
                files.push((name.to_string(), body));
            }
            Job::Done(files)
        }
        _ => return None,
    };
    Some((dir, job))
}

fn split_line(b: &[u8]) -> Option<(String, &[u8])> {
    let nl = b.iter().position(|&c| c == b'\n')?;
    Some((String::from_utf8_lossy(&b[..nl]).into_owned(), &b[nl + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_state() {
        assert_eq!(
            parse(b"/root/.ansible_async/j1\nmissing\n"),
            Some(("/root/.ansible_async/j1".into(), Job::Missing))
        );
        assert_eq!(parse(b"/d\nrunning\n").map(|p| p.1), Some(Job::Running));
        let done = b"/d\ndone\nrc 1\n0\nstdout 7\nhi\nrc 3\n";
        let Some((_, Job::Done(files))) = parse(done) else { panic!("not done") };
        // A body may contain what looks like a header: sizes, not markers, frame it.
        assert_eq!(files, vec![("rc".into(), b"0".to_vec()), ("stdout".into(), b"hi\nrc 3".to_vec())]);
        assert_eq!(parse(b"/d\ndone\nrc 9\n0\n"), None, "a truncated body is unreadable");
    }

    #[test]
    fn finished_job_reports_the_command_result() {
        let files = vec![
            ("rc".to_string(), b"0".to_vec()),
            ("start".to_string(), b"2026-12-03 18:13:01.335686123\n".to_vec()),
            ("end".to_string(), b"2026-12-03 18:13:03.347597000\n".to_vec()),
            ("cmd".to_string(), br#""sleep 2; echo bg""#.to_vec()),
            ("stdout".to_string(), b"bg\n".to_vec()),
        ];
        let plan = finished(Map::new(), &files).unwrap();
        let crate::module::Outcome::Run(action) = plan.outcome else {
            panic!("a finished job reports changed")
        };
        let host = hearth_transport::Local;
        let search = crate::module::SearchPath::default();
        let templar = hearth_template::Templar::new();
        let ctx = Ctx {
            host: &host,
            vars: &minijinja::Value::UNDEFINED,
            templar: &templar,
            search: &search,
            diff: false,
        };
        let r = action(&ctx).unwrap();
        assert_eq!(r["stdout"], "bg");
        assert_eq!(r["cmd"], "sleep 2; echo bg");
        assert_eq!(r["delta"], "0:00:02.011911");
        assert_eq!(r["start"], "2026-12-03 18:13:01.335686");
        assert_eq!(r["finished"], 1);
    }

    #[test]
    fn failed_and_timed_out_jobs_fail_like_ansible() {
        let rc3 = vec![("rc".to_string(), b"3".to_vec()), ("cmd".to_string(), br#""exit 3""#.to_vec())];
        let Err(ModuleError::Failed { msg, result }) = finished(Map::new(), &rc3) else {
            panic!("rc 3 must fail")
        };
        assert_eq!(msg, "non-zero return code");
        assert_eq!(result["rc"], 3);
        assert_eq!(result["finished"], 1);
        let late = vec![("rc".to_string(), b"137".to_vec()), ("timedout".to_string(), Vec::new())];
        let Err(ModuleError::Failed { msg, .. }) = finished(Map::new(), &late) else {
            panic!("a timeout fails")
        };
        assert_eq!(msg, "Timeout exceeded");
    }
}
