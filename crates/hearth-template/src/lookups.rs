//! `lookup(name, *terms, **kwargs)` and `query(...)`/`q(...)`: Ansible's `env`, `file`,
//! `template`, `vars`, `first_found`, `fileglob` and `pipe` lookups, all on the control node.
//! Relative files are searched like Ansible: `<role_path>/<subdir>/`, `<role_path>/`,
//! `<playbook_dir>/<subdir>/`, `<playbook_dir>/` (the engine puts `role_path` and `playbook_dir`
//! in the context). Not here: other lookup plugins (an error names the supported ones).

use std::path::{Path, PathBuf};

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::pyrepr::py_str;

/// The lookups hearth supports, for the error on an unknown one.
const SUPPORTED: &str = "env, file, fileglob, first_found, pipe, template, vars";

/// Registers the `lookup`, `query` and `q` functions.
pub fn register(env: &mut Environment<'static>) {
    env.add_function("lookup", |state: &State, name: &str, terms: Rest<Value>, kwargs: Kwargs| {
        let wantlist = kwargs.get::<Option<bool>>("wantlist")?.unwrap_or(false);
        let results = run_guarded(state, name, &terms, &kwargs)?;
        Ok::<_, Error>(match results {
            Some(r) if wantlist => Value::from(r),
            Some(r) => join_results(r),
            None => Value::from(()),
        })
    });
    for fname in ["query", "q"] {
        env.add_function(fname, |state: &State, name: &str, terms: Rest<Value>, kwargs: Kwargs| {
            let results = run_guarded(state, name, &terms, &kwargs)?;
            Ok::<_, Error>(results.map_or(Value::from(Vec::<Value>::new()), Value::from))
        });
    }
}

/// Runs a lookup honouring `errors='strict'|'warn'|'ignore'` (`None` when an error is ignored).
fn run_guarded(
    state: &State,
    name: &str,
    terms: &[Value],
    kwargs: &Kwargs,
) -> Result<Option<Vec<Value>>, Error> {
    let errors = kwargs.get::<Option<String>>("errors")?.unwrap_or_else(|| "strict".into());
    match run(state, name, terms, kwargs) {
        Ok(r) => {
            kwargs.assert_all_used()?;
            Ok(Some(r))
        }
        Err(_) if errors == "ignore" || errors == "warn" => Ok(None),
        Err(e) => Err(e),
    }
}

/// `lookup()`'s single value: strings joined with `,`, else the one item or the list.
fn join_results(results: Vec<Value>) -> Value {
    if results.iter().all(|v| v.kind() == ValueKind::String) {
        let parts: Vec<String> = results.iter().map(py_str).collect();
        return Value::from(parts.join(","));
    }
    if results.len() == 1 { results.into_iter().next().unwrap_or_default() } else { Value::from(results) }
}

fn run(state: &State, name: &str, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let name = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    match name {
        "env" => env_lookup(terms, kwargs),
        "file" => file_lookup(state, terms, kwargs),
        "template" => template_lookup(state, terms, kwargs),
        "vars" => vars_lookup(state, terms, kwargs),
        "first_found" => first_found(state, terms, kwargs),
        "fileglob" => fileglob(state, terms),
        "pipe" => pipe(state, terms),
        other => {
            Err(lookup_error(format!("lookup plugin '{other}' is not supported; supported: {SUPPORTED}")))
        }
    }
}

fn lookup_error(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// `env`: each variable's value, or `default` (`''`) when unset.
fn env_lookup(terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default = kwargs.get::<Option<Value>>("default")?.unwrap_or(Value::from(""));
    Ok(terms
        .iter()
        .map(|t| std::env::var(py_str(t)).map(Value::from).unwrap_or_else(|_| default.clone()))
        .collect())
}

/// The directories a relative file is searched in, in Ansible's order.
fn search_dirs(state: &State, subdir: &str) -> Vec<PathBuf> {
    let var = |name: &str| {
        state.lookup(name).filter(|v| v.kind() == ValueKind::String).map(|v| PathBuf::from(py_str(&v)))
    };
    let mut dirs = Vec::new();
    if let Some(role) = var("role_path") {
        dirs.push(role.join(subdir));
        dirs.push(role);
    }
    let base = var("playbook_dir").unwrap_or_else(|| PathBuf::from("."));
    dirs.push(base.join(subdir));
    dirs.push(base);
    dirs
}

/// Finds a file like Ansible's `find_file_in_search_path`.
fn find_file(state: &State, subdir: &str, name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    search_dirs(state, subdir).into_iter().map(|d| d.join(name)).find(|c| c.exists())
}

/// A file's text, decrypted when vaulted (as Ansible's `file` and `template` lookups read it).
fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| lookup_error(format!("could not read file {}: {e}", path.display())))?;
    let bytes =
        hearth_formats::vault::decrypt_source(bytes, path).map_err(|e| lookup_error(e.to_string()))?;
    String::from_utf8(bytes)
        .map_err(|_| lookup_error(format!("could not read file {}: not UTF-8", path.display())))
}

/// `file`: contents of each file, trailing whitespace stripped unless `rstrip=False`.
fn file_lookup(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let rstrip = kwargs.get::<Option<bool>>("rstrip")?.unwrap_or(true);
    let lstrip = kwargs.get::<Option<bool>>("lstrip")?.unwrap_or(false);
    let mut out = Vec::new();
    for term in terms {
        let name = py_str(term);
        let path = find_file(state, "files", &name).filter(|p| p.is_file()).ok_or_else(|| {
            lookup_error(format!(
                "The 'file' lookup had an issue accessing the file '{name}'. file not found"
            ))
        })?;
        let mut text = read_text(&path)?;
        if rstrip {
            text.truncate(text.trim_end().len());
        }
        if lstrip {
            text = text.trim_start().to_string();
        }
        out.push(Value::from(text));
    }
    Ok(out)
}

/// `template`: renders files from `templates/` with the current variables (plus `template_vars`).
fn template_lookup(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let extra = kwargs.get::<Option<Value>>("template_vars")?;
    let mut vars: Vec<(String, Value)> = state
        .known_variables()
        .into_iter()
        .filter_map(|name| state.lookup(&name).map(|v| (name.into_owned(), v)))
        .collect();
    if let Some(extra) = extra.filter(|e| e.kind() == ValueKind::Map) {
        for key in extra.try_iter()? {
            vars.push((py_str(&key), extra.get_item(&key)?));
        }
    }
    let ctx = Value::from_pairs(vars);
    let mut out = Vec::new();
    for term in terms {
        let name = py_str(term);
        let path = find_file(state, "templates", &name).ok_or_else(|| {
            lookup_error(format!("the template file {name} could not be found for the lookup"))
        })?;
        let text = read_text(&path)?;
        let text = super::rewrite::rewrite_template(&text, &super::lexer::Delimiters::default());
        out.push(Value::from(state.env().render_str(&text, ctx.clone())?));
    }
    Ok(out)
}

/// `vars`: the values of the named variables, or `default`.
fn vars_lookup(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default = kwargs.get::<Option<Value>>("default")?;
    terms
        .iter()
        .map(|t| {
            let name = py_str(t);
            match (state.lookup(&name).filter(|v| !v.is_undefined()), &default) {
                (Some(v), _) => Ok(v),
                (None, Some(d)) => Ok(d.clone()),
                (None, None) => Err(lookup_error(format!("No variable found with this name: {name}"))),
            }
        })
        .collect()
}

/// Splits Ansible's comma/semicolon (and for paths colon) separated lists.
fn split_on(v: &Value, seps: &[char]) -> Result<Vec<String>, Error> {
    let items: Vec<Value> = match v.kind() {
        ValueKind::Seq => v.try_iter()?.collect(),
        ValueKind::Undefined | ValueKind::None => Vec::new(),
        _ => vec![v.clone()],
    };
    Ok(items
        .iter()
        .flat_map(|i| py_str(i).split(seps).map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect())
}

/// `first_found`: the first existing file among `files` (in `paths`, or the search path).
fn first_found(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let kw_files = kwargs.get::<Option<Value>>("files")?.unwrap_or_default();
    let kw_paths = kwargs.get::<Option<Value>>("paths")?.unwrap_or_default();
    let mut skip = kwargs.get::<Option<bool>>("skip")?.unwrap_or(false);
    let mut candidates = Vec::new();
    let terms: Vec<Value> = if terms.is_empty() { vec![kw_files.clone()] } else { terms.to_vec() };
    for term in flatten_terms(&terms)? {
        let (files, paths) = if term.kind() == ValueKind::Map {
            skip |= term.get_attr("skip").is_ok_and(|s| s.is_true());
            (
                split_on(&term.get_attr("files")?, &[',', ';'])?,
                split_on(&term.get_attr("paths")?, &[',', ':', ';'])?,
            )
        } else {
            (vec![py_str(&term)], split_on(&kw_paths, &[',', ':', ';'])?)
        };
        if paths.is_empty() {
            candidates.extend(files);
        } else {
            for p in &paths {
                candidates.extend(files.iter().map(|f| Path::new(p).join(f).to_string_lossy().into_owned()));
            }
        }
    }
    for c in candidates {
        if let Some(found) = find_file(state, "files", &c) {
            let abs = std::path::absolute(&found).unwrap_or(found);
            return Ok(vec![Value::from(abs.to_string_lossy().into_owned())]);
        }
    }
    if skip { Ok(Vec::new()) } else { Err(lookup_error("No file was found when using first_found.".into())) }
}

fn flatten_terms(terms: &[Value]) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for t in terms {
        if t.kind() == ValueKind::Seq {
            out.extend(flatten_terms(&t.try_iter()?.collect::<Vec<_>>())?);
        } else if !t.is_undefined() && !t.is_none() {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// `fileglob`: regular files matching each pattern (relative patterns in the files search path).
fn fileglob(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in terms {
        let pattern = py_str(term);
        let dir = Path::new(&pattern).parent().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        let file =
            Path::new(&pattern).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let bases: Vec<PathBuf> = if Path::new(&pattern).is_absolute() {
            vec![PathBuf::from(&dir)]
        } else {
            search_dirs(state, "files")
                .into_iter()
                .map(|d| d.join(&dir))
                .filter(|d| d.is_dir())
                .take(1)
                .collect()
        };
        for base in bases {
            let full = base.join(&file).to_string_lossy().into_owned();
            let paths = glob::glob(&full)
                .map_err(|e| lookup_error(format!("fileglob: bad pattern {pattern}: {e}")))?;
            out.extend(
                paths
                    .flatten()
                    .filter(|p| p.is_file())
                    .map(|p| Value::from(p.to_string_lossy().into_owned())),
            );
        }
    }
    Ok(out)
}

/// `pipe`: runs each term with `/bin/sh -c` on the control node; stdout with trailing
/// whitespace stripped.
fn pipe(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    let cwd = search_dirs(state, "files").pop().unwrap_or_else(|| PathBuf::from("."));
    let mut out = Vec::new();
    for term in terms {
        let cmd = py_str(term);
        let output = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&cmd)
            .current_dir(if cwd.is_dir() { cwd.as_path() } else { Path::new(".") })
            .output()
            .map_err(|e| lookup_error(format!("lookup_plugin.pipe({cmd}) could not run: {e}")))?;
        if !output.status.success() {
            let rc = output.status.code().unwrap_or(-1);
            return Err(lookup_error(format!("lookup_plugin.pipe({cmd}) returned {rc}")));
        }
        out.push(Value::from(String::from_utf8_lossy(&output.stdout).trim_end().to_string()));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "lookups_tests.rs"]
mod tests;
