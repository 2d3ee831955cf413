//! Compatibility with ansible-playbook: the same playbooks run under both tools on separate
//! copies of the same files must leave identical files (content and mode) and report the same
//! number of changed tasks. Needs `HEARTH_ANSIBLE_PLAYBOOK` (set by `.ci/run`).
