//! `package_facts`: the installed Debian packages as `ansible_facts.packages`
//! (`{name: [{name, version, arch, category, source: apt}]}`), read with one `dpkg-query` instead
//! of python-apt. Names of foreign-architecture packages carry `:arch`, as python-apt's cache
//! keys do. Only the `apt` manager is implemented; `origin` (from apt's lists) is not reported.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// Parameters of `package_facts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageFacts {
    /// Package managers to ask: `auto` (default) or `apt`.
    #[serde(default = "auto", deserialize_with = "super::args::de_list")]
    pub manager: Vec<String>,
    /// `first` (default) or `all` usable managers; the same with one manager.
    #[serde(default)]
    pub strategy: Strategy,
}

fn auto() -> Vec<String> {
    vec!["auto".into()]
}

/// Which managers' packages are reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// The first usable one.
    #[default]
    First,
    /// Every usable one.
    All,
}

/// The native architecture, then one tab-separated line per package.
const SCRIPT: &str = r#"command -v dpkg-query >/dev/null 2>&1 || exit 127
dpkg --print-architecture
exec dpkg-query -W -f '${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${Section}\n'"#;

/// `ansible_facts.packages` from [`SCRIPT`]'s output: installed packages only (python-apt's
/// `is_installed`: any state with an installed version).
pub fn parse(out: &str) -> Map {
    let mut lines = out.lines();
    let native = lines.next().unwrap_or("").trim().to_string();
    let mut packages = Map::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let [status, name, version, arch, section] = f[..] else { continue };
        if matches!(status, "not-installed" | "config-files" | "") {
            continue;
        }
        let key = if arch == native || arch == "all" { name.to_string() } else { format!("{name}:{arch}") };
        let mut p = Map::new();
        p.insert("name".into(), key.clone().into());
        p.insert("version".into(), version.into());
        p.insert("arch".into(), arch.into());
        p.insert("category".into(), section.into());
        p.insert("source".into(), "apt".into());
        if let Some(Value::Array(list)) = packages.get_mut(&key) {
            list.push(Value::Object(p));
        } else {
            packages.insert(key, Value::Array(vec![Value::Object(p)]));
        }
    }
    packages
}

impl Module for PackageFacts {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let managers: Vec<String> = self.manager.iter().map(|m| m.to_ascii_lowercase()).collect();
        let unsupported: Vec<&str> =
            managers.iter().map(String::as_str).filter(|m| !matches!(*m, "auto" | "apt")).collect();
        if !unsupported.is_empty() {
            return Err(ModuleError::msg(format!(
                "Unsupported package managers requested: {} (hearth reads only apt)",
                unsupported.join(", ")
            )));
        }
        let out = ctx.host.run(&Cmd::new(["/bin/sh", "-c", SCRIPT]))?;
        if out.rc != 0 {
            return Err(ModuleError::msg(
                "Could not detect a supported package manager from the following list: ['apt'], or the required Python library is not installed. Check warnings for details.",
            ));
        }
        let packages = parse(&String::from_utf8_lossy(&out.stdout));
        let count = packages.len();
        let mut facts = Map::new();
        facts.insert("packages".into(), Value::Object(packages));
        Ok(Plan::ok(format!("{count} packages")).with("ansible_facts", facts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn installed_packages_by_name() {
        let out = "amd64\ninstalled\tbash\t5.2.15-2\tamd64\tshells\n\
                   installed\tlibc6\t2.36-9\ti386\tlibs\n\
                   config-files\told\t1.0\tamd64\tmisc\n\
                   installed\ttzdata\t2024a\tall\tlocaltime\n";
        let p = parse(out);
        assert_eq!(
            p["bash"],
            json!([{"name": "bash", "version": "5.2.15-2", "arch": "amd64", "category": "shells", "source": "apt"}])
        );
        assert_eq!(p["libc6:i386"][0]["arch"], "i386");
        assert_eq!(p["tzdata"][0]["version"], "2024a");
        assert!(!p.contains_key("old"));
    }
}
