//! The control node itself (`connection: local`): commands through `std::process`, files through
//! `std::fs`. Atomic writes go through a temp file in the target directory and a rename.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use nix::unistd::{Gid, Group, Uid, User};

use super::local_cmd::command;
use super::local_timed::LocalTimed;
use super::posix;
use super::runner::LocalRunner;
use crate::cmd::{Cmd, CmdOutput};
use crate::error::TransportError;
use crate::file::{Attrs, FileKind, FileStat};
use crate::transport::{Become, Deadline, Transport};

/// Runs everything on the machine hearth runs on.
#[derive(Debug, Default)]
pub struct Local;

impl Transport for Local {
    fn is_local(&self) -> bool {
        true
    }

    fn with_become(&self, target: &Become) -> Result<Box<dyn Transport + '_>, TransportError> {
        static RUNNER: LocalRunner = LocalRunner;
        let me = User::from_uid(nix::unistd::geteuid()).ok().flatten().map(|u| u.name);
        if me.as_deref() == Some(target.user.as_str()) {
            return Ok(Box::new(Local));
        }
        // Another user: the same sudo dialogue as over SSH, on local `sh` scripts.
        posix::sudo_view(&RUNNER, target)
    }

    fn with_deadline<'a>(&'a self, deadline: &'a Deadline) -> Box<dyn Transport + 'a> {
        Box::new(LocalTimed::new(self, deadline))
    }

    fn run(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError> {
        let (mut command, program) = command(cmd)?;
        let spawn_err =
            |e: std::io::Error| TransportError::Spawn { program: program.clone(), message: e.to_string() };
        let mut child = command.spawn().map_err(spawn_err)?;
        if let (Some(input), Some(mut pipe)) = (&cmd.stdin, child.stdin.take()) {
            let input = input.clone();
            // Feed stdin from a thread so a command that writes a lot before reading cannot deadlock.
            std::thread::spawn(move || pipe.write_all(&input));
        }
        let out = child.wait_with_output().map_err(spawn_err)?;
        Ok(CmdOutput { rc: out.status.code().unwrap_or(-1), stdout: out.stdout, stderr: out.stderr })
    }

    fn stat(&self, path: &str, follow: bool) -> Result<Option<FileStat>, TransportError> {
        let meta = if follow { fs::metadata(path) } else { fs::symlink_metadata(path) };
        let meta = match meta {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(TransportError::io("stat", path, e)),
        };
        let ft = meta.file_type();
        let kind = if ft.is_symlink() {
            FileKind::Link
        } else if ft.is_dir() {
            FileKind::Directory
        } else if ft.is_file() {
            FileKind::File
        } else {
            FileKind::Other
        };
        let link_target = if ft.is_symlink() {
            fs::read_link(path).ok().map(|t| t.to_string_lossy().into_owned())
        } else {
            None
        };
        Ok(Some(FileStat {
            kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            owner: User::from_uid(Uid::from_raw(meta.uid())).ok().flatten().map(|u| u.name),
            group: Group::from_gid(Gid::from_raw(meta.gid())).ok().flatten().map(|g| g.name),
            size: meta.size(),
            mtime: meta.mtime(),
            link_target,
        }))
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        match fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TransportError::io("read", path, e)),
        }
    }

    fn write_file(&self, path: &str, content: &[u8], attrs: &Attrs) -> Result<(), TransportError> {
        let target = Path::new(path);
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let err = |e: std::io::Error| TransportError::io("write", path, e);
        let existing = fs::metadata(target).ok();
        let mut tmp = tempfile::Builder::new().prefix(".hearth-tmp-").tempfile_in(dir).map_err(err)?;
        tmp.write_all(content).map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        // Keep what the old file had, then let explicit attributes win.
        let mode =
            attrs.mode.or(existing.as_ref().map(|m| m.mode() & 0o7777)).unwrap_or_else(default_file_mode);
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(err)?;
        if let Some(m) = &existing {
            let _ = std::os::unix::fs::chown(tmp.path(), Some(m.uid()), Some(m.gid()));
        }
        let tmp_path = tmp.path().to_string_lossy().into_owned();
        apply_owner(&tmp_path, attrs)?;
        tmp.persist(target).map_err(|e| err(e.error))?;
        Ok(())
    }

    fn set_attrs(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        if let Some(mode) = attrs.mode {
            fs::set_permissions(path, fs::Permissions::from_mode(mode))
                .map_err(|e| TransportError::io("chmod", path, e))?;
        }
        apply_owner(path, attrs)
    }

    fn make_dir(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        let mut missing = Vec::new();
        let mut cur = Path::new(path);
        while !cur.exists() {
            missing.push(cur.to_path_buf());
            match cur.parent() {
                Some(p) if !p.as_os_str().is_empty() => cur = p,
                _ => break,
            }
        }
        for dir in missing.iter().rev() {
            let d = dir.to_string_lossy();
            fs::create_dir(dir).map_err(|e| TransportError::io("mkdir", &d, e))?;
            self.set_attrs(&d, attrs)?;
        }
        Ok(())
    }

    fn remove(&self, path: &str) -> Result<(), TransportError> {
        let res = match fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => Err(e),
            Ok(m) if m.is_dir() => fs::remove_dir_all(path),
            Ok(_) => fs::remove_file(path),
        };
        res.map_err(|e| TransportError::io("remove", path, e))
    }

    fn symlink(&self, target: &str, path: &str) -> Result<(), TransportError> {
        let err = |e: std::io::Error| TransportError::io("symlink", path, e);
        let dir = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        // Create under a temporary name and rename over, so the link is replaced atomically.
        let tmp = dir.join(format!(".hearth-link-{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        std::os::unix::fs::symlink(target, &tmp).map_err(err)?;
        fs::rename(&tmp, path).map_err(err)
    }

    fn copy_file(&self, from: &str, to: &str) -> Result<(), TransportError> {
        fs::copy(from, to).map_err(|e| TransportError::io("copy", from, e))?;
        if let Ok(meta) = fs::metadata(from) {
            let _ = std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()));
            if let Ok(mtime) = meta.modified() {
                let _ = fs::File::options().write(true).open(to).and_then(|f| f.set_modified(mtime));
            }
        }
        Ok(())
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, TransportError> {
        let err = |e: std::io::Error| TransportError::io("list", path, e);
        let mut names = Vec::new();
        for entry in fs::read_dir(path).map_err(err)? {
            names.push(entry.map_err(err)?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }
}

/// Mode of a new file: 0666 minus the process umask, read once (umask is process-wide, so
/// reading it later from several threads would race with its own restore).
fn default_file_mode() -> u32 {
    static MODE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *MODE.get_or_init(|| {
        let mask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
        nix::sys::stat::umask(mask);
        0o666 & !mask.bits()
    })
}

fn apply_owner(path: &str, attrs: &Attrs) -> Result<(), TransportError> {
    if attrs.owner.is_none() && attrs.group.is_none() {
        return Ok(());
    }
    let uid = attrs.owner.as_deref().map(|o| resolve_user(path, o)).transpose()?;
    let gid = attrs.group.as_deref().map(|g| resolve_group(path, g)).transpose()?;
    std::os::unix::fs::lchown(path, uid, gid).map_err(|e| TransportError::io("chown", path, e))
}

fn resolve_user(path: &str, name: &str) -> Result<u32, TransportError> {
    if let Ok(id) = name.parse::<u32>() {
        return Ok(id);
    }
    match User::from_name(name) {
        Ok(Some(u)) => Ok(u.uid.as_raw()),
        _ => Err(TransportError::io("chown", path, format!("no such user: {name}"))),
    }
}

fn resolve_group(path: &str, name: &str) -> Result<u32, TransportError> {
    if let Ok(id) = name.parse::<u32>() {
        return Ok(id);
    }
    match Group::from_name(name) {
        Ok(Some(g)) => Ok(g.gid.as_raw()),
        _ => Err(TransportError::io("chgrp", path, format!("no such group: {name}"))),
    }
}
