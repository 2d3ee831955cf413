//! Each lab host's sshd: key generation (`ssh-keygen`), its config (key-only auth, listening on
//! the host's address), starting it detached inside the host's namespaces, waiting until it
//! answers, and the known_hosts file. It does not touch the machine's own sshd or its keys.

use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::network::netns_path;
use super::run::run;
use super::state::{HostState, LabState};
use crate::error::LabError;

/// Directory (inside a host) holding the lab sshd's config and host key.
pub const CONFIG_DIR: &str = "/etc/ssh/hearth-lab";

/// Host key file name, in the host directory on the machine and in `CONFIG_DIR` inside.
pub const HOST_KEY: &str = "ssh_host_ed25519_key";

/// Generates an ed25519 key pair at `path` (and `path.pub`) unless it exists.
pub fn keygen(path: &Path, comment: &str) -> Result<(), LabError> {
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
    run(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", comment]).arg("-f").arg(path))
}

/// `path` + `.pub`.
pub fn public(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

/// The lab sshd's config: listens on `address`:22, public keys only, generous session limits
/// (multiplexed connections open many channels).
pub fn config(address: &str) -> String {
    format!(
        "# hearth lab sshd: key-only auth, started by `hearth lab up` (not the machine's sshd)\n\
         ListenAddress {address}:22\n\
         HostKey {CONFIG_DIR}/{HOST_KEY}\n\
         PidFile none\n\
         UsePAM no\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PubkeyAuthentication yes\n\
         PermitRootLogin prohibit-password\n\
         AuthorizedKeysFile .ssh/authorized_keys\n\
         UseDNS no\n\
         PrintMotd no\n\
         MaxStartups 200:30:400\n\
         MaxSessions 200\n\
         AcceptEnv LANG LC_*\n\
         Subsystem sftp internal-sftp\n"
    )
}

/// known_hosts lines for every host: `<address> <host public key>`.
pub fn known_hosts(hosts: &[(String, String)]) -> String {
    hosts.iter().map(|(addr, key)| format!("{addr} {}\n", key.trim())).collect()
}

/// Starts a host: `setsid nsenter --net=<netns> unshare --mount --uts <hearth> lab boot ...`,
/// which mounts the host's root and execs sshd — so the returned child's PID is sshd's.
pub fn spawn(lab: &LabState, host: &HostState) -> Result<Child, LabError> {
    let exe = std::env::current_exe().map_err(|e| LabError::io(Path::new("/proc/self/exe"), e))?;
    let log_path = host.dir.join("sshd.log");
    let log = fs::File::create(&log_path).map_err(|e| LabError::io(&log_path, e))?;
    let err = log.try_clone().map_err(|e| LabError::io(&log_path, e))?;
    let mut cmd = Command::new("setsid");
    cmd.arg("nsenter")
        .arg(format!("--net={}", netns_path(&host.netns).display()))
        .args(["unshare", "--mount", "--uts", "--propagation", "private"])
        .arg(exe)
        .args(["lab", "boot", "--name", &lab.name, "--host", &host.name])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err);
    cmd.spawn().map_err(|e| LabError::Spawn { command: "setsid nsenter ... lab boot".into(), source: e })
}

/// Waits until the host's sshd sends its banner; an early exit is an error with its log.
pub fn wait_ready(host: &HostState, child: &mut Child, timeout: Duration) -> Result<(), LabError> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(not_started(host, &format!("exited ({status})")));
        }
        if answers(&host.address, Duration::from_millis(300)) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(not_started(host, "did not answer in time"))
}

fn not_started(host: &HostState, why: &str) -> LabError {
    let log = fs::read_to_string(host.dir.join("sshd.log")).unwrap_or_default();
    LabError::NotStarted { host: host.name.clone(), why: why.to_string(), log: log.trim().to_string() }
}

/// Whether an SSH server answers with its banner on `address`:22.
pub fn answers(address: &str, timeout: Duration) -> bool {
    let Ok(ip) = address.parse() else { return false };
    let Ok(mut stream) = TcpStream::connect_timeout(&SocketAddr::new(ip, 22), timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let mut buf = [0u8; 8];
    stream.read_exact(&mut buf).is_ok() && buf.starts_with(b"SSH-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_listens_on_the_host_and_allows_keys_only() {
        let c = config("10.77.0.11");
        assert!(c.contains("ListenAddress 10.77.0.11:22\n"));
        assert!(c.contains("PasswordAuthentication no\n"));
        assert!(c.contains("HostKey /etc/ssh/hearth-lab/ssh_host_ed25519_key\n"));
    }

    #[test]
    fn known_hosts_has_one_line_per_host() {
        let text = known_hosts(&[("10.0.0.1".into(), "ssh-ed25519 AAA c\n".into())]);
        assert_eq!(text, "10.0.0.1 ssh-ed25519 AAA c\n");
    }

    #[test]
    fn public_appends_pub() {
        assert_eq!(public(Path::new("/a/k")), Path::new("/a/k.pub"));
    }
}
