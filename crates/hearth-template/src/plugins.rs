//! Python filter plugins (`filter_plugins/*.py` of a role or beside a playbook), which hearth
//! cannot run: their files are recorded when a role or playbook loads, so that using one of
//! their filters fails with the plugin's name instead of a bare "unknown filter".
//! The filter names come from a cheap scan of the file: the quoted keys (`'name':`) inside its
//! `def filters` method. A file where the scan finds none is still recorded, and an unknown
//! filter then names it as a possible source.
//! The registry is process-wide because Ansible's is too: a role's plugins serve every later
//! task of the run. Not here: test plugins, lookup plugins, collections.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use regex::Regex;

/// One plugin file and how to show it (`ROLE/filter_plugins/FILE.py`).
#[derive(Debug, Clone, PartialEq)]
struct Plugin {
    shown: String,
    /// Filter names found by the scan (empty: the scan found none).
    filters: Vec<String>,
}

/// Plugin files by path (each scanned once).
static PLUGINS: LazyLock<Mutex<BTreeMap<PathBuf, Plugin>>> = LazyLock::new(Default::default);

/// Records the `filter_plugins/*.py` files of a role (`label` = its name) or of a playbook's
/// directory (`label` empty).
pub fn record(dir: &Path, label: &str) {
    let Ok(entries) = std::fs::read_dir(dir.join("filter_plugins")) else { return };
    let mut files: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "py")).collect();
    files.sort();
    let Ok(mut plugins) = PLUGINS.lock() else { return };
    for file in files {
        if plugins.contains_key(&file) {
            continue;
        }
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let shown = if label.is_empty() {
            format!("filter_plugins/{name}")
        } else {
            format!("{label}/filter_plugins/{name}")
        };
        let filters = std::fs::read_to_string(&file).map(|t| filter_names(&t)).unwrap_or_default();
        plugins.insert(file, Plugin { shown, filters });
    }
}

/// The quoted keys of the dictionary a plugin's `filters` method returns.
fn filter_names(source: &str) -> Vec<String> {
    static KEY: LazyLock<Regex> = LazyLock::new(|| {
        // Invariant: a constant pattern, exercised by the tests.
        Regex::new(r#"['"]([A-Za-z_][A-Za-z0-9_.]*)['"]\s*:"#).expect("constant regex compiles")
    });
    let Some(start) = source.find("def filters") else { return Vec::new() };
    let body = &source[start + "def filters".len()..];
    // The method ends at the next definition at its own or a lower indentation.
    let end = ["\n    def ", "\n    @", "\ndef ", "\nclass "].iter().filter_map(|m| body.find(m)).min();
    let body = &body[..end.unwrap_or(body.len())];
    KEY.captures_iter(body).map(|c| c[1].to_string()).collect()
}

/// The message for an unknown filter that a recorded plugin may define, if any.
pub fn unknown_filter_message(filter: &str) -> Option<String> {
    let plugins = PLUGINS.lock().ok()?;
    let short = filter.rsplit('.').next().unwrap_or(filter);
    if let Some(p) = plugins.values().find(|p| p.filters.iter().any(|f| f == filter || f == short)) {
        return Some(format!(
            "filter '{filter}' comes from the Python filter plugin {}, which hearth cannot run",
            p.shown
        ));
    }
    let unscanned: Vec<&str> =
        plugins.values().filter(|p| p.filters.is_empty()).map(|p| p.shown.as_str()).collect();
    (!unscanned.is_empty()).then(|| {
        format!(
            "unknown filter '{filter}'; it may come from the Python filter plugin(s) {}, which hearth \
             cannot run",
            unscanned.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_the_filters_method() {
        let src = r#"
import re

class FilterModule(object):
    """Custom filters."""

    def filters(self):
        return {
            'k3s_token': self.token,
            "split_host": split_host,
        }

    def token(self, x):
        return {'not_a_filter': x}
"#;
        assert_eq!(filter_names(src), ["k3s_token", "split_host"]);
        assert!(filter_names("def other():\n    return {'a': 1}\n").is_empty());
    }

    #[test]
    fn unknown_filters_name_the_plugin() {
        let dir = tempfile::tempdir().unwrap();
        let plugins = dir.path().join("filter_plugins");
        std::fs::create_dir(&plugins).unwrap();
        std::fs::write(
            plugins.join("net.py"),
            "class FilterModule:\n    def filters(self):\n        return {'hearth_test_cidr_split': f}\n",
        )
        .unwrap();
        record(dir.path(), "myrole");
        assert_eq!(
            unknown_filter_message("hearth_test_cidr_split").as_deref(),
            Some(
                "filter 'hearth_test_cidr_split' comes from the Python filter plugin \
                 myrole/filter_plugins/net.py, which hearth cannot run"
            )
        );
    }
}
