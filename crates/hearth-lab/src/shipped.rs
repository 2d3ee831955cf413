//! The stack's shipped files (playbooks/, templates/, inventory/group_vars/all.yml), embedded in
//! the binary so that `hearth lab demo` runs them from any directory, byte for byte as in the
//! repository. A unit test keeps this list equal to the files on disk. It does not embed the
//! example inventory (the demo writes one naming its lab hosts).

use std::fs;
use std::path::Path;

use crate::error::LabError;

/// Every shipped file: path relative to the repository root, content.
pub const FILES: &[(&str, &str)] = &[
    ("playbooks/docker.yml", include_str!("../../../playbooks/docker.yml")),
    ("playbooks/gitlab-ci-sample.yml", include_str!("../../../playbooks/gitlab-ci-sample.yml")),
    ("playbooks/gitlab.yml", include_str!("../../../playbooks/gitlab.yml")),
    (
        "playbooks/roles/docker/defaults/main.yml",
        include_str!("../../../playbooks/roles/docker/defaults/main.yml"),
    ),
    (
        "playbooks/roles/docker/handlers/main.yml",
        include_str!("../../../playbooks/roles/docker/handlers/main.yml"),
    ),
    ("playbooks/roles/docker/tasks/main.yml", include_str!("../../../playbooks/roles/docker/tasks/main.yml")),
    (
        "playbooks/roles/docker/templates/daemon.json.j2",
        include_str!("../../../playbooks/roles/docker/templates/daemon.json.j2"),
    ),
    ("playbooks/runner.yml", include_str!("../../../playbooks/runner.yml")),
    ("playbooks/site.yml", include_str!("../../../playbooks/site.yml")),
    (
        "playbooks/tasks/gitlab-runner-create.yml",
        include_str!("../../../playbooks/tasks/gitlab-runner-create.yml"),
    ),
    ("templates/gitlab-ci.yml.j2", include_str!("../../../templates/gitlab-ci.yml.j2")),
    ("templates/gitlab-runner.yml.j2", include_str!("../../../templates/gitlab-runner.yml.j2")),
    ("inventory/group_vars/all.yml", include_str!("../../../inventory/group_vars/all.yml")),
];

/// Writes every shipped file under `dir` (its `playbooks/`, `templates/`, `inventory/`).
pub fn write_all(dir: &Path) -> Result<(), LabError> {
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| LabError::io(parent, e))?;
        }
        fs::write(&path, text).map_err(|e| LabError::io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                let repo = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
                out.push(path.strip_prefix(repo).unwrap().display().to_string());
            }
        }
    }

    #[test]
    fn every_shipped_file_is_embedded() {
        let repo = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let mut on_disk = vec!["inventory/group_vars/all.yml".to_string()];
        walk(&repo.join("playbooks"), &mut on_disk);
        walk(&repo.join("templates"), &mut on_disk);
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk, "update src/lab/shipped.rs");
    }
}
