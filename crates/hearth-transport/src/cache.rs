//! A per-task view of a connection that answers repeated reads from one [`Transport::probe`]:
//! a module that stats a path, stats it through links and reads it pays one round trip. Any
//! operation that may change the host (writes, commands) forgets everything, so a module never
//! sees stale state. It lives for one task only; the engine makes a new one per task.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::cmd::{Cmd, CmdOutput};
use crate::error::TransportError;
use crate::file::{Attrs, FileStat, PROBE_CONTENT_LIMIT, Placed, Probe};
use crate::transport::{Become, Transport};

/// Caches probes of one task's reads.
pub struct Cached<'a> {
    inner: &'a dyn Transport,
    probes: Mutex<HashMap<String, Probe>>,
    /// The task's `environment:`, given to every command it runs.
    env: Vec<(String, String)>,
}

impl<'a> Cached<'a> {
    /// Wraps a connection for one task.
    pub fn new(inner: &'a dyn Transport) -> Cached<'a> {
        Cached { inner, probes: Mutex::new(HashMap::new()), env: Vec::new() }
    }

    /// Every command the task runs also gets `env` (a variable the module sets itself wins, as a
    /// module's own environment does in Ansible).
    pub fn with_env(mut self, env: Vec<(String, String)>) -> Cached<'a> {
        self.env = env;
        self
    }

    fn probed(&self, path: &str) -> Result<Probe, TransportError> {
        if let Some(p) = self.probes.lock().unwrap_or_else(PoisonError::into_inner).get(path) {
            return Ok(p.clone());
        }
        let p = self.inner.probe(path)?;
        self.probes.lock().unwrap_or_else(PoisonError::into_inner).insert(path.to_string(), p.clone());
        Ok(p)
    }

    /// What was just written is known: the module's report after the write needs no trip.
    fn remember_created(&self, path: &str, stat: &FileStat, content: Option<Vec<u8>>) {
        let probe = Probe {
            lstat: Some(stat.clone()),
            stat: Some(stat.clone()),
            content,
            access: None,
            parent_dir: None,
        };
        self.probes.lock().unwrap_or_else(PoisonError::into_inner).insert(path.to_string(), probe);
    }

    fn forget(&self) {
        self.probes.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

impl Transport for Cached<'_> {
    fn with_deadline<'b>(&'b self, deadline: &'b crate::transport::Deadline) -> Box<dyn Transport + 'b> {
        self.inner.with_deadline(deadline)
    }

    fn with_become(&self, target: &Become) -> Result<Box<dyn Transport + '_>, TransportError> {
        self.inner.with_become(target)
    }

    fn run(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError> {
        self.forget();
        if self.env.is_empty() {
            return self.inner.run(cmd);
        }
        let mut with_env = cmd.clone();
        let own: Vec<String> = cmd.env.iter().map(|(k, _)| k.clone()).collect();
        let task_env = self.env.iter().filter(|(k, _)| !own.contains(k)).cloned();
        with_env.env = task_env.chain(cmd.env.iter().cloned()).collect();
        self.inner.run(&with_env)
    }

    fn stat(&self, path: &str, follow: bool) -> Result<Option<FileStat>, TransportError> {
        let p = self.probed(path)?;
        Ok(if follow { p.stat } else { p.lstat })
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        let p = self.probed(path)?;
        match (&p.stat, p.content) {
            (None, _) => Ok(None),
            (_, Some(content)) => Ok(Some(content)),
            // Too large (or not a regular file): read it for real.
            (Some(_), None) => self.inner.read_file(path),
        }
    }

    fn probe(&self, path: &str) -> Result<Probe, TransportError> {
        self.probed(path)
    }

    fn write_file(&self, path: &str, content: &[u8], attrs: &Attrs) -> Result<(), TransportError> {
        self.forget();
        self.inner.write_file(path, content, attrs)
    }

    fn place(
        &self,
        path: &str,
        content: &[u8],
        attrs: &Attrs,
        backup: bool,
    ) -> Result<Placed, TransportError> {
        self.forget();
        let placed = self.inner.place(path, content, attrs, backup)?;
        let small = content.len() as u64 <= PROBE_CONTENT_LIMIT;
        self.remember_created(path, &placed.stat, small.then(|| content.to_vec()));
        Ok(placed)
    }

    fn set_attrs(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        self.forget();
        self.inner.set_attrs(path, attrs)
    }

    fn make_dir(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
        self.forget();
        self.inner.make_dir(path, attrs)
    }

    fn make_dir_stat(&self, path: &str, attrs: &Attrs) -> Result<FileStat, TransportError> {
        self.forget();
        let stat = self.inner.make_dir_stat(path, attrs)?;
        self.remember_created(path, &stat, None);
        Ok(stat)
    }

    fn remove(&self, path: &str) -> Result<(), TransportError> {
        self.forget();
        self.inner.remove(path)
    }

    fn symlink(&self, target: &str, path: &str) -> Result<(), TransportError> {
        self.forget();
        self.inner.symlink(target, path)
    }

    fn copy_file(&self, from: &str, to: &str) -> Result<(), TransportError> {
        self.forget();
        self.inner.copy_file(from, to)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, TransportError> {
        self.inner.list_dir(path)
    }

    fn close(&self) -> Result<(), TransportError> {
        self.inner.close()
    }

    fn is_local(&self) -> bool {
        self.inner.is_local()
    }

    fn reconnect(&self, timeout: Option<std::time::Duration>) -> Result<(), TransportError> {
        // What was probed belongs to the old connection (a rebooted host may differ).
        self.forget();
        self.inner.reconnect(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileKind, Local};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts probes reaching the real transport.
    struct Counting {
        probes: AtomicUsize,
    }

    impl Transport for Counting {
        fn with_deadline<'a>(&'a self, d: &'a crate::transport::Deadline) -> Box<dyn Transport + 'a> {
            Local.with_deadline(d)
        }
        fn with_become(&self, _: &Become) -> Result<Box<dyn Transport + '_>, TransportError> {
            Ok(Box::new(Local))
        }
        fn run(&self, cmd: &Cmd) -> Result<CmdOutput, TransportError> {
            Local.run(cmd)
        }
        fn stat(&self, path: &str, follow: bool) -> Result<Option<FileStat>, TransportError> {
            Local.stat(path, follow)
        }
        fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
            Local.read_file(path)
        }
        fn probe(&self, path: &str) -> Result<Probe, TransportError> {
            self.probes.fetch_add(1, Ordering::SeqCst);
            Local.probe(path)
        }
        fn write_file(&self, path: &str, content: &[u8], attrs: &Attrs) -> Result<(), TransportError> {
            Local.write_file(path, content, attrs)
        }
        fn set_attrs(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
            Local.set_attrs(path, attrs)
        }
        fn make_dir(&self, path: &str, attrs: &Attrs) -> Result<(), TransportError> {
            Local.make_dir(path, attrs)
        }
        fn remove(&self, path: &str) -> Result<(), TransportError> {
            Local.remove(path)
        }
        fn symlink(&self, target: &str, path: &str) -> Result<(), TransportError> {
            Local.symlink(target, path)
        }
        fn copy_file(&self, from: &str, to: &str) -> Result<(), TransportError> {
            Local.copy_file(from, to)
        }
        fn list_dir(&self, path: &str) -> Result<Vec<String>, TransportError> {
            Local.list_dir(path)
        }
        fn is_local(&self) -> bool {
            true
        }
    }

    #[test]
    fn reads_share_one_probe_and_writes_forget_it() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f").display().to_string();
        std::fs::write(&f, "one").unwrap();
        let inner = Counting { probes: AtomicUsize::new(0) };
        let c = Cached::new(&inner);
        assert_eq!(c.stat(&f, false).unwrap().unwrap().size, 3);
        assert_eq!(c.stat(&f, true).unwrap().unwrap().kind, FileKind::File);
        assert_eq!(c.read_file(&f).unwrap().unwrap(), b"one");
        assert_eq!(inner.probes.load(Ordering::SeqCst), 1, "three reads, one probe");
        c.write_file(&f, b"two!", &Attrs::default()).unwrap();
        assert_eq!(c.read_file(&f).unwrap().unwrap(), b"two!", "a write forgets the old content");
        assert_eq!(inner.probes.load(Ordering::SeqCst), 2);
        assert!(c.stat(&format!("{f}.missing"), true).unwrap().is_none());
    }
}
