//! `hearth lab`: throwaway SSH hosts on this machine, for the integration tests and for trying
//! playbooks before touching real machines. A host = a network namespace on a private bridge + a
//! mount namespace whose root is a copy-on-write overlay of the machine's `/` + an sshd inside
//! (key-only; root and a sudo user). Everything created is recorded in a state file first, so
//! `down` cleans up after crashes. Needs root; does not need or use systemd, and does not route
//! the hosts to the outside world. The lab code never prints: `main` shows what these return.

pub mod apiserver;
pub mod demo;
mod error;
pub mod http;
pub mod inventory;
pub mod kubeapi;
mod lifecycle;
mod machine;
pub mod mirror;
pub mod network;
pub mod procs;
pub mod rootfs;
pub mod run;
pub mod shipped;
pub mod sshd;
pub mod standin;
pub mod state;
mod teardown;

pub use error::{LabError, MAX_HOSTS};
pub use lifecycle::{HostStatus, UpOptions, boot, status, up, watch};
pub use machine::{lab_root, load, require_root};
pub use state::{HostState, LabState};
pub use teardown::down;
