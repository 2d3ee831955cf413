//! `module_defaults:` on plays, blocks and tasks: arguments a module gets unless the task sets
//! them. Keys are module names, bare or fully qualified (`ansible.builtin.apt`, the same
//! module); an inner level's entry for a module replaces the outer one's whole, and the task's
//! own arguments win over it, as in Ansible. Applied when the playbook loads, as the keywords
//! are pushed down into the tasks.

use super::error::LoadError;
use hearth_formats::value::{Map, Value};
use hearth_formats::yaml::Node;
use hearth_modules::{self as modules, Spec};

/// Reads a `module_defaults:` mapping of module names to argument mappings.
pub fn parse(node: &Node) -> Result<Map, LoadError> {
    let Value::Object(given) = node.to_value() else {
        return Err(LoadError::at(
            &node.pos,
            "module_defaults must be a mapping of module names to arguments",
        ));
    };
    let mut map = Map::new();
    for (name, args) in given {
        if name.starts_with("group/") {
            return Err(LoadError::at(
                &node.pos,
                format!(
                    "module_defaults: action groups ('{name}') are not supported by hearth; name the modules"
                ),
            ));
        }
        let Some(spec) = modules::lookup(&name) else {
            return Err(LoadError::at(&node.pos, format!("module_defaults: unknown module '{name}'")));
        };
        if !args.is_object() {
            return Err(LoadError::at(&node.pos, format!("module_defaults: '{name}' must map to arguments")));
        }
        // One key per module: `file` and `ansible.builtin.file` are the same entry.
        map.insert(spec.name.to_string(), args);
    }
    Ok(map)
}

/// Adds the outer level's defaults to an inner level's: an inner entry for a module replaces
/// the outer one.
pub fn inherit(inner: &mut Map, outer: &Map) {
    for (module, args) in outer {
        inner.entry(module.clone()).or_insert_with(|| args.clone());
    }
}

/// Gives a module task the defaults for its module that its own arguments do not set.
pub fn apply(spec: &Spec, args: &mut Value, defaults: &Map) {
    if let Some(Value::Object(extra)) = defaults.get(spec.name) {
        if args.is_null() {
            *args = Value::Object(Map::new());
        }
        let Value::Object(mine) = args else { return };
        for (k, v) in extra {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn inner_levels_and_the_task_win() {
        let mut inner = obj(json!({"file": {"mode": "0600"}}));
        inherit(
            &mut inner,
            &obj(json!({"file": {"mode": "0644", "owner": "root"}, "copy": {"force": false}})),
        );
        assert_eq!(Value::Object(inner.clone()), json!({"file": {"mode": "0600"}, "copy": {"force": false}}));
        let spec = modules::lookup("file").unwrap();
        let mut args = json!({"path": "/x", "mode": "0755"});
        apply(spec, &mut args, &inner);
        assert_eq!(args, json!({"path": "/x", "mode": "0755"}));
    }

    #[test]
    fn keys_are_one_per_module() {
        let node = hearth_formats::yaml::parse_str(
            "ansible.builtin.file: {mode: '0700'}\n",
            std::path::Path::new("p.yml"),
        )
        .unwrap();
        assert_eq!(Value::Object(parse(&node).unwrap()), json!({"file": {"mode": "0700"}}));
    }

    #[test]
    fn fully_qualified_names_match_the_module() {
        let defaults = obj(json!({"file": {"mode": "0700"}}));
        let mut args = json!({"path": "/x"});
        apply(modules::lookup("file").unwrap(), &mut args, &defaults);
        assert_eq!(args["mode"], "0700");
        let mut other = json!({"path": "/x"});
        apply(modules::lookup("stat").unwrap(), &mut other, &defaults);
        assert_eq!(other, json!({"path": "/x"}));
    }
}
