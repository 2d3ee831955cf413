//! The parameters of `apt` (the one schema of its arguments) and Ansible's list syntax for
//! them, below the decision (`plan.rs`), the `.deb` path (`deb.rs`) and the command lines
//! (`apt_get.rs`) that all read them. Pure data; the checks are the decision's.

use serde::{Deserialize, Deserializer};

use hearth_formats::value::Value;

/// Parameters of `apt`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Apt {
    /// Package names (list or comma-separated), each optionally `name=version` or `name=1.2*`.
    #[serde(default, alias = "package", alias = "pkg", deserialize_with = "de_list")]
    pub name: Vec<String>,
    /// `present` (default), `absent`, `latest` or `fixed`.
    #[serde(default = "present")]
    pub state: String,
    /// Run `apt-get update` first (when older than `cache_valid_time`).
    #[serde(default, alias = "update-cache", deserialize_with = "crate::args::de_bool")]
    pub update_cache: bool,
    /// Seconds the cache stays valid; an older cache is updated (implies `update_cache`).
    #[serde(default, deserialize_with = "crate::args::de_int")]
    pub cache_valid_time: i64,
    /// Install recommended packages (default: apt's own setting).
    #[serde(default, alias = "install-recommends", deserialize_with = "crate::args::de_opt_bool")]
    pub install_recommends: Option<bool>,
    /// With `state: absent`, also remove configuration files.
    #[serde(default, deserialize_with = "crate::args::de_bool")]
    pub purge: bool,
    /// Remove dependencies that are no longer needed.
    #[serde(default, deserialize_with = "crate::args::de_bool")]
    pub autoremove: bool,
    /// A `.deb` to install: a path on the target or a URL (downloaded on the target).
    pub deb: Option<String>,
    /// Allow installing an older version than the installed one.
    #[serde(
        default,
        alias = "allow-downgrade",
        alias = "allow_downgrades",
        alias = "allow-downgrades",
        deserialize_with = "crate::args::de_bool"
    )]
    pub allow_downgrade: bool,
    /// Allow unauthenticated packages (`--allow-unauthenticated`).
    #[serde(default, alias = "allow-unauthenticated", deserialize_with = "crate::args::de_bool")]
    pub allow_unauthenticated: bool,
    /// Allow changing held packages (`--allow-change-held-packages`).
    #[serde(default, deserialize_with = "crate::args::de_bool")]
    pub allow_change_held_packages: bool,
    /// Corresponds to `--force-yes`: downgrades, held and unauthenticated packages all allowed.
    #[serde(default, deserialize_with = "crate::args::de_bool")]
    pub force: bool,
    /// Only upgrade packages that are already installed.
    #[serde(default, deserialize_with = "crate::args::de_bool")]
    pub only_upgrade: bool,
    /// Passed as `-t` (target release) to apt-get.
    #[serde(alias = "default-release")]
    pub default_release: Option<String>,
    /// dpkg options, comma-separated (default `force-confdef,force-confold`).
    #[serde(default = "confold")]
    pub dpkg_options: String,
    /// Seconds to wait for the dpkg/apt locks before failing (default 60).
    #[serde(default = "sixty", deserialize_with = "crate::args::de_int")]
    pub lock_timeout: i64,
    /// Accepted for compatibility; hearth always uses apt-get.
    #[serde(default, deserialize_with = "crate::args::de_bool")]
    pub force_apt_get: bool,
}

fn present() -> String {
    "present".into()
}

fn confold() -> String {
    "force-confdef,force-confold".into()
}

fn sixty() -> i64 {
    60
}

/// A list parameter that may also be one comma-separated string, like Ansible's `type='list'`.
pub fn de_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let item = |v: &Value| match v {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("expected a string in the list, got {other}"))),
    };
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => {
            Ok(s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect())
        }
        Value::Array(a) => {
            a.iter().map(item).filter(|r| r.as_ref().map_or(true, |s| !s.is_empty())).collect()
        }
        other => Err(serde::de::Error::custom(format!("expected a list of package names, got {other}"))),
    }
}
