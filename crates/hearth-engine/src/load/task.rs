//! Tasks as typed values: a task (or block, include, meta) with everything inherited from its
//! parents, its kinds, loops, retries and `include_role` payload, and the name its banner shows.
//! Plain data: reading tasks from YAML is `task_parse`, keyword inheritance `inherit`.

use std::path::PathBuf;
use std::sync::Arc;

use super::keywords::Flags;
use super::role::{Role, RoleFiles};
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::Pos;
use hearth_modules::{self as modules, Spec};

/// One task (or block, include, meta) as written, with everything inherited from its parents.
#[derive(Debug, Clone, Default)]
pub struct Task {
    /// Where the task starts.
    pub pos: Pos,
    /// `name:` (untemplated).
    pub name: Option<String>,
    /// What the task does.
    pub kind: TaskKind,
    /// `when:` conditions, ANDed (parents' first).
    pub when: Vec<String>,
    /// `loop:` or a `with_<lookup>:` loop.
    pub looping: Option<Loop>,
    /// `loop_control:`.
    pub loop_control: LoopControl,
    /// `register:`.
    pub register: Option<String>,
    /// Handlers or topics to notify when the task changes something.
    pub notify: Vec<String>,
    /// Topics a handler also answers to.
    pub listen: Vec<String>,
    /// `changed_when:` conditions (a list is ANDed, as in Ansible).
    pub changed_when: Option<Vec<String>>,
    /// `failed_when:` conditions (a list is ANDed, as in Ansible).
    pub failed_when: Option<Vec<String>>,
    /// Boolean keywords that may be templated.
    pub flags: Flags,
    /// Effective tags (own plus inherited).
    pub tags: Vec<String>,
    /// `delegate_facts:` facts the task gathers belong to the delegated host.
    pub delegate_facts: Option<Value>,
    /// `environment:` mappings (or templates giving one), outermost first; later ones win.
    pub environment: Vec<Value>,
    /// `module_defaults:` arguments by module name (pushed into module tasks at load).
    pub module_defaults: Map,
    /// `until:`/`retries:`/`delay:` (not inherited, as in Ansible).
    pub retry: Option<Retry>,
    /// `async:` seconds the task may run (may be templated; not inherited).
    pub async_: Option<Value>,
    /// `poll:` seconds between checks of an async task; 0 starts it and moves on.
    pub poll: Option<Value>,
    /// `delegate_to:` (only `localhost` is supported so far).
    pub delegate_to: Option<String>,
    /// Task-level (and inherited block) variables.
    pub vars: Map,
    /// Role parameters (`- role: x` entry keys): above set_fact/register, as in Ansible.
    pub params: Map,
    /// The role this task comes from.
    pub role: Option<Arc<Role>>,
    /// The module's name as written (`command`, `ansible.builtin.command`): Ansible quotes it
    /// so in some messages.
    pub action: String,
}

/// The different kinds of task entries.
#[derive(Debug, Clone)]
pub enum TaskKind {
    /// A module call with its (untemplated) arguments.
    Module { spec: &'static Spec, args: Value },
    /// `block:` with `rescue:` and `always:`.
    Block { block: Vec<Task>, rescue: Vec<Task>, always: Vec<Task> },
    /// `include_tasks:` (file may be templated; loaded per host at run time).
    Include { file: String, base: PathBuf },
    /// `include_role:` (run per host at run time).
    IncludeRole(Box<RoleInclude>),
    /// `meta:` action.
    Meta(Meta),
}

impl Default for TaskKind {
    fn default() -> Self {
        TaskKind::Meta(Meta::Noop)
    }
}

/// The supported `meta:` actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    /// Run notified handlers now.
    FlushHandlers,
    /// Do nothing.
    Noop,
    /// Stop the play for every host.
    EndPlay,
    /// Stop the play for this host.
    EndHost,
    /// Close the host's connection; the next task reconnects.
    ResetConnection,
}

/// `until`, `retries` and `delay`: run the task again until the condition holds.
#[derive(Debug, Clone, Default)]
pub struct Retry {
    /// `until:` conditions (ANDed); empty means "until the task does not fail", as in Ansible.
    pub until: Vec<String>,
    /// `retries:` (may be templated); Ansible's default is 3 when only `until` is set.
    pub retries: Option<Value>,
    /// `delay:` seconds between attempts (may be templated; default 5).
    pub delay: Option<Value>,
}

/// A loop source.
#[derive(Debug, Clone)]
pub struct Loop {
    /// The list (or a template producing one).
    pub items: Value,
    /// Keyword used (`loop`, `with_items`, `with_dict`...): it decides how items are made.
    pub keyword: &'static str,
}

/// `loop_control:` settings.
#[derive(Debug, Clone)]
pub struct LoopControl {
    /// Name of the loop variable (default `item`).
    pub loop_var: String,
    /// Name of a variable holding the index.
    pub index_var: Option<String>,
    /// Template for the label shown per item.
    pub label: Option<String>,
}

impl Default for LoopControl {
    fn default() -> Self {
        LoopControl { loop_var: "item".into(), index_var: None, label: None }
    }
}

/// An `include_role` task, run by the engine.
#[derive(Debug, Clone)]
pub struct RoleInclude {
    /// `name:` (may be templated).
    pub name: String,
    /// `tasks_from` and friends.
    pub files: RoleFiles,
    /// The role's tasks (dependencies' first, each with its role), when read at load time.
    pub tasks: Option<Vec<Task>>,
    /// `apply:` keywords for the included tasks.
    pub apply: Box<Task>,
    /// `public:` the role's defaults and vars stay visible after the include.
    pub public: bool,
    /// Where the include is (for errors of a role read at run time).
    pub pos: Pos,
}

impl Task {
    /// The name shown in the TASK banner: `name:` or the module name, prefixed by the role.
    pub fn display_name(&self) -> String {
        let base = match (&self.name, &self.kind) {
            (Some(n), _) => n.clone(),
            (None, TaskKind::Module { spec, args }) => {
                modules::not_implemented::module_name(spec, args).unwrap_or_else(|| spec.name.to_string())
            }
            (None, TaskKind::Include { .. }) => "include_tasks".to_string(),
            (None, TaskKind::IncludeRole(ri)) => format!("include_role : {}", ri.name),
            (None, TaskKind::Meta(_)) => "meta".to_string(),
            (None, TaskKind::Block { .. }) => "block".to_string(),
        };
        match &self.role {
            // Ansible names an include_role task without the role it sits in.
            Some(_) if matches!(self.kind, TaskKind::IncludeRole(_)) => base,
            Some(r) => format!("{} : {base}", r.name),
            None => base,
        }
    }
}
