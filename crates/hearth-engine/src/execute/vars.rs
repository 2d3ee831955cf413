//! Variable precedence: builds the template context a task sees on one host, layering sources in
//! Ansible's order (lowest first): role defaults, inventory (group then host vars), play vars,
//! vars_files, role vars, block/task vars, registered results and set_fact, extra vars — plus
//! the magic variables (`inventory_hostname`, `hostvars`, `groups`, ...).

use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, Value as JValue};

use crate::load::role::Role;
use hearth_formats::value::{Map, Value};

/// One host's variables that other hosts can see through `hostvars`.
#[derive(Debug, Clone, Default)]
pub struct HostLayers {
    /// Merged inventory variables (group vars, then host vars).
    pub inventory: Arc<Map>,
    /// Registered results, `set_fact` and `include_vars` variables.
    pub facts: Arc<Map>,
    /// Facts from `setup`/"Gathering Facts" and fact modules (`getent`), as named in the
    /// module's `ansible_facts` (`ansible_distribution`, `getent_passwd`): variables just above
    /// the inventory, like Ansible's host facts, and `ansible_facts` without the prefix.
    pub gathered: Arc<Map>,
}

/// `hostvars`: every host's variables, converted lazily when a template asks for one host.
#[derive(Debug)]
pub struct HostVars {
    /// Per host, in inventory order.
    pub hosts: IndexMap<String, HostLayers>,
    /// Play-wide layers (play vars, vars_files, extra vars) that every host sees.
    pub play: Arc<Map>,
}

impl Object for HostVars {
    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        let layers = self.hosts.get(key.as_str()?)?;
        let mut merged = (*layers.inventory).clone();
        merged.extend(layers.gathered.iter().map(|(k, v)| (k.clone(), v.clone())));
        merged.extend(self.play.iter().map(|(k, v)| (k.clone(), v.clone())));
        merged.extend(layers.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
        merged.insert("ansible_facts".into(), Value::Object(ansible_facts(layers)));
        merged.insert("inventory_hostname".into(), Value::String(key.as_str()?.to_string()));
        Some(JValue::from(minijinja::value::Serde(merged)))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.hosts.keys().map(|k| JValue::from(k.as_str())).collect())
    }
}

/// The play-level layers, computed once per play.
#[derive(Debug, Clone, Default)]
pub struct PlayLayers {
    /// Defaults of every role in the play.
    pub role_defaults: Map,
    /// `vars:` of the play.
    pub play_vars: Map,
    /// Contents of `vars_files:`.
    pub vars_files: Map,
    /// `vars/main.yml` of every role in the play.
    pub role_vars: Map,
    /// `-e` extra vars.
    pub extra_vars: Map,
    /// Magic variables shared by all hosts (groups, playbook_dir, check mode, play hosts...).
    pub magic: Map,
}

impl PlayLayers {
    /// Merges every role's defaults and vars of the play, in role order.
    pub fn add_roles(&mut self, roles: &[Arc<Role>]) {
        for r in roles {
            extend(&mut self.role_defaults, &r.defaults);
            extend(&mut self.role_vars, &r.vars);
        }
    }

    /// The layers that `hostvars[other]` shows besides the other host's own variables.
    pub fn shared(&self) -> Map {
        let mut m = self.play_vars.clone();
        extend(&mut m, &self.vars_files);
        extend(&mut m, &self.extra_vars);
        m
    }
}

fn extend(into: &mut Map, from: &Map) {
    into.extend(from.iter().map(|(k, v)| (k.clone(), v.clone())));
}

/// Everything that differs per host and task.
pub struct TaskScope<'a> {
    /// The host's inventory name.
    pub host: &'a str,
    /// The host's layers.
    pub layers: &'a HostLayers,
    /// The task's role, if any (its defaults/vars win over other roles').
    pub role: Option<&'a Role>,
    /// Block and task `vars:`.
    pub task_vars: &'a Map,
    /// Role parameters.
    pub params: &'a Map,
    /// Loop variables (`item`, `index_var`), highest before extra vars.
    pub loop_vars: Option<&'a Map>,
}

/// Builds the merged variable map for one host and task (without `hostvars`).
pub fn task_vars(play: &PlayLayers, scope: &TaskScope) -> Map {
    let mut m = play.role_defaults.clone();
    if let Some(r) = scope.role {
        extend(&mut m, &r.defaults);
    }
    extend(&mut m, &scope.layers.inventory);
    extend(&mut m, &scope.layers.gathered);
    extend(&mut m, &play.play_vars);
    extend(&mut m, &play.vars_files);
    extend(&mut m, &play.role_vars);
    if let Some(r) = scope.role {
        extend(&mut m, &r.vars);
        m.insert("role_path".into(), Value::String(r.path.display().to_string()));
        m.insert("role_name".into(), Value::String(r.name.clone()));
    }
    extend(&mut m, scope.task_vars);
    extend(&mut m, &scope.layers.facts);
    extend(&mut m, scope.params);
    if let Some(l) = scope.loop_vars {
        extend(&mut m, l);
    }
    extend(&mut m, &play.extra_vars);
    extend(&mut m, &play.magic);
    m.insert("inventory_hostname".into(), Value::String(scope.host.to_string()));
    let short = scope.host.split('.').next().unwrap_or(scope.host);
    m.insert("inventory_hostname_short".into(), Value::String(short.to_string()));
    m.insert("ansible_facts".into(), Value::Object(ansible_facts(scope.layers)));
    m
}

/// `ansible_facts`: gathered facts without the `ansible_` prefix (Ansible's namespace_facts),
/// and `ansible_*` variables set with `set_fact`, also without it.
fn ansible_facts(layers: &HostLayers) -> Map {
    let strip =
        |k: &str| k.strip_prefix("ansible_").filter(|_| k != "ansible_local").unwrap_or(k).to_string();
    let mut m: Map = layers.gathered.iter().map(|(k, v)| (strip(k), v.clone())).collect();
    m.extend(
        layers
            .facts
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("ansible_").map(|s| (s.to_string(), v.clone()))),
    );
    m
}

/// The template context: merged variables plus the lazy `hostvars` object.
pub fn context(vars: &Map, hostvars: &Arc<HostVars>) -> JValue {
    minijinja::context! {
        hostvars => JValue::from_dyn_object(hostvars.clone()),
        ..JValue::from(minijinja::value::Serde(vars))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn precedence_order() {
        let play = PlayLayers {
            role_defaults: map(
                json!({"a": "default", "b": "default", "c": "default", "d": "default", "e": "default"}),
            ),
            play_vars: map(json!({"b": "play", "c": "play", "d": "play", "e": "play"})),
            vars_files: map(json!({"c": "file"})),
            role_vars: map(json!({"d": "rolevars"})),
            extra_vars: map(json!({"e": "extra"})),
            magic: Map::new(),
        };
        let layers = HostLayers {
            inventory: Arc::new(map(json!({"a": "inventory", "b": "inventory"}))),
            facts: Arc::new(map(json!({"d": "fact"}))),
            gathered: Arc::new(map(json!({"ansible_os_family": "Debian", "b": "gathered"}))),
        };
        let scope = TaskScope {
            host: "h1.example",
            layers: &layers,
            role: None,
            task_vars: &Map::new(),
            params: &map(json!({"e": "param"})),
            loop_vars: None,
        };
        let m = task_vars(&play, &scope);
        assert_eq!(m["a"], "inventory");
        assert_eq!(m["b"], "play");
        assert_eq!(m["c"], "file");
        assert_eq!(m["d"], "fact", "set_fact/register beat role vars, as in Ansible");
        assert_eq!(m["e"], "extra", "extra vars beat role params");
        assert_eq!(m["inventory_hostname_short"], "h1");
        assert_eq!(m["ansible_os_family"], "Debian");
        assert_eq!(m["ansible_facts"]["os_family"], "Debian", "gathered facts also without the prefix");
    }

    #[test]
    fn hostvars_are_lazy_and_merged() {
        let mut hosts = IndexMap::new();
        hosts.insert(
            "web".to_string(),
            HostLayers {
                inventory: Arc::new(map(json!({"port": 80}))),
                facts: Arc::new(map(json!({"x": 1}))),
                gathered: Arc::new(Map::new()),
            },
        );
        let hv = Arc::new(HostVars { hosts, play: Arc::new(Map::new()) });
        let ctx = context(&Map::new(), &hv);
        let env = minijinja::Environment::new();
        let out = env.render_str("{{ hostvars['web'].port }}-{{ hostvars.web.x }}", ctx).unwrap();
        assert_eq!(out, "80-1");
    }
}
