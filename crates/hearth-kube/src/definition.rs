//! Turning what a user wrote (`definition:` as a mapping, a list or a multi-document YAML string;
//! the text of `src:` or a rendered `template:`) into the list of objects to manage, with the
//! module's `kind`/`api_version`/`name` filled in where a document leaves them out, and the
//! namespace placed once the object's scope is known. Pure: no API calls, no file reading.

use hearth_formats::value::{Map, Value};

/// A definition that cannot describe Kubernetes objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DefinitionError(pub String);

/// Values from the module's parameters used where a document does not set its own.
#[derive(Debug, Clone, Default)]
pub struct Defaults<'a> {
    /// `kind:`.
    pub kind: Option<&'a str>,
    /// `api_version:`.
    pub api_version: Option<&'a str>,
    /// `name:`.
    pub name: Option<&'a str>,
}

/// Parses multi-document YAML text (`---` separated); empty documents are skipped.
pub fn parse_yaml_documents(text: &str) -> Result<Vec<Value>, DefinitionError> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text)
        .map_err(|e| DefinitionError(format!("the definition is not valid YAML: {e}")))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Flattens a definition value into object mappings: a string is YAML text, a list is one
/// object per item, a `kind: List` (or `…List` with `items`) contributes its items.
pub fn objects(definition: &Value, defaults: &Defaults) -> Result<Vec<Map>, DefinitionError> {
    let mut raw = Vec::new();
    flatten(definition, &mut raw)?;
    if raw.is_empty() {
        return Err(DefinitionError("the definition contains no object".into()));
    }
    raw.into_iter().enumerate().map(|(i, m)| complete(m, defaults, i + 1)).collect()
}

/// An object built only from `kind`, `api_version`, `name` (state absent without a definition).
pub fn from_params(defaults: &Defaults) -> Result<Map, DefinitionError> {
    complete(Map::new(), defaults, 1)
}

fn flatten(v: &Value, out: &mut Vec<Map>) -> Result<(), DefinitionError> {
    match v {
        Value::Null => Ok(()),
        Value::String(text) => parse_yaml_documents(text)?.iter().try_for_each(|d| flatten(d, out)),
        Value::Array(items) => items.iter().try_for_each(|d| flatten(d, out)),
        Value::Object(m) => {
            let is_list = m.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"));
            match m.get("items") {
                Some(items @ Value::Array(_)) if is_list => flatten(items, out),
                _ => {
                    out.push(m.clone());
                    Ok(())
                }
            }
        }
        other => Err(DefinitionError(format!(
            "a definition must be a mapping, a list of mappings or YAML text, not {}",
            type_name(other)
        ))),
    }
}

fn complete(mut m: Map, d: &Defaults, index: usize) -> Result<Map, DefinitionError> {
    let missing = |what: &str| DefinitionError(format!("definition document {index}: {what}"));
    fill(&mut m, "kind", d.kind);
    fill(&mut m, "apiVersion", d.api_version);
    let meta = m.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(meta) = meta else { return Err(missing("metadata must be a mapping")) };
    fill(meta, "name", d.name);
    let name_ok = meta.get("name").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    for key in ["kind", "apiVersion"] {
        if m.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(missing(&format!("no {key} (set it in the document or as a module parameter)")));
        }
    }
    if !name_ok {
        return Err(missing("no metadata.name (set it in the document or with `name:`)"));
    }
    Ok(m)
}

fn fill(m: &mut Map, key: &str, value: Option<&str>) {
    if let Some(v) = value
        && m.get(key).is_none_or(Value::is_null)
    {
        m.insert(key.into(), Value::String(v.into()));
    }
}

/// Sets or removes `metadata.namespace` by scope: namespaced objects keep their own namespace,
/// else take `param`, else `fallback` (the kubeconfig context's); cluster-scoped objects have
/// none. Returns the namespace used.
pub fn place(obj: &mut Map, namespaced: bool, param: Option<&str>, fallback: &str) -> Option<String> {
    let meta = obj.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(meta) = meta else { return None };
    if !namespaced {
        meta.remove("namespace");
        return None;
    }
    let ns = match meta.get("namespace").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        Some(own) => own.to_string(),
        None => param.unwrap_or(fallback).to_string(),
    };
    meta.insert("namespace".into(), Value::String(ns.clone()));
    Some(ns)
}

/// `kind`, `apiVersion` and `metadata.name` of a completed object (empty when absent).
pub fn identity(obj: &Map) -> (&str, &str, &str) {
    fn s(v: Option<&Value>) -> &str {
        v.and_then(Value::as_str).unwrap_or("")
    }
    let name = obj.get("metadata").and_then(|m| m.get("name"));
    (s(obj.get("apiVersion")), s(obj.get("kind")), s(name))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        _ => "this value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(objs: &[Map]) -> Vec<String> {
        objs.iter().map(|o| format!("{}/{}", identity(o).1, identity(o).2)).collect()
    }

    #[test]
    fn multi_document_text_skips_empty_documents() {
        let text = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\n\
                    apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n";
        let objs = objects(&Value::String(text.into()), &Defaults::default()).unwrap();
        assert_eq!(names(&objs), ["Namespace/a", "Secret/s"]);
    }

    #[test]
    fn lists_and_kind_list_are_flattened() {
        let def = json!([
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}},
            {"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}}]}
        ]);
        assert_eq!(names(&objects(&def, &Defaults::default()).unwrap()), ["ConfigMap/one", "ConfigMap/two"]);
    }

    #[test]
    fn parameters_fill_what_the_document_leaves_out() {
        let d = Defaults { kind: Some("ConfigMap"), api_version: Some("v1"), name: Some("x") };
        let objs = objects(&json!({"data": {"a": "b"}}), &d).unwrap();
        assert_eq!(
            Value::Object(objs[0].clone()),
            json!({
            "data": {"a": "b"}, "kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}})
        );
        let own =
            objects(&json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s"}}), &d).unwrap();
        assert_eq!(identity(&own[0]), ("v1", "Secret", "s"));
        assert_eq!(identity(&from_params(&d).unwrap()), ("v1", "ConfigMap", "x"));
    }

    #[test]
    fn incomplete_or_malformed_definitions_are_one_clear_error() {
        let e = objects(&json!({"kind": "ConfigMap", "metadata": {"name": "x"}}), &Defaults::default());
        assert!(e.unwrap_err().0.contains("document 1: no apiVersion"));
        let e = objects(
            &json!([{"kind": "A", "apiVersion": "v1", "metadata": {"name": "a"}}, {"kind": "B",
            "apiVersion": "v1"}]),
            &Defaults::default(),
        );
        assert!(e.unwrap_err().0.contains("document 2: no metadata.name"));
        assert!(objects(&json!(3), &Defaults::default()).unwrap_err().0.contains("not a number"));
        assert!(objects(&json!("a: [1"), &Defaults::default()).unwrap_err().0.contains("not valid YAML"));
        assert!(objects(&json!("---\n"), &Defaults::default()).unwrap_err().0.contains("no object"));
    }

    #[test]
    fn namespace_placement_follows_scope() {
        let mut obj = json!({"metadata": {"name": "x"}}).as_object().unwrap().clone();
        assert_eq!(place(&mut obj, true, Some("apps"), "default").as_deref(), Some("apps"));
        let mut own = json!({"metadata": {"name": "x", "namespace": "mine"}}).as_object().unwrap().clone();
        assert_eq!(place(&mut own, true, Some("apps"), "default").as_deref(), Some("mine"));
        let mut bare = json!({"metadata": {"name": "x"}}).as_object().unwrap().clone();
        assert_eq!(place(&mut bare, true, None, "ctx-ns").as_deref(), Some("ctx-ns"));
        let mut global = json!({"metadata": {"name": "x", "namespace": "n"}}).as_object().unwrap().clone();
        assert_eq!(place(&mut global, false, Some("apps"), "default"), None);
        assert_eq!(global["metadata"], json!({"name": "x"}));
    }
}
