//! Task keywords: the ones hearth implements, the Ansible ones it rejects by name, and the
//! inheritable ones a play, role entry, block or `apply:` passes down ([`Flags`]). Lists and
//! one struct; reading keyword values from YAML is `fields`, a whole task `task_parse`.

use hearth_formats::value::Value;

/// Keywords inherited from plays, role entries and blocks: booleans (or templates giving
/// one), and `throttle`.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `throttle:` at most this many hosts run the task at once (0: no limit).
    pub throttle: Option<Value>,
    /// `any_errors_fatal:` a failure on one host ends the play for every host.
    pub any_errors_fatal: Option<Value>,
    /// `ignore_unreachable:` an unreachable host is counted ok/ignored and goes on.
    pub ignore_unreachable: Option<Value>,
    /// `ignore_errors:`.
    pub ignore_errors: Option<Value>,
    /// `no_log:`.
    pub no_log: Option<Value>,
    /// `run_once:`.
    pub run_once: Option<Value>,
    /// `check_mode:`.
    pub check_mode: Option<Value>,
    /// `diff:`.
    pub diff: Option<Value>,
    /// `become:`.
    pub become_: Option<Value>,
    /// `become_user:`.
    pub become_user: Option<Value>,
    /// `become_method:`.
    pub become_method: Option<Value>,
    /// `remote_user:` the login user where no `ansible_user` variable names one.
    pub remote_user: Option<Value>,
    /// `port:` the ssh port where no `ansible_port` variable names one.
    pub port: Option<Value>,
    /// `connection:` the connection type where no `ansible_connection` variable names one.
    pub connection: Option<Value>,
    /// `timeout:` seconds the task may run on a host, per loop item (0: no limit).
    pub timeout: Option<Value>,
}

impl Flags {
    /// The field a task-level keyword sets (`become`, `no_log`, `throttle`, ...), so every
    /// place that reads keywords (tasks, `roles:` entries, `apply:`) reads the same set.
    pub fn slot(&mut self, keyword: &str) -> Option<&mut Option<Value>> {
        Some(match keyword {
            "ignore_errors" => &mut self.ignore_errors,
            "no_log" => &mut self.no_log,
            "run_once" => &mut self.run_once,
            "throttle" => &mut self.throttle,
            "any_errors_fatal" => &mut self.any_errors_fatal,
            "ignore_unreachable" => &mut self.ignore_unreachable,
            "check_mode" => &mut self.check_mode,
            "diff" => &mut self.diff,
            "become" => &mut self.become_,
            "become_user" => &mut self.become_user,
            "become_method" => &mut self.become_method,
            "remote_user" => &mut self.remote_user,
            "port" => &mut self.port,
            "connection" => &mut self.connection,
            "timeout" => &mut self.timeout,
            _ => return None,
        })
    }
}

/// Loop keywords hearth accepts; `execute::loops::items` makes each one's items.
pub const LOOP_KEYWORDS: &[&str] = &[
    "loop",
    "with_items",
    "with_list",
    "with_dict",
    "with_fileglob",
    "with_first_found",
    "with_together",
    "with_nested",
    "with_cartesian",
    "with_subelements",
    "with_sequence",
    "with_indexed_items",
];

/// Ansible task keywords hearth does not implement (rejected by name, never ignored).
pub(super) const UNSUPPORTED: &[&str] = &["become_exe", "become_flags", "debugger"];
