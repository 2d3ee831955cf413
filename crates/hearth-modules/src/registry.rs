//! The registry of modules hearth implements: each one's name, how to build it from its
//! arguments (with "did you mean" for unknown parameters), how it takes a free-form string,
//! and the collections and prefixes its name may carry.

use serde::de::DeserializeOwned;

use crate::module::Module;
use hearth_formats::value::Value;

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
    spec!("alternatives", crate::alternatives::Alternatives, FreeForm::KeyValue),
    spec!("apt", crate::apt::Apt, FreeForm::KeyValue),
    spec!("apt_repository", crate::apt_repository::AptRepository, FreeForm::KeyValue),
    spec!("assemble", crate::assemble::Assemble, FreeForm::KeyValue),
    spec!("assert", crate::assert::Assert, FreeForm::KeyValue),
    spec!("async_status", crate::async_status::AsyncStatus, FreeForm::KeyValue),
    spec!("blockinfile", crate::blockinfile::Blockinfile, FreeForm::KeyValue),
    spec!("command", crate::command::Command, FreeForm::Param("cmd")),
    spec!("copy", crate::copy::Copy, FreeForm::KeyValue),
    spec!("deb822_repository", crate::deb822_repository::Deb822Repository, FreeForm::KeyValue),
    spec!("debug", crate::debug::Debug, FreeForm::KeyValue),
    spec!("dpkg_selections", crate::dpkg_selections::DpkgSelections, FreeForm::KeyValue),
    spec!("fail", crate::fail::Fail, FreeForm::KeyValue),
    spec!("fetch", crate::fetch::Fetch, FreeForm::KeyValue),
    spec!("file", crate::file::File, FreeForm::KeyValue),
    spec!("find", crate::find::Find, FreeForm::KeyValue),
    spec!("get_url", crate::get_url::GetUrl, FreeForm::KeyValue),
    spec!("getent", crate::getent::Getent, FreeForm::KeyValue),
    spec!("group", crate::group::Group, FreeForm::KeyValue),
    spec!("include_vars", crate::include_vars::IncludeVars, FreeForm::Param("file")),
    spec!("iptables", crate::iptables::Iptables, FreeForm::KeyValue),
    spec!("k8s", crate::k8s::K8s, FreeForm::KeyValue),
    spec!("k8s_info", crate::k8s_info::K8sInfo, FreeForm::KeyValue),
    spec!("lineinfile", crate::lineinfile::Lineinfile, FreeForm::KeyValue),
    spec!("modprobe", crate::modprobe::Modprobe, FreeForm::KeyValue),
    spec!("mount", crate::mount::Mount, FreeForm::KeyValue),
    spec!("package", crate::package::Package, FreeForm::KeyValue),
    spec!("package_facts", crate::package_facts::PackageFacts, FreeForm::KeyValue),
    spec!("pause", crate::pause::Pause, FreeForm::KeyValue),
    spec!("pip", crate::pip::Pip, FreeForm::KeyValue),
    spec!("raw", crate::raw::Raw, FreeForm::Param("free_form")),
    spec!("reboot", crate::reboot::Reboot, FreeForm::KeyValue),
    spec!("replace", crate::replace::Replace, FreeForm::KeyValue),
    spec!("service", crate::service::Service, FreeForm::KeyValue),
    spec!("service_facts", crate::service_facts::ServiceFacts, FreeForm::KeyValue),
    spec!("set_fact", crate::set_fact::SetFact, FreeForm::KeyValue),
    spec!("setup", crate::setup::Setup, FreeForm::KeyValue),
    spec!("shell", crate::command::Shell, FreeForm::Param("cmd")),
    spec!("slurp", crate::slurp::Slurp, FreeForm::KeyValue),
    spec!("stat", crate::stat::Stat, FreeForm::KeyValue),
    spec!("sysctl", crate::sysctl::Sysctl, FreeForm::KeyValue),
    spec!("systemd", crate::systemd::Systemd, FreeForm::KeyValue),
    spec!("systemd_service", crate::systemd::Systemd, FreeForm::KeyValue),
    spec!("tempfile", crate::tempfile::Tempfile, FreeForm::KeyValue),
    spec!("template", crate::template::Template, FreeForm::KeyValue),
    spec!("timezone", crate::timezone::Timezone, FreeForm::KeyValue),
    spec!("ufw", crate::ufw::Ufw, FreeForm::KeyValue),
    spec!("unarchive", crate::unarchive::Unarchive, FreeForm::KeyValue),
    spec!("uri", crate::uri::Uri, FreeForm::KeyValue),
    spec!("user", crate::user::User, FreeForm::KeyValue),
    spec!("validate_argument_spec", crate::validate_argument_spec::ValidateArgumentSpec, FreeForm::KeyValue),
    spec!("wait_for", crate::wait_for::WaitFor, FreeForm::KeyValue),
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
