//! Playbooks: a list of plays and `import_playbook`s, read into typed [`Play`]s with roles
//! expanded and every `notify` checked against the play's handlers. Unsupported Ansible play
//! keywords are rejected by name. Nothing is templated or run here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::LoadError;
use super::fields::{mapping, tag_list};
use super::host_order::HostOrder;
use super::inherit::push_down;
use super::keywords::Flags;
use super::role::Role;
use super::source::Source;
use super::task::{Task, TaskKind};
use super::task_parse::parse_tasks;
use hearth_formats::suggest::did_you_mean;
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::{self, Node, NodeKind, Pos};

/// A whole playbook with imports resolved.
#[derive(Debug)]
pub struct Playbook {
    /// The file given on the command line.
    pub path: PathBuf,
    /// Plays in run order.
    pub plays: Vec<Play>,
}

/// One play.
#[derive(Debug)]
pub struct Play {
    /// Where the play starts.
    pub pos: Pos,
    /// `name:` (defaults to the host pattern, as in Ansible).
    pub name: String,
    /// `hosts:` pattern (may be templated).
    pub hosts: String,
    /// Where the `hosts:` value stands, for pattern errors.
    pub hosts_pos: Pos,
    /// `connection:`.
    pub connection: Option<String>,
    /// `gather_facts:` (default true).
    pub gather_facts: Option<Value>,
    /// `gather_subset:` for the implicit fact gathering.
    pub gather_subset: Option<Value>,
    /// `become*`, `ignore_errors`, `no_log`, `check_mode`, `diff` for every task.
    pub flags: Flags,
    /// `environment:` for every task and handler.
    pub environment: Vec<Value>,
    /// `order:` the order hosts run in.
    pub order: HostOrder,
    /// `vars_prompt:` questions asked before the play runs (answers become play vars).
    pub vars_prompt: Vec<super::vars_prompt::VarPrompt>,
    /// `port:` the ssh port where no `ansible_port` variable gives one.
    pub port: Option<Value>,
    /// `module_defaults:` for every task and handler.
    pub module_defaults: Map,
    /// `remote_user:` the login user where no `ansible_user` variable gives one.
    pub remote_user: Option<String>,
    /// `vars:`.
    pub vars: Map,
    /// `vars_files:` names (may be templated), with their positions.
    pub vars_files: Vec<(String, Pos)>,
    /// Task sections; handlers are flushed after each: pre_tasks, roles + tasks, post_tasks.
    pub sections: [Vec<Task>; 3],
    /// Handlers: roles' first, then the play's.
    pub handlers: Vec<Task>,
    /// Roles of the play, for their defaults and vars.
    pub roles: Vec<Arc<Role>>,
    /// `serial:` batch size (number or percentage), if any.
    pub serial: Option<Value>,
    /// `force_handlers:`.
    pub force_handlers: bool,
    /// `any_errors_fatal:` one host's failure stops the play for every host.
    pub any_errors_fatal: bool,
    /// `max_fail_percentage:` stop the play when more than this share of a batch failed.
    pub max_fail_percentage: Option<f64>,
    /// Directory of the playbook file the play is in (`playbook_dir`).
    pub dir: PathBuf,
}

const PLAY_KEYWORDS: &[&str] = &[
    "name",
    "hosts",
    "connection",
    "gather_facts",
    "gather_subset",
    "become",
    "become_user",
    "become_method",
    "vars",
    "vars_files",
    "pre_tasks",
    "tasks",
    "post_tasks",
    "handlers",
    "roles",
    "tags",
    "serial",
    "ignore_errors",
    "no_log",
    "check_mode",
    "diff",
    "force_handlers",
    "any_errors_fatal",
    "max_fail_percentage",
    "environment",
    "remote_user",
    "throttle",
    "order",
    "module_defaults",
    "collections",
    "strategy",
    "port",
    "ignore_unreachable",
    "vars_prompt",
    "timeout",
];

const UNSUPPORTED_PLAY_KEYWORDS: &[&str] =
    &["gather_timeout", "fact_path", "become_exe", "become_flags", "debugger", "run_once"];

/// Loads a playbook file and everything it imports.
pub fn load_playbook(path: &Path) -> Result<Playbook, LoadError> {
    let mut plays = Vec::new();
    load_into(path, &mut plays, 0)?;
    if plays.is_empty() {
        return Err(LoadError::at(&Pos::synthetic(&path.display().to_string()), "the playbook has no plays"));
    }
    Ok(Playbook { path: path.to_path_buf(), plays })
}

fn load_into(path: &Path, plays: &mut Vec<Play>, depth: usize) -> Result<(), LoadError> {
    let node = yaml::parse_file(path)?;
    // `playbook_dir` is absolute in Ansible; relative `src` and roles are found from it.
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    hearth_template::plugins::record(&dir, "");
    let items = match &node.kind {
        NodeKind::Seq(items) => items,
        NodeKind::Null => return Err(LoadError::at(&node.pos, "the playbook is empty")),
        _ => {
            return Err(LoadError::at(
                &node.pos,
                format!("a playbook must be a list of plays, got a {}", node.type_name()),
            ));
        }
    };
    for item in items {
        let target = item.get("import_playbook").or_else(|| item.get("ansible.builtin.import_playbook"));
        match target {
            Some(t) => {
                let file =
                    t.as_str().ok_or_else(|| LoadError::at(&t.pos, "import_playbook needs a file name"))?;
                if depth > 20 {
                    return Err(LoadError::at(&t.pos, "import_playbook nested more than 20 deep (a cycle?)"));
                }
                let sub = dir.join(file);
                if !sub.is_file() {
                    return Err(LoadError::NotFound {
                        pos: t.pos.clone(),
                        what: "playbook",
                        path: PathBuf::from(file),
                        looked: dir.display().to_string(),
                    });
                }
                load_into(&sub, plays, depth + 1)?;
            }
            None => plays.push(parse_play(item, &dir)?),
        }
    }
    Ok(())
}

fn parse_play(node: &Node, dir: &Path) -> Result<Play, LoadError> {
    let entries = node.as_map().ok_or_else(|| {
        LoadError::at(&node.pos, format!("a play must be a mapping, got a {}", node.type_name()))
    })?;
    let mut play = empty_play(node, dir);
    let mut src = Source::play(dir, parse_tasks);
    // The play's `collections:` apply to its own tasks and handlers wherever the key stands.
    if let Some((_, _, list)) = entries.iter().find(|(k, _, _)| k == "collections") {
        src = src.with_collections(super::collections::parse(list)?);
    }
    let mut parts = PlayParts::default();
    for (key, kpos, value) in entries {
        play_keyword(&mut play, &mut parts, (key, kpos, value), &src)?;
    }
    play.hosts =
        parts.hosts.ok_or_else(|| LoadError::at(&node.pos, "the play has no 'hosts:' (it is required)"))?;
    play.name = parts.name.unwrap_or_else(|| play.hosts.clone());
    parts.role_tasks.append(&mut play.sections[1]);
    play.sections[1] = parts.role_tasks;
    parts.role_handlers.append(&mut play.handlers);
    play.handlers = parts.role_handlers;
    add_included_roles(&mut play, &src);
    apply_play_keywords(&mut play, &parts.tags);
    check_notify(&play)?;
    Ok(play)
}

/// What a play's keywords give besides the play's own fields: read first, placed at the end.
#[derive(Default)]
struct PlayParts {
    tags: Vec<String>,
    name: Option<String>,
    hosts: Option<String>,
    role_tasks: Vec<Task>,
    role_handlers: Vec<Task>,
}

/// A play with nothing set yet.
fn empty_play(node: &Node, dir: &Path) -> Play {
    Play {
        pos: node.pos.clone(),
        name: String::new(),
        hosts: String::new(),
        hosts_pos: node.pos.clone(),
        connection: None,
        gather_facts: None,
        gather_subset: None,
        flags: Flags::default(),
        environment: Vec::new(),
        vars: Map::new(),
        vars_files: Vec::new(),
        sections: [Vec::new(), Vec::new(), Vec::new()],
        handlers: Vec::new(),
        roles: Vec::new(),
        serial: None,
        force_handlers: false,
        remote_user: None,
        port: None,
        vars_prompt: Vec::new(),
        module_defaults: Map::new(),
        order: HostOrder::Inventory,
        any_errors_fatal: false,
        max_fail_percentage: None,
        dir: dir.to_path_buf(),
    }
}

/// Reads one play keyword into the play (or `parts`); an unknown or unsupported keyword is an
/// error naming it.
fn play_keyword(
    play: &mut Play,
    parts: &mut PlayParts,
    (key, kpos, value): (&String, &Pos, &Node),
    src: &Source,
) -> Result<(), LoadError> {
    let flag = || Some(value.to_value());
    match key.as_str() {
        "name" => parts.name = value.as_str().map(str::to_string),
        "hosts" => {
            parts.hosts = Some(hosts_pattern(value)?);
            play.hosts_pos = value.pos.clone();
        }
        "connection" => play.connection = value.as_str().map(str::to_string),
        "gather_facts" => play.gather_facts = flag(),
        "gather_subset" => play.gather_subset = flag(),
        "environment" => play.environment = vec![value.to_value()],
        "throttle" => play.flags.throttle = flag(),
        "port" => play.port = flag(),
        "vars_prompt" => play.vars_prompt = super::vars_prompt::parse(value)?,
        "ignore_unreachable" => play.flags.ignore_unreachable = flag(),
        "module_defaults" => play.module_defaults = super::module_defaults::parse(value)?,
        // Read before any task.
        "collections" => {}
        "strategy" => linear_strategy(value)?,
        "order" => play.order = super::host_order::host_order(value)?,
        "remote_user" => play.remote_user = Some(remote_user(value)?),
        "become" => play.flags.become_ = flag(),
        "become_user" => play.flags.become_user = flag(),
        "become_method" => play.flags.become_method = flag(),
        "ignore_errors" => play.flags.ignore_errors = flag(),
        "no_log" => play.flags.no_log = flag(),
        "check_mode" => play.flags.check_mode = flag(),
        "diff" => play.flags.diff = flag(),
        "timeout" => play.flags.timeout = flag(),
        "vars" => play.vars = mapping(value, "vars")?,
        "vars_files" => play.vars_files = vars_files(value)?,
        "pre_tasks" => play.sections[0] = parse_tasks(value, src)?,
        "tasks" => play.sections[1] = parse_tasks(value, src)?,
        "post_tasks" => play.sections[2] = parse_tasks(value, src)?,
        "handlers" => play.handlers = parse_tasks(value, src)?,
        "roles" => {
            let (t, h, r) = super::role_entry::roles(value, src)?;
            (parts.role_tasks, parts.role_handlers, play.roles) = (t, h, r);
        }
        "tags" => parts.tags = tag_list(value)?,
        "serial" => play.serial = flag(),
        "force_handlers" => play.force_handlers = matches!(value.kind, NodeKind::Bool(true)),
        "any_errors_fatal" => play.any_errors_fatal = matches!(value.kind, NodeKind::Bool(true)),
        "max_fail_percentage" => play.max_fail_percentage = Some(max_fail_percentage(value)?),
        k if UNSUPPORTED_PLAY_KEYWORDS.contains(&k) => {
            return Err(LoadError::at(kpos, format!("play keyword '{k}' is not supported by hearth")));
        }
        k => return Err(unknown_play_keyword(k, kpos)),
    }
    Ok(())
}

/// `strategy:` may only name the linear strategy, the one hearth has.
fn linear_strategy(value: &Node) -> Result<(), LoadError> {
    match value.as_str() {
        Some("linear") => Ok(()),
        other => Err(LoadError::at(
            &value.pos,
            format!(
                "strategy '{}' is not supported by hearth: it runs every play with the linear strategy",
                other.unwrap_or("?")
            ),
        )),
    }
}

/// `remote_user:` must be a user name.
fn remote_user(value: &Node) -> Result<String, LoadError> {
    value.as_str().map(str::to_string).ok_or_else(|| {
        LoadError::at(&value.pos, format!("remote_user must be a user name, got a {}", value.type_name()))
    })
}

/// `max_fail_percentage:` a number, optionally with `%`.
fn max_fail_percentage(value: &Node) -> Result<f64, LoadError> {
    let pct = match &value.kind {
        NodeKind::Int(i) => Some(*i as f64),
        NodeKind::Float(f) => Some(*f),
        NodeKind::Str(s) => s.trim().trim_end_matches('%').parse().ok(),
        _ => None,
    };
    pct.ok_or_else(|| LoadError::at(&value.pos, "max_fail_percentage must be a number (0-100)"))
}

/// A key no play takes, with the closest keyword hearth knows.
fn unknown_play_keyword(k: &str, kpos: &Pos) -> LoadError {
    let hint = did_you_mean(k, PLAY_KEYWORDS.iter().copied())
        .map(|s| format!(" Did you mean '{s}'?"))
        .unwrap_or_default();
    LoadError::at(
        kpos,
        format!("'{k}' is not a valid play keyword.{hint} (supported: {})", PLAY_KEYWORDS.join(", ")),
    )
}

/// Roles `import_role`/`include_role` loaded while reading the play: their handlers join the
/// play's once, and public ones join its roles (for their variables).
fn add_included_roles(play: &mut Play, src: &Source) {
    for sunk in src.take_roles() {
        // A role included several times (or also under `roles:`) has its handlers once.
        for h in sunk.role.handlers {
            if !play.handlers.iter().any(|known| known.pos == h.pos) {
                play.handlers.push(h);
            }
        }
        if sunk.public && !play.roles.iter().any(|r| r.path == sunk.role.role.path) {
            play.roles.push(sunk.role.role);
        }
    }
}

/// The `hosts:` pattern; one without a template is checked now, so a malformed pattern stops
/// the run before any play does.
fn hosts_pattern(node: &Node) -> Result<String, LoadError> {
    let pattern = match &node.kind {
        NodeKind::Str(s) => s.clone(),
        NodeKind::Seq(items) => items.iter().filter_map(Node::as_str).collect::<Vec<_>>().join(","),
        _ => {
            return Err(LoadError::at(
                &node.pos,
                format!("'hosts' must be a pattern string or a list, got a {}", node.type_name()),
            ));
        }
    };
    if !hearth_template::is_template(&pattern) {
        super::pattern::validate(&pattern).map_err(|e| LoadError::at(&node.pos, format!("hosts: {e}")))?;
    }
    Ok(pattern)
}

fn vars_files(node: &Node) -> Result<Vec<(String, Pos)>, LoadError> {
    match &node.kind {
        NodeKind::Str(s) => Ok(vec![(s.clone(), node.pos.clone())]),
        NodeKind::Seq(items) => items
            .iter()
            .map(|i| match i.as_str() {
                Some(s) => Ok((s.to_string(), i.pos.clone())),
                None => Err(LoadError::at(&i.pos, "vars_files entries must be file names")),
            })
            .collect(),
        _ => Err(LoadError::at(&node.pos, "vars_files must be a list of file names")),
    }
}

/// Play-level tags and keywords (become, ignore_errors, no_log, check_mode, diff) are inherited
/// by every task, like a block's; handlers inherit the keywords but not the tags.
fn apply_play_keywords(play: &mut Play, tags: &[String]) {
    let flags = play.flags.clone();
    let environment = play.environment.clone();
    let module_defaults = play.module_defaults.clone();
    let wrap = |tasks: Vec<Task>, tags: &[String]| -> Vec<Task> {
        let parent = Task {
            tags: tags.to_vec(),
            flags: flags.clone(),
            environment: environment.clone(),
            module_defaults: module_defaults.clone(),
            kind: TaskKind::Block { block: tasks, rescue: Vec::new(), always: Vec::new() },
            ..Task::default()
        };
        match push_down(parent).kind {
            TaskKind::Block { block, .. } => block,
            _ => Vec::new(),
        }
    };
    for section in play.sections.iter_mut() {
        *section = wrap(std::mem::take(section), tags);
    }
    play.handlers = wrap(std::mem::take(&mut play.handlers), &[]);
}

/// Names a `notify:` may use: handler names, `role : name`, and `listen` topics.
pub fn handler_names(handlers: &[Task]) -> HashSet<String> {
    let mut names = HashSet::new();
    for h in handlers {
        if let Some(n) = &h.name {
            names.insert(n.clone());
            if let Some(r) = &h.role {
                names.insert(format!("{} : {n}", r.name));
            }
        }
        names.extend(h.listen.iter().cloned());
    }
    names
}

fn check_notify(play: &Play) -> Result<(), LoadError> {
    let names = handler_names(&play.handlers);
    let mut pending: Vec<&Task> = play.sections.iter().flatten().chain(play.handlers.iter()).collect();
    while let Some(t) = pending.pop() {
        for n in &t.notify {
            if !names.contains(n) && !n.contains("{{") {
                let hint = did_you_mean(n, names.iter().map(String::as_str))
                    .map(|s| format!(" Did you mean '{s}'?"))
                    .unwrap_or_default();
                return Err(LoadError::at(
                    &t.pos,
                    format!("the handler '{n}' notified by this task does not exist.{hint}"),
                ));
            }
        }
        if let TaskKind::Block { block, rescue, always } = &t.kind {
            pending.extend(block.iter().chain(rescue).chain(always));
        }
    }
    Ok(())
}

/// Reads a `vars_files:` file: a mapping, or (as Ansible allows there) a list of mappings
/// merged in order.
pub fn load_vars_file(path: &Path) -> Result<Map, LoadError> {
    let node = yaml::parse_file(path)?;
    let NodeKind::Seq(items) = &node.kind else { return Ok(yaml::vars_of(&node)?) };
    let mut vars = Map::new();
    for item in items {
        match item.to_value() {
            Value::Object(m) => vars.extend(m),
            _ => {
                let got = item.type_name();
                let msg = format!(
                    "a vars file must be a mapping or a list of mappings; this item is of type {got}"
                );
                return Err(LoadError::at(&item.pos, msg));
            }
        }
    }
    Ok(vars)
}

/// Re-export for the engine: task-level helpers.
pub use super::source::resolve_task_file;
