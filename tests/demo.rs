//! `hearth lab demo`: the whole stack bootstrapped on a lab of its own with the embedded shipped
//! playbooks, twice, the second run changing nothing; the lab removed afterwards, or kept with
//! `--keep` (the runner objects then in its API double). Skipped (one line) when not root.

use std::io::Write;
use std::process::Command;

use crate::support::Run;
use crate::support::aptrepo::POOL_CACHE;
use crate::support::kube::get;
use crate::support::lab::{Lab, hearth_lab, is_root};

fn demo(name: &str, more: &[&str], token: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
    cmd.args(["lab", "demo", "--name", name]).args(more);
    // The CI cache of docker.io's packages, shared with the apt tests.
    cmd.env("HEARTH_LAB_MIRROR_CACHE", POOL_CACHE).env_remove("HEARTH_RUNNER_TOKEN");
    if let Some(t) = token {
        cmd.env("HEARTH_RUNNER_TOKEN", t);
    }
    cmd.output().expect("run hearth lab demo").into()
}

/// The recap lines (`host : ok=.. changed=..`) after the `n`th PLAY RECAP header.
fn recap(run: &Run, n: usize) -> Vec<(String, u32)> {
    let mut sections = run.stdout.split("PLAY RECAP").skip(1);
    let section = sections.nth(n).unwrap_or_else(|| panic!("no recap {n}:\n{}", run.stdout));
    section
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let host = l.split_whitespace().next().expect("host").to_string();
            let changed = l.split_whitespace().find_map(|w| w.strip_prefix("changed=")).expect("changed=");
            (host, changed.parse().expect("number"))
        })
        .collect()
}

fn lab_exists(name: &str) -> bool {
    hearth_lab(&["status", "--name", name]).status.success()
}

#[test]
fn the_demo_bootstraps_the_stack_twice_and_cleans_up() {
    if !is_root() {
        let _ = writeln!(std::io::stderr(), "skipped: lab tests need root");
        return;
    }
    let pid = std::process::id();
    let name = format!("demo-{pid}");
    let run = demo(&name, &[], None);
    run.code(0);
    assert_eq!(run.stdout.matches("PLAY RECAP").count(), 2, "{}", run.stdout);
    let first = recap(&run, 0);
    let hosts: Vec<&str> = first.iter().map(|(h, _)| h.as_str()).collect();
    for host in ["lab1", "lab2", "lab3", "localhost"] {
        assert!(hosts.contains(&host), "{host} in the first recap: {hosts:?}");
    }
    assert!(first.iter().all(|(_, c)| *c > 0), "the bootstrap changes every host: {first:?}");
    let second = recap(&run, 1);
    assert_eq!(second.len(), first.len(), "{}", run.stdout);
    assert!(second.iter().all(|(_, c)| *c == 0), "second run: {second:?}\n{}", run.stdout);
    let shown =
        run.stdout.split("glrt-demo-").skip(1).any(|rest| rest.starts_with(|c: char| c.is_ascii_hexdigit()));
    assert!(!shown, "the generated token was shown:\n{}", run.stdout);
    run.stdout_has("changed=0 on every host").stdout_has(&format!("lab \"{name}\" removed"));
    assert!(!lab_exists(&name), "the demo lab is gone afterwards");

    // --keep: the lab stays, with the runner objects in its API double; the token stays secret.
    let kept = format!("demok-{pid}");
    let token = "glrt-demo-test-secret-9f8e";
    let run = demo(&kept, &["--keep"], Some(token));
    let lab = lab_exists(&kept).then(|| Lab::describe(&kept));
    let deployment = lab
        .as_ref()
        .and_then(|l| get(&l.kubeconfig, "apps/v1", "Deployment", Some("gitlab-runner"), "gitlab-runner"));
    let down = hearth_lab(&["down", "--name", &kept]);
    run.code(0);
    assert!(!run.stdout.contains(token) && !run.stderr.contains(token), "the token leaked");
    let lab = lab.expect("--keep leaves the lab running");
    assert!(down.status.success(), "hearth lab down: {}", String::from_utf8_lossy(&down.stderr));
    let deployment = deployment.expect("the runner Deployment in the kept lab's API double");
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert!(!deployment.to_string().contains(token), "the token is only in the Secret");
    run.stdout_has(&format!("kubectl --kubeconfig {}", lab.kubeconfig.display()));
    assert!(!lab_exists(&kept));
}
