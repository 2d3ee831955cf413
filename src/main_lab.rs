//! The binary's side of `hearth lab` (part of main.rs, not of the library): runs the lab
//! subcommands and shows what they return. For `hearth lab demo` it runs the shipped site.yml twice
//! in-process with the normal text reporter, then prints a summary and the verdict. It does not
//! build labs or mirrors itself (`hearth::lab` does).

use std::io::Write;

use hearth::cli::{LabArgs, LabCommand, Output};
use hearth::execute::{self, Options, Summary};
use hearth::lab::demo::{self, Demo, DemoOptions};
use hearth::lab::{self, UpOptions};

use crate::failure::{Failure, exit};
use crate::main_run::{closing_on_interrupt, load_inventory, reporter, run_playbooks};

pub(crate) fn lab_command(args: LabArgs) -> Result<u8, Failure> {
    let fail = |e: lab::LabError| Failure::new(exit::ERROR, e);
    let name = args.name;
    let mut out = std::io::stdout().lock();
    match args.command {
        LabCommand::Up { count, owner_pid } => {
            let state = lab::up(&UpOptions { name, count, owner_pid }).map_err(fail)?;
            let _ = writeln!(out, "lab {:?} is up: {} host(s)", state.name, state.hosts.len());
            let _ = write!(out, "{}", lab_table(&lab::status(&state)));
            let _ = writeln!(out, "inventory: {}", state.inventory.display());
            let _ = writeln!(out, "kubeconfig: {} ({})", state.kubeconfig.display(), state.api_url());
        }
        LabCommand::Down => {
            lab::down(&name).map_err(fail)?;
            let _ = writeln!(out, "lab {name:?} is down");
        }
        LabCommand::Status { json } => {
            let state = lab::load(&name).map_err(fail)?;
            let hosts = lab::status(&state);
            if json {
                let v = serde_json::json!({
                    "name": state.name, "bridge": state.bridge, "client_key": state.client_key,
                    "known_hosts": state.known_hosts, "inventory": state.inventory, "hosts": hosts,
                    "kubeconfig": state.kubeconfig, "api_url": state.api_url(),
                });
                let _ = writeln!(out, "{v:#}");
            } else {
                let _ = writeln!(
                    out,
                    "lab {:?} (bridge {}, gateway {})",
                    state.name, state.bridge, state.gateway
                );
                let _ = write!(out, "{}", lab_table(&hosts));
            }
        }
        LabCommand::Inventory => {
            let state = lab::load(&name).map_err(fail)?;
            let _ = write!(out, "{}", lab::inventory::render(&state));
        }
        LabCommand::Kubeconfig => {
            let state = lab::load(&name).map_err(fail)?;
            let _ = writeln!(out, "{}", state.kubeconfig.display());
        }
        LabCommand::Demo { keep } => {
            drop(out);
            return demo(name, keep);
        }
        LabCommand::ServeApi => lab::kubeapi::serve(&name).map_err(fail)?,
        LabCommand::Boot { host } => lab::boot(&name, &host).map_err(fail)?,
        LabCommand::Watch { owner_pid, owner_start } => {
            lab::watch(&name, owner_pid, owner_start).map_err(fail)?
        }
    }
    Ok(exit::OK)
}

/// One line per lab host: name, address, sshd PID, whether it answers.
fn lab_table(hosts: &[lab::HostStatus]) -> String {
    hosts
        .iter()
        .map(|h| {
            let pid = h.sshd_pid.map_or_else(|| "-".to_string(), |p| p.to_string());
            let state = if h.answers { "sshd answers" } else { "sshd DOWN" };
            format!("{:<8} {:<15} pid {:<8} {state}\n", h.name, h.address, pid)
        })
        .collect()
}

/// `hearth lab demo`: prepare, run site.yml twice, summarize, clean up.
fn demo(name: String, keep: bool) -> Result<u8, Failure> {
    let token = std::env::var("HEARTH_RUNNER_TOKEN").ok();
    let fail = |e: lab::LabError| Failure::new(exit::ERROR, e);
    let demo = demo::prepare(&DemoOptions { name, keep, token }).map_err(fail)?;
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "hearth lab demo: lab {:?}{} ({} = GitLab, {} = builders), project {}\n\
         package mirror {} (docker.io cached in {}); runner token: {}\n",
        demo.lab.name,
        if demo.reused { ", already running" } else { "" },
        demo.lab.hosts[0].name,
        demo.lab.hosts[1..].iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", "),
        demo.dir.display(),
        demo.mirror_url,
        demo.cache.display(),
        if demo.generated_token { "a generated glrt-demo-... token" } else { "HEARTH_RUNNER_TOKEN" },
    );
    let runs = run_twice(&demo);
    let removed = demo::finish(&demo, keep);
    let kept = !matches!(removed, Ok(true));
    let verdict = runs.and_then(|summaries| summarize(&demo, &summaries, kept));
    let _ = match (&removed, keep || demo.reused) {
        (Ok(true), _) => writeln!(out, "lab {:?} removed", demo.lab.name),
        (Ok(false), _) | (Err(_), true) => writeln!(
            out,
            "lab {name:?} kept: re-run with `hearth apply -i {inv} {pb} -e runner_token=...` \
             (from {dir}); remove it with `hearth lab down --name {name}`",
            name = demo.lab.name,
            inv = demo.inventory.display(),
            pb = demo.playbook.display(),
            dir = demo.dir.display(),
        ),
        (Err(e), false) => writeln!(out, "could not remove lab {:?}: {e}", demo.lab.name),
    };
    verdict
}

/// Runs site.yml twice; returns both runs' summaries, or the first failed run's exit code.
fn run_twice(demo: &Demo) -> Result<[Summary; 2], Failure> {
    let mut done = Vec::new();
    for (n, what) in [("first", "bootstrap"), ("second", "must change nothing")] {
        let _ = writeln!(std::io::stdout(), "==== hearth lab demo: {n} run of site.yml ({what})");
        let mut inv = load_inventory(&[demo.inventory.display().to_string()])?;
        let opts =
            Options { forks: 50, connect_timeout: 10, extra_vars: demo.extra_vars(), ..Options::default() };
        let mut reporter = reporter(Output::Text, false, &opts);
        let pool = execute::Pool::default();
        let mut summaries = Vec::new();
        let code = closing_on_interrupt(&pool, || {
            run_playbooks(
                std::slice::from_ref(&demo.playbook),
                &mut inv,
                &opts,
                reporter.as_mut(),
                &pool,
                &mut summaries,
            )
        })?;
        drop(reporter);
        if code != exit::OK {
            return Err(Failure::new(
                code,
                anyhow::anyhow!("the demo's {n} run of site.yml failed (exit {code})"),
            ));
        }
        done.push(summaries.pop().unwrap_or_default());
    }
    let second = done.pop().unwrap_or_default();
    let first = done.pop().unwrap_or_default();
    Ok([first, second])
}

/// Shows what the two runs did; fails unless the second changed nothing anywhere.
fn summarize(demo: &Demo, [first, second]: &[Summary; 2], kept: bool) -> Result<u8, Failure> {
    let mut out = std::io::stdout();
    let changed = first.changed_hosts();
    let listed: Vec<String> = changed.iter().map(|(h, n)| format!("{h} changed={n}")).collect();
    let _ = writeln!(out, "\nhearth lab demo summary");
    let _ = writeln!(
        out,
        "  first run (bootstrap): {}",
        if listed.is_empty() { "nothing to change".into() } else { listed.join(", ") }
    );
    let again = second.changed_hosts();
    if !again.is_empty() {
        let listed: Vec<String> = again.iter().map(|(h, n)| format!("{h} changed={n}")).collect();
        return Err(Failure::new(
            exit::ERROR,
            anyhow::anyhow!(
                "the second run of site.yml still changed something: {} (it must be idempotent)",
                listed.join(", ")
            ),
        ));
    }
    let _ = writeln!(out, "  second run: changed=0 on every host ({} hosts)", second.stats.len());
    let _ = writeln!(
        out,
        "  Docker: docker.io on {}",
        demo.lab.hosts[1..].iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(
        out,
        "  GitLab: /etc/gitlab/gitlab.rb on {} (the token line, one gitlab-ctl reconfigure)",
        demo.lab.hosts[0].name
    );
    let where_ =
        if kept { demo.kubectl_hint() } else { "run with --keep to look at them with kubectl".into() };
    let _ = writeln!(
        out,
        "  Kubernetes: Namespace, Secret and Deployment gitlab-runner in the lab's API double ({where_})"
    );
    Ok(exit::OK)
}
