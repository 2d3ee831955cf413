//! Files to typed values: YAML with positions, playbooks, tasks, roles and the inventory.
//! Nothing here touches a host or renders a template.

mod address;
pub mod collections;
pub mod config;
pub mod error;
pub mod host_order;
mod inherit;
pub mod inventory;
mod module_defaults;
pub mod pattern;
pub mod playbook;
pub mod role;
mod role_argspec;
mod role_entry;
pub mod role_include;
pub mod task;
pub mod vars_prompt;

pub use error::LoadError;
