//! Integration tests: the built `hearth` binary on playbooks in temp dirs, asserting on files,
//! output, recap and exit codes. One module per capability; helpers in `support`.

mod support;

mod apt;
mod cli;
mod compat;
mod debian;
mod demo;
mod docker;
mod errors;
mod facts;
mod fetch;
mod files;
mod find;
mod get_url;
mod inventory;
mod k8s;
mod k8s_patch;
mod kernel;
mod kube_double;
mod lab;
mod language;
mod output;
mod readme;
mod remote;
mod services;
mod ssh;
mod stack;
mod stack_lab;
mod uri;
mod users;
mod wait_for;
