//! Per-host state and what every host shares while a task runs: the connection, variables
//! gathered so far, notified handlers, failure flags and recap counters. The run's options are
//! `options::Options`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use super::options::Options;
use super::vars::{HostLayers, HostVars, PlayLayers};
use crate::report::Stats;
use hearth_template::Templar;
use hearth_transport::{Local, Transport};

/// Opens (or finds) the connection of a host a task delegates to (or of the task's own host
/// when its keywords ask for another login), logged in as the task's keywords say, or says
/// why it cannot.
pub type Delegate<'a> = dyn Fn(&str, &super::login::Keywords) -> super::connect::Conn + Sync + 'a;

/// Read-only data shared by every host while one task runs.
pub struct Env<'a> {
    /// The template engine.
    pub templar: &'a Templar,
    /// Play-wide variable layers.
    pub play: &'a PlayLayers,
    /// Snapshot of every host's variables for `hostvars`.
    pub hostvars: Arc<HostVars>,
    /// Command-line options.
    pub opts: &'a Options,
    /// The playbook's directory (`playbook_dir`, relative `src`).
    pub playbook_dir: &'a Path,
    /// The control node, for `delegate_to: localhost`.
    pub local: &'a Local,
    /// The connection of a host a task delegates to (`delegate_to`), by inventory name or
    /// address, or of a task's own host for another login (`remote_user`, `port`, ...).
    pub delegate: &'a Delegate<'a>,
    /// Reports an event while the task still runs (a retry), from any worker thread.
    pub live: &'a (dyn Fn(crate::report::Event) + Sync),
}

/// One host during a play.
pub struct HostState {
    /// Inventory name.
    pub name: String,
    /// The connection, or why there is none (the host is then unreachable).
    pub transport: Result<Arc<dyn Transport>, String>,
    /// Inventory variables and facts.
    pub layers: HostLayers,
    /// Indices of handlers notified and not yet run.
    pub notified: BTreeSet<usize>,
    /// A task failed (and was not rescued or ignored).
    pub failed: bool,
    /// The host could not be reached.
    pub unreachable: bool,
    /// `meta: end_host` or `end_play` stopped the host for this play.
    pub ended: bool,
    /// Recap counters.
    pub stats: Stats,
    /// The last failed task's name and result, for `ansible_failed_task`/`_result` in rescue.
    pub last_failure: Option<(String, hearth_formats::value::Map)>,
}

impl HostState {
    /// Still taking tasks in this play.
    pub fn active(&self) -> bool {
        !self.failed && !self.unreachable && !self.ended
    }
}
