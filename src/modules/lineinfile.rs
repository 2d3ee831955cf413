//! `lineinfile`: make sure one line is in a file (or that matching lines are not), exactly the
//! way Ansible's module edits it: lines split on `\n` only, the last match replaced (the first
//! with `firstmatch`), `insertafter`/`insertbefore` used only when nothing matched, a missing
//! final newline added before appending, CRLF lines replaced by LF ones when rewritten. The
//! editing is the pure [`present`]/[`absent`] pair; the module around it only reads, plans and
//! writes. It does not expand `~` in `path` and does not manage SELinux contexts.

use serde::Deserialize;

use super::fileedit::{self, Target};
use super::pyre::{self, PyReError};
use super::{Ctx, Module, ModuleError, Plan, mode};
use crate::value::{Map, Value};

/// What to look for and what to put, the pure part of the parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineSpec<'a> {
    /// Python regular expression searched in each line (with its newline).
    pub regexp: Option<&'a str>,
    /// Literal text searched in each line.
    pub search_string: Option<&'a str>,
    /// The line wanted (state=present) or removed (state=absent, when nothing else is given).
    pub line: Option<&'a str>,
    /// `EOF`, `BOF` or a regular expression.
    pub insertafter: Option<&'a str>,
    /// `BOF` or a regular expression.
    pub insertbefore: Option<&'a str>,
    /// Use the first match instead of the last.
    pub firstmatch: bool,
    /// Expand `\1`/`\g<name>` in `line` from the regexp match; never insert.
    pub backrefs: bool,
}

/// The result of an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The new file content.
    pub content: Vec<u8>,
    /// Ansible's message: "line added", "line replaced", "N line(s) removed" or "".
    pub msg: String,
    /// Whether the content changed.
    pub changed: bool,
    /// Lines removed (state=absent).
    pub found: usize,
}

/// Python's `readlines()`: split after each `\n`, keeping it.
fn split_lines(b: &[u8]) -> Vec<Vec<u8>> {
    b.split_inclusive(|c| *c == b'\n').map(<[u8]>::to_vec).collect()
}

/// The line without any trailing `\r`/`\n` characters (Python's `rstrip(b'\r\n')`).
fn bare(l: &[u8]) -> &[u8] {
    let end = l.iter().rposition(|c| *c != b'\r' && *c != b'\n').map_or(0, |p| p + 1);
    &l[..end]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// A non-empty string (Python truthiness of an optional `str`).
fn truthy(s: Option<&str>) -> bool {
    s.is_some_and(|s| !s.is_empty())
}

fn with_nl(l: &[u8]) -> Vec<u8> {
    let mut v = l.to_vec();
    v.push(b'\n');
    v
}

/// Where a state=present search landed.
#[derive(Debug, Default)]
struct Found {
    /// Line matched by regexp/search_string, or equal to `line`.
    line: Option<usize>,
    /// Whether regexp/search_string matched.
    matched: bool,
    /// Insertion index from insertafter/insertbefore.
    insert: Option<usize>,
}

fn search(lines: &[Vec<u8>], spec: &LineSpec, line: &[u8]) -> Result<Found, PyReError> {
    let mut f = Found::default();
    if let Some(re) = spec.regexp.map(pyre::compile).transpose()? {
        f.line = find(lines, spec.firstmatch, |l| re.is_match(l));
    } else if let Some(ss) = spec.search_string {
        f.line = find(lines, spec.firstmatch, |l| contains(l, ss.as_bytes()));
    }
    f.matched = f.line.is_some();
    if f.matched {
        return Ok(f);
    }
    let ins = match (spec.insertafter, spec.insertbefore) {
        (Some(a), _) if a != "BOF" && a != "EOF" => Some(pyre::compile(a)?),
        (_, Some(b)) if b != "BOF" => Some(pyre::compile(b)?),
        _ => None,
    };
    for (n, l) in lines.iter().enumerate() {
        if bare(l) == line {
            f.line = Some(n);
        } else if ins.as_ref().is_some_and(|re| re.is_match(l)) {
            if truthy(spec.insertafter) {
                f.insert = Some(n + 1);
            }
            if truthy(spec.insertbefore) {
                f.insert = Some(n);
            }
            if spec.firstmatch && (truthy(spec.insertafter) || truthy(spec.insertbefore)) {
                break;
            }
        }
    }
    Ok(f)
}

/// The index of the last (or first) line matching.
fn find(lines: &[Vec<u8>], first: bool, pred: impl Fn(&[u8]) -> bool) -> Option<usize> {
    let mut it = lines.iter().enumerate().filter(|(_, l)| pred(l)).map(|(n, _)| n);
    if first { it.next() } else { it.last() }
}

/// Ensures `line` is present (state=present) in `current`, the file's bytes (empty for a new
/// file).
pub fn present(current: &[u8], spec: &LineSpec, line: &str) -> Result<Edit, PyReError> {
    let mut lines = split_lines(current);
    let f = search(&lines, spec, line.as_bytes())?;
    let b_line = line.as_bytes();
    let mut msg = "";
    if let Some(i) = f.line {
        let mut new = match (spec.backrefs && f.matched, spec.regexp) {
            (true, Some(p)) => expand(p, &lines[i], line)?,
            _ => b_line.to_vec(),
        };
        if !new.ends_with(b"\n") {
            new.push(b'\n');
        }
        if lines[i] != new {
            lines[i] = new;
            msg = "line replaced";
        }
    } else if spec.backrefs {
        // Without a match there is nothing to fill the backreferences with: leave the file.
    } else if spec.insertbefore == Some("BOF") || spec.insertafter == Some("BOF") {
        lines.insert(0, with_nl(b_line));
        msg = "line added";
    } else if spec.insertafter == Some("EOF") || f.insert.is_none() {
        if lines.last().is_some_and(|l| !l.ends_with(b"\n") && !l.ends_with(b"\r")) {
            lines.push(b"\n".to_vec());
        }
        lines.push(with_nl(b_line));
        msg = "line added";
    } else if let Some(at) = f.insert.filter(|_| truthy(spec.insertafter)) {
        let neighbour = if at == lines.len() { at - 1 } else { at };
        if bare(&lines[neighbour]) != b_line {
            lines.insert(at, with_nl(b_line));
            msg = "line added";
        }
    } else if let Some(at) = f.insert {
        lines.insert(at, with_nl(b_line));
        msg = "line added";
    }
    Ok(Edit { content: lines.concat(), msg: msg.into(), changed: !msg.is_empty(), found: 0 })
}

/// `line` with the regexp's groups on `text` filled in.
fn expand(pattern: &str, text: &[u8], line: &str) -> Result<Vec<u8>, PyReError> {
    let re = pyre::compile(pattern)?;
    match re.captures(text) {
        Some(caps) => pyre::expand(line, &caps, &re),
        None => Ok(line.as_bytes().to_vec()),
    }
}

/// Removes every line matching `regexp`, containing `search_string`, or equal to `line`
/// (state=absent), in that order of preference.
pub fn absent(current: &[u8], spec: &LineSpec) -> Result<Edit, PyReError> {
    let re = spec.regexp.map(pyre::compile).transpose()?;
    let matches = |l: &[u8]| match (&re, spec.search_string, spec.line) {
        (Some(re), _, _) => re.is_match(l),
        (None, Some(ss), _) => contains(l, ss.as_bytes()),
        (None, None, Some(line)) => bare(l) == line.as_bytes(),
        (None, None, None) => false,
    };
    let lines = split_lines(current);
    let kept: Vec<Vec<u8>> = lines.iter().filter(|l| !matches(l)).cloned().collect();
    let found = lines.len() - kept.len();
    let msg = if found > 0 { format!("{found} line(s) removed") } else { String::new() };
    Ok(Edit { content: kept.concat(), msg, changed: found > 0, found })
}

/// Whether the line must be there or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Ensure the line is in the file.
    #[default]
    Present,
    /// Remove matching lines.
    Absent,
}

/// Parameters of `lineinfile`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lineinfile {
    /// The file to edit.
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    pub path: String,
    /// `present` (default) or `absent`.
    #[serde(default)]
    pub state: State,
    /// Python regular expression selecting the line to replace or remove.
    #[serde(default, alias = "regex", deserialize_with = "fileedit::de_opt_str")]
    pub regexp: Option<String>,
    /// Literal string selecting the line to replace or remove.
    #[serde(default, deserialize_with = "fileedit::de_opt_str")]
    pub search_string: Option<String>,
    /// The line to insert or replace with.
    #[serde(default, alias = "value", deserialize_with = "fileedit::de_opt_str")]
    pub line: Option<String>,
    /// Insert after the last line matching this regex (or `EOF`, `BOF`) when regexp matched nothing.
    #[serde(default, deserialize_with = "fileedit::de_opt_str")]
    pub insertafter: Option<String>,
    /// Insert before the last line matching this regex (or `BOF`) when regexp matched nothing.
    #[serde(default, deserialize_with = "fileedit::de_opt_str")]
    pub insertbefore: Option<String>,
    /// Use the first match of regexp/insertafter/insertbefore instead of the last.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub firstmatch: bool,
    /// Fill `\1`-style groups in `line` from regexp; leave the file alone when it does not match.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub backrefs: bool,
    /// Create the file when missing (state=present).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub create: bool,
    /// Keep a dated copy of the old file.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub backup: bool,
    /// Command with `%s` that must accept the new content before it is written.
    #[serde(default, deserialize_with = "fileedit::de_opt_str")]
    pub validate: Option<String>,
    /// Accepted for compatibility; writes are always atomic.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub unsafe_writes: bool,
    /// Permissions (octal string, int, or symbolic).
    #[serde(default)]
    pub mode: Option<Value>,
    /// Owner name or id.
    #[serde(default, deserialize_with = "fileedit::de_opt_str")]
    pub owner: Option<String>,
    /// Group name or id.
    #[serde(default, deserialize_with = "fileedit::de_opt_str")]
    pub group: Option<String>,
}

impl Lineinfile {
    fn spec(&self) -> LineSpec<'_> {
        let (insertafter, insertbefore) = match (&self.insertafter, &self.insertbefore) {
            (None, None) => (Some("EOF"), None),
            (a, b) => (a.as_deref(), b.as_deref()),
        };
        LineSpec {
            regexp: self.regexp.as_deref(),
            search_string: self.search_string.as_deref(),
            line: self.line.as_deref(),
            insertafter,
            insertbefore,
            firstmatch: self.firstmatch,
            backrefs: self.backrefs,
        }
    }

    /// Ansible's argument checks, in its order.
    fn check(&self) -> Result<(), ModuleError> {
        let pairs = [
            ("insertbefore", self.insertbefore.is_some(), "insertafter", self.insertafter.is_some()),
            ("regexp", self.regexp.is_some(), "search_string", self.search_string.is_some()),
            ("backrefs", self.backrefs, "search_string", self.search_string.is_some()),
        ];
        let clash: Vec<String> =
            pairs.iter().filter(|p| p.1 && p.3).map(|p| format!("{}|{}", p.0, p.2)).collect();
        if !clash.is_empty() {
            return Err(ModuleError::msg(format!("parameters are mutually exclusive: {}", clash.join(", "))));
        }
        let msg = match self.state {
            State::Present if self.backrefs && self.regexp.is_none() => {
                "regexp is required with backrefs=true"
            }
            State::Present if self.line.is_none() => "line is required with state=present",
            State::Absent if self.regexp.is_none() && self.search_string.is_none() && self.line.is_none() => {
                "one of line, search_string, or regexp is required with state=absent"
            }
            _ => return Ok(()),
        };
        Err(ModuleError::msg(msg))
    }

    /// Computes the edit on the current content; None when there is no file to act on.
    fn edit(&self, t: &Target, current: &[u8]) -> Result<Option<Edit>, ModuleError> {
        let spec = self.spec();
        let edit = match (self.state, &t.stat) {
            (State::Absent, None) => return Ok(None),
            (State::Present, None) if !self.create => {
                return Err(fileedit::fail_rc(format!("Destination {} does not exist !", t.path), 257));
            }
            (State::Present, _) => present(current, &spec, self.line.as_deref().unwrap_or_default()),
            (State::Absent, Some(_)) => absent(current, &spec),
        };
        edit.map(Some).map_err(|e| ModuleError::msg(e.to_string()))
    }
}

impl Module for Lineinfile {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        self.check()?;
        let t = fileedit::inspect(ctx.host, &self.path)?;
        let current = match &t.stat {
            Some(_) => ctx.host.read_file(&t.real)?.unwrap_or_default(),
            None => Vec::new(),
        };
        let Some(edit) = self.edit(&t, &current)? else {
            return Ok(Plan::ok("file not present").with("msg", "file not present"));
        };
        let attrs =
            mode::attrs(self.mode.as_ref(), self.owner.as_deref(), self.group.as_deref(), t.stat.as_ref())
                .map_err(ModuleError::msg)?;
        let attrs_changed = fileedit::attrs_change(t.stat.as_ref(), &attrs);
        let msg = fileedit::with_attrs_msg(&edit.msg, attrs_changed);
        let mut plan = if !edit.changed && !attrs_changed {
            Plan::ok(format!("{} already as wanted", t.path))
        } else {
            let action =
                write_action(t.clone(), edit.clone(), attrs.clone(), self.backup, self.validate.clone());
            Plan::change(msg.clone(), action)
        };
        if edit.changed {
            plan = plan.with_diff(fileedit::content_diff(&t.path, &current, &edit.content));
        }
        if let Some(d) = t.stat.as_ref().and_then(|st| fileedit::attrs_diff(&t.path, st, &attrs)) {
            plan = plan.with_diff(d);
        }
        plan = plan.with("msg", msg).with("backup", "");
        Ok(if self.state == State::Absent { plan.with("found", edit.found) } else { plan })
    }
}

/// The change step: backup, validate, write (or only fix attributes).
fn write_action(
    t: Target,
    edit: Edit,
    attrs: crate::transport::Attrs,
    backup: bool,
    validate: Option<String>,
) -> super::Action {
    Box::new(move |ctx: &Ctx| {
        let mut out = Map::new();
        if !edit.changed {
            ctx.host.set_attrs(&t.real, &attrs)?;
            return Ok(out);
        }
        if t.stat.is_none() {
            fileedit::ensure_parent(ctx.host, &t.real)?;
        } else if backup {
            out.insert("backup".into(), fileedit::backup(ctx.host, &t.path)?.into());
        }
        fileedit::write(ctx.host, validate.as_deref(), &t.real, &edit.content, &attrs)?;
        Ok(out)
    })
}
