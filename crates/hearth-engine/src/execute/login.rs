//! The connection keywords `remote_user`, `port` and `connection` of a task (its own, or its
//! block's, role entry's or play's): templated per host and overridden by the variables that
//! name the same thing (`ansible_user` beats `remote_user`, ...), as Ansible's play context
//! does. Opening the connection they ask for is `connect`'s job, not this file's.

use crate::load::keywords::Flags;
use hearth_formats::value::{Map, Value};
use hearth_template::Templar;

/// Each keyword with the variables that win over it, as in Ansible's
/// `set_task_and_variable_override`; of two, the `ssh` one wins, as in Ansible's ssh plugin.
const OVERRIDDEN_BY: [(&str, &[&str]); 3] = [
    ("remote_user", &["ansible_ssh_user", "ansible_user"]),
    ("port", &["ansible_ssh_port", "ansible_port"]),
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
    /// Every variable the task sees was already weighed ([`Keywords::overridden`]): the values
    /// are final and beat the host's variables.
    pub weighed: bool,
}

impl Keywords {
    /// True when no keyword is set: the host's own connection serves.
    pub fn is_empty(&self) -> bool {
        self.user.is_none() && self.port.is_none() && self.connection.is_none()
    }

    /// These keywords, with `outer`'s (a play's) where these set none: the inner level wins.
    pub fn or(self, outer: Keywords) -> Keywords {
        Keywords {
            user: self.user.or(outer.user),
            port: self.port.or(outer.port),
            connection: self.connection.or(outer.connection),
            weighed: self.weighed,
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
            weighed: self.weighed,
        }
    }

    /// These keywords with the value of the variable that wins over each one where one is set
    /// (`value(name)` reads it), as the task's login would be.
    pub fn overridden(self, value: impl Fn(&str) -> Option<Value>) -> Keywords {
        let winner = |keyword: &str| {
            let names = OVERRIDDEN_BY.iter().find(|(k, _)| *k == keyword).map_or(&[][..], |(_, v)| *v);
            names.iter().find_map(|n| value(n))
        };
        let text = |v: Value| match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        Keywords {
            user: self.user.map(|u| winner("remote_user").map_or(u, text)),
            port: self.port.map(|p| winner("port").unwrap_or(p)),
            connection: self.connection.map(|c| winner("connection").map_or(c, text)),
            weighed: true,
        }
    }

    /// A host's login variables for a task with these keywords in a play with `play`'s:
    /// the play's fill what the task leaves unset, and yield to the host's variables.
    pub fn over_play(self, play: Keywords, vars: &mut Map) -> Option<String> {
        let play = play.unless_named(|v| vars.contains_key(v));
        self.or(play).apply(vars)
    }

    /// Writes the user and port into a host's login variables where none is set there
    /// (variables win; weighed keywords replace them), and gives the connection type to use
    /// before `-c`.
    pub fn apply(self, vars: &mut Map) -> Option<String> {
        let kw = if self.weighed { self } else { self.unless_named(|v| vars.contains_key(v)) };
        let [user, port, connection] = OVERRIDDEN_BY.map(|(_, names)| names);
        if let Some(u) = kw.user {
            set(vars, user, Value::String(u));
        }
        if let Some(p) = kw.port {
            set(vars, port, p);
        }
        if let Some(c) = &kw.connection {
            set(vars, connection, Value::String(c.clone()));
        }
        kw.connection
    }
}

/// Sets the login variable `names` stand for (the last is the plain one) to `value`, leaving
/// the variables as they are when they already give it (so the login compares the same).
fn set(vars: &mut Map, names: &[&str], value: Value) {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    if names.iter().find_map(|n| vars.get(*n)).is_some_and(|v| text(v) == text(&value)) {
        return;
    }
    for n in names {
        vars.remove(*n);
    }
    if let Some(plain) = names.last() {
        vars.insert((*plain).to_string(), value);
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
        weighed: false,
    })
}

/// The value of variable `name` as the task sees it, rendered; `None` where it is not set.
pub fn variable(templar: &Templar, ctx: &minijinja::Value, name: &str) -> Option<Value> {
    let set = ctx.get_attr(name).is_ok_and(|v| !v.is_undefined() && !v.is_none());
    if !set {
        return None;
    }
    templar.render_value(&Value::String(format!("{{{{ {name} }}}}")), ctx).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all() -> Keywords {
        Keywords {
            user: Some("deploy".into()),
            port: Some(json!(2222)),
            connection: Some("ssh".into()),
            weighed: false,
        }
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
    fn a_variable_gives_its_value_to_the_keyword_it_beats() {
        let vars = |n: &str| match n {
            "ansible_ssh_user" => Some(json!("hearth")),
            "ansible_port" => Some(json!(22)),
            _ => None,
        };
        let got = all().overridden(vars);
        assert!(got.weighed);
        assert_eq!(got.user.as_deref(), Some("hearth"));
        assert_eq!(got.port, Some(json!(22)));
        assert_eq!(got.connection.as_deref(), Some("ssh"));
        assert!(Keywords::default().overridden(vars).is_empty(), "no keyword, nothing to override");
    }

    #[test]
    fn inner_level_wins_over_the_play() {
        let task = Keywords { user: Some("task".into()), ..Keywords::default() };
        let play = Keywords { user: Some("play".into()), port: Some(json!(22)), ..Keywords::default() };
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
        let weighed = Keywords { user: Some("task".into()), weighed: true, ..Keywords::default() };
        assert_eq!(weighed.apply(&mut vars), None);
        assert_eq!(vars.get("ansible_user"), Some(&json!("task")), "weighed keywords are final");
        assert_eq!(vars.get("ansible_ssh_user"), None);
        let mut pinned = Map::new();
        pinned.insert("ansible_ssh_port".into(), json!(22));
        let same = Keywords { port: Some(json!("22")), weighed: true, ..Keywords::default() };
        same.apply(&mut pinned);
        assert_eq!(
            pinned.get("ansible_ssh_port"),
            Some(&json!(22)),
            "an equal value leaves the login as it was"
        );
        assert_eq!(pinned.get("ansible_port"), None);
    }

    #[test]
    fn weighed_task_keywords_do_not_let_the_play_beat_host_variables() {
        let mut vars = Map::new();
        vars.insert("ansible_user".into(), json!("root"));
        let task = Keywords { port: Some(json!(2)), weighed: true, ..Keywords::default() };
        let play = Keywords { user: Some("hearth".into()), ..Keywords::default() };
        assert_eq!(task.over_play(play, &mut vars), None);
        assert_eq!(
            vars.get("ansible_user"),
            Some(&json!("root")),
            "ansible_user beats the play's remote_user"
        );
        assert_eq!(vars.get("ansible_port"), Some(&json!(2)));
    }

    #[test]
    fn keywords_are_templated_and_variables_read_from_the_context() {
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
        assert_eq!(variable(&templar, &ctx, "ansible_port"), Some(json!(22)));
        assert_eq!(variable(&templar, &ctx, "ansible_user"), None);
        let bad = Flags { remote_user: Some(json!("{{ nope }}")), ..Flags::default() };
        assert!(render(&bad, &templar, &ctx).unwrap_err().starts_with("remote_user:"));
    }
}
