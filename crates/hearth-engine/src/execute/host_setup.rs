//! What a host starts a play batch with: its variable layers from the inventory, its connection
//! spec (variables and connection keywords, templated) and its fresh per-play state. It does not
//! open connections (the `connect::Pool` does) or run tasks (`play`).

use std::collections::BTreeSet;
use std::sync::Arc;

use indexmap::IndexMap;

use super::connect::{self, Pool};
use super::login;
use super::options::Options;
use super::state::HostState;
use super::vars::HostLayers;
use crate::load::inventory::Inventory;
use crate::load::playbook::Play;
use crate::report::Stats;
use hearth_formats::value::Map;
use hearth_template::Templar;

/// A host's starting layers: its inventory variables plus the magic variables of its own
/// (`groups` is left to the play layers, being the same for every host).
pub(super) fn layers_for(inv: &Inventory, host: &str) -> HostLayers {
    let mut vars = inv.host_vars(host);
    let mut magic = inv.magic_vars(host);
    // `groups` is the same for every host: the play layers carry it once.
    magic.remove("groups");
    vars.extend(magic);
    HostLayers { inventory: Arc::new(vars), facts: Arc::new(Map::new()), gathered: Arc::new(Map::new()) }
}

/// The connection a host needs, from its variables with templates resolved
/// (`ansible_host: "{{ ip }}"` is common), and the connection keywords: a task's `task`
/// (from its blocks or role entry), else the play's; variables naming a user, port or
/// connection win over both, as in Ansible.
pub(crate) fn connection_spec(
    name: &str,
    play: &Play,
    inv: &Inventory,
    opts: &Options,
    templar: &Templar,
    all: &IndexMap<String, HostLayers>,
    task: &login::Keywords,
) -> connect::Spec {
    let layers = all.get(name).cloned().unwrap_or_else(|| layers_for(inv, name));
    let mut vars = (*layers.inventory).clone();
    vars.extend(play.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    vars.extend(layers.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
    vars.extend(opts.extra_vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    templar.resolve_vars(&mut vars, |m| templar.context(m));
    let ctx = templar.context(&vars);
    let user = play.remote_user.as_ref().map(|u| templar.render_str(u, &ctx).unwrap_or_else(|_| u.clone()));
    let port = play.port.as_ref().map(|p| templar.render_value(p, &ctx).unwrap_or_else(|_| p.clone()));
    let play_kw = login::Keywords { user, port, connection: play.connection.clone(), weighed: false };
    let connection = task.clone().over_play(play_kw, &mut vars);
    connect::spec_for(&vars, connection.as_deref(), opts, inv.is_implicit(name))
}

/// A host's state at the start of a batch: its connection from `pool` and its known layers.
pub(super) fn host_state(
    name: &str,
    inv: &Inventory,
    all: &IndexMap<String, HostLayers>,
    pool: &Pool,
) -> HostState {
    HostState {
        name: name.to_string(),
        transport: pool.get(name),
        layers: all.get(name).cloned().unwrap_or_else(|| layers_for(inv, name)),
        notified: BTreeSet::new(),
        failed: false,
        unreachable: false,
        ended: false,
        stats: Stats::default(),
        last_failure: None,
    }
}
