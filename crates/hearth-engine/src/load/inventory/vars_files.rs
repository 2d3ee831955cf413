//! `group_vars/` and `host_vars/` directories next to an inventory source or a playbook:
//! `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` or a `NAME/` directory whose files are merged in
//! sorted order (hidden and `~` backup files skipped), as Ansible's host_group_vars plugin reads
//! them. Only files for groups and hosts the inventory knows are read. Vaulted files decrypt
//! through the shared YAML loader.

use std::path::{Path, PathBuf};

use super::error::InventoryError;
use super::model::{Inventory, VarsLayer};
use crate::load::address::LOCALHOST_NAMES;
use hearth_formats::value::Map;
use hearth_formats::yaml::{self, NodeKind};

const EXTENSIONS: [&str; 4] = ["", ".yml", ".yaml", ".json"];

impl Inventory {
    /// Loads `group_vars/` and `host_vars/` next to the playbook (`dir`); they take precedence
    /// over the inventory's own, as in Ansible.
    pub fn add_playbook_vars_dir(&mut self, dir: &std::path::Path) -> Result<(), InventoryError> {
        let layer = VarsLayer::load(dir, self)?;
        self.playbook_layers.push(layer);
        Ok(())
    }
}

impl VarsLayer {
    /// Reads the files under `dir` for every group and host of `inv`.
    pub fn load(dir: &Path, inv: &mut Inventory) -> Result<VarsLayer, InventoryError> {
        let mut layer = VarsLayer { dir: dir.to_path_buf(), ..VarsLayer::default() };
        let groups: Vec<String> = inv.groups.keys().cloned().collect();
        let mut hosts: Vec<String> = inv.hosts.keys().cloned().collect();
        hosts.extend(LOCALHOST_NAMES.iter().map(|h| h.to_string()).filter(|h| !inv.hosts.contains_key(h)));
        for (sub, names, into) in
            [("group_vars", &groups, &mut layer.groups), ("host_vars", &hosts, &mut layer.hosts)]
        {
            let base = dir.join(sub);
            if !base.exists() {
                continue;
            }
            if !base.is_dir() {
                inv.warn(format!("Found {sub} that is not a directory, skipping: {}", base.display()));
                continue;
            }
            for name in names.iter().filter(|n| !n.starts_with('/')) {
                let vars = load_files(&find_vars_files(&base, name)?)?;
                if !vars.is_empty() {
                    into.insert(name.clone(), vars);
                }
            }
        }
        Ok(layer)
    }
}

/// The files for `name` under `base`: the first of NAME, NAME.yml, NAME.yaml, NAME.json that
/// exists (a directory contributes all its files).
fn find_vars_files(base: &Path, name: &str) -> Result<Vec<PathBuf>, InventoryError> {
    for ext in EXTENSIONS {
        let full = base.join(format!("{name}{ext}"));
        if full.is_dir() {
            return dir_files(&full);
        }
        if full.exists() {
            return Ok(vec![full]);
        }
    }
    Ok(Vec::new())
}

fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, InventoryError> {
    let io = |source| InventoryError::Io { path: dir.display().to_string(), source };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in names.iter().filter(|n| !n.starts_with('.') && !n.ends_with('~')) {
        let full = dir.join(n);
        let ext = Path::new(n).extension().map(|e| format!(".{}", e.to_string_lossy()));
        if full.is_dir() && ext.is_none() {
            out.extend(dir_files(&full)?);
        } else if full.is_file() && ext.as_deref().is_none_or(|e| EXTENSIONS.contains(&e)) {
            out.push(full);
        }
    }
    Ok(out)
}

/// Merges the mappings of `files` in order (shallow replace); empty files are skipped.
pub fn load_files(files: &[PathBuf]) -> Result<Map, InventoryError> {
    let mut out = Map::new();
    for f in files {
        let node = yaml::parse_file(f)?;
        let empty = match &node.kind {
            NodeKind::Null => true,
            NodeKind::Bool(b) => !b,
            NodeKind::Str(s) => s.is_empty(),
            NodeKind::Seq(s) => s.is_empty(),
            _ => false,
        };
        if empty {
            continue;
        }
        let Some(entries) = node.as_map() else {
            let message =
                format!("vars file must contain a mapping of variable names, got a {}", node.type_name());
            return Err(InventoryError::Structure { at: node.pos, message });
        };
        for (k, _, v) in entries {
            out.insert(k.clone(), v.to_value());
        }
    }
    Ok(out)
}
