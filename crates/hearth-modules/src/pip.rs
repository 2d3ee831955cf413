//! `pip`: install, upgrade and remove Python packages with the host's pip, optionally in a
//! virtualenv it creates. It reads `pip list --format=freeze` to decide (so present/absent
//! are idempotent and check mode changes nothing), then runs one pip command.

pub mod spec;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::{Cmd, Transport};
use spec::{is_path_or_url, normalize, parse_freeze, parse_req, satisfies};

/// Parameters of `pip`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pip {
    /// Package names or specifiers (`foo`, `foo==1.0`, `foo>=2`), a list or comma-separated.
    #[serde(default, deserialize_with = "super::args::de_list")]
    pub name: Vec<String>,
    /// The version for a single `name`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub version: Option<String>,
    /// `present` (default), `absent`, `latest` or `forcereinstall`.
    #[serde(default = "present")]
    pub state: String,
    /// A requirements file for `pip install -r`.
    pub requirements: Option<String>,
    /// A virtualenv directory to install into (created when missing).
    pub virtualenv: Option<String>,
    /// The command creating the virtualenv (default `virtualenv`).
    #[serde(default = "virtualenv")]
    pub virtualenv_command: String,
    /// The Python for the new virtualenv (`--python` / the venv's interpreter).
    pub virtualenv_python: Option<String>,
    /// Give the virtualenv access to the global site-packages.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub virtualenv_site_packages: bool,
    /// The pip executable to use (e.g. `pip3`).
    pub executable: Option<String>,
    /// Extra arguments passed to pip.
    pub extra_args: Option<String>,
    /// Directory to run pip in.
    pub chdir: Option<String>,
    /// Install in editable mode (`-e`).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub editable: bool,
    /// The umask for the pip run (octal string, e.g. `0022`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub umask: Option<String>,
}

fn present() -> String {
    "present".into()
}

fn virtualenv() -> String {
    "virtualenv".into()
}

fn sh(
    host: &dyn Transport,
    script: &str,
    args: &[String],
    chdir: &Option<String>,
) -> Result<(i32, String, String), ModuleError> {
    let mut argv = vec!["/bin/sh".to_string(), "-c".into(), script.into(), "sh".into()];
    argv.extend(args.iter().cloned());
    let mut cmd = Cmd::new(argv);
    cmd.chdir = chdir.clone();
    let out = host.run(&cmd)?;
    Ok((
        out.rc,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn split(s: &str) -> Result<Vec<String>, ModuleError> {
    shlex::split(s).ok_or_else(|| ModuleError::msg(format!("cannot split: {s}")))
}

impl Pip {
    /// The pip to run as argv words (`<venv>/bin/pip`, `executable`, or pip3/pip on PATH).
    fn pip(&self, host: &dyn Transport) -> Result<Vec<String>, ModuleError> {
        if let Some(v) = &self.virtualenv {
            return Ok(vec![format!("{}/bin/pip", v.trim_end_matches('/'))]);
        }
        if let Some(e) = &self.executable {
            return split(e);
        }
        let (_, out, _) = sh(host, "command -v pip3 || command -v pip", &[], &None)?;
        match out.lines().next() {
            Some(p) if !p.trim().is_empty() => Ok(vec![p.trim().to_string()]),
            _ => Err(ModuleError::msg("Unable to find any of pip3 to use.  pip needs to be installed.")),
        }
    }

    fn venv_cmd(&self) -> Result<Vec<String>, ModuleError> {
        let mut argv = split(&self.virtualenv_command)?;
        let is_venv = argv.iter().any(|a| a == "venv" || a == "pyvenv" || a.ends_with("pyvenv"));
        if self.virtualenv_site_packages {
            argv.push("--system-site-packages".into());
        }
        if let Some(py) = &self.virtualenv_python {
            if is_venv {
                return Err(ModuleError::msg(
                    "virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command",
                ));
            }
            argv.push(format!("--python={py}"));
        }
        argv.push(self.virtualenv.clone().unwrap_or_default());
        Ok(argv)
    }

    fn names(&self) -> Result<Vec<String>, ModuleError> {
        match (&self.version, self.name.as_slice()) {
            (Some(_), []) => Err(ModuleError::msg("version is set while name is not.")),
            (Some(v), [n]) => Ok(vec![format!("{n}=={v}")]),
            (Some(_), _) => Err(ModuleError::msg(
                "'version' argument is ambiguous when installing multiple package distributions. Please specify version restrictions next to each package in 'name' argument.",
            )),
            (None, n) => Ok(n.to_vec()),
        }
    }
}

impl Module for Pip {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let state = self.state.as_str();
        if !["present", "absent", "latest", "forcereinstall"].contains(&state) {
            return Err(ModuleError::msg(format!(
                "value of state must be one of: present, absent, latest, forcereinstall, got: {state}"
            )));
        }
        let names = self.names()?;
        if names.is_empty() && self.requirements.is_none() {
            return Err(ModuleError::msg("one of the following is required: name, requirements"));
        }
        let host = ctx.host;
        let venv_missing = match &self.virtualenv {
            Some(v) => host.stat(&format!("{}/bin/activate", v.trim_end_matches('/')), true)?.is_none(),
            None => false,
        };
        let pip = self.pip(host)?;
        let installed = if venv_missing { Default::default() } else { self.installed(host, &pip)? };
        let reqs: Vec<_> = names.iter().map(|n| parse_req(n)).collect();
        let have = |r: &spec::Req| installed.get(&normalize(&r.name));
        let ok = |r: &spec::Req| have(r).is_some_and(|v| r.specs.iter().all(|(op, w)| satisfies(v, op, w)));
        let opaque = self.requirements.is_some() || names.iter().any(|n| is_path_or_url(n)) || self.editable;
        let need = match state {
            "absent" => !venv_missing && reqs.iter().any(|r| have(r).is_some()),
            "present" => venv_missing || opaque || !reqs.iter().all(ok),
            _ => true,
        };
        let argv = self.pip_argv(&pip, &names)?;
        let shown = argv.join(" ");
        let base = self.base_result(&shown, &names);
        if !need {
            let mut p = Plan::ok("all packages as requested");
            p.result = base;
            p.result.insert("stdout".into(), Value::String(String::new()));
            p.result.insert("stderr".into(), Value::String(String::new()));
            return Ok(p);
        }
        let run = Run {
            me: self.clone(),
            base,
            argv,
            pip,
            venv_missing,
            before: installed,
            latest_names: reqs.iter().map(|r| normalize(&r.name)).collect(),
            check_latest: state == "latest" && !opaque && !venv_missing,
        };
        let mut plan =
            Plan::change(format!("pip {}", names.join(" ")), Box::new(move |ctx: &Ctx| run.act(ctx)));
        plan.result.insert("cmd".into(), Value::String(shown));
        Ok(plan)
    }
}

impl Pip {
    /// What `pip list --format=freeze` says is installed.
    fn installed(
        &self,
        host: &dyn Transport,
        pip: &[String],
    ) -> Result<BTreeMap<String, String>, ModuleError> {
        let mut argv = pip.to_vec();
        argv.extend(["list".into(), "--format=freeze".into(), "--disable-pip-version-check".into()]);
        let (rc, out, err) = sh(host, "\"$@\"", &argv, &self.chdir)?;
        if rc != 0 {
            return Err(ModuleError::msg(format!("Unable to list installed packages: {}", err.trim())));
        }
        Ok(parse_freeze(&out))
    }

    /// The pip command line for the wanted state.
    fn pip_argv(&self, pip: &[String], names: &[String]) -> Result<Vec<String>, ModuleError> {
        let mut argv = pip.to_vec();
        argv.extend(match self.state.as_str() {
            "absent" => vec!["uninstall".into(), "-y".into()],
            "latest" => vec!["install".into(), "-U".into()],
            "forcereinstall" => vec!["install".into(), "-U".into(), "--force-reinstall".into()],
            _ => vec!["install".into()],
        });
        if let Some(extra) = &self.extra_args {
            argv.extend(split(extra)?);
        }
        if self.editable {
            argv.push("-e".into());
        }
        if let Some(r) = &self.requirements {
            argv.extend(["-r".into(), r.clone()]);
        }
        argv.extend(names.iter().cloned());
        Ok(argv)
    }

    /// The result fields Ansible's pip module returns whether or not it ran.
    fn base_result(&self, shown: &str, names: &[String]) -> Map {
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        let mut base = Map::new();
        base.insert("cmd".into(), Value::String(shown.to_string()));
        base.insert("name".into(), Value::from(names.to_vec()));
        base.insert("requirements".into(), text(&self.requirements));
        base.insert("version".into(), text(&self.version));
        base.insert("virtualenv".into(), text(&self.virtualenv));
        base.insert("state".into(), Value::String(self.state.clone()));
        base
    }
}

/// The planned pip run: the virtualenv if missing, then pip, then (for `latest`) whether
/// anything changed.
struct Run {
    me: Pip,
    base: Map,
    argv: Vec<String>,
    pip: Vec<String>,
    venv_missing: bool,
    before: BTreeMap<String, String>,
    latest_names: Vec<String>,
    check_latest: bool,
}

impl Run {
    fn act(&self, ctx: &Ctx) -> Result<Map, ModuleError> {
        let me = &self.me;
        let mut res = self.base.clone();
        let (mut stdout, mut stderr) = (String::new(), String::new());
        if self.venv_missing {
            let (rc, o, e) = sh(ctx.host, "\"$@\"", &me.venv_cmd()?, &me.chdir)?;
            stdout.push_str(&o);
            stderr.push_str(&e);
            if rc != 0 {
                res.insert("stdout".into(), Value::String(stdout));
                res.insert("stderr".into(), Value::String(stderr));
                return Err(ModuleError::Failed {
                    msg: "Unable to create the virtualenv".into(),
                    result: res,
                });
            }
        }
        let script = match &me.umask {
            Some(u) => format!("umask {u} && \"$@\""),
            None => "\"$@\"".into(),
        };
        let (rc, o, e) = sh(ctx.host, &script, &self.argv, &me.chdir)?;
        stdout.push_str(&o);
        stderr.push_str(&e);
        res.insert("stdout".into(), Value::String(stdout.clone()));
        res.insert("stderr".into(), Value::String(stderr.clone()));
        if rc != 0 {
            let msg = format!("stdout: {stdout}\n\n:stderr: {stderr}");
            return Err(ModuleError::Failed { msg, result: res });
        }
        if self.check_latest {
            let mut list = self.pip.clone();
            list.extend(["list".into(), "--format=freeze".into(), "--disable-pip-version-check".into()]);
            let (_, out, _) = sh(ctx.host, "\"$@\"", &list, &me.chdir)?;
            let after = parse_freeze(&out);
            let same = self.latest_names.iter().all(|n| self.before.get(n) == after.get(n));
            res.insert("changed".into(), Value::Bool(!same));
        }
        Ok(res)
    }
}
