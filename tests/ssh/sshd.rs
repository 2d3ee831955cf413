//! A private sshd for the SSH tests: 127.0.0.1 on a free high port, generated host and client
//! keys in a temp dir, key-only auth, killed (by its pid) when dropped. Needs root and
//! /usr/sbin/sshd; without them tests skip with one line saying why.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hearth::transport::ssh::SshTarget;

const SSHD: &str = "/usr/sbin/sshd";

/// One running test sshd.
pub struct Sshd {
    /// Holds keys, config, known_hosts and authorized_keys.
    pub dir: tempfile::TempDir,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    child: Child,
}

/// Why SSH tests cannot run here, if they cannot.
pub fn skip_reason() -> Option<&'static str> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root");
    }
    if !Path::new(SSHD).exists() {
        return Some("no /usr/sbin/sshd (install openssh-server)");
    }
    None
}

/// Starts a test sshd, or says why not and returns None.
pub fn start(test: &str) -> Option<Sshd> {
    if let Some(why) = skip_reason() {
        eprintln!("skipping {test}: SSH tests need root and {SSHD} ({why})");
        return None;
    }
    Some(Sshd::start())
}

/// Runs a command and panics with its stderr when it fails.
pub fn sh(argv: &[&str]) -> String {
    let out = Command::new(argv[0]).args(&argv[1..]).output().expect("spawn");
    assert!(out.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Generates an ed25519 key pair at `path` (and `path.pub`).
pub fn keygen(path: &Path) {
    sh(&[
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "hearth-test",
        "-f",
        path.to_str().expect("utf8"),
    ]);
}

impl Sshd {
    fn start() -> Sshd {
        let dir = tempfile::Builder::new().prefix("hearth-sshd-").tempdir().expect("tempdir");
        // sshd reads authorized_keys as the logging-in user: make the directory traversable.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let p = |n: &str| dir.path().join(n);
        keygen(&p("host_key"));
        keygen(&p("client_key"));
        fs::copy(p("client_key.pub"), p("authorized_keys")).expect("authorized_keys");
        fs::set_permissions(p("authorized_keys"), fs::Permissions::from_mode(0o644)).expect("chmod");
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nMaxSessions 10\nAcceptEnv TMPDIR\nLogLevel ERROR\n",
            p("host_key").display(),
            p("sshd.pid").display(),
            p("authorized_keys").display()
        );
        fs::write(p("sshd_config"), config).expect("config");
        let host_pub = fs::read_to_string(p("host_key.pub")).expect("host pub");
        fs::write(p("known_hosts"), format!("[127.0.0.1]:{port} {host_pub}")).expect("known_hosts");
        fs::create_dir_all("/run/sshd").expect("/run/sshd");
        let child = Command::new(SSHD)
            .args(["-D", "-f"])
            .arg(p("sshd_config"))
            .arg("-E")
            .arg(p("sshd.log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("start sshd");
        wait_listening(port);
        Sshd { dir, port, child }
    }

    /// A path in the sshd's temp dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The pid of the listening sshd (its children serve the connections).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A target for `user` with the client key and a known_hosts file holding the host key.
    pub fn target(&self, user: &str) -> SshTarget {
        SshTarget {
            host: "127.0.0.1".into(),
            port: Some(self.port),
            user: Some(user.into()),
            key_file: Some(self.path("client_key").display().to_string()),
            common_args: format!("-o UserKnownHostsFile={}", self.path("known_hosts").display()),
            extra_args: String::new(),
            connect_timeout: Duration::from_secs(5),
            accept_new: false,
            persist: None,
            kept_shell: true,
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn wait_listening(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "sshd did not start on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Pids of `ssh` processes whose command line mentions `needle` (e.g. a test's port).
pub fn ssh_processes(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmd) = fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<String> =
            cmd.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if args.first().is_some_and(|a| a == "ssh" || a.ends_with("/ssh")) && args.iter().any(|a| a == needle)
        {
            pids.push(pid);
        }
    }
    pids
}
