//! `lineinfile`'s line editing, pure and byte-exact like Ansible's: find, replace, insert, remove.

use hearth_formats::pyre::{self, PyReError};

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
        f.line = find(lines, spec.firstmatch, |l| re.is_match(l))?;
    } else if let Some(ss) = spec.search_string {
        f.line = find(lines, spec.firstmatch, |l| Ok(contains(l, ss.as_bytes())))?;
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
        } else if ins.as_ref().map(|re| re.is_match(l)).transpose()?.unwrap_or(false) {
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
fn find(
    lines: &[Vec<u8>],
    first: bool,
    pred: impl Fn(&[u8]) -> Result<bool, PyReError>,
) -> Result<Option<usize>, PyReError> {
    let mut found = None;
    for (n, l) in lines.iter().enumerate() {
        if pred(l)? {
            found = Some(n);
            if first {
                break;
            }
        }
    }
    Ok(found)
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
    match re.captures(text)? {
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
        (None, Some(ss), _) => Ok(contains(l, ss.as_bytes())),
        (None, None, Some(line)) => Ok(bare(l) == line.as_bytes()),
        (None, None, None) => Ok(false),
    };
    let lines = split_lines(current);
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(lines.len());
    for l in &lines {
        if !matches(l)? {
            kept.push(l.clone());
        }
    }
    let found = lines.len() - kept.len();
    let msg = if found > 0 { format!("{found} line(s) removed") } else { String::new() };
    Ok(Edit { content: kept.concat(), msg, changed: found > 0, found })
}
