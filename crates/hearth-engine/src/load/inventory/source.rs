//! Turning `-i` sources into an inventory: YAML and INI files, directories of them (sorted,
//! with Ansible's ignore list), and inline host lists (`a,b` / `localhost,`), followed by the
//! group_vars/ and host_vars/ next to each source. It does not run inventory scripts or
//! inventory plugins (`plugin:` files); those are errors, never silently skipped.

use std::path::{Path, PathBuf};

use super::error::InventoryError;
use super::model::{Inventory, VarsLayer};
use super::{ini, yaml_format};
use crate::load::address;
use hearth_formats::yaml;

/// Extensions Ansible skips inside an inventory directory (REJECT_EXTS + its inventory list).
const IGNORED_EXTS: [&str; 13] =
    [".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"];
const YAML_EXTS: [&str; 3] = [".yml", ".yaml", ".json"];

/// Loads inventory sources in order into one inventory (later sources add to earlier ones).
pub fn load(sources: &[String]) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory::new();
    let mut var_dirs: Vec<PathBuf> = Vec::new();
    for s in sources.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let path = expand_path(s);
        if path.exists() {
            parse_path(&mut inv, &path)?;
            var_dirs.extend(source_dir(&path.to_string_lossy()));
        } else if s.contains(',') {
            parse_host_list(&mut inv, s)?;
        } else {
            return Err(InventoryError::NotFound(s.to_string()));
        }
    }
    inv.reconcile();
    for d in var_dirs {
        let layer = VarsLayer::load(&d, &mut inv)?;
        inv.push_inventory_layer(layer);
    }
    Ok(inv)
}

/// The directory whose group_vars/ and host_vars/ belong to a source (Ansible's `basedir`).
pub fn source_dir(source: &str) -> Option<PathBuf> {
    let p = Path::new(source);
    if p.is_dir() {
        Some(p.to_path_buf())
    } else if p.is_file() {
        p.parent().map(Path::to_path_buf)
    } else {
        None
    }
}

/// `~` expansion and an absolute path, without resolving symlinks (Ansible's unfrackpath).
fn expand_path(s: &str) -> PathBuf {
    let p = match (s.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(s),
    };
    std::path::absolute(&p).unwrap_or(p)
}

fn parse_path(inv: &mut Inventory, path: &Path) -> Result<(), InventoryError> {
    if !path.is_dir() {
        return parse_file(inv, path);
    }
    let io = |source| InventoryError::Io { path: path.display().to_string(), source };
    let mut names: Vec<String> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let entries: Vec<&String> = names.iter().filter(|n| !is_ignored(n)).collect();
    if entries.is_empty() {
        inv.warn(format!(
            "Unable to parse {} as an inventory source: no inventory files in it",
            path.display()
        ));
    }
    for name in entries {
        parse_path(inv, &path.join(name))?;
    }
    Ok(())
}

/// Ansible's IGNORED regex for directory entries.
fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || matches!(name, "host_vars" | "group_vars" | "vars_plugins")
        || IGNORED_EXTS.iter().any(|e| name.ends_with(e))
}

fn parse_file(inv: &mut Inventory, path: &Path) -> Result<(), InventoryError> {
    let source = path.display().to_string();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy()));
    match ext.as_deref() {
        Some(e) if YAML_EXTS.contains(&e) => yaml_format::parse(inv, path, &source),
        Some(".toml") => Err(InventoryError::Structure {
            at: yaml::Pos::synthetic(&source),
            message: "TOML inventories are not supported; use YAML or INI".into(),
        }),
        Some(_) => ini::parse(inv, path, &source),
        None if is_yaml_mapping(path) => yaml_format::parse(inv, path, &source),
        None => {
            let ini_result = ini::parse(inv, path, &source);
            match (ini_result, looks_like_yaml(path)) {
                // Report the YAML error for a file that was evidently meant to be YAML.
                (Err(_), true) => yaml_format::parse(inv, path, &source),
                (r, _) => r,
            }
        }
    }
}

/// An extension-less file that parses as a YAML mapping is a YAML inventory (Ansible tries the
/// yaml plugin before the ini plugin).
fn is_yaml_mapping(path: &Path) -> bool {
    yaml::parse_file(path).is_ok_and(|n| n.as_map().is_some())
}

fn looks_like_yaml(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with(['#', ';']));
    first.is_some_and(|l| l == "---" || (l.ends_with(':') && !l.starts_with('[')))
}

/// `a,b:2222,c` — every name goes to `ungrouped` (Ansible's host_list plugin).
fn parse_host_list(inv: &mut Inventory, list: &str) -> Result<(), InventoryError> {
    for h in list.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let (host, port) = address::parse_address(h, false).unwrap_or_else(|_| (h.to_string(), None));
        if inv.host(&host).is_none() {
            inv.add_host(&host, Some("ungrouped"), port, Some(list))
                .map_err(|source| InventoryError::Graph { at: yaml::Pos::synthetic(list), source })?;
        }
    }
    Ok(())
}
