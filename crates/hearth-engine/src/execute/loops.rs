//! The `with_<lookup>` loops: turns a rendered loop value into the list of items the way each
//! Ansible lookup does (`with_items` flattens one level, `with_dict` gives key/value pairs,
//! `with_nested` the cartesian product, ...). Files for `with_fileglob`/`with_first_found` are
//! looked up on the control node. Rendering the templates is the caller's job.

use std::path::{Path, PathBuf};

use hearth_formats::value::{Map, Value};

/// Turns the rendered value of `keyword` (one of `load::keywords::LOOP_KEYWORDS`) into loop
/// items. `dirs` are the control-node search directories (role, task file, playbook) and
/// `subdir` the one Ansible adds for files (`vars` for include_vars, `templates` for template,
/// else `files`).
pub fn items(keyword: &str, v: Value, dirs: &[PathBuf], subdir: &str) -> Result<Vec<Value>, String> {
    let bad = |what: &str, v: &Value| {
        Err(format!(
            "Invalid data passed to '{keyword}', it requires {what}, got this instead: {}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.",
            plain(v)
        ))
    };
    match keyword {
        "with_items" => Ok(match v {
            Value::Array(a) => {
                a.into_iter().flat_map(|i| if let Value::Array(x) = i { x } else { vec![i] }).collect()
            }
            other => vec![other],
        }),
        "with_indexed_items" => {
            let flat = items("with_items", v, dirs, subdir)?;
            Ok(flat.into_iter().enumerate().map(|(i, x)| Value::Array(vec![Value::from(i), x])).collect())
        }
        "with_dict" => match v {
            Value::Object(m) => Ok(m
                .into_iter()
                .map(|(k, v)| {
                    let mut e = Map::new();
                    e.insert("key".into(), Value::String(k));
                    e.insert("value".into(), v);
                    Value::Object(e)
                })
                .collect()),
            other => bad("a dict", &other),
        },
        "with_together" => {
            let lists = lists(v)?;
            let n = lists.iter().map(Vec::len).max().unwrap_or(0);
            Ok((0..n)
                .map(|i| {
                    Value::Array(lists.iter().map(|l| l.get(i).cloned().unwrap_or(Value::Null)).collect())
                })
                .collect())
        }
        "with_nested" | "with_cartesian" => {
            let mut out: Vec<Vec<Value>> = vec![Vec::new()];
            for l in lists(v)? {
                out = out
                    .into_iter()
                    .flat_map(|p| l.iter().map(move |x| [p.clone(), vec![x.clone()]].concat()))
                    .collect();
            }
            Ok(out.into_iter().map(Value::Array).collect())
        }
        "with_subelements" => subelements(v),
        "with_sequence" => sequence(&plain(&v)),
        "with_fileglob" => Ok(fileglob(&strings(&v), dirs)),
        "with_first_found" => first_found(&v, dirs, subdir),
        _ => match v {
            Value::Array(a) => Ok(a),
            other => bad("a list", &other),
        },
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Null => Vec::new(),
        other => vec![plain(other)],
    }
}

/// A list of lists (a single list counts as one list; scalars as one-element lists).
fn lists(v: Value) -> Result<Vec<Vec<Value>>, String> {
    match v {
        Value::Array(a) => {
            Ok(a.into_iter().map(|x| if let Value::Array(l) = x { l } else { vec![x] }).collect())
        }
        other => Err(format!("with_together/with_nested need a list of lists, got {}", plain(&other))),
    }
}

/// `with_subelements: [list, "key"]` (optionally `{skip_missing: true}`): each (element, sub).
fn subelements(v: Value) -> Result<Vec<Value>, String> {
    let Value::Array(terms) = v else {
        return Err("subelements lookup expects a list of two or three items".into());
    };
    let (Some(list), Some(Value::String(key))) = (terms.first(), terms.get(1)) else {
        return Err("subelements lookup expects a list of two or three items, the second a key".into());
    };
    let skip_missing = terms
        .get(2)
        .and_then(|f| f.get("skip_missing"))
        .and_then(hearth_modules::args::parse_bool)
        .unwrap_or(false);
    let elems: Vec<Value> = match list {
        Value::Array(a) => a.clone(),
        Value::Object(m) => m.values().cloned().collect(),
        other => return Err(format!("subelements lookup expects a list, got {}", plain(other))),
    };
    let mut out = Vec::new();
    for e in elems {
        if e.get("skipped").and_then(hearth_modules::args::parse_bool).unwrap_or(false) {
            continue;
        }
        let mut cur = Some(&e);
        for part in key.split('.') {
            cur = cur.and_then(|c| c.get(part));
        }
        // Like Ansible, the element is given without the list it was split on.
        let mut trimmed = e.clone();
        let parts: Vec<&str> = key.split('.').collect();
        let mut parent = Some(&mut trimmed);
        for part in &parts[..parts.len() - 1] {
            parent = parent.and_then(|p| p.get_mut(*part));
        }
        if let (Some(Value::Object(m)), Some(last)) = (parent, parts.last()) {
            m.shift_remove(*last);
        }
        match cur {
            Some(Value::Array(subs)) => {
                out.extend(subs.iter().map(|s| Value::Array(vec![trimmed.clone(), s.clone()])))
            }
            Some(other) => {
                return Err(format!("the key '{key}' should point to a list, got {}", plain(other)));
            }
            None if skip_missing => {}
            None => return Err(format!("could not find '{key}' key in iterated item '{}'", plain(&e))),
        }
    }
    Ok(out)
}

/// `with_sequence`: `start=1 end=5 stride=1 format=%d`, `count=N`, or the `[start-]end[/stride][:format]` form.
pub fn sequence(spec: &str) -> Result<Vec<Value>, String> {
    let (mut start, mut end, mut stride, mut count, mut format) = (1i64, None, 1i64, None, "%d".to_string());
    let num = |s: &str| -> Result<i64, String> {
        let s = s.trim();
        let parsed = if let Some(h) = s.strip_prefix("0x") {
            i64::from_str_radix(h, 16)
        } else if let Some(o) = s.strip_prefix("0o").or_else(|| s.strip_prefix('0').filter(|r| !r.is_empty()))
        {
            i64::from_str_radix(o, 8)
        } else {
            s.parse()
        };
        parsed.map_err(|_| format!("can't parse '{s}' as a number in with_sequence"))
    };
    if spec.contains('=') {
        for (k, v) in spec.split_whitespace().filter_map(|w| w.split_once('=')) {
            match k {
                "start" => start = num(v)?,
                "end" => end = Some(num(v)?),
                "stride" => stride = num(v)?,
                "count" => count = Some(num(v)?),
                "format" => format = v.to_string(),
                other => return Err(format!("unrecognized arguments to with_sequence: {other}")),
            }
        }
    } else {
        let (rest, fmt) = match spec.split_once(':') {
            Some((r, f)) => (r, Some(f)),
            None => (spec, None),
        };
        let (range, st) = match rest.split_once('/') {
            Some((r, s)) => (r, Some(num(s)?)),
            None => (rest, None),
        };
        match range.split_once('-') {
            Some((a, b)) => {
                start = num(a)?;
                end = Some(num(b)?);
            }
            None => end = Some(num(range)?),
        }
        if let Some(s) = st {
            stride = s;
        }
        if let Some(f) = fmt {
            format = f.to_string();
        }
    }
    let end = match (count, end) {
        (Some(_), Some(_)) => return Err("can't specify both count and end in with_sequence".into()),
        (Some(0), None) => return Ok(Vec::new()),
        (Some(c), None) => start + (c - 1) * stride,
        (None, Some(e)) => e,
        (None, None) => return Err("must specify count or end in with_sequence".into()),
    };
    if stride == 0 {
        return Ok(Vec::new());
    }
    if stride > 0 && end < start {
        return Err("to count backwards make stride negative".into());
    }
    if stride < 0 && end > start {
        return Err("to count forward don't make stride negative".into());
    }
    let mut out = Vec::new();
    let mut i = start;
    while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
        out.push(Value::String(printf(&format, i)));
        i += stride;
    }
    Ok(out)
}

/// Python `%`-formatting of one integer, for the formats sequences use (`%d`, `%02d`, `%x`, `%s`).
fn printf(format: &str, n: i64) -> String {
    let Some(pos) = format.find('%') else { return format.to_string() };
    let rest = &format[pos + 1..];
    let spec_len = rest.find(|c: char| c.is_ascii_alphabetic()).map_or(rest.len(), |i| i + 1);
    let spec = &rest[..spec_len];
    let (flags, conv) = spec.split_at(spec.len().saturating_sub(1));
    let width: usize = flags.trim_start_matches('0').parse().unwrap_or(0);
    let zero = flags.starts_with('0');
    let body = match conv {
        "x" => format!("{n:x}"),
        "X" => format!("{n:X}"),
        "o" => format!("{n:o}"),
        _ => n.to_string(),
    };
    let padded = if zero { format!("{body:0>width$}") } else { format!("{body:>width$}") };
    format!("{}{padded}{}", &format[..pos], &rest[spec_len..])
}

fn fileglob(patterns: &[String], dirs: &[PathBuf]) -> Vec<Value> {
    let mut out = Vec::new();
    for pattern in patterns {
        let p = Path::new(pattern);
        let bases: Vec<PathBuf> = if p.is_absolute() {
            vec![PathBuf::new()]
        } else {
            let parent = p.parent().unwrap_or(Path::new(""));
            dirs.iter()
                .flat_map(|d| [d.join("files"), d.clone()])
                .filter(|d| d.join(parent).is_dir())
                .take(1)
                .collect()
        };
        for base in bases {
            let full = base.join(pattern).to_string_lossy().into_owned();
            if let Ok(paths) = glob::glob(&full) {
                out.extend(
                    paths
                        .flatten()
                        .filter(|f| f.is_file())
                        .map(|f| Value::String(f.to_string_lossy().into_owned())),
                );
            }
        }
    }
    out
}

/// `with_first_found`: the first existing file among the terms (strings, or mappings with
/// `files`, `paths`, `skip`), as a one-item list (empty with `skip`).
fn first_found(v: &Value, dirs: &[PathBuf], subdir: &str) -> Result<Vec<Value>, String> {
    let terms: Vec<Value> = match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let split = |v: Option<&Value>, seps: &[char]| -> Vec<String> {
        v.map(strings)
            .unwrap_or_default()
            .iter()
            .flat_map(|s| s.split(seps).map(str::to_string).collect::<Vec<_>>())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let (mut candidates, mut skip) = (Vec::new(), false);
    for t in &terms {
        match t {
            Value::Object(m) => {
                skip |= m.get("skip").and_then(hearth_modules::args::parse_bool).unwrap_or(false);
                let files = split(m.get("files"), &[',', ';']);
                let paths = split(m.get("paths"), &[',', ':', ';']);
                if paths.is_empty() {
                    candidates.extend(files);
                } else {
                    for p in &paths {
                        candidates.extend(
                            files.iter().map(|f| Path::new(p).join(f).to_string_lossy().into_owned()),
                        );
                    }
                }
            }
            other => candidates.extend(strings(other)),
        }
    }
    for c in candidates {
        let p = Path::new(&c);
        let found = if p.is_absolute() {
            p.exists().then(|| p.to_path_buf())
        } else {
            dirs.iter().flat_map(|d| [d.join(subdir).join(&c), d.join(&c)]).find(|f| f.exists())
        };
        if let Some(f) = found {
            return Ok(vec![Value::String(f.to_string_lossy().into_owned())]);
        }
    }
    if skip { Ok(Vec::new()) } else { Err("No file was found when using first_found.".into()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn it(k: &str, v: Value) -> Value {
        Value::Array(items(k, v, &[], "files").expect("items"))
    }

    #[test]
    fn list_shapes() {
        assert_eq!(it("with_items", json!([1, [2, 3], [[4]]])), json!([1, 2, 3, [4]]));
        assert_eq!(it("with_indexed_items", json!(["a", "b"])), json!([[0, "a"], [1, "b"]]));
        assert_eq!(it("with_dict", json!({"a": 1})), json!([{"key": "a", "value": 1}]));
        assert_eq!(it("with_together", json!([[1, 2], ["a"]])), json!([[1, "a"], [2, null]]));
        assert_eq!(
            it("with_nested", json!([[1, 2], ["a", "b"]])),
            json!([[1, "a"], [1, "b"], [2, "a"], [2, "b"]])
        );
        let users = json!([{"name": "u", "groups": ["g1", "g2"]}, {"name": "v"}]);
        assert_eq!(
            it("with_subelements", json!([users.clone(), "groups", {"skip_missing": true}])),
            json!([[{"name": "u"}, "g1"], [{"name": "u"}, "g2"]])
        );
        assert!(items("with_subelements", json!([users, "groups"]), &[], "files").is_err());
        assert!(items("with_dict", json!([1]), &[], "files").is_err());
    }

    #[test]
    fn sequences() {
        assert_eq!(Value::Array(sequence("start=1 end=3").expect("seq")), json!(["1", "2", "3"]));
        assert_eq!(
            Value::Array(sequence("count=2 start=5 format=web%02d").expect("seq")),
            json!(["web05", "web06"])
        );
        assert_eq!(Value::Array(sequence("4-8/2").expect("seq")), json!(["4", "6", "8"]));
        assert!(sequence("start=1").is_err());
    }

    #[test]
    fn first_found_searches_the_subdir() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(d.path().join("vars")).expect("mkdir");
        std::fs::write(d.path().join("vars/Debian.yml"), "a: 1\n").expect("write");
        let dirs = vec![d.path().to_path_buf()];
        let found =
            items("with_first_found", json!(["RedHat.yml", "Debian.yml"]), &dirs, "vars").expect("found");
        assert_eq!(found, vec![json!(d.path().join("vars/Debian.yml").display().to_string())]);
        assert!(items("with_first_found", json!(["nope.yml"]), &dirs, "vars").is_err());
        let skip = json!([{"files": ["nope.yml"], "skip": true}]);
        assert_eq!(items("with_first_found", skip, &dirs, "vars").expect("skip"), Vec::<Value>::new());
    }
}
