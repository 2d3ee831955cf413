//! The few `ansible.cfg` settings hearth honours (`[defaults] roles_path`, `collections_path`,
//! `task_timeout`), read from the
//! file Ansible would pick: `$ANSIBLE_CONFIG`, `./ansible.cfg`, `~/.ansible.cfg`,
//! `/etc/ansible/ansible.cfg`. Other settings are ignored, never guessed at.

use std::path::{Path, PathBuf};

/// The config file Ansible would use, if any.
pub fn config_file() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("ANSIBLE_CONFIG") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from("ansible.cfg"));
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".ansible.cfg"));
    }
    candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
    candidates.into_iter().find(|p| p.is_file())
}

/// A value of an INI file's section (`key = value` or `key: value`; `#`/`;` comments).
pub fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            current = name.trim().to_string();
            continue;
        }
        let Some((k, v)) = l.split_once(['=', ':']) else { continue };
        if current == section && k.trim() == key {
            return Some(v.trim().to_string());
        }
    }
    None
}

/// Colon-separated paths with `~` expanded and relative ones taken from `base`.
pub fn split_paths(value: &str, base: &Path) -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    value
        .split(':')
        .filter(|p| !p.is_empty())
        .map(|p| match (p.strip_prefix("~/"), &home) {
            (Some(rest), Some(h)) => h.join(rest),
            _ if p == "~" => home.clone().unwrap_or_else(|| PathBuf::from(p)),
            _ => base.join(p),
        })
        .collect()
}

/// `roles_path`: `ANSIBLE_ROLES_PATH`, else ansible.cfg's, else Ansible's default list.
pub fn roles_path() -> Vec<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_default();
    if let Some(env) = std::env::var("ANSIBLE_ROLES_PATH").ok().filter(|v| !v.is_empty()) {
        return split_paths(&env, &cwd);
    }
    if let Some(file) = config_file()
        && let Ok(text) = std::fs::read_to_string(&file)
        && let Some(v) = ini_value(&text, "defaults", "roles_path")
    {
        let base = file.parent().map(Path::to_path_buf).unwrap_or(cwd);
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        return split_paths(&v, &base);
    }
    split_paths("~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles", &cwd)
}

/// `collections_path`: `ANSIBLE_COLLECTIONS_PATH` (or the older `..._PATHS`), else
/// ansible.cfg's, else Ansible's default list.
pub fn collections_path() -> Vec<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_default();
    for var in ["ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"] {
        if let Some(env) = std::env::var(var).ok().filter(|v| !v.is_empty()) {
            return split_paths(&env, &cwd);
        }
    }
    if let Some(file) = config_file()
        && let Ok(text) = std::fs::read_to_string(&file)
        && let Some(v) = ini_value(&text, "defaults", "collections_path")
            .or_else(|| ini_value(&text, "defaults", "collections_paths"))
    {
        let base = file.parent().map(Path::to_path_buf).unwrap_or(cwd);
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        return split_paths(&v, &base);
    }
    split_paths("~/.ansible/collections:/usr/share/ansible/collections", &cwd)
}

/// A setting from the environment or ansible.cfg that hearth cannot use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A setting that must be a whole number of seconds is not one.
    #[error("{source_name}: '{value}' is not a whole number of seconds")]
    NotSeconds { source_name: String, value: String },
}

/// `task_timeout` seconds (0: no limit): `ANSIBLE_TASK_TIMEOUT`, else ansible.cfg's
/// `[defaults] task_timeout`, else 0, as Ansible's default for the `timeout` keyword.
pub fn task_timeout() -> Result<u64, ConfigError> {
    if let Some(env) = std::env::var("ANSIBLE_TASK_TIMEOUT").ok().filter(|v| !v.trim().is_empty()) {
        return seconds("ANSIBLE_TASK_TIMEOUT", &env);
    }
    let Some(file) = config_file() else { return Ok(0) };
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    match ini_value(&text, "defaults", "task_timeout") {
        Some(v) => seconds(&format!("{}: task_timeout", file.display()), &v),
        None => Ok(0),
    }
}

/// A whole number of seconds, as Ansible's integer settings take it.
fn seconds(source_name: &str, value: &str) -> Result<u64, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::NotSeconds {
        source_name: source_name.to_string(),
        value: value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_roles_path_from_defaults() {
        let cfg = "# c\n[ssh_connection]\nroles_path = no\n[defaults]\ninventory = hosts\nroles_path = roles:/opt/roles\n";
        assert_eq!(ini_value(cfg, "defaults", "roles_path").as_deref(), Some("roles:/opt/roles"));
        assert_eq!(
            split_paths("roles:/opt/roles", Path::new("/p")),
            vec![PathBuf::from("/p/roles"), PathBuf::from("/opt/roles")]
        );
        assert_eq!(ini_value(cfg, "defaults", "nope"), None);
    }

    #[test]
    fn task_timeout_is_whole_seconds() {
        let cfg = "[defaults]\ntask_timeout = 30\n";
        assert_eq!(ini_value(cfg, "defaults", "task_timeout").as_deref(), Some("30"));
        assert_eq!(seconds("x", " 30 "), Ok(30));
        assert_eq!(
            seconds("ANSIBLE_TASK_TIMEOUT", "2.5").unwrap_err().to_string(),
            "ANSIBLE_TASK_TIMEOUT: '2.5' is not a whole number of seconds"
        );
    }
}
