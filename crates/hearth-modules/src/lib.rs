//! Modules: one file each, named like the Ansible module. A module is a serde struct of its
//! parameters that implements [`Module`]: it reads the host's current state through the
//! transport, computes the desired state and returns a [`Plan`]. The engine, not the module,
//! decides whether to run the plan's action (check mode lives only in the engine).
//!
//! Adding a module = one new file + one line in [`REGISTRY`].

pub mod alternatives;
pub mod apt;
pub mod apt_repository;
pub mod args;
pub mod assemble;
pub mod assert;
pub mod async_status;
pub mod blockinfile;
pub mod command;
pub mod copy;
pub mod deb822_repository;
pub mod debug;
pub mod dpkg_selections;
pub mod facts;
pub mod fail;
pub mod fetch;
pub mod file;
pub mod file_attrs;
pub mod file_link;
pub mod file_plan;
pub mod fileedit;
pub mod find;
pub mod find_content;
pub mod find_match;
pub mod find_walk;
pub mod get_url;
pub mod getent;
pub mod group;
pub mod include_vars;
pub mod iptables;
pub mod iptables_params;
pub mod iptables_rule;
pub mod k8s;
pub mod k8s_info;
pub mod k8s_plan;
pub mod k8s_result;
pub mod lineinfile;
pub mod lineinfile_edit;
pub mod mode;
pub mod modprobe;
pub mod mount;
pub mod mount_action;
pub mod mount_args;
pub mod mount_fstab;
pub mod mount_probe;
pub mod not_implemented;
pub mod package;
pub mod package_facts;
pub mod pause;
pub mod pip;
pub mod put;
pub mod raw;
pub mod reboot;
pub mod replace;
pub mod service;
pub mod service_facts;
pub mod set_fact;
pub mod setup;
pub mod slurp;
pub mod stat;
pub mod sysctl;
pub mod systemd;
pub mod systemd_unit;
pub mod tempfile;
pub mod template;
pub mod timezone;
pub mod ufw;
pub mod ufw_params;
pub mod ufw_plan;
pub mod unarchive;
pub mod uri;
pub mod user;
pub mod user_db;
pub mod validate_argument_spec;
pub mod wait_for;

use std::path::PathBuf;

use serde::de::DeserializeOwned;

use hearth_formats::value::{Map, Value};
use hearth_template::{Templar, TemplateError};
use hearth_transport::{Transport, TransportError};

/// Everything a module may use while planning and acting on one host.
pub struct Ctx<'a> {
    /// The connection to the host.
    pub host: &'a dyn Transport,
    /// The task's variables as a template context (for `template` and friends).
    pub vars: &'a minijinja::Value,
    /// The template engine.
    pub templar: &'a Templar,
    /// Directories searched, in order, for a relative `src` (role `files/`/`templates/`, playbook dir).
    pub search: &'a SearchPath,
    /// Whether the user asked for diffs (modules may skip expensive diff text otherwise).
    pub diff: bool,
}

/// Where relative `src` paths and templates are looked up on the control node.
#[derive(Debug, Clone, Default)]
pub struct SearchPath {
    /// Candidate base directories, most specific first.
    pub dirs: Vec<PathBuf>,
}

impl SearchPath {
    /// Finds `name` under `subdir` (e.g. `files`, `templates`) or directly in each base dir,
    /// like Ansible's `find_file_in_search_path`; absolute paths are returned unchanged.
    pub fn find(&self, subdir: &str, name: &str) -> Option<PathBuf> {
        let p = std::path::Path::new(name);
        if p.is_absolute() {
            return p.exists().then(|| p.to_path_buf());
        }
        self.dirs.iter().flat_map(|d| [d.join(subdir).join(name), d.join(name)]).find(|c| c.exists())
    }
}

/// A before/after text pair the reporter turns into a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Header of the old side (usually the path, or "before").
    pub before_header: String,
    /// Header of the new side.
    pub after_header: String,
    /// Old text.
    pub before: String,
    /// New text.
    pub after: String,
}

/// The change step of a plan, run by the engine only outside check mode. It returns extra
/// result fields (e.g. `rc`, `stdout`, `backup_file`).
pub type Action = Box<dyn FnOnce(&Ctx) -> Result<Map, ModuleError>>;

/// What a module found and what it would do.
pub enum Outcome {
    /// Already as desired; the reason is shown with `-v`.
    Ok(String),
    /// Something must change; the summary says what.
    Change { summary: String, action: Action },
    /// The module cannot predict the effect (e.g. `command`): in check mode the task is
    /// skipped; otherwise the action runs and the task reports changed.
    Run(Action),
}

/// The result of planning: the outcome plus diffs and result fields known before acting.
pub struct Plan {
    /// Whether and how to act.
    pub outcome: Outcome,
    /// Diffs to show with `--diff`.
    pub diffs: Vec<Diff>,
    /// Result fields for `register` (e.g. `stat`, `msg`, `ansible_facts`).
    pub result: Map,
}

impl Plan {
    /// A plan with nothing to do.
    pub fn ok(reason: impl Into<String>) -> Plan {
        Plan { outcome: Outcome::Ok(reason.into()), diffs: Vec::new(), result: Map::new() }
    }

    /// A plan that changes something.
    pub fn change(summary: impl Into<String>, action: Action) -> Plan {
        Plan {
            outcome: Outcome::Change { summary: summary.into(), action },
            diffs: Vec::new(),
            result: Map::new(),
        }
    }

    /// Adds a diff.
    pub fn with_diff(mut self, diff: Diff) -> Plan {
        self.diffs.push(diff);
        self
    }

    /// Adds a result field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Plan {
        self.result.insert(key.to_string(), value.into());
        self
    }
}

/// Why a module failed on a host.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The task failed; `result` carries fields such as `rc` or `stderr` for `register`.
    #[error("{msg}")]
    Failed { msg: String, result: Map },
    /// The host could not be reached or a file operation failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A template (e.g. the `template` module's source) failed to render.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

impl ModuleError {
    /// A failure with only a message.
    pub fn msg(msg: impl Into<String>) -> ModuleError {
        ModuleError::Failed { msg: msg.into(), result: Map::new() }
    }
}

/// One Ansible module as hearth implements it.
pub trait Module {
    /// Reads current state, compares it with the desired state and says what would change.
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError>;
}

/// How a module takes a bare string argument (`command: echo hi`, `copy: src=a dest=b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeForm {
    /// Only `key=value` pairs.
    KeyValue,
    /// The rest of the string after `key=value` pairs for the listed keys becomes this parameter.
    Param(&'static str),
}

/// A registry entry: how to build a module from its (already templated) arguments.
pub struct Spec {
    /// Bare name; `ansible.builtin.NAME`, `ansible.legacy.NAME` (and `COLLECTION.NAME` for the
    /// modules listed under their collection in `COLLECTIONS`) are accepted too.
    pub name: &'static str,
    /// Builds the module from its arguments, rejecting unknown or missing parameters.
    pub build: fn(Value) -> Result<Box<dyn Module>, ParamError>,
    /// The parameter names, for errors and the README.
    pub params: fn() -> &'static [&'static str],
    /// How a string argument is read.
    pub free_form: FreeForm,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "module {}", self.name)
    }
}

/// Arguments that do not fit a module's parameters.
#[derive(Debug, thiserror::Error)]
#[error("module {module}: {message}")]
pub struct ParamError {
    /// The module name.
    pub module: &'static str,
    /// What is wrong (unknown parameter with the valid ones, missing one, wrong type).
    pub message: String,
}

fn build<P>(
    module: &'static str,
    args: Value,
    params: &'static [&'static str],
) -> Result<Box<dyn Module>, ParamError>
where
    P: DeserializeOwned + Module + 'static,
{
    if let Value::Object(m) = &args
        && !params.is_empty()
        && let Some(bad) = m.keys().find(|k| !params.contains(&k.as_str()))
    {
        let hint = hearth_formats::suggest::did_you_mean(bad, params.iter().copied())
            .map(|s| format!(" Did you mean '{s}'?"))
            .unwrap_or_default();
        let message =
            format!("unsupported parameter '{bad}'.{hint} Supported parameters: {}", params.join(", "));
        return Err(ParamError { module, message });
    }
    let p: P = serde_json::from_value(args).map_err(|e| ParamError { module, message: e.to_string() })?;
    Ok(Box::new(p))
}

macro_rules! spec {
    ($name:literal, $ty:ty, $free:expr) => {
        Spec {
            name: $name,
            build: |args| {
                build::<$ty>($name, args, serde_aux::serde_introspection::serde_introspect::<$ty>())
            },
            params: || serde_aux::serde_introspection::serde_introspect::<$ty>(),
            free_form: $free,
        }
    };
}

/// Every module hearth knows, sorted by name.
pub static REGISTRY: &[Spec] = &[
    spec!("alternatives", alternatives::Alternatives, FreeForm::KeyValue),
    spec!("apt", apt::Apt, FreeForm::KeyValue),
    spec!("apt_repository", apt_repository::AptRepository, FreeForm::KeyValue),
    spec!("assemble", assemble::Assemble, FreeForm::KeyValue),
    spec!("assert", assert::Assert, FreeForm::KeyValue),
    spec!("async_status", async_status::AsyncStatus, FreeForm::KeyValue),
    spec!("blockinfile", blockinfile::Blockinfile, FreeForm::KeyValue),
    spec!("command", command::Command, FreeForm::Param("cmd")),
    spec!("copy", copy::Copy, FreeForm::KeyValue),
    spec!("deb822_repository", deb822_repository::Deb822Repository, FreeForm::KeyValue),
    spec!("debug", debug::Debug, FreeForm::KeyValue),
    spec!("dpkg_selections", dpkg_selections::DpkgSelections, FreeForm::KeyValue),
    spec!("fail", fail::Fail, FreeForm::KeyValue),
    spec!("fetch", fetch::Fetch, FreeForm::KeyValue),
    spec!("file", file::File, FreeForm::KeyValue),
    spec!("find", find::Find, FreeForm::KeyValue),
    spec!("get_url", get_url::GetUrl, FreeForm::KeyValue),
    spec!("getent", getent::Getent, FreeForm::KeyValue),
    spec!("group", group::Group, FreeForm::KeyValue),
    spec!("include_vars", include_vars::IncludeVars, FreeForm::Param("file")),
    spec!("iptables", iptables::Iptables, FreeForm::KeyValue),
    spec!("k8s", k8s::K8s, FreeForm::KeyValue),
    spec!("k8s_info", k8s_info::K8sInfo, FreeForm::KeyValue),
    spec!("lineinfile", lineinfile::Lineinfile, FreeForm::KeyValue),
    spec!("modprobe", modprobe::Modprobe, FreeForm::KeyValue),
    spec!("mount", mount::Mount, FreeForm::KeyValue),
    spec!("package", package::Package, FreeForm::KeyValue),
    spec!("package_facts", package_facts::PackageFacts, FreeForm::KeyValue),
    spec!("pause", pause::Pause, FreeForm::KeyValue),
    spec!("pip", pip::Pip, FreeForm::KeyValue),
    spec!("raw", raw::Raw, FreeForm::Param("free_form")),
    spec!("reboot", reboot::Reboot, FreeForm::KeyValue),
    spec!("replace", replace::Replace, FreeForm::KeyValue),
    spec!("service", service::Service, FreeForm::KeyValue),
    spec!("service_facts", service_facts::ServiceFacts, FreeForm::KeyValue),
    spec!("set_fact", set_fact::SetFact, FreeForm::KeyValue),
    spec!("setup", setup::Setup, FreeForm::KeyValue),
    spec!("shell", command::Shell, FreeForm::Param("cmd")),
    spec!("slurp", slurp::Slurp, FreeForm::KeyValue),
    spec!("stat", stat::Stat, FreeForm::KeyValue),
    spec!("sysctl", sysctl::Sysctl, FreeForm::KeyValue),
    spec!("systemd", systemd::Systemd, FreeForm::KeyValue),
    spec!("systemd_service", systemd::Systemd, FreeForm::KeyValue),
    spec!("tempfile", tempfile::Tempfile, FreeForm::KeyValue),
    spec!("template", template::Template, FreeForm::KeyValue),
    spec!("timezone", timezone::Timezone, FreeForm::KeyValue),
    spec!("ufw", ufw::Ufw, FreeForm::KeyValue),
    spec!("unarchive", unarchive::Unarchive, FreeForm::KeyValue),
    spec!("uri", uri::Uri, FreeForm::KeyValue),
    spec!("user", user::User, FreeForm::KeyValue),
    spec!("validate_argument_spec", validate_argument_spec::ValidateArgumentSpec, FreeForm::KeyValue),
    spec!("wait_for", wait_for::WaitFor, FreeForm::KeyValue),
];

/// Prefixes under which Ansible ships the modules hearth implements.
const PREFIXES: &[&str] = &["ansible.builtin.", "ansible.legacy."];

/// Collections other than ansible.builtin, with the modules of theirs hearth implements.
const COLLECTIONS: &[(&str, &[&str])] = &[
    ("ansible.posix.", &["mount", "sysctl"]),
    ("community.general.", &["alternatives", "modprobe", "timezone", "ufw"]),
    ("kubernetes.core.", &["k8s", "k8s_info"]),
];

/// Modules that run entirely on the control node (Ansible's controller-side actions): they
/// need no connection to the host, so an unreachable host still runs them.
const CONTROLLER_SIDE: &[&str] = &["assert", "debug", "fail", "pause", "set_fact", "validate_argument_spec"];

/// Modules Ansible runs once per play, on the first host only, without copying the result to
/// the others (its "bypass host loop" actions).
const ONCE_PER_PLAY: &[&str] = &["pause"];

impl Spec {
    /// Whether the module never touches the host.
    pub fn controller_side(&self) -> bool {
        CONTROLLER_SIDE.contains(&self.name)
    }

    /// Whether a task of this module runs once for the whole play.
    pub fn once_per_play(&self) -> bool {
        ONCE_PER_PLAY.contains(&self.name)
    }
}

/// Finds a module by bare or fully qualified name.
pub fn lookup(name: &str) -> Option<&'static Spec> {
    let collection = COLLECTIONS
        .iter()
        .find_map(|(prefix, names)| name.strip_prefix(prefix).filter(|bare| names.contains(bare)));
    let bare = collection.or_else(|| PREFIXES.iter().find_map(|p| name.strip_prefix(p))).unwrap_or(name);
    REGISTRY.iter().find(|s| s.name == bare)
}

/// True when `name` is a module name (for telling modules from task keywords).
pub fn is_module(name: &str) -> bool {
    lookup(name).is_some()
}
