//! Four community-shaped roles (`tests/community_roles/`) run unchanged by ansible-playbook on
//! one 3-host lab and by hearth on another: the files they leave on every host, each host's
//! PLAY RECAP counters and the exit code must be the same, on a first run and on a re-run
//! (which changes nothing). Covers argument specs, import_role/include_role with tasks_from,
//! a look-ahead lineinfile regexp, handlers, vaulted group_vars, a proxy `environment`,
//! `until` on a readiness check, `delegate_to` another host, `run_once` and `delegate_facts`.
//! Needs root (lab) and HEARTH_ANSIBLE_PLAYBOOK (else skipped, except under CI=true).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::Run;
use crate::support::ansible;
use crate::support::lab::Lab;

/// The roles' directory in the source tree.
fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/community_roles")
}

fn copy_tree(from: &Path, to: &Path) {
    for e in fs::read_dir(from).expect("readdir").flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            fs::create_dir(&dst).expect("mkdir");
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).expect("copy");
        }
    }
}

fn run_ansible(ansible: &Path, dir: &Path, lab: &Lab, base: &str) -> Run {
    let base = format!("base={base}");
    ansible::on_lab(ansible, dir, lab, &["site.yml", "--vault-password-file", "vault-pass.txt", "-e", &base])
}

fn run_hearth(dir: &Path, lab: &Lab, base: &str) -> Run {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["apply", "site.yml", "-i"])
        .arg(&lab.inventory)
        .args(["--vault-password-file", "vault-pass.txt", "-e"])
        .arg(format!("base={base}"))
        .current_dir(dir)
        .env_remove("ANSIBLE_ROLES_PATH")
        .output()
        .expect("run hearth")
        .into()
}

/// Every file below `base` on host `i`: name, mode, content.
fn host_files(lab: &Lab, i: usize, base: &str) -> String {
    lab.ok(
        i,
        "root",
        &format!(
            "cd {base} && for f in $(ls -A | LC_ALL=C sort); do echo \"== $f $(stat -c %a $f)\"; cat $f; done"
        ),
    )
}

/// Each host's recap counters.
fn recaps(run: &Run) -> Vec<String> {
    let mut lines: Vec<String> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .filter(|l| l.contains(" : ok="))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines
}

#[test]
fn community_roles_leave_the_same_hosts_under_ansible_and_hearth() {
    let Some(ours) = Lab::get() else { return };
    let Some(ansible) = ansible::playbook("the community roles comparison") else { return };
    let pid = std::process::id().to_string();
    let theirs = Lab::start(&format!("roles-{pid}"), 3, Some(&pid));
    let base = format!("/var/tmp/hearth-roles-{pid}");
    for (lab, i) in [&theirs, ours].into_iter().flat_map(|l| (0..3).map(move |i| (l, i))) {
        lab.ok(i, "root", &format!("rm -rf {base} && mkdir -p {base}"));
    }
    let (a, h) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    copy_tree(&source(), a.path());
    copy_tree(&source(), h.path());
    for round in ["first run", "re-run"] {
        let (ar, hr) = std::thread::scope(|s| {
            let ar = s.spawn(|| run_ansible(&ansible, a.path(), &theirs, &base));
            (ar.join().expect("ansible thread"), run_hearth(h.path(), ours, &base))
        });
        let show = format!(
            "{round}\n--- ansible\n{}{}\n--- hearth\n{}{}",
            ar.stdout, ar.stderr, hr.stdout, hr.stderr
        );
        assert_eq!(ar.code, 0, "ansible-playbook failed: {show}");
        assert_eq!(hr.code, ar.code, "exit codes differ: {show}");
        assert_eq!(recaps(&hr), recaps(&ar), "recaps differ: {show}");
        for i in 0..3 {
            assert_eq!(host_files(ours, i, &base), host_files(&theirs, i, &base), "host {i} differs: {show}");
        }
        if round == "re-run" {
            assert!(
                recaps(&hr).iter().all(|l| l.contains(" changed=0 ")),
                "a re-run changes nothing: {show}"
            );
        }
        assert!(!hr.stdout.contains("token-from-vault"), "a vaulted value was printed: {show}");
    }
    let conf = host_files(ours, 1, &base);
    assert!(conf.contains("Port 2222\n") && conf.contains("PermitRootLogin prohibit-password\n"), "{conf}");
    assert!(conf.contains("Key=15 SHA1 7d1e2f-lab-key"), "{conf}");
    let first = host_files(ours, 0, &base);
    assert!(first.contains("== member-lab3 644\nlab3\n") && first.contains("== leader 644\nlab1"), "{first}");
}
