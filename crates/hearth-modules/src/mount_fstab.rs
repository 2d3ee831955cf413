//! The pure half of `ansible.posix.mount`: fstab editing exactly as the collection's Linux code
//! does it (a matching line is rewritten in place only when a field differs, every other line
//! and comment is kept byte for byte, a new entry is appended, fields are escaped with `\040`,
//! `\046`, `\134`), the parsing of `/proc/self/mountinfo` with Ansible's bind-mount source
//! rule, and Python's `ismount` test from two stats. No I/O here; Solaris' vfstab and the BSDs
//! are not handled.

/// Escapes an fstab field like Ansible: `\` → `\134`, space → `\040`, `&` → `\046`.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\134").replace(' ', "\\040").replace('&', "\\046")
}

/// The entry the module wants in fstab (unescaped values, as the user gave them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Device, label or remote share.
    pub src: String,
    /// The mount point.
    pub name: String,
    /// Filesystem type.
    pub fstype: String,
    /// Mount options (`defaults`, with `noauto` when boot is false).
    pub opts: String,
    /// The dump field.
    pub dump: String,
    /// The passno field.
    pub passno: String,
}

/// One fstab line split into its fields (dump and passno may be missing on Linux).
struct Fields<'a> {
    src: &'a str,
    name: &'a str,
    fstype: &'a str,
    rest: Vec<&'a str>,
}

/// The fields of an entry line with between `min` and 6 words; None for blanks, comments and
/// anything else, which Ansible keeps untouched.
fn fields(line: &str, min: usize) -> Option<Fields<'_>> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() < min || words.len() > 6 {
        return None;
    }
    Some(Fields { src: words[0], name: words[1], fstype: words[2], rest: words[3..].to_vec() })
}

/// Whether a line is the entry of mount point `name` (escaped): the names match, except that a
/// swap line (`none` + `swap`) also needs the same (unescaped, as Ansible compares it) `src`.
fn matches(f: &Fields, name: &str, src: Option<&str>) -> bool {
    let other_swap = src.is_some_and(|s| f.name == "none" && f.fstype == "swap" && f.src != s);
    f.name == name && !other_swap
}

/// Ansible's `_set_mount_save_old`: the fstab text with `want` in it and whether anything
/// changed. Matching lines are rewritten as `src name fstype opts dump passno` once any field
/// of this or an earlier match differs (a missing dump or passno always differs, as in Ansible,
/// where it is the integer 0 against the text "0"); a missing entry is appended. Every line
/// gets a final newline, as Ansible reads them.
pub fn set_entry(text: &str, want: &Wanted) -> (String, bool) {
    let esc = [&want.src, &want.name, &want.fstype, &want.opts, &want.dump, &want.passno].map(|v| escape(v));
    let mut out = String::with_capacity(text.len() + 64);
    let (mut exists, mut changed) = (false, false);
    for line in text.split_inclusive('\n') {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let f = fields(line, 4).filter(|f| matches(f, &esc[1], Some(&want.src)));
        let Some(f) = f else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        exists = true;
        let have = [
            Some(f.src),
            Some(f.fstype),
            f.rest.first().copied(),
            f.rest.get(1).copied(),
            f.rest.get(2).copied(),
        ];
        let wanted = [&esc[0], &esc[2], &esc[3], &esc[4], &esc[5]];
        let mut ld: Vec<String> = have
            .iter()
            .zip(wanted)
            .map(|(cur, w)| match cur {
                Some(c) if c == w => c.to_string(),
                _ => {
                    changed = true;
                    w.clone()
                }
            })
            .collect();
        ld.insert(1, f.name.to_string());
        if changed {
            out.push_str(&ld.join(" "));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !exists {
        out.push_str(&esc.join(" "));
        out.push('\n');
        changed = true;
    }
    (out, changed)
}

/// Ansible's `unset_mount`: the fstab text without the entry of `name` and whether one was
/// there. Only six-field lines count as entries here (as in Ansible); other lines stay as they
/// are, a missing final newline included.
pub fn remove_entry(text: &str, name: &str, src: Option<&str>) -> (String, bool) {
    let esc = escape(name);
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let is_entry = fields(line, 6).is_some_and(|f| matches(&f, &esc, src));
        changed |= is_entry;
        if !is_entry {
            out.push_str(line);
        }
    }
    (out, changed)
}

/// What `/proc/self/mountinfo` says about one mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// The mount point, as the kernel writes it (spaces as `\040`).
    pub dst: String,
    /// Ansible's idea of the source: the device for top mounts, a path for mounts below another
    /// one (how it tells bind mounts apart).
    pub src: String,
    /// The source field itself (what `mount -v` prints first).
    pub device: String,
    /// Per-mount options.
    pub opts: String,
    /// Filesystem type.
    pub fs: String,
}

/// Parses mountinfo the way Ansible's `get_linux_mounts` does, parent's root and mount point
/// folded into a child's source; lines too short to be mounts are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<MountInfo> {
    struct Rec<'a> {
        id: &'a str,
        parent: &'a str,
        root: String,
        dst: &'a str,
        opts: &'a str,
        fs: &'a str,
        src: &'a str,
    }
    let mut recs: Vec<Rec> = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 8 {
            continue;
        }
        let n = w.len();
        let rec = Rec {
            id: w[0],
            parent: w[1],
            root: w[3].into(),
            dst: w[4],
            opts: w[5],
            fs: w[n - 3],
            src: w[n - 2],
        };
        // Like a Python dict keyed by id: a repeated id replaces the earlier record in place.
        match recs.iter().position(|r| r.id == rec.id) {
            Some(i) => recs[i] = rec,
            None => recs.push(rec),
        }
    }
    let mut out = Vec::with_capacity(recs.len());
    for i in 0..recs.len() {
        let parent =
            (recs[i].parent != "1").then(|| recs.iter().position(|r| r.id == recs[i].parent)).flatten();
        let src = match parent {
            Some(p) => {
                let (proot, pdst) = (recs[p].root.clone(), recs[p].dst);
                let mut root = recs[i].root.clone();
                if proot.len() > 1 && root.starts_with(&format!("{proot}/")) {
                    root = root[proot.len()..].to_string();
                }
                if pdst != "/" {
                    root = format!("{pdst}{root}");
                }
                recs[i].root = root.clone();
                root
            }
            None => recs[i].src.to_string(),
        };
        let r = &recs[i];
        out.push(MountInfo {
            dst: r.dst.into(),
            src,
            device: r.src.into(),
            opts: r.opts.into(),
            fs: r.fs.into(),
        });
    }
    out
}

/// The mount Ansible's table keeps for `dst` (the last one listed, as a dict would).
pub fn find<'a>(mounts: &'a [MountInfo], dst: &str) -> Option<&'a MountInfo> {
    mounts.iter().rev().find(|m| m.dst == dst)
}

/// Two stats of a path: `(device, inode)` of the path itself and of its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// The path (not a symlink).
    pub own: (u64, u64),
    /// `path/..` resolved.
    pub parent: (u64, u64),
}

/// Python's `os.path.ismount`: another device than the parent's, or the same inode (`/`).
pub fn ismount(s: Option<Stats>) -> bool {
    s.is_some_and(|s| s.own.0 != s.parent.0 || s.own.1 == s.parent.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(src: &str, name: &str, opts: &str) -> Wanted {
        Wanted {
            src: src.into(),
            name: name.into(),
            fstype: "tmpfs".into(),
            opts: opts.into(),
            dump: "0".into(),
            passno: "0".into(),
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(escape(r"a b&c\d"), r"a\040b\046c\134d");
        assert_eq!(escape("/mnt/x"), "/mnt/x");
    }

    #[test]
    fn appends_a_new_entry_and_keeps_comments() {
        let text = "# static\nproc /proc proc defaults 0 0\n\n  # indented\n";
        let (out, changed) = set_entry(text, &want("tmpfs", "/mnt/a b", "size=1m"));
        assert!(changed);
        assert_eq!(out, format!("{text}tmpfs /mnt/a\\040b tmpfs size=1m 0 0\n"));
        let (out, changed) = set_entry("proc /proc proc defaults 0 0", &want("tmpfs", "/t", "defaults"));
        assert!(changed);
        assert_eq!(out, "proc /proc proc defaults 0 0\ntmpfs /t tmpfs defaults 0 0\n", "final newline added");
        assert_eq!(set_entry("", &want("s", "/t", "o")).0, "s /t tmpfs o 0 0\n");
    }

    #[test]
    fn replaces_the_matching_line_in_place() {
        let text = "a /x ext4 defaults 0 1\ntmpfs\t/t  tmpfs size=1m 0 0 \n# end\n";
        let (out, changed) = set_entry(text, &want("tmpfs", "/t", "size=1m"));
        assert!(!changed);
        assert_eq!(out, text, "an equal line is kept with its own spacing");
        let (out, changed) = set_entry(text, &want("tmpfs", "/t", "size=2m"));
        assert!(changed);
        assert_eq!(out, "a /x ext4 defaults 0 1\ntmpfs /t tmpfs size=2m 0 0\n# end\n");
    }

    #[test]
    fn missing_dump_and_passno_always_differ_like_ansible() {
        let (out, changed) = set_entry("tmpfs /t tmpfs size=1m\n", &want("tmpfs", "/t", "size=1m"));
        assert!(changed);
        assert_eq!(out, "tmpfs /t tmpfs size=1m 0 0\n");
        let (_, changed) = set_entry("tmpfs /t tmpfs size=1m 0\n", &want("tmpfs", "/t", "size=1m"));
        assert!(changed);
    }

    #[test]
    fn duplicates_after_a_change_are_rewritten_too() {
        let text = "tmpfs /t tmpfs o 0 0\ntmpfs /t tmpfs  x 0 0\ntmpfs   /t tmpfs o 0 0\n";
        let (out, changed) = set_entry(text, &want("tmpfs", "/t", "o"));
        assert!(changed);
        assert_eq!(out, "tmpfs /t tmpfs o 0 0\ntmpfs /t tmpfs o 0 0\ntmpfs /t tmpfs o 0 0\n");
    }

    #[test]
    fn lines_with_odd_field_counts_are_kept() {
        let text = "tmpfs /t\ntmpfs /t tmpfs o 0 0 extra\n";
        let (out, changed) = set_entry(text, &want("tmpfs", "/t", "o"));
        assert!(changed);
        assert_eq!(out, format!("{text}tmpfs /t tmpfs o 0 0\n"));
    }

    #[test]
    fn swap_lines_match_by_source() {
        let text = "/dev/a none swap sw 0 0\n";
        let mut w = want("/dev/b", "none", "sw");
        w.fstype = "swap".into();
        assert_eq!(set_entry(text, &w).0, format!("{text}/dev/b none swap sw 0 0\n"));
        w.src = "/dev/a".into();
        assert_eq!(set_entry(text, &w), (text.to_string(), false));
        assert_eq!(remove_entry(text, "none", Some("/dev/b")), (text.to_string(), false));
        assert_eq!(remove_entry(text, "none", Some("/dev/a")), (String::new(), true));
    }

    #[test]
    fn removes_only_six_field_entries() {
        let text = "# keep\ntmpfs /t tmpfs o 0 0\ntmpfs /t tmpfs o\n/dev/x /u ext4 defaults 0 2";
        let (out, changed) = remove_entry(text, "/t", None);
        assert!(changed);
        assert_eq!(out, "# keep\ntmpfs /t tmpfs o\n/dev/x /u ext4 defaults 0 2");
        assert_eq!(remove_entry(text, "/nope", None), (text.to_string(), false));
        let (out, changed) = remove_entry("t /a\\040b tmpfs o 0 0\n", "/a b", None);
        assert!(changed && out.is_empty(), "the name is compared escaped");
    }

    #[test]
    fn mountinfo_like_ansible() {
        let text = "22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/\n\
                    42 22 0:35 / /tmp rw - tmpfs tmpfs rw\n\
                    78 42 0:35 /aaa /tmp/bbb rw - tmpfs tmpfs rw\n\
                    90 22 0:40 / /mnt/t rw,relatime shared:5 - tmpfs tmpfs rw,size=1024k\n\
                    140 136 253:2 /rootfs / rw - ext4 /dev/sdb2 rw\n\
                    141 140 253:2 /rootfs/tmp/aaa /tmp/ccc rw - ext4 /dev/sdb2 rw\n";
        let m = parse_mountinfo(text);
        let src = |d: &str| find(&m, d).map(|r| r.src.clone());
        assert_eq!(src("/tmp/bbb").as_deref(), Some("/tmp/aaa"), "bind below a mount");
        assert_eq!(src("/tmp/ccc").as_deref(), Some("/tmp/aaa"), "the parent's root is left out");
        assert_eq!(src("/mnt/t").as_deref(), Some("/"), "a mount below / has the root path as source");
        let t = find(&m, "/mnt/t").unwrap();
        assert_eq!((t.device.as_str(), t.fs.as_str(), t.opts.as_str()), ("tmpfs", "tmpfs", "rw,relatime"));
        assert_eq!(find(&m, "/").map(|r| r.src.as_str()), Some("/dev/sdb2"), "the last / wins");
        assert!(parse_mountinfo("garbage\n").is_empty());
    }

    #[test]
    fn ismount_from_stats() {
        assert!(!ismount(None));
        assert!(ismount(Some(Stats { own: (5, 2), parent: (4, 10) })));
        assert!(ismount(Some(Stats { own: (4, 2), parent: (4, 2) })), "/ is its own parent");
        assert!(!ismount(Some(Stats { own: (4, 7), parent: (4, 2) })));
    }
}
