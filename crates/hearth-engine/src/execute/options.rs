//! The run's options as the command line gave them (check, diff, forks, limits, tags,
//! connection settings, time limits). Plain data: nothing here reads the environment or files.

use hearth_formats::value::Map;

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--check`: plan only, change nothing.
    pub check: bool,
    /// `--diff`: show diffs.
    pub diff: bool,
    /// `--forks`: how many hosts run at once.
    pub forks: usize,
    /// `--limit` pattern.
    pub limit: Option<String>,
    /// `--tags`.
    pub tags: Vec<String>,
    /// `--skip-tags`.
    pub skip_tags: Vec<String>,
    /// `-e` variables.
    pub extra_vars: Map,
    /// Number of `-v`.
    pub verbosity: u8,
    /// `-c`: connection for hosts that don't set `ansible_connection`.
    pub connection: Option<String>,
    /// `--ask-become-pass`: the password typed at the prompt.
    pub become_password: Option<String>,
    /// `--ssh-accept-new`: accept unknown host keys (never changed ones).
    pub ssh_accept_new: bool,
    /// `--connect-timeout` in seconds.
    pub connect_timeout: u64,
    /// `--ssh-persist` in seconds (0: close masters at the end of the run).
    pub ssh_persist: usize,
    /// `--ssh-channel-per-command`: no kept shell on ssh hosts.
    pub ssh_channel_per_command: bool,
    /// `--task-timeout` (else ANSIBLE_TASK_TIMEOUT / ansible.cfg) seconds for tasks without
    /// `timeout:`; 0: no limit.
    pub task_timeout: u64,
}
