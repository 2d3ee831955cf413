//! The SSH transport against a private sshd on this machine: every Transport operation gives
//! the same result as `Local`, connection failures are clear, become works through sudo, and
//! `close()` leaves no ssh process or control socket. Skipped (with one line) without root.

mod become_sudo;
mod sshd;
mod table;

use std::time::{Duration, Instant};

use hearth::transport::posix::Posix;
use hearth::transport::runner::LocalRunner;
use hearth::transport::ssh::{self, SshDefaults, SshTarget};
use hearth::transport::{Cmd, Local, Transport, TransportError};
use hearth::value::Map;
use serde_json::json;

fn root_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("hearth-ssh-table-").tempdir().expect("tempdir")
}

#[test]
fn every_operation_matches_local() {
    let Some(d) = sshd::start("every_operation_matches_local") else { return };
    let (a, b, c, e) = (root_dir(), root_dir(), root_dir(), root_dir());
    let local = table::run_table(&Local, &a.path().display().to_string());
    let posix = table::run_table(&Posix::new(LocalRunner), &b.path().display().to_string());
    let host = ssh::connect(&d.target("root")).expect("connect");
    let remote = table::run_table(&host, &c.path().display().to_string());
    // The per-task cache the engine puts in front of every connection must not change anything.
    let cached =
        table::run_table(&hearth::transport::cache::Cached::new(&host), &e.path().display().to_string());
    host.close().expect("close");
    // The same over one channel per operation (`--ssh-channel-per-command`), no kept shell.
    let f = root_dir();
    let per_channel = ssh::connect(&SshTarget { kept_shell: false, ..d.target("root") }).expect("connect");
    let channels = table::run_table(&per_channel, &f.path().display().to_string());
    per_channel.close().expect("close");
    assert_eq!(posix, local);
    assert_eq!(remote, local);
    assert_eq!(cached, local);
    assert_eq!(channels, local);
}

#[test]
fn operations_share_one_kept_shell_and_it_leaves_nothing_behind() {
    let Some(d) = sshd::start("operations_share_one_kept_shell") else { return };
    let tmp = root_dir();
    let mut target = d.target("root");
    target.common_args += &format!(" -o SetEnv=TMPDIR={}", tmp.path().display());
    let host = ssh::connect(&target).expect("connect");
    let pids: Vec<String> = (0..3)
        .map(|_| String::from_utf8(host.run(&Cmd::shell("echo $PPID")).expect("run").stdout).unwrap())
        .collect();
    assert!(pids.iter().all(|p| p == &pids[0]), "one loop ran every operation: {pids:?}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "the loop's own directory");
    host.close().expect("close");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "the shell's temp directory is removed: {left:?}");
}

#[test]
fn unreachable_hosts_say_why() {
    let Some(d) = sshd::start("unreachable_hosts_say_why") else { return };
    let mut closed = d.target("root");
    closed.port = Some(sshd::free_port());
    let start = Instant::now();
    let err = ssh::connect(&closed).expect_err("closed port");
    assert!(matches!(&err, TransportError::Unreachable(m) if m.contains("Connection refused")), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));

    let mut bad_key = d.target("root");
    sshd::keygen(&d.path("other_key"));
    bad_key.key_file = Some(d.path("other_key").display().to_string());
    let err = ssh::connect(&bad_key).expect_err("bad key");
    assert!(matches!(&err, TransportError::Unreachable(m) if m.contains("Permission denied")), "{err}");

    let mut dns = d.target("root");
    dns.host = "no-such-host.invalid".into();
    let err = ssh::connect(&dns).expect_err("dns");
    assert!(matches!(&err, TransportError::Unreachable(m) if m.contains("no-such-host.invalid")), "{err}");
}

#[test]
fn host_keys_are_checked() {
    let Some(d) = sshd::start("host_keys_are_checked") else { return };
    let mut t = d.target("root");
    let unknown = d.path("empty_known_hosts");
    std::fs::write(&unknown, "").unwrap();
    t.common_args = format!("-o UserKnownHostsFile={}", unknown.display());
    let err = ssh::connect(&t).expect_err("unknown host");
    assert!(matches!(&err, TransportError::Unreachable(m) if m.contains("known_hosts")), "{err}");

    t.accept_new = true;
    ssh::connect(&t).expect("accept-new").close().unwrap();
    assert!(std::fs::read_to_string(&unknown).unwrap().contains("ssh-ed25519"));

    sshd::keygen(&d.path("impostor"));
    let other = std::fs::read_to_string(d.path("impostor.pub")).unwrap();
    std::fs::write(&unknown, format!("[127.0.0.1]:{} {other}", d.port)).unwrap();
    let err = ssh::connect(&t).expect_err("changed key");
    assert!(matches!(&err, TransportError::HostKeyChanged { host } if host == "127.0.0.1"), "{err:?}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
}

#[test]
fn close_leaves_no_process_or_socket() {
    let Some(d) = sshd::start("close_leaves_no_process_or_socket") else { return };
    let host = ssh::connect(&d.target("root")).expect("connect");
    let port = d.port.to_string();
    assert_eq!(sshd::ssh_processes(&port).len(), 1, "one master per host");
    let sockets = control_sockets(&port);
    assert_eq!(sockets.len(), 1, "{sockets:?}");
    // Many concurrent commands share the one master (bounded below sshd's MaxSessions).
    std::thread::scope(|s| {
        for i in 0..30 {
            let host = &host;
            s.spawn(move || {
                let out = host.run(&Cmd::new(["echo", &i.to_string()])).expect("run");
                assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), i.to_string());
            });
        }
    });
    assert_eq!(sshd::ssh_processes(&port).len(), 1);
    host.close().expect("close");
    let start = Instant::now();
    while !sshd::ssh_processes(&port).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(3), "ssh master still running after close()");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sockets.iter().all(|s| !s.exists()), "control socket left: {sockets:?}");
    assert!(matches!(host.run(&Cmd::new(["true"])), Err(TransportError::Unreachable(_))));
}

/// Control sockets of the master talking to `port` (from its command line).
fn control_sockets(port: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for pid in sshd::ssh_processes(port) {
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> =
            cmd.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if let Some(i) = args.iter().position(|a| a == "-S") {
            out.push(std::path::PathBuf::from(&args[i + 1]));
        }
    }
    out
}

#[test]
fn lost_connection_is_unreachable() {
    let Some(d) = sshd::start("lost_connection_is_unreachable") else { return };
    let host = ssh::connect(&d.target("root")).expect("connect");
    let start = Instant::now();
    std::thread::scope(|s| {
        let running = s.spawn(|| host.run(&Cmd::new(["sleep", "30"])));
        std::thread::sleep(Duration::from_millis(300));
        // Kill the sshd processes serving this connection (children of our own sshd, by pid).
        for pid in sshd::sh(&["pgrep", "-P", &d.pid().to_string()]).split_whitespace() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid.parse().unwrap()),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let res = running.join().unwrap();
        assert!(matches!(&res, Err(TransportError::Unreachable(_))), "{res:?}");
    });
    assert!(start.elapsed() < Duration::from_secs(10));
    host.close().ok();
}

#[test]
fn close_during_a_command_stops_it() {
    // What the engine does on Ctrl-C: close() while a command still runs.
    let Some(d) = sshd::start("close_during_a_command_stops_it") else { return };
    let host = ssh::connect(&d.target("root")).expect("connect");
    let port = d.port.to_string();
    let start = Instant::now();
    std::thread::scope(|s| {
        let running = s.spawn(|| host.run(&Cmd::new(["sleep", "30"])));
        std::thread::sleep(Duration::from_millis(300));
        host.close().expect("close");
        let res = running.join().unwrap();
        assert!(matches!(&res, Err(TransportError::Unreachable(_))), "{res:?}");
    });
    assert!(start.elapsed() < Duration::from_secs(10));
    while !sshd::ssh_processes(&port).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(10), "ssh master still running after close()");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn round_trip_on_an_open_master() {
    let Some(d) = sshd::start("round_trip_on_an_open_master") else { return };
    // A fresh user (Debian's default rc files) and root (whose ~/.bashrc may be heavy: sshd
    // starts every command through the login shell, which sources it).
    let user = become_sudo::TempUser::new("hxr");
    for login in [user.name.as_str(), "root"] {
        let host = ssh::connect(&d.target(login)).expect("connect");
        let n = 50;
        let start = Instant::now();
        for _ in 0..n {
            assert_eq!(host.run(&Cmd::new(["true"])).unwrap().rc, 0);
        }
        let each = start.elapsed() / n;
        eprintln!("ssh round trip on an open master as {login}: {each:?} per command ({n} sequential)");
        host.close().unwrap();
        assert!(each < Duration::from_secs(2));
    }
}

#[test]
fn target_from_inventory_vars() {
    let vars: Map = serde_json::from_value(json!({
        "ansible_host": "10.0.0.5", "ansible_port": "2222", "ansible_user": "pi",
        "ansible_ssh_private_key_file": "/k/id", "ansible_ssh_common_args": "-o ProxyJump=bastion",
        "ansible_ssh_extra_args": "-C",
    }))
    .unwrap();
    let t = SshTarget::from_vars("web1", &vars, &SshDefaults::default()).unwrap();
    assert_eq!((t.host.as_str(), t.port, t.user.as_deref()), ("10.0.0.5", Some(2222), Some("pi")));
    assert_eq!((t.key_file.as_deref(), t.extra_args.as_str()), (Some("/k/id"), "-C"));
    let t = SshTarget::from_vars("web1", &Map::new(), &SshDefaults::default()).unwrap();
    assert_eq!((t.host.as_str(), t.port, t.user), ("web1", None, None));
    let bad: Map = serde_json::from_value(json!({"ansible_ssh_common_args": "-R 80:x:80"})).unwrap();
    let err = SshTarget::from_vars("web1", &bad, &SshDefaults::default()).unwrap_err();
    assert!(err.to_string().contains("unsupported ssh argument '-R'"), "{err}");
    let bad: Map = serde_json::from_value(json!({"ansible_port": "ssh"})).unwrap();
    assert!(SshTarget::from_vars("web1", &bad, &SshDefaults::default()).is_err());
}
