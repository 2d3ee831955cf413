//! Faults on real lab hosts: hearth killed with SIGKILL leaves no ssh master or control socket
//! behind; a full disk on the target fails the write with the host's error and leaves the old
//! file whole, with no temp file. Lab tests skip (one line) when not root.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Project;
use crate::support::lab::Lab;

/// Starts `hearth apply site.yml` on the lab in the background.
fn spawn_apply(lab: &Lab, p: &Project) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["apply", "site.yml", "--no-progress", "-i"])
        .arg(&lab.inventory)
        .current_dir(p.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hearth")
}

/// Waits up to `limit` for `done`, polling; returns whether it came true.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

/// Command lines of this machine's processes that mention `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let line = String::from_utf8_lossy(&raw).replace('\0', " ");
        if line.contains(needle) {
            found.push(line);
        }
    }
    found
}

#[test]
fn sigkill_leaves_no_ssh_master_or_control_socket() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let marker = format!("/tmp/sigkill-{}", std::process::id());
    let play =
        format!("- hosts: lab1\n  gather_facts: false\n  tasks:\n    - shell: touch {marker} && sleep 60\n");
    p.write("site.yml", &play);
    let mut child = spawn_apply(lab, &p);
    let running = || lab.ssh(0, "root", &format!("test -e {marker}")).status.success();
    assert!(eventually(Duration::from_secs(30), running), "the task never started on the host");
    let control = format!("/tmp/hearth-ssh-{}", child.id());
    assert!(!processes_with(&control).is_empty(), "the run's master should be up: {control}");

    child.kill().expect("SIGKILL hearth");
    child.wait().expect("reap hearth");
    let gone = || processes_with(&control).is_empty() && !std::path::Path::new(&control).exists();
    let left = eventually(Duration::from_secs(10), gone);
    lab.ok(0, "root", &format!("rm -f {marker}"));
    assert!(left, "left behind after SIGKILL: {:?}, dir exists: {}", processes_with(&control), {
        std::path::Path::new(&control).exists()
    });
}

#[test]
fn a_full_disk_fails_the_write_with_the_hosts_error_and_keeps_the_old_file() {
    let Some(lab) = Lab::get() else { return };
    let dir = format!("/srv/full-{}", std::process::id());
    // 64 KiB of room, a 20 KiB file in it: a 100 KiB replacement cannot fit.
    lab.ok(0, "root", &format!("mkdir -p {dir} && mount -t tmpfs -o size=64k tmpfs {dir}"));
    lab.ok(
        0,
        "root",
        &format!("head -c 20480 /dev/zero | tr '\\0' o > {dir}/app.conf && echo 'a = 1' > {dir}/edit.conf"),
    );
    let p = Project::new();
    let big = "x".repeat(100 * 1024);
    p.write("big.txt", &big);
    let play = format!(
        "- hosts: lab1\n  gather_facts: false\n  tasks:\n\
         \x20   - copy: {{src: big.txt, dest: {dir}/app.conf}}\n      ignore_errors: true\n\
         \x20   - lineinfile: {{path: {dir}/edit.conf, line: \"b = {{{{ lookup('file', 'big.txt') }}}}\", backup: true}}\n"
    );
    p.write("site.yml", &play);
    let run = lab.apply(&p, &["site.yml", "--limit", "lab1"]);
    let state = lab.ok(
        0,
        "root",
        &format!(
            "wc -c < {dir}/app.conf; tr -d o < {dir}/app.conf | wc -c; cat {dir}/edit.conf; ls -A {dir}"
        ),
    );
    lab.ok(0, "root", &format!("umount {dir} && rmdir {dir}"));

    run.code(2).stdout_has("No space left on device");
    assert_eq!(run.recap("lab1", "failed"), 1, "{}", run.stdout);
    assert_eq!(run.recap("lab1", "ignored"), 1, "{}", run.stdout);
    let lines: Vec<&str> = state.lines().map(str::trim).collect();
    assert_eq!(lines[..2], ["20480", "0"], "the old app.conf must be intact");
    assert_eq!(lines[2], "a = 1", "the old edit.conf must be intact");
    let names: Vec<&str> = lines[3..].to_vec();
    assert!(!names.iter().any(|n| n.contains(".hearth-tmp")), "temp file left: {names:?}");
}
