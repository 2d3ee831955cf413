//! No secret anywhere: a playbook with a become password, a runner registration token from a
//! vaulted vars file, a `!vault` value and a `no_log` task runs on a lab host through sudo
//! under -vvv, --diff, --check and --json, with one task failing on a secret; the secrets must
//! not appear in stdout or stderr, in the argv of any process on the machine while it runs
//! (the lab host's processes are on this machine too: ssh, sshd, sudo, sh), or in any file
//! left on the host outside the files the play writes on purpose. Lab tests skip when not root.
//! (As in Ansible, a variable registered by a `no_log` task holds the real values: a later
//! `debug: var=` of it would print them, so the play only prints its length.)

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::lab::Lab;
use crate::support::{Project, Run};

/// The lab user's sudo password (`hearth lab` sets it).
const BECOME_PASSWORD: &str = "hearth-lab";
const TOKEN: &str = "glrt-secret-4d1c9e7b";
const API_KEY: &str = "api-key-0b6f2a91";
const NO_LOG_TEXT: &str = "nolog-value-83e5c2";

/// Every secret of the test (the become password also names the lab user's group of hosts in
/// nothing hearth prints, so it is searched for as it is).
const SECRETS: [&str; 4] = [BECOME_PASSWORD, TOKEN, API_KEY, NO_LOG_TEXT];

/// Command lines of every process, sampled every 20 ms while a run lasts.
struct ArgvWatch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<BTreeSet<String>>>,
    thread: std::thread::JoinHandle<()>,
}

impl ArgvWatch {
    fn start() -> ArgvWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let (s, v) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    if let Ok(raw) = std::fs::read(entry.path().join("cmdline")) {
                        v.lock().unwrap().insert(String::from_utf8_lossy(&raw).replace('\0', " "));
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        ArgvWatch { stop, seen, thread }
    }

    fn finish(self) -> BTreeSet<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("argv watch");
        Arc::try_unwrap(self.seen).expect("one owner").into_inner().unwrap()
    }
}

/// Whether `secret` appears in `text` as itself, not inside a longer name (other tests' paths
/// such as `/etc/hearth-lab-test` hold the become password's letters).
fn holds(text: &str, secret: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/');
    text.match_indices(secret).any(|(at, _)| {
        let before = text[..at].chars().next_back().is_some_and(name_char);
        let after = text[at + secret.len()..].chars().next().is_some_and(|c| name_char(c) && c != '/');
        !before && !after
    })
}

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!holds(text, s), "{s} leaked into {what}:\n{text}");
    }
}

fn assert_run_clean(r: &Run, label: &str) {
    assert_no_secret(&format!("stdout of {label}"), &r.stdout);
    assert_no_secret(&format!("stderr of {label}"), &r.stderr);
}

/// A `name: !vault |` block from `hearth vault encrypt_string`, indented for a YAML mapping.
fn vault_value(p: &Project, value: &str, name: &str, indent: usize) -> String {
    let r = p.hearth(&["vault", "encrypt_string", value, "--name", name, "--vault-password-file", "pw.txt"]);
    r.code(0);
    r.stdout.lines().map(|l| format!("{}{l}\n", " ".repeat(indent))).collect()
}

fn project(lab: &Lab, dir: &str) -> Project {
    let p = Project::new();
    p.write("pw.txt", "vault pass phrase\n");
    let known = lab.known_hosts.display();
    let become_pw = vault_value(&p, BECOME_PASSWORD, "ansible_become_password", 6);
    let inventory = format!(
        "all:\n  hosts:\n    target:\n      ansible_host: {}\n      ansible_user: hearth\n\
         \x20     ansible_ssh_private_key_file: {}\n\
         \x20     ansible_ssh_common_args: \"-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes\"\n{become_pw}",
        lab.address(0),
        lab.key.display()
    );
    p.write("hosts.yml", &inventory);
    p.write("group_vars/all/vault.yml", &format!("runner_token: {TOKEN}\n"));
    p.hearth(&["vault", "encrypt", "group_vars/all/vault.yml", "--vault-password-file", "pw.txt"]).code(0);
    p.write("templates/runner.toml.j2", "token = \"{{ runner_token }}\"\nkey = \"{{ api_key }}\"\n");
    let api_key = vault_value(&p, API_KEY, "api_key", 4);
    let play = format!(
        "- hosts: all\n  gather_facts: false\n  become: true\n  vars:\n    nolog_value: {NO_LOG_TEXT}\n{api_key}  tasks:\n\
         \x20   - lineinfile:\n        path: {dir}/gitlab.rb\n        create: true\n        backup: true\n\
         \x20       line: \"gitlab_rails['initial_shared_runners_registration_token'] = '{{{{ runner_token }}}}'\"\n\
         \x20   - template: {{src: runner.toml.j2, dest: {dir}/runner.toml, mode: '0600'}}\n\
         \x20   - copy: {{content: \"{{{{ nolog_value }}}}\\n\", dest: {dir}/nolog.txt}}\n      no_log: true\n\
         \x20   - shell: sleep 0.3 && cat {dir}/nolog.txt\n      no_log: true\n      register: hidden\n\
         \x20   - debug: {{msg: \"{{{{ hidden.stdout | default('') | length }}}} characters\"}}\n\
         \x20   - command: printenv TOKEN\n      environment: {{TOKEN: \"{{{{ runner_token }}}}\"}}\n      changed_when: false\n\
         \x20   - fail: {{msg: \"registration failed for {{{{ runner_token }}}} / {{{{ api_key }}}}\"}}\n"
    );
    p.write("site.yml", &play);
    p
}

#[test]
fn no_secret_reaches_output_argv_or_files_left_on_the_host() {
    let Some(lab) = Lab::get() else { return };
    let dir = format!("/srv/secrets-{}", std::process::id());
    // Files written from now on are the run's (and other tests'): none may hold a secret.
    let marker = format!("/tmp/secrets-start-{}", std::process::id());
    lab.ok(0, "root", &format!("mkdir -p {dir} && touch {marker} && sleep 1"));
    let p = project(lab, &dir);
    let base = ["apply", "site.yml", "-i", "hosts.yml", "--vault-password-file", "pw.txt"];
    let watch = ArgvWatch::start();
    let mut runs = Vec::new();
    for (label, extra) in [
        ("--check --diff -vvv", &["--check", "--diff", "-vvv"][..]),
        ("--diff -vvv", &["--diff", "-vvv"][..]),
        ("a re-run with --json --diff", &["--json", "--diff", "-vvv"][..]),
        ("plan", &[][..]),
    ] {
        let args: Vec<&str> = match label {
            "plan" => vec!["plan", "site.yml", "-i", "hosts.yml", "--vault-password-file", "pw.txt"],
            _ => base.iter().chain(extra).copied().collect(),
        };
        let r = p.hearth(&args);
        runs.push((label, r));
    }
    let argv = watch.finish();

    for (label, r) in &runs {
        if *label != "plan" {
            r.code(2).stdout_has("registration failed for ********");
        }
        assert_run_clean(r, label);
    }
    assert!(runs[1].1.stdout.contains("********"), "the diff shows the masked token");
    let hearth_ran =
        argv.iter().filter(|l| l.contains("hearth-shell") || l.contains(".ssh-connection")).count();
    assert!(hearth_ran > 0, "the watch must have seen hearth's ssh processes");
    for line in &argv {
        assert_no_secret("a process's argv", line);
    }

    // The files the play writes hold the secrets on purpose; nothing else on the host may.
    let found = lab.ok(
        0,
        "root",
        &format!(
            "find / /tmp /run -xdev -type f -newer {marker} -print0 2>/dev/null | \
             xargs -0r grep -lsF -e {TOKEN} -e {API_KEY} -e {NO_LOG_TEXT} -e {BECOME_PASSWORD} | sort; true"
        ),
    );
    lab.ok(0, "root", &format!("rm -rf {dir} {marker}"));
    let left: Vec<&str> = found
        .lines()
        .filter(|f| !f.starts_with(&format!("{dir}/gitlab.rb")) && *f != format!("{dir}/runner.toml"))
        .filter(|f| *f != format!("{dir}/nolog.txt"))
        .filter(|f| !machine_file_holds_a_secret(f))
        .collect();
    assert!(left.is_empty(), "secrets left in files on the host: {left:?}");
}

/// A lab host's `/` is an overlay of the machine's: a file that holds a secret on the machine too
/// (a CI log naming the lab's become password, say) is the machine's, seen through the lower
/// layer, not one the run left on the host.
fn machine_file_holds_a_secret(path: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else { return false };
    let text = String::from_utf8_lossy(&bytes);
    [TOKEN, API_KEY, NO_LOG_TEXT, BECOME_PASSWORD].iter().any(|s| text.contains(s))
}
