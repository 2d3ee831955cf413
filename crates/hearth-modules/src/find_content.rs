//! The second, optional round trips of `find`: the content of candidate regular files for
//! `contains` (matched here with Python regex semantics, line by line from each line's start
//! like Ansible, or anywhere with `read_whole_file`), then `sha1sum` of the matches for
//! `get_checksum`. Nothing runs when neither is asked for.

use super::find_walk::Entry;
use crate::module::{Ctx, ModuleError};
use hearth_formats::pyre;
use hearth_formats::pyre::PyReError;
use hearth_formats::pyre::PyRegex;
use hearth_transport::Cmd;

/// Prints each argument's content framed by `file SIZE`, or `unreadable`.
const CAT: &str = r#"for f; do
  if [ -r "$f" ]; then printf 'file %s\n' "$(wc -c < "$f" | tr -d ' ')"; cat -- "$f"; else echo unreadable; fi
done"#;

const REG: u32 = 0o100000;

/// What `find` asks of its candidates' content, from its parameters (`find.rs` decides which
/// file types each applies to).
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// The `contains` regex, when it applies to the candidates.
    pub contains: Option<&'a str>,
    /// `read_whole_file`: search the whole file, not line by line.
    pub read_whole_file: bool,
    /// `encoding` of the files read for `contains`.
    pub encoding: Option<&'a str>,
    /// `limit`: how many matches to keep at most.
    pub limit: Option<i64>,
    /// Whether to add the regular files' SHA-1 checksums.
    pub checksums: bool,
}

/// Applies `contains` and `limit`, then adds checksums.
pub fn filter<'a>(
    ctx: &Ctx,
    f: &Wanted,
    found: Vec<&'a Entry>,
) -> Result<Vec<(&'a Entry, Option<String>)>, ModuleError> {
    let mut kept = match f.contains {
        Some(pattern) => {
            let re = pyre::compile(pattern).map_err(|e| ModuleError::msg(e.to_string()))?;
            let latin1 = match f.encoding.map(str::to_ascii_lowercase).as_deref() {
                None | Some("utf-8" | "utf8") => false,
                Some("latin-1" | "latin1" | "iso-8859-1") => true,
                Some(other) => return Err(ModuleError::msg(format!("unknown encoding: {other}"))),
            };
            let contents = read_all(ctx, &found)?;
            let mut kept = Vec::new();
            for (e, c) in found.into_iter().zip(contents) {
                if let Some(c) = c
                    && contains(&re, &c, f.read_whole_file, latin1)
                        .map_err(|e| ModuleError::msg(e.to_string()))?
                {
                    kept.push(e);
                }
            }
            kept
        }
        None => found,
    };
    if let Some(l) = f.limit {
        kept.truncate(l as usize);
    }
    let sums = match f.checksums {
        true => checksums(ctx, &kept)?,
        false => vec![None; kept.len()],
    };
    Ok(kept.into_iter().zip(sums).collect())
}

/// Whether `re` matches a line of `content` at its start (Python's `re.match` per line of a
/// text-mode file), or anywhere with `whole`. Undecodable UTF-8 never matches.
pub fn contains(re: &PyRegex, content: &[u8], whole: bool, latin1: bool) -> Result<bool, PyReError> {
    let text = if latin1 {
        content.iter().map(|b| char::from(*b)).collect::<String>()
    } else {
        match std::str::from_utf8(content) {
            Ok(s) => s.to_string(),
            Err(_) => return Ok(false),
        }
    };
    // Text mode: universal newlines.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if whole {
        return re.is_match(text.as_bytes());
    }
    for line in text.split_inclusive('\n') {
        if re.find(line.as_bytes())?.is_some_and(|m| m.start() == 0) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The content of each entry (None when unreadable), in one round trip.
fn read_all(ctx: &Ctx, entries: &[&Entry]) -> Result<Vec<Option<Vec<u8>>>, ModuleError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut argv = vec!["/bin/sh".to_string(), "-c".into(), CAT.into(), "sh".into()];
    argv.extend(entries.iter().map(|e| e.path.clone()));
    let out = ctx.host.run(&Cmd::new(argv))?.stdout;
    let mut rest = &out[..];
    let mut contents = Vec::new();
    for _ in entries {
        let nl = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| ModuleError::msg("find: short content output"))?;
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        rest = &rest[nl + 1..];
        let Some(size) = header.strip_prefix("file ").and_then(|s| s.parse::<usize>().ok()) else {
            contents.push(None);
            continue;
        };
        let body = rest.get(..size).ok_or_else(|| ModuleError::msg("find: short content output"))?;
        contents.push(Some(body.to_vec()));
        rest = &rest[size..];
    }
    Ok(contents)
}

/// `sha1sum` of the regular files among `entries` (None for the others), in one round trip.
fn checksums(ctx: &Ctx, entries: &[&Entry]) -> Result<Vec<Option<String>>, ModuleError> {
    let files: Vec<&str> = entries.iter().filter(|e| e.kind() == REG).map(|e| e.path.as_str()).collect();
    if files.is_empty() {
        return Ok(vec![None; entries.len()]);
    }
    let script = r#"for f; do s=$(sha1sum < "$f" 2>/dev/null) && echo "${s%% *}" || echo -; done"#;
    let mut argv = vec!["/bin/sh", "-c", script, "sh"];
    argv.extend(&files);
    let out = ctx.host.run(&Cmd::new(argv))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut sums = text.lines().map(|l| (l != "-").then(|| l.to_string()));
    Ok(entries.iter().map(|e| if e.kind() == REG { sums.next().flatten() } else { None }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(re: &PyRegex, content: &[u8], whole: bool, latin1: bool) -> bool {
        contains(re, content, whole, latin1).unwrap()
    }

    #[test]
    fn contains_matches_from_a_line_start() {
        let re = pyre::compile("foo").unwrap();
        assert!(ok(&re, b"a\nfoo bar\n", false, false));
        assert!(!ok(&re, b"a foo\n", false, false), "re.match per line");
        assert!(ok(&re, b"a foo\n", true, false), "re.search on the whole file");
        assert!(ok(&re, b"x\r\nfoo\r\n", false, false));
        let end = pyre::compile("^b$").unwrap();
        assert!(ok(&end, b"a\nb\n", false, false));
        assert!(!ok(&re, b"\xff\nfoo\n", false, false), "undecodable UTF-8");
        assert!(ok(&re, b"\xff\nfoo\n", false, true), "latin-1 decodes anything");
    }
}
