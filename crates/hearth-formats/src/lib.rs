//! The formats Ansible users write and read, below everything else in hearth: the value model,
//! YAML with positions (and `!vault` values), Ansible Vault, Python literals, Python regular
//! expressions, PyYAML's and Python's way of printing data, fnmatch globs, "did you mean" hints.
//! Nothing here runs a template or touches a host.

pub mod fnmatch;
pub mod kv;
pub mod pyfloat;
pub mod pyliteral;
pub mod pyre;
mod pyregex;
pub mod pyyaml;
mod pyyaml_scalar;
pub mod suggest;
pub mod value;
pub mod vault;
pub mod yaml;
mod yaml_message;
