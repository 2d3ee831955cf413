//! Compatibility with ansible-playbook: the same playbooks run under both tools on separate
//! copies of the same files must leave identical files (content and mode) and report the same
//! PLAY RECAP counters and exit code, on a first run and on a second (idempotence) run.
//! Needs `HEARTH_ANSIBLE_PLAYBOOK` (set by `.ci/run`); without it the cases are skipped, except
//! under `CI=true` where they fail.
//!
//! Each case is a directory under `tests/compat/` holding `play.yml` and its initial files; the
//! playbook gets the copy's path as `root` and must write only below it. A case with a
//! `vault-pass.txt` gets it as `--vault-password-file` in both tools. Deliberately not
//! compared: timestamps, owners, output text other than the recap (the tools word messages
//! differently), and Ansible backup files (cases avoid `backup: true`).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::Run;

/// Declares one test per case directory, and the list the completeness test checks.
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_case(stringify!($name));
            }
        )*
        /// Every case directory name, as declared.
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases!(
    assemble_fragments,
    blockinfile_create_and_insert,
    blockinfile_replace_remove_marker,
    copy_content_mode,
    copy_dest_directory,
    file_states,
    filters_data,
    filters_extra,
    filters_fqcn,
    filters_lists,
    filters_serialize,
    filters_text,
    find_filters,
    language_action_local_action,
    language_async,
    language_environment,
    language_free_form_scripts,
    language_handlers,
    language_include_role,
    language_loops_when,
    language_module_defaults,
    language_order_throttle_fatal,
    language_other_systems_tasks,
    language_register_set_fact,
    language_until_retries,
    lineinfile_absent,
    lineinfile_backrefs_search_string,
    lineinfile_create_mode,
    lineinfile_insert_positions,
    lineinfile_no_trailing_newline,
    lineinfile_regexp,
    mount_fstab_present,
    pause_once_per_play,
    pause_register,
    regex_lookaround,
    role_argument_specs,
    role_community,
    role_entry_keywords,
    slurp_fetch,
    stat_register,
    tempfile_register,
    template_basic,
    template_chained_undefined,
    template_none_finalized,
    template_result_types,
    template_whitespace,
    unarchive_tar_zip,
    vault_vars_copy,
);

#[test]
fn every_case_directory_is_declared() {
    let mut dirs: Vec<String> = fs::read_dir(cases_dir())
        .expect("read tests/compat")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert_eq!(dirs, CASES, "tests/compat/ directories and the cases! list differ");
}

/// Where the case directories live in the source tree.
fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat")
}

/// Runs one case under both tools, twice, and panics with every difference found.
fn run_case(name: &str) {
    let Some(ansible) = crate::support::ansible::playbook("the Ansible compatibility case") else { return };
    let a = tempfile::tempdir().expect("tempdir");
    let h = tempfile::tempdir().expect("tempdir");
    copy_tree(&cases_dir().join(name), a.path());
    copy_tree(&cases_dir().join(name), h.path());
    let mut report = String::new();
    for round in ["first run", "second run"] {
        let (ar, hr) = std::thread::scope(|s| {
            let ar = s.spawn(|| run_ansible(&ansible, a.path()));
            let hr = run_hearth(h.path());
            (ar.join().expect("ansible thread"), hr)
        });
        let mut diffs = compare_runs(&ar, &hr);
        diffs.extend(compare_trees(&snapshot(a.path()), &snapshot(h.path())));
        if !diffs.is_empty() {
            report.push_str(&format!(
                "==== {round}: {}\n---- ansible stdout\n{}\n---- ansible stderr\n{}\n\
                 ---- hearth stdout\n{}\n---- hearth stderr\n{}\n",
                diffs.join("\n"),
                ar.stdout,
                ar.stderr,
                hr.stdout,
                hr.stderr
            ));
        }
    }
    assert!(report.is_empty(), "case {name}: ansible-playbook and hearth differ\n{report}");
}

/// The inventory a case runs on: its own `inventory.ini` (hosts with the local connection), or
/// just localhost.
fn inventory(dir: &Path) -> &'static str {
    if dir.join("inventory.ini").is_file() { "inventory.ini" } else { "localhost," }
}

/// Runs ansible-playbook on a case copy, local connection, with the venv's own Python.
fn run_ansible(ansible: &Path, dir: &Path) -> Run {
    let python = ansible.with_file_name("python3");
    let out = Command::new(ansible)
        .args(["-i", inventory(dir), "-c", "local", "play.yml", "-e"])
        .arg(format!("root={}", dir.display()))
        .args(vault_args(dir))
        .current_dir(dir)
        // As configuration, not an extra var, so that a case can set its own (to become a user
        // who cannot read the venv).
        .env("ANSIBLE_PYTHON_INTERPRETER", &python)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_STDOUT_CALLBACK", "default")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "false")
        .env("ANSIBLE_LOCALHOST_WARNING", "false")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "false")
        .env_remove("ANSIBLE_CONFIG")
        .env_remove("ANSIBLE_ROLES_PATH")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", ansible.display()));
    Run::from(out)
}

/// Runs hearth on a case copy, local connection.
fn run_hearth(dir: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["apply", "play.yml", "-i", inventory(dir), "-c", "local", "-e"])
        .arg(format!("root={}", dir.display()))
        .args(vault_args(dir))
        .current_dir(dir)
        .env_remove("ANSIBLE_ROLES_PATH")
        .output()
        .expect("run hearth");
    Run::from(out)
}

/// `--vault-password-file vault-pass.txt` when the case has one.
fn vault_args(dir: &Path) -> Vec<&'static str> {
    if dir.join("vault-pass.txt").is_file() {
        vec!["--vault-password-file", "vault-pass.txt"]
    } else {
        Vec::new()
    }
}

/// Differences in exit code and PLAY RECAP counters of the two runs.
fn compare_runs(a: &Run, h: &Run) -> Vec<String> {
    let mut diffs = Vec::new();
    if a.code != h.code {
        diffs.push(format!("exit code: ansible {} hearth {}", a.code, h.code));
    }
    let (ra, rh) = (recap(&a.stdout), recap(&h.stdout));
    if ra != rh {
        diffs.push(format!("PLAY RECAP:\n  ansible {ra:?}\n  hearth  {rh:?}"));
    }
    diffs
}

/// The `host.name=count` pairs of every host line of every PLAY RECAP, in order.
fn recap(stdout: &str) -> Vec<(String, u32)> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .filter(|l| l.contains(" : ") && l.contains("ok="))
        .flat_map(|l| {
            let host = l.split_whitespace().next().unwrap_or_default();
            l.split_whitespace()
                .filter_map(counter)
                .map(|(k, v)| (format!("{host}.{k}"), v))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// One `name=count` word of a recap line.
fn counter(word: &str) -> Option<(String, u32)> {
    let (k, v) = word.split_once('=')?;
    Some((k.to_string(), v.parse().ok()?))
}

/// What a directory tree holds at one path, minus timestamps and owners.
#[derive(Debug, PartialEq)]
enum Entry {
    /// A regular file: permission bits and content.
    File(u32, Vec<u8>),
    /// A directory: permission bits.
    Dir(u32),
    /// A symbolic link: its target as written.
    Link(PathBuf),
}

/// Every path below `root` (relative) and what is there, not following links.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in fs::read_dir(&dir).expect("readdir").flatten() {
            let p = e.path();
            let meta = fs::symlink_metadata(&p).expect("lstat");
            let mode = meta.permissions().mode() & 0o7777;
            let entry = if meta.file_type().is_symlink() {
                Entry::Link(fs::read_link(&p).expect("readlink"))
            } else if meta.is_dir() {
                todo.push(p.clone());
                Entry::Dir(mode)
            } else {
                Entry::File(mode, fs::read(&p).unwrap_or_default())
            };
            out.insert(p.strip_prefix(root).expect("below root").to_path_buf(), entry);
        }
    }
    out
}

/// Human-readable differences between the ansible tree and the hearth tree.
fn compare_trees(a: &BTreeMap<PathBuf, Entry>, h: &BTreeMap<PathBuf, Entry>) -> Vec<String> {
    let mut diffs = Vec::new();
    for (path, ea) in a {
        match h.get(path) {
            None => diffs.push(format!("{}: only after ansible ({})", path.display(), describe(ea))),
            Some(eh) if eh != ea => diffs.push(entry_diff(path, ea, eh)),
            Some(_) => {}
        }
    }
    for (path, eh) in h {
        if !a.contains_key(path) {
            diffs.push(format!("{}: only after hearth ({})", path.display(), describe(eh)));
        }
    }
    diffs
}

/// One line naming an entry's kind and mode.
fn describe(e: &Entry) -> String {
    match e {
        Entry::File(m, c) => format!("file {m:04o}, {} bytes", c.len()),
        Entry::Dir(m) => format!("directory {m:04o}"),
        Entry::Link(t) => format!("link to {}", t.display()),
    }
}

/// The difference at one path: kinds and modes, and a unified diff of file contents.
fn entry_diff(path: &Path, a: &Entry, h: &Entry) -> String {
    let mut out = format!("{}: ansible {} / hearth {}", path.display(), describe(a), describe(h));
    if let (Entry::File(_, ca), Entry::File(_, ch)) = (a, h)
        && ca != ch
    {
        let (ta, th) = (String::from_utf8_lossy(ca), String::from_utf8_lossy(ch));
        let diff = similar::TextDiff::from_lines(&ta, &th);
        out.push('\n');
        out.push_str(&diff.unified_diff().context_radius(3).header("ansible", "hearth").to_string());
    }
    out
}

/// Copies a case directory (files, directories, links; permission bits kept) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for e in fs::read_dir(from).expect("readdir case").flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let meta = fs::symlink_metadata(&src).expect("lstat");
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).expect("readlink"), &dst).expect("symlink");
        } else if meta.is_dir() {
            fs::create_dir(&dst).expect("mkdir");
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).expect("copy");
        }
    }
}
