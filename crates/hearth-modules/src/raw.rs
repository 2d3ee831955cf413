//! `raw`: run a command line as-is through the host's shell, with none of the module machinery
//! (for hosts without anything, e.g. to bootstrap). Always changed; skipped in check mode. It
//! does not strip output, split arguments or support `creates`/`removes` (use `command`/`shell`).

use serde::Deserialize;

use crate::module::{Action, Ctx, Module, ModuleError, Outcome, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Cmd, TransportError};

/// Parameters of `raw`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Raw {
    /// The command line; the free-form argument.
    #[serde(alias = "_raw_params")]
    pub free_form: Option<String>,
    /// Shell to run it with (`EXE -c LINE`) instead of `/bin/sh`.
    pub executable: Option<String>,
}

impl Module for Raw {
    fn plan(&self, _ctx: &Ctx) -> Result<Plan, ModuleError> {
        let line = self
            .free_form
            .clone()
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| ModuleError::msg("no command given"))?;
        let exe = self.executable.clone().unwrap_or_else(|| "/bin/sh".into());
        let action: Action = Box::new(move |ctx: &Ctx| run(ctx, exe, line));
        Ok(Plan { outcome: Outcome::Run(action), diffs: Vec::new(), result: Map::new() })
    }
}

fn run(ctx: &Ctx, exe: String, line: String) -> Result<Map, ModuleError> {
    let out = match ctx.host.run(&Cmd::new([exe, "-c".into(), line])) {
        Err(TransportError::Spawn { program, message }) => {
            return Err(ModuleError::msg(format!("[Errno 2] {message}: '{program}'")));
        }
        other => other?,
    };
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    let mut r = Map::new();
    r.insert("rc".into(), Value::from(out.rc));
    r.insert("stdout_lines".into(), Value::from(stdout.lines().map(str::to_string).collect::<Vec<_>>()));
    r.insert("stderr_lines".into(), Value::from(stderr.lines().map(str::to_string).collect::<Vec<_>>()));
    r.insert("stdout".into(), Value::String(stdout));
    r.insert("stderr".into(), Value::String(stderr));
    r.insert("changed".into(), Value::Bool(true));
    if out.rc != 0 {
        return Err(ModuleError::Failed { msg: "non-zero return code".into(), result: r });
    }
    Ok(r)
}
