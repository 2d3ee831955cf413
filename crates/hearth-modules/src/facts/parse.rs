//! Turns the gather script's output into Ansible's fact map (names with the `ansible_` prefix),
//! grouped by Ansible's gather subsets. Pure: fixtures of real hosts test it. Platform, user,
//! service manager and package manager rules follow Ansible 2.18's fact collectors.

use std::collections::HashMap;

use super::{date_time, distribution, hardware, interfaces, mounts, network, python, script};
use hearth_formats::value::{Map, Value};

/// Which `gather_subset` a fact group belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subset {
    /// Always gathered (distribution, platform, user, env, date and time, Python, service and
    /// package managers).
    Min,
    /// CPU, memory and mounts.
    Hardware,
    /// Addresses and interfaces.
    Network,
}

/// Every fact the script output yields, with the subset it belongs to.
pub fn parse(output: &str) -> Vec<(String, Value, Subset)> {
    let s = script::sections(output);
    let get = |k: &str| s.get(k).map(String::as_str).unwrap_or("");
    let mut out: Vec<(String, Value, Subset)> = Vec::new();
    let mut add = |m: Map, subset: Subset| {
        for (k, v) in m {
            out.push((format!("ansible_{k}"), v, subset));
        }
    };
    let dist = distribution::facts(get("os-release"), get("debian_version"), get("lsb-release"));
    let os_family = dist.get("os_family").and_then(Value::as_str).unwrap_or("").to_string();
    let distro_name = dist.get("distribution").and_then(Value::as_str).unwrap_or("").to_string();
    add(dist, Subset::Min);
    let plat = platform(&s);
    let arch = plat.get("architecture").and_then(Value::as_str).unwrap_or("").to_string();
    add(plat, Subset::Min);
    add(user(get("id"), get("passwd")), Subset::Min);
    let paths: Vec<&str> = get("paths").lines().collect();
    let bins: Vec<&str> = get("bins").lines().collect();
    let mut sys = Map::new();
    sys.insert("service_mgr".into(), Value::String(service_mgr(get("init"), &bins, &paths, &distro_name)));
    sys.insert("pkg_mgr".into(), Value::String(pkg_mgr(&paths, &os_family)));
    sys.insert("env".into(), Value::Object(env(get("env"))));
    let dpkg = get("dpkg").trim();
    let dpkg = if dpkg.is_empty() { dpkg_arch(&arch) } else { dpkg.to_string() };
    if !dpkg.is_empty() {
        sys.insert("hearth_dpkg_architecture".into(), Value::String(dpkg));
    }
    add(sys, Subset::Min);
    let mut when = Map::new();
    let dt = date_time::facts(get("date"));
    if !dt.is_empty() {
        when.insert("date_time".into(), Value::Object(dt));
    }
    add(when, Subset::Min);
    add(python::facts(get("python")), Subset::Min);
    let mut hw = hardware::memory(get("meminfo"));
    hw.extend(hardware::cpu(get("cpuinfo"), &arch, get("nproc").trim().parse().ok()));
    hw.extend(mounts::facts(get("mtab"), get("statfs"), get("findmnt"), get("lsblk")));
    add(hw, Subset::Hardware);
    add(network::facts(get("route"), get("route6"), get("addr"), get("link")), Subset::Network);
    add(interfaces::facts(get("sysnet"), get("addr")), Subset::Network);
    // The dpkg name is a hearth fact, not an Ansible one: keep its own prefix only.
    for (k, _, _) in out.iter_mut() {
        if k == "ansible_hearth_dpkg_architecture" {
            *k = "hearth_dpkg_architecture".into();
        }
    }
    out
}

/// `system`, `kernel`, `kernel_version`, `machine`, `architecture`, `nodename`, `hostname`,
/// `fqdn`, `domain`, `machine_id`, `userspace_bits`, `userspace_architecture`.
fn platform(s: &HashMap<String, String>) -> Map {
    let uname: Vec<&str> = s.get("uname").map(|u| u.lines().collect()).unwrap_or_default();
    let u = |i: usize| uname.get(i).copied().unwrap_or("").to_string();
    let nodename = u(1);
    let machine = u(4);
    let fqdn = fqdn(s.get("fqdn").map(String::as_str).unwrap_or(""), &nodename);
    let mut m = Map::new();
    m.insert("system".into(), Value::String(u(0)));
    m.insert("kernel".into(), Value::String(u(2)));
    m.insert("kernel_version".into(), Value::String(u(3)));
    m.insert("machine".into(), Value::String(machine.clone()));
    let bits = s.get("userspace").map(|b| b.trim().to_string()).unwrap_or_default();
    if !bits.is_empty() {
        // Like Ansible, only x86 machines name their userspace architecture.
        let userspace = match bits.as_str() {
            "64" => Some("x86_64"),
            "32" => Some("i386"),
            _ => None,
        };
        if let Some(u) = userspace.filter(|_| machine == "x86_64" || is_i86(&machine)) {
            m.insert("userspace_architecture".into(), Value::String(u.into()));
        }
        m.insert("userspace_bits".into(), Value::String(bits));
    }
    let arch = if is_i86(&machine) { "i386".to_string() } else { machine };
    m.insert("architecture".into(), Value::String(arch));
    m.insert("hostname".into(), Value::String(nodename.split('.').next().unwrap_or("").to_string()));
    m.insert("nodename".into(), Value::String(nodename));
    m.insert("domain".into(), Value::String(fqdn.split('.').skip(1).collect::<Vec<_>>().join(".")));
    m.insert("fqdn".into(), Value::String(fqdn));
    if let Some(id) = s.get("machine-id").and_then(|t| t.lines().next()).filter(|l| !l.is_empty()) {
        m.insert("machine_id".into(), Value::String(id.to_string()));
    }
    m
}

/// Ansible's `i[3-6]86` rule for the architecture fact.
fn is_i86(machine: &str) -> bool {
    let b = machine.as_bytes();
    b.len() == 4 && b[0] == b'i' && (b'3'..=b'6').contains(&b[1]) && &b[2..] == b"86"
}

/// Python's `socket.getfqdn()`: the reverse lookup of the host name's address, first name with
/// a dot among the canonical name and aliases, else the canonical name, else the node name.
pub fn fqdn(getent_line: &str, nodename: &str) -> String {
    let names: Vec<&str> = getent_line.split_whitespace().skip(1).collect();
    match names.iter().find(|n| n.contains('.')).or(names.first()) {
        Some(n) => n.to_string(),
        None => nodename.to_string(),
    }
}

/// `user_id`, `user_uid`, `user_gid`, `user_gecos`, `user_dir`, `user_shell` and the
/// real/effective ids.
fn user(id: &str, passwd: &str) -> Map {
    let lines: Vec<&str> = id.lines().collect();
    let num = |i: usize| lines.get(i).and_then(|l| l.trim().parse::<u64>().ok());
    let mut m = Map::new();
    if let Some(name) = lines.first() {
        m.insert("user_id".into(), Value::String(name.trim().to_string()));
    }
    let fields: Vec<&str> = passwd.lines().next().unwrap_or("").split(':').collect();
    if fields.len() >= 7 {
        m.insert("user_uid".into(), Value::from(fields[2].parse::<u64>().unwrap_or(0)));
        m.insert("user_gid".into(), Value::from(fields[3].parse::<u64>().unwrap_or(0)));
        m.insert("user_gecos".into(), Value::String(fields[4].into()));
        m.insert("user_dir".into(), Value::String(fields[5].into()));
        m.insert("user_shell".into(), Value::String(fields[6].into()));
    }
    if let (Some(uid), Some(gid)) = (num(1), num(2)) {
        for k in ["real_user_id", "effective_user_id"] {
            m.insert(k.into(), Value::from(uid));
        }
        for k in ["real_group_id", "effective_group_id"] {
            m.insert(k.into(), Value::from(gid));
        }
    }
    m
}

/// The environment of the login, from `env -0` (or plain `env` where `-0` is missing).
fn env(text: &str) -> Map {
    let entries: Vec<&str> =
        if text.contains('\0') { text.split('\0').collect() } else { text.lines().collect() };
    entries
        .into_iter()
        .filter_map(|e| e.split_once('='))
        .filter(|(k, _)| !k.is_empty() && !k.contains('\n'))
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
}

/// Ansible's service manager detection: pid 1's name unless generic, else the Linux checks.
pub fn service_mgr(init: &str, bins: &[&str], paths: &[&str], distribution: &str) -> String {
    let mut lines = init.lines();
    let comm = lines.next().unwrap_or("").trim();
    let sbin_init = init.lines().find_map(|l| l.strip_prefix("sbin_init=")).unwrap_or("").trim();
    let mut proc1 = if comm.is_empty() || comm.starts_with("sbin_init=") { sbin_init } else { comm };
    proc1 = proc1.rsplit('/').next().unwrap_or("").trim();
    if !proc1.is_empty() && proc1 != "init" && !proc1.ends_with("sh") {
        let mapped = match proc1 {
            "procd" => "openwrt_init",
            "runit-init" => "runit",
            "svscan" => "svc",
            "openrc-init" => "openrc",
            other => other,
        };
        return mapped.to_string();
    }
    let has = |p: &str| paths.contains(&p);
    let systemctl = bins.contains(&"systemctl");
    if distribution == "OpenWrt" {
        return "openwrt_init".into();
    }
    let canary = ["/run/systemd/system/", "/dev/.run/systemd/", "/dev/.systemd/"].iter().any(|p| has(p));
    if systemctl && canary {
        "systemd"
    } else if bins.contains(&"initctl") && has("/etc/init/") {
        "upstart"
    } else if has("/sbin/openrc") {
        "openrc"
    } else if systemctl && sbin_init.rsplit('/').next() == Some("systemd") {
        "systemd"
    } else if has("/etc/init.d/") {
        "sysvinit"
    } else if has("/etc/dinit.d/") {
        "dinit"
    } else {
        "service"
    }
    .to_string()
}

/// Ansible's package manager choice: the last known binary present, with family defaults.
pub fn pkg_mgr(paths: &[&str], os_family: &str) -> String {
    const PKG_MGRS: &[(&str, &str)] = &[
        ("/usr/bin/rpm-ostree", "atomic_container"),
        ("/usr/bin/yum", "dnf"),
        ("/usr/bin/dnf-3", "dnf"),
        ("/usr/bin/dnf5", "dnf5"),
        ("/usr/bin/apt-get", "apt"),
        ("/usr/bin/zypper", "zypper"),
        ("/usr/sbin/urpmi", "urpmi"),
        ("/usr/bin/pacman", "pacman"),
        ("/bin/opkg", "opkg"),
        ("/sbin/apk", "apk"),
        ("/usr/bin/emerge", "portage"),
        ("/usr/bin/xbps-install", "xbps"),
    ];
    let found = PKG_MGRS.iter().rev().find(|(p, _)| paths.contains(p)).map_or("unknown", |(_, n)| *n);
    match os_family {
        "RedHat" if paths.contains(&"/run/ostree-booted") => "atomic_container",
        "RedHat" if paths.contains(&"/usr/bin/dnf") => "dnf",
        "RedHat" => "unknown",
        "Debian" => "apt",
        "Altlinux" if found == "apt" => "apt_rpm",
        _ => found,
    }
    .to_string()
}

/// The Debian architecture name when `dpkg` is missing, from the kernel's machine name.
fn dpkg_arch(machine: &str) -> String {
    match machine {
        "x86_64" => "amd64",
        "aarch64" | "arm64" => "arm64",
        "armv7l" | "armv6l" => "armhf",
        "i386" | "i486" | "i586" | "i686" => "i386",
        "riscv64" => "riscv64",
        "ppc64le" => "ppc64el",
        "s390x" => "s390x",
        _ => "",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_manager_rules() {
        assert_eq!(service_mgr("systemd\nsbin_init=\n", &[], &[], "Debian"), "systemd");
        assert_eq!(service_mgr("bash\nsbin_init=\n", &[], &["/etc/init.d/"], "Debian"), "sysvinit");
        assert_eq!(
            service_mgr("init\nsbin_init=/lib/systemd/systemd\n", &["systemctl"], &[], "Debian"),
            "systemd"
        );
        assert_eq!(service_mgr("", &[], &[], "Debian"), "service");
    }

    #[test]
    fn userspace_architecture_only_on_x86() {
        let facts = |machine: &str, bits: &str| {
            let text = format!(
                "\n@@hearth-facts uname\nLinux\nh\n6.6\n#1\n{machine}\n\n@@hearth-facts userspace\n{bits}\n"
            );
            let f: Map = parse(&text).into_iter().map(|(k, v, _)| (k, v)).collect();
            (f.get("ansible_userspace_bits").cloned(), f.get("ansible_userspace_architecture").cloned())
        };
        assert_eq!(facts("x86_64", "32"), (Some("32".into()), Some("i386".into())));
        assert_eq!(facts("x86_64", "64"), (Some("64".into()), Some("x86_64".into())));
        assert_eq!(facts("armv7l", "32"), (Some("32".into()), None));
        assert_eq!(facts("aarch64", ""), (None, None));
    }

    #[test]
    fn fqdn_prefers_a_dotted_alias() {
        assert_eq!(fqdn("127.0.1.1       pi pi.lan", "pi"), "pi.lan");
        assert_eq!(fqdn("127.0.0.1 localhost", "vm"), "localhost");
        assert_eq!(fqdn("", "vm"), "vm");
    }

    #[test]
    fn package_manager_defaults() {
        assert_eq!(pkg_mgr(&["/usr/bin/apt-get", "/usr/bin/zypper"], "Debian"), "apt");
        assert_eq!(pkg_mgr(&["/sbin/apk"], "Alpine"), "apk");
        assert_eq!(pkg_mgr(&[], "Archlinux"), "unknown");
    }
}
