//! `ansible_mounts` from the gather script's copy of `/etc/mtab` (or `/proc/mounts`), one
//! `stat -f` per kept mount, `findmnt` (to mark bind mounts) and `lsblk` (UUIDs), kept and
//! shaped the way Ansible 2.18's Linux hardware collector does: only mounts whose device is a
//! path or `host:/path` and whose type is not `none`, one entry per mount point. Not done:
//! udev lookups for UUIDs `lsblk` does not know (those are `N/A`), per-mount timeouts beyond
//! the script's own.

use std::collections::HashMap;

use hearth_formats::value::{Map, Value};

/// `stat -f` format the script prints after each mount point's raw name: fundamental block
/// size, block size, total blocks, blocks available, total inodes, free inodes.
pub const STAT_FORMAT: &str = "%S %s %b %a %c %d";

/// Replaces `\NNN` octal escapes, as `/proc/mounts` writes spaces, tabs and backslashes.
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal =
            b[i] == b'\\' && b.len() >= i + 4 && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c));
        if octal {
            let n = b[i + 1..i + 4].iter().fold(0u32, |n, c| n * 8 + u32::from(c - b'0'));
            out.push(u8::try_from(n).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces `\xHH` escapes, as `findmnt` writes unsafe characters.
fn unescape_hex(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'\\' && b.get(i + 1) == Some(&b'x'))
            .then(|| s.get(i + 2..i + 4).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .flatten();
        match hex {
            Some(c) => {
                out.push(c);
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Mount points whose source names a directory (`/dev/vda[/srv]`): bind mounts.
fn bind_mounts(findmnt: &str) -> Vec<String> {
    findmnt
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() >= 2 && w[1].contains(']')).then(|| unescape_hex(w[0]))
        })
        .collect()
}

/// Device path → UUID from `lsblk --list --noheadings --paths --output NAME,UUID`.
fn uuids(lsblk: &str) -> HashMap<String, String> {
    lsblk
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect()
}

/// Size fields from one `stat -f` line (`None` when `stat` failed, as on a stale NFS mount).
fn sizes(stat: &str) -> Option<Map> {
    let n: Vec<u64> = stat.split_whitespace().map(str::parse).collect::<Result<_, _>>().ok()?;
    let [frsize, bsize, blocks, bavail, files, ffree] = n[..] else { return None };
    let mut m = Map::new();
    m.insert("size_total".into(), Value::from(frsize * blocks));
    m.insert("size_available".into(), Value::from(frsize * bavail));
    m.insert("block_size".into(), Value::from(bsize));
    m.insert("block_total".into(), Value::from(blocks));
    m.insert("block_available".into(), Value::from(bavail));
    m.insert("block_used".into(), Value::from(blocks.saturating_sub(bavail)));
    m.insert("inode_total".into(), Value::from(files));
    m.insert("inode_available".into(), Value::from(ffree));
    m.insert("inode_used".into(), Value::from(files.saturating_sub(ffree)));
    Some(m)
}

/// The `mounts` fact: a list of mount entries in mount-table order.
pub fn facts(mtab: &str, statfs: &str, findmnt: &str, lsblk: &str) -> Map {
    let binds = bind_mounts(findmnt);
    let uuids = uuids(lsblk);
    let stats: HashMap<&str, &str> = statfs.lines().map(|l| l.split_once(' ').unwrap_or((l, ""))).collect();
    let mut mounts: Vec<(String, Map)> = Vec::new();
    for line in mtab.lines() {
        let raw: Vec<&str> = line.split_whitespace().collect();
        if raw.len() < 4 {
            continue;
        }
        let f: Vec<String> = raw.iter().map(|w| unescape_octal(w)).collect();
        let (device, mount, fstype) = (&f[0], &f[1], &f[2]);
        if !(device.starts_with('/') || device.starts_with('\\') || device.contains(":/")) || fstype == "none"
        {
            continue;
        }
        let mut options = f[3].clone();
        if binds.contains(mount) {
            options.push_str(",bind");
        }
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let mut m = Map::new();
        m.insert("mount".into(), Value::String(mount.clone()));
        m.insert("device".into(), Value::String(device.clone()));
        m.insert("fstype".into(), Value::String(fstype.clone()));
        m.insert("options".into(), Value::String(options));
        m.insert("dump".into(), Value::from(num(4)));
        m.insert("passno".into(), Value::from(num(5)));
        if let Some(s) = stats.get(raw[1]).and_then(|s| sizes(s)) {
            m.extend(s);
        }
        let uuid = uuids.get(device.as_str()).cloned().unwrap_or_else(|| "N/A".into());
        m.insert("uuid".into(), Value::String(uuid));
        // One entry per mount point: a later mount over the same point replaces the earlier.
        match mounts.iter_mut().find(|(p, _)| p == mount) {
            Some(e) => e.1 = m,
            None => mounts.push((mount.clone(), m)),
        }
    }
    let mut out = Map::new();
    out.insert("mounts".into(), Value::Array(mounts.into_iter().map(|(_, m)| Value::Object(m)).collect()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MTAB: &str = "/dev/vda / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/vda /run/netns ext4 rw,relatime 0 0\nnas:/srv/media /mnt/my\\040media nfs4 rw 0 0\n/dev/sdb1 /boot/firmware vfat rw 0 2\n";
    const STATFS: &str = "/ 4096 4096 66053021 15186856 16777216 16291563\n/run/netns 4096 4096 66053021 15186856 16777216 16291563\n/mnt/my\\040media \n/boot/firmware 512 512 1048576 900000 0 0\n";
    const FINDMNT: &str = "/  /dev/vda ext4 rw\n/run/netns /dev/vda[/run/netns] ext4 rw\n";
    const LSBLK: &str = "/dev/vda\n/dev/sdb1 3F2A-11CC\n";

    #[test]
    fn real_filesystems_with_sizes() {
        let f = facts(MTAB, STATFS, FINDMNT, LSBLK);
        let m = f["mounts"].as_array().cloned().unwrap_or_default();
        let points: Vec<&str> = m.iter().filter_map(|x| x["mount"].as_str()).collect();
        assert_eq!(points, ["/", "/run/netns", "/mnt/my media", "/boot/firmware"]);
        let root = &m[0];
        assert_eq!(root["device"], "/dev/vda");
        assert_eq!(root["fstype"], "ext4");
        assert_eq!(root["size_total"], 270553174016u64);
        assert_eq!(root["size_available"], 62205362176u64);
        assert_eq!(root["block_used"], 50866165);
        assert_eq!(root["inode_used"], 485653);
        assert_eq!(root["uuid"], "N/A");
        assert_eq!(m[1]["options"], "rw,relatime,bind");
        assert!(m[2].get("size_total").is_none(), "stat failed: no sizes");
        assert_eq!(m[3]["uuid"], "3F2A-11CC");
        assert_eq!(m[3]["passno"], 2);
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape_octal("/a\\040b\\134c"), "/a b\\c");
        assert_eq!(unescape_hex("/a\\x20b"), "/a b");
    }
}
