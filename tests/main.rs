//! Integration tests: the built `hearth` binary on playbooks in temp dirs, asserting on files,
//! output, recap and exit codes. One module per capability; helpers in `support`.

mod support;

mod cli;
mod compat;
mod errors;
mod facts;
mod files;
mod inventory;
mod lab;
mod language;
mod output;
mod readme;
mod remote;
mod ssh;
mod stack;
