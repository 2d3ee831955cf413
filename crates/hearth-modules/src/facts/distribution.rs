//! Distribution facts from `/etc/os-release` (+ `/etc/debian_version`, `/etc/lsb-release`),
//! following Ansible 2.18's `distribution.py` and the `distro` library for the Linux families
//! hearth targets (Debian, Raspbian, Ubuntu, and the RedHat/SUSE/Arch/Alpine names by ID).
//! Not handled: the non-os-release release files of old distributions, BSDs, macOS.

use std::collections::HashMap;

use hearth_formats::value::{Map, Value};

/// `KEY=value` pairs of an os-release style file, quotes removed.
pub fn os_release(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(v);
            let v = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')).unwrap_or(v);
            (k.trim().to_string(), v.replace("\\\"", "\""))
        })
        .collect()
}

/// Ansible's `OS_FAMILY_MAP`, for the names it can produce from os-release.
fn os_family(distribution: &str) -> &str {
    const MAP: &[(&str, &[&str])] = &[
        (
            "RedHat",
            &[
                "RedHat",
                "RHEL",
                "Fedora",
                "CentOS",
                "Scientific",
                "OracleLinux",
                "Amazon",
                "Amzn",
                "AlmaLinux",
                "Rocky",
                "EuroLinux",
            ],
        ),
        (
            "Debian",
            &[
                "Debian",
                "Ubuntu",
                "Raspbian",
                "Neon",
                "KDE neon",
                "Linux Mint",
                "SteamOS",
                "Devuan",
                "Kali",
                "Cumulus Linux",
                "Pop!_OS",
                "Parrot",
                "Uos",
                "Deepin",
                "OSMC",
            ],
        ),
        ("Suse", &["SuSE", "SLES", "SLED", "openSUSE", "openSUSE Tumbleweed", "openSUSE Leap", "SL-Micro"]),
        ("Archlinux", &["Archlinux", "Antergos", "Manjaro"]),
        ("Gentoo", &["Gentoo", "Funtoo"]),
        ("Alpine", &["Alpine"]),
    ];
    MAP.iter().find(|(_, names)| names.contains(&distribution)).map(|(f, _)| *f).unwrap_or(distribution)
}

/// `distro.id().capitalize()` with Ansible's renames.
fn guess_name(id: &str) -> String {
    let mut c = id.chars();
    let cap = match c.next() {
        Some(f) => f.to_uppercase().chain(c.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    };
    match cap.as_str() {
        "Amzn" => "Amazon".into(),
        "Rhel" => "Redhat".into(),
        "" => "OtherLinux".into(),
        _ => cap,
    }
}

/// `distro.version(best=True)` for Debian: the most precise of os-release and debian_version.
fn best_version(os_version: &str, debian_version: &str) -> String {
    let dv = debian_version.trim();
    let numeric = dv.chars().next().is_some_and(|c| c.is_ascii_digit());
    if numeric && dv.matches('.').count() > os_version.matches('.').count() {
        dv.into()
    } else {
        os_version.into()
    }
}

/// The `distribution*` and `os_family` facts (without the `ansible_` prefix).
pub fn facts(os_release_text: &str, debian_version: &str, lsb_release: &str) -> Map {
    let osr = os_release(os_release_text);
    let lsb = os_release(lsb_release);
    let get = |k: &str| osr.get(k).map(String::as_str).unwrap_or("");
    let id = get("ID");
    let mut version = get("VERSION_ID").to_string();
    if version.is_empty() {
        version = lsb.get("DISTRIB_RELEASE").cloned().unwrap_or_default();
    }
    if id == "debian" {
        version = best_version(&version, debian_version);
    }
    let mut release = osr
        .get("VERSION_CODENAME")
        .or_else(|| osr.get("UBUNTU_CODENAME"))
        .or_else(|| lsb.get("DISTRIB_CODENAME"))
        .cloned()
        .unwrap_or_else(|| "NA".into());
    let mut name = guess_name(id);
    let mut minor = None;
    // Ansible's parse_distribution_file_Debian on /etc/os-release (Raspbian reports Debian).
    if os_release_text.contains("Debian") || os_release_text.contains("Raspbian") {
        name = "Debian".into();
        if let Some(r) = pretty_release(get("PRETTY_NAME")) {
            release = r;
        }
        minor = debian_version.lines().find_map(|l| {
            let l = l.trim();
            let (a, b) = l.split_once('.')?;
            let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).collect::<String>();
            let (a, b) = (digits(a.rsplit(|c: char| !c.is_ascii_digit()).next()?), digits(b));
            (!a.is_empty() && !b.is_empty()).then_some(b)
        });
    } else if os_release_text.contains("Ubuntu") {
        name = "Ubuntu".into();
    }
    let version = if version.is_empty() { "NA".to_string() } else { version };
    let major = version.split('.').next().filter(|s| !s.is_empty()).unwrap_or("NA").to_string();
    let mut m = Map::new();
    m.insert("distribution".into(), Value::String(name.clone()));
    m.insert("distribution_version".into(), Value::String(version));
    m.insert("distribution_release".into(), Value::String(release));
    m.insert("distribution_major_version".into(), Value::String(major));
    if let Some(minor) = minor {
        m.insert("distribution_minor_version".into(), Value::String(minor));
    }
    if !os_release_text.trim().is_empty() {
        m.insert("distribution_file_path".into(), Value::String("/etc/os-release".into()));
        m.insert("distribution_file_variety".into(), Value::String(os_family(&name).into()));
    }
    m.insert("os_family".into(), Value::String(os_family(&name).into()));
    if !lsb.is_empty() {
        m.insert("lsb".into(), lsb_fact(&lsb));
    }
    m
}

/// Ansible's regex `PRETTY_NAME=[^(]+ \(?([^)]+?)\)`: the text in the first parentheses.
fn pretty_release(pretty: &str) -> Option<String> {
    let open = pretty.find(" (")?;
    let rest = &pretty[open + 2..];
    let close = rest.find(')')?;
    (close > 0 && open > 0).then(|| rest[..close].to_string())
}

/// `ansible_lsb` from `/etc/lsb-release` (Ansible prefers `lsb_release -a` when installed).
fn lsb_fact(lsb: &HashMap<String, String>) -> Value {
    let mut m = Map::new();
    for (key, name) in [
        ("DISTRIB_ID", "id"),
        ("DISTRIB_RELEASE", "release"),
        ("DISTRIB_DESCRIPTION", "description"),
        ("DISTRIB_CODENAME", "codename"),
    ] {
        if let Some(v) = lsb.get(key) {
            m.insert(name.into(), Value::String(v.clone()));
        }
    }
    if let Some(r) = lsb.get("DISTRIB_RELEASE") {
        m.insert("major_release".into(), Value::String(r.split('.').next().unwrap_or("").into()));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RASPBIAN: &str = "PRETTY_NAME=\"Raspbian GNU/Linux 12 (bookworm)\"\nNAME=\"Raspbian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=raspbian\nID_LIKE=debian\n";

    #[test]
    fn raspbian_reports_debian_with_the_os_release_version() {
        let f = facts(RASPBIAN, "12.11\n", "");
        assert_eq!(f["distribution"], "Debian");
        assert_eq!(f["distribution_version"], "12", "distro only takes the best version for ID=debian");
        assert_eq!(f["distribution_release"], "bookworm");
        assert_eq!(f["distribution_minor_version"], "11");
        assert_eq!(f["os_family"], "Debian");
    }

    #[test]
    fn pretty_name_release() {
        assert_eq!(pretty_release("Debian GNU/Linux 12 (bookworm)").as_deref(), Some("bookworm"));
        assert_eq!(pretty_release("Debian GNU/Linux trixie/sid"), None);
    }

    #[test]
    fn unknown_id_is_capitalised_and_its_own_family() {
        let f = facts("ID=fancy\nVERSION_ID=3.1\n", "", "");
        assert_eq!(f["distribution"], "Fancy");
        assert_eq!(f["os_family"], "Fancy");
        assert_eq!(f["distribution_major_version"], "3");
        assert_eq!(guess_name("rhel"), "Redhat");
        assert_eq!(os_family("Rocky"), "RedHat");
    }
}
