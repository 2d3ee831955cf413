//! The real ansible-playbook that the comparison tests run beside hearth: found through
//! `HEARTH_ANSIBLE_PLAYBOOK` (set by `.ci/run`), and run on a lab with settings that make its
//! output comparable (plain default callback, no colour, no retry files, the lab's python).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Run;
use super::lab::Lab;

/// The ansible-playbook to compare with, or `None` to skip `what` (never under `CI=true`).
pub fn playbook(what: &str) -> Option<PathBuf> {
    match std::env::var_os("HEARTH_ANSIBLE_PLAYBOOK") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "HEARTH_ANSIBLE_PLAYBOOK={} is not a file", p.display());
            Some(p)
        }
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but HEARTH_ANSIBLE_PLAYBOOK is unset: .ci/run must install ansible")
        }
        None => {
            eprintln!("note: HEARTH_ANSIBLE_PLAYBOOK unset, skipping {what}");
            None
        }
    }
}

/// Runs `ansible-playbook -i <lab inventory> ARGS` in `dir`, with its ssh control sockets in
/// `dir` too (so no master outlives the test's lab).
pub fn on_lab(ansible: &Path, dir: &Path, lab: &Lab, args: &[&str]) -> Run {
    Command::new(ansible)
        .arg("-i")
        .arg(&lab.inventory)
        .args(args)
        .current_dir(dir)
        .env("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_STDOUT_CALLBACK", "default")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "false")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "false")
        .env("ANSIBLE_SSH_CONTROL_PATH_DIR", dir.join(".ansible-cp"))
        .env_remove("ANSIBLE_CONFIG")
        .env_remove("ANSIBLE_ROLES_PATH")
        .output()
        .expect("run ansible-playbook")
        .into()
}
