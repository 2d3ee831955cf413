//! The lab's Ansible inventory (YAML): group `lab` = every host as root; group `lab_user` = the
//! same machines as the non-root user `hearth`, named `<host>_user`, with its sudo password for
//! become. Target one group or the other (`hosts: lab`, or `-l lab_user`), not `all`, or each
//! machine runs twice. Pure rendering; it does not read or write files.

use super::rootfs::{PASSWORD, USER};
use super::state::LabState;

/// Quotes a scalar for YAML (a JSON string is a valid YAML double-quoted scalar).
fn q(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The SSH options every lab connection needs: the lab's known_hosts, strict checking, lab key only.
pub fn ssh_common_args(lab: &LabState) -> String {
    format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
        lab.known_hosts.display()
    )
}

/// Renders the inventory for a lab.
pub fn render(lab: &LabState) -> String {
    let mut out = format!(
        "# hearth lab {name:?}: throwaway hosts on this machine (`hearth lab down --name {name}` removes them).\n\
         # Group `lab`: the hosts as root. Group `lab_user`: the same hosts as the non-root user `{USER}`,\n\
         # which becomes root with sudo and its password. Target one of the two groups, not `all`.\n\
         all:\n  vars:\n    ansible_ssh_private_key_file: {key}\n    ansible_ssh_common_args: {args}\n  children:\n",
        name = lab.name,
        key = q(&lab.client_key.display().to_string()),
        args = q(&ssh_common_args(lab)),
    );
    out.push_str("    lab:\n      vars:\n        ansible_user: root\n      hosts:\n");
    for h in &lab.hosts {
        out.push_str(&format!("        {}:\n          ansible_host: {}\n", h.name, q(&h.address)));
    }
    out.push_str(&format!(
        "    lab_user:\n      vars:\n        ansible_user: {USER}\n        ansible_become_method: sudo\n        ansible_become_password: {}\n      hosts:\n",
        q(PASSWORD)
    ));
    for h in &lab.hosts {
        out.push_str(&format!("        {}_user:\n          ansible_host: {}\n", h.name, q(&h.address)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn inventory_lists_both_groups() {
        let lab = LabState::plan(Path::new("/l"), "default", 0, 2);
        let text = render(&lab);
        assert!(text.contains("    lab:\n      vars:\n        ansible_user: root\n      hosts:\n        lab1:\n          ansible_host: \"10.77.0.11\"\n"), "{text}");
        assert!(text.contains("        lab2_user:\n          ansible_host: \"10.77.0.12\"\n"));
        assert!(text.contains("ansible_become_password: \"hearth-lab\""));
        assert!(text.contains("ansible_ssh_private_key_file: \"/l/default/client_key\""));
        assert!(text.contains("-o UserKnownHostsFile=/l/default/known_hosts -o StrictHostKeyChecking=yes"));
    }
}
