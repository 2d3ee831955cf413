//! Where and how to reach one host over SSH ([`SshTarget`], read from inventory variables) and
//! the run-wide settings those variables override ([`SshDefaults`]). Connecting is in `ssh`.

use std::time::Duration;

use hearth_formats::value::Map;

use crate::error::TransportError;
use crate::ssh_args::{ArgsError, config_lines};

/// Where and how to connect to one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    /// Address or name to connect to (`ansible_host`, else the inventory name).
    pub host: String,
    /// `ansible_port`; `None` leaves it to ssh_config (default 22).
    pub port: Option<u16>,
    /// `ansible_user`; `None` leaves it to ssh_config (default: the local user).
    pub user: Option<String>,
    /// `ansible_ssh_private_key_file`; when set, only this key is offered.
    pub key_file: Option<String>,
    /// `ansible_ssh_common_args`, as written in the inventory.
    pub common_args: String,
    /// `ansible_ssh_extra_args`, as written in the inventory.
    pub extra_args: String,
    /// How long to wait for the TCP connection and handshake.
    pub connect_timeout: Duration,
    /// Accept (and record) unknown host keys instead of refusing them (`--ssh-accept-new`).
    pub accept_new: bool,
    /// Keep the master for the next run, ending it after this many idle seconds
    /// (`--ssh-persist`); `None` closes it at the end of the run.
    pub persist: Option<std::num::NonZeroUsize>,
    /// Run every operation on one shell kept open on the host (see `shell`); `false` opens a
    /// channel per operation (`--ssh-channel-per-command`).
    pub kept_shell: bool,
}

/// Run-wide settings that inventory variables may override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshDefaults {
    /// Login user when the inventory names none (`-u`).
    pub user: Option<String>,
    /// Private key when the inventory names none (`--private-key`).
    pub key_file: Option<String>,
    /// Connect timeout (`--timeout`, Ansible's default 10 s).
    pub connect_timeout: Duration,
    /// `--ssh-accept-new`.
    pub accept_new: bool,
    /// `--ssh-persist` seconds (`None`: close masters at the end of the run).
    pub persist: Option<std::num::NonZeroUsize>,
    /// Keep one shell per host and login open for the run (the default).
    pub kept_shell: bool,
}

impl Default for SshDefaults {
    fn default() -> SshDefaults {
        SshDefaults {
            user: None,
            key_file: None,
            connect_timeout: Duration::from_secs(10),
            accept_new: false,
            persist: None,
            kept_shell: true,
        }
    }
}

impl SshTarget {
    /// Reads the `ansible_*` connection variables of host `inventory_name`. Fails on a port that
    /// is not a number and on ssh arguments hearth cannot pass (see `ssh_args`).
    pub fn from_vars(
        inventory_name: &str,
        vars: &Map,
        defaults: &SshDefaults,
    ) -> Result<SshTarget, TransportError> {
        let text = |keys: &[&str]| {
            keys.iter().find_map(|k| match vars.get(*k)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let port = match text(&["ansible_ssh_port", "ansible_port"]) {
            None => None,
            Some(p) => Some(p.trim().parse::<u16>().map_err(|_| {
                TransportError::Unreachable(format!(
                    "{inventory_name}: ansible_port '{p}' is not a port number"
                ))
            })?),
        };
        let target = SshTarget {
            host: text(&["ansible_ssh_host", "ansible_host"]).unwrap_or_else(|| inventory_name.to_string()),
            port,
            user: text(&["ansible_ssh_user", "ansible_user"]).or_else(|| defaults.user.clone()),
            key_file: text(&["ansible_ssh_private_key_file", "ansible_private_key_file"])
                .or_else(|| defaults.key_file.clone()),
            common_args: text(&["ansible_ssh_common_args"]).unwrap_or_default(),
            extra_args: text(&["ansible_ssh_extra_args"]).unwrap_or_default(),
            connect_timeout: defaults.connect_timeout,
            accept_new: defaults.accept_new,
            persist: defaults.persist,
            kept_shell: defaults.kept_shell,
        };
        target.config_lines()?;
        Ok(target)
    }

    /// The ssh_config lines for the inventory's ssh arguments.
    pub(crate) fn config_lines(&self) -> Result<Vec<String>, TransportError> {
        let bad = |e: ArgsError| TransportError::Unreachable(format!("{}: {e}", self.host));
        let mut lines = config_lines("ansible_ssh_common_args", &self.common_args).map_err(bad)?;
        lines.extend(config_lines("ansible_ssh_extra_args", &self.extra_args).map_err(bad)?);
        Ok(lines)
    }
}
