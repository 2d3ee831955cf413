//! `dpkg_selections`: a package's dpkg selection (`install`, `hold`, `deinstall`, `purge`), read
//! with `dpkg --get-selections NAME` and set with `dpkg --set-selections`, with Ansible's
//! `before`/`after` result. Holding is what roles use to pin a package (`kubelet`, `k3s`).

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Map;
use hearth_transport::{Cmd, CmdOutput};

/// Parameters of `dpkg_selections`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpkgSelections {
    /// The package.
    pub name: String,
    /// `install`, `hold`, `deinstall` or `purge`.
    pub selection: Selection,
}

/// A dpkg selection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// Installed and upgradable.
    Install,
    /// Kept at its version.
    Hold,
    /// To be removed.
    Deinstall,
    /// To be removed with its configuration.
    Purge,
}

impl Selection {
    fn word(self) -> &'static str {
        match self {
            Selection::Install => "install",
            Selection::Hold => "hold",
            Selection::Deinstall => "deinstall",
            Selection::Purge => "purge",
        }
    }
}

/// The selection `dpkg --get-selections NAME` printed (`not present` when nothing), or None
/// when dpkg does not know the package.
pub fn current(out: &CmdOutput) -> Option<String> {
    if String::from_utf8_lossy(&out.stderr).contains("no packages found matching") {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.split_whitespace().nth(1).unwrap_or("not present").to_string())
}

fn dpkg(args: &[&str]) -> Cmd {
    let mut cmd = Cmd::new(std::iter::once("dpkg").chain(args.iter().copied()));
    cmd.env = ["LANG", "LC_ALL", "LC_MESSAGES", "LC_CTYPE", "LANGUAGE"]
        .iter()
        .map(|k| (k.to_string(), "C".into()))
        .collect();
    cmd
}

fn check_rc(out: CmdOutput) -> Result<CmdOutput, ModuleError> {
    if out.rc == 0 {
        return Ok(out);
    }
    let mut result = Map::new();
    result.insert("rc".into(), out.rc.into());
    result.insert("stdout".into(), String::from_utf8_lossy(&out.stdout).into_owned().into());
    result.insert("stderr".into(), String::from_utf8_lossy(&out.stderr).into_owned().into());
    Err(ModuleError::Failed { msg: String::from_utf8_lossy(&out.stderr).trim().to_string(), result })
}

impl Module for DpkgSelections {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let want = self.selection.word();
        let out = check_rc(ctx.host.run(&dpkg(&["--get-selections", &self.name]))?)?;
        let Some(now) = current(&out) else {
            return Err(ModuleError::msg(format!(
                "Failed to find package '{}' to perform selection '{want}'.",
                self.name
            )));
        };
        let plan = if now == want {
            Plan::ok(format!("{} is already {want}", self.name))
        } else {
            let line = format!("{} {want}", self.name);
            Plan::change(
                format!("{}: {now} => {want}", self.name),
                Box::new(move |ctx: &Ctx| {
                    let mut cmd = dpkg(&["--set-selections"]);
                    cmd.stdin = Some(line.into_bytes());
                    check_rc(ctx.host.run(&cmd)?)?;
                    Ok(Map::new())
                }),
            )
        };
        Ok(plan.with("before", now).with("after", want))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(stdout: &str, stderr: &str) -> CmdOutput {
        CmdOutput { rc: 0, stdout: stdout.into(), stderr: stderr.into() }
    }

    #[test]
    fn current_selection() {
        assert_eq!(current(&out("bash\t\t\t\t\t\tinstall\n", "")).as_deref(), Some("install"));
        assert_eq!(current(&out("", "")).as_deref(), Some("not present"));
        assert_eq!(current(&out("", "dpkg: no packages found matching nope\n")), None);
    }
}
