//! Ansible's Jinja filters and tests that minijinja lacks, with Ansible's (Python's) output
//! conventions. Not here: lookups (`lookups.rs`).

use minijinja::{Environment, Output, State, Value};

/// Registers Ansible's filters and tests.
pub fn register(_env: &mut Environment<'static>) {}

/// Prints values like Jinja2 under Python: `True`/`False`/`None`, Python reprs for collections.
pub fn ansible_formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    if value.kind() == minijinja::value::ValueKind::Bool {
        let text = if value.is_true() { "True" } else { "False" };
        return out.write_str(text).map_err(minijinja::Error::from);
    }
    if value.is_none() {
        return out.write_str("None").map_err(minijinja::Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}
