//! The Kubernetes client layer under the `k8s` and `k8s_info` modules: kubeconfig resolution
//! (`config`), one shared kube-rs client per cluster with cached API discovery (`client`),
//! object operations (`ops`), and the pure logic the modules decide with — definition parsing
//! (`definition`), comparison, masking and diff text (`compare`), readiness and waiting
//! (`wait`), error messages (`error`); retries of API requests (`retry`) and following an object
//! through watches that may drop (`follow`). Nothing here prints or knows about tasks and hosts.

pub mod client;
pub mod compare;
pub mod config;
pub mod definition;
pub mod error;
pub mod follow;
pub mod ops;
pub mod retry;
pub mod wait;

pub use error::KubeError;
