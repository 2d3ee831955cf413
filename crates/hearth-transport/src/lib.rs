//! The only door to a host: run a command, read, write and inspect files. Modules talk to hosts
//! exclusively through [`Transport`], so the same module code runs locally and over SSH.
//! Commands are argv vectors; quoting for a remote shell happens inside a transport, never in
//! modules. This layer decides nothing about desired state.

pub mod cache;
mod cmd;
pub mod deadline;
mod error;
mod file;
pub mod local;
mod local_cmd;
pub mod local_timed;
pub mod posix;
pub mod quote;
pub mod runner;
pub mod script;
pub mod shell;
mod spawned;
pub mod ssh;
pub mod ssh_args;
pub mod ssh_errors;
pub mod sudo;
mod trace;
mod transport;

pub use cmd::{Cmd, CmdOutput};
pub use error::TransportError;
pub use file::{Access, Attrs, FileKind, FileStat, PROBE_CONTENT_LIMIT, Placed, Probe};
pub use local::Local;
pub use transport::{Become, Deadline, Transport};
