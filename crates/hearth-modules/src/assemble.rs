//! `assemble`: build a file from the fragments in a directory, like Ansible's module: regular
//! files in name order (optionally filtered by `regexp` and without hidden ones), a newline
//! added after a fragment without one, `delimiter` (Python escapes decoded) between fragments.
//! The fragments are read in one round trip, from the host (`remote_src`, the default) or from
//! the control node's `files/` search path; [`assemble`] is pure; the dest is written like the
//! other file editors (validate, backup, mode/owner/group).

use serde::Deserialize;

use super::fileedit;
use super::stat::Algorithm;
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::pyre;
use hearth_formats::value::Map;
use hearth_transport::{Cmd, Local, Transport};

crate::file_attrs::file_params! {
    /// Parameters of `assemble`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Assemble {
        /// Directory of fragments (on the host, or with `remote_src: false` on the control node).
        pub src: String,
        /// The file to write.
        pub dest: String,
        /// Text put between fragments (`\n`-style escapes are decoded; a newline is added).
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub delimiter: Option<String>,
        /// Keep a dated copy of the old dest.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub backup: bool,
        /// Fragments are on the host (true) or on the control node (false).
        #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
        pub remote_src: bool,
        /// Python regex a fragment's name must contain.
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub regexp: Option<String>,
        /// Skip fragments whose names start with a dot.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub ignore_hidden: bool,
        /// Command with `%s` that must accept the assembled file before it is written.
        #[serde(default, deserialize_with = "super::args::de_opt_str")]
        pub validate: Option<String>,
        /// Accepted for compatibility; vault-encrypted fragments are not decrypted.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub decrypt: bool,
        ..UnsafeWrites,
        ..FileAttrs,
    }
}

fn yes() -> bool {
    true
}

/// Prints every regular file (through links) of directory `$1` as `file SIZE NAME` and its
/// bytes, or Ansible's message when `$1` is missing or not a directory.
const SCRIPT: &str = r#"[ -e "$1" ] || { echo "Source ($1) does not exist" >&2; exit 3; }
[ -d "$1" ] || { echo "Source ($1) is not a directory" >&2; exit 3; }
for f in "$1"/* "$1"/.*; do
  [ -f "$f" ] || continue
  printf 'file %s %s\n' "$(wc -c < "$f" | tr -d ' ')" "${f##*/}"
  cat -- "$f"
done"#;

/// Splits [`SCRIPT`]'s output into (name, bytes), sorted by name like Python's `sorted`.
pub fn parse_fragments(out: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut rest = out;
    let mut frags = Vec::new();
    while !rest.is_empty() {
        let nl = rest.iter().position(|b| *b == b'\n').ok_or("unterminated fragment header")?;
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        let mut words = header.splitn(3, ' ');
        let (Some("file"), Some(size), Some(name)) = (words.next(), words.next(), words.next()) else {
            return Err(format!("unexpected fragment header {header:?}"));
        };
        let size: usize = size.parse().map_err(|_| format!("bad size in {header:?}"))?;
        let body = rest.get(nl + 1..nl + 1 + size).ok_or_else(|| format!("fragment {name} is short"))?;
        frags.push((name.to_string(), body.to_vec()));
        rest = &rest[nl + 1 + size..];
    }
    frags.sort();
    Ok(frags)
}

/// Python's `codecs.escape_decode`: `\n`, `\t`, `\\`, `\xHH`, octal and friends; an unknown
/// escape stays as written.
pub fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        let simple = match c {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'v' => Some(11),
            b'\\' | b'\'' | b'"' => Some(c),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
        } else if c == b'\n' {
            // A backslash before a line break continues the line.
            continue;
        } else if c == b'x' && i + 2 <= b.len() && b[i..i + 2].iter().all(u8::is_ascii_hexdigit) {
            out.push(u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0));
            i += 2;
        } else if (b'0'..=b'7').contains(&c) {
            let mut v = u32::from(c - b'0');
            for _ in 0..2 {
                if i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                }
            }
            out.push((v & 0xff) as u8);
        } else {
            out.extend([b'\\', c]);
        }
    }
    out
}

/// The assembled content of the sorted fragments that pass the filters.
pub fn assemble(
    frags: &[(String, Vec<u8>)],
    delimiter: Option<&str>,
    keep: impl Fn(&str) -> bool,
) -> Vec<u8> {
    let delim = delimiter.filter(|d| !d.is_empty()).map(unescape);
    let mut out = Vec::new();
    let (mut first, mut add_newline) = (true, false);
    for (_, content) in frags.iter().filter(|(n, _)| keep(n)) {
        if add_newline {
            out.push(b'\n');
        }
        if let (false, Some(d)) = (first, &delim) {
            out.extend_from_slice(d);
            if d.last() != Some(&b'\n') {
                out.push(b'\n');
            }
        }
        out.extend_from_slice(content);
        first = false;
        add_newline = !content.ends_with(b"\n");
    }
    out
}

impl Assemble {
    /// The fragments, from the host or the control node.
    fn fragments(&self, ctx: &Ctx) -> Result<Vec<(String, Vec<u8>)>, ModuleError> {
        let (host, dir): (&dyn Transport, String) = if self.remote_src {
            (ctx.host, self.src.clone())
        } else {
            let found = ctx.search.find("files", &self.src).ok_or_else(|| {
                ModuleError::msg(format!(
                    "Could not find or access '{}' on the Ansible Controller.",
                    self.src
                ))
            })?;
            (&Local, found.display().to_string())
        };
        let out = host.run(&Cmd::new(["/bin/sh", "-c", SCRIPT, "sh", &dir]))?;
        if out.rc != 0 {
            return Err(ModuleError::msg(String::from_utf8_lossy(&out.stderr).trim().to_string()));
        }
        parse_fragments(&out.stdout).map_err(ModuleError::msg)
    }
}

impl Module for Assemble {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let re = match &self.regexp {
            Some(r) => Some(
                pyre::compile(r).map_err(|e| ModuleError::msg(format!("Invalid Regexp ({e}) in \"{r}\"")))?,
            ),
            None => None,
        };
        if let Some(v) = self.validate.as_deref().filter(|v| !v.contains("%s")) {
            return Err(ModuleError::msg(format!("validate must contain %s: {v}")));
        }
        let frags = self.fragments(ctx)?;
        // Decided first, so that a pattern that cannot be matched is an error, never a guess.
        let mut kept = std::collections::HashSet::new();
        for (name, _) in &frags {
            let wanted = match &re {
                Some(re) => re.is_match(name.as_bytes()).map_err(|e| ModuleError::msg(e.to_string()))?,
                None => true,
            };
            if wanted && !(self.ignore_hidden && name.starts_with('.')) {
                kept.insert(name.clone());
            }
        }
        let content = assemble(&frags, self.delimiter.as_deref(), |name: &str| kept.contains(name));
        let t = fileedit::inspect(ctx.host, &self.dest)?;
        let current = match &t.stat {
            Some(_) => ctx.host.read_file(&t.real)?,
            None => None,
        };
        let differs = current.as_deref() != Some(&content[..]);
        let attrs = self.file_attrs().resolve(t.stat.as_ref())?;
        let attrs_changed = fileedit::attrs_change(t.stat.as_ref(), &attrs);
        let mut result = Map::new();
        result.insert("src".into(), self.src.clone().into());
        result.insert("dest".into(), self.dest.clone().into());
        result.insert("checksum".into(), Algorithm::Sha1.digest(&content).into());
        result.insert("md5sum".into(), Algorithm::Md5.digest(&content).into());
        result.insert("msg".into(), "OK".into());
        let mut plan = if !differs && !attrs_changed {
            Plan::ok(format!("{} already assembled from {} fragments", self.dest, frags.len()))
        } else {
            let summary = if differs {
                format!("assemble {} from {}", self.dest, self.src)
            } else {
                "attributes".into()
            };
            let (t2, attrs2, body) = (t.clone(), attrs.clone(), differs.then(|| content.clone()));
            let (backup, validate) = (self.backup, self.validate.clone());
            Plan::change(
                summary,
                Box::new(move |ctx: &Ctx| {
                    let key = (backup && t2.stat.is_some()).then_some("backup_file");
                    fileedit::apply_edit(ctx.host, &t2, body.as_deref(), &attrs2, key, validate.as_deref())
                }),
            )
        };
        if differs {
            plan = plan.with_diff(fileedit::content_diff(
                &t.path,
                current.as_deref().unwrap_or_default(),
                &content,
            ));
        }
        if let Some(d) = t.stat.as_ref().and_then(|st| fileedit::attrs_diff(&t.path, st, &attrs)) {
            plan = plan.with_diff(d);
        }
        plan.result = result;
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frags(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter().map(|(n, c)| (n.to_string(), c.as_bytes().to_vec())).collect()
    }

    #[test]
    fn fragments_joined_like_ansible() {
        let f = frags(&[("01", "a\n"), ("02", "b"), ("03", "c\n"), (".h", "hidden\n")]);
        assert_eq!(assemble(&f, None, |_| true), b"a\nb\nc\nhidden\n");
        assert_eq!(assemble(&f, Some("---"), |n| !n.starts_with('.')), b"a\n---\nb\n---\nc\n");
        assert_eq!(assemble(&f, Some("#\\n"), |n| n != "02"), b"a\n#\nc\n#\nhidden\n");
        assert_eq!(assemble(&frags(&[("x", "")]), Some("-"), |_| true), b"");
        assert_eq!(assemble(&frags(&[("x", ""), ("y", "z")]), None, |_| true), b"\nz");
    }

    #[test]
    fn escapes_like_python() {
        assert_eq!(unescape(r"a\tb\\c\x41\101\q"), b"a\tb\\cAA\\q");
        assert_eq!(unescape("end\\"), b"end\\");
    }

    #[test]
    fn fragments_are_sorted_by_name() {
        let out = b"file 2 b\nb\nfile 3 a x\na\n\nfile 0 c\n";
        let f = parse_fragments(out).unwrap();
        assert_eq!(f, frags(&[("a x", "a\n\n"), ("b", "b\n"), ("c", "")]));
        assert!(parse_fragments(b"file 9 a\nab").is_err());
    }
}

#[cfg(test)]
mod module_tests {
    use super::*;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn assembles_once_with_backup_and_mode() {
        let env = Env::new();
        env.write("frags/10-a.conf", "a=1\n");
        env.write("frags/20-b.conf", "b=2");
        env.write("frags/.hidden", "no\n");
        env.write("out.conf", "old\n");
        let args = json!({"src": env.path("frags"), "dest": env.path("out.conf"), "ignore_hidden": true,
                          "regexp": "\\.conf$", "backup": true, "mode": "0640"});
        let run = env.run::<Assemble>(args.clone()).unwrap();
        assert!(run.changed);
        assert_eq!(env.read("out.conf"), "a=1\nb=2");
        assert_eq!(env.mode("out.conf"), 0o640);
        assert!(run.result["backup_file"].as_str().unwrap().contains("out.conf."));
        assert_eq!(run.result["msg"], "OK");
        let again = env.run::<Assemble>(args).unwrap();
        assert!(!again.changed);
        let local = json!({"src": "frags", "dest": env.path("local.conf"), "remote_src": false});
        env.run::<Assemble>(local).unwrap();
        assert_eq!(env.read("local.conf"), "no\na=1\nb=2");
        let missing =
            env.run::<Assemble>(json!({"src": env.path("nope"), "dest": env.path("x")})).err().unwrap();
        assert_eq!(missing.to_string(), format!("Source ({}) does not exist", env.path("nope")));
    }
}
