//! Playbooks over real SSH on lab hosts (`hearth lab`): every file module plus command/shell as
//! root and through sudo, idempotence, `--check` leaving hosts untouched, `--diff`; ten hosts with
//! one dead sshd; host key mismatch and `--ssh-accept-new`; a wrong become password; quoting
//! torture; no ssh process or control socket left, also after Ctrl-C. Reads hosts back with the
//! system ssh (the lab's helper), never through hearth. Skipped (one line) when not root.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::lab::{Lab, hearth_lab};
use crate::support::{Project, Run};

/// Runs `hearth apply <args> -i <inventory>` in the project.
fn apply(p: &Project, inventory: &Path, args: &[&str]) -> Run {
    let inv = inventory.display().to_string();
    let mut all = vec!["apply"];
    all.extend_from_slice(args);
    all.extend(["-i", inv.as_str()]);
    p.hearth(&all)
}

/// A path quoted for the remote POSIX shell.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Every entry under `dir` on host `i` (type, mode, owner, size, link target) and the checksum
/// of every file: compared before/after a `--check` run.
fn listing(lab: &Lab, i: usize, dir: &str) -> String {
    let d = q(dir);
    lab.ok(
        i,
        "root",
        &format!(
            "find {d} -printf '%p %y %m %u %g %s %l\\n' | LC_ALL=C sort; \
             find {d} -type f -exec sha256sum {{}} + | LC_ALL=C sort"
        ),
    )
}

/// Bytes of a file on host `i`, read as root.
fn remote_bytes(lab: &Lab, i: usize, path: &str) -> Vec<u8> {
    let out = lab.ssh(i, "root", &format!("cat -- {}", q(path)));
    assert!(out.status.success(), "cat {path:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `stat` of a path on host `i`: "mode owner:group".
fn remote_stat(lab: &Lab, i: usize, path: &str) -> String {
    lab.ok(i, "root", &format!("stat -c '%a %U:%G' -- {}", q(path)))
}

/// A play for host `pattern` with the given tasks, becoming root when `become_` is set.
fn play(pattern: &str, become_: bool, vars: &str, tasks: &str) -> String {
    format!(
        "- hosts: {pattern}\n  gather_facts: false\n  become: {become_}\n  vars:\n{vars}  tasks:\n{tasks}"
    )
}

const FILES_DIR: &str = "/etc/hearth-remote-files";

const FILE_TASKS: &str = r#"    - file: {path: "{{ d }}/sub", state: directory, mode: "0750"}
    - copy: {content: "hello\n", dest: "{{ d }}/copied", mode: "0640"}
    - template: {src: motd.j2, dest: "{{ d }}/motd", mode: "0644"}
    - lineinfile: {path: "{{ d }}/conf", line: "key=value", create: true, mode: "0600"}
    - blockinfile: {path: "{{ d }}/block", block: "a=1\nb=2", create: true}
    - file: {path: "{{ d }}/link", src: /etc/hostname, state: link}
    - stat: {path: "{{ d }}/copied"}
      register: st
    - assert:
        that: ["st.stat.exists", "st.stat.mode == '0640'", "st.stat.pw_name == 'root'"]
      when: not ansible_check_mode
    - command:
        argv: [touch, "{{ d }}/command ran"]
        creates: "{{ d }}/command ran"
    - shell: "id -un > '{{ d }}/who am i'"
      args: {creates: "{{ d }}/who am i"}
"#;

#[test]
fn file_modules_as_root_and_through_sudo() {
    let Some(lab) = Lab::get() else { return };
    // lab1 logs in as root; lab2_user logs in as `hearth` and becomes root with its password.
    let hosts = [("lab1", 0, false), ("lab2_user", 1, true)];
    let p = Project::new();
    let vars = format!("    d: {FILES_DIR}\n    who: admin\n");
    let site: String = hosts.iter().map(|(h, _, b)| play(h, *b, &vars, FILE_TASKS)).collect();
    p.write("site.yml", &site).write("templates/motd.j2", "host {{ inventory_hostname }} as {{ who }}\n");
    for (_, i, _) in hosts {
        lab.ok(i, "root", &format!("rm -rf {FILES_DIR} && mkdir -m 0750 {FILES_DIR}"));
    }

    let before: Vec<String> = hosts.iter().map(|(_, i, _)| listing(lab, *i, FILES_DIR)).collect();
    let check = apply(&p, &lab.inventory, &["site.yml", "--check", "--diff"]);
    check.code(0);
    let after: Vec<String> = hosts.iter().map(|(_, i, _)| listing(lab, *i, FILES_DIR)).collect();
    assert_eq!(after, before, "--check changed the hosts\n{}", check.stdout);

    let run = apply(&p, &lab.inventory, &["site.yml", "--diff"]);
    run.code(0);
    for r in [&check, &run] {
        for (h, _, _) in hosts {
            assert_eq!(r.recap(h, "changed"), 8, "{h}\n{}", r.stdout);
            assert_eq!(r.recap(h, "failed"), 0, "{h}\n{}", r.stdout);
        }
        r.stdout_has(&format!("+++ after: {FILES_DIR}/copied\n@@ -0,0 +1 @@\n+hello\n"))
            .stdout_has(&format!("+++ after: {FILES_DIR}/conf (content)\n@@ -0,0 +1 @@\n+key=value\n"))
            .stdout_has("+# BEGIN ANSIBLE MANAGED BLOCK\n+a=1\n+b=2\n+# END ANSIBLE MANAGED BLOCK\n")
            .stdout_has("+host lab1 as admin\n")
            .stdout_has("+host lab2_user as admin\n");
    }

    for (h, i, _) in hosts {
        let file = |name: &str| {
            String::from_utf8_lossy(&remote_bytes(lab, i, &format!("{FILES_DIR}/{name}"))).into_owned()
        };
        assert_eq!(file("copied"), "hello\n");
        assert_eq!(file("motd"), format!("host {h} as admin\n"));
        assert_eq!(file("conf"), "key=value\n");
        assert_eq!(file("block"), "# BEGIN ANSIBLE MANAGED BLOCK\na=1\nb=2\n# END ANSIBLE MANAGED BLOCK\n");
        assert_eq!(file("who am i"), "root\n", "{h}: shell ran as root");
        assert_eq!(file("command ran"), "");
        let stat = |name: &str| remote_stat(lab, i, &format!("{FILES_DIR}/{name}"));
        assert_eq!(stat("sub"), "750 root:root", "{h}");
        assert_eq!(stat("copied"), "640 root:root", "{h}");
        assert_eq!(stat("motd"), "644 root:root", "{h}");
        assert_eq!(stat("conf"), "600 root:root", "{h}");
        assert_eq!(stat("block").split(' ').nth(1), Some("root:root"), "{h}");
        let link = lab.ok(i, "root", &format!("readlink {FILES_DIR}/link"));
        assert_eq!(link, "/etc/hostname", "{h}");
    }

    let again = apply(&p, &lab.inventory, &["site.yml"]);
    again.code(0);
    for (h, _, _) in hosts {
        assert_eq!(again.recap(h, "changed"), 0, "{h}: second run must change nothing\n{}", again.stdout);
    }
}

/// The `sshd_pid` of each host of a lab, from `hearth lab status --json`.
fn sshd_pids(name: &str) -> Vec<i32> {
    let out = hearth_lab(&["status", "--json", "--name", name]);
    assert!(out.status.success(), "status: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    let hosts = v["hosts"].as_array().expect("hosts");
    hosts.iter().map(|h| h["sshd_pid"].as_i64().expect("sshd_pid") as i32).collect()
}

#[test]
fn ten_hosts_one_dead_then_revived() {
    let Some(shared) = Lab::get() else { return };
    let pid = std::process::id().to_string();
    let many;
    let lab = if shared.hosts.len() >= 10 {
        shared
    } else {
        many = Lab::start(&format!("test-{pid}-many"), 10, Some(&pid));
        &many
    };
    let names: Vec<String> = lab.hosts.iter().take(10).map(|(n, _)| n.clone()).collect();
    let dead = 3;
    let p = Project::new();
    let tasks = "    - copy: {content: \"{{ inventory_hostname }}\\n\", dest: /root/hearth-many-hosts}\n";
    p.write("site.yml", &play(&names.join(":"), false, "    x: 1\n", tasks));
    for i in 0..10 {
        lab.ok(i, "root", "rm -f /root/hearth-many-hosts");
    }
    let victim = sshd_pids(&lab.name)[dead];
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(victim), nix::sys::signal::Signal::SIGKILL)
        .expect("kill sshd");

    let start = Instant::now();
    let run = apply(&p, &lab.inventory, &["site.yml"]);
    run.code(3);
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(&format!("[{}]: UNREACHABLE!", names[dead])))
        .unwrap_or_else(|| panic!("no UNREACHABLE line for {}\n{}", names[dead], run.stdout));
    assert!(line.contains("Connection refused"), "reason missing: {line}");
    assert_eq!(run.recap(&names[dead], "unreachable"), 1);
    for (i, n) in names.iter().enumerate().filter(|(i, _)| *i != dead) {
        assert_eq!(run.recap(n, "changed"), 1, "{n}\n{}", run.stdout);
        assert_eq!(remote_bytes(lab, i, "/root/hearth-many-hosts"), format!("{n}\n").into_bytes());
    }

    let count = lab.hosts.len().to_string();
    let up = hearth_lab(&["up", &count, "--name", &lab.name, "--owner-pid", &pid]);
    assert!(up.status.success(), "lab up again: {}", String::from_utf8_lossy(&up.stderr));
    let again = apply(&p, &lab.inventory, &["site.yml"]);
    again.code(0);
    for (i, n) in names.iter().enumerate() {
        let want = u32::from(i == dead);
        assert_eq!(again.recap(n, "changed"), want, "{n}\n{}", again.stdout);
        assert_eq!(again.recap(n, "unreachable"), 0, "{n}\n{}", again.stdout);
    }
    assert_eq!(remote_bytes(lab, dead, "/root/hearth-many-hosts"), format!("{}\n", names[dead]).into_bytes());
}

/// An inventory with one host (lab host `i` as root) and extra host variables.
fn one_host_inventory(lab: &Lab, name: &str, i: usize, vars: &[(&str, &str)]) -> String {
    let mut out = format!(
        "all:\n  hosts:\n    {name}:\n      ansible_host: \"{}\"\n      ansible_ssh_private_key_file: \"{}\"\n",
        lab.address(i),
        lab.key.display()
    );
    for (k, v) in vars {
        out.push_str(&format!("      {k}: {}\n", serde_json::to_string(v).expect("json")));
    }
    out
}

/// Generates an ed25519 key pair at `path` and returns the public key line.
fn keygen(path: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "impostor", "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(path.with_extension("pub")).expect("pub key")
}

#[test]
fn host_key_mismatch_is_a_clear_unretried_error_and_accept_new_records_keys() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let addr = lab.address(2);
    let real = std::fs::read_to_string(&lab.known_hosts).expect("known_hosts");
    let entry = real.lines().find(|l| l.split_whitespace().next() == Some(addr)).expect("host entry");
    let impostor = keygen(&p.path("impostor"));
    let fake_key: Vec<&str> = impostor.split_whitespace().take(2).collect();
    p.write("known_hosts", &format!("{addr} {}\n", fake_key.join(" ")));
    assert_ne!(entry, p.read("known_hosts").trim());
    let args = format!("-o UserKnownHostsFile={} -o IdentitiesOnly=yes", p.path("known_hosts").display());
    let vars = [("ansible_user", "root"), ("ansible_ssh_common_args", args.as_str())];
    p.write("inv.yml", &one_host_inventory(lab, "spoofed", 2, &vars));
    p.write("site.yml", &play("all", false, "    x: 1\n", "    - command: touch /root/hearth-key-check\n"));

    let start = Instant::now();
    let run = apply(&p, &p.path("inv.yml"), &["site.yml"]);
    run.code(3);
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
    let unreachable: Vec<&str> = run.stdout.lines().filter(|l| l.contains("UNREACHABLE!")).collect();
    assert_eq!(unreachable.len(), 1, "one failure, not retried\n{}", run.stdout);
    assert!(unreachable[0].starts_with("fatal: [spoofed]: UNREACHABLE!"), "{}", unreachable[0]);
    assert!(
        unreachable[0].contains(&format!("host key for {addr} has changed")),
        "the error must say the host key changed: {}",
        unreachable[0]
    );
    assert_eq!(run.recap("spoofed", "unreachable"), 1);
    assert_eq!(lab.ok(2, "root", "test -e /root/hearth-key-check && echo ran || echo not"), "not");

    // An empty known_hosts: strict by default, recorded with --ssh-accept-new.
    p.write("known_hosts", "");
    apply(&p, &p.path("inv.yml"), &["site.yml"]).code(3).stdout_has("known_hosts");
    let run = apply(&p, &p.path("inv.yml"), &["site.yml", "--ssh-accept-new"]);
    run.code(0);
    assert_eq!(run.recap("spoofed", "changed"), 1);
    let recorded = p.read("known_hosts");
    let real_key: Vec<&str> = entry.split_whitespace().skip(1).take(2).collect();
    assert!(recorded.contains(&real_key.join(" ")), "key not recorded: {recorded:?}");
    lab.ok(2, "root", "rm -f /root/hearth-key-check");
}

#[test]
fn wrong_become_password_fails_fast_and_no_password_is_shown() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let wrong = "Wr0ng-pa55-Zq9";
    let common = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
        lab.known_hosts.display()
    );
    let inv = |password: &str| {
        let vars = [
            ("ansible_user", "hearth"),
            ("ansible_ssh_common_args", common.as_str()),
            ("ansible_become_password", password),
        ];
        one_host_inventory(lab, "sudoer", 1, &vars)
    };
    p.write("wrong.yml", &inv(wrong)).write("right.yml", &inv("hearth-lab"));
    p.write(
        "site.yml",
        &play(
            "all",
            true,
            "    x: 1\n",
            "    - command: id -un\n      register: who\n    - debug: var=who.stdout\n",
        ),
    );

    let wrong_inv = p.path("wrong.yml").display().to_string();
    let start = Instant::now();
    let w = watched_run(&p, &["apply", "site.yml", "-vvv", "-i", &wrong_inv], None);
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}: a hang?", start.elapsed());
    let run = w.run;
    run.code(2);
    assert_eq!(run.recap("sudoer", "failed"), 1);
    let fatal = run
        .stdout
        .lines()
        .find(|l| l.starts_with("fatal: [sudoer]: FAILED!"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(fatal.contains("incorrect sudo password"), "the failure must say the password is wrong: {fatal}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains(wrong), "the become password leaked:\n{all}");
    assert!(w.argv.iter().all(|a| !a.contains(wrong)), "the password is in an argv: {:?}", w.argv);
    let json = apply(&p, &p.path("wrong.yml"), &["site.yml", "--json"]);
    json.code(2);
    assert!(!format!("{}{}", json.stdout, json.stderr).contains(wrong), "leaked in JSON:\n{}", json.stdout);

    let run = apply(&p, &p.path("right.yml"), &["site.yml", "-vvv"]);
    run.code(0).stdout_has("\"who.stdout\": \"root\"");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("hearth-lab"), "the become password leaked:\n{all}");
}

/// Hostile text: spaces, both quotes, `$`, `;`, backticks, a backslash, newlines, non-ASCII.
const NASTY: &str = "it's a \"test\"; $HOME `id` $(id) \\n \\\\ ü ünïcødé €\n second line\t$x;\n";

#[test]
fn quoting_torture_arrives_intact() {
    let Some(lab) = Lab::get() else { return };
    let dir = "/root/hearth q 'dir' \"x\" $y; `z` ü";
    let name = "file 'n' \"q\" $a;b `c`\nnew line ✓";
    let line = "line with 'single' \"double\" $VAR; `cmd` \\ ü";
    let json = |s: &str| serde_json::to_string(s).expect("json");
    let vars = format!(
        "    dir: {}\n    name: {}\n    body: {}\n    line: {}\n",
        json(dir),
        json(name),
        json(NASTY),
        json(line)
    );
    let tasks = r#"    - file: {path: "{{ dir }}", state: directory}
    - copy: {content: "{{ body }}", dest: "{{ dir }}/copy {{ name }}"}
    - lineinfile: {path: "{{ dir }}/lines {{ name }}", line: "{{ line }}", create: true}
    - template: {src: nasty.j2, dest: "{{ dir }}/template {{ name }}"}
    - command:
        argv: [cp, "--", "{{ dir }}/copy {{ name }}", "{{ dir }}/command {{ name }}"]
    - command:
        argv: [sh, -c, 'printf %s "$1" > "$2"', sh, "{{ body }}", "{{ dir }}/argv {{ name }}"]
"#;
    let hosts = [("lab1", 0, false), ("lab3_user", 2, true)];
    let p = Project::new();
    let site: String = hosts.iter().map(|(h, _, b)| play(h, *b, &vars, tasks)).collect();
    p.write("site.yml", &site).write("templates/nasty.j2", "{{ body }}\nraw: 'q' \"d\" $v; `b` ü\n");
    for (_, i, _) in hosts {
        lab.ok(i, "root", &format!("rm -rf {}", q(dir)));
    }
    let run = apply(&p, &lab.inventory, &["site.yml"]);
    run.code(0);
    for (h, i, _) in hosts {
        assert_eq!(run.recap(h, "changed"), 6, "{h}\n{}", run.stdout);
        let read = |kind: &str| remote_bytes(lab, i, &format!("{dir}/{kind} {name}"));
        assert_eq!(String::from_utf8_lossy(&read("copy")), NASTY, "{h}: copy");
        assert_eq!(String::from_utf8_lossy(&read("command")), NASTY, "{h}: command argv");
        assert_eq!(String::from_utf8_lossy(&read("argv")), NASTY, "{h}: argument bytes");
        assert_eq!(String::from_utf8_lossy(&read("lines")), format!("{line}\n"), "{h}: lineinfile");
        let want = format!("{NASTY}\nraw: 'q' \"d\" $v; `b` ü\n");
        assert_eq!(String::from_utf8_lossy(&read("template")), want, "{h}: template");
        let listed = lab.ok(i, "root", &format!("find {} -mindepth 1 -printf x | wc -c", q(dir)));
        assert_eq!(listed, "5", "{h}: exactly the five files");
    }
    let again = apply(&p, &lab.inventory, &["site.yml"]);
    for (h, _, _) in hosts {
        assert_eq!(again.recap(h, "changed"), 2, "{h}: only the two commands\n{}", again.stdout);
    }
}

/// Parent pid of a process, and whether it is a zombie (None when it is gone).
fn proc_stat(pid: i32) -> Option<(i32, bool)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace();
    let zombie = fields.next()? == "Z";
    Some((fields.next()?.parse().ok()?, zombie))
}

/// Command line of a process as one string (arguments joined by spaces).
fn cmdline(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

/// Every process on the machine that is not a zombie.
fn live_pids() -> Vec<i32> {
    let entries = std::fs::read_dir("/proc").expect("/proc").flatten();
    let pids = entries.filter_map(|e| e.file_name().to_str()?.parse().ok());
    pids.filter(|p| proc_stat(*p).is_some_and(|(_, z)| !z)).collect()
}

/// Live processes whose parent chain leads to `ancestor`, with their command lines.
fn descendants(ancestor: i32) -> Vec<(i32, String)> {
    let leads_to = |mut pid: i32| {
        for _ in 0..64 {
            match proc_stat(pid) {
                Some((ppid, _)) if ppid == ancestor => return true,
                Some((ppid, _)) if ppid > 1 => pid = ppid,
                _ => return false,
            }
        }
        false
    };
    live_pids().into_iter().filter(|p| leads_to(*p)).map(|p| (p, cmdline(p))).collect()
}

/// What was seen of one hearth run.
struct Watched {
    run: Run,
    /// hearth's pid.
    pid: i32,
    /// Pids of the `ssh` processes among its descendants.
    ssh: BTreeSet<i32>,
    /// Command lines of all its descendants.
    argv: BTreeSet<String>,
    /// How long it took to exit after the SIGINT.
    stopped: Duration,
}

/// Runs hearth (spawned, so its pid is known), sampling its descendants while it runs;
/// `interrupt_after` sends SIGINT once that long has passed.
fn watched_run(p: &Project, args: &[&str], interrupt_after: Option<Duration>) -> Watched {
    let child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .current_dir(p.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hearth");
    let pid = child.id() as i32;
    let start = Instant::now();
    let (mut ssh, mut argv) = (BTreeSet::new(), BTreeSet::new());
    let mut interrupted_at = None;
    let waiter = std::thread::spawn(move || child.wait_with_output());
    while !waiter.is_finished() {
        for (child, cmd) in descendants(pid) {
            if cmd.starts_with("ssh ") {
                ssh.insert(child);
            }
            argv.insert(cmd);
        }
        if let Some(after) = interrupt_after
            && interrupted_at.is_none()
            && start.elapsed() >= after
        {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGINT)
                .expect("SIGINT");
            interrupted_at = Some(Instant::now());
        }
        assert!(start.elapsed() < Duration::from_secs(60), "hearth does not finish");
        std::thread::sleep(Duration::from_millis(25));
    }
    let out = waiter.join().expect("waiter").expect("hearth output");
    let stopped = interrupted_at.map(|t| t.elapsed()).unwrap_or_default();
    Watched { run: Run::from(out), pid, ssh, argv, stopped }
}

/// Asserts nothing of hearth run `pid` is left: none of the ssh processes seen during the run,
/// no ssh process mentioning its control directory, no control directory.
fn assert_no_leftovers(seen: &BTreeSet<i32>, pid: i32) {
    let control = std::env::temp_dir().join(format!("hearth-ssh-{pid}"));
    let mentions = control.display().to_string();
    let start = Instant::now();
    let left = || -> Vec<String> {
        let mut left: Vec<String> = seen
            .iter()
            .filter(|p| proc_stat(**p).is_some_and(|(_, z)| !z))
            .map(|p| format!("{p}: {}", cmdline(*p)))
            .collect();
        left.extend(
            live_pids().into_iter().map(cmdline).filter(|c| c.starts_with("ssh ") && c.contains(&mentions)),
        );
        left.into_iter().filter(|c| c.contains("ssh")).collect()
    };
    // Exited processes may take a moment to disappear from /proc.
    while !left().is_empty() && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(left(), Vec::<String>::new(), "ssh processes left behind by hearth {pid}");
    assert!(!control.exists(), "control directory left: {:?}", list_dir(&control));
}

fn list_dir(dir: &PathBuf) -> Vec<PathBuf> {
    let walk = std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect());
    walk.unwrap_or_default()
}

/// Runs `command: sleep 5` on every shared lab host and sends SIGINT 2.5 s in, while it runs.
fn interrupted_sleep(lab: &Lab, p: &Project) -> Watched {
    let hosts: Vec<&str> = lab.hosts.iter().map(|(n, _)| n.as_str()).collect();
    p.write("slow.yml", &play(&hosts.join(":"), false, "    x: 1\n", "    - command: sleep 60\n"));
    let inv = lab.inventory.display().to_string();
    let out = watched_run(p, &["apply", "slow.yml", "-i", &inv], Some(Duration::from_millis(4000)));
    out.run.stdout_has("TASK [command]");
    out
}

#[test]
fn no_ssh_process_or_control_socket_is_left_after_a_run_or_ctrl_c() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let hosts: Vec<&str> = lab.hosts.iter().map(|(n, _)| n.as_str()).collect();
    p.write("quick.yml", &play(&hosts.join(":"), false, "    x: 1\n", "    - command: 'true'\n"));
    let inv = lab.inventory.display().to_string();

    let w = watched_run(&p, &["apply", "quick.yml", "-i", &inv], None);
    w.run.code(0);
    assert!(w.ssh.len() >= lab.hosts.len(), "one ssh master per host at least: {:?}", w.argv);
    assert_no_leftovers(&w.ssh, w.pid);

    let w = interrupted_sleep(lab, &p);
    w.run.code(99);
    assert!(w.ssh.len() >= lab.hosts.len(), "one ssh master per host at least: {:?}", w.argv);
    assert_no_leftovers(&w.ssh, w.pid);
}

#[test]
fn ctrl_c_stops_a_running_command_promptly() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let w = interrupted_sleep(lab, &p);
    w.run.code(99);
    // Waiting for the command would take about a minute; closing its connection takes moments.
    assert!(w.stopped < Duration::from_secs(20), "Ctrl-C took {:?} to stop the run", w.stopped);
    assert_no_leftovers(&w.ssh, w.pid);
}

/// Live `ssh` master processes whose command line names this control directory.
fn masters_in(dir: &Path) -> Vec<i32> {
    let d = dir.display().to_string();
    live_pids()
        .into_iter()
        .filter(|&p| proc_stat(p).is_some_and(|(_, z)| !z) && cmdline(p).contains(&d))
        .collect()
}

#[test]
fn ssh_persist_reuses_masters_across_runs() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let cache = p.path("cache");
    let hosts: Vec<&str> = lab.hosts.iter().map(|(n, _)| n.as_str()).collect();
    p.write(
        "ping.yml",
        &play(&hosts.join(":"), false, "    x: 1\n", "    - command: 'true'\n      changed_when: false\n"),
    );
    let inv = lab.inventory.display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["apply", "ping.yml", "-i", inv.as_str()];
        args.extend_from_slice(extra);
        p.hearth_env(&args, &[("XDG_CACHE_HOME", cache.to_str().expect("utf-8 path"))])
    };
    let dir = cache.join("hearth/ssh");

    run(&["--ssh-persist", "30"]).code(0);
    let first = masters_in(&dir);
    assert_eq!(first.len(), lab.hosts.len(), "one master per host kept after the run");
    run(&["--ssh-persist", "30"]).code(0);
    assert_eq!(masters_in(&dir), first, "the second run reuses the same masters");

    // Without the option nothing is reused or left behind; stop the kept masters by hand.
    for pid in &first {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid), nix::sys::signal::Signal::SIGTERM);
    }
    run(&[]).code(0);
    assert!(masters_in(&dir).is_empty());
    // A record pointing at a dead master is dropped and a new master opened.
    run(&["--ssh-persist", "30"]).code(0);
    let again = masters_in(&dir);
    assert_eq!(again.len(), lab.hosts.len());
    for pid in again {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
    }
}
