//! Why an inventory could not be loaded (`InventoryError`, naming the file and line) and the
//! graph changes Ansible refuses (`GraphError`). It holds no loading logic.

use hearth_formats::yaml::{Pos, YamlError};

/// Why an inventory could not be loaded; every variant names the file (and line where known).
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The source is neither an existing path nor a comma-separated host list.
    #[error("{0}: inventory source not found")]
    NotFound(String),
    /// A file or directory could not be read.
    #[error("{path}: cannot read: {source}")]
    Io { path: String, source: std::io::Error },
    /// YAML syntax (inventory or vars file).
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// Wrong shape or type in a YAML inventory or vars file.
    #[error("{at}: {message}")]
    Structure { at: Pos, message: String },
    /// An INI inventory line Ansible would reject.
    #[error("{at}: {message}")]
    Ini { at: Pos, message: String },
    /// A bad `[x:y]` host range.
    #[error("{at}: invalid host range '{pattern}': {message}")]
    HostRange { at: Pos, pattern: String, message: String },
    /// A group cycle, empty name or bad priority.
    #[error("{at}: {source}")]
    Graph { at: Pos, source: GraphError },
}

/// A change to the host/group graph that Ansible refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// An empty host or group name.
    #[error("invalid empty {0} name")]
    EmptyName(&'static str),
    /// `add_child` with the group itself.
    #[error("can't add group '{0}' to itself")]
    SelfChild(String),
    /// The new edge would make a group its own ancestor.
    #[error("adding group '{child}' as child to '{parent}' creates a recursive dependency loop")]
    Cycle { parent: String, child: String },
    /// `ansible_group_priority` that is not a whole number.
    #[error("ansible_group_priority of group '{group}' must be an integer, got {value}")]
    Priority { group: String, value: String },
    /// A reference to a group that does not exist (a parser bug or an undefined child).
    #[error("'{0}' is not a known group")]
    UnknownGroup(String),
}
