//! Integration tests: the built `hearth` binary on playbooks in temp dirs, asserting on files,
//! output, recap and exit codes. One module per capability; helpers in `support`.

mod support;

mod apt;
mod architecture;
mod async_jobs;
mod cli;
mod collections;
mod community_roles;
mod compat;
mod debian;
mod delegate;
mod demo;
mod docker;
mod errors;
mod facts;
mod fetch;
mod files;
mod find;
mod firewall;
mod fuzz;
mod get_url;
mod inventory;
mod k8s;
mod k8s_patch;
mod kernel;
mod kube_double;
mod lab;
mod language;
mod mount;
mod output;
mod patterns;
mod pip;
mod readme;
mod reboot;
mod remote;
mod remote_user;
mod services;
mod ssh;
mod stack;
mod stack_lab;
mod timeout;
mod uri;
mod users;
mod vault;
mod wait_for;
