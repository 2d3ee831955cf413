//! The connection keywords `remote_user`, `port` and `connection` of a task (its own, or its
//! block's, role entry's or play's): templated per host and overridden by the variables that
//! name the same thing (`ansible_user` beats `remote_user`, ...), as Ansible's play context
//! does. Opening the connection they ask for is `connect`'s job, not this file's.

use crate::load::task::Flags;
use crate::template::Templar;
use crate::value::{Map, Value};

/// Each keyword with the variables that win over it, as in Ansible's
/// `set_task_and_variable_override`.
const OVERRIDDEN_BY: [(&str, &[&str]); 3] = [
    ("remote_user", &["ansible_user", "ansible_ssh_user"]),
    ("port", &["ansible_port", "ansible_ssh_port"]),
    ("connection", &["ansible_connection"]),
];

/// Connection keywords after templating; `None` where nothing sets one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keywords {
    /// `remote_user:` the login user.
    pub user: Option<String>,
    /// `port:` the ssh port (a number, or the string a template gave).
    pub port: Option<Value>,
    /// `connection:` the connection type (`ssh`, `local`, ...).
    pub connection: Option<String>,
}

impl Keywords {
    /// True when no keyword is set: the host's own connection serves.
    pub fn is_empty(&self) -> bool {
        *self == Keywords::default()
    }

    /// These keywords, with `outer`'s (a play's) where these set none: the inner level wins.
    pub fn or(self, outer: Keywords) -> Keywords {
        Keywords {
            user: self.user.or(outer.user),
            port: self.port.or(outer.port),
            connection: self.connection.or(outer.connection),
        }
    }

    /// Only the keywords no variable overrides (`defined(name)` says whether one is set).
    pub fn unless_named(self, defined: impl Fn(&str) -> bool) -> Keywords {
        let keep = |keyword: &str| {
            OVERRIDDEN_BY
                .iter()
                .filter(|(k, _)| *k == keyword)
                .all(|(_, vars)| !vars.iter().any(|v| defined(v)))
        };
        Keywords {
            user: self.user.filter(|_| keep("remote_user")),
            port: self.port.filter(|_| keep("port")),
            connection: self.connection.filter(|_| keep("connection")),
        }
    }

    /// Writes the user and port into a host's login variables where none is set there
    /// (variables win), and gives the connection type to use before `-c`.
    pub fn apply(self, vars: &mut Map) -> Option<String> {
        let kw = self.unless_named(|v| vars.contains_key(v));
        if let Some(user) = kw.user {
            vars.insert("ansible_user".into(), Value::String(user));
        }
        if let Some(port) = kw.port {
            vars.insert("ansible_port".into(), port);
        }
        kw.connection
    }
}

/// The keywords of `flags`, templated with `ctx`; a template error names the keyword.
pub fn render(flags: &Flags, templar: &Templar, ctx: &minijinja::Value) -> Result<Keywords, String> {
    let text = |keyword: &str, v: &Option<Value>| -> Result<Option<String>, String> {
        let Some(v) = v else { return Ok(None) };
        let rendered = templar.render_value(v, ctx).map_err(|e| format!("{keyword}: {}", e.message))?;
        Ok(Some(match rendered {
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        }))
    };
    let port = match &flags.port {
        Some(v) => Some(templar.render_value(v, ctx).map_err(|e| format!("port: {}", e.message))?),
        None => None,
    };
    Ok(Keywords {
        user: text("remote_user", &flags.remote_user)?,
        port,
        connection: text("connection", &flags.connection)?,
    })
}

/// True when `name` is a variable the task can see (for [`Keywords::unless_named`]).
pub fn defined(ctx: &minijinja::Value, name: &str) -> bool {
    ctx.get_attr(name).is_ok_and(|v| !v.is_undefined() && !v.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all() -> Keywords {
        Keywords { user: Some("deploy".into()), port: Some(json!(2222)), connection: Some("ssh".into()) }
    }

    #[test]
    fn variables_win_over_keywords_one_by_one() {
        let cases: &[(&str, Keywords)] = &[
            ("ansible_user", Keywords { user: None, ..all() }),
            ("ansible_ssh_user", Keywords { user: None, ..all() }),
            ("ansible_port", Keywords { port: None, ..all() }),
            ("ansible_ssh_port", Keywords { port: None, ..all() }),
            ("ansible_connection", Keywords { connection: None, ..all() }),
            ("ansible_host", all()),
        ];
        for (var, want) in cases {
            assert_eq!(&all().unless_named(|v| v == *var), want, "{var}");
        }
    }

    #[test]
    fn inner_level_wins_over_the_play() {
        let task = Keywords { user: Some("task".into()), ..Keywords::default() };
        let play = Keywords { user: Some("play".into()), port: Some(json!(22)), connection: None };
        let got = task.or(play);
        assert_eq!(got.user.as_deref(), Some("task"));
        assert_eq!(got.port, Some(json!(22)));
        assert!(Keywords::default().is_empty() && !got.is_empty());
    }

    #[test]
    fn apply_fills_only_what_variables_leave_unset() {
        let mut vars = Map::new();
        vars.insert("ansible_ssh_user".into(), json!("pinned"));
        let connection = all().apply(&mut vars);
        assert_eq!(connection.as_deref(), Some("ssh"));
        assert_eq!(vars.get("ansible_user"), None, "ansible_ssh_user wins over remote_user");
        assert_eq!(vars.get("ansible_port"), Some(&json!(2222)));
    }

    #[test]
    fn keywords_are_templated_and_defined_reads_the_context() {
        let templar = Templar::new();
        let ctx =
            templar.context(&serde_json::from_value(json!({"who": "hearth", "ansible_port": 22})).unwrap());
        let flags = Flags {
            remote_user: Some(json!("{{ who }}")),
            port: Some(json!("{{ 2000 + 22 }}")),
            connection: Some(json!("local")),
            ..Flags::default()
        };
        let kw = render(&flags, &templar, &ctx).unwrap();
        assert_eq!(kw.user.as_deref(), Some("hearth"));
        assert_eq!(kw.connection.as_deref(), Some("local"));
        assert!(kw.port.is_some());
        assert!(defined(&ctx, "ansible_port") && !defined(&ctx, "ansible_user"));
        let bad = Flags { remote_user: Some(json!("{{ nope }}")), ..Flags::default() };
        assert!(render(&bad, &templar, &ctx).unwrap_err().starts_with("remote_user:"));
    }
}
