//! `import_role` and `include_role` in a task list. `import_role` is static: the role is read
//! now and its tasks become a block that inherits the task's keywords, like `import_tasks`.
//! `include_role` is dynamic: its `when` and loop decide per host at run time whether the role
//! runs; a role named without a template is still read now (errors early, handlers notifiable),
//! a templated name is read when the include runs. Handlers and public variables of the roles
//! loaded here reach the play through [`Source::roles`]. The [`RoleInclude`] value itself is in `task`.

use super::error::LoadError;
use super::fields::{mapping, tag_list};
use super::inherit::push_down;
use super::role::RoleFiles;
use super::role_load::load_role_files;
use super::source::{Source, SunkRole};
use super::task::{RoleInclude, Task, TaskKind};
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::{Node, Pos};

/// The parameters both modules take.
const PARAMS: &[&str] = &[
    "name",
    "tasks_from",
    "vars_from",
    "defaults_from",
    "handlers_from",
    "apply",
    "public",
    "allow_duplicates",
    "rolespec_validate",
];

/// What `include_role:`/`import_role:` were given.
struct Args {
    name: String,
    files: RoleFiles,
    apply: Option<Task>,
    public: Option<bool>,
}

/// `import_role:` — the role's tasks as a block under `task` (whose keywords they inherit).
pub fn import_role(mut task: Task, kpos: &Pos, value: &Node, src: &Source) -> Result<Task, LoadError> {
    let args = parse_args("import_role", kpos, value)?;
    if args.apply.is_some() {
        return Err(LoadError::at(kpos, "import_role: 'apply' is only for include_role"));
    }
    if args.name.contains("{{") {
        return Err(LoadError::at(kpos, "import_role cannot use a templated role name; use include_role"));
    }
    let tasks = load(&args, kpos, src, true)?;
    // The task's vars are role parameters of the imported role, as in Ansible.
    task.params.extend(std::mem::take(&mut task.vars));
    task.kind = TaskKind::Block { block: tasks, rescue: Vec::new(), always: Vec::new() };
    Ok(push_down(task))
}

/// `include_role:` — kept as a task for the engine to run per host.
pub fn include_role(mut task: Task, kpos: &Pos, value: &Node, src: &Source) -> Result<Task, LoadError> {
    let args = parse_args("include_role", kpos, value)?;
    let public = args.public.unwrap_or(false);
    let tasks = if args.name.contains("{{") { None } else { Some(load(&args, kpos, src, false)?) };
    task.params.extend(std::mem::take(&mut task.vars));
    task.kind = TaskKind::IncludeRole(Box::new(RoleInclude {
        name: args.name,
        files: args.files,
        tasks,
        apply: Box::new(args.apply.unwrap_or_default()),
        public,
        pos: kpos.clone(),
    }));
    Ok(task)
}

/// Reads the role the arguments name (see [`load_named`]).
fn load(args: &Args, kpos: &Pos, src: &Source, public: bool) -> Result<Vec<Task>, LoadError> {
    load_named(&args.name, &args.files, kpos, src, public)
}

/// Reads a role and its dependencies: their tasks in order; the roles (for handlers and
/// public variables) go to `src.roles`. The engine uses it for templated names too.
pub fn load_named(
    name: &str,
    files: &RoleFiles,
    kpos: &Pos,
    src: &Source,
    public: bool,
) -> Result<Vec<Task>, LoadError> {
    let mut tasks = Vec::new();
    let loaded = load_role_files(name, src, kpos, files)?;
    let mut sink = src.roles.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for mut role in loaded {
        tasks.append(&mut role.tasks);
        sink.push(SunkRole { role, public });
    }
    Ok(tasks)
}

fn parse_args(module: &str, kpos: &Pos, value: &Node) -> Result<Args, LoadError> {
    if let Some(name) = value.as_str() {
        return Ok(Args { name: name.to_string(), files: RoleFiles::default(), apply: None, public: None });
    }
    let entries = value
        .as_map()
        .ok_or_else(|| LoadError::at(kpos, format!("{module} takes a mapping with 'name:'")))?;
    let mut args = Args { name: String::new(), files: RoleFiles::default(), apply: None, public: None };
    for (k, pos, v) in entries {
        let text = || v.to_value().as_str().map(str::to_string);
        match k.as_str() {
            "name" | "role" => args.name = text().unwrap_or_default(),
            "tasks_from" => args.files.tasks = text(),
            "vars_from" => args.files.vars = text(),
            "defaults_from" => args.files.defaults = text(),
            "handlers_from" => args.files.handlers = text(),
            "public" => args.public = hearth_modules::args::parse_bool(&v.to_value()),
            "apply" => args.apply = Some(apply(v)?),
            "rolespec_validate" => {
                args.files.skip_validation = hearth_modules::args::parse_bool(&v.to_value()) == Some(false);
            }
            // Accepted as Ansible does: include/import_role are never de-duplicated.
            "allow_duplicates" => {}
            other => {
                return Err(LoadError::at(
                    pos,
                    format!("{module}: unsupported parameter '{other}' (supported: {})", PARAMS.join(", ")),
                ));
            }
        }
    }
    if args.name.is_empty() {
        return Err(LoadError::at(kpos, format!("{module} needs 'name:' (the role)")));
    }
    Ok(args)
}

/// `apply:` — task keywords for every included task.
fn apply(node: &Node) -> Result<Task, LoadError> {
    let entries =
        node.as_map().ok_or_else(|| LoadError::at(&node.pos, "include_role: 'apply' must be a mapping"))?;
    let mut t = Task::default();
    for (k, pos, v) in entries {
        if let Some(slot) = t.flags.slot(k) {
            *slot = Some(v.to_value());
            continue;
        }
        match k.as_str() {
            "tags" => t.tags = tag_list(v)?,
            "when" => t.when = conditions(v),
            "environment" => t.environment = vec![v.to_value()],
            "vars" => t.vars = mapping(v, "vars")?,
            "delegate_to" => t.delegate_to = v.to_value().as_str().map(str::to_string),
            other => {
                return Err(LoadError::at(
                    pos,
                    format!("include_role: apply keyword '{other}' is not supported"),
                ));
            }
        }
    }
    Ok(t)
}

fn conditions(node: &Node) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        other => other.to_string(),
    };
    match node.to_value() {
        Value::Array(a) => a.iter().map(text).collect(),
        other => vec![text(&other)],
    }
}

/// The included tasks with the include's keywords, `apply`, vars and loop variables pushed in.
pub fn wrap(include: &Task, ri: &RoleInclude, tasks: Vec<Task>, loop_vars: Map) -> Vec<Task> {
    let mut params = include.params.clone();
    params.extend(loop_vars);
    let inner = Task {
        flags: ri.apply.flags.clone(),
        tags: ri.apply.tags.clone(),
        when: ri.apply.when.clone(),
        environment: ri.apply.environment.clone(),
        vars: ri.apply.vars.clone(),
        delegate_to: ri.apply.delegate_to.clone(),
        kind: TaskKind::Block { block: tasks, rescue: Vec::new(), always: Vec::new() },
        ..Task::default()
    };
    let outer = Task {
        flags: include.flags.clone(),
        environment: include.environment.clone(),
        params,
        delegate_to: include.delegate_to.clone(),
        kind: TaskKind::Block { block: vec![push_down(inner)], rescue: Vec::new(), always: Vec::new() },
        ..Task::default()
    };
    match push_down(outer).kind {
        TaskKind::Block { block, .. } => block,
        _ => Vec::new(),
    }
}
