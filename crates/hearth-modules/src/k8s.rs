//! `k8s` (also `kubernetes.core.k8s`): manage Kubernetes objects over the API with kube-rs.
//! Objects come from `definition` (mapping, list or multi-document YAML), `src` (a file on the
//! control node) or `template` (a Jinja file rendered with the task's variables); `state:
//! present` server-side applies them, `absent` deletes them. Whether anything changes is decided
//! by a server-side dry-run apply compared with the live object, so check mode is the dry-run
//! and `--diff` shows live vs. dry-run YAML (Secret values masked). Runs on the control node
//! whatever the play's hosts are. `state: patched` patches objects that exist (merge or
//! strategic-merge patch, or server-side apply with `apply: true`) and never creates one. Kinds
//! are resolved per object in order; a kind defined by a CRD earlier in the same task resolves
//! from that CRD. This file reads parameters and sources; deciding and acting per object is in
//! `k8s_plan`. Not supported: `apply: false` semantics for `present` (always server-side apply),
//! `merge_type: json`, `generate_name`, `delete_options`, `continue_on_error`.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::args::{de_bool, de_int, de_opt_bool};
use super::k8s_plan::{self, PatchWith, Target, Waiting};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_kube::client::{self, Cluster, Resolved};
use hearth_kube::definition::{self, Defaults};
use hearth_kube::error::target;
use hearth_kube::ops::{ApplyOpts, FIELD_MANAGER, MergeType, ObjectRef};
use hearth_kube::wait::WaitCondition;
use hearth_kube::{KubeError, config};

/// Parameters of `k8s`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct K8s {
    /// `present` (create or update by server-side apply), `absent` (delete) or `patched`
    /// (patch objects that exist, never create).
    #[serde(default)]
    pub state: State,
    /// The objects: a mapping, a list of mappings, or multi-document YAML text.
    #[serde(alias = "resource_definition")]
    pub definition: Option<Value>,
    /// A YAML file of objects on the control node (relative paths searched in `files/`).
    pub src: Option<String>,
    /// A Jinja template of objects rendered with the task's variables: a path, `{path: ...}`,
    /// or a list of them (relative paths searched in `templates/`).
    pub template: Option<Value>,
    /// Namespace for namespaced objects that do not set one (default: the context's).
    pub namespace: Option<String>,
    /// Kind for objects that do not set one (and for `state: absent` without a definition).
    pub kind: Option<String>,
    /// apiVersion for objects that do not set one (default `v1`).
    #[serde(alias = "api", alias = "version")]
    pub api_version: Option<String>,
    /// Name for an object that does not set one.
    pub name: Option<String>,
    /// With `state: patched`: server-side apply instead of a patch. Otherwise accepted for
    /// compatibility (`present` always uses server-side apply).
    #[serde(default, deserialize_with = "de_bool")]
    pub apply: bool,
    /// With `state: patched`: the patch type(s) to try in order, `strategic-merge` and/or
    /// `merge` (default both: strategic merge, merge where the server refuses it, as for CRs).
    pub merge_type: Option<Value>,
    /// Server-side apply options: `field_manager` (default `hearth`), `force_conflicts`.
    pub server_side_apply: Option<ServerSideApply>,
    /// Take over fields other field managers own (same as `server_side_apply.force_conflicts`).
    #[serde(default, deserialize_with = "de_bool")]
    pub force: bool,
    /// Wait until applied objects are ready (a Deployment's rollout is complete, or
    /// `wait_condition` holds) or deleted ones are gone.
    #[serde(default, deserialize_with = "de_bool")]
    pub wait: bool,
    /// Seconds to wait before failing (default 120).
    #[serde(default = "default_timeout", deserialize_with = "de_int")]
    pub wait_timeout: i64,
    /// Longest pause in seconds between two checks while waiting (default 5).
    #[serde(default = "default_sleep", deserialize_with = "de_int")]
    pub wait_sleep: i64,
    /// The status condition to wait for: `type`, `status` (default `True`), `reason`.
    pub wait_condition: Option<WaitCondition>,
    /// Path of the kubeconfig file, or a kubeconfig mapping.
    pub kubeconfig: Option<Value>,
    /// The kubeconfig context to use (default: the current context).
    pub context: Option<String>,
    /// Check the API server's certificate (default yes).
    #[serde(default, alias = "verify_ssl", deserialize_with = "de_opt_bool")]
    pub validate_certs: Option<bool>,
}

/// `state:` of `k8s`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Create or update.
    #[default]
    Present,
    /// Delete.
    Absent,
    /// Patch what exists; skip what does not.
    Patched,
}

/// `server_side_apply:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSideApply {
    /// The field manager that owns the applied fields.
    pub field_manager: Option<String>,
    /// Take over fields owned by other managers instead of failing with a conflict.
    #[serde(default, deserialize_with = "de_bool")]
    pub force_conflicts: bool,
}

fn default_timeout() -> i64 {
    120
}

fn default_sleep() -> i64 {
    5
}

/// The shared cluster for a task's connection parameters (one client per run and kubeconfig).
pub fn connect(
    kubeconfig: Option<&Value>,
    context: Option<&str>,
    validate_certs: Option<bool>,
) -> Result<Arc<Cluster>, KubeError> {
    client::cluster(&config::key(kubeconfig, context, validate_certs.unwrap_or(true))?)
}

/// A failure with only a message.
pub fn fail(e: KubeError) -> ModuleError {
    ModuleError::msg(e.to_string())
}

impl Module for K8s {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let objects = self.objects(ctx)?;
        let patch_with = self.patch_with()?;
        let cluster =
            connect(self.kubeconfig.as_ref(), self.context.as_deref(), self.validate_certs).map_err(fail)?;
        let mut targets: Vec<Target> = Vec::new();
        for mut obj in objects {
            let (api_version, kind, name) = definition::identity(&obj);
            let (api_version, kind, name) = (api_version.to_string(), kind.to_string(), name.to_string());
            let own_ns = obj.get("metadata").and_then(|m| m.get("namespace")).and_then(Value::as_str);
            let guess = own_ns.or(self.namespace.as_deref());
            let (resolved, crd_in_task) =
                match cluster.resolve(&api_version, &kind, &target(&kind, guess, &name)) {
                    Ok(r) => (r, false),
                    Err(e @ KubeError::UnknownKind(_)) => {
                        // A CRD earlier in this task defines the kind: discovery cannot know it yet.
                        let from_task =
                            targets.iter().find_map(|t| Resolved::from_crd(&t.desired, &api_version, &kind));
                        (from_task.ok_or_else(|| fail(e))?, true)
                    }
                    Err(e) => return Err(fail(e)),
                };
            let namespace = definition::place(
                &mut obj,
                resolved.namespaced,
                self.namespace.as_deref(),
                &cluster.default_namespace,
            );
            let oref = ObjectRef { cluster: cluster.clone(), resolved, namespace, name };
            targets.push(Target { oref, desired: Value::Object(obj), crd_in_task });
        }
        let mut waiting = self.waiting()?;
        // Unchanged objects are still waited for (a re-run after a timeout must not report ok
        // on an unready Deployment), except in check mode, where nothing waits.
        waiting.when_unchanged = !ctx.vars.get_attr("ansible_check_mode").is_ok_and(|v| v.is_true());
        match self.state {
            State::Present => k8s_plan::present(targets, self.apply_opts(), waiting),
            State::Absent => k8s_plan::absent(targets, waiting),
            State::Patched => k8s_plan::patched(targets, self.apply_opts(), &patch_with, waiting),
        }
        .map_err(fail)
    }
}

impl K8s {
    /// How `state: patched` changes objects (checks `merge_type` whatever the state).
    fn patch_with(&self) -> Result<PatchWith, ModuleError> {
        let types = merge_types(self.merge_type.as_ref())?;
        Ok(if self.apply { PatchWith::Apply } else { PatchWith::Patch(types) })
    }

    fn apply_opts(&self) -> ApplyOpts {
        let ssa = self.server_side_apply.as_ref();
        ApplyOpts {
            field_manager: ssa.and_then(|s| s.field_manager.clone()).unwrap_or_else(|| FIELD_MANAGER.into()),
            force: self.force || ssa.is_some_and(|s| s.force_conflicts),
        }
    }

    fn waiting(&self) -> Result<Waiting, ModuleError> {
        if self.wait_timeout < 0 || self.wait_sleep < 0 {
            return Err(ModuleError::msg("wait_timeout and wait_sleep must not be negative"));
        }
        Ok(Waiting {
            enabled: self.wait,
            timeout: Duration::from_secs(self.wait_timeout.unsigned_abs()),
            max_sleep: Duration::from_secs(self.wait_sleep.unsigned_abs()),
            condition: self.wait_condition.clone(),
            when_unchanged: false,
        })
    }

    /// The objects to manage, with `kind`/`api_version`/`name` filled in from parameters.
    fn objects(&self, ctx: &Ctx) -> Result<Vec<Map>, ModuleError> {
        let defaults = Defaults {
            kind: self.kind.as_deref(),
            api_version: Some(self.api_version.as_deref().unwrap_or("v1")),
            name: self.name.as_deref(),
        };
        let given = [self.definition.is_some(), self.src.is_some(), self.template.is_some()];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(ModuleError::msg("parameters are mutually exclusive: definition|src|template"));
        }
        let source = match (&self.definition, &self.src, &self.template) {
            (Some(d), _, _) => d.clone(),
            (_, Some(src), _) => Value::String(read_src(ctx, src)?),
            (_, _, Some(t)) => Value::String(render_templates(ctx, t)?),
            _ if self.state == State::Absent && self.kind.is_some() && self.name.is_some() => {
                return definition::from_params(&defaults)
                    .map(|o| vec![o])
                    .map_err(|e| ModuleError::msg(e.to_string()));
            }
            _ => {
                return Err(ModuleError::msg(
                    "one of definition, src or template is required (or kind and name with state: absent)",
                ));
            }
        };
        definition::objects(&source, &defaults).map_err(|e| ModuleError::msg(e.to_string()))
    }
}

/// `merge_type:` (a name or a list of names) as patch types to try in order.
fn merge_types(v: Option<&Value>) -> Result<Vec<MergeType>, ModuleError> {
    let names: Vec<&Value> = match v {
        None | Some(Value::Null) => return Ok(vec![MergeType::StrategicMerge, MergeType::Merge]),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    let types = names
        .into_iter()
        .map(|n| match n.as_str() {
            Some("merge") => Ok(MergeType::Merge),
            Some("strategic-merge") => Ok(MergeType::StrategicMerge),
            Some("json") => Err(ModuleError::msg(
                "merge_type json (a JSON patch) is not supported: use merge or strategic-merge",
            )),
            _ => Err(ModuleError::msg(format!(
                "merge_type must be merge or strategic-merge (or a list of them), not {n}"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if types.is_empty() {
        return Err(ModuleError::msg("merge_type must name at least one patch type"));
    }
    Ok(types)
}

fn read_file(path: &std::path::Path) -> Result<String, ModuleError> {
    std::fs::read_to_string(path).map_err(|e| ModuleError::msg(format!("{}: {e}", path.display())))
}

fn read_src(ctx: &Ctx, src: &str) -> Result<String, ModuleError> {
    let path = ctx
        .search
        .find("files", src)
        .ok_or_else(|| ModuleError::msg(format!("Could not find or access '{src}'")))?;
    read_file(&path)
}

/// Renders each template and joins the results as one multi-document YAML text.
fn render_templates(ctx: &Ctx, spec: &Value) -> Result<String, ModuleError> {
    let entries = match spec {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let mut docs = Vec::new();
    for entry in entries {
        let path = match entry {
            Value::String(p) => p.as_str(),
            Value::Object(m) => {
                match (m.get("path").and_then(Value::as_str), m.keys().find(|k| *k != "path")) {
                    (Some(p), None) => p,
                    (_, Some(other)) => {
                        return Err(ModuleError::msg(format!(
                            "template: only `path` is supported, not `{other}`"
                        )));
                    }
                    (None, None) => return Err(ModuleError::msg("template: `path` is required")),
                }
            }
            other => {
                return Err(ModuleError::msg(format!(
                    "template must be a path or {{path: ...}}, not {other}"
                )));
            }
        };
        let file = ctx
            .search
            .find("templates", path)
            .ok_or_else(|| ModuleError::msg(format!("Could not find or access '{path}'")))?;
        let text = read_file(&file)?;
        let rendered = ctx.templar.render_str(&text, ctx.vars).map_err(|e| {
            hearth_template::TemplateError { message: format!("{}: {}", file.display(), e.message) }
        })?;
        docs.push(rendered);
    }
    Ok(docs.join("\n---\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubernetes_core_names_resolve_to_the_k8s_modules_only() {
        assert_eq!(crate::registry::lookup("kubernetes.core.k8s").map(|s| s.name), Some("k8s"));
        assert_eq!(crate::registry::lookup("kubernetes.core.k8s_info").map(|s| s.name), Some("k8s_info"));
        assert!(crate::registry::lookup("kubernetes.core.copy").is_none());
    }

    #[test]
    fn merge_types_default_to_strategic_then_merge_and_refuse_json() {
        use MergeType::*;
        assert_eq!(merge_types(None).unwrap(), [StrategicMerge, Merge]);
        assert_eq!(merge_types(Some(&json!("merge"))).unwrap(), [Merge]);
        assert_eq!(merge_types(Some(&json!(["merge", "strategic-merge"]))).unwrap(), [Merge, StrategicMerge]);
        assert!(merge_types(Some(&json!("json"))).unwrap_err().to_string().contains("not supported"));
        assert!(merge_types(Some(&json!("bogus"))).unwrap_err().to_string().contains("not \"bogus\""));
        assert!(merge_types(Some(&json!([]))).is_err());
        let p: K8s =
            serde_json::from_value(json!({"state": "patched", "apply": true, "definition": {}})).unwrap();
        assert!(matches!(p.patch_with().unwrap(), PatchWith::Apply));
        let p: K8s = serde_json::from_value(json!({"state": "present", "merge_type": "json"})).unwrap();
        assert!(p.patch_with().is_err());
    }

    #[test]
    fn parameters_take_ansible_forms_and_defaults() {
        let p: K8s = serde_json::from_value(json!({"state": "absent", "kind": "Secret", "name": "s",
            "verify_ssl": "no", "wait": "yes", "wait_timeout": "30",
            "wait_condition": {"type": "Available"},
            "server_side_apply": {"field_manager": "ci", "force_conflicts": true}}))
        .unwrap();
        assert_eq!(
            (p.state, p.validate_certs, p.wait, p.wait_timeout, p.wait_sleep),
            (State::Absent, Some(false), true, 30, 5)
        );
        let opts = p.apply_opts();
        assert_eq!((opts.field_manager.as_str(), opts.force), ("ci", true));
        assert_eq!(p.waiting().unwrap().condition.unwrap().status, "True");
        let d: K8s = serde_json::from_value(json!({"definition": {}})).unwrap();
        assert_eq!(
            (d.apply_opts().field_manager.as_str(), d.apply_opts().force, d.wait_timeout),
            ("hearth", false, 120)
        );
        assert!(serde_json::from_value::<K8s>(json!({"state": "replaced"})).is_err());
        assert!(serde_json::from_value::<K8s>(json!({"wait_condition": {"typo": "x"}})).is_err());
    }
}
