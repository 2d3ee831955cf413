//! Ansible's data filters: JSON and YAML in and out (byte-for-byte like Python's `json.dumps`
//! and PyYAML), `combine`, `dict2items`/`items2dict`, `flatten` and the set operations.
//! Not here: Python's hash-order of sets (results keep first-seen order), YAML anchors.

use std::path::Path;

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filter_support::{filter_error, from_data, to_data};
use super::pyjson::{JsonStyle, dumps};
use hearth_formats::pyyaml::{YamlStyle, dump};
use hearth_formats::value::{Map, Value as Data};

/// Registers the data filters.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("to_json", |v: &Value, k: Kwargs| to_json(v, k).map(text_kept));
    env.add_filter("to_nice_json", |v: &Value, i: Option<usize>, k: Kwargs| {
        to_nice_json(v, i, k).map(text_kept)
    });
    env.add_filter("from_json", from_json);
    env.add_filter("to_yaml", |v: &Value, k: Kwargs| to_yaml(v, k).map(text_kept));
    env.add_filter("to_nice_yaml", |v: &Value, i: Option<usize>, k: Kwargs| {
        to_nice_yaml(v, i, k).map(text_kept)
    });
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("flatten", flatten);
    env.add_filter("intersect", |a: Value, b: Value| set_op(a, b, SetOp::Intersect));
    env.add_filter("difference", |a: Value, b: Value| set_op(a, b, SetOp::Difference));
    env.add_filter("symmetric_difference", |a: Value, b: Value| set_op(a, b, SetOp::Symmetric));
    env.add_filter("union", |a: Value, b: Value| set_op(a, b, SetOp::Union));
}

/// Text that a whole-value template must give back as text even when it looks like a list or
/// mapping: Ansible's `STRING_TYPE_FILTERS` (`to_json`, `to_yaml`, `string`, ...) wrap their
/// result so it skips `literal_eval`. The mark is minijinja's safe-string flag, which nothing
/// else uses (templates never autoescape).
pub fn text_kept(text: String) -> Value {
    Value::from_safe_string(text)
}

fn to_json(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let style = JsonStyle {
        indent: kwargs.get("indent")?,
        sort_keys: kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(false),
        ensure_ascii: kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true),
    };
    kwargs.assert_all_used()?;
    Ok(dumps(&to_data(v)?, &style))
}

fn to_nice_json(v: &Value, indent: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    let style = JsonStyle {
        indent: Some(indent.or(kwargs.get("indent")?).unwrap_or(4)),
        sort_keys: kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true),
        ensure_ascii: kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true),
    };
    kwargs.assert_all_used()?;
    Ok(dumps(&to_data(v)?, &style))
}

fn from_json(s: &str) -> Result<Value, Error> {
    let data: Data = serde_json::from_str(s).map_err(|e| filter_error(format!("from_json: {e}")))?;
    Ok(from_data(data))
}

fn yaml_style(mut style: YamlStyle, kwargs: &Kwargs) -> Result<YamlStyle, Error> {
    if let Some(indent) = kwargs.get("indent")? {
        style.indent = indent;
    }
    if let Some(width) = kwargs.get("width")? {
        style.width = width;
    }
    if let Some(sort) = kwargs.get("sort_keys")? {
        style.sort_keys = sort;
    }
    Ok(style)
}

fn to_yaml(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let mut style = yaml_style(YamlStyle::compact(), &kwargs)?;
    style.flow = kwargs.get("default_flow_style")?;
    kwargs.assert_all_used()?;
    Ok(dump(&to_data(v)?, &style))
}

fn to_nice_yaml(v: &Value, indent: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    let mut style = yaml_style(YamlStyle::nice(), &kwargs)?;
    if let Some(indent) = indent {
        style.indent = indent;
    }
    kwargs.assert_all_used()?;
    Ok(dump(&to_data(v)?, &style))
}

/// `from_yaml`: parses a string (YAML 1.1 booleans like Ansible); other values pass through.
fn from_yaml(v: &Value) -> Result<Value, Error> {
    let Some(text) = v.as_str().filter(|_| v.kind() == ValueKind::String) else { return Ok(v.clone()) };
    let node = hearth_formats::yaml::parse_str(text, Path::new("<from_yaml>"))
        .map_err(|e| filter_error(format!("from_yaml: {e}")))?;
    Ok(from_data(node.to_value()))
}

/// How `combine` merges two lists found under the same key.
#[derive(Clone, Copy)]
enum ListMerge {
    Replace,
    Keep,
    Append,
    Prepend,
    AppendRp,
    PrependRp,
}

/// `combine(*dicts, recursive=False, list_merge='replace')`: later dicts win.
fn combine(first: &Value, rest: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge = match kwargs.get::<Option<&str>>("list_merge")?.unwrap_or("replace") {
        "replace" => ListMerge::Replace,
        "keep" => ListMerge::Keep,
        "append" => ListMerge::Append,
        "prepend" => ListMerge::Prepend,
        "append_rp" => ListMerge::AppendRp,
        "prepend_rp" => ListMerge::PrependRp,
        other => {
            return Err(filter_error(format!(
                "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', \
                 'prepend', 'append_rp' or 'prepend_rp', got '{other}'"
            )));
        }
    };
    kwargs.assert_all_used()?;
    let mut dicts = Vec::new();
    for term in std::iter::once(first).chain(rest.iter()) {
        match to_data(term)? {
            Data::Array(items) => dicts.extend(items),
            other => dicts.push(other),
        }
    }
    let mut maps = Vec::new();
    for d in dicts {
        match d {
            Data::Object(m) => maps.push(m),
            other => {
                return Err(filter_error(format!(
                    "failed to combine variables, expected dicts but got {other}"
                )));
            }
        }
    }
    // Like Ansible: fold from the highest priority (last) dict down.
    let Some(mut result) = maps.pop() else { return Ok(from_data(Data::Object(Map::new()))) };
    while let Some(lower) = maps.pop() {
        result = merge_hash(lower, result, recursive, list_merge);
    }
    Ok(from_data(Data::Object(result)))
}

/// Ansible's `merge_hash(x, y)`: `y` wins; nested dicts merged when `recursive`.
fn merge_hash(x: Map, y: Map, recursive: bool, list_merge: ListMerge) -> Map {
    if x.is_empty() || x == y {
        return y;
    }
    if y.is_empty() {
        return x;
    }
    let mut x = x;
    for (key, y_value) in y {
        let current = x.get_mut(&key).map(std::mem::take);
        let merged = match (current, y_value) {
            (Some(Data::Object(xv)), Data::Object(yv)) if recursive => {
                Data::Object(merge_hash(xv, yv, recursive, list_merge))
            }
            (Some(Data::Array(xv)), Data::Array(yv)) => Data::Array(merge_lists(xv, yv, list_merge)),
            (_, yv) => yv,
        };
        // Inserting an existing key keeps its position, like Python's dict.
        x.insert(key, merged);
    }
    x
}

fn merge_lists(x: Vec<Data>, y: Vec<Data>, how: ListMerge) -> Vec<Data> {
    let not_in_y = |x: Vec<Data>, y: &[Data]| x.into_iter().filter(|v| !y.contains(v)).collect::<Vec<_>>();
    match how {
        ListMerge::Replace => y,
        ListMerge::Keep => x,
        ListMerge::Append => x.into_iter().chain(y).collect(),
        ListMerge::Prepend => y.into_iter().chain(x).collect(),
        ListMerge::AppendRp => not_in_y(x, &y).into_iter().chain(y).collect(),
        ListMerge::PrependRp => {
            let rest = not_in_y(x, &y);
            y.into_iter().chain(rest).collect()
        }
    }
}

/// `dict2items(key_name='key', value_name='value')`.
fn dict2items(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name = kwargs.get::<Option<String>>("key_name")?.unwrap_or_else(|| "key".into());
    let value_name = kwargs.get::<Option<String>>("value_name")?.unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    if v.kind() != ValueKind::Map {
        return Err(filter_error(format!("dict2items requires a dictionary, got {} instead.", v.kind())));
    }
    let mut out = Vec::new();
    for key in v.try_iter()? {
        let value = v.get_item(&key)?;
        out.push(Value::from_pairs([(key_name.as_str(), key), (value_name.as_str(), value)]));
    }
    Ok(Value::from(out))
}

/// `items2dict(key_name='key', value_name='value')` (names may be indexes for lists of pairs).
fn items2dict(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name = kwargs.get::<Option<Value>>("key_name")?.unwrap_or_else(|| Value::from("key"));
    let value_name = kwargs.get::<Option<Value>>("value_name")?.unwrap_or_else(|| Value::from("value"));
    kwargs.assert_all_used()?;
    if !matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) {
        return Err(filter_error(format!("items2dict requires a list, got {} instead.", v.kind())));
    }
    let field = |item: &Value, name: &Value| item.get_item(name).ok().filter(|k| !k.is_undefined());
    let mut pairs = Vec::new();
    for item in v.try_iter()? {
        let (Some(key), Some(value)) = (field(&item, &key_name), field(&item, &value_name)) else {
            return Err(filter_error(format!(
                "items2dict requires each dictionary in the list to contain the keys '{key_name}' and '{value_name}'"
            )));
        };
        pairs.push((key, value));
    }
    Ok(Value::from_pairs(pairs))
}

/// `flatten(levels=None, skip_nulls=True)`: nested lists into one; `None`, `'None'` and
/// `'null'` dropped unless `skip_nulls=False`.
fn flatten(v: &Value, levels: Option<usize>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels = levels.or(kwargs.get("levels")?);
    let skip_nulls = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    flatten_into(v, levels, skip_nulls, &mut out)?;
    Ok(Value::from(out))
}

fn flatten_into(
    v: &Value,
    levels: Option<usize>,
    skip_nulls: bool,
    out: &mut Vec<Value>,
) -> Result<(), Error> {
    for item in v.try_iter()? {
        let is_null = item.is_none() || matches!(item.as_str(), Some("None" | "null"));
        if skip_nulls && is_null {
            continue;
        }
        match (item.kind(), levels) {
            (ValueKind::Seq | ValueKind::Iterable, None) => flatten_into(&item, None, skip_nulls, out)?,
            (ValueKind::Seq | ValueKind::Iterable, Some(n)) if n >= 1 => {
                flatten_into(&item, Some(n - 1), skip_nulls, out)?
            }
            _ => out.push(item),
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum SetOp {
    Intersect,
    Difference,
    Symmetric,
    Union,
}

/// Ansible's set filters, keeping first-seen order and dropping duplicates.
fn set_op(a: Value, b: Value, op: SetOp) -> Result<Value, Error> {
    let a: Vec<Value> = a.try_iter()?.collect();
    let b: Vec<Value> = b.try_iter()?.collect();
    let picked: Vec<Value> = match op {
        SetOp::Intersect => a.iter().filter(|x| b.contains(x)).cloned().collect(),
        SetOp::Difference => a.iter().filter(|x| !b.contains(x)).cloned().collect(),
        SetOp::Symmetric => {
            let only_a = a.iter().filter(|x| !b.contains(x));
            only_a.chain(b.iter().filter(|x| !a.contains(x))).cloned().collect()
        }
        SetOp::Union => a.iter().chain(b.iter()).cloned().collect(),
    };
    let mut out: Vec<Value> = Vec::new();
    for v in picked {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Data) -> Map {
        match v {
            Data::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn merge_hash_like_ansible() {
        let x = obj(json!({"a": {"b": 1, "l": [1, 2]}, "c": 1}));
        let y = obj(json!({"a": {"d": 2, "l": [2, 3]}, "e": 5}));
        let flat = merge_hash(x.clone(), y.clone(), false, ListMerge::Replace);
        assert_eq!(Data::Object(flat), json!({"a": {"d": 2, "l": [2, 3]}, "c": 1, "e": 5}));
        let deep = merge_hash(x.clone(), y.clone(), true, ListMerge::AppendRp);
        assert_eq!(Data::Object(deep), json!({"a": {"b": 1, "l": [1, 2, 3], "d": 2}, "c": 1, "e": 5}));
        let keep_order = merge_hash(x, obj(json!({"a": 0})), false, ListMerge::Replace);
        assert_eq!(keep_order.keys().collect::<Vec<_>>(), ["a", "c"]);
    }
}
