//! Keyword inheritance: a block's, import's, role entry's or play's static keywords pushed
//! down into its tasks (the children's own values win; conditions, tags and environments
//! accumulate; module_defaults fill what module tasks leave unset), as Ansible's does.

use super::task::{Task, TaskKind};

/// Moves a block's or import's static keywords into its children (children's own values win;
/// conditions and tags accumulate), as Ansible's inheritance does.
pub fn push_down(mut parent: Task) -> Task {
    let mut kind = std::mem::take(&mut parent.kind);
    if let TaskKind::Block { block, rescue, always } = &mut kind {
        for child in block.iter_mut().chain(rescue.iter_mut()).chain(always.iter_mut()) {
            inherit(child, &parent);
        }
        parent.when.clear();
        parent.notify.clear();
        parent.environment.clear();
        parent.module_defaults.clear();
    }
    parent.kind = kind;
    parent
}

fn inherit(child: &mut Task, parent: &Task) {
    let mut w = parent.when.clone();
    w.append(&mut child.when);
    child.when = w;
    child.notify.extend(parent.notify.iter().cloned());
    for t in &parent.tags {
        if !child.tags.contains(t) {
            child.tags.push(t.clone());
        }
    }
    for (mine, theirs) in [(&mut child.vars, &parent.vars), (&mut child.params, &parent.params)] {
        for (k, v) in theirs {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let (f, flags) = (&mut child.flags, &parent.flags);
    for (mine, theirs) in [
        (&mut f.ignore_errors, &flags.ignore_errors),
        (&mut f.no_log, &flags.no_log),
        (&mut f.run_once, &flags.run_once),
        (&mut f.throttle, &flags.throttle),
        (&mut f.any_errors_fatal, &flags.any_errors_fatal),
        (&mut f.ignore_unreachable, &flags.ignore_unreachable),
        (&mut f.check_mode, &flags.check_mode),
        (&mut f.diff, &flags.diff),
        (&mut f.become_, &flags.become_),
        (&mut f.become_user, &flags.become_user),
        (&mut f.become_method, &flags.become_method),
        (&mut f.remote_user, &flags.remote_user),
        (&mut f.port, &flags.port),
        (&mut f.connection, &flags.connection),
        (&mut f.timeout, &flags.timeout),
    ] {
        if mine.is_none() {
            mine.clone_from(theirs);
        }
    }
    if child.delegate_to.is_none() {
        child.delegate_to.clone_from(&parent.delegate_to);
    }
    if child.delegate_facts.is_none() {
        child.delegate_facts.clone_from(&parent.delegate_facts);
    }
    let mut env = parent.environment.clone();
    env.append(&mut child.environment);
    child.environment = env;
    super::module_defaults::inherit(&mut child.module_defaults, &parent.module_defaults);
    if let TaskKind::Module { spec, args } = &mut child.kind {
        super::module_defaults::apply(spec, args, &child.module_defaults);
    }
    if let TaskKind::Block { .. } = child.kind {
        // Already pushed into grandchildren when the child was parsed; push the new part too.
        let taken = std::mem::take(child);
        *child = push_down(taken);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::keywords::Flags;
    use serde_json::json;

    #[test]
    fn connection_keywords_reach_children_that_set_none() {
        let own = Task { flags: Flags { port: Some(json!(2222)), ..Flags::default() }, ..Task::default() };
        let block = Task {
            flags: Flags {
                remote_user: Some(json!("deploy")),
                connection: Some(json!("ssh")),
                ..Flags::default()
            },
            kind: TaskKind::Block { block: vec![own, Task::default()], rescue: vec![], always: vec![] },
            ..Task::default()
        };
        let TaskKind::Block { block, .. } = push_down(block).kind else { panic!("still a block") };
        assert_eq!(block[0].flags.remote_user, Some(json!("deploy")));
        assert_eq!(block[0].flags.port, Some(json!(2222)));
        assert_eq!(block[1].flags.connection, Some(json!("ssh")));
        assert_eq!(block[1].flags.port, None);
    }
}
