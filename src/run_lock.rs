//! One `hearth apply` of a playbook at a time per inventory: the same run started twice (two
//! terminals, a pipeline and a person) would interleave its edits of the same files (each run
//! reads a file, computes its change and writes it back, so one change can be lost) and report
//! counts that mean nothing. The lock is an `flock` on a file in hearth's runtime or cache
//! directory named by the canonical paths of the inventory and the playbooks, so the kernel
//! drops it with the process however it ends (even SIGKILL): a stale lock cannot exist.
//! Different playbooks on one inventory may run together (a long maintenance run and a quick
//! fix); `hearth plan` and `--check` take no lock (they change nothing).

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest, Sha256};

use crate::failure::{Failure, exit};

/// Held for the whole run; dropping it (or the process ending) releases the lock.
pub struct RunLock {
    _lock: Flock<File>,
}

/// Why the lock could not be taken or checked; the run goes on without it after a warning.
pub struct Unavailable(pub String);

/// Takes the lock of `playbooks` on `inventory` (the `-i` values), waiting up to `wait` for
/// another run that holds it (`on_wait` is told once); a run still holding it then is an error
/// naming its pid.
pub fn acquire(
    inventory: &[String],
    playbooks: &[PathBuf],
    wait: Duration,
    on_wait: &mut dyn FnMut(String),
) -> Result<Result<RunLock, Unavailable>, Failure> {
    let books: Vec<String> = playbooks.iter().map(|p| p.display().to_string()).collect();
    let key = format!("{} on {}", canonical(&books), canonical(&inventory_or_default(inventory)));
    let path = match lock_dir() {
        Some(dir) => dir.join(format!("{}.lock", digest(&key))),
        None => return Ok(Err(Unavailable("no runtime or cache directory (set HOME)".into()))),
    };
    let mut file = match open(&path) {
        Ok(f) => f,
        Err(e) => return Ok(Err(Unavailable(format!("cannot open {}: {e}", path.display())))),
    };
    let deadline = Instant::now() + wait;
    let mut told = false;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(mut lock) => {
                record_owner(&mut lock);
                return Ok(Ok(RunLock { _lock: lock }));
            }
            Err((f, Errno::EWOULDBLOCK)) => file = f,
            Err((_, e)) => return Ok(Err(Unavailable(format!("cannot lock {}: {e}", path.display())))),
        }
        let holder = holder(&mut file, &path);
        if Instant::now() >= deadline {
            return Err(Failure::new(exit::ERROR, busy_error(&key, &holder, wait)));
        }
        if !told {
            on_wait(format!("waiting for {holder} applying {key} to finish"));
            told = true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn inventory_or_default(inventory: &[String]) -> Vec<String> {
    if inventory.is_empty() { vec!["inventory/".to_string()] } else { inventory.to_vec() }
}

/// Paths made canonical (other values, such as a host list, as given), sorted, joined.
fn canonical(given: &[String]) -> String {
    let mut parts: Vec<String> = given
        .iter()
        .map(|i| match std::fs::canonicalize(i) {
            Ok(p) => p.display().to_string(),
            Err(_) => i.clone(),
        })
        .collect();
    parts.sort();
    parts.dedup();
    parts.join(", ")
}

fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// `$XDG_RUNTIME_DIR/hearth/locks`, else `~/.cache/hearth/locks` (mode 0700; created).
fn lock_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| Path::new(d).is_dir())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let dir = base.join("hearth").join("locks");
    if !dir.is_dir() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).ok()?;
    }
    Some(dir)
}

fn open(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)
}

/// Writes this process's id into the lock file, for the message a second run prints.
fn record_owner(file: &mut File) {
    // Best effort: without it the other run says "another hearth run" without a pid.
    let _ =
        file.set_len(0).and_then(|()| file.rewind()).and_then(|()| write!(file, "{}", std::process::id()));
}

/// "the hearth run with pid N (started M s ago)", from the lock file.
fn holder(file: &mut File, path: &Path) -> String {
    let mut pid = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut pid));
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map(|d| format!(" (started {} s ago)", d.as_secs()))
        .unwrap_or_default();
    match pid.trim() {
        "" => "another hearth run".to_string(),
        p => format!("the hearth run with pid {p}{age}"),
    }
}

fn busy_error(key: &str, holder: &str, waited: Duration) -> anyhow::Error {
    let waited = match waited.as_secs() {
        0 => String::new(),
        n => format!(" (waited {n} s)"),
    };
    anyhow::anyhow!(
        "{holder} is applying {key}{waited}; two such runs at once could undo each other's \
         changes. Wait for it to finish, or pass --lock-timeout SECONDS to wait for it"
    )
}
