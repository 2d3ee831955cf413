//! `replace`: replace every match of a Python regular expression (MULTILINE) in a file, only
//! between `after` and `before` when given, the way Ansible's module does; with `backup`,
//! `validate` and file attributes. The substitution is the pure [`substitute`]; the module only
//! reads, plans and writes. `encoding` other than utf-8 is not supported.

use serde::Deserialize;

use super::fileedit::{self, Target};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::pyre::{self, PyReError};

crate::file_attrs::file_params! {
    /// Parameters of `replace`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Replace {
        /// The file to edit (it must exist).
        #[serde(alias = "dest", alias = "destfile", alias = "name")]
        pub path: String,
        /// Python regular expression, MULTILINE, matched against the whole (section of the) file.
        #[serde(deserialize_with = "super::args::de_opt_str")]
        pub regexp: Option<String>,
        /// Replacement with `\1`/`\g<name>` backreferences (default: empty, i.e. remove).
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub replace: Option<String>,
        /// Only replace after the first match of this regular expression.
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub after: Option<String>,
        /// Only replace before the last... (the match of this expression after `after`).
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub before: Option<String>,
        /// Keep a dated copy of the old file.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub backup: bool,
        /// Command with `%s` that must accept the new content before it is written.
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub validate: Option<String>,
        /// Only `utf-8` is supported.
        #[serde(default)]
        pub encoding: Option<String>,
        ..UnsafeWrites,
        ..FileAttrs,
    }
}

/// What [`substitute`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Substituted {
    /// `after`/`before` did not match; the message names the section pattern.
    NoSection(String),
    /// New content and the number of replacements (0 or unchanged content: no change).
    Done(Vec<u8>, usize),
}

/// Ansible's replace: `re.subn(regexp, replace, section)` with the section between `after` and
/// `before` (DOTALL, non-greedy when both are given).
pub fn substitute(
    contents: &[u8],
    regexp: &str,
    replace: &str,
    after: Option<&str>,
    before: Option<&str>,
) -> Result<Substituted, PyReError> {
    let pattern = match (after.filter(|s| !s.is_empty()), before.filter(|s| !s.is_empty())) {
        (Some(a), Some(b)) => Some(format!("{a}(?P<subsection>.*?){b}")),
        (Some(a), None) => Some(format!("{a}(?P<subsection>.*)")),
        (None, Some(b)) => Some(format!("(?P<subsection>.*){b}")),
        (None, None) => None,
    };
    let (start, end) = match &pattern {
        Some(p) => {
            let re = pyre::compile(&format!("(?s){p}"))?;
            match re.captures(contents)?.and_then(|c| c.name("subsection")) {
                Some(m) => (m.start(), m.end()),
                None => return Ok(Substituted::NoSection(p.clone())),
            }
        }
        None => (0, contents.len()),
    };
    let section = &contents[start..end];
    let re = pyre::compile(&format!("(?m){regexp}"))?;
    let mut out = Vec::with_capacity(section.len());
    let (mut last, mut count) = (0, 0);
    for caps in re.captures_iter(section)? {
        let Some(m) = caps.get(0) else { continue };
        out.extend_from_slice(&section[last..m.start()]);
        out.extend(pyre::expand(replace, &caps, &re)?);
        last = m.end();
        count += 1;
    }
    out.extend_from_slice(&section[last..]);
    if count == 0 || out == section {
        return Ok(Substituted::Done(contents.to_vec(), 0));
    }
    let mut full = contents[..start].to_vec();
    full.extend(out);
    full.extend_from_slice(&contents[end..]);
    Ok(Substituted::Done(full, count))
}

impl Module for Replace {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if self
            .encoding
            .as_deref()
            .is_some_and(|e| !e.eq_ignore_ascii_case("utf-8") && !e.eq_ignore_ascii_case("utf8"))
        {
            return Err(ModuleError::msg("replace: only encoding utf-8 is supported by hearth"));
        }
        let regexp =
            self.regexp.as_deref().ok_or_else(|| ModuleError::msg("missing required arguments: regexp"))?;
        let t: Target = fileedit::inspect(ctx.host, &self.path)?;
        if t.stat.is_none() {
            return Err(fileedit::fail_rc(format!("Path {} does not exist !", self.path), 257));
        }
        let current = ctx.host.read_file(&t.real)?.unwrap_or_default();
        let replace = self.replace.as_deref().unwrap_or("");
        let (new, count) =
            match substitute(&current, regexp, replace, self.after.as_deref(), self.before.as_deref())
                .map_err(|e| ModuleError::msg(format!("Unable to process replace due to error: {e}")))?
            {
                Substituted::NoSection(p) => {
                    let msg = format!("Pattern for before/after params did not match the given file: {p}");
                    return Ok(Plan::ok(msg.clone()).with("msg", msg).with("rc", 0));
                }
                Substituted::Done(new, count) => (new, count),
            };
        let changed = count > 0;
        let attrs = self.file_attrs().resolve(t.stat.as_ref())?;
        let attrs_changed = fileedit::attrs_change(t.stat.as_ref(), &attrs);
        let base = if changed { format!("{count} replacements made") } else { String::new() };
        let msg = fileedit::with_attrs_msg(&base, attrs_changed);
        let mut plan = if !changed && !attrs_changed {
            Plan::ok(format!("{} already as wanted", t.path))
        } else {
            let (t2, backup, validate, attrs2) =
                (t.clone(), self.backup, self.validate.clone(), attrs.clone());
            let content = new.clone();
            Plan::change(
                msg.clone(),
                Box::new(move |ctx: &Ctx| {
                    let content = changed.then_some(&content[..]);
                    fileedit::apply_edit(
                        ctx.host,
                        &t2,
                        content,
                        &attrs2,
                        backup.then_some("backup_file"),
                        validate.as_deref(),
                    )
                }),
            )
        };
        if changed {
            plan = plan.with_diff(fileedit::content_diff(&t.path, &current, &new));
        }
        if let Some(d) = t.stat.as_ref().and_then(|st| fileedit::attrs_diff(&t.path, st, &attrs)) {
            plan = plan.with_diff(d);
        }
        Ok(plan.with("msg", msg).with("rc", 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(c: &str, re: &str, rep: &str, after: Option<&str>, before: Option<&str>) -> (String, usize) {
        match substitute(c.as_bytes(), re, rep, after, before).expect("valid") {
            Substituted::Done(b, n) => (String::from_utf8(b).expect("utf8"), n),
            Substituted::NoSection(p) => (format!("nosection {p}"), 0),
        }
    }

    #[test]
    fn multiline_with_backrefs() {
        let c = "port=80\nhost=a\nport=81\n";
        assert_eq!(
            sub(c, r"^port=(\d+)$", r"port=\g<1>0", None, None),
            ("port=800\nhost=a\nport=810\n".into(), 2)
        );
        assert_eq!(sub(c, "^nothing$", "x", None, None), (c.into(), 0));
        assert_eq!(sub(c, "^port=80$", "port=80", None, None), (c.into(), 0), "same text is no change");
    }

    #[test]
    fn sections() {
        let c = "a=1\n[s]\na=1\n[t]\na=1\n";
        assert_eq!(sub(c, "a=1", "a=2", Some(r"\[s\]"), Some(r"\[t\]")).0, "a=1\n[s]\na=2\n[t]\na=1\n");
        assert_eq!(sub(c, "a=1", "a=2", Some(r"\[s\]"), None).0, "a=1\n[s]\na=2\n[t]\na=2\n");
        assert_eq!(sub(c, "a=1", "a=2", None, Some(r"\[s\]")).0, "a=2\n[s]\na=1\n[t]\na=1\n");
        assert!(sub(c, "a", "b", Some("nope"), None).0.starts_with("nosection"));
    }
}
