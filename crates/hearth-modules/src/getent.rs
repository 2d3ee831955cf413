//! `getent`: read a name-service database (passwd, group, hosts, services...) on the host into
//! the `getent_<database>` fact, exactly shaped like Ansible's module (first field as key, the
//! other fields as a list; repeated keys become a list of lists). It never changes anything.

use serde::Deserialize;

use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// Parameters of `getent`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Getent {
    /// The database (`passwd`, `group`, `hosts`, ...).
    pub database: String,
    /// One key to look up (all entries when unset).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub key: Option<String>,
    /// Field separator (`:` for passwd, shadow, group, gshadow; whitespace otherwise).
    #[serde(default)]
    pub split: Option<String>,
    /// Fail when the key is missing (otherwise the key maps to null).
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub fail_key: bool,
    /// NSS service to use (`getent -s`).
    #[serde(default)]
    pub service: Option<String>,
}

fn yes() -> bool {
    true
}

/// Parses `getent` output into Ansible's `getent_<db>` mapping.
pub fn parse(out: &str, split: Option<&str>) -> Map {
    let mut db = Map::new();
    let mut seen: Map = Map::new();
    for line in out.lines() {
        let record: Vec<&str> = match split {
            Some(sep) => line.split(sep).collect(),
            None => line.split_whitespace().collect(),
        };
        let Some((first, rest)) = record.split_first() else { continue };
        let rest = Value::from(rest.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        match seen.get(*first).and_then(Value::as_u64) {
            Some(n) => {
                if n == 1
                    && let Some(prev) = db.get_mut(*first)
                {
                    *prev = Value::Array(vec![prev.take()]);
                }
                if let Some(Value::Array(list)) = db.get_mut(*first) {
                    list.push(rest);
                }
                seen.insert(first.to_string(), Value::from(n + 1));
            }
            None => {
                db.insert(first.to_string(), rest);
                seen.insert(first.to_string(), Value::from(1));
            }
        }
    }
    db
}

impl Module for Getent {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let mut argv = vec!["getent".to_string(), self.database.clone()];
        argv.extend(self.key.clone());
        if let Some(s) = &self.service {
            argv.extend(["-s".to_string(), s.clone()]);
        }
        let colon = ["passwd", "shadow", "group", "gshadow"].contains(&self.database.as_str());
        let split = self.split.clone().or_else(|| colon.then(|| ":".to_string()));
        let out = ctx.host.run(&Cmd::new(argv))?;
        let tree = format!("getent_{}", self.database);
        let facts = |db: Map| {
            let mut f = Map::new();
            f.insert(tree.clone(), Value::Object(db));
            Value::Object(f)
        };
        let msg = match out.rc {
            0 => {
                let db = parse(&String::from_utf8_lossy(&out.stdout), split.as_deref());
                return Ok(Plan::ok("database read").with("ansible_facts", facts(db)));
            }
            1 => "Missing arguments, or database unknown.",
            2 => {
                let msg = "One or more supplied key could not be found in the database.";
                if !self.fail_key {
                    let mut db = Map::new();
                    db.insert(self.key.clone().unwrap_or_default(), Value::Null);
                    return Ok(Plan::ok(msg).with("ansible_facts", facts(db)).with("msg", msg));
                }
                msg
            }
            3 => "Enumeration not supported on this database.",
            127 => "Failed to find required executable \"getent\"",
            _ => "Unexpected failure!",
        };
        Err(ModuleError::msg(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn passwd_and_repeated_keys() {
        let db = parse("root:x:0:0:root:/root:/bin/bash\n", Some(":"));
        assert_eq!(db["root"], json!(["x", "0", "0", "root", "/root", "/bin/bash"]));
        let hosts = parse("127.0.0.1 localhost\n127.0.0.1 vm\n127.0.0.1 other\n", None);
        assert_eq!(hosts["127.0.0.1"], json!([["localhost"], ["vm"], ["other"]]));
    }
}
