//! `delegate_to`: which connection a task uses (the host's own, an inventory host's with its
//! own connection variables, an address, or the control node), and how the delegate is named
//! in result lines.

use std::sync::Arc;

use super::login;
use super::state::{Env, HostState};
use super::vars::context;
use crate::load::task::Task;
use hearth_formats::value::{Map, Value};
use hearth_modules::ModuleError;
use hearth_transport::{Transport, TransportError};

/// The connection a task uses: the host's own, or that of the host it delegates to (an
/// inventory host with its own connection variables, an address, or the control node),
/// logged in as the task's `remote_user`, `port` and `connection` say where variables do not.
pub(super) fn transport_for(
    task: &Task,
    host: &HostState,
    env: &Env,
    ctx: &minijinja::Value,
) -> Result<Arc<dyn Transport>, ModuleError> {
    let own = || host.transport.clone().map_err(|e| ModuleError::from(TransportError::Unreachable(e)));
    let keywords = login::render(&task.flags, env.templar, ctx).map_err(ModuleError::msg)?;
    let name = delegate_name(task, env, ctx)?.filter(|n| *n != host.name);
    let Some(name) = name else {
        // The host's variables (any the task sees, task vars too) win over the keywords.
        let keywords = keywords.overridden(|v| login::variable(env.templar, ctx, v));
        if keywords.is_empty() {
            return own();
        }
        return (env.delegate)(&host.name, &keywords).map_err(|e| TransportError::Unreachable(e).into());
    };
    (env.delegate)(&name, &keywords)
        .map_err(|e| TransportError::Unreachable(format!("delegate_to {name}: {e}")).into())
}

/// The delegated host for the result line, as Ansible shows it: `[web1 -> db1]`, with the
/// delegate's address when it has another (`[web1 -> db1(10.0.0.5)]`), no arrow when a host
/// delegates to itself.
pub(super) fn delegated(task: &Task, env: &Env, vars: &Map) -> Option<String> {
    let own = vars.get("inventory_hostname").and_then(Value::as_str);
    let name = delegate_target(task, env, vars).filter(|d| Some(d.as_str()) != own)?;
    let address = env.hostvars.hosts.get(&name).and_then(|l| {
        let v = l.inventory.get("ansible_ssh_host").or_else(|| l.inventory.get("ansible_host"))?;
        v.as_str().filter(|a| *a != name && !a.contains("{{")).map(str::to_string)
    });
    Some(match address {
        Some(a) => format!("{name}({a})"),
        None => name,
    })
}

/// The inventory name (or address) a task delegates to, when it can be rendered.
pub(super) fn delegate_target(task: &Task, env: &Env, vars: &Map) -> Option<String> {
    delegate_name(task, env, &context(vars, &env.hostvars)).ok().flatten()
}

/// The host a task delegates to, templated (`delegate_to: "{{ groups.k3s[0] }}"`).
pub(super) fn delegate_name(
    task: &Task,
    env: &Env,
    ctx: &minijinja::Value,
) -> Result<Option<String>, ModuleError> {
    let Some(raw) = &task.delegate_to else { return Ok(None) };
    let name = env
        .templar
        .render_str(raw, ctx)
        .map_err(|e| ModuleError::msg(format!("delegate_to: {}", e.message)))?;
    Ok(Some(name.trim().to_string()))
}
