//! The inventory: hosts, groups, their variables and group_vars/host_vars files, with Ansible's
//! semantics (`all` and `ungrouped` always exist, hosts in inventory order, group depth and
//! `ansible_group_priority` for variable precedence, implicit localhost). Parsing lives in the
//! submodules (YAML, INI, host lists, directories), the data in `model`, the errors in `error`;
//! host addresses in `load::address`, host patterns in `load::pattern`. This file only declares
//! the submodules and re-exports their public API.
//! It does not template variables or add facts and play variables: that is the engine's job.

mod build;
mod error;
mod ini;
mod model;
mod output;
mod shlex;
mod source;
mod vars;
mod vars_files;
mod yaml_format;

pub use error::{GraphError, InventoryError};
pub use model::{Group, Host, Inventory, VarsLayer};
pub use output::json_text;
pub use source::load;

#[cfg(test)]
mod tests;
