//! The INI inventory format as Ansible's ini plugin reads it: `[group]` host lines with inline
//! `k=v` variables, `[group:vars]` (one `k = v` per line), `[group:children]`, `#`/`;` comment
//! lines, and values typed like Python's `ast.literal_eval` (in `:vars` sections too: that is
//! what Ansible's code does, whatever its docs say). Groups referenced before they are declared
//! are resolved at the end, like Ansible. It does not sanitize group names (Ansible's default
//! only warns).

use std::path::Path;
use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;
use regex::Regex;

use super::error::{GraphError, InventoryError};
use super::model::Inventory;
use super::shlex;
use crate::load::address;
use hearth_formats::pyliteral;
use hearth_formats::value::Value;
use hearth_formats::yaml::{Pos, YamlError};

static SECTION: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern, exercised by the tests.
    Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$").expect("constant regex compiles")
});
static GROUP_NAME: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern, exercised by the tests.
    Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$").expect("constant regex compiles")
});

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Hosts,
    Vars,
    Children,
}

/// A group used before it was declared: `[g:vars]` or a `[parent:children]` entry.
struct Pending {
    line: u64,
    vars_only: bool,
    parents: Vec<String>,
}

/// Adds the groups and hosts of the INI inventory at `path` to `inv`.
pub fn parse(inv: &mut Inventory, path: &Path, source: &str) -> Result<(), InventoryError> {
    let bytes = std::fs::read(path)
        .map_err(|e| InventoryError::Io { path: path.display().to_string(), source: e })?;
    // A vault-encrypted INI inventory is read decrypted, like Ansible's loader does.
    let bytes = hearth_formats::vault::decrypt_file_bytes(bytes, path).map_err(YamlError::from)?;
    let text = String::from_utf8_lossy(&bytes);
    parse_str(inv, &text, path, source)
}

/// Parses INI inventory text; `path` is used for positions.
pub fn parse_str(inv: &mut Inventory, text: &str, path: &Path, source: &str) -> Result<(), InventoryError> {
    let file = Arc::new(path.to_path_buf());
    let mut p = Parser {
        inv,
        source,
        file,
        pending: IndexMap::new(),
        group: "ungrouped".into(),
        state: State::Hosts,
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        p.line(line, i as u64 + 1)?;
    }
    p.finish()
}

struct Parser<'a> {
    inv: &'a mut Inventory,
    source: &'a str,
    file: Arc<std::path::PathBuf>,
    pending: IndexMap<String, Pending>,
    group: String,
    state: State,
}

impl Parser<'_> {
    fn at(&self, line: u64) -> Pos {
        Pos { file: self.file.clone(), line, column: 1 }
    }

    fn err(&self, line: u64, message: String) -> InventoryError {
        InventoryError::Ini { at: self.at(line), message }
    }

    fn graph(&self, line: u64) -> impl Fn(GraphError) -> InventoryError + '_ {
        move |source| InventoryError::Graph { at: self.at(line), source }
    }

    fn line(&mut self, line: &str, n: u64) -> Result<(), InventoryError> {
        if let Some(c) = SECTION.captures(line) {
            return self.section(&c[1], c.get(2).map(|m| m.as_str()), line, n);
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(self.err(
                n,
                format!(
                    "Invalid section entry: '{line}'. Please make sure that there are no spaces in the \
                     section entry, and that there are no other invalid characters"
                ),
            ));
        }
        match self.state {
            State::Hosts => self.host_line(line, n),
            State::Vars => self.var_line(line, n),
            State::Children => self.child_line(line, n),
        }
    }

    fn section(&mut self, name: &str, kind: Option<&str>, line: &str, n: u64) -> Result<(), InventoryError> {
        self.state = match kind {
            None | Some("hosts") => State::Hosts,
            Some("vars") => State::Vars,
            Some("children") => State::Children,
            Some(other) => {
                let title = line.trim_start_matches('[').split(']').next().unwrap_or(line);
                return Err(self.err(n, format!("Section [{title}] has unknown type: {other}")));
            }
        };
        self.group = name.to_string();
        if !self.inv.has_group(name) {
            if self.state == State::Vars && !self.pending.contains_key(name) {
                self.pending
                    .insert(name.to_string(), Pending { line: n, vars_only: true, parents: Vec::new() });
            }
            self.inv.add_group(name).map_err(self.graph(n))?;
        }
        if self.state != State::Vars
            && let Some(p) = self.pending.shift_remove(name)
        {
            for parent in &p.parents {
                self.inv.add_child(parent, name).map_err(self.graph(p.line))?;
            }
        }
        Ok(())
    }

    fn host_line(&mut self, line: &str, n: u64) -> Result<(), InventoryError> {
        let tokens = shlex::split(line)
            .map_err(|e| self.err(n, format!("Error parsing host definition '{line}': {e}")))?;
        let Some(first) = tokens.first() else { return Ok(()) };
        let (names, port) = self.expand(first, n)?;
        let mut vars = Vec::new();
        for t in &tokens[1..] {
            let Some((k, v)) = t.split_once('=') else {
                return Err(self.err(n, format!("Expected key=value host variable assignment, got: {t}")));
            };
            vars.push((k.to_string(), parse_value(v)));
        }
        let group = self.group.clone();
        for name in names {
            self.inv.add_host(&name, Some(&group), port, Some(self.source)).map_err(self.graph(n))?;
            for (k, v) in &vars {
                self.inv.set_host_var(&name, k, v.clone());
            }
        }
        Ok(())
    }

    fn expand(&self, pattern: &str, n: u64) -> Result<(Vec<String>, Option<u64>), InventoryError> {
        let (names, port) = address::expand_host_pattern(pattern).map_err(|message| {
            InventoryError::HostRange { at: self.at(n), pattern: pattern.to_string(), message }
        })?;
        if pattern.trim().ends_with(':') && port.is_none() {
            return Err(self.err(
                n,
                format!(
                    "Invalid host pattern '{pattern}' supplied, ending in ':' is not allowed, this character \
                     is reserved to provide a port."
                ),
            ));
        }
        if names.iter().any(|h| h.trim() == "---") {
            let msg = format!(
                "Invalid host pattern '{pattern}' supplied, '---' is normally a sign this is a YAML file."
            );
            return Err(self.err(n, msg));
        }
        Ok((names, port))
    }

    fn var_line(&mut self, line: &str, n: u64) -> Result<(), InventoryError> {
        let Some((k, v)) = line.split_once('=') else {
            return Err(self.err(n, format!("Expected key=value, got: {line}")));
        };
        let group = self.group.clone();
        self.inv.set_group_var(&group, k.trim(), parse_value(v.trim())).map_err(self.graph(n))
    }

    fn child_line(&mut self, line: &str, n: u64) -> Result<(), InventoryError> {
        let Some(c) = GROUP_NAME.captures(line) else {
            return Err(self.err(n, format!("Expected group name, got: {line}")));
        };
        let child = c[1].to_string();
        if self.inv.has_group(&child) {
            return self.inv.add_child(&self.group.clone(), &child).map_err(self.graph(n));
        }
        let parent = self.group.clone();
        self.pending
            .entry(child)
            .or_insert(Pending { line: n, vars_only: false, parents: Vec::new() })
            .parents
            .push(parent);
        Ok(())
    }

    /// Reports the first group that was used but never declared, like Ansible.
    fn finish(self) -> Result<(), InventoryError> {
        let Some((name, p)) = self.pending.first() else { return Ok(()) };
        let message = if p.vars_only {
            format!("Section [{name}:vars] not valid for undefined group: {name}")
        } else {
            let parent = p.parents.last().map(String::as_str).unwrap_or("?");
            format!("Section [{parent}:children] includes undefined group: {name}")
        };
        Err(self.err(p.line, message))
    }
}

/// An INI value: a Python literal when it is one, otherwise the string as written.
fn parse_value(v: &str) -> Value {
    pyliteral::literal_eval(v).unwrap_or_else(|| Value::String(v.to_string()))
}
