//! What `mount` reads from a host in one round trip: the mount point's stats (for Python's
//! `ismount`), the fstab file (resolved through links) and /proc/self/mountinfo, framed so
//! any fstab content parses back exactly. It changes nothing on the host.

use super::mount_fstab::{self as fstab, MountInfo, Stats};
use crate::module::ModuleError;
use hearth_transport::{Cmd, Transport};

/// $1 is the mount point, $2 the fstab file (empty: not read). Prints `path none|link|link
/// exists|stat DEV INO PDEV PINO`, then `fstab none|dir|unreadable REAL` or `fstab file SIZE
/// REAL` and SIZE bytes, then `mountinfo` and the table (or `nomountinfo`).
const SCRIPT: &str = r#"p=$1 f=$2
if [ -L "$p" ]; then
  if [ -e "$p" ]; then echo 'path link exists'; else echo 'path link'; fi
elif [ -e "$p" ]; then
  printf 'path stat %s %s\n' "$(stat -c '%d %i' -- "$p")" "$(stat -L -c '%d %i' -- "$p/..")"
else
  echo 'path none'
fi
if [ -n "$f" ]; then
  r=$(readlink -f -- "$f" 2>/dev/null) || r=
  [ -n "$r" ] || r=$f
  if [ -d "$r" ]; then printf 'fstab dir %s\n' "$r"
  elif [ -f "$r" ] && [ -r "$r" ]; then printf 'fstab file %s %s\n' "$(wc -c < "$r" | tr -d ' ')" "$r"; cat -- "$r"
  elif [ -e "$r" ]; then printf 'fstab unreadable %s\n' "$r"
  else printf 'fstab none %s\n' "$r"; fi
fi
if [ -r /proc/self/mountinfo ]; then echo mountinfo; cat /proc/self/mountinfo; else echo nomountinfo; fi"#;

/// The mount point as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// Nothing there.
    Missing,
    /// A symlink (never a mount point); whether its target exists.
    Link(bool),
    /// Something that is not a link, with its and its parent's stats.
    Stat(Stats),
}

/// The fstab file as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FstabFile {
    /// The file behind the path (links resolved): what is written.
    pub real: String,
    /// Its text; None when it does not exist.
    pub text: Option<String>,
}

/// Everything `mount` decides from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The mount point.
    pub point: Point,
    /// The fstab file; None when not read (ephemeral).
    pub fstab: Option<FstabFile>,
    /// /proc/self/mountinfo, parsed; None when unreadable.
    pub mounts: Option<Vec<MountInfo>>,
}

impl Found {
    /// `os.path.exists` of the mount point.
    pub fn exists(&self) -> bool {
        matches!(self.point, Point::Stat(_) | Point::Link(true))
    }

    /// Ansible's "mounted": `ismount`, or listed in mountinfo (with `src`, as that source).
    pub fn mounted(&self, name: &str, src: Option<&str>) -> bool {
        let stats = match self.point {
            Point::Stat(s) => Some(s),
            _ => None,
        };
        let listed = self.mounts.as_deref().and_then(|m| fstab::find(m, name));
        fstab::ismount(stats) || listed.is_some_and(|m| src.is_none_or(|s| m.src == s))
    }

    /// Ansible's `_is_same_mount_src` for a mounted point: mountinfo's (bind) source is `src`,
    /// or a mount of `src` on `name` is listed (what it reads from `mount -v`).
    pub fn same_source(&self, name: &str, src: &str) -> bool {
        let mounts = self.mounts.as_deref().unwrap_or_default();
        fstab::find(mounts, name).is_some_and(|m| m.src == src)
            || mounts.iter().any(|m| m.dst == name && m.device == src)
    }

    /// The fstab text (empty when the file is missing or was not read).
    pub fn fstab_text(&self) -> &str {
        self.fstab.as_ref().and_then(|f| f.text.as_deref()).unwrap_or_default()
    }
}

/// Runs [`SCRIPT`] and parses it.
pub fn probe(host: &dyn Transport, name: &str, fstab: Option<&str>) -> Result<Found, ModuleError> {
    let out = host.run(&Cmd::new(["/bin/sh", "-c", SCRIPT, "sh", name, fstab.unwrap_or_default()]))?;
    if out.rc != 0 {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(ModuleError::msg(format!("reading the mount state failed: {}", err.trim())));
    }
    parse(&String::from_utf8_lossy(&out.stdout), fstab.unwrap_or_default())
}

/// Parses what [`SCRIPT`] printed; `fstab` is the path as given, for messages.
pub fn parse(out: &str, fstab: &str) -> Result<Found, ModuleError> {
    let bad = |what: &str| ModuleError::msg(format!("unexpected mount probe output: {what}"));
    let (first, mut rest) = out.split_once('\n').ok_or_else(|| bad("no output"))?;
    let words: Vec<&str> = first.split(' ').collect();
    let num = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok()).ok_or_else(|| bad(first));
    let point = match words.as_slice() {
        ["path", "none"] => Point::Missing,
        ["path", "link"] => Point::Link(false),
        ["path", "link", "exists"] => Point::Link(true),
        ["path", "stat", ..] => Point::Stat(Stats { own: (num(2)?, num(3)?), parent: (num(4)?, num(5)?) }),
        _ => return Err(bad(first)),
    };
    let mut file = None;
    if let Some(after) = rest.strip_prefix("fstab ") {
        let (header, body) = after.split_once('\n').ok_or_else(|| bad("fstab header"))?;
        let (kind, tail) = header.split_once(' ').ok_or_else(|| bad(header))?;
        let text = match kind {
            "none" => None,
            "dir" => return Err(ModuleError::msg(format!("[Errno 21] Is a directory: '{fstab}'"))),
            "unreadable" => {
                return Err(ModuleError::msg(format!("Failed to open {fstab} due to permission issue")));
            }
            "file" => {
                let (size, real) = tail.split_once(' ').ok_or_else(|| bad(header))?;
                let size: usize = size.parse().map_err(|_| bad(header))?;
                let content = body.get(..size).ok_or_else(|| bad("short fstab"))?;
                rest = &body[size..];
                file = Some(FstabFile { real: real.to_string(), text: Some(content.to_string()) });
                None
            }
            _ => return Err(bad(header)),
        };
        if file.is_none() {
            file = Some(FstabFile { real: tail.to_string(), text });
            rest = body;
        }
    }
    let mounts = rest.strip_prefix("mountinfo\n").map(fstab::parse_mountinfo);
    Ok(Found { point, fstab: file, mounts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_is_framed() {
        let out = "path stat 40 7 33 2\nfstab file 11 /etc/real fstab\na b c d\n\n#xmountinfo\n\
                   90 22 0:40 / /mnt/t rw - tmpfs tmpfs rw\n";
        let f = parse(out, "/etc/fstab").unwrap();
        assert_eq!(f.point, Point::Stat(Stats { own: (40, 7), parent: (33, 2) }));
        assert_eq!(
            f.fstab,
            Some(FstabFile { real: "/etc/real fstab".into(), text: Some("a b c d\n\n#x".into()) })
        );
        assert_eq!(f.mounts.as_ref().map(Vec::len), Some(1));
        assert!(f.mounted("/mnt/t", None), "another device than the parent's");
        assert!(f.same_source("/mnt/t", "tmpfs"), "mountinfo's source field, as mount -v prints it");
        assert!(!f.same_source("/mnt/t", "other"));
    }

    #[test]
    fn missing_things() {
        let f = parse("path none\nfstab none /etc/x\nnomountinfo\n", "/etc/x").unwrap();
        assert_eq!(f.point, Point::Missing);
        assert!(!f.exists() && !f.mounted("/m", None));
        assert_eq!(f.fstab, Some(FstabFile { real: "/etc/x".into(), text: None }));
        assert_eq!(f.mounts, None);
        let f = parse("path link exists\nmountinfo\n", "").unwrap();
        assert!(f.exists() && f.fstab.is_none());
        assert!(parse("path dir\n", "").is_err());
        let dir = parse("path none\nfstab dir /etc\n", "/etc").unwrap_err();
        assert_eq!(dir.to_string(), "[Errno 21] Is a directory: '/etc'");
    }

    #[test]
    fn mounted_by_mountinfo_with_source() {
        let out = "path stat 4 7 4 2\nmountinfo\n22 1 0:21 / / rw - ext4 /dev/sda rw\n\
                   30 22 0:21 /srv/a /mnt/b rw - ext4 /dev/sda rw\n";
        let f = parse(out, "").unwrap();
        assert!(f.mounted("/mnt/b", None));
        assert!(f.mounted("/mnt/b", Some("/srv/a")), "a bind mount of /srv/a");
        assert!(!f.mounted("/mnt/b", Some("/dev/sdb")));
    }
}
