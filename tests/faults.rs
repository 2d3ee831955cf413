//! Faults on real lab hosts: hearth killed with SIGKILL leaves no ssh master or control socket
//! behind; a full disk on the target fails the write with the host's error and leaves the old
//! file whole, with no temp file; a network cut or SIGTERM in the middle of a 5 MiB copy leaves
//! the old file or the new one, never a mix, with the right exit code. Lab tests skip when not
//! root.

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

/// `n` bytes that no compression shrinks (xorshift), so the transfer takes its full time.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Runs `ip <args>` on this machine and insists it worked.
fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A private 2-host lab (a cut link must not disturb other tests) whose host 1 receives at
/// 8 Mbit/s (the machine's end of its link, `hv<subnet>x1`, shaped), so a 5 MiB copy takes
/// about 5 s; both hosts have `/srv/cut/big.bin` with `old`. Returns the lab and the link.
fn slow_lab(kind: &str) -> (Lab, String) {
    let pid = std::process::id().to_string();
    let lab = Lab::start(&format!("{kind}-{pid}"), 2, Some(&pid));
    let subnet = lab.address(0).split('.').nth(2).expect("10.77.N.11").to_string();
    let veth = format!("hv{subnet}x1");
    let shape =
        ["qdisc", "add", "dev", &veth, "root", "tbf", "rate", "8mbit", "burst", "32kbit", "latency", "400ms"];
    Command::new("tc").args(shape).status().expect("tc");
    for i in 0..2 {
        lab.ok(i, "root", "mkdir -p /srv/cut && echo old > /srv/cut/big.bin");
    }
    (lab, veth)
}

/// A project copying 5 MiB of noise to `/srv/cut/big.bin` on both hosts; returns the bytes.
fn big_copy() -> (Project, Vec<u8>) {
    let p = Project::new();
    let big = noise(5 << 20);
    std::fs::write(p.path("big.bin"), &big).expect("write big.bin");
    p.write(
        "site.yml",
        "- hosts: lab\n  gather_facts: false\n  tasks:\n    - copy: {src: big.bin, dest: /srv/cut/big.bin}\n",
    );
    (p, big)
}

/// Starts the copy and returns once host 2 (not slowed) has the new file, so host 1 is in the
/// middle of receiving it.
fn start_copy_and_wait(lab: &Lab, p: &Project) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["apply", "site.yml", "--no-progress", "--connect-timeout", "3", "-i"])
        .arg(&lab.inventory)
        .current_dir(p.dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn hearth");
    let copied = || lab.ok(1, "root", "stat -c %s /srv/cut/big.bin") == (5 << 20).to_string();
    assert!(eventually(Duration::from_secs(30), copied), "host 2 never got the file");
    std::thread::sleep(Duration::from_millis(500));
    child
}

/// Host 1's `big.bin` as `<size> <sha256>` and the names in its directory.
fn host1_file(lab: &Lab) -> (String, String) {
    let script =
        "echo $(stat -c %s /srv/cut/big.bin) $(sha256sum < /srv/cut/big.bin | cut -d' ' -f1); ls -A /srv/cut";
    let out = lab.ok(0, "root", script);
    let (content, names) = out.split_once('\n').unwrap_or((&out, ""));
    (content.to_string(), names.trim().to_string())
}

/// `<size> <sha256>` of bytes, as [`host1_file`] prints it.
fn summary(bytes: &[u8]) -> String {
    format!("{} {}", bytes.len(), crate::support::hex(&sha256_of(bytes)))
}

#[test]
fn a_network_cut_during_a_big_copy_is_unreachable_and_a_rerun_converges() {
    if !crate::support::lab::is_root() {
        return;
    }
    let (lab, veth) = slow_lab("cut");
    let (p, big) = big_copy();
    let child = start_copy_and_wait(&lab, &p);
    ip(&["link", "set", &veth, "down"]);
    let cut = Instant::now();
    let out = child.wait_with_output().expect("wait for hearth");
    let took = cut.elapsed();
    ip(&["link", "set", &veth, "up"]);
    let _ = Command::new("tc").args(["qdisc", "del", "dev", &veth, "root"]).status();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();

    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("fatal: [lab1]: UNREACHABLE!"), "{stdout}");
    assert!(took < Duration::from_secs(30), "noticed the cut only after {took:?}");
    let (want, old) = (summary(&big), summary(b"old\n"));
    let (content, names) = host1_file(&lab);
    assert!(content == want || content == old, "host 1's file is neither old nor new: {content}");
    let kept = if content == old { "old" } else { "new" };
    eprintln!("network cut: noticed after {took:?}; host 1 kept the {kept} file");
    assert_eq!(names, "big.bin", "nothing else may be left in the directory");

    let again = lab.apply(&p, &["site.yml", "--connect-timeout", "10"]);
    again.code(0);
    assert_eq!(again.recap("lab1", "changed"), u32::from(content == old), "{}", again.stdout);
    assert_eq!(again.recap("lab2", "changed"), 0, "{}", again.stdout);
    assert_eq!(host1_file(&lab).0, want);
    let _ = crate::support::lab::hearth_lab(&["down", "--name", &lab.name]);
}

#[test]
fn sigterm_during_a_big_copy_exits_99_and_leaves_the_old_file_whole() {
    if !crate::support::lab::is_root() {
        return;
    }
    let (lab, veth) = slow_lab("term");
    let (p, big) = big_copy();
    let child = start_copy_and_wait(&lab, &p);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let out = child.wait_with_output().expect("wait for hearth");
    let _ = Command::new("tc").args(["qdisc", "del", "dev", &veth, "root"]).status();
    let (content, names) = host1_file(&lab);
    let _ = crate::support::lab::hearth_lab(&["down", "--name", &lab.name]);
    assert_eq!(out.status.code(), Some(99), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(content == summary(b"old\n") || content == summary(&big), "a mixed file: {content}");
    assert_eq!(names, "big.bin", "nothing else may be left in the directory");
}

fn sha256_of(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

#[test]
fn sshd_killed_under_a_task_is_unreachable_the_others_finish_and_a_rerun_converges() {
    let Some(lab) = Lab::get() else { return };
    let tag = format!("/tmp/sshd-killed-{}", std::process::id());
    // The task kills the sshd process that serves its own connection (the nearest `sshd`
    // ancestor), once: as if sshd died or the host dropped the session mid-task.
    let kill = format!(
        "[ -e {tag} ] && exit 0; touch {tag}; p=$$; while [ \"$p\" -gt 1 ]; do p=$(awk '{{print $4}}' /proc/$p/stat); case \"$(cat /proc/$p/comm)\" in sshd*) break;; esac; done; kill -9 $p; sleep 30"
    );
    let play = format!(
        "- hosts: lab1:lab2\n  gather_facts: false\n  tasks:\n\
         \x20   - shell: {}\n      when: inventory_hostname == 'lab1'\n\
         \x20   - copy: {{content: \"after\\n\", dest: \"{tag}.after\"}}\n",
        crate::support::yaml_quote(&kill)
    );
    let p = Project::new();
    p.write("site.yml", &play);
    let start = Instant::now();
    let run = lab.apply(&p, &["site.yml"]);
    let took = start.elapsed();
    let after = |i| lab.ssh(i, "root", &format!("cat {tag}.after")).status.success();
    let (lab1_after, lab2_after) = (after(0), after(1));
    let again = lab.apply(&p, &["site.yml"]);
    for i in 0..2 {
        lab.ok(i, "root", &format!("rm -f {tag} {tag}.after"));
    }
    run.code(3).stdout_has("fatal: [lab1]: UNREACHABLE!");
    assert!(took < Duration::from_secs(25), "the run waited for the dead session: {took:?}");
    assert_eq!(run.recap("lab1", "unreachable"), 1, "{}", run.stdout);
    assert_eq!(run.recap("lab2", "changed"), 1, "{}", run.stdout);
    assert!(!lab1_after && lab2_after, "lab1 stopped at the dead session, lab2 went on");
    again.code(0);
    assert_eq!(again.recap("lab1", "changed"), 2, "{}", again.stdout);
    assert_eq!(again.recap("lab2", "changed"), 0, "{}", again.stdout);
}
