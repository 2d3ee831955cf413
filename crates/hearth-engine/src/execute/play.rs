//! Ansible's linear strategy for one play: every task runs on all active hosts (in parallel,
//! bounded by `--forks`) before the next starts; blocks rescue and always per host; handlers run
//! at the end of each section and on `meta: flush_handlers`, in definition order.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[path = "play_include.rs"]
mod include;

use super::outcome::{DelegatedFacts, TaskOutcome};
use super::state::{Env, HostState};
use super::tags::selected;
use super::task;
use super::vars::{HostVars, PlayLayers, TaskScope, context, task_vars};
use crate::load::playbook::{Play, handler_names};
use crate::load::task::{Meta, Task, TaskKind};
use crate::report::{Event, HostResult, Reporter, Stats, Status};
use hearth_formats::value::{Map, Value};
use hearth_template::{Templar, truthy};
use hearth_transport::Local;

/// Stack of a thread that runs tasks on hosts: 8 MiB, like the main thread's.
const HOST_THREAD_STACK: usize = 8 << 20;

/// Runs a play over its hosts.
pub struct PlayRun<'a> {
    /// The play.
    pub play: &'a Play,
    /// Play-wide variables.
    pub layers: PlayLayers,
    /// Hosts of the play, in inventory order.
    pub hosts: Vec<HostState>,
    /// Template engine.
    pub templar: &'a Templar,
    /// Options.
    pub opts: &'a super::options::Options,
    /// Where events go.
    pub reporter: &'a mut dyn Reporter,
    /// Control node transport for delegation.
    pub local: Local,
    /// Every inventory host's variables at play start (for `hostvars` of hosts outside the play).
    pub others: indexmap::IndexMap<String, super::vars::HostLayers>,
    /// The run's connections (for `meta: reset_connection` and `delegate_to`).
    pub pool: &'a super::connect::Pool,
    /// The inventory (connection variables of hosts a task delegates to).
    pub inv: &'a crate::load::inventory::Inventory,
}

impl PlayRun<'_> {
    /// Runs pre_tasks, roles + tasks and post_tasks, flushing handlers after each.
    pub fn run(&mut self) {
        let play = self.play;
        let all: Vec<usize> = (0..self.hosts.len()).collect();
        if let Some(t) = self.gather_task() {
            self.run_module_task(&t, &all, false);
        }
        for section in &play.sections {
            self.run_tasks(section, &all);
            self.flush_handlers(&all);
        }
    }

    /// Ansible's implicit "Gathering Facts" task (`setup` with the play's `gather_subset` and
    /// keywords), unless `gather_facts` is false. It is not subject to `--tags`, like Ansible's.
    fn gather_task(&self) -> Option<Task> {
        let play = self.play;
        let wanted = match &play.gather_facts {
            None => true,
            Some(Value::String(s)) if s.contains("{{") => {
                let ctx = self.templar.context(&self.layers.extra_vars);
                self.templar.render_value(&Value::String(s.clone()), &ctx).ok().is_none_or(|v| truthy(&v))
            }
            Some(v) => hearth_modules::args::parse_bool(v).unwrap_or_else(|| truthy(v)),
        };
        let spec = hearth_modules::lookup("setup")?;
        let mut args = Map::new();
        if let Some(subset) = &play.gather_subset {
            args.insert("gather_subset".into(), subset.clone());
        }
        wanted.then(|| Task {
            pos: play.pos.clone(),
            name: Some("Gathering Facts".into()),
            kind: TaskKind::Module { spec, args: Value::Object(args) },
            flags: play.flags.clone(),
            ..Task::default()
        })
    }

    fn run_tasks(&mut self, tasks: &[Task], hosts: &[usize]) {
        for t in tasks {
            if super::interrupt::interrupted() || !hosts.iter().any(|&h| self.hosts[h].active()) {
                return;
            }
            match &t.kind {
                TaskKind::Block { block, rescue, always } => self.run_block(block, rescue, always, hosts),
                TaskKind::Module { .. } => {
                    if selected(&t.tags, &self.opts.tags, &self.opts.skip_tags) {
                        self.run_module_task(t, hosts, false);
                    }
                }
                TaskKind::Include { file, base } => {
                    if selected(&t.tags, &self.opts.tags, &self.opts.skip_tags) {
                        self.run_include(t, file, base, hosts);
                    }
                }
                TaskKind::IncludeRole(ri) => {
                    if selected(&t.tags, &self.opts.tags, &self.opts.skip_tags) {
                        self.run_include_role(t, ri, hosts);
                    }
                }
                TaskKind::Meta(m) => self.run_meta(*m, t, hosts),
            }
        }
    }

    fn run_block(&mut self, block: &[Task], rescue: &[Task], always: &[Task], hosts: &[usize]) {
        let members: Vec<usize> = hosts.iter().copied().filter(|&h| self.hosts[h].active()).collect();
        self.run_tasks(block, &members);
        let failed: Vec<usize> =
            members.iter().copied().filter(|&h| self.hosts[h].failed && !self.hosts[h].unreachable).collect();
        if !rescue.is_empty() && !failed.is_empty() {
            for &h in &failed {
                let s = &mut self.hosts[h];
                s.failed = false;
                s.stats.rescued += 1;
                s.stats.failed = s.stats.failed.saturating_sub(1);
                if let Some((name, result)) = s.last_failure.take() {
                    let facts = Arc::make_mut(&mut s.layers.facts);
                    let mut task = Map::new();
                    task.insert("name".into(), Value::String(name));
                    facts.insert("ansible_failed_task".into(), Value::Object(task));
                    facts.insert("ansible_failed_result".into(), Value::Object(result));
                }
            }
            self.run_tasks(rescue, &failed);
        }
        if !always.is_empty() {
            // `always` runs even for hosts whose block failed without rescue; they stay failed.
            let still_failed: Vec<usize> = failed.iter().copied().filter(|&h| self.hosts[h].failed).collect();
            for &h in &still_failed {
                self.hosts[h].failed = false;
            }
            self.run_tasks(always, &members);
            for &h in &still_failed {
                self.hosts[h].failed = true;
            }
        }
    }

    fn run_meta(&mut self, m: Meta, t: &Task, hosts: &[usize]) {
        match m {
            Meta::FlushHandlers => self.flush_handlers(hosts),
            Meta::Noop => {}
            Meta::EndPlay => {
                for h in &mut self.hosts {
                    h.ended = true;
                }
            }
            Meta::ResetConnection => {
                let active: Vec<usize> = hosts.iter().copied().filter(|&h| self.hosts[h].active()).collect();
                for h in active {
                    let vars = self.vars_for(t, h);
                    let ctx = context(&vars, &self.hostvars());
                    if t.when.iter().all(|c| self.templar.eval_bool(c, &ctx).unwrap_or(false)) {
                        let name = self.hosts[h].name.clone();
                        self.hosts[h].transport = self.pool.reset(&name, self.opts);
                    }
                }
            }
            Meta::EndHost => {
                for &h in hosts {
                    let vars = self.vars_for(t, h);
                    let ctx = context(&vars, &self.hostvars());
                    let applies = t.when.iter().all(|c| self.templar.eval_bool(c, &ctx).unwrap_or(false));
                    if applies {
                        self.hosts[h].ended = true;
                    }
                }
            }
        }
    }

    fn vars_for(&self, t: &Task, h: usize) -> Map {
        let host = &self.hosts[h];
        let scope = TaskScope {
            host: &host.name,
            layers: &host.layers,
            role: t.role.as_deref(),
            task_vars: &t.vars,
            params: &t.params,
            loop_vars: None,
        };
        let mut vars = task_vars(&self.layers, &scope);
        let hv = self.hostvars();
        self.templar.resolve_vars(&mut vars, |m| context(m, &hv));
        vars
    }

    fn fail_host(&mut self, h: usize, t: &Task, msg: String) {
        let mut result = Map::new();
        result.insert("msg".into(), Value::String(msg));
        result.insert("failed".into(), Value::Bool(true));
        self.reporter.event(&Event::TaskStart { name: t.display_name(), handler: false, hosts: 1 });
        let host = &mut self.hosts[h];
        host.failed = true;
        host.stats.failed += 1;
        self.reporter.event(&Event::Host(HostResult {
            host: host.name.clone(),
            delegated_to: None,
            status: Status::Failed,
            item: None,
            result,
            diffs: Vec::new(),
            reason: None,
            ignored: false,
            verbose_always: false,
        }));
    }

    /// Runs a module task on every active host among `hosts`, then applies results in host order.
    fn run_module_task(&mut self, t: &Task, hosts: &[usize], handler: bool) {
        let mut targets: Vec<usize> = hosts.iter().copied().filter(|&h| self.hosts[h].active()).collect();
        if targets.is_empty() {
            return;
        }
        let run_once = t.flags.run_once.as_ref().and_then(hearth_modules::args::parse_bool).unwrap_or(false);
        let everyone = targets.clone();
        // `pause` waits once for the play, on the first host only, as Ansible's does.
        let once_alone = matches!(&t.kind, TaskKind::Module { spec, .. } if spec.once_per_play());
        if run_once || once_alone {
            targets.truncate(1);
        }
        let (name, hosts) = (self.task_name(t, targets[0]), targets.len());
        self.reporter.event(&Event::TaskStart { name, handler, hosts });
        let outcomes = self.parallel(t, &targets);
        for (h, out) in targets.iter().copied().zip(outcomes) {
            let receivers: Vec<usize> = if run_once { everyone.clone() } else { vec![h] };
            for l in &out.lines {
                self.reporter.event(&Event::Host(l.clone()));
                // A module's `warnings`, printed after its result as Ansible's callback does.
                let warnings = l.result.get("warnings").and_then(Value::as_array);
                for w in warnings.into_iter().flatten().filter_map(Value::as_str) {
                    self.reporter.event(&Event::Warning(w.to_string()));
                }
            }
            for r in receivers {
                self.apply(r, t, &out, r == h);
            }
        }
        let fatal = t.flags.any_errors_fatal.as_ref().and_then(hearth_modules::args::parse_bool);
        self.stop_on_failures(&everyone, fatal.unwrap_or(self.play.any_errors_fatal));
    }

    /// `any_errors_fatal` and `max_fail_percentage`: end the play for every host when too many
    /// (any, or more than the percentage of the batch) have failed.
    fn stop_on_failures(&mut self, ran: &[usize], any_errors_fatal: bool) {
        let failed = ran.iter().filter(|&&h| self.hosts[h].failed || self.hosts[h].unreachable).count();
        if failed == 0 {
            return;
        }
        let pct = 100.0 * failed as f64 / self.hosts.len().max(1) as f64;
        let too_many = self.play.max_fail_percentage.is_some_and(|max| pct > max);
        if any_errors_fatal || too_many {
            for h in &mut self.hosts {
                h.ended = true;
            }
        }
    }

    /// Task names are templated with the first host's variables; on error the raw name is shown.
    fn task_name(&self, t: &Task, h: usize) -> String {
        let name = t.display_name();
        if !name.contains("{{") {
            return name;
        }
        let ctx = context(&self.vars_for(t, h), &self.hostvars());
        self.templar.render_str(&name, &ctx).unwrap_or(name)
    }

    /// Runs the task on every target, at most `--forks` at once, and tells the reporter as each
    /// host finishes (for progress displays) and what hosts report while they run (retries);
    /// outcomes come back in target order.
    fn parallel(&mut self, t: &Task, targets: &[usize]) -> Vec<TaskOutcome> {
        /// What workers send to the reporting thread.
        enum Msg {
            Done(usize, Box<TaskOutcome>),
            Live(Event),
        }
        let workers = self.throttle(t, targets.first().copied()).clamp(1, targets.len().max(1));
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        let live_tx = tx.clone();
        // The receiver lives until every outcome arrived; a send cannot fail before that.
        let live = move |ev: Event| drop(live_tx.send(Msg::Live(ev)));
        let (pool, inv, opts, templar, play, others) =
            (self.pool, self.inv, self.opts, self.templar, self.play, &self.others);
        let delegate = |name: &str, kw: &super::login::Keywords| -> super::connect::Conn {
            // The implicit localhost is always the control node, whatever `-c` or the play say.
            if inv.is_implicit(name) {
                return Ok(Arc::new(Local));
            }
            let spec = |kw| super::host_setup::connection_spec(name, play, inv, opts, templar, others, kw);
            let (own, wanted) = (spec(&Default::default()), spec(kw));
            if wanted.same_login(&own) {
                return pool.delegate(name, || own, opts);
            }
            pool.login(name, wanted, opts)
        };
        let env = Env {
            delegate: &delegate,
            templar: self.templar,
            play: &self.layers,
            hostvars: self.hostvars(),
            opts: self.opts,
            playbook_dir: &self.play.dir,
            local: &self.local,
            live: &live,
        };
        let states = &self.hosts;
        let reporter = &mut *self.reporter;
        let next = AtomicUsize::new(0);
        let mut slots: Vec<Option<TaskOutcome>> = targets.iter().map(|_| None).collect();
        std::thread::scope(|s| {
            for _ in 0..workers {
                let tx = tx.clone();
                let (next, env) = (&next, &env);
                let work = move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&h) = targets.get(i) else { break };
                        let _ = tx.send(Msg::Done(i, Box::new(task::run(t, &states[h], env))));
                    }
                };
                // The main thread's stack, not a spawned thread's 2 MiB: a task may parse a
                // YAML file nested as deep as the parser allows (`include_vars`).
                let big = std::thread::Builder::new().stack_size(HOST_THREAD_STACK);
                if big.spawn_scoped(s, work.clone()).is_err() {
                    s.spawn(work);
                }
            }
            let mut left = targets.len();
            while left > 0 {
                let Ok(msg) = rx.recv() else { break };
                match msg {
                    Msg::Live(ev) => reporter.event(&ev),
                    Msg::Done(i, out) => {
                        let host = states[targets[i]].name.clone();
                        reporter.event(&Event::HostDone { host, status: out.status() });
                        slots[i] = Some(*out);
                        left -= 1;
                    }
                }
            }
        });
        slots.into_iter().map(Option::unwrap_or_default).collect()
    }

    /// How many hosts run a task at once: `--forks`, or fewer with `throttle:` (templated with
    /// the first host's variables; 0 means no limit). A value that is not a number is a warning.
    fn throttle(&mut self, t: &Task, first: Option<usize>) -> usize {
        let forks = self.opts.forks;
        let (Some(raw), Some(h)) = (&t.flags.throttle, first) else { return forks };
        let text = match raw {
            Value::String(s) if s.contains("{{") => {
                let ctx = context(&self.vars_for(t, h), &self.hostvars());
                self.templar.render_str(s, &ctx).unwrap_or_else(|_| s.clone())
            }
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match text.trim().parse::<usize>() {
            Ok(0) => forks,
            Ok(n) => forks.min(n),
            Err(_) => {
                self.reporter.event(&Event::Warning(format!("throttle '{text}' is not a number; ignored")));
                forks
            }
        }
    }

    /// `delegate_facts`: facts a task gathered or set (`set_fact`) become the delegated host's,
    /// in the play or not, as in Ansible.
    fn delegate_facts(&mut self, to: &DelegatedFacts) {
        let layers = match self.hosts.iter_mut().find(|o| o.name == to.host) {
            Some(other) => Some(&mut other.layers),
            None => self.others.get_mut(&to.host),
        };
        let Some(l) = layers else { return };
        let copy = |m: &Map| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
        if !to.facts.is_empty() {
            Arc::make_mut(&mut l.facts).extend(copy(&to.facts));
        }
        if !to.gathered.is_empty() {
            Arc::make_mut(&mut l.gathered).extend(copy(&to.gathered));
        }
    }

    /// Applies an outcome to a host: counters, facts, notifications, failure.
    /// With `run_once`, every host gets the outcome but only the host that ran is counted
    /// (`count`), as in Ansible's recap.
    fn apply(&mut self, h: usize, t: &Task, out: &TaskOutcome, count: bool) {
        let notify_targets = self.notify_targets(&t.notify);
        if let Some(to) = &out.facts_to {
            self.delegate_facts(to);
        }
        let host = &mut self.hosts[h];
        if !out.facts.is_empty() {
            Arc::make_mut(&mut host.layers.facts)
                .extend(out.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if !out.gathered.is_empty() {
            Arc::make_mut(&mut host.layers.gathered)
                .extend(out.gathered.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let mut uncounted = Stats::default();
        let s = if count { &mut host.stats } else { &mut uncounted };
        match out.status() {
            Status::Ok => s.ok += 1,
            Status::Changed => {
                s.ok += 1;
                s.changed += 1;
                host.notified.extend(notify_targets);
            }
            Status::Skipped => s.skipped += 1,
            Status::Failed if out.ignored => {
                s.ok += 1;
                s.ignored += 1;
                if out.result.get("changed").and_then(hearth_modules::args::parse_bool).unwrap_or(false) {
                    s.changed += 1;
                }
            }
            Status::Failed => {
                s.failed += 1;
                host.failed = true;
                host.last_failure = Some((t.display_name(), out.result.clone()));
            }
            Status::Unreachable if out.ignored => {
                s.ok += 1;
                s.ignored += 1;
            }
            Status::Unreachable => {
                s.unreachable += 1;
                host.unreachable = true;
            }
        }
    }

    fn notify_targets(&self, notify: &[String]) -> Vec<usize> {
        let handlers = &self.play.handlers;
        notify
            .iter()
            .flat_map(|n| {
                handlers
                    .iter()
                    .enumerate()
                    .filter(move |(_, h)| handler_names(std::slice::from_ref(*h)).contains(n.as_str()))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Runs notified handlers in definition order for the given hosts.
    fn flush_handlers(&mut self, hosts: &[usize]) {
        let handlers = &self.play.handlers;
        for (i, handler) in handlers.iter().enumerate() {
            let members: Vec<usize> = hosts
                .iter()
                .copied()
                .filter(|&h| {
                    self.hosts[h].notified.contains(&i)
                        && (self.hosts[h].active() || self.play.force_handlers)
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            for &h in &members {
                self.hosts[h].notified.remove(&i);
            }
            match &handler.kind {
                TaskKind::Module { .. } => self.run_module_task(handler, &members, true),
                _ => self.run_tasks(std::slice::from_ref(handler), &members),
            }
        }
    }

    fn hostvars(&self) -> Arc<HostVars> {
        let mut hosts = self.others.clone();
        for h in &self.hosts {
            hosts.insert(h.name.clone(), h.layers.clone());
        }
        Arc::new(HostVars { hosts, play: Arc::new(self.layers.shared()) })
    }
}
