//! What every module is made of and hands back: the context it plans in ([`Ctx`]), the
//! [`Module`] trait, its [`Plan`] (an outcome, diffs, result fields) and [`ModuleError`].

use std::path::PathBuf;

use hearth_formats::value::{Map, Value};
use hearth_template::{Templar, TemplateError};
use hearth_transport::{Transport, TransportError};

/// Everything a module may use while planning and acting on one host.
pub struct Ctx<'a> {
    /// The connection to the host.
    pub host: &'a dyn Transport,
    /// The task's variables as a template context (for `template` and friends).
    pub vars: &'a minijinja::Value,
    /// The template engine.
    pub templar: &'a Templar,
    /// Directories searched, in order, for a relative `src` (role `files/`/`templates/`, playbook dir).
    pub search: &'a SearchPath,
    /// Whether the user asked for diffs (modules may skip expensive diff text otherwise).
    pub diff: bool,
}

/// Where relative `src` paths and templates are looked up on the control node.
#[derive(Debug, Clone, Default)]
pub struct SearchPath {
    /// Candidate base directories, most specific first.
    pub dirs: Vec<PathBuf>,
}

impl SearchPath {
    /// Finds `name` under `subdir` (e.g. `files`, `templates`) or directly in each base dir,
    /// like Ansible's `find_file_in_search_path`; absolute paths are returned unchanged.
    pub fn find(&self, subdir: &str, name: &str) -> Option<PathBuf> {
        let p = std::path::Path::new(name);
        if p.is_absolute() {
            return p.exists().then(|| p.to_path_buf());
        }
        self.dirs.iter().flat_map(|d| [d.join(subdir).join(name), d.join(name)]).find(|c| c.exists())
    }
}

/// A before/after text pair the reporter turns into a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Header of the old side (usually the path, or "before").
    pub before_header: String,
    /// Header of the new side.
    pub after_header: String,
    /// Old text.
    pub before: String,
    /// New text.
    pub after: String,
}

/// The change step of a plan, run by the engine only outside check mode. It returns extra
/// result fields (e.g. `rc`, `stdout`, `backup_file`).
pub type Action = Box<dyn FnOnce(&Ctx) -> Result<Map, ModuleError>>;

/// What a module found and what it would do.
pub enum Outcome {
    /// Already as desired; the reason is shown with `-v`.
    Ok(String),
    /// Something must change; the summary says what.
    Change { summary: String, action: Action },
    /// The module cannot predict the effect (e.g. `command`): in check mode the task is
    /// skipped; otherwise the action runs and the task reports changed.
    Run(Action),
}

/// The result of planning: the outcome plus diffs and result fields known before acting.
pub struct Plan {
    /// Whether and how to act.
    pub outcome: Outcome,
    /// Diffs to show with `--diff`.
    pub diffs: Vec<Diff>,
    /// Result fields for `register` (e.g. `stat`, `msg`, `ansible_facts`).
    pub result: Map,
}

impl Plan {
    /// A plan with nothing to do.
    pub fn ok(reason: impl Into<String>) -> Plan {
        Plan { outcome: Outcome::Ok(reason.into()), diffs: Vec::new(), result: Map::new() }
    }

    /// A plan that changes something.
    pub fn change(summary: impl Into<String>, action: Action) -> Plan {
        Plan {
            outcome: Outcome::Change { summary: summary.into(), action },
            diffs: Vec::new(),
            result: Map::new(),
        }
    }

    /// Adds a diff.
    pub fn with_diff(mut self, diff: Diff) -> Plan {
        self.diffs.push(diff);
        self
    }

    /// Adds a result field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Plan {
        self.result.insert(key.to_string(), value.into());
        self
    }
}

/// Why a module failed on a host.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The task failed; `result` carries fields such as `rc` or `stderr` for `register`.
    #[error("{msg}")]
    Failed { msg: String, result: Map },
    /// The host could not be reached or a file operation failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A template (e.g. the `template` module's source) failed to render.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

impl ModuleError {
    /// A failure with only a message.
    pub fn msg(msg: impl Into<String>) -> ModuleError {
        ModuleError::Failed { msg: msg.into(), result: Map::new() }
    }
}

/// One Ansible module as hearth implements it.
pub trait Module {
    /// Reads current state, compares it with the desired state and says what would change.
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError>;
}
