//! What a transport reports about a path ([`FileStat`], [`Probe`]) and the ownership and
//! permissions it is asked to enforce ([`Attrs`]). Plain data; nothing here touches a host.

/// The kind of a filesystem object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (only reported when not following links).
    Link,
    /// Anything else (socket, device, fifo).
    Other,
}

/// What `stat` found at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStat {
    /// File, directory, link or other.
    pub kind: FileKind,
    /// Permission bits (e.g. 0o644), without the file type.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Owner name, when the host knows it.
    pub owner: Option<String>,
    /// Group name, when the host knows it.
    pub group: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Target of a symbolic link.
    pub link_target: Option<String>,
}

/// What `Transport::probe` found at a path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    /// The path itself (a link is reported as a link); `None` when nothing is there.
    pub lstat: Option<FileStat>,
    /// Through links; `None` when absent or a dangling link.
    pub stat: Option<FileStat>,
    /// The content of a regular file up to 1 MiB; `None` otherwise (read it separately).
    pub content: Option<Vec<u8>>,
    /// What the connecting user may do with the path (through links); `None` when this
    /// transport's probe does not tell (ask with a command instead).
    pub access: Option<Access>,
    /// When nothing is at the path: whether its parent is a directory, so a module that will
    /// create the file needs no second look; `None` when this transport's probe does not tell.
    pub parent_dir: Option<bool>,
}

/// What `Transport::place` left: the written file's stat and the backup's name, if one was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The file as it is after the write (a regular file).
    pub stat: FileStat,
    /// The timestamped copy of the previous file (`backup: true` and a file was there).
    pub backup: Option<String>,
}

/// The access the connecting user has to a path (`test -r`, `-w`, `-x`), as `stat` reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    /// `test -r`.
    pub readable: bool,
    /// `test -w`.
    pub writeable: bool,
    /// `test -x`.
    pub executable: bool,
}

/// Files up to this size come back whole with `Transport::probe`, so checking a file costs one
/// round trip.
pub const PROBE_CONTENT_LIMIT: u64 = 1 << 20;

/// Ownership and permissions to enforce on a path; `None` fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Permission bits.
    pub mode: Option<u32>,
    /// Owner user name or numeric id.
    pub owner: Option<String>,
    /// Group name or numeric id.
    pub group: Option<String>,
}

impl Attrs {
    /// True when nothing is to be enforced.
    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.owner.is_none() && self.group.is_none()
    }
}
