//! The engine: playbooks, roles, inventories and variables read into typed values (`load`),
//! plays run on their hosts in parallel with handlers, loops, retries and delegation
//! (`execute`), and what happened reported as events (`report`, the only code that prints).

pub mod execute;
pub mod load;
pub mod report;
