//! `validate_argument_spec`: checks variables against an argument spec, as the task Ansible
//! puts at the start of a role with `meta/argument_specs.yml` does ("Validating arguments
//! against arg spec 'main'"). Values are checked, not converted (Ansible leaves the role's
//! variables as they were); the messages are Ansible's, Python type names included.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};

/// Parameters of `validate_argument_spec`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateArgumentSpec {
    /// The options: name → `{type, required, choices, elements, options, default, ...}`.
    pub argument_spec: Map,
    /// The values to check; without it, the task's variables of those names.
    pub provided_arguments: Option<Map>,
    /// Where the spec comes from (set on the role's validation task), echoed in the result.
    pub validate_args_context: Option<Map>,
    /// The role's parameters (keys of its `roles:` entry), checked for unknown names too.
    #[serde(rename = "_role_params", default)]
    pub role_params: Vec<String>,
}

impl Module for ValidateArgumentSpec {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let provided = match &self.provided_arguments {
            Some(p) => p.clone(),
            None => from_vars(self.argument_spec.keys().chain(&self.role_params), ctx)?,
        };
        let errors = validate(&self.argument_spec, &provided, None);
        let context = Value::Object(self.validate_args_context.clone().unwrap_or_default());
        if errors.is_empty() {
            return Ok(Plan::ok("The arg spec validation passed")
                .with("msg", "The arg spec validation passed")
                .with("validate_args_context", context));
        }
        let mut result = Map::new();
        result.insert("argument_errors".into(), Value::from(errors.clone()));
        result.insert("argument_spec_data".into(), Value::Object(self.argument_spec.clone()));
        result.insert("validate_args_context".into(), context);
        Err(ModuleError::Failed {
            msg: format!("Validation of arguments failed:\n{}", errors.join("\n")),
            result,
        })
    }
}

/// The task's variables of these names, templated.
fn from_vars<'a>(names: impl Iterator<Item = &'a String>, ctx: &Ctx) -> Result<Map, ModuleError> {
    let mut out = Map::new();
    for name in names {
        let Ok(v) = ctx.vars.get_attr(name) else { continue };
        if v.is_undefined() {
            continue;
        }
        let raw = serde_json::to_value(&v).unwrap_or(Value::Null);
        out.insert(name.clone(), ctx.templar.render_value(&raw, ctx.vars)?);
    }
    Ok(out)
}

/// Every error of `provided` against `spec`, in Ansible's order: missing required options,
/// types, choices, sub-options, then unknown options. `parent` names the enclosing option for sub-options.
pub fn validate(spec: &Map, provided: &Map, parent: Option<&str>) -> Vec<String> {
    let mut errors = Vec::new();
    let found_in = parent.map(|p| format!(" found in {p}")).unwrap_or_default();
    let mut missing: Vec<&str> = spec
        .iter()
        .filter(|(k, o)| {
            option(o, "required").and_then(Value::as_bool) == Some(true) && !provided.contains_key(*k)
        })
        .map(|(k, _)| k.as_str())
        .collect();
    missing.sort_unstable();
    if !missing.is_empty() {
        errors.push(format!("missing required arguments: {}{found_in}", missing.join(", ")));
    }
    for (name, opts) in spec {
        if let Some(v) = provided.get(name) {
            errors.extend(type_errors(name, opts, v));
        }
    }
    for (name, opts) in spec {
        if let Some(v) = provided.get(name) {
            errors.extend(choice_error(name, opts, v));
        }
    }
    for (name, opts) in spec {
        if let (Some(Value::Object(sub)), Some(v)) = (option(opts, "options"), provided.get(name)) {
            errors.extend(sub_errors(name, sub, v));
        }
    }
    let mut unknown: Vec<&String> = provided.keys().filter(|k| !spec.contains_key(*k)).collect();
    if !unknown.is_empty() {
        unknown.sort();
        let names: Vec<String> = match parent {
            Some(p) => unknown.iter().map(|k| format!("{p}.{k}")).collect(),
            None => unknown.iter().map(|k| k.to_string()).collect(),
        };
        let mut supported: Vec<&str> = spec.keys().map(String::as_str).collect();
        supported.sort_unstable();
        errors.push(format!("{}. Supported parameters include: {}.", names.join(", "), supported.join(", ")));
    }
    errors
}

fn option<'a>(opts: &'a Value, key: &str) -> Option<&'a Value> {
    opts.as_object().and_then(|o| o.get(key))
}

/// The declared type (`str` when none is given, as in Ansible).
fn declared(opts: &Value, key: &str) -> String {
    option(opts, key).and_then(Value::as_str).unwrap_or("str").to_string()
}

/// The type error of one option, then those of its list elements.
fn type_errors(name: &str, opts: &Value, v: &Value) -> Vec<String> {
    let ty = declared(opts, "type");
    if let Err(why) = convertible(&ty, v) {
        let mut out = Vec::new();
        if ty == "dict" && v.is_string() {
            out.push(why.clone());
        }
        out.push(format!(
            "argument '{name}' is of type {} and we were unable to convert to {ty}: {why}",
            py_type(v)
        ));
        return out;
    }
    let Some(elements) = option(opts, "elements").and_then(Value::as_str) else { return Vec::new() };
    let Value::Array(items) = v else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            convertible(elements, item).err().map(|why| {
                format!(
                    "Elements value for option '{name}' is of type {} and we were unable to convert to {elements}: {why}",
                    py_type(item)
                )
            })
        })
        .collect()
}

/// Whether Ansible's type check for `ty` accepts `v`, or its message.
fn convertible(ty: &str, v: &Value) -> Result<(), String> {
    let cannot = |what: &str| Err(format!("\"{}\" cannot be converted to {what}", py_repr(v)));
    match (ty, v) {
        ("int", Value::Number(n))
            if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) =>
        {
            Ok(())
        }
        ("int", Value::Bool(_)) => Ok(()),
        ("int", Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(()),
        ("int", _) => cannot("an int"),
        ("float", Value::Number(_) | Value::Bool(_)) => Ok(()),
        ("float", Value::String(s)) if s.trim().parse::<f64>().is_ok() => Ok(()),
        ("float", _) => cannot("a float"),
        ("bool", Value::Bool(_)) => Ok(()),
        ("bool", Value::Number(n)) if n.as_i64().is_some_and(|i| i == 0 || i == 1) => Ok(()),
        ("bool", Value::String(s)) if BOOLEANS.contains(&s.to_lowercase().as_str()) => Ok(()),
        ("bool", _) => Err(format!(
            "The value {} is not a valid boolean.  Valid booleans include: 0, 't', 1, 'on', 'true', 'f', 'y', 'yes', 'no', 'off', 'n', 'false', '1', '0'",
            py_repr(v)
        )),
        ("list", Value::Array(_) | Value::String(_) | Value::Number(_)) => Ok(()),
        ("list", _) => cannot("a list"),
        ("dict", Value::Object(_)) => Ok(()),
        ("dict", Value::String(s)) if dict_string(s) => Ok(()),
        ("dict", Value::String(_)) => Err("dictionary requested, could not parse JSON or key=value".into()),
        ("dict", _) => Err(format!("{} cannot be converted to a dict", py_type(v))),
        _ => Ok(()),
    }
}

/// Strings Ansible's `boolean()` accepts.
const BOOLEANS: &[&str] = &["yes", "on", "1", "true", "t", "y", "no", "off", "0", "false", "f", "n"];

/// A string Ansible reads as a dict: a JSON object, or `key=value` pairs.
fn dict_string(s: &str) -> bool {
    let t = s.trim();
    if t.starts_with('{') {
        return serde_json::from_str::<Map>(t).is_ok();
    }
    !t.is_empty() && t.split_whitespace().all(|w| w.contains('='))
}

fn choice_error(name: &str, opts: &Value, v: &Value) -> Option<String> {
    let Some(Value::Array(choices)) = option(opts, "choices") else { return None };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => py_str(other),
    };
    let allowed: Vec<String> = choices.iter().map(text).collect();
    if let Value::Array(items) = v {
        let bad: Vec<String> = items.iter().map(text).filter(|i| !allowed.contains(i)).collect();
        return (!bad.is_empty()).then(|| {
            format!(
                "value of {name} must be one or more of: {}. Got no match for: {}",
                allowed.join(", "),
                bad.join(", ")
            )
        });
    }
    let got = text(v);
    (!allowed.contains(&got))
        .then(|| format!("value of {name} must be one of: {}, got: {got}", allowed.join(", ")))
}

/// Sub-options of a dict option (or of each dict in a list of dicts).
fn sub_errors(name: &str, sub: &Map, v: &Value) -> Vec<String> {
    match v {
        Value::Object(m) => validate(sub, m, Some(name)),
        Value::Array(items) => items
            .iter()
            .flat_map(|i| match i {
                Value::Object(m) => validate(sub, m, Some(name)),
                _ => vec![format!("value of '{name}' must be of type dict or list of dicts")],
            })
            .collect(),
        _ => vec![format!("value of '{name}' must be of type dict or list of dicts")],
    }
}

/// Python's class of a value as Ansible loaded it from YAML.
fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<class 'NoneType'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_f64() => "<class 'float'>",
        Value::Number(_) => "<class 'int'>",
        Value::String(_) => "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
    }
}

/// Python's `repr()` of a scalar (strings quoted), as Ansible's messages show it.
fn py_repr(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        other => py_str(other),
    }
}

fn py_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Map {
        let v = json!({
            "r_port": {"type": "int", "required": true},
            "r_mode": {"type": "str", "choices": ["a", "b"], "default": "a"},
            "r_list": {"type": "list", "elements": "int"},
            "r_flag": {"type": "bool"},
            "r_user": {"type": "dict", "options": {"name": {"type": "str", "required": true}, "uid": {"type": "int"}}}
        });
        v.as_object().cloned().unwrap()
    }

    fn check(provided: Value) -> Vec<String> {
        validate(&spec(), provided.as_object().unwrap(), None)
    }

    #[test]
    fn valid_values_pass_without_conversion() {
        assert!(
            check(json!({"r_port": "8080", "r_flag": "yes", "r_list": [1, "2"], "r_user": {"name": "x"}}))
                .is_empty()
        );
    }

    #[test]
    fn missing_required_and_wrong_types_read_as_ansible() {
        assert_eq!(check(json!({})), vec!["missing required arguments: r_port"]);
        assert_eq!(
            check(json!({"r_port": "notanint", "r_mode": "c"})),
            vec![
                "argument 'r_port' is of type <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> and we were unable to convert to int: \"'notanint'\" cannot be converted to an int",
                "value of r_mode must be one of: a, b, got: c",
            ]
        );
    }

    #[test]
    fn elements_booleans_and_sub_options() {
        let errors = check(
            json!({"r_port": 1, "r_list": [1, "x"], "r_flag": "maybe", "r_user": {"uid": 5, "extra": 1}}),
        );
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors[0].starts_with("Elements value for option 'r_list' is of type <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> and we were unable to convert to int: \"'x'\""));
        assert!(
            errors[1]
                .contains("The value 'maybe' is not a valid boolean.  Valid booleans include: 0, 't', 1,")
        );
        assert_eq!(errors[2], "missing required arguments: name found in r_user");
        assert_eq!(errors[3], "r_user.extra. Supported parameters include: name, uid.");
    }

    #[test]
    fn a_string_that_is_no_dict() {
        let errors = check(json!({"r_port": 1, "r_user": "notadict", "r_mode": 3}));
        assert_eq!(
            errors,
            vec![
                "dictionary requested, could not parse JSON or key=value",
                "argument 'r_user' is of type <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value",
                "value of r_mode must be one of: a, b, got: 3",
                "value of 'r_user' must be of type dict or list of dicts",
            ]
        );
    }
}
