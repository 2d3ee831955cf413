//! Files to typed values: YAML with positions, playbooks, tasks, roles and the inventory.
//! Nothing here touches a host or renders a template.

mod address;
pub mod collections;
pub mod config;
pub mod error;
mod fields;
pub mod host_order;
pub mod inherit;
pub mod inventory;
pub mod keywords;
mod module_args;
mod module_defaults;
pub mod pattern;
pub mod pattern_syntax;
pub mod playbook;
pub mod role;
mod role_argspec;
mod role_entry;
pub mod role_include;
mod role_load;
pub mod source;
pub mod task;
mod task_action;
pub mod task_parse;
pub mod vars_prompt;

pub use error::LoadError;
