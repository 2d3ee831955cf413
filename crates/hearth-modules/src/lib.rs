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
pub mod module;
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
pub mod registry;
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

pub use module::{Action, Ctx, Diff, Module, ModuleError, Outcome, Plan, SearchPath};
pub use registry::{FreeForm, ParamError, REGISTRY, Spec, is_module, lookup};
