//! The one shell script that collects every fact in a single round trip, and the splitter for
//! its output. The script only reads (files under /etc, /proc and /sys, `uname`, `ip`, `id`,
//! `env`, `getent`, `date`, `stat -f`, `findmnt`, `lsblk`, and the host's Python when there is
//! one, only to report its version): Python is not needed, nothing is written. Interpreting the sections is left to the parsers.

use std::collections::HashMap;

/// Marks the start of a section in the script's output (`@@hearth-facts NAME`).
const MARK: &str = "@@hearth-facts ";

/// POSIX sh script printing each fact source in its own section. Every command may fail
/// (busybox hosts, missing `ip`); an empty section is then parsed as "unknown".
pub const GATHER_SCRIPT: &str = r#"m='@@hearth-facts '
s() { printf '\n%s%s\n' "$m" "$1"; }
s os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s lsb-release; cat /etc/lsb-release 2>/dev/null
s debian_version; cat /etc/debian_version 2>/dev/null
s uname; uname -s; uname -n; uname -r; uname -v; uname -m
n=$(uname -n)
t=; command -v timeout >/dev/null 2>&1 && t='timeout 2'
s fqdn; a=$($t getent ahostsv4 "$n" 2>/dev/null | awk '{print $1; exit}'); [ -n "$a" ] && $t getent hosts "$a" 2>/dev/null | head -n 1
s meminfo; cat /proc/meminfo 2>/dev/null
s cpuinfo; cat /proc/cpuinfo 2>/dev/null
s nproc; nproc 2>/dev/null
s route; ip -4 route get 8.8.8.8 2>/dev/null
s route6; ip -6 route get 2404:6800:400a:800::1012 2>/dev/null
s addr; ip -o addr show 2>/dev/null
s link; ip -o link show 2>/dev/null
s id; id -un; id -u; id -g
s passwd; getent passwd "$(id -un)" 2>/dev/null
s init; cat /proc/1/comm 2>/dev/null; printf 'sbin_init=%s\n' "$(readlink /sbin/init 2>/dev/null)"
s bins; for b in systemctl initctl; do command -v "$b" >/dev/null 2>&1 && echo "$b"; done
s paths; for p in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/ /etc/init/ /sbin/openrc /etc/init.d/ /etc/dinit.d/ /usr/bin/rpm-ostree /usr/bin/yum /usr/bin/dnf-3 /usr/bin/dnf5 /usr/bin/apt-get /usr/bin/zypper /usr/sbin/urpmi /usr/bin/pacman /bin/opkg /sbin/apk /usr/bin/emerge /usr/bin/xbps-install /usr/bin/dnf /run/ostree-booted; do [ -e "$p" ] && echo "$p"; done
s machine-id; cat /var/lib/dbus/machine-id 2>/dev/null || cat /etc/machine-id 2>/dev/null
s dpkg; dpkg --print-architecture 2>/dev/null
s userspace; getconf LONG_BIT 2>/dev/null
s date; printf 'now\njan 1\njul 1\n' | LC_ALL=C date -f - '+%Y %m %A %w %W %d %H %M %S %s.%N %Z %z' 2>/dev/null || LC_ALL=C date '+%Y %m %A %w %W %d %H %M %S %s.%N %Z %z'
q="import sys, importlib.util as u; print(sys.executable); print(*sys.version_info); print(u.find_spec('ssl') is not None); print(sys.implementation.name)"
s python; if [ -n "${HEARTH_PYTHON:-}" ]; then $HEARTH_PYTHON -c "$q"; else for p in python3.13 python3.12 python3.11 python3.10 python3.9 python3.8 /usr/bin/python3 python3; do command -v "$p" >/dev/null 2>&1 && "$p" -c "$q" && break; done; fi 2>/dev/null
s sysnet; for d in /sys/class/net/*; do [ -d "$d" ] || continue; echo "dev=${d##*/}"
for f in address mtu operstate type flags speed bridge/bridge_id bridge/stp_state bonding/slaves bonding/mode bonding/miimon bonding/lacp_rate bonding/primary bonding/all_slaves_active bonding_slave/perm_hwaddr; do { read -r v < "$d/$f"; } 2>/dev/null && echo "$f=$v"; done
[ -d "$d/bridge" ] && echo "brif=$(ls "$d/brif" 2>/dev/null | tr '\n' ' ')"
[ -e "$d/device" ] && echo "pciid=$(readlink "$d/device")"
[ -e "$d/device/driver/module" ] && echo "module=$(readlink -f "$d/device/driver/module")"; done
mt=/etc/mtab; [ -r "$mt" ] || mt=/proc/mounts
s mtab; cat "$mt" 2>/dev/null
s statfs; while read -r md mp mf mr; do case $md in /*|\\*|*:/*) ;; *) continue ;; esac; [ "$mf" = none ] && continue; p=$mp; case $mp in *\\*) p=$(printf '%b' "$mp") ;; esac; printf '%s %s\n' "$mp" "$($t stat -f -c '%S %s %b %a %c %d' "$p" 2>/dev/null)"; done < "$mt" 2>/dev/null
s findmnt; findmnt --list --noheadings --notruncate 2>/dev/null
s lsblk; lsblk --list --noheadings --paths --output NAME,UUID --exclude 2 2>/dev/null
s env; env -0 2>/dev/null || env
s end
"#;

/// The script's output cut into named sections (text after each marker line).
pub fn sections(output: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut current: Option<(String, String)> = None;
    for line in output.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix(MARK) {
            if let Some((n, text)) = current.take() {
                out.insert(n, text);
            }
            current = Some((name.trim_end().to_string(), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
        }
    }
    if let Some((n, text)) = current {
        out.insert(n, text);
    }
    // Each section ends with the newline the script prints before the next marker.
    for text in out.values_mut() {
        if text.ends_with('\n') {
            text.pop();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_prints_what_the_parsers_read() {
        use crate::facts::{date_time, mounts, python};
        for part in [date_time::DATE_FORMAT, mounts::STAT_FORMAT, python::FALLBACK, python::PROBE] {
            assert!(GATHER_SCRIPT.contains(part), "{part}");
        }
    }

    #[test]
    fn splits_sections() {
        let s = sections("\n@@hearth-facts a\nx\ny\n\n@@hearth-facts b\n\n@@hearth-facts end\n");
        assert_eq!(s["a"], "x\ny\n");
        assert_eq!(s["b"], "");
        assert!(s.contains_key("end"));
    }
}
