//! Tasks, blocks, handlers and task includes: from YAML nodes to typed [`Task`]s, with Ansible's
//! keyword checks (exactly one module, known keywords, unsupported ones named). Static parts of
//! blocks and imports (conditions, tags, vars, become...) are pushed down into their tasks here,
//! so the engine only walks block/rescue/always. Templates are not rendered here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::LoadError;
use super::role::Role;
use hearth_formats::kv;
use hearth_formats::suggest::did_you_mean;
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::{self, Node, NodeKind, Pos};
use hearth_modules::{self as modules, FreeForm, Spec};

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
    IncludeRole(Box<super::role_include::RoleInclude>),
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

/// Task keywords hearth implements.
const KEYWORDS: &[&str] = &[
    "name",
    "args",
    "when",
    "loop",
    "loop_control",
    "with_items",
    "with_list",
    "register",
    "notify",
    "listen",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "tags",
    "no_log",
    "become",
    "become_user",
    "become_method",
    "remote_user",
    "port",
    "connection",
    "delegate_to",
    "run_once",
    "check_mode",
    "diff",
    "vars",
    "block",
    "rescue",
    "always",
    "until",
    "retries",
    "delay",
    "environment",
    "delegate_facts",
    "action",
    "local_action",
    "throttle",
    "any_errors_fatal",
    "async",
    "poll",
    "module_defaults",
    "collections",
    "ignore_unreachable",
    "timeout",
];

/// Ansible task keywords hearth does not implement (rejected by name, never ignored).
const UNSUPPORTED: &[&str] = &["become_exe", "become_flags", "debugger"];

/// Where task files are being read from, for relative includes and role context.
#[derive(Debug, Clone)]
pub struct Source {
    /// Directory relative `import_tasks`/`include_tasks` paths are resolved against.
    pub base: PathBuf,
    /// The role whose tasks these are.
    pub role: Option<Arc<Role>>,
    /// Import depth, to stop import cycles.
    pub depth: usize,
    /// The playbook's directory (roles are searched from it).
    pub playbook_dir: PathBuf,
    /// Roles that `import_role`/`include_role` loaded, for the play's handlers and variables.
    pub roles: RoleSink,
    /// The `collections:` searched for bare module names (the task's, block's, role's or
    /// play's).
    pub collections: Arc<[String]>,
}

/// Roles loaded while reading a play's tasks, shared by every [`Source`] of the play.
pub type RoleSink = Arc<std::sync::Mutex<Vec<SunkRole>>>;

/// A role an `import_role` or `include_role` loaded.
#[derive(Debug)]
pub struct SunkRole {
    /// The role; its handlers join the play's.
    pub role: super::role::LoadedRole,
    /// Its defaults and vars are the play's from the start (`import_role`).
    pub public: bool,
}

impl Source {
    /// The top of a play: tasks in the playbook file itself.
    pub fn play(playbook_dir: &Path) -> Source {
        Source {
            base: playbook_dir.to_path_buf(),
            role: None,
            depth: 0,
            playbook_dir: playbook_dir.to_path_buf(),
            roles: RoleSink::default(),
            collections: Arc::new([]),
        }
    }

    /// The same place with another `collections:` search list.
    pub fn with_collections(&self, collections: Vec<String>) -> Source {
        Source { collections: collections.into(), ..self.clone() }
    }

    /// Reading `file` (one level deeper), for `role` or no role. A role's tasks search its own
    /// `collections` (from its meta), never the play's, as in Ansible.
    pub fn file(&self, file: &Path, role: Option<Arc<Role>>) -> Source {
        let collections = match &role {
            Some(r) => r.collections.clone(),
            None => self.collections.clone(),
        };
        Source {
            base: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            role,
            depth: self.depth + 1,
            playbook_dir: self.playbook_dir.clone(),
            roles: self.roles.clone(),
            collections,
        }
    }

    /// Takes the roles loaded so far.
    pub fn take_roles(&self) -> Vec<SunkRole> {
        std::mem::take(&mut *self.roles.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// Parses a list of tasks (a `tasks:` value or a task file's top level).
pub fn parse_tasks(node: &Node, src: &Source) -> Result<Vec<Task>, LoadError> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => {
            let mut out = Vec::new();
            for item in items {
                out.push(parse_task(item, src)?);
            }
            Ok(out)
        }
        _ => Err(LoadError::at(&node.pos, format!("expected a list of tasks, got a {}", node.type_name()))),
    }
}

/// Reads a task file (for `import_tasks`, `include_tasks` and roles) below `parent`.
pub fn load_task_file(path: &Path, parent: &Source, role: Option<Arc<Role>>) -> Result<Vec<Task>, LoadError> {
    let node = yaml::parse_file(path)?;
    parse_tasks(&node, &parent.file(path, role))
}

fn parse_task(node: &Node, src: &Source) -> Result<Task, LoadError> {
    let entries = node.as_map().ok_or_else(|| {
        LoadError::at(&node.pos, format!("a task must be a mapping, got a {}", node.type_name()))
    })?;
    // A task's or block's own `collections:` decide its module (wherever the key stands) and
    // those of the tasks inside it.
    let own = entries.iter().find(|(k, _, _)| k == "collections");
    let scoped =
        own.map(|(_, _, v)| super::collections::parse(v).map(|c| src.with_collections(c))).transpose()?;
    let src = scoped.as_ref().unwrap_or(src);
    let mut task = Task { pos: node.pos.clone(), role: src.role.clone(), ..Task::default() };
    let indirect = indirect_action(entries)?;
    let mut action: Option<(&str, &Pos, &Node)> = None;
    let mut args_kw: Option<&Node> = None;
    let mut block_parts: [Option<&Node>; 3] = [None, None, None];
    for (key, kpos, value) in entries {
        if let Some(slot) = task.flags.slot(key) {
            *slot = Some(value.to_value());
            continue;
        }
        match key.as_str() {
            "name" => task.name = Some(scalar_string(value)?),
            "args" => args_kw = Some(value),
            "when" => task.when = conditions(value)?,
            "loop_control" => task.loop_control = loop_control(value)?,
            "register" => task.register = Some(scalar_string(value)?),
            "notify" => task.notify = string_list(value)?,
            "listen" => task.listen = string_list(value)?,
            "changed_when" => task.changed_when = Some(conditions(value)?),
            "failed_when" => task.failed_when = Some(conditions(value)?),
            "tags" => task.tags = tag_list(value)?,
            "delegate_to" => task.delegate_to = Some(scalar_string(value)?),
            "delegate_facts" => task.delegate_facts = Some(value.to_value()),
            "vars" => task.vars = mapping(value, "vars")?,
            "until" => task.retry.get_or_insert_with(Retry::default).until = conditions(value)?,
            "retries" => task.retry.get_or_insert_with(Retry::default).retries = Some(value.to_value()),
            "delay" => task.retry.get_or_insert_with(Retry::default).delay = Some(value.to_value()),
            "environment" => task.environment = vec![value.to_value()],
            "module_defaults" => task.module_defaults = super::module_defaults::parse(value)?,
            // Read above, before the module is resolved.
            "collections" => {}
            "async" => task.async_ = Some(value.to_value()),
            "poll" => task.poll = Some(value.to_value()),
            "block" => block_parts[0] = Some(value),
            "rescue" => block_parts[1] = Some(value),
            "always" => block_parts[2] = Some(value),
            k if UNSUPPORTED.contains(&k) => {
                return Err(LoadError::at(kpos, format!("task keyword '{k}' is not supported by hearth")));
            }
            k if crate::execute::loops::KEYWORDS.contains(&k) => {
                let keyword =
                    crate::execute::loops::KEYWORDS.iter().copied().find(|w| *w == k).unwrap_or("loop");
                task.looping = Some(Loop { items: value.to_value(), keyword });
            }
            k if k.starts_with("with_") => {
                return Err(LoadError::at(
                    kpos,
                    format!(
                        "loop keyword '{k}' is not supported by hearth (supported: {})",
                        crate::execute::loops::KEYWORDS.join(", ")
                    ),
                ));
            }
            k => {
                let (k, kpos, value) = match (&indirect, k) {
                    (Some((module, pos, args, local)), "action" | "local_action") => {
                        if *local {
                            task.delegate_to = Some("localhost".into());
                        }
                        (module.as_str(), pos, args)
                    }
                    _ => (k, kpos, value),
                };
                if let Some((other, _, _)) = action {
                    return Err(LoadError::at(
                        kpos,
                        format!(
                            "conflicting action statements: {other}, {k} (a task takes exactly one module)"
                        ),
                    ));
                }
                action = Some((k, kpos, value));
            }
        }
    }
    check_syntax(&task)?;
    task.kind = match (action, block_parts) {
        (None, [None, None, None]) => {
            return Err(LoadError::at(&node.pos, "no module/action detected in task"));
        }
        (Some((k, kpos, _)), [Some(_), _, _] | [_, Some(_), _] | [_, _, Some(_)]) => {
            return Err(LoadError::at(kpos, format!("'{k}' is not a valid keyword for a block")));
        }
        (None, [block, rescue, always]) => {
            if task.retry.is_some() || task.async_.is_some() || task.poll.is_some() {
                let k = entries
                    .iter()
                    .map(|(k, _, _)| k.as_str())
                    .find(|k| ["until", "retries", "delay", "async", "poll"].contains(k));
                return Err(LoadError::at(
                    &node.pos,
                    format!("'{}' is not a valid keyword for a block", k.unwrap_or("until")),
                ));
            }
            if block.is_none() {
                return Err(LoadError::at(&node.pos, "'rescue' and 'always' need a 'block'"));
            }
            let sub =
                |n: Option<&Node>| n.map(|n| parse_tasks(n, src)).transpose().map(Option::unwrap_or_default);
            TaskKind::Block { block: sub(block)?, rescue: sub(rescue)?, always: sub(always)? }
        }
        (Some((name, kpos, value)), _) => return action_task(task, name, kpos, value, args_kw, src),
    };
    Ok(push_down(task))
}

/// `action:`/`local_action:` (`module args...` or a mapping with `module:`) as the module's
/// name, position and arguments, and whether it runs on the control node.
fn indirect_action(entries: &[(String, Pos, Node)]) -> Result<Option<(String, Pos, Node, bool)>, LoadError> {
    let Some((key, kpos, value)) = entries.iter().find(|(k, _, _)| k == "action" || k == "local_action")
    else {
        return Ok(None);
    };
    let local = key == "local_action";
    let (module, args) = match &value.kind {
        NodeKind::Str(s) => {
            let s = s.trim();
            let (module, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
            let args =
                if rest.trim().is_empty() { NodeKind::Null } else { NodeKind::Str(rest.trim().to_string()) };
            (module.to_string(), args)
        }
        NodeKind::Map(items) => {
            let module = items.iter().find(|(k, _, _)| k == "module").and_then(|(_, _, v)| v.as_str());
            let rest = items.iter().filter(|(k, _, _)| k != "module").cloned().collect();
            (module.unwrap_or_default().to_string(), NodeKind::Map(rest))
        }
        _ => (String::new(), NodeKind::Null),
    };
    if module.is_empty() {
        return Err(LoadError::at(
            kpos,
            format!("{key} needs a module: `{key}: module arg=value` or a mapping with 'module:'"),
        ));
    }
    Ok(Some((module, kpos.clone(), Node { pos: value.pos.clone(), kind: args }, local)))
}

fn action_task(
    mut task: Task,
    name: &str,
    kpos: &Pos,
    value: &Node,
    args_kw: Option<&Node>,
    src: &Source,
) -> Result<Task, LoadError> {
    let bare =
        ["ansible.builtin.", "ansible.legacy."].iter().find_map(|p| name.strip_prefix(p)).unwrap_or(name);
    match bare {
        "import_tasks" | "include_tasks" => {
            let file = match (value.as_str(), value.get("file")) {
                (Some(f), _) => f.to_string(),
                (None, Some(f)) => scalar_string(f)?,
                _ => return Err(LoadError::at(kpos, format!("{bare} needs a file name"))),
            };
            if bare == "include_tasks" {
                task.kind = TaskKind::Include { file, base: src.base.clone() };
                return Ok(task);
            }
            import_tasks(task, &file, kpos, src)
        }
        "import_role" => super::role_include::import_role(task, kpos, value, src),
        "include_role" => super::role_include::include_role(task, kpos, value, src),
        "meta" => {
            let action = value.as_str().unwrap_or_default();
            task.kind = TaskKind::Meta(match action {
                "flush_handlers" => Meta::FlushHandlers,
                "noop" => Meta::Noop,
                "end_play" => Meta::EndPlay,
                "end_host" => Meta::EndHost,
                "reset_connection" => Meta::ResetConnection,
                other => {
                    return Err(LoadError::at(
                        &value.pos,
                        format!(
                            "meta: '{other}' is not supported (supported: flush_handlers, noop, end_play, end_host, reset_connection)"
                        ),
                    ));
                }
            });
            Ok(task)
        }
        _ => {
            task.action = name.to_string();
            let resolved = super::collections::resolve(name, &src.collections, &src.playbook_dir);
            let spec = match resolved.ok_or_else(|| unknown_module(name, kpos))? {
                super::collections::Resolved::Hearth(spec) => spec,
                // Ansible's module, not hearth's: loads, fails only if it runs.
                super::collections::Resolved::Ansible(full) => {
                    let args = serde_json::json!({ "module": full, "written": name });
                    task.kind = TaskKind::Module { spec: &modules::not_implemented::SPEC, args };
                    return Ok(task);
                }
            };
            let mut args = module_args(spec, value, args_kw)?;
            // A task's own module_defaults apply to itself.
            super::module_defaults::apply(spec, &mut args, &task.module_defaults);
            hearth_template::check_value_syntax(&args).map_err(|e| LoadError::at(kpos, e))?;
            // Arguments without templates can be checked now, with the task's position.
            if !has_template(&args) {
                (spec.build)(args.clone()).map_err(|e| LoadError::at(kpos, e.to_string()))?;
            }
            task.kind = TaskKind::Module { spec, args };
            Ok(task)
        }
    }
}

fn import_tasks(mut task: Task, file: &str, kpos: &Pos, src: &Source) -> Result<Task, LoadError> {
    if file.contains("{{") {
        return Err(LoadError::at(kpos, "import_tasks cannot use a templated file name; use include_tasks"));
    }
    if src.depth > 20 {
        return Err(LoadError::at(kpos, "import_tasks nested more than 20 deep (an import cycle?)"));
    }
    let path = resolve_task_file(&src.base, file, src.role.as_deref());
    if !path.is_file() {
        return Err(LoadError::NotFound {
            pos: kpos.clone(),
            what: "task file",
            path: PathBuf::from(file),
            looked: src.base.display().to_string(),
        });
    }
    let tasks = load_task_file(&path, src, src.role.clone())?;
    task.kind = TaskKind::Block { block: tasks, rescue: Vec::new(), always: Vec::new() };
    Ok(push_down(task))
}

/// Resolves a task file name against the including file's directory, then the role's tasks/.
pub fn resolve_task_file(base: &Path, file: &str, role: Option<&Role>) -> PathBuf {
    let direct = base.join(file);
    if direct.is_file() {
        return direct;
    }
    role.map(|r| r.path.join("tasks").join(file)).filter(|p| p.is_file()).unwrap_or(direct)
}

/// Jinja syntax errors and literal loop values that can never work are load errors.
fn check_syntax(task: &Task) -> Result<(), LoadError> {
    let until = task.retry.iter().flat_map(|r| r.until.iter());
    let conds = task
        .when
        .iter()
        .chain(task.changed_when.iter().flatten())
        .chain(task.failed_when.iter().flatten())
        .chain(until);
    for c in conds {
        hearth_template::check_expression_syntax(c).map_err(|e| LoadError::at(&task.pos, e))?;
    }
    if let Some(n) = &task.name {
        hearth_template::check_value_syntax(&Value::String(n.clone()))
            .map_err(|e| LoadError::at(&task.pos, e))?;
    }
    if let Some(l) = &task.looping {
        hearth_template::check_value_syntax(&l.items).map_err(|e| LoadError::at(&task.pos, e))?;
        let needs_list = matches!(l.keyword, "loop" | "with_items" | "with_list");
        if needs_list && !matches!(l.items, Value::Array(_) | Value::String(_)) {
            return Err(LoadError::at(
                &task.pos,
                format!(
                    "Invalid data passed to '{}', it requires a list, got this instead: {}",
                    l.keyword, l.items
                ),
            ));
        }
    }
    Ok(())
}

fn has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => hearth_template::is_template(s),
        Value::Array(a) => a.iter().any(has_template),
        Value::Object(m) => m.iter().any(|(k, v)| hearth_template::is_template(k) || has_template(v)),
        _ => false,
    }
}

fn unknown_module(name: &str, pos: &Pos) -> LoadError {
    let names = modules::REGISTRY.iter().map(|s| s.name);
    let bare = name.rsplit('.').next().unwrap_or(name);
    let hint = match did_you_mean(bare, names) {
        Some(s) => format!(" Did you mean '{s}'?"),
        None => String::new(),
    };
    LoadError::at(pos, format!("couldn't resolve module/action '{name}'.{hint}"))
}

/// Reads a module's arguments from a mapping or a free-form string, plus the `args:` keyword.
fn module_args(spec: &Spec, value: &Node, args_kw: Option<&Node>) -> Result<Value, LoadError> {
    let mut args = match &value.kind {
        NodeKind::Null => Map::new(),
        NodeKind::Map(_) => value.to_value().as_object().cloned().unwrap_or_default(),
        NodeKind::Str(s) => free_form(spec, s, &value.pos)?,
        _ => {
            return Err(LoadError::at(
                &value.pos,
                format!(
                    "arguments of {} must be a mapping or a string, got a {}",
                    spec.name,
                    value.type_name()
                ),
            ));
        }
    };
    if let Some(kw) = args_kw {
        for (k, v) in mapping(kw, "args")? {
            args.entry(k).or_insert(v);
        }
    }
    Ok(Value::Object(args))
}

/// Modules whose free-form string is a command: only Ansible's few `k=v` words are parameters.
const COMMAND_MODULES: &[&str] = &["command", "shell", "raw", "script"];

fn free_form(spec: &Spec, s: &str, pos: &Pos) -> Result<Map, LoadError> {
    let keys = COMMAND_MODULES.contains(&spec.name).then_some(kv::FREE_FORM_KEYS);
    let (mut map, rest) = kv::parse_kv(s, keys).map_err(|e| LoadError::at(pos, e.to_string()))?;
    match spec.free_form {
        FreeForm::KeyValue if !rest.is_empty() => {
            Err(LoadError::at(pos, format!("{}: expected key=value arguments, got '{rest}'", spec.name)))
        }
        FreeForm::KeyValue => Ok(map),
        FreeForm::Param(param) => {
            if !rest.is_empty() {
                map.insert(param.to_string(), Value::String(rest));
            }
            Ok(map)
        }
    }
}

pub use super::inherit::push_down;

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

fn scalar_string(node: &Node) -> Result<String, LoadError> {
    match &node.kind {
        NodeKind::Str(s) => Ok(s.clone()),
        NodeKind::Int(i) => Ok(i.to_string()),
        NodeKind::Float(f) => Ok(f.to_string()),
        NodeKind::Bool(b) => Ok(if *b { "True" } else { "False" }.to_string()),
        _ => Err(LoadError::at(&node.pos, format!("expected a string, got a {}", node.type_name()))),
    }
}

/// Reads `when:`-like values: a string, a boolean, or a list of them.
fn conditions(node: &Node) -> Result<Vec<String>, LoadError> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().map(scalar_string).collect(),
        NodeKind::Null => Ok(Vec::new()),
        _ => Ok(vec![scalar_string(node)?]),
    }
}

fn string_list(node: &Node) -> Result<Vec<String>, LoadError> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().map(scalar_string).collect(),
        NodeKind::Null => Ok(Vec::new()),
        _ => Ok(vec![scalar_string(node)?]),
    }
}

/// Tags: a list, or a comma-separated string.
pub fn tag_list(node: &Node) -> Result<Vec<String>, LoadError> {
    Ok(string_list(node)?
        .iter()
        .flat_map(|t| t.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
        .filter(|t| !t.is_empty())
        .collect())
}

/// Reads a mapping keyword (`vars:`, `args:`) as a value map.
pub fn mapping(node: &Node, what: &str) -> Result<Map, LoadError> {
    match node.to_value() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(LoadError::at(&node.pos, format!("'{what}' must be a mapping, got a {}", node.type_name()))),
    }
}

fn loop_control(node: &Node) -> Result<LoopControl, LoadError> {
    let mut lc = LoopControl::default();
    let entries = node.as_map().ok_or_else(|| LoadError::at(&node.pos, "loop_control must be a mapping"))?;
    for (k, kpos, v) in entries {
        match k.as_str() {
            "loop_var" => lc.loop_var = scalar_string(v)?,
            "index_var" => lc.index_var = Some(scalar_string(v)?),
            "label" => lc.label = Some(scalar_string(v)?),
            other => {
                let hint = did_you_mean(other, ["loop_var", "index_var", "label"])
                    .map(|s| format!(" Did you mean '{s}'?"))
                    .unwrap_or_default();
                return Err(LoadError::at(
                    kpos,
                    format!(
                        "loop_control: '{other}' is not supported (supported: loop_var, index_var, label).{hint}"
                    ),
                ));
            }
        }
    }
    Ok(lc)
}

/// True for keywords a task may carry besides its module (for callers validating handlers).
pub fn is_task_keyword(k: &str) -> bool {
    KEYWORDS.contains(&k)
}
