//! `pause`: wait a number of seconds or minutes, with Ansible's result (`stdout` `Paused for 5.0
//! seconds`, `start`, `stop`, `delta`, `echo`, `user_input`). It waits in check mode too, as
//! Ansible does. hearth has no interactive prompt: a `prompt` without a duration is Ansible's
//! warning and no wait when stdin is not a terminal, and an error on a terminal (where Ansible
//! would read the answer), so a play never runs on with an answer nobody gave.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Value;

/// Parameters of `pause`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pause {
    /// Minutes to wait (fractions are dropped, as Ansible's `int()` does).
    #[serde(default)]
    pub minutes: Option<Value>,
    /// Seconds to wait (fractions are dropped).
    #[serde(default)]
    pub seconds: Option<Value>,
    /// Text shown before waiting; without a duration, the question Ansible would ask.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub prompt: Option<String>,
    /// Whether typed input would be shown (reported back as `echo`).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub echo: bool,
}

fn yes() -> bool {
    true
}

/// Python's `int()` of a duration argument: integers, floats (truncated) and integer strings.
fn int(name: &str, v: &Value) -> Result<Option<i64>, ModuleError> {
    let bad = || {
        ModuleError::msg(format!(
            "argument '{name}' is of type {} and we were unable to convert to int",
            kind(v)
        ))
    };
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)).map(Some).ok_or_else(bad)
        }
        Value::String(s) => s.trim().parse().map(Some).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "str",
        Value::Bool(_) => "bool",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
        _ => "float",
    }
}

/// A float as Python's `str()` prints it (`5.0`, `0.08`).
pub fn py_float(x: f64) -> String {
    let s = format!("{x}");
    if s.contains(['.', 'e', 'N', 'i']) { s } else { format!("{s}.0") }
}

/// Ansible's `stdout`: the waited time rounded to 2 places, in the unit asked for.
pub fn paused_for(elapsed: f64, minutes: bool) -> String {
    let (value, unit) = if minutes { (elapsed / 60.0, "minutes") } else { (elapsed, "seconds") };
    format!("Paused for {} {unit}", py_float((value * 100.0).round() / 100.0))
}

fn now() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

impl Module for Pause {
    fn plan(&self, _ctx: &Ctx) -> Result<Plan, ModuleError> {
        let minutes = self.minutes.as_ref().map(|v| int("minutes", v)).transpose()?.flatten();
        let seconds = self.seconds.as_ref().map(|v| int("seconds", v)).transpose()?.flatten();
        if minutes.is_some() && seconds.is_some() {
            return Err(ModuleError::msg("parameters are mutually exclusive: minutes|seconds"));
        }
        let wait = minutes.map(|m| m * 60).or(seconds).map(|s| s.max(1));
        let mut warnings = Vec::new();
        if wait.is_none() {
            if std::io::stdin().is_terminal() {
                return Err(ModuleError::msg(
                    "pause: hearth does not read answers to prompts; give seconds or minutes, or run without a terminal on stdin to continue at once as Ansible does",
                ));
            }
            warnings.push("Not waiting for response to prompt as stdin is not interactive".to_string());
        }
        let (start, begun) = (now(), Instant::now());
        if let Some(s) = wait {
            std::thread::sleep(Duration::from_secs(s as u64));
        }
        let elapsed = begun.elapsed().as_secs_f64();
        let stdout = paused_for(elapsed, seconds.is_none());
        let mut plan = Plan::ok(stdout.clone())
            .with("rc", 0)
            .with("stderr", "")
            .with("stdout", stdout)
            .with("start", start)
            .with("stop", now())
            .with("delta", elapsed as i64)
            .with("echo", self.echo)
            .with("user_input", "");
        if !warnings.is_empty() {
            plan = plan.with("warnings", warnings);
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn stdout_like_ansible() {
        assert_eq!(paused_for(5.0012, false), "Paused for 5.0 seconds");
        assert_eq!(paused_for(61.0, true), "Paused for 1.02 minutes");
        assert_eq!(paused_for(0.5, true), "Paused for 0.01 minutes");
        assert_eq!(py_float(2.0), "2.0");
    }

    #[test]
    fn waits_at_least_a_second_and_checks_arguments() {
        let env = Env::new();
        let begun = Instant::now();
        let run = env.run::<Pause>(json!({"seconds": "0"})).unwrap();
        assert!(begun.elapsed() >= Duration::from_secs(1));
        assert!(!run.changed);
        assert_eq!(run.result["stdout"], "Paused for 1.0 seconds");
        assert_eq!(run.result["delta"], 1);
        assert_eq!(run.result["echo"], true);
        let both = env.run::<Pause>(json!({"seconds": 1, "minutes": 1})).err().unwrap();
        assert_eq!(both.to_string(), "parameters are mutually exclusive: minutes|seconds");
        let bad = env.run::<Pause>(json!({"seconds": "soon"})).err().unwrap();
        assert!(bad.to_string().contains("unable to convert to int"));
    }
}
