//! `hearth lab demo`: everything the homelab stack needs, on a lab of 3 hosts, ready for the
//! shipped site.yml — host 1 is the GitLab host (the lab's recording `gitlab-ctl` stand-in and a
//! stock gitlab.rb), hosts 2 and 3 are the builders (docker.io from the lab's package mirror),
//! the lab's Kubernetes API double takes the runner objects. This module prepares the lab and a
//! project directory and judges the two runs; it does not run playbooks or print (the binary
//! runs site.yml with its normal reporter and shows what this returns).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use super::state::LabState;
use crate::error::LabError;
use crate::lifecycle::UpOptions;
use crate::{mirror, shipped};
use hearth_formats::value::{Map, Value};

/// Hosts in a demo lab: the GitLab host and two builders.
pub const HOSTS: usize = 3;

/// gitlab.rb as a fresh omnibus install has it: the token setting commented out.
pub const GITLAB_RB: &str = "external_url 'http://gitlab.lan'\n\
# gitlab_rails['initial_shared_runners_registration_token'] = \"token\"\n";

/// What `hearth lab demo` was asked for.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Lab name.
    pub name: String,
    /// Leave the lab running afterwards.
    pub keep: bool,
    /// The runner token (`HEARTH_RUNNER_TOKEN`); None: a generated `glrt-demo-...` token.
    pub token: Option<String>,
}

/// A prepared demo: the lab, the project to run and the mirror serving docker.io.
pub struct Demo {
    /// The lab (3 hosts).
    pub lab: LabState,
    /// True when the lab was already running (the demo then never removes it).
    pub reused: bool,
    /// The project directory (shipped playbooks, templates, group_vars, the demo inventory).
    pub dir: PathBuf,
    /// `dir/playbooks/site.yml`.
    pub playbook: PathBuf,
    /// `dir/inventory`.
    pub inventory: PathBuf,
    /// The package mirror's URL on the lab bridge.
    pub mirror_url: String,
    /// Where docker.io's packages are cached.
    pub cache: PathBuf,
    /// True when the token is a generated demo token.
    pub generated_token: bool,
    token: String,
}

impl Demo {
    /// Extra vars for both runs: the runner token (never shown).
    pub fn extra_vars(&self) -> Map {
        let mut vars = Map::new();
        vars.insert("runner_token".into(), Value::from(self.token.clone()));
        vars
    }

    /// The command that shows the runner's Deployment in the lab's API double.
    pub fn kubectl_hint(&self) -> String {
        format!("kubectl --kubeconfig {} -n gitlab-runner get deploy", self.lab.kubeconfig.display())
    }
}

/// Brings the lab up (or reuses it), serves the mirror and writes the project and gitlab.rb.
pub fn prepare(opts: &DemoOptions) -> Result<Demo, LabError> {
    crate::machine::require_root()?;
    crate::machine::check_name(&opts.name)?;
    let reused = LabState::load(&crate::machine::lab_root(), &opts.name)?.is_some();
    let owner_pid = (!opts.keep && !reused).then(std::process::id);
    let lab = crate::lifecycle::up(&UpOptions { name: opts.name.clone(), count: Some(HOSTS), owner_pid })?;
    let prepared = prepare_on(&lab, opts, reused);
    if prepared.is_err() && !reused && !opts.keep {
        let _ = crate::teardown::down(&lab.name);
    }
    prepared
}

fn prepare_on(lab: &LabState, opts: &DemoOptions, reused: bool) -> Result<Demo, LabError> {
    let cache = mirror::cache_dir();
    let work = lab.dir.join("demo-mirror");
    let _ = fs::remove_dir_all(&work);
    let built = mirror::build(&work, &cache)?;
    let requests = Arc::new(Mutex::new(Vec::new()));
    let mirror_url = mirror::serve(&lab.gateway, built.root, requests)?;
    let dir = lab.dir.join("demo");
    let _ = fs::remove_dir_all(&dir);
    write_project(lab, &dir, &mirror_url)?;
    write_gitlab_rb(lab)?;
    let (token, generated_token) = match &opts.token {
        Some(t) if !t.is_empty() => (t.clone(), false),
        _ => (format!("glrt-demo-{}", random_hex(8)?), true),
    };
    Ok(Demo {
        lab: lab.clone(),
        reused,
        playbook: dir.join("playbooks/site.yml"),
        inventory: dir.join("inventory"),
        dir,
        mirror_url,
        cache,
        generated_token,
        token,
    })
}

fn write(path: &Path, text: &str) -> Result<(), LabError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| LabError::io(parent, e))?;
    }
    fs::write(path, text).map_err(|e| LabError::io(path, e))
}

/// The groups of the stack on the lab: `gitlab` = host 1, `builders` = the others.
fn stack_inventory(hosts: &[String]) -> String {
    let mut out = String::from("# The homelab stack on the lab (hearth lab demo).\ngitlab:\n  hosts:\n");
    for (i, h) in hosts.iter().enumerate() {
        if i == 1 {
            out.push_str("builders:\n  hosts:\n");
        }
        out.push_str(&format!("    {h}:\n"));
    }
    out
}

/// The demo's overrides of the shipped knobs: builders install docker.io from the mirror.
fn builders_vars(mirror_url: &str) -> String {
    format!(
        "# hearth lab demo: Debian's docker.io from the lab's package mirror.\n\
         docker_apt_repo_url: {mirror_url}\ndocker_packages: [docker.io]\n\
         docker_insecure_registries: [\"{{{{ registry_host }}}}\"]\n"
    )
}

/// The shipped files plus the lab inventory, the stack's groups and the demo's overrides.
fn write_project(lab: &LabState, dir: &Path, mirror_url: &str) -> Result<(), LabError> {
    shipped::write_all(dir)?;
    let inv = dir.join("inventory");
    write(&inv.join("lab.yml"), &super::inventory::render(lab))?;
    let names: Vec<String> = lab.hosts.iter().map(|h| h.name.clone()).collect();
    write(&inv.join("stack.yml"), &stack_inventory(&names))?;
    write(&inv.join("group_vars/builders.yml"), &builders_vars(mirror_url))?;
    let all = inv.join("group_vars/all.yml");
    let shipped = fs::read_to_string(&all).map_err(|e| LabError::io(&all, e))?;
    let kube = serde_json::Value::from(lab.kubeconfig.display().to_string());
    let demo =
        format!("\n# --- hearth lab demo: the lab's Kubernetes API double ---\nk8s_kubeconfig: {kube}\n");
    write(&all, &(shipped + &demo))
}

/// Writes a stock gitlab.rb on host 1 over SSH (the lab's key, as root).
fn write_gitlab_rb(lab: &LabState) -> Result<(), LabError> {
    let host = lab.hosts.first().ok_or(LabError::BadCount(0))?;
    let known = format!("UserKnownHostsFile={}", lab.known_hosts.display());
    super::run::run_with_input(
        Command::new("ssh")
            .arg("-i")
            .arg(&lab.client_key)
            .args(["-o", &known, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
            .args(["-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
            .arg(format!("root@{}", host.address))
            .arg("mkdir -p /etc/gitlab && cat > /etc/gitlab/gitlab.rb"),
        Some(GITLAB_RB),
    )
}

fn random_hex(n: usize) -> Result<String, LabError> {
    let path = Path::new("/dev/urandom");
    let mut bytes = vec![0u8; n];
    fs::File::open(path).and_then(|mut f| f.read_exact(&mut bytes)).map_err(|e| LabError::io(path, e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Removes the lab unless `keep` or it was running before the demo; true when removed.
pub fn finish(demo: &Demo, keep: bool) -> Result<bool, LabError> {
    if keep || demo.reused {
        return Ok(false);
    }
    crate::teardown::down(&demo.lab.name)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_one_is_gitlab_and_the_rest_build() {
        let hosts = ["lab1".to_string(), "lab2".into(), "lab3".into()];
        assert_eq!(
            stack_inventory(&hosts),
            "# The homelab stack on the lab (hearth lab demo).\ngitlab:\n  hosts:\n    lab1:\n\
             builders:\n  hosts:\n    lab2:\n    lab3:\n"
        );
    }

    #[test]
    fn builders_take_docker_io_from_the_mirror() {
        let v = builders_vars("http://10.77.3.1:4000");
        assert!(v.contains("docker_apt_repo_url: http://10.77.3.1:4000\n"), "{v}");
        assert!(v.contains("docker_insecure_registries: [\"{{ registry_host }}\"]\n"), "{v}");
    }

    #[test]
    fn every_shipped_playbook_is_written() {
        let dir = tempfile::tempdir().unwrap();
        shipped::write_all(dir.path()).unwrap();
        assert!(dir.path().join("playbooks/site.yml").is_file());
        assert!(dir.path().join("templates/gitlab-runner.yml.j2").is_file());
    }
}
