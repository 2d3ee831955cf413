//! The vocabulary between the engine and the reporters: the [`Event`]s a run emits, the
//! per-host results and recap counters inside them, and the [`Reporter`] trait that receives
//! them. It does not format or print anything; `text`, `json` and `progress` do.

use hearth_formats::value::Map;
use hearth_modules::Diff;

/// How one task ended on one host (or for one loop item).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing to change.
    Ok,
    /// Something changed (or would, in check mode).
    Changed,
    /// `when` was false, or check mode could not run the module.
    Skipped,
    /// The task failed.
    Failed,
    /// The host could not be reached.
    Unreachable,
}

/// A per-host outcome of a task (or one loop item of it).
#[derive(Debug, Clone)]
pub struct HostResult {
    /// Inventory name of the host.
    pub host: String,
    /// Where the task actually ran, when delegated.
    pub delegated_to: Option<String>,
    /// The outcome.
    pub status: Status,
    /// Label of the loop item, for per-item lines.
    pub item: Option<String>,
    /// The (already redacted) result fields.
    pub result: Map,
    /// Diffs to show with `--diff` (under `no_log`, with the task's secrets masked).
    pub diffs: Vec<Diff>,
    /// Why the task was ok or skipped (shown with `-v`).
    pub reason: Option<String>,
    /// The failure was ignored (`ignore_errors`).
    pub ignored: bool,
    /// Always show the result body (debug).
    pub verbose_always: bool,
}

impl HostResult {
    /// The same result, shown as run on `to` (`[web1 -> db1]`) when it is given.
    pub fn delegated(mut self, to: Option<String>) -> HostResult {
        if to.is_some() {
            self.delegated_to = to;
        }
        self
    }
}

/// Per-host counters for the PLAY RECAP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tasks that were ok or changed.
    pub ok: u32,
    /// Tasks that changed something.
    pub changed: u32,
    /// 1 when the host became unreachable.
    pub unreachable: u32,
    /// Tasks that failed (not ignored, not rescued).
    pub failed: u32,
    /// Tasks skipped.
    pub skipped: u32,
    /// Blocks whose failure was rescued.
    pub rescued: u32,
    /// Failures ignored by `ignore_errors`.
    pub ignored: u32,
}

/// Everything the engine tells the outside world.
#[derive(Debug, Clone)]
pub enum Event {
    /// A play starts.
    PlayStart { name: String },
    /// The play's pattern matched no host.
    NoHostsMatched,
    /// A task (or handler) starts on `hosts` hosts (the total for progress displays).
    TaskStart { name: String, handler: bool, hosts: usize },
    /// A host finished the current task (sent as it happens, before the ordered results).
    HostDone { host: String, status: Status },
    /// One host's result for the current task.
    Host(HostResult),
    /// A task with `until` did not meet its condition and runs again on `host`.
    Retry {
        /// The host.
        host: String,
        /// The task's name (without the role prefix, as Ansible prints it).
        task: String,
        /// Attempts left.
        left: u32,
        /// The attempt's result (censored under `no_log`).
        result: Map,
    },
    /// `include_tasks` loaded a file for these hosts.
    Included { file: String, hosts: String, item: Option<String> },
    /// A warning for the user.
    Warning(String),
    /// The end of the run.
    Recap(Vec<(String, Stats)>),
}

/// Receives events, in order, on one thread.
pub trait Reporter {
    /// Handles one event.
    fn event(&mut self, ev: &Event);
}
