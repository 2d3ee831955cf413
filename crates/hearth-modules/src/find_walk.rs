//! The host side of `find`: one POSIX `sh` script that walks each path with `find` (`-L` to
//! follow links) and prints every entry's `stat` (the entry itself, never its link target, like
//! Ansible's `os.lstat`), and the pure parser that puts the entries back into the order Python's
//! `os.walk` yields them (each directory's files, then its subdirectories, then their contents).
//! Filtering is not done here: see `find.rs`.

use std::collections::HashMap;

/// Marks an entry line; a line without a marker continues the previous entry's name.
const ENTRY: &str = "hearth:e ";
/// Marks a line `find` or `stat` wrote to stderr.
const ERR: &str = "hearth:x ";

/// Walks `$3...`: `$1` is `-L` or empty, `$2` the `-maxdepth` or empty. Prints the host's time,
/// then per path `hearth:path N EXPANDED` or `hearth:notdir N`, then its entries.
pub const SCRIPT: &str = r#"LC_ALL=C; export LC_ALL
echo "hearth:now $(date +%s)"
follow=$1 max=$2 n=0; shift 2
for p; do
  case $p in "~"|"~/"*) p="$HOME${p#?}" ;; esac
  if [ ! -d "$p" ]; then echo "hearth:notdir $n"; n=$((n + 1)); continue; fi
  echo "hearth:path $n $p"; n=$((n + 1))
  { find $follow "$p" -mindepth 1 ${max:+-maxdepth "$max"} \
      -exec stat -c 'hearth:e %f %u %g %s %i %d %h %X %Y %Z %U %G %n' -- {} + 2>&1 1>&3 |
      sed 's/^/hearth:x /'; } 3>&1
done"#;

/// One filesystem object as `stat` reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// Normalised path (top path joined with the name).
    pub path: String,
    /// `st_mode` with the type bits.
    pub raw_mode: u32,
    /// Owner id.
    pub uid: u64,
    /// Group id.
    pub gid: u64,
    /// Size in bytes.
    pub size: u64,
    /// Inode number.
    pub inode: u64,
    /// Device number.
    pub dev: u64,
    /// Hard links.
    pub nlink: u64,
    /// Access time (seconds).
    pub atime: i64,
    /// Modification time (seconds).
    pub mtime: i64,
    /// Status change time (seconds).
    pub ctime: i64,
    /// Owner name ("" when unknown).
    pub user: String,
    /// Group name ("" when unknown).
    pub group: String,
    /// Levels below the top path (1 for its direct entries).
    pub depth: usize,
}

impl Entry {
    /// The type bits.
    pub fn kind(&self) -> u32 {
        self.raw_mode & 0o170000
    }
}

/// What the walk of one of the `paths` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// The path after `~` expansion; None when it is not a directory.
    pub top: Option<String>,
    /// Entries in `os.walk` order.
    pub entries: Vec<Entry>,
}

/// Everything the script printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// The host's clock.
    pub now: i64,
    /// One tree per path, in the order given.
    pub trees: Vec<Tree>,
    /// (path, Python-style error) for what could not be read.
    pub skipped: Vec<(String, String)>,
}

/// Python's `os.path.normpath` on a host path.
pub fn normpath(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if p.starts_with('/') => {}
            c => parts.push(c),
        }
    }
    let body = parts.join("/");
    match (p.starts_with('/'), body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

fn parse_entry(line: &str) -> Option<Entry> {
    let f: Vec<&str> = line.splitn(13, ' ').collect();
    if f.len() != 13 {
        return None;
    }
    let n = |i: usize| f[i].parse::<u64>().ok();
    let t = |i: usize| f[i].parse::<i64>().ok();
    let name = |s: &str| if s == "UNKNOWN" { String::new() } else { s.to_string() };
    Some(Entry {
        path: f[12].to_string(),
        raw_mode: u32::from_str_radix(f[0], 16).ok()?,
        uid: n(1)?,
        gid: n(2)?,
        size: n(3)?,
        inode: n(4)?,
        dev: n(5)?,
        nlink: n(6)?,
        atime: t(7)?,
        mtime: t(8)?,
        ctime: t(9)?,
        user: name(f[10]),
        group: name(f[11]),
        depth: 0,
    })
}

/// `find: 'PATH': Permission denied` as Python's `[Errno 13] Permission denied: 'PATH'`.
fn skipped(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("find: '")?;
    let (path, why) = rest.rsplit_once("': ")?;
    let errno = match why {
        "Permission denied" => 13,
        "No such file or directory" => 2,
        "Operation not permitted" => 1,
        _ => return Some((path.to_string(), why.to_string())),
    };
    Some((path.to_string(), format!("[Errno {errno}] {why}: '{path}'")))
}

/// Parses [`SCRIPT`]'s output for `count` paths.
pub fn parse(out: &[u8], count: usize) -> Result<Walk, String> {
    let text = String::from_utf8_lossy(out);
    let mut walk = Walk { trees: vec![Tree::default(); count], ..Walk::default() };
    let mut current: Option<usize> = None;
    let mut raw: Vec<Vec<Entry>> = vec![Vec::new(); count];
    for line in text.lines() {
        if let Some(now) = line.strip_prefix("hearth:now ") {
            walk.now = now.trim().parse().map_err(|_| format!("bad host time {now:?}"))?;
        } else if let Some(rest) = line.strip_prefix("hearth:path ") {
            let (i, top) = rest.split_once(' ').ok_or("bad path line")?;
            let i: usize = i.parse().map_err(|_| "bad path index")?;
            walk.trees.get_mut(i).ok_or("path index out of range")?.top = Some(top.to_string());
            current = Some(i);
        } else if line.starts_with("hearth:notdir ") {
            current = None;
        } else if let Some(err) = line.strip_prefix(ERR) {
            walk.skipped.extend(skipped(err));
        } else if let Some(e) = line.strip_prefix(ENTRY) {
            let i = current.ok_or("entry outside a path")?;
            raw[i].push(parse_entry(e).ok_or_else(|| format!("unexpected stat line {e:?}"))?);
        } else if let Some(last) = current.and_then(|i| raw[i].last_mut()) {
            last.path.push('\n');
            last.path.push_str(line);
        }
    }
    for (tree, entries) in walk.trees.iter_mut().zip(raw) {
        if let Some(top) = &tree.top {
            tree.entries = walk_order(top, entries);
        }
    }
    Ok(walk)
}

/// Reorders `find`'s depth-first listing the way `os.walk(top)` yields it, with depths.
fn walk_order(top: &str, entries: Vec<Entry>) -> Vec<Entry> {
    let top = normpath(top);
    let mut children: HashMap<String, Vec<Entry>> = HashMap::new();
    for mut e in entries {
        e.path = normpath(&e.path);
        let parent = match e.path.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => e.path[..i].to_string(),
            None => ".".to_string(),
        };
        children.entry(parent).or_default().push(e);
    }
    let mut out = Vec::new();
    visit(&top, 1, &mut children, &mut out);
    out
}

fn visit(dir: &str, depth: usize, children: &mut HashMap<String, Vec<Entry>>, out: &mut Vec<Entry>) {
    let Some(mut list) = children.remove(dir) else { return };
    for e in &mut list {
        e.depth = depth;
    }
    // A followed link to a directory has children too: os.walk lists it with the directories.
    let (dirs, files): (Vec<Entry>, Vec<Entry>) =
        list.into_iter().partition(|e| e.kind() == 0o040000 || children.contains_key(&e.path));
    out.extend(files);
    let names: Vec<String> = dirs.iter().map(|d| d.path.clone()).collect();
    out.extend(dirs);
    for d in names {
        visit(&d, depth + 1, children, out);
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(p, _)| p)
}

/// How many entries Ansible's walk looked at: all of them, or with a reached `limit` (`last`,
/// the last match) those of the directories walked up to and including `last`'s.
pub fn examined(walk: &Walk, last: Option<&Entry>) -> usize {
    let mut count = 0;
    for tree in &walk.trees {
        let Some(i) = last.and_then(|l| tree.entries.iter().position(|e| std::ptr::eq(e, l))) else {
            count += tree.entries.len();
            continue;
        };
        let p = parent(&tree.entries[i].path);
        let end = tree.entries[i..].iter().take_while(|e| parent(&e.path) == p).count();
        return count + i + end;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_like_python() {
        assert_eq!(normpath("/tmp/x//a/./b/../c"), "/tmp/x/a/c");
        assert_eq!(normpath("/tmp/x/"), "/tmp/x");
        assert_eq!(normpath("a/../.."), "..");
        assert_eq!(normpath("/.."), "/");
    }

    #[test]
    fn output_in_os_walk_order_with_errors_and_odd_names() {
        let out = "hearth:now 1700000000\nhearth:notdir 0\nhearth:path 1 /t/\n\
            hearth:e 41ed 0 0 4096 1 2 2 10 20 30 root root /t//sub\n\
            hearth:e 81a4 0 0 3 5 2 1 10 20 30 root root /t//sub/deep\n\
            hearth:e 81a4 1000 1000 7 6 2 1 10 20 30 UNKNOWN UNKNOWN /t//two\nlines\n\
            hearth:x find: '/t/locked': Permission denied\n\
            hearth:e 81a4 0 0 1 7 2 1 10 20 30 root root /t//a.txt\n";
        let w = parse(out.as_bytes(), 2).unwrap();
        assert_eq!(w.now, 1700000000);
        assert_eq!(w.trees[0].top, None);
        let t = &w.trees[1];
        let paths: Vec<(&str, usize)> = t.entries.iter().map(|e| (e.path.as_str(), e.depth)).collect();
        assert_eq!(paths, [("/t/two\nlines", 1), ("/t/a.txt", 1), ("/t/sub", 1), ("/t/sub/deep", 2)]);
        assert_eq!(t.entries[0].user, "");
        assert_eq!(t.entries[2].size, 4096);
        assert_eq!(
            w.skipped,
            [("/t/locked".to_string(), "[Errno 13] Permission denied: '/t/locked'".to_string())]
        );
    }
}
