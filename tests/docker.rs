//! The shipped Docker role (playbooks/docker.yml) for real: docker.io installed with apt from a
//! local signed repository laid out like Docker's, on the hosts of a lab of their own, then
//! re-run (changed=0) and re-configured (only daemon.json changes, one reload).

use crate::support::Project;
use crate::support::aptrepo::AptRepo;
use crate::support::lab::Lab;

/// A project with the shipped docker playbook and role, and an inventory that puts `lab`'s
/// hosts (as root) in `builders`.
fn project(lab: &Lab, repo_url: &str) -> Project {
    let p = Project::new();
    let repo = env!("CARGO_MANIFEST_DIR");
    let files = [
        "docker.yml",
        "roles/docker/defaults/main.yml",
        "roles/docker/tasks/main.yml",
        "roles/docker/handlers/main.yml",
        "roles/docker/templates/daemon.json.j2",
    ];
    for f in files {
        p.write(&format!("playbooks/{f}"), &read(&format!("{repo}/playbooks/{f}")));
    }
    p.write("inventory/lab.yml", &read(&lab.inventory.display().to_string()));
    let hosts: String = lab.hosts.iter().map(|(name, _)| format!("    {name}:\n")).collect();
    p.write("inventory/builders.yml", &format!("builders:\n  hosts:\n{hosts}"));
    p.write(
        "inventory/group_vars/builders.yml",
        &format!(
            "docker_apt_repo_url: {repo_url}\ndocker_packages: [docker.io]\ndocker_users: [hearth]\n\
             docker_insecure_registries: [\"gitlab.lan:5050\"]\n"
        ),
    );
    p
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The calls of the systemctl stand-in on host `i` that act on docker (not `show`).
fn docker_actions(lab: &Lab, i: usize) -> Vec<String> {
    lab.systemctl_calls(i, "docker").into_iter().filter(|l| !l.starts_with("show")).collect()
}

const DAEMON_JSON: &str = r#"{
    "insecure-registries": [
        "gitlab.lan:5050"
    ],
    "log-driver": "json-file",
    "log-opts": {
        "max-file": "3",
        "max-size": "10m"
    }
}"#;

#[test]
fn docker_role_installs_converges_and_reloads_once_on_change() {
    let Some(shared) = Lab::get() else { return };
    let pid = std::process::id().to_string();
    let lab = Lab::start(&format!("dock-{pid}"), 2, Some(&pid));
    let repo = AptRepo::get(shared);
    let url = repo.url_on(&lab);
    let p = project(&lab, &url);

    let first = p.hearth(&["apply", "playbooks/docker.yml", "-i", "inventory"]);
    first.code(0);
    for (i, (host, _)) in lab.hosts.iter().enumerate() {
        assert!(
            first.recap(host, "changed") >= 6,
            "{host}: key, source, cache, install, daemon.json...:\n{}",
            first.stdout
        );
        let status = lab.ok(i, "root", "dpkg-query -W -f '${Status}' docker.io");
        assert_eq!(status, "install ok installed", "{host}");
        assert_eq!(lab.ok(i, "root", "cat /etc/apt/keyrings/docker.asc"), repo.key.trim(), "{host}: key");
        let source = lab.ok(i, "root", "cat /etc/apt/sources.list.d/docker.sources");
        for want in [
            "Types: deb".to_string(),
            format!("URIs: {url}"),
            format!("Suites: {}", repo.suite),
            "Components: stable".to_string(),
            format!("Architectures: {}", repo.arch),
            "Signed-By: /etc/apt/keyrings/docker.asc".to_string(),
        ] {
            assert!(source.lines().any(|l| l == want), "{host}: {want:?} missing in\n{source}");
        }
        assert_eq!(lab.ok(i, "root", "cat /etc/docker/daemon.json"), DAEMON_JSON, "{host}");
        let groups = lab.ok(i, "root", "id -nG hearth");
        assert!(groups.split_whitespace().any(|g| g == "docker"), "{host}: {groups}");
        // docker.io's postinst already enabled the unit; the role starts it, and the handler
        // reloads it once for the new daemon.json.
        assert_eq!(docker_actions(&lab, i), ["start docker", "reload docker"], "{host}");
    }

    let again = p.hearth(&["apply", "playbooks/docker.yml", "-i", "inventory"]);
    again.code(0);
    for (i, (host, _)) in lab.hosts.iter().enumerate() {
        assert_eq!(again.recap(host, "changed"), 0, "{host} re-run:\n{}", again.stdout);
        assert_eq!(docker_actions(&lab, i).len(), 2, "{host}: no service call on a re-run");
    }

    let registries = r#"{"docker_insecure_registries": ["gitlab.lan:5050", "registry.lan:5000"]}"#;
    let changed = p.hearth(&["apply", "playbooks/docker.yml", "-i", "inventory", "-e", registries]);
    changed.code(0);
    for (i, (host, _)) in lab.hosts.iter().enumerate() {
        assert_eq!(changed.recap(host, "changed"), 2, "{host}: daemon.json + reload:\n{}", changed.stdout);
        assert!(lab.ok(i, "root", "cat /etc/docker/daemon.json").contains("\"registry.lan:5000\""));
        assert_eq!(docker_actions(&lab, i).last().map(String::as_str), Some("reload docker"), "{host}");
        assert_eq!(docker_actions(&lab, i).len(), 3, "{host}: exactly one reload");
    }
}
