//! The parser against recorded gather-script outputs of real host types: Raspberry Pi OS
//! (32-bit armhf and 64-bit), Debian 12 amd64 (with date, Python, sysfs and mount sections) and
//! Ubuntu 24.04. Expected values are what Ansible 2.18's `setup` reports on those systems.

use serde_json::json;

use super::{Subset, parse::parse, select};
use hearth_formats::value::Map;

fn facts(name: &str) -> Map {
    let path = format!("{}/src/facts/fixtures/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    select(parse(&text), &[], &[]).expect("select")
}

fn check(f: &Map, expected: serde_json::Value) {
    for (k, v) in expected.as_object().expect("object") {
        assert_eq!(f.get(k), Some(v), "fact {k}");
    }
}

#[test]
fn raspberry_pi_os_armhf() {
    let f = facts("raspios-bookworm-armhf");
    check(
        &f,
        json!({
            "ansible_distribution": "Debian",
            "ansible_distribution_release": "bookworm",
            "ansible_distribution_version": "12",
            "ansible_distribution_major_version": "12",
            "ansible_os_family": "Debian",
            "ansible_architecture": "armv7l",
            "hearth_dpkg_architecture": "armhf",
            "ansible_hostname": "pi3",
            "ansible_nodename": "pi3",
            "ansible_fqdn": "pi3",
            "ansible_kernel": "6.6.74+rpt-rpi-v7",
            "ansible_memtotal_mb": 922,
            "ansible_processor_vcpus": 4,
            "ansible_processor_count": 4,
            "ansible_processor_cores": 1,
            "ansible_pkg_mgr": "apt",
            "ansible_service_mgr": "systemd",
            "ansible_user_id": "pi",
            "ansible_user_dir": "/home/pi",
            "ansible_system": "Linux",
        }),
    );
    assert_eq!(f["ansible_default_ipv4"]["address"], "192.168.1.23");
    assert_eq!(f["ansible_default_ipv4"]["gateway"], "192.168.1.1");
    assert_eq!(f["ansible_default_ipv4"]["interface"], "wlan0");
    assert_eq!(f["ansible_env"]["HOME"], "/home/pi");
}

#[test]
fn raspberry_pi_os_arm64() {
    let f = facts("raspios-bookworm-arm64");
    check(
        &f,
        json!({
            "ansible_distribution": "Debian",
            "ansible_distribution_version": "12.11",
            "ansible_distribution_major_version": "12",
            "ansible_distribution_release": "bookworm",
            "ansible_architecture": "aarch64",
            "hearth_dpkg_architecture": "arm64",
            "ansible_memtotal_mb": 3791,
            "ansible_processor_vcpus": 4,
        }),
    );
}

#[test]
fn debian_12_amd64() {
    let f = facts("debian12-amd64");
    check(
        &f,
        json!({
            "ansible_distribution": "Debian",
            "ansible_distribution_version": "12.11",
            "ansible_distribution_minor_version": "11",
            "ansible_architecture": "x86_64",
            "hearth_dpkg_architecture": "amd64",
            "ansible_fqdn": "nas.home.arpa",
            "ansible_domain": "home.arpa",
            "ansible_hostname": "nas",
            "ansible_processor_count": 1,
            "ansible_processor_cores": 2,
            "ansible_processor_threads_per_core": 2,
            "ansible_processor_vcpus": 4,
        }),
    );
    assert_eq!(f["ansible_default_ipv4"]["interface"], "enp1s0");
    assert_eq!(f["ansible_default_ipv4"]["macaddress"], "52:54:00:12:34:56");
}

#[test]
fn ubuntu_24_04() {
    let f = facts("ubuntu2404-amd64");
    check(
        &f,
        json!({
            "ansible_distribution": "Ubuntu",
            "ansible_distribution_version": "24.04",
            "ansible_distribution_major_version": "24",
            "ansible_distribution_release": "noble",
            "ansible_os_family": "Debian",
            "ansible_pkg_mgr": "apt",
            "ansible_processor_vcpus": 2,
            "ansible_lsb": {"id": "Ubuntu", "release": "24.04", "description": "Ubuntu 24.04.1 LTS", "codename": "noble", "major_release": "24"},
        }),
    );
}

#[test]
fn subsets_and_filters() {
    let path = format!("{}/src/facts/fixtures/debian12-amd64.txt", env!("CARGO_MANIFEST_DIR"));
    let parsed = parse(&std::fs::read_to_string(path).expect("fixture"));
    assert!(parsed.iter().any(|(_, _, s)| *s == Subset::Network));
    let min = select(parsed.clone(), &["!all".into()], &[]).expect("select");
    assert!(min.contains_key("ansible_distribution"));
    assert!(!min.contains_key("ansible_memtotal_mb") && !min.contains_key("ansible_default_ipv4"));
    let hw = select(parsed.clone(), &["!all".into(), "hardware".into()], &[]).expect("select");
    assert!(hw.contains_key("ansible_memtotal_mb") && !hw.contains_key("ansible_default_ipv4"));
    let f = select(parsed.clone(), &[], &["ansible_distribution*".into()]).expect("select");
    assert!(f.keys().all(|k| k.starts_with("ansible_distribution")) && f.len() >= 4);
    assert!(select(parsed, &["nonsense".into()], &[]).is_err());
}

#[test]
fn debian_12_date_python_interfaces_and_mounts() {
    let f = facts("debian12-amd64");
    check(
        &f,
        json!({
            "ansible_userspace_bits": "64",
            "ansible_userspace_architecture": "x86_64",
            "ansible_python_version": "3.11.2",
            "ansible_interfaces": ["enp1s0", "eth0", "lo"],
        }),
    );
    assert_eq!(f["ansible_python"]["executable"], "/usr/bin/python3.11");
    assert_eq!(f["ansible_python"]["version_info"], json!([3, 11, 2, "final", 0]));
    let dt = &f["ansible_date_time"];
    assert_eq!((dt["date"].as_str(), dt["time"].as_str()), (Some("2025-06-14"), Some("09:30:05")));
    assert_eq!((dt["tz"].as_str(), dt["tz_dst"].as_str()), (Some("CEST"), Some("CEST")));
    assert_eq!(dt["iso8601"], "2025-06-14T07:30:05Z");
    let nic = &f["ansible_enp1s0"];
    assert_eq!(nic["ipv4"]["address"], "192.168.1.5");
    assert_eq!(nic["ipv4"]["network"], "192.168.1.0");
    assert_eq!(nic["ipv6"][0]["scope"], "link");
    assert_eq!((nic["speed"].as_i64(), nic["pciid"].as_str()), (Some(1000), Some("0000:01:00.0")));
    assert_eq!(f["ansible_eth0"]["active"], false);
    let mounts = f["ansible_mounts"].as_array().cloned().unwrap_or_default();
    let points: Vec<&str> = mounts.iter().filter_map(|m| m["mount"].as_str()).collect();
    assert_eq!(points, ["/", "/boot", "/srv/media", "/mnt/backup"]);
    assert_eq!(mounts[0]["device"], "/dev/mapper/nas--vg-root");
    assert_eq!(mounts[0]["uuid"], "5d1f8a3c-2e4b-4c6d-8e9f-0a1b2c3d4e5f");
    assert_eq!(mounts[0]["size_total"], 4096u64 * 7458000);
    assert_eq!(mounts[3]["uuid"], "N/A");
    let min = select(parse_fixture("debian12-amd64"), &["!all".into()], &[]).expect("select");
    assert!(min.contains_key("ansible_date_time") && min.contains_key("ansible_python"));
    assert!(!min.contains_key("ansible_mounts") && !min.contains_key("ansible_enp1s0"));
    let some = select(parse_fixture("debian12-amd64"), &["!date_time".into(), "!python".into()], &[]);
    let some = some.expect("select");
    assert!(!some.contains_key("ansible_date_time") && !some.contains_key("ansible_python"));
    // Like Ansible: `python_version` is a platform fact; naming only exclusions keeps the min set.
    assert!(some.contains_key("ansible_python_version") && !some.contains_key("ansible_mounts"));
    let named = select(parse_fixture("debian12-amd64"), &["!date_time".into(), "date_time".into()], &[]);
    assert!(named.expect("select").contains_key("ansible_date_time"));
}

fn parse_fixture(name: &str) -> Vec<(String, hearth_formats::value::Value, Subset)> {
    let path = format!("{}/src/facts/fixtures/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    parse(&std::fs::read_to_string(path).expect("fixture"))
}
