//! A Kubernetes API server double for tests and `hearth lab`: real HTTPS (a generated CA), bearer
//! tokens, discovery, objects with server-side apply and managedFields, Status errors, watches and
//! a simulated deployment controller — enough that real `kubectl` and kube-rs work against it. It
//! runs on its own thread and tokio runtime; everything lives in memory. It is not a cluster: no
//! scheduler, no Pods, no RBAC, no admission webhooks, no OpenAPI schemas, no persistence.

mod apply;
mod defaults;
pub mod faults;
mod fields;
mod http;
mod merge;
mod objects;
mod openapi;
pub mod resources;
pub mod rollout;
mod selector;
mod shared;
mod status;
mod store;
#[cfg(test)]
mod store_tests;
mod tls;
mod validate;
mod watch;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};

use faults::{Fault, Faults};
pub use status::ApiError;
use store::{Store, WriteOpts};

/// Why the server could not start or a call on it failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiServerError {
    /// Binding the listen address failed.
    #[error("API server double: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// Generating certificates or the TLS config failed.
    #[error("API server double: TLS setup failed: {0}")]
    Tls(String),
    /// Writing the kubeconfig failed.
    #[error("API server double: cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The runtime thread could not start.
    #[error("API server double: cannot start its runtime: {0}")]
    Runtime(std::io::Error),
    /// An object given to `create` was refused.
    #[error("API server double refused the object: {0}")]
    Refused(String),
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen (port 0: any free port).
    pub addr: SocketAddr,
    /// The bearer token clients must present.
    pub token: String,
    /// Default simulated rollout delay of Deployments (None: rollouts never complete).
    pub rollout_delay: Option<Duration>,
    /// Where to write the kubeconfig, if anywhere.
    pub kubeconfig: Option<PathBuf>,
    /// Name of the cluster, user and context in the kubeconfig.
    pub context: String,
    /// Test-only faults to answer with (see `faults`; empty: none).
    pub faults: Vec<Fault>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: random_token(),
            rollout_delay: Some(Duration::from_millis(500)),
            kubeconfig: None,
            context: "hearth-lab".into(),
            faults: Vec::new(),
        }
    }
}

/// A random-enough token (hex) for a throwaway server.
pub fn random_token() -> String {
    format!("{}{}", objects::new_uid(), objects::new_uid()).replace('-', "")
}

/// A running server; stops when dropped (or on `stop`).
pub struct ApiServer {
    /// `https://ip:port`.
    pub url: String,
    /// The bearer token.
    pub token: String,
    /// The CA certificate (PEM) clients must trust.
    pub ca_pem: String,
    /// The kubeconfig file written at start, if one was asked for.
    pub kubeconfig: Option<PathBuf>,
    context: String,
    store: Arc<Mutex<Store>>,
    faults: Arc<Faults>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts a server as `opts` say.
pub fn start(opts: Options) -> Result<ApiServer, ApiServerError> {
    let listener =
        TcpListener::bind(opts.addr).map_err(|source| ApiServerError::Bind { addr: opts.addr, source })?;
    let addr = listener.local_addr().map_err(|source| ApiServerError::Bind { addr: opts.addr, source })?;
    listener.set_nonblocking(true).map_err(|source| ApiServerError::Bind { addr, source })?;
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    if !addr.ip().is_unspecified() && !names.contains(&addr.ip().to_string()) {
        names.push(addr.ip().to_string());
    }
    let identity = tls::generate(&names).map_err(|e| ApiServerError::Tls(e.to_string()))?;
    let config = tls::server_config(&identity).map_err(|e| ApiServerError::Tls(e.to_string()))?;
    let mut store = Store::new(opts.rollout_delay);
    let system = WriteOpts { manager: "kube-apiserver".into(), ..WriteOpts::default() };
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let rt = namespace_type(&store);
        store
            .create(&rt, "", json!({"metadata": {"name": ns}}), &system)
            .map_err(|e| ApiServerError::Refused(e.message))?;
    }
    store.events.clear();
    let store = Arc::new(Mutex::new(store));
    let faults = Arc::new(Faults::new(opts.faults.clone()));
    let shared = Arc::new(shared::Shared {
        store: store.clone(),
        token: opts.token.clone(),
        events: broadcast::channel(1024).0,
        history: Mutex::new(Vec::new()),
        faults: faults.clone(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("apiserver-double")
        .enable_all()
        .build()
        .map_err(ApiServerError::Runtime)?;
    let (tx, rx) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("apiserver-double".into())
        .spawn(move || runtime.block_on(serve(listener, config, shared, rx)))
        .map_err(ApiServerError::Runtime)?;
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let server = ApiServer {
        url: format!("https://{host}:{}", addr.port()),
        token: opts.token,
        ca_pem: identity.ca_pem,
        kubeconfig: opts.kubeconfig.clone(),
        context: opts.context,
        store,
        faults,
        shutdown: Some(tx),
        thread: Some(thread),
    };
    if let Some(path) = &opts.kubeconfig {
        server.write_kubeconfig(path)?;
    }
    Ok(server)
}

fn namespace_type(store: &Store) -> resources::ResourceType {
    // Invariant: the Namespace kind is built in (resources::Registry::default).
    store.registry.find("", "v1", "namespaces").cloned().expect("Namespace is a built-in kind")
}

async fn serve(
    listener: TcpListener,
    config: Arc<tokio_rustls::rustls::ServerConfig>,
    shared: Arc<shared::Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let conn = tokio::select! {
            _ = &mut stop => return,
            c = listener.accept() => c,
        };
        let Ok((tcp, _)) = conn else { continue };
        let (acceptor, shared) = (acceptor.clone(), shared.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let service = hyper::service::service_fn(move |req| http::handle(shared.clone(), req));
            let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(tls), service).await;
        });
    }
}

impl ApiServer {
    /// Test-friendly start: 127.0.0.1 on a free port, this token and default rollout delay
    /// (None: never), kubeconfig written to `kubeconfig`.
    pub fn start(
        token: &str,
        rollout_delay: Option<Duration>,
        kubeconfig: &Path,
    ) -> Result<ApiServer, ApiServerError> {
        start(Options {
            token: token.into(),
            rollout_delay,
            kubeconfig: Some(kubeconfig.to_path_buf()),
            ..Options::default()
        })
    }

    /// The kubeconfig (YAML) for this server: CA data, URL, token, one context.
    pub fn kubeconfig_yaml(&self) -> String {
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca_pem);
        let name = &self.context;
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {}\n    \
             certificate-authority-data: {ca}\nusers:\n- name: {name}\n  user:\n    token: {}\ncontexts:\n\
             - name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: default\n\
             current-context: {name}\npreferences: {{}}\n",
            self.url, self.token
        )
    }

    /// Writes the kubeconfig to `path` (mode 0600: it holds the token).
    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), ApiServerError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let err = |source| ApiServerError::Write { path: path.to_path_buf(), source };
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(err)?;
        f.write_all(self.kubeconfig_yaml().as_bytes()).map_err(err)
    }

    /// Creates an object directly (e.g. lab Nodes, with their status), as field manager `hearth-lab`.
    pub fn create(&self, obj: Value) -> Result<Value, ApiServerError> {
        let mut store = self.store.lock().map_err(|_| ApiServerError::Refused("store poisoned".into()))?;
        let av = obj["apiVersion"].as_str().unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default();
        let rt = store
            .registry
            .by_kind(av, kind)
            .cloned()
            .ok_or_else(|| ApiServerError::Refused(format!("no kind {kind} in {av}")))?;
        let ns = obj["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
        let opts = WriteOpts { manager: "hearth-lab".into(), ..WriteOpts::default() };
        let status = obj.get("status").cloned();
        let created = store.create(&rt, &ns, obj, &opts).map_err(|e| ApiServerError::Refused(e.message))?;
        let Some(status) = status.filter(|_| rt.has_status) else { return Ok(created) };
        let name = created["metadata"]["name"].as_str().unwrap_or_default();
        let key = Store::key(&rt, &ns, name);
        let generation = created["metadata"]["generation"].as_i64().unwrap_or(1);
        store.set_status(&key, generation, status, "hearth-lab");
        store.events.clear();
        store.object(&key).cloned().ok_or_else(|| ApiServerError::Refused(format!("{name} vanished")))
    }

    /// How many requests so far had this method and a path (with `?query`) starting with
    /// `prefix` (for tests that check what was retried).
    pub fn requests(&self, method: &str, prefix: &str) -> usize {
        self.faults.count(method, prefix)
    }

    /// Blocks until the server stops (it runs until the process ends or `stop` is called).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.halt();
    }
}
