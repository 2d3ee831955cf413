//! Which cluster a task talks to: the module's `kubeconfig` (a path or an inline mapping) and
//! `context`, else `K8S_AUTH_KUBECONFIG` / `K8S_AUTH_CONTEXT` (as kubernetes.core reads them),
//! else `KUBECONFIG` (several files merged like kubectl), else `~/.kube/config`, else the pod's
//! in-cluster service account. The choice is a pure function of parameters, environment and
//! which files exist; loading turns it into a kube-rs `Config`. Not here: building clients.

use std::path::{Path, PathBuf};

use ::kube::config::{Config, KubeConfigOptions, Kubeconfig, KubeconfigError};

use super::error::{KubeError, chain};
use hearth_formats::value::Value;

/// Where the client configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// One kubeconfig file.
    File(PathBuf),
    /// `KUBECONFIG`: files merged in order (the first to set a value wins).
    Files(Vec<PathBuf>),
    /// The `kubeconfig` parameter given as a mapping, kept as JSON text.
    Inline(String),
    /// The service account of the pod hearth runs in.
    InCluster,
}

/// What identifies one client: configuration source, context and certificate checking.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The configuration source.
    pub source: Source,
    /// The kubeconfig context (`None`: the current context).
    pub context: Option<String>,
    /// `validate_certs: false` turns off server certificate checks.
    pub validate_certs: bool,
}

/// Chooses the source from the `kubeconfig` parameter, the environment (`env`) and the home
/// directory, checking file existence with `exists`.
pub fn choose_source(
    param: Option<&Value>,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<Source, KubeError> {
    let expand = |p: &str| match (p.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    };
    match param {
        Some(Value::String(p)) if !p.is_empty() => return Ok(Source::File(expand(p))),
        Some(Value::Object(m)) => return Ok(Source::Inline(Value::Object(m.clone()).to_string())),
        Some(Value::Null) | None => {}
        Some(Value::String(_)) => {}
        Some(other) => {
            return Err(KubeError::Config(format!(
                "kubeconfig must be a file path or a kubeconfig mapping, not {other}"
            )));
        }
    }
    if let Some(p) = env("K8S_AUTH_KUBECONFIG").filter(|p| !p.is_empty()) {
        return Ok(Source::File(expand(&p)));
    }
    if let Some(list) = env("KUBECONFIG") {
        let files: Vec<PathBuf> =
            std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect();
        if !files.is_empty() {
            return Ok(Source::Files(files));
        }
    }
    match home.map(|h| h.join(".kube/config")) {
        Some(p) if exists(&p) => Ok(Source::File(p)),
        _ => Ok(Source::InCluster),
    }
}

/// The context: the parameter, else `K8S_AUTH_CONTEXT`.
pub fn choose_context(param: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    param.map(str::to_string).or_else(|| env("K8S_AUTH_CONTEXT")).filter(|c| !c.is_empty())
}

/// The key for this process's environment.
pub fn key(
    kubeconfig: Option<&Value>,
    context: Option<&str>,
    validate_certs: bool,
) -> Result<ClientKey, KubeError> {
    let env = |k: &str| std::env::var(k).ok();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let source = choose_source(kubeconfig, &env, home.as_deref(), &|p| p.exists())?;
    Ok(ClientKey { source, context: choose_context(context, &env), validate_certs })
}

/// How messages name the configuration (`kubeconfig /path (context ci)`).
pub fn describe(key: &ClientKey) -> String {
    let base = match &key.source {
        Source::File(p) => format!("kubeconfig {}", p.display()),
        Source::Files(ps) => {
            format!("KUBECONFIG {}", ps.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(":"))
        }
        Source::Inline(_) => "the inline kubeconfig".to_string(),
        Source::InCluster => "the in-cluster service account".to_string(),
    };
    match &key.context {
        Some(c) => format!("{base} (context {c})"),
        None => base,
    }
}

/// Reads the kubeconfig(s) and builds the kube-rs configuration for `key`.
pub async fn load(key: &ClientKey) -> Result<Config, KubeError> {
    let what = describe(key);
    let bad = |e: &dyn std::error::Error| KubeError::Config(format!("{what}: {}", chain(e)));
    let read = |p: &Path| {
        if !p.exists() {
            return Err(KubeError::Config(format!("kubeconfig {} does not exist", p.display())));
        }
        Kubeconfig::read_from(p).map_err(|e| bad(&e))
    };
    let kubeconfig = match &key.source {
        Source::File(p) => read(p)?,
        Source::Files(ps) => {
            let mut merged = Kubeconfig::default();
            for p in ps {
                merged = merged.merge(read(p)?).map_err(|e| bad(&e))?;
            }
            merged
        }
        Source::Inline(text) => serde_json::from_str::<Kubeconfig>(text).map_err(|e| bad(&e))?,
        Source::InCluster => {
            return Config::incluster().map_err(|e| {
                KubeError::Config(format!(
                    "no kubeconfig (no `kubeconfig` parameter, K8S_AUTH_KUBECONFIG, KUBECONFIG or \
                     ~/.kube/config) and not running in a cluster: {}",
                    chain(&e)
                ))
            });
        }
    };
    let options = KubeConfigOptions { context: key.context.clone(), ..Default::default() };
    let contexts: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options).await.map_err(|e| match e {
        KubeconfigError::LoadContext(name) => KubeError::Config(format!(
            "{what}: no context {name:?} (contexts: {})",
            if contexts.is_empty() { "none".to_string() } else { contexts.join(", ") }
        )),
        other => bad(&other),
    })?;
    if !key.validate_certs {
        config.accept_invalid_certs = true;
    }
    // A connection silent this long is dead (watches included); hearth's retry layer
    // (`retry`) times out whole requests and retries instead of kube-rs's own layer.
    config.read_timeout = Some(std::time::Duration::from_secs(60));
    config.default_retry = false;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn parameter_then_ansible_env_then_kubeconfig_env_then_home_then_in_cluster() {
        let home = Path::new("/home/u");
        let yes = |_: &Path| true;
        let no = |_: &Path| false;
        let all = env_of(&[("K8S_AUTH_KUBECONFIG", "/a"), ("KUBECONFIG", "/b:/c")]);
        let param = json!("~/k.yaml");
        assert_eq!(
            choose_source(Some(&param), &all, Some(home), &yes).unwrap(),
            Source::File("/home/u/k.yaml".into())
        );
        assert_eq!(choose_source(None, &all, Some(home), &yes).unwrap(), Source::File("/a".into()));
        let kc = env_of(&[("KUBECONFIG", "/b::/c")]);
        assert_eq!(
            choose_source(None, &kc, Some(home), &yes).unwrap(),
            Source::Files(vec!["/b".into(), "/c".into()])
        );
        let none = env_of(&[]);
        assert_eq!(
            choose_source(None, &none, Some(home), &yes).unwrap(),
            Source::File("/home/u/.kube/config".into())
        );
        assert_eq!(choose_source(None, &none, Some(home), &no).unwrap(), Source::InCluster);
        assert!(matches!(
            choose_source(Some(&json!({"clusters": []})), &none, None, &no).unwrap(),
            Source::Inline(_)
        ));
        assert!(choose_source(Some(&json!(3)), &none, None, &no).is_err());
    }

    #[test]
    fn context_comes_from_the_parameter_or_the_environment() {
        let env = env_of(&[("K8S_AUTH_CONTEXT", "lab")]);
        assert_eq!(choose_context(Some("prod"), &env).as_deref(), Some("prod"));
        assert_eq!(choose_context(None, &env).as_deref(), Some("lab"));
        assert_eq!(choose_context(None, &env_of(&[])), None);
    }

    #[test]
    fn loading_a_missing_or_broken_kubeconfig_is_one_clear_error() {
        let key =
            |p: &Path| ClientKey { source: Source::File(p.into()), context: None, validate_certs: true };
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let e = rt.block_on(load(&key(&missing))).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        let broken = dir.path().join("broken");
        std::fs::write(&broken, "clusters: [1\n").unwrap();
        let e = rt.block_on(load(&key(&broken))).unwrap_err().to_string();
        assert!(e.starts_with(&format!("kubeconfig {}:", broken.display())), "{e}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "apiVersion: v1\nkind: Config\n").unwrap();
        let mut with_ctx = key(&empty);
        with_ctx.context = Some("ghost".into());
        let e = rt.block_on(load(&with_ctx)).unwrap_err().to_string();
        assert!(e.contains("(context ghost): no context \"ghost\" (contexts: none)"), "{e}");
    }
}
