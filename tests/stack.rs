//! The shipped playbooks (playbooks/, inventory/): the GitLab token step run on the control
//! node against a copy of gitlab.rb, with a recording stand-in for `gitlab-ctl`.

use std::os::unix::fs::PermissionsExt;

use crate::support::Project;

const GITLAB_RB: &str = "external_url 'http://gitlab.lan'\n# gitlab_rails['initial_shared_runners_registration_token'] = \"token\"\n# other settings\n";

/// A project with the repo's playbooks, a local inventory for `gitlab`, and a stand-in
/// `gitlab-ctl` that records each call into `gitlab-ctl.log`.
fn stack() -> (Project, String) {
    let p = Project::new();
    let repo = env!("CARGO_MANIFEST_DIR");
    for f in ["playbooks/site.yml", "playbooks/gitlab.yml"] {
        p.write(f, &std::fs::read_to_string(format!("{repo}/{f}")).expect("shipped playbook"));
    }
    p.write("inventory/hosts.yml", "gitlab:\n  hosts:\n    gitlab.lan:\n      ansible_connection: local\n");
    p.write(
        "inventory/group_vars/all.yml",
        &std::fs::read_to_string(format!("{repo}/inventory/group_vars/all.yml")).expect("group vars"),
    );
    p.write("inventory/host_vars/gitlab.lan.yml", "gitlab_config: \"{root}/gitlab.rb\"\n");
    p.write("gitlab.rb", GITLAB_RB);
    p.write("bin/gitlab-ctl", "#!/bin/sh\n# stand-in for GitLab's gitlab-ctl: records its arguments\necho \"$@\" >> \"$(dirname \"$0\")/../gitlab-ctl.log\"\n");
    std::fs::set_permissions(p.path("bin/gitlab-ctl"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let path = format!("{}:{}", p.path("bin").display(), std::env::var("PATH").unwrap_or_default());
    (p, path)
}

fn reconfigures(p: &Project) -> usize {
    std::fs::read_to_string(p.path("gitlab-ctl.log"))
        .map(|s| s.lines().filter(|l| *l == "reconfigure").count())
        .unwrap_or(0)
}

#[test]
fn token_set_once_reconfigure_only_on_change() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: the GitLab play uses become, which hearth honours locally only as root");
        return;
    }
    let (p, path) = stack();
    let env = [("PATH", path.as_str()), ("HEARTH_RUNNER_TOKEN", "s3cr3t-token")];
    let first = p.hearth_env(&["apply", "playbooks/gitlab.yml", "--diff"], &env);
    first.code(0);
    assert_eq!(first.recap("gitlab.lan", "changed"), 2, "token line + handler");
    assert!(!first.stdout.contains("s3cr3t"), "the token leaked:\n{}", first.stdout);
    let rb = p.read("gitlab.rb");
    assert_eq!(rb.matches("initial_shared_runners_registration_token").count(), 1);
    assert!(rb.contains("gitlab_rails['initial_shared_runners_registration_token'] = 's3cr3t-token'\n"));
    assert_eq!(reconfigures(&p), 1);
    let backups = p.snapshot().iter().filter(|(f, _)| f.to_string_lossy().contains("gitlab.rb.")).count();
    assert_eq!(backups, 1, "a backup of the old gitlab.rb is kept");

    let again = p.hearth_env(&["apply", "playbooks/gitlab.yml"], &env);
    again.code(0);
    assert_eq!(again.recap("gitlab.lan", "changed"), 0);
    assert_eq!(reconfigures(&p), 1, "no reconfigure when nothing changed");

    let rotated = p.hearth_env(
        &["apply", "playbooks/gitlab.yml"],
        &[("PATH", path.as_str()), ("HEARTH_RUNNER_TOKEN", "new-token")],
    );
    rotated.code(0);
    assert_eq!(reconfigures(&p), 2);
    assert_eq!(p.read("gitlab.rb").matches("initial_shared_runners_registration_token").count(), 1);
}

#[test]
fn missing_token_fails_clearly_without_touching_the_file() {
    let (p, path) = stack();
    let run = p.hearth_env(
        &["apply", "playbooks/gitlab.yml"],
        &[("PATH", path.as_str()), ("HEARTH_RUNNER_TOKEN", "")],
    );
    run.code(2);
    assert_eq!(p.read("gitlab.rb"), GITLAB_RB);
    assert_eq!(reconfigures(&p), 0);
}

#[test]
fn shipped_inventory_parses() {
    let p = Project::new();
    let repo = env!("CARGO_MANIFEST_DIR");
    let run = p.hearth(&["inventory", "-i", &format!("{repo}/inventory"), "--graph"]);
    run.code(0).stdout_has("@gitlab:").stdout_has("@builders:");
}

#[test]
fn sample_gitlab_ci_is_written_where_asked() {
    let p = Project::new();
    let repo = env!("CARGO_MANIFEST_DIR");
    for f in ["playbooks/gitlab-ci-sample.yml", "templates/gitlab-ci.yml.j2", "inventory/group_vars/all.yml"]
    {
        p.write(f, &std::fs::read_to_string(format!("{repo}/{f}")).expect("shipped file"));
    }
    let dest = p.path("app/.gitlab-ci.yml").display().to_string();
    std::fs::create_dir_all(p.path("app")).expect("app dir");
    let run = p.hearth(&[
        "apply",
        "playbooks/gitlab-ci-sample.yml",
        "-i",
        "inventory",
        "-e",
        &format!("dest={dest}"),
    ]);
    run.code(0);
    let ci = p.read("app/.gitlab-ci.yml");
    assert!(ci.contains("tags: [docker]"), "{ci}");
    assert!(ci.contains("docker login -u \"$CI_REGISTRY_USER\" --password-stdin \"$CI_REGISTRY\""), "{ci}");
    assert!(
        ci.contains("docker push \"${CI_REGISTRY_IMAGE}/${CI_JOB_NAME}:${CI_COMMIT_TAG:-latest}\""),
        "{ci}"
    );
    let again = p.hearth(&[
        "apply",
        "playbooks/gitlab-ci-sample.yml",
        "-i",
        "inventory",
        "-e",
        &format!("dest={dest}"),
    ]);
    assert_eq!(again.recap("localhost", "changed"), 0);
}
