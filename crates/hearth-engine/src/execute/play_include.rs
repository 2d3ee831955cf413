//! `include_tasks` for the linear strategy: which file each host includes (templated name,
//! loop, `when` on the include itself), the banner, `included:`/`skipping:` lines, and running
//! the included tasks for the hosts that include the same file together. A child of `play`.

use std::path::PathBuf;

use super::PlayRun;
use crate::execute::vars::context;
use crate::load::inherit::push_down;
use crate::load::role_include;
use crate::load::source::{Source, load_task_file, resolve_task_file};
use crate::load::task::{RoleInclude, Task, TaskKind};
use crate::load::task_parse::parse_tasks;
use crate::report::{Event, HostResult, Status};
use hearth_formats::value::{Map, Value};

impl PlayRun<'_> {
    /// `include_tasks`: loaded per host (the file name may be templated, the include may loop);
    /// hosts that include the same file with the same loop item run it together.
    pub(super) fn run_include(&mut self, t: &Task, file: &str, base: &std::path::Path, hosts: &[usize]) {
        let mut groups: Vec<((PathBuf, Map), Vec<usize>)> = Vec::new();
        let active: Vec<usize> = hosts.iter().copied().filter(|&h| self.hosts[h].active()).collect();
        if active.is_empty() {
            return;
        }
        let name = self.task_name(t, active[0]);
        self.reporter.event(&Event::TaskStart { name, handler: false, hosts: active.len() });
        for h in active {
            match self.include_targets(t, file, base, h) {
                Ok(targets) if targets.is_empty() => self.skip_host(h, t),
                Ok(targets) => {
                    for (name, lv) in targets {
                        let key = (resolve_task_file(base, &name, t.role.as_deref()), lv);
                        match groups.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, members)) => members.push(h),
                            None => groups.push((key, vec![h])),
                        }
                    }
                }
                Err(msg) => self.fail_host(h, t, format!("include_tasks: {msg}")),
            }
        }
        for ((path, loop_vars), members) in groups {
            let members: Vec<usize> = members.into_iter().filter(|&h| self.hosts[h].active()).collect();
            let src = Source::play(&self.play.dir, parse_tasks);
            match load_task_file(&path, &src, t.role.clone()) {
                Ok(tasks) => {
                    let names: Vec<&str> = members.iter().map(|&h| self.hosts[h].name.as_str()).collect();
                    self.reporter.event(&Event::Included {
                        item: loop_label(t, &loop_vars),
                        file: path.display().to_string(),
                        hosts: names.join(", "),
                    });
                    for &h in &members {
                        self.hosts[h].stats.ok += 1;
                    }
                    let mut vars = t.vars.clone();
                    vars.extend(loop_vars);
                    let wrapper = Task {
                        vars,
                        flags: t.flags.clone(),
                        environment: t.environment.clone(),
                        kind: TaskKind::Block { block: tasks, rescue: Vec::new(), always: Vec::new() },
                        ..Task::default()
                    };
                    if let TaskKind::Block { block, .. } = push_down(wrapper).kind {
                        self.run_tasks(&block, &members);
                    }
                }
                Err(e) => {
                    for &h in &members {
                        self.fail_host(h, t, e.to_string());
                    }
                }
            }
        }
    }

    /// The (templated name, loop variables) pairs one host includes; empty when `when` is
    /// false.
    fn include_targets(
        &self,
        t: &Task,
        file: &str,
        base: &std::path::Path,
        h: usize,
    ) -> Result<Vec<(String, Map)>, String> {
        let hv = self.hostvars();
        let vars = self.vars_for(t, h);
        let items: Vec<Option<Value>> = match &t.looping {
            None => vec![None],
            Some(l) => {
                let ctx = context(&vars, &hv);
                let rendered = match self.templar.render_value(&l.items, &ctx) {
                    Ok(r) => r,
                    // As Ansible: a loop that cannot be templated does not matter when the
                    // include's conditions are false without the item.
                    Err(_) if crate::execute::task_loop::false_condition(t, self.templar, &ctx).is_some() => {
                        return Ok(Vec::new());
                    }
                    Err(e) => return Err(e.message),
                };
                let mut dirs: Vec<PathBuf> = t.role.iter().map(|r| r.path.clone()).collect();
                dirs.push(base.to_path_buf());
                dirs.push(self.play.dir.clone());
                crate::execute::loops::items(l.keyword, rendered, &dirs, "files")?
                    .into_iter()
                    .map(Some)
                    .collect()
            }
        };
        let mut out = Vec::new();
        for item in items {
            let mut lv = Map::new();
            if let Some(item) = item {
                lv.insert(t.loop_control.loop_var.clone(), item);
            }
            let mut v = vars.clone();
            v.extend(lv.clone());
            let ctx = context(&v, &hv);
            let mut pass = true;
            for c in &t.when {
                pass &= self.templar.eval_bool(c, &ctx).map_err(|e| e.message)?;
            }
            if !pass {
                continue;
            }
            out.push((self.templar.render_str(file, &ctx).map_err(|e| e.message)?, lv));
        }
        Ok(out)
    }

    /// `include_role`: per host (the include may loop, its `when` is its own), the role's tasks
    /// with the include's keywords, `apply` and vars; hosts with the same role and loop item
    /// run it together, as `include_tasks` does.
    pub(super) fn run_include_role(&mut self, t: &Task, ri: &RoleInclude, hosts: &[usize]) {
        let active: Vec<usize> = hosts.iter().copied().filter(|&h| self.hosts[h].active()).collect();
        if active.is_empty() {
            return;
        }
        let name = self.task_name(t, active[0]);
        self.reporter.event(&Event::TaskStart { name, handler: false, hosts: active.len() });
        let base = t.pos.file.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        let mut groups: Vec<((String, Map), Vec<usize>)> = Vec::new();
        for h in active {
            match self.include_targets(t, &ri.name, &base, h) {
                Ok(targets) if targets.is_empty() => self.skip_host(h, t),
                Ok(targets) => {
                    for key in targets {
                        match groups.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, members)) => members.push(h),
                            None => groups.push((key, vec![h])),
                        }
                    }
                }
                Err(msg) => self.fail_host(h, t, format!("include_role: {msg}")),
            }
        }
        // As Ansible: every `included:` line first, then each inclusion's tasks.
        let mut runs = Vec::new();
        for ((role, loop_vars), members) in groups {
            let members: Vec<usize> = members.into_iter().filter(|&h| self.hosts[h].active()).collect();
            match self.role_tasks(t, ri, &role) {
                Ok(tasks) => {
                    let names: Vec<&str> = members.iter().map(|&h| self.hosts[h].name.as_str()).collect();
                    let item = loop_label(t, &loop_vars);
                    self.reporter.event(&Event::Included {
                        file: role.clone(),
                        hosts: names.join(", "),
                        item,
                    });
                    for &h in &members {
                        self.hosts[h].stats.ok += 1;
                    }
                    runs.push((role_include::wrap(t, ri, tasks, loop_vars), members));
                }
                Err(e) => {
                    for &h in &members {
                        self.fail_host(h, t, e.clone());
                    }
                }
            }
        }
        for (block, members) in runs {
            self.run_tasks(&block, &members);
        }
    }

    /// The included role's tasks: read at load time, or now for a templated name. A public
    /// role's defaults and vars join the play's from here on.
    fn role_tasks(&mut self, t: &Task, ri: &RoleInclude, role: &str) -> Result<Vec<Task>, String> {
        let src = Source { role: t.role.clone(), ..Source::play(&self.play.dir, parse_tasks) };
        let tasks = match &ri.tasks {
            Some(tasks) => {
                // The roles were read at load time; find them again for their variables.
                if ri.public {
                    role_include::load_named(role, &ri.files, &ri.pos, &src, true)
                        .map_err(|e| e.to_string())?;
                }
                tasks.clone()
            }
            None => {
                role_include::load_named(role, &ri.files, &ri.pos, &src, true).map_err(|e| e.to_string())?
            }
        };
        for sunk in src.take_roles() {
            if !sunk.role.handlers.is_empty() && ri.tasks.is_none() {
                return Err(format!(
                    "include_role: role '{}' has handlers, which hearth cannot add at run time; name the role without a template so it is read when the playbook loads",
                    sunk.role.role.name
                ));
            }
            if ri.public {
                self.layers.add_roles(std::slice::from_ref(&sunk.role.role));
            }
        }
        Ok(tasks)
    }

    /// An include whose `when` is false (or whose loop is empty) on this host.
    fn skip_host(&mut self, h: usize, t: &Task) {
        let mut result = Map::new();
        result.insert("changed".into(), Value::Bool(false));
        result.insert("skipped".into(), Value::Bool(true));
        let host = &mut self.hosts[h];
        host.stats.skipped += 1;
        let reason = t.when.last().map(|c| format!("when: {c} is false"));
        self.reporter.event(&Event::Host(HostResult {
            host: host.name.clone(),
            delegated_to: None,
            status: Status::Skipped,
            item: None,
            result,
            diffs: Vec::new(),
            reason,
            ignored: false,
            verbose_always: false,
        }));
    }
}

/// The loop item an inclusion is for, as `included: ... => (item=x)` shows it.
fn loop_label(t: &Task, loop_vars: &Map) -> Option<String> {
    let item = loop_vars.get(&t.loop_control.loop_var)?;
    Some(hearth_template::pyrepr::py_str(&minijinja::Value::from(minijinja::value::Serde(item))))
}
