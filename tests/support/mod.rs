//! Shared helpers: a temp project directory, running the hearth binary, reading the recap.

#![allow(dead_code)]

pub mod ansible;
pub mod aptrepo;
pub mod gitlab_api;
pub mod http;
pub mod kube;
pub mod lab;
pub mod mutate;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throwaway project directory with files written into it.
pub struct Project {
    /// Kept alive so the directory exists for the test's duration.
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A new empty project.
    pub fn new() -> Project {
        Project { dir: tempfile::tempdir().expect("tempdir") }
    }

    /// Absolute path of a file in the project.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The project path as a string (for templating into playbooks).
    pub fn root(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// Writes a file (creating parent directories); `{root}` is replaced by the project path.
    pub fn write(&self, rel: &str, content: &str) -> &Project {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, content.replace("{root}", &self.root())).expect("write");
        self
    }

    /// Reads a file of the project.
    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Permission bits of a project file.
    pub fn mode(&self, rel: &str) -> u32 {
        fs::metadata(self.path(rel)).expect("stat").permissions().mode() & 0o7777
    }

    /// Runs `hearth` with arguments, in the project directory.
    pub fn hearth(&self, args: &[&str]) -> Run {
        self.hearth_env(args, &[])
    }

    /// Runs `hearth` with arguments and extra environment variables.
    pub fn hearth_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("ANSIBLE_ROLES_PATH")
            .envs(env.iter().copied())
            .output()
            .expect("run hearth");
        Run::from(out)
    }

    /// Snapshot of every file (path → bytes) for byte-identical comparisons.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out.sort();
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in fs::read_dir(dir).expect("readdir").flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push((p.clone(), fs::read(&p).unwrap_or_default()));
        }
    }
}

/// The outcome of one hearth run.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing the output on failure.
    pub fn code(&self, want: i32) -> &Run {
        assert_eq!(self.code, want, "exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }

    /// A recap counter for a host (`ok`, `changed`, `failed`, ...).
    pub fn recap(&self, host: &str, field: &str) -> u32 {
        let line = self
            .stdout
            .lines()
            .skip_while(|l| !l.starts_with("PLAY RECAP"))
            .find(|l| l.split_whitespace().next() == Some(host))
            .unwrap_or_else(|| panic!("no recap line for {host}\n{}", self.stdout));
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{field}=")).map(|n| n.parse().expect("number")))
            .unwrap_or_else(|| panic!("no {field}= in {line}"))
    }

    /// Asserts stdout contains a text.
    pub fn stdout_has(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts stderr contains a text.
    pub fn stderr_has(&self, text: &str) -> &Run {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}\n--- stderr\n{}", self.stderr);
        self
    }
}

/// `s` as a double-quoted YAML scalar.
pub fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Lower-case hex of bytes (digests in tests).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A one-play playbook on `hosts` (no facts) with these task lines.
pub fn play_on(hosts: &str, tasks: &str) -> String {
    format!("- hosts: {hosts}\n  gather_facts: false\n  tasks:\n{tasks}")
}
