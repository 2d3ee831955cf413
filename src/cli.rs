//! Command-line arguments: parsed once into typed options (clap), then handed to the engine.
//! Exit codes follow ansible-playbook: 0 ok, 1 error, 2 host failed, 3 host unreachable,
//! 4 parse error, 5 bad options, 99 interrupted.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::vault::keyring::SourceSpec;

/// hearth: run Ansible-format playbooks, fast, from one binary.
#[derive(Debug, Parser)]
#[command(name = "hearth", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run playbooks against the inventory.
    Apply(RunArgs),
    /// Show what apply would change, without changing anything (= apply --check --diff).
    Plan(RunArgs),
    /// Show what the inventory resolves to (like ansible-inventory).
    Inventory(InventoryArgs),
    /// Throwaway SSH test hosts on this machine (root): up, down, status, inventory, demo.
    /// Log in as root or as `hearth` (sudo password `hearth-lab`) with the lab's key.
    Lab(LabArgs),
    /// Encrypt, decrypt and view vault files and strings (like ansible-vault).
    Vault(VaultArgs),
}

/// Options shared by `apply` and `plan`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Playbook files (default: playbooks/site.yml).
    pub playbooks: Vec<PathBuf>,
    /// Inventory: a file, a directory, or a comma-separated host list (default: inventory/).
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<String>,
    /// Connection for hosts that don't set `ansible_connection` (like ansible-playbook -c).
    #[arg(short = 'c', long)]
    pub connection: Option<String>,
    /// Ask for the become (sudo) password once, before the run.
    #[arg(short = 'K', long)]
    pub ask_become_pass: bool,
    /// Trust and remember the host key of hosts seen for the first time (StrictHostKeyChecking
    /// accept-new); changed keys are still refused.
    #[arg(long)]
    pub ssh_accept_new: bool,
    /// Keep ssh masters after the run for reuse by the next one, ending each after this many
    /// idle seconds (like Ansible's ControlPersist); 0 closes them at the end of the run.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub ssh_persist: usize,
    /// Open one SSH channel per remote operation instead of keeping one shell per host and
    /// become user open for the run (slower; for hosts whose shell misbehaves).
    #[arg(long)]
    pub ssh_channel_per_command: bool,
    /// Seconds to wait for an SSH connection before the host is unreachable.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub connect_timeout: u64,
    /// Seconds a task may run on a host (per loop item) before it fails and what it started
    /// there is killed, for tasks that set no `timeout:`; 0: no limit. Default:
    /// ANSIBLE_TASK_TIMEOUT or ansible.cfg's `[defaults] task_timeout`.
    #[arg(long, value_name = "SECONDS")]
    pub task_timeout: Option<u64>,
    /// Seconds to wait for another `hearth apply` of the same playbooks on the same inventory to
    /// finish before giving up (`plan` and `--check` take no lock).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub lock_timeout: u64,
    /// Only run on hosts matching this pattern.
    #[arg(short = 'l', long)]
    pub limit: Option<String>,
    /// Only run tasks with these tags (comma-separated, repeatable).
    #[arg(short = 't', long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Skip tasks with these tags (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',')]
    pub skip_tags: Vec<String>,
    /// Extra variables: key=value, YAML/JSON, or @file (highest precedence).
    #[arg(short = 'e', long = "extra-vars")]
    pub extra_vars: Vec<String>,
    /// Don't change anything; report what would change.
    #[arg(short = 'C', long)]
    pub check: bool,
    /// Show diffs of changed files.
    #[arg(short = 'D', long)]
    pub diff: bool,
    /// How many hosts to run at once.
    #[arg(short = 'f', long, default_value_t = 50)]
    pub forks: usize,
    /// More output (-v shows results, -vv more).
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Output format: Ansible-style text, or one JSON event per line.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Shorthand for `--output json`.
    #[arg(long, conflicts_with = "output")]
    pub json: bool,
    /// No live progress display, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    /// Vault secrets for vaulted files and `!vault` values.
    #[command(flatten)]
    pub vault: VaultOpts,
}

impl RunArgs {
    /// The output format, `--json` included.
    pub fn output(&self) -> Output {
        if self.json { Output::Json } else { self.output }
    }
}

/// How `apply` and `plan` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Ansible-style text (with a live progress display on a terminal).
    Text,
    /// One JSON object per line (see the README for the fields).
    Json,
}

/// Options of `hearth inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Inventory: a file, a directory, or a comma-separated host list (default: inventory/).
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<String>,
    /// Print every group and host with their variables as JSON.
    #[arg(long, conflicts_with_all = ["graph", "host"])]
    pub list: bool,
    /// Print the group tree (optionally from one group).
    #[arg(long, num_args = 0..=1, default_missing_value = "all", value_name = "GROUP")]
    pub graph: Option<String>,
    /// Print one host's merged variables as JSON.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Vault secrets for vaulted inventory files and values.
    #[command(flatten)]
    pub vault: VaultOpts,
}

/// Where vault secrets come from, as ansible-playbook takes them.
#[derive(Debug, Clone, Default, Args)]
pub struct VaultOpts {
    /// A file holding the vault password, or an executable script printing it (repeatable;
    /// $ANSIBLE_VAULT_PASSWORD_FILE is added when set).
    #[arg(long = "vault-password-file", visible_alias = "vault-pass-file", value_name = "FILE")]
    pub vault_password_file: Vec<String>,
    /// Ask for the vault password on the terminal.
    #[arg(short = 'J', long = "ask-vault-pass", visible_alias = "ask-vault-password")]
    pub ask_vault_pass: bool,
    /// A labelled vault secret: a file, an executable script or `prompt` (repeatable).
    #[arg(long = "vault-id", value_name = "[LABEL@]SOURCE")]
    pub vault_id: Vec<String>,
}

impl VaultOpts {
    /// The secret sources in Ansible's order: `--vault-id`s, password files, the prompt, then
    /// `ANSIBLE_VAULT_PASSWORD_FILE` (which Ansible adds to whatever the command line gives).
    pub fn specs(&self) -> Vec<SourceSpec> {
        let mut specs: Vec<SourceSpec> = self.vault_id.iter().map(|v| SourceSpec::parse(v)).collect();
        let file = |f: &String| SourceSpec { label: "default".into(), source: f.clone() };
        specs.extend(self.vault_password_file.iter().map(file));
        if self.ask_vault_pass {
            specs.push(SourceSpec { label: "default".into(), source: "prompt".into() });
        }
        if let Some(f) = std::env::var("ANSIBLE_VAULT_PASSWORD_FILE").ok().filter(|f| !f.is_empty()) {
            specs.push(file(&f));
        }
        specs
    }
}

/// Options of `hearth vault`.
#[derive(Debug, Args)]
pub struct VaultArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: VaultCommand,
}

/// `hearth vault` subcommands (ansible-vault's names).
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Encrypt files in place (or to --output); no file or `-` reads stdin.
    Encrypt(VaultFiles),
    /// Decrypt files in place (or to --output, `-` for stdout).
    Decrypt(VaultFiles),
    /// Print the decrypted content of files.
    View(VaultFiles),
    /// Print strings encrypted as `!vault |` YAML values (stdin when no string is given).
    #[command(name = "encrypt_string", visible_alias = "encrypt-string")]
    EncryptString(VaultStrings),
    /// Re-encrypt vaulted files in place with a new secret.
    Rekey(VaultRekey),
}

/// The files and secrets of `encrypt`, `decrypt` and `view`.
#[derive(Debug, Args)]
pub struct VaultFiles {
    /// The files (`-` or none: standard input).
    pub files: Vec<PathBuf>,
    /// Where the result goes and the secrets.
    #[command(flatten)]
    pub write: VaultWrite,
}

/// Where `encrypt`, `decrypt`, `view` and `encrypt_string` write, and their secrets.
#[derive(Debug, Args)]
pub struct VaultWrite {
    /// Write the result here (`-`: standard output) instead of in place, or for
    /// `encrypt_string` instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The vault id to encrypt with, when several secrets are given.
    #[arg(long, value_name = "LABEL")]
    pub encrypt_vault_id: Option<String>,
    /// The secrets.
    #[command(flatten)]
    pub vault: VaultOpts,
}

/// The files and the old and new secrets of `rekey`.
#[derive(Debug, Args)]
pub struct VaultRekey {
    /// The vaulted files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The new password's file or script (default: prompt for it).
    #[arg(long, value_name = "FILE", conflicts_with = "new_vault_id")]
    pub new_vault_password_file: Option<String>,
    /// The new secret with its label: `[LABEL@]SOURCE`, like `--vault-id`.
    #[arg(long, value_name = "[LABEL@]SOURCE")]
    pub new_vault_id: Option<String>,
    /// The current secrets.
    #[command(flatten)]
    pub vault: VaultOpts,
}

/// The strings and secrets of `encrypt_string`.
#[derive(Debug, Args)]
pub struct VaultStrings {
    /// The plaintext values.
    pub strings: Vec<String>,
    /// The variable name of each string, in order (repeatable).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// The variable name of the value read from stdin.
    #[arg(long, value_name = "NAME")]
    pub stdin_name: Option<String>,
    /// Ask for the value to encrypt on the terminal, without echo.
    #[arg(short = 'p', long = "prompt")]
    pub prompt: bool,
    /// Where the result goes and the secrets.
    #[command(flatten)]
    pub write: VaultWrite,
}

/// Options of `hearth lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// Which lab (several can run side by side).
    #[arg(long, global = true, default_value = "default")]
    pub name: String,
    /// What to do with it.
    #[command(subcommand)]
    pub command: LabCommand,
}

/// `hearth lab` subcommands.
#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Start N hosts (default 1), or restart the stopped hosts of a running lab.
    Up {
        /// How many hosts.
        count: Option<usize>,
        /// Remove the lab when this process exits (used by the tests).
        #[arg(long, value_name = "PID")]
        owner_pid: Option<u32>,
    },
    /// Remove the lab: processes, mounts, namespaces, network, files.
    Down,
    /// List the hosts with their address and whether sshd answers.
    Status {
        /// Print JSON (lab files and hosts) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print an Ansible inventory for the lab's hosts (YAML).
    Inventory,
    /// Print the path of the kubeconfig of the lab's Kubernetes API double.
    Kubeconfig,
    /// Bootstrap the whole homelab stack on a lab of 3 hosts with the shipped playbooks, twice
    /// (the second run changes nothing), then remove the lab. Needs root; the first run needs
    /// the Debian mirror once to fetch docker.io (cached in /var/cache/hearth/lab-mirror).
    Demo {
        /// Leave the lab (and its demo project) running afterwards.
        #[arg(long)]
        keep: bool,
    },
    /// Internal: serve the lab's Kubernetes API double until killed.
    #[command(hide = true)]
    ServeApi,
    /// Internal: build a host's root inside its namespaces and exec its sshd.
    #[command(hide = true)]
    Boot {
        /// Host name (lab1...).
        #[arg(long)]
        host: String,
    },
    /// Internal: tear the lab down when the owner process exits.
    #[command(hide = true)]
    Watch {
        /// The owner's PID.
        #[arg(long)]
        owner_pid: u32,
        /// The owner's start time (guards against PID reuse; 0 = unknown).
        #[arg(long, default_value_t = 0)]
        owner_start: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_sources_in_ansible_order() {
        let cli = Cli::parse_from([
            "hearth",
            "apply",
            "--vault-password-file",
            "a.txt",
            "-J",
            "--vault-id",
            "dev@b.sh",
        ]);
        let Command::Apply(args) = cli.command else { panic!("not apply") };
        // Only the command line's: $ANSIBLE_VAULT_PASSWORD_FILE, when set, comes after them.
        let got: Vec<(String, String)> =
            args.vault.specs().into_iter().take(3).map(|s| (s.label, s.source)).collect();
        let want = [("dev", "b.sh"), ("default", "a.txt"), ("default", "prompt")];
        assert_eq!(got, want.map(|(l, s)| (l.to_string(), s.to_string())));
    }
}
