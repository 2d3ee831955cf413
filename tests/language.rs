//! The playbook language: variables and precedence, loops, conditions, blocks, handlers, tags,
//! includes and roles.
