//! The lab's state file (`state.json` in the lab directory): every resource a lab creates is
//! recorded here *before* it is created, so `hearth lab down` can remove it after a crash.
//! Also the pure naming rules (netns, veth, bridge, addresses). It does not create anything.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::LabError;

/// Where labs live unless `HEARTH_LAB_DIR` says otherwise (hidden inside lab hosts).
pub const DEFAULT_ROOT: &str = "/var/lib/hearth/lab";

/// Port of the lab's Kubernetes API double on the bridge address.
pub const API_PORT: u16 = 6443;

/// Everything a lab created: enough to tear it down without any other knowledge.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LabState {
    /// The lab's name (`--name`, default `default`).
    pub name: String,
    /// Subnet index k: bridge `hrth<k>`, addresses 10.77.k.0/24.
    pub index: u8,
    /// The lab's directory (state, keys, per-host overlay layers).
    pub dir: PathBuf,
    /// Bridge interface on the machine.
    pub bridge: String,
    /// The machine's address on the bridge.
    pub gateway: String,
    /// Private key of the lab client key pair (authorized for root and `hearth` on every host).
    pub client_key: PathBuf,
    /// known_hosts file with every host's key.
    pub known_hosts: PathBuf,
    /// Inventory file written next to the state.
    pub inventory: PathBuf,
    /// PID of the watchdog that tears the lab down when its owner exits.
    pub watchdog_pid: Option<u32>,
    /// Kubeconfig of the lab's Kubernetes API double (written once it serves).
    #[serde(default)]
    pub kubeconfig: PathBuf,
    /// PID of the detached `hearth lab serve-api` running the API double.
    #[serde(default)]
    pub api_pid: Option<u32>,
    /// The hosts, in order (`lab1`, `lab2`, ...).
    pub hosts: Vec<HostState>,
}

/// One lab host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostState {
    /// Inventory name (`lab1`...).
    pub name: String,
    /// Network namespace name (`hearth-<lab>-<i>`).
    pub netns: String,
    /// Machine-side veth interface (enslaved to the bridge).
    pub veth: String,
    /// The host's IPv4 address (sshd listens on port 22).
    pub address: String,
    /// Per-host directory: `upper/`, `work/`, `root/` (overlay), host key, sshd log.
    pub dir: PathBuf,
    /// PID of the host's sshd (also the holder of its mount namespace).
    pub sshd_pid: Option<u32>,
}

impl LabState {
    /// A new state for lab `name` with subnet index `index` and `count` hosts under `root`.
    pub fn plan(root: &Path, name: &str, index: u8, count: usize) -> LabState {
        let dir = root.join(name);
        let hosts = (1..=count)
            .map(|i| HostState {
                name: format!("lab{i}"),
                netns: format!("hearth-{name}-{i}"),
                veth: format!("hv{index}x{i}"),
                address: format!("10.77.{index}.{}", 10 + i),
                dir: dir.join("hosts").join(format!("lab{i}")),
                sshd_pid: None,
            })
            .collect();
        LabState {
            name: name.to_string(),
            index,
            bridge: format!("hrth{index}"),
            gateway: format!("10.77.{index}.1"),
            client_key: dir.join("client_key"),
            known_hosts: dir.join("known_hosts"),
            inventory: dir.join("inventory.yml"),
            watchdog_pid: None,
            kubeconfig: dir.join("kubeconfig"),
            api_pid: None,
            hosts,
            dir,
        }
    }

    /// Path of the state file of lab `name`.
    pub fn file(root: &Path, name: &str) -> PathBuf {
        root.join(name).join("state.json")
    }

    /// Reads lab `name`'s state; `None` when it has none.
    pub fn load(root: &Path, name: &str) -> Result<Option<LabState>, LabError> {
        let path = LabState::file(root, name);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(LabError::io(&path, e)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| LabError::State { path, source: e })
    }

    /// Writes the state file atomically (temp file + rename).
    pub fn save(&self) -> Result<(), LabError> {
        fs::create_dir_all(&self.dir).map_err(|e| LabError::io(&self.dir, e))?;
        let path = self.dir.join("state.json");
        let tmp = self.dir.join("state.json.tmp");
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| LabError::State { path: path.clone(), source: e })?;
        fs::write(&tmp, text).map_err(|e| LabError::io(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| LabError::io(&path, e))
    }

    /// URL of the lab's Kubernetes API double (the machine's bridge address).
    pub fn api_url(&self) -> String {
        format!("https://{}:{API_PORT}", self.gateway)
    }

    /// Lab host by inventory name.
    pub fn host(&self, name: &str) -> Option<&HostState> {
        self.hosts.iter().find(|h| h.name == name)
    }
}

/// Lab names become file and namespace names: lowercase letters, digits and `-`, 1–40 chars.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The lowest subnet index not in `used` (other labs' indices and bridges that already exist).
pub fn free_index(used: &[u8]) -> Option<u8> {
    (0..=u8::MAX).find(|i| !used.contains(i))
}

/// Names of every lab with a state file under `root`.
pub fn lab_names(root: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(root) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join("state.json").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_names_resources_from_the_index() {
        let s = LabState::plan(Path::new("/l"), "t-1", 3, 2);
        assert_eq!(s.bridge, "hrth3");
        assert_eq!(s.gateway, "10.77.3.1");
        assert_eq!(s.hosts[1].name, "lab2");
        assert_eq!(s.hosts[1].netns, "hearth-t-1-2");
        assert_eq!(s.hosts[1].veth, "hv3x2");
        assert_eq!(s.hosts[1].address, "10.77.3.12");
        assert_eq!(s.hosts[0].dir, Path::new("/l/t-1/hosts/lab1"));
    }

    #[test]
    fn veth_and_bridge_names_fit_ifnamsiz() {
        let s = LabState::plan(Path::new("/l"), "x", 255, 240);
        assert!(s.hosts.iter().all(|h| h.veth.len() <= 15));
        assert!(s.bridge.len() <= 15);
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("test-1234"));
        assert!(!valid_name(""));
        assert!(!valid_name("-x"));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("A"));
    }

    #[test]
    fn free_index_skips_used() {
        assert_eq!(free_index(&[]), Some(0));
        assert_eq!(free_index(&[0, 1, 3]), Some(2));
    }

    #[test]
    fn state_round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = LabState::plan(dir.path(), "a", 0, 1);
        s.save().unwrap();
        assert_eq!(LabState::load(dir.path(), "a").unwrap(), Some(s));
        assert_eq!(LabState::load(dir.path(), "b").unwrap(), None);
        assert_eq!(lab_names(dir.path()), vec!["a".to_string()]);
    }
}
