//! `user`: create, change and remove local users with `useradd`/`usermod`/`userdel`, reading
//! the current state in one round trip (`getent passwd/group/shadow`). Results are named like
//! Ansible's. Password hashes go to `chpasswd -e` on stdin, never into argv or output. SSH key
//! generation, expiry and non-Linux platforms are not supported.

use serde::Deserialize;

use super::user_db::{self, Db, UserSpec};
use crate::module::{Action, Ctx, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};
use hearth_transport::Cmd;

/// Parameters of `user`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Login name.
    #[serde(alias = "user")]
    pub name: String,
    /// `present` (default) or `absent`.
    pub state: Option<String>,
    /// User id.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub uid: Option<String>,
    /// Primary group (name or gid).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub group: Option<String>,
    /// Supplementary groups: a list or a comma-separated string; empty removes all.
    #[serde(default, deserialize_with = "de_groups")]
    pub groups: Option<Vec<String>>,
    /// Add to `groups` instead of replacing the user's supplementary groups.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub append: bool,
    /// Login shell.
    pub shell: Option<String>,
    /// Home directory.
    pub home: Option<String>,
    /// Create a system account (on creation only).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub system: bool,
    /// Create the home directory on creation (default true).
    #[serde(default = "yes", alias = "createhome", deserialize_with = "super::args::de_bool")]
    pub create_home: bool,
    /// GECOS comment (full name).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub comment: Option<String>,
    /// Password hash (crypt format); never shown.
    pub password: Option<String>,
    /// `always` (default) or `on_create`: when to set `password`.
    pub update_password: Option<String>,
    /// With `state: absent`, remove the home directory and mail spool (`userdel -r`).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub remove: bool,
    /// With `state: absent`, remove even when logged in (`userdel -f`).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub force: bool,
    /// Move the home directory's content when `home` changes.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub move_home: bool,
}

fn yes() -> bool {
    true
}

/// `groups` as a list or a comma-separated string (Ansible's `list` type).
fn de_groups<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let split = |s: &str| s.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_string).collect();
    Ok(match <Value as serde::Deserialize>::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(split(&s)),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(serde::de::Error::custom(format!("groups: expected names, got {other}"))),
                })
                .collect::<Result<Vec<String>, D::Error>>()?
                .iter()
                .flat_map(|s| split(s))
                .collect(),
        ),
        other => {
            return Err(serde::de::Error::custom(format!(
                "groups: expected a list or a string, got {other}"
            )));
        }
    })
}

/// The one read: passwd entry, all groups, and the shadow hash when a password is managed.
const READ: &str = "echo '#passwd'; getent passwd \"$1\"; echo '#group'; getent group; echo '#shadow'; \
    if [ \"$2\" = 1 ]; then getent shadow \"$1\" | cut -d: -f2; fi; exit 0";

/// Reads the user database on the host.
fn read(ctx: &Ctx, name: &str, with_hash: bool) -> Result<Db, ModuleError> {
    let flag = if with_hash { "1" } else { "0" };
    let out = ctx.host.run(&Cmd::new(["/bin/sh", "-c", READ, "sh", name, flag]))?;
    Ok(user_db::parse(&String::from_utf8_lossy(&out.stdout)))
}

/// Runs a shadow-utils command; its stderr is the failure message, as in Ansible.
pub fn run_tool(ctx: &Ctx, cmd: Cmd, name: &str) -> Result<Map, ModuleError> {
    let out = ctx.host.run(&cmd)?;
    let mut r = Map::new();
    if out.rc != 0 {
        r.insert("name".into(), Value::String(name.into()));
        r.insert("rc".into(), Value::from(out.rc));
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let msg = if err.is_empty() { format!("{} failed with rc {}", cmd.argv[0], out.rc) } else { err };
        return Err(ModuleError::Failed { msg, result: r });
    }
    Ok(r)
}

fn tool(program: &str, args: Vec<String>) -> Cmd {
    Cmd::new(std::iter::once(program.to_string()).chain(args))
}

impl User {
    fn spec(&self) -> Result<UserSpec, ModuleError> {
        let uid = self
            .uid
            .as_deref()
            .map(|u| {
                u.parse::<u32>().map_err(|_| ModuleError::msg(format!("uid must be a number, got {u:?}")))
            })
            .transpose()?;
        Ok(UserSpec {
            name: self.name.clone(),
            uid,
            group: self.group.clone(),
            groups: self.groups.clone(),
            append: self.append,
            comment: self.comment.clone(),
            home: self.home.clone(),
            shell: self.shell.clone(),
            system: self.system,
            create_home: self.create_home,
            move_home: self.move_home,
            password: self.password.clone(),
        })
    }

    fn set_password(&self) -> Option<Cmd> {
        self.password.as_ref().map(|p| Cmd {
            argv: vec!["chpasswd".into(), "-e".into()],
            stdin: Some(format!("{}:{p}\n", self.name).into_bytes()),
            ..Cmd::default()
        })
    }

    fn present_fields(&self, db: &Db) -> Map {
        present_fields(db, self.groups.as_deref(), self.password.is_some())
    }

    fn plan_absent(&self, db: Db) -> Plan {
        let name = self.name.clone();
        if db.user.is_none() {
            return Plan::ok(format!("user {name} does not exist"))
                .with("name", name)
                .with("state", "absent");
        }
        let mut args = Vec::new();
        if self.force {
            args.push("-f".to_string());
        }
        if self.remove {
            args.push("-r".to_string());
        }
        args.push(name.clone());
        let (force, remove) = (self.force, self.remove);
        let n = name.clone();
        let action: Action = Box::new(move |ctx: &Ctx| {
            let mut r = run_tool(ctx, tool("userdel", args), &n)?;
            r.insert("force".into(), Value::Bool(force));
            r.insert("remove".into(), Value::Bool(remove));
            Ok(r)
        });
        Plan::change(format!("remove user {name}"), action).with("name", name).with("state", "absent")
    }
}

impl Module for User {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let name = self.name.as_str();
        if name.is_empty() || name.starts_with('-') || name.contains([':', '\n', ',']) {
            return Err(ModuleError::msg(format!("invalid user name: {name:?}")));
        }
        let state = self.state.as_deref().unwrap_or("present");
        if !matches!(state, "present" | "absent") {
            return Err(ModuleError::msg(format!(
                "value of state must be one of: absent, present, got: {state}"
            )));
        }
        let update = self.update_password.as_deref().unwrap_or("always");
        if !matches!(update, "always" | "on_create") {
            return Err(ModuleError::msg(format!(
                "value of update_password must be one of: always, on_create, got: {update}"
            )));
        }
        let spec = self.spec()?;
        let db = read(ctx, name, self.password.is_some() && state == "present")?;
        if state == "absent" {
            return Ok(self.plan_absent(db));
        }
        let fail = |msg: String| ModuleError::Failed { msg, result: Map::new() };
        let (summary, cmds, base) = match &db.user {
            None => {
                let args = user_db::useradd_args(&spec, &db).map_err(fail)?;
                let mut base = Map::new();
                base.insert("system".into(), Value::Bool(self.system));
                base.insert("create_home".into(), Value::Bool(self.create_home));
                (format!("create user {name}"), vec![tool("useradd", args)], base)
            }
            Some(cur) => {
                let args = user_db::usermod_args(&spec, &db, cur).map_err(fail)?;
                let mut cmds = Vec::new();
                if !args.is_empty() {
                    cmds.push(tool("usermod", args));
                }
                let mut base = self.present_fields(&db);
                base.insert("append".into(), Value::Bool(self.append));
                base.insert("move_home".into(), Value::Bool(self.move_home));
                (format!("change user {name}"), cmds, base)
            }
        };
        let mut cmds = cmds;
        let pw = match db.user {
            None => true,
            Some(_) => update == "always" && user_db::password_differs(&spec, &db),
        };
        if pw && let Some(c) = self.set_password() {
            cmds.push(c);
        }
        let mut plan = if cmds.is_empty() {
            Plan::ok(format!("user {name} already as wanted"))
        } else {
            let n = name.to_string();
            let groups = self.groups.clone();
            let password = self.password.is_some();
            let action: Action = Box::new(move |ctx: &Ctx| {
                for c in cmds {
                    run_tool(ctx, c, &n)?;
                }
                let after = read(ctx, &n, false)?;
                Ok(present_fields(&after, groups.as_deref(), password))
            });
            Plan::change(summary, action)
        };
        plan.result.extend(base);
        Ok(plan.with("name", name).with("state", "present"))
    }
}

/// Fields Ansible reports for a present user, from its passwd entry.
fn present_fields(db: &Db, groups: Option<&[String]>, password: bool) -> Map {
    let mut r = Map::new();
    if let Some(u) = &db.user {
        r.insert("uid".into(), Value::from(u.uid));
        r.insert("group".into(), Value::from(u.gid));
        r.insert("comment".into(), Value::String(u.comment.clone()));
        r.insert("home".into(), Value::String(u.home.clone()));
        r.insert("shell".into(), Value::String(u.shell.clone()));
    }
    if let Some(g) = groups {
        r.insert("groups".into(), Value::String(g.join(",")));
    }
    if password {
        r.insert("password".into(), Value::String("NOT_LOGGING_PASSWORD".into()));
    }
    r
}
