//! Connections for a run: one per host, opened in parallel the first time a play needs the host,
//! reused by every later task and play, and closed once at the end (also after Ctrl-C). Which
//! transport a host gets follows Ansible: `ansible_connection`, then the play's `connection:`,
//! then `-c`, then `local` for the implicit localhost and `ssh` for everything else. A task
//! whose keywords (`remote_user`, `port`, `connection`) ask for another login gets another
//! connection, kept by host and login for later tasks that want the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::options::Options;
use hearth_formats::value::Map;
use hearth_transport::{Local, Transport, ssh};

/// A host's connection, or why there is none (the host is then unreachable).
pub type Conn = Result<Arc<dyn Transport>, String>;

/// A task login's connection, opened by the first task that wants it.
type Login = Arc<OnceLock<Conn>>;

/// What a host should be connected with.
#[derive(Debug, Clone)]
pub enum Spec {
    /// The control node itself.
    Local,
    /// OpenSSH, with the host's (templated) variables for address, port, user and keys.
    Ssh(Box<Map>),
    /// A connection type hearth does not have.
    Unsupported(String),
}

/// The variables that decide how a host is logged into over ssh.
const LOGIN_VARS: &[&str] = &[
    "ansible_host",
    "ansible_ssh_host",
    "ansible_user",
    "ansible_ssh_user",
    "ansible_port",
    "ansible_ssh_port",
    "ansible_ssh_private_key_file",
    "ansible_private_key_file",
    "ansible_ssh_common_args",
    "ansible_ssh_extra_args",
];

impl Spec {
    /// Whether two specs log in the same way (same type, address, user, port, keys, args):
    /// other variables differ between plays without needing a new connection.
    pub fn same_login(&self, other: &Spec) -> bool {
        match (self, other) {
            (Spec::Local, Spec::Local) => true,
            (Spec::Ssh(a), Spec::Ssh(b)) => LOGIN_VARS.iter().all(|k| a.get(*k) == b.get(*k)),
            (Spec::Unsupported(a), Spec::Unsupported(b)) => a == b,
            _ => false,
        }
    }

    /// What [`Spec::same_login`] compares, as one string: the key of a task's extra login.
    fn login_key(&self) -> String {
        match self {
            Spec::Local => "local".into(),
            Spec::Ssh(vars) => {
                let values: Vec<_> = LOGIN_VARS.iter().map(|k| vars.get(*k)).collect();
                format!("ssh {}", serde_json::to_string(&values).unwrap_or_default())
            }
            Spec::Unsupported(kind) => format!("unsupported {kind}"),
        }
    }
}

/// Picks the connection type for a host.
pub fn spec_for(vars: &Map, play_connection: Option<&str>, opts: &Options, implicit_local: bool) -> Spec {
    let chosen = vars
        .get("ansible_connection")
        .and_then(|v| v.as_str())
        .or(play_connection)
        .or(opts.connection.as_deref())
        .unwrap_or(if implicit_local { "local" } else { "ssh" });
    match chosen {
        "local" => Spec::Local,
        "ssh" | "smart" | "paramiko" | "openssh" => Spec::Ssh(Box::new(vars.clone())),
        other => Spec::Unsupported(other.to_string()),
    }
}

/// Every connection of the run.
#[derive(Default)]
pub struct Pool {
    conns: Mutex<HashMap<String, Conn>>,
    /// Held while a delegated task opens a connection, so two hosts delegating to the same
    /// host at once share one master.
    opening: Mutex<()>,
    /// How each host was connected, to reconnect it on `meta: reset_connection`.
    specs: Mutex<HashMap<String, Spec>>,
    /// Connections of tasks that log in otherwise than their host (a task's `remote_user`), by
    /// host and login; each opened once, by the first task that wants it.
    logins: Mutex<HashMap<(String, String), Login>>,
}

impl Pool {
    /// Opens the missing connections among `wanted`, at most `forks` at once.
    pub fn open(&self, wanted: Vec<(String, Spec)>, opts: &Options) {
        let mut stale = Vec::new();
        {
            let mut specs = self.specs.lock().unwrap_or_else(PoisonError::into_inner);
            let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
            for (h, s) in &wanted {
                // A host whose connection settings changed (another play's `remote_user`) logs
                // in again with the new ones.
                if specs.get(h).is_some_and(|old| !old.same_login(s)) {
                    stale.extend(conns.remove(h));
                }
                specs.insert(h.clone(), s.clone());
            }
        }
        for t in stale.into_iter().flatten() {
            // The old master is replaced whether or not it exits cleanly.
            let _ = t.close();
        }
        let missing: Vec<(String, Spec)> = {
            let conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
            wanted.into_iter().filter(|(h, _)| !conns.contains_key(h)).collect()
        };
        let opened: Vec<(String, Conn)> = if missing.len() <= 1 {
            missing
                .into_iter()
                .map(|(h, s)| {
                    let c = open_one(&h, &s, opts);
                    (h, c)
                })
                .collect()
        } else {
            parallel_open(missing, opts)
        };
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        conns.extend(opened);
    }

    /// The connection of `host` for a delegated task: the one already open, or a new one made
    /// with `spec` (called only when none is open yet).
    pub fn delegate(&self, host: &str, spec: impl FnOnce() -> Spec, opts: &Options) -> Conn {
        let _one_at_a_time = self.opening.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = self.conns.lock().unwrap_or_else(PoisonError::into_inner).get(host) {
            return c.clone();
        }
        self.open(vec![(host.to_string(), spec())], opts);
        self.get(host)
    }

    /// The connection of `host` logged in as `spec` says (a task's `remote_user`, `port` or
    /// `connection`): the host's own when it logs in the same way, else one opened for this
    /// login the first time a task asks and shared by every later task that asks.
    pub fn login(&self, host: &str, spec: Spec, opts: &Options) -> Conn {
        let own =
            self.specs.lock().unwrap_or_else(PoisonError::into_inner).get(host).map(|s| s.same_login(&spec));
        if own == Some(true) {
            return self.get(host);
        }
        let key = (host.to_string(), spec.login_key());
        let cell = self.logins.lock().unwrap_or_else(PoisonError::into_inner).entry(key).or_default().clone();
        // Opened outside the map's lock, so other hosts' logins open in parallel.
        cell.get_or_init(|| open_one(host, &spec, opts)).clone()
    }

    /// The connection of a host opened earlier.
    pub fn get(&self, host: &str) -> Conn {
        let conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        conns.get(host).cloned().unwrap_or_else(|| Err(format!("no connection was opened to {host}")))
    }

    /// `meta: reset_connection`: closes the host's connection and opens a new one (a new login,
    /// so e.g. new group memberships apply). With `--ssh-persist` the kept master is reused.
    pub fn reset(&self, host: &str, opts: &Options) -> Conn {
        let old = self.conns.lock().unwrap_or_else(PoisonError::into_inner).remove(host);
        if let Some(Ok(t)) = old {
            // A master that fails to exit cleanly is replaced anyway.
            let _ = t.close();
        }
        // The host's other logins open again when a task next wants them.
        let mut logins = self.logins.lock().unwrap_or_else(PoisonError::into_inner);
        let others: Vec<_> = logins.keys().filter(|(h, _)| h == host).cloned().collect();
        for key in others {
            close_cell(logins.remove(&key));
        }
        drop(logins);
        let spec = self.specs.lock().unwrap_or_else(PoisonError::into_inner).get(host).cloned();
        let conn = match spec {
            Some(s) => open_one(host, &s, opts),
            None => Err(format!("no connection was opened to {host}")),
        };
        self.conns.lock().unwrap_or_else(PoisonError::into_inner).insert(host.to_string(), conn.clone());
        conn
    }

    /// Closes every connection (ssh masters, control sockets); safe to call twice.
    pub fn close_all(&self) {
        let conns: Vec<Conn> =
            self.conns.lock().unwrap_or_else(PoisonError::into_inner).drain().map(|(_, c)| c).collect();
        for t in conns.into_iter().flatten() {
            // Nothing useful can be done about a master that fails to exit cleanly at the end.
            let _ = t.close();
        }
        let logins: Vec<_> =
            self.logins.lock().unwrap_or_else(PoisonError::into_inner).drain().map(|(_, c)| c).collect();
        for cell in logins {
            close_cell(Some(cell));
        }
    }
}

/// Closes a task login's connection if it was opened.
fn close_cell(cell: Option<Login>) {
    if let Some(Ok(t)) = cell.as_deref().and_then(OnceLock::get) {
        // Replaced or at the end of the run: a master that fails to exit cleanly is left to ssh.
        let _ = t.close();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.close_all();
    }
}

fn parallel_open(missing: Vec<(String, Spec)>, opts: &Options) -> Vec<(String, Conn)> {
    let workers = opts.forks.clamp(1, missing.len());
    let queue = Mutex::new(missing.into_iter());
    let out = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                    let Some((h, spec)) = next else { break };
                    let c = open_one(&h, &spec, opts);
                    out.lock().unwrap_or_else(PoisonError::into_inner).push((h, c));
                }
            });
        }
    });
    out.into_inner().unwrap_or_else(PoisonError::into_inner)
}

fn open_one(host: &str, spec: &Spec, opts: &Options) -> Conn {
    match spec {
        Spec::Local => Ok(Arc::new(Local)),
        Spec::Ssh(vars) => open_ssh(host, vars, opts),
        Spec::Unsupported(kind) => {
            Err(format!("connection type '{kind}' (for {host}) is not supported: use ssh or local"))
        }
    }
}

/// Opens one OpenSSH master to the host; every failure becomes the reason it is unreachable.
fn open_ssh(host: &str, vars: &Map, opts: &Options) -> Conn {
    let defaults = ssh::SshDefaults {
        connect_timeout: std::time::Duration::from_secs(opts.connect_timeout.max(1)),
        accept_new: opts.ssh_accept_new,
        persist: std::num::NonZeroUsize::new(opts.ssh_persist),
        kept_shell: !opts.ssh_channel_per_command,
        ..ssh::SshDefaults::default()
    };
    let target = ssh::SshTarget::from_vars(host, vars, &defaults).map_err(|e| e.to_string())?;
    let conn = ssh::connect(&target).map_err(|e| e.to_string())?;
    Ok(Arc::new(conn))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh(user: &str) -> Spec {
        let vars = serde_json::json!({"ansible_host": "10.0.0.5", "ansible_user": user, "other": 1});
        Spec::Ssh(Box::new(vars.as_object().cloned().unwrap_or_default()))
    }

    #[test]
    fn a_login_is_keyed_by_what_logs_in() {
        assert_eq!(ssh("root").login_key(), ssh("root").login_key());
        assert_ne!(ssh("root").login_key(), ssh("hearth").login_key());
        assert_ne!(Spec::Local.login_key(), Spec::Unsupported("local".into()).login_key());
    }

    #[test]
    fn a_task_login_is_opened_once_and_the_host_own_one_is_reused() {
        let pool = Pool::default();
        let opts = Options::default();
        pool.open(vec![("web1".into(), Spec::Local)], &opts);
        let (Ok(own), Ok(same)) = (pool.get("web1"), pool.login("web1", Spec::Local, &opts)) else {
            panic!("local connections open")
        };
        assert!(Arc::ptr_eq(&own, &same), "the same login uses the host's own connection");
        let other = || pool.login("web1", Spec::Unsupported("docker".into()), &opts);
        assert!(other().err().is_some_and(|e| e.contains("'docker' (for web1) is not supported")));
        pool.open(vec![("web2".into(), Spec::Unsupported("x".into()))], &opts);
        let (Ok(first), Ok(again)) =
            (pool.login("web2", Spec::Local, &opts), pool.login("web2", Spec::Local, &opts))
        else {
            panic!("local connections open")
        };
        assert!(Arc::ptr_eq(&first, &again), "a later task with the same login reuses it");
        pool.close_all();
        assert!(pool.logins.lock().unwrap().is_empty());
    }
}
