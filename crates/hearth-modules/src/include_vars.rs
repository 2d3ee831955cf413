//! `include_vars`: load variables from a YAML/JSON file or a directory of them on the control
//! node (found like Ansible: the role's `vars/`, the task's directory, the playbook directory),
//! optionally under one `name`. The engine stores the result's `ansible_facts` as host
//! variables. Vault-encrypted files decrypt through the shared YAML loader. Not supported:
//! `hash_behaviour: merge`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};

/// Parameters of `include_vars`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncludeVars {
    /// The file to load (free-form argument too).
    #[serde(default)]
    pub file: Option<String>,
    /// A directory whose files are loaded in sorted order.
    #[serde(default)]
    pub dir: Option<String>,
    /// Put the variables under this one variable instead of at the top level.
    #[serde(default)]
    pub name: Option<String>,
    /// How deep to descend into `dir` (0: no limit).
    #[serde(default, deserialize_with = "super::args::de_int")]
    pub depth: i64,
    /// Only files of `dir` whose names match this Python regular expression.
    #[serde(default)]
    pub files_matching: Option<String>,
    /// File names of `dir` to skip.
    #[serde(default, deserialize_with = "super::args::de_list")]
    pub ignore_files: Vec<String>,
    /// Extensions loaded from `dir` (default yaml, yml, json).
    #[serde(default, deserialize_with = "super::args::de_list")]
    pub extensions: Vec<String>,
    /// Skip files of `dir` with other extensions instead of failing.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub ignore_unknown_extensions: bool,
    /// Only `replace` (the default) is supported.
    #[serde(default)]
    pub hash_behaviour: Option<String>,
}

impl IncludeVars {
    fn files(&self, ctx: &Ctx) -> Result<Vec<PathBuf>, ModuleError> {
        match (&self.file, &self.dir) {
            (Some(_), Some(_)) => Err(ModuleError::msg(
                "You are mixing file only and dir only arguments, these are incompatible",
            )),
            (Some(f), None) => {
                let p = ctx.search.find("vars", f).filter(|p| p.is_file()).ok_or_else(|| {
                    ModuleError::msg(format!("Could not find or access '{f}' on the Ansible Controller."))
                })?;
                Ok(vec![p])
            }
            (None, Some(d)) => {
                let p = ctx
                    .search
                    .find("vars", d)
                    .filter(|p| p.is_dir())
                    .ok_or_else(|| ModuleError::msg(format!("{d} directory does not exist")))?;
                self.dir_files(&p)
            }
            (None, None) => Err(ModuleError::msg("include_vars needs a file or a dir")),
        }
    }

    fn dir_files(&self, root: &Path) -> Result<Vec<PathBuf>, ModuleError> {
        let exts: Vec<String> = if self.extensions.is_empty() {
            ["yaml", "yml", "json"].iter().map(|s| s.to_string()).collect()
        } else {
            self.extensions.clone()
        };
        let matching = self
            .files_matching
            .as_deref()
            .map(hearth_formats::pyre::compile)
            .transpose()
            .map_err(|e| ModuleError::msg(e.to_string()))?;
        let mut out = Vec::new();
        let mut todo = vec![(root.to_path_buf(), 1i64)];
        while let Some((dir, level)) = todo.pop() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| ModuleError::msg(format!("{}: {e}", dir.display())))?
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for p in entries {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if p.is_dir() {
                    if self.depth == 0 || level < self.depth {
                        todo.push((p, level + 1));
                    }
                    continue;
                }
                let unmatched = match &matching {
                    Some(r) => !r.is_match(name.as_bytes()).map_err(|e| ModuleError::msg(e.to_string()))?,
                    None => false,
                };
                if self.ignore_files.contains(&name) || unmatched {
                    continue;
                }
                let ext = p.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
                if !exts.contains(&ext) {
                    if self.ignore_unknown_extensions {
                        continue;
                    }
                    return Err(ModuleError::msg(format!(
                        "{} does not have a valid extension: {}",
                        p.display(),
                        exts.join(", ")
                    )));
                }
                out.push(p);
            }
        }
        Ok(out)
    }
}

impl Module for IncludeVars {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if self.hash_behaviour.as_deref().is_some_and(|h| h != "replace") {
            return Err(ModuleError::msg(
                "include_vars: only hash_behaviour 'replace' is supported by hearth",
            ));
        }
        let mut vars = Map::new();
        let mut loaded = Vec::new();
        for f in self.files(ctx)? {
            let m = hearth_formats::yaml::parse_vars_file(&f).map_err(|e| ModuleError::msg(e.to_string()))?;
            vars.extend(m);
            loaded.push(Value::String(f.display().to_string()));
        }
        let facts = match &self.name {
            Some(n) => {
                let mut m = Map::new();
                m.insert(n.clone(), Value::Object(vars));
                m
            }
            None => vars,
        };
        Ok(Plan::ok("variables loaded")
            .with("ansible_facts", Value::Object(facts))
            .with("ansible_included_var_files", Value::Array(loaded)))
    }
}
