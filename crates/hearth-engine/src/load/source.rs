//! Where task lists are read from ([`Source`]: base directory, role, depth, collections), the
//! roles that imports and includes loaded on the way, and reading a task file there. The
//! parser itself is handed in (`Source::parse`), so roles and imports read below a place
//! without this layer importing the parser.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::LoadError;
use super::role::Role;
use super::task::Task;
use hearth_formats::yaml::{self, Node};

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
    /// The task-list parser (`task_parse::parse_tasks`): how task files and roles read below
    /// this place reach it without importing it.
    pub parse: ParseTasks,
}

/// Parses a list of tasks read below a [`Source`] (a task file, a role's generated task).
pub type ParseTasks = fn(&Node, &Source) -> Result<Vec<Task>, LoadError>;

/// Roles loaded while reading a play's tasks, shared by every [`Source`] of the play.
pub type RoleSink = Arc<std::sync::Mutex<Vec<SunkRole>>>;

/// A role an `import_role` or `include_role` loaded.
#[derive(Debug)]
pub struct SunkRole {
    /// The role; its handlers join the play's.
    pub role: LoadedRole,
    /// Its defaults and vars are the play's from the start (`import_role`).
    pub public: bool,
}

impl Source {
    /// The top of a play: tasks in the playbook file itself, read with `parse`.
    pub fn play(playbook_dir: &Path, parse: ParseTasks) -> Source {
        Source {
            base: playbook_dir.to_path_buf(),
            role: None,
            depth: 0,
            playbook_dir: playbook_dir.to_path_buf(),
            roles: RoleSink::default(),
            collections: Arc::new([]),
            parse,
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
            parse: self.parse,
        }
    }

    /// Parses a list of tasks read here.
    pub fn tasks(&self, node: &Node) -> Result<Vec<Task>, LoadError> {
        (self.parse)(node, self)
    }

    /// Takes the roles loaded so far.
    pub fn take_roles(&self) -> Vec<SunkRole> {
        std::mem::take(&mut *self.roles.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// A role with its tasks and handlers, ready to be placed in a play.
#[derive(Debug)]
pub struct LoadedRole {
    /// The role.
    pub role: Arc<Role>,
    /// Its `tasks/main.yml`.
    pub tasks: Vec<Task>,
    /// Its `handlers/main.yml`.
    pub handlers: Vec<Task>,
}

/// Reads a task file (for `import_tasks`, `include_tasks` and roles) below `parent`.
pub fn load_task_file(path: &Path, parent: &Source, role: Option<Arc<Role>>) -> Result<Vec<Task>, LoadError> {
    let node = yaml::parse_file(path)?;
    parent.file(path, role).tasks(&node)
}

/// Resolves a task file name against the including file's directory, then the role's tasks/.
pub fn resolve_task_file(base: &Path, file: &str, role: Option<&Role>) -> PathBuf {
    let direct = base.join(file);
    if direct.is_file() {
        return direct;
    }
    role.map(|r| r.path.join("tasks").join(file)).filter(|p| p.is_file()).unwrap_or(direct)
}
