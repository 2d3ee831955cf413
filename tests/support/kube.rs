//! Kubernetes test helpers: a project next to a running API server double, playbook runs with
//! `K8S_AUTH_KUBECONFIG` pointing at it, and reading objects back through an independent
//! kube-rs client (not through hearth's own modules), so tests assert what the API holds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ::kube::api::{Api, DynamicObject};
use ::kube::config::{Config, KubeConfigOptions, Kubeconfig};
use ::kube::core::{ApiResource, GroupVersionKind};
use hearth::lab::apiserver::faults::Fault;
use hearth::lab::apiserver::{ApiServer, Options, start};
use serde_json::Value;

use super::{Project, Run};

/// A project and an API server double it talks to.
pub struct Kube {
    /// The project directory (playbooks, templates).
    pub p: Project,
    /// The running double.
    pub server: ApiServer,
    /// Its kubeconfig.
    pub kubeconfig: PathBuf,
}

impl Kube {
    /// Starts a double with this default rollout delay (`None`: rollouts never complete).
    pub fn start(rollout: Option<Duration>) -> Kube {
        Kube::with_faults(rollout, "")
    }

    /// Starts a double that answers with the fault plan `faults` (the `HEARTH_LAB_K8S_FAULTS`
    /// form: `PATCH /apis/apps=503*forever; GET /api/v1=close`).
    pub fn with_faults(rollout: Option<Duration>, faults: &str) -> Kube {
        let p = Project::new();
        let kubeconfig = p.path("kubeconfig");
        let server = start(Options {
            token: "test-token".into(),
            rollout_delay: rollout,
            kubeconfig: Some(kubeconfig.clone()),
            faults: Fault::parse_list(faults).expect("a fault plan"),
            ..Options::default()
        })
        .expect("start the API server double");
        Kube { p, server, kubeconfig }
    }

    /// Writes `site.yml` with one localhost play of `tasks` and runs `hearth apply` on it.
    pub fn run(&self, tasks: &str, args: &[&str]) -> Run {
        self.run_env(tasks, args, &[])
    }

    /// [`Kube::run`] with more environment variables.
    pub fn run_env(&self, tasks: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.p.write("site.yml", &format!("- hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}"));
        let mut all = vec!["apply", "site.yml"];
        all.extend_from_slice(args);
        let kc = self.kubeconfig.display().to_string();
        let mut vars = vec![("K8S_AUTH_KUBECONFIG", kc.as_str()), ("KUBECONFIG", "/nonexistent")];
        vars.extend_from_slice(env);
        self.p.hearth_env(&all, &vars)
    }

    /// The object as the API holds it, or `None`.
    pub fn get(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        get(&self.kubeconfig, api_version, kind, namespace, name)
    }
}

/// Reads one object through a fresh kube-rs client (plural = lowercase kind + "s").
pub fn get(
    kubeconfig: &Path,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> Option<Value> {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let plural = format!("{}s", kind.to_lowercase());
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), &plural);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let kc = Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
        let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await.expect("config");
        let client = ::kube::Client::try_from(cfg).expect("client");
        let api: Api<DynamicObject> = match namespace {
            Some(ns) => Api::namespaced_with(client, ns, &ar),
            None => Api::all_with(client, &ar),
        };
        api.get_opt(name).await.expect("GET").map(|o| serde_json::to_value(o).expect("json"))
    })
}
