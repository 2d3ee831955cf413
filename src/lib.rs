//! hearth: an agentless, Ansible-compatible provisioner. Data flows one way:
//! `cli` → `load` → `execute` → `modules` → `transport`, with `report` the only code that prints.

pub mod cli;

pub use hearth_engine::{execute, load, report};
pub use hearth_formats::{value, vault};
pub use hearth_kube as kube;
pub use hearth_lab as lab;
pub use hearth_modules as modules;
pub use hearth_modules::facts;
pub use hearth_template as template;
pub use hearth_transport as transport;
