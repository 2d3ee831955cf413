//! Per-interface facts (`ansible_eth0`, `ansible_br_lan`...) and `ansible_interfaces`, from the
//! gather script's walk of `/sys/class/net` and `ip -o addr show`, shaped like Ansible 2.18's
//! Linux network collector: sysfs attributes, the first primary IPv4 address as `ipv4`, the
//! others in `ipv4_secondaries`, every IPv6 address in `ipv6`, and address labels (`eth0:1`)
//! as their own entries. Not collected: ethtool `features`, timestamping, hardware offloads.

use std::net::Ipv4Addr;

use hearth_formats::value::{Map, Value};

/// Ansible's names for the `/sys/class/net/*/type` numbers.
fn kind(number: &str) -> &'static str {
    match number {
        "1" => "ether",
        "32" => "infiniband",
        "512" => "ppp",
        "772" => "loopback",
        "65534" => "tunnel",
        _ => "unknown",
    }
}

/// Interfaces in the order they were found, each with its facts.
#[derive(Default)]
struct Found(Vec<(String, Map)>);

impl Found {
    /// The entry of `name`, added at the end when new.
    fn entry(&mut self, name: &str) -> &mut Map {
        let i = match self.0.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.0.push((name.to_string(), Map::new()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }

    /// A fresh entry for an address label, replacing an earlier one in place (Ansible rebuilds
    /// a label's entry for each of its addresses).
    fn reset(&mut self, name: &str) -> &mut Map {
        let m = self.entry(name);
        m.clear();
        m
    }
}

/// Every device's attributes from the `sysnet` section (`dev=NAME` starts a device); returns
/// the device names in order.
fn sysfs(found: &mut Found, text: &str) -> Vec<String> {
    let mut devices = Vec::new();
    let mut dev = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        if key == "dev" {
            dev = value.to_string();
            devices.push(dev.clone());
            found.entry(&dev).insert("device".into(), Value::String(dev.clone()));
            continue;
        }
        if dev.is_empty() {
            continue;
        }
        set_attribute(found.entry(&dev), key, value);
    }
    devices
}

/// One `key=value` line of a device's sysfs attributes as the facts Ansible derives from it.
fn set_attribute(m: &mut Map, key: &str, value: &str) {
    let s = |v: &str| Value::String(v.to_string());
    let first = |v: &str| s(v.split_whitespace().next().unwrap_or(""));
    match key {
        "address" if !value.is_empty() && value != "00:00:00:00:00:00" => {
            m.insert("macaddress".into(), s(value));
        }
        "mtu" => {
            if let Ok(n) = value.parse::<u64>() {
                m.insert("mtu".into(), Value::from(n));
            }
        }
        "operstate" => {
            m.insert("active".into(), Value::Bool(value != "down"));
        }
        "type" if !m.contains_key("type") => {
            m.insert("type".into(), s(kind(value)));
        }
        "module" => {
            m.insert("module".into(), s(value.rsplit('/').next().unwrap_or(value)));
        }
        "brif" => {
            m.insert("type".into(), s("bridge"));
            let members = value.split_whitespace().map(s).collect();
            m.insert("interfaces".into(), Value::Array(members));
        }
        "bridge/bridge_id" => {
            m.insert("id".into(), s(value));
        }
        "bridge/stp_state" => {
            m.insert("stp".into(), Value::Bool(value == "1"));
        }
        "bonding/slaves" => {
            m.insert("type".into(), s("bonding"));
            m.insert("slaves".into(), Value::Array(value.split_whitespace().map(s).collect()));
        }
        "bonding/mode" => {
            m.insert("mode".into(), first(value));
        }
        "bonding/miimon" => {
            m.insert("miimon".into(), first(value));
        }
        "bonding/lacp_rate" => {
            m.insert("lacp_rate".into(), first(value));
        }
        "bonding/primary" if !value.is_empty() => {
            m.insert("primary".into(), s(value));
        }
        "bonding/all_slaves_active" if m.contains_key("primary") => {
            m.insert("all_slaves_active".into(), Value::Bool(value == "1"));
        }
        "bonding_slave/perm_hwaddr" => {
            m.insert("perm_macaddress".into(), s(value));
        }
        "pciid" => {
            m.insert("pciid".into(), s(value.rsplit('/').next().unwrap_or(value)));
        }
        "speed" => {
            if let Ok(n) = value.parse::<i64>() {
                m.insert("speed".into(), Value::from(n));
            }
        }
        "flags" => {
            let bits = u64::from_str_radix(value.trim_start_matches("0x"), 16).unwrap_or(0);
            m.insert("promisc".into(), Value::Bool(bits & 0x100 != 0));
        }
        _ => {}
    }
}

/// One address line of `ip -o addr show`: device, the words Ansible reads (from `inet`/`inet6`
/// on), and whether it is a secondary (or temporary IPv6) address.
fn addr_lines(text: &str) -> Vec<(String, Vec<String>, bool)> {
    text.lines()
        .filter_map(|l| {
            let line = l.split('\\').next().unwrap_or(l);
            let w: Vec<&str> = line.split_whitespace().collect();
            let dev = w.get(1)?.trim_end_matches(':').split('@').next()?.to_string();
            let words: Vec<String> = w.get(2..)?.iter().map(|s| s.to_string()).collect();
            let secondary = words.iter().any(|x| x == "secondary" || x == "temporary");
            Some((dev, words, secondary))
        })
        .collect()
}

/// An IPv4 address entry (`address`, `broadcast`, `netmask`, `network`, `prefix`).
fn ipv4(words: &[String]) -> Option<Map> {
    let (address, prefix) = match words.get(1)?.split_once('/') {
        Some((a, p)) => (a.to_string(), p.to_string()),
        // Point-to-point addresses have no prefix.
        None => (words[1].clone(), "32".to_string()),
    };
    let broadcast = if words.len() > 3 && words[2] == "brd" { words[3].clone() } else { String::new() };
    let bits: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    let ip: Ipv4Addr = address.parse().ok()?;
    let mut m = Map::new();
    m.insert("address".into(), Value::String(address));
    m.insert("broadcast".into(), Value::String(broadcast));
    m.insert("netmask".into(), Value::String(Ipv4Addr::from(mask).to_string()));
    m.insert("network".into(), Value::String(Ipv4Addr::from(u32::from(ip) & mask).to_string()));
    m.insert("prefix".into(), Value::String(prefix));
    Some(m)
}

/// An IPv6 address entry (`address`, `prefix`, `scope`).
fn ipv6(words: &[String]) -> Option<Map> {
    let (address, prefix, scope) = if words.get(2).map(String::as_str) == Some("peer") {
        (words[1].clone(), words.get(3)?.split_once('/')?.1.to_string(), words.get(5)?.clone())
    } else {
        let (a, p) = words.get(1)?.split_once('/')?;
        (a.to_string(), p.to_string(), words.get(3)?.clone())
    };
    let mut m = Map::new();
    m.insert("address".into(), Value::String(address));
    m.insert("prefix".into(), Value::String(prefix));
    m.insert("scope".into(), Value::String(scope));
    Some(m)
}

/// Appends `v` to the list `key` of `m`, creating the list.
fn push(m: &mut Map, key: &str, v: Map) {
    let list = m.entry(key.to_string()).or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(a) = list {
        a.push(Value::Object(v));
    }
}

/// One device's addresses: primaries first, then secondaries, as Ansible asks `ip` for them.
fn addresses(found: &mut Found, device: &str, lines: &[(String, Vec<String>, bool)]) {
    for secondary in [false, true] {
        for (_, words, _) in lines.iter().filter(|(d, _, s)| d == device && *s == secondary) {
            match words.first().map(String::as_str) {
                Some("inet") => {
                    let Some(entry) = ipv4(words) else { continue };
                    let label = words.last().cloned().unwrap_or_else(|| device.to_string());
                    let target = if label != device { found.reset(&label) } else { found.entry(device) };
                    if !secondary && !target.contains_key("ipv4") {
                        target.insert("ipv4".into(), Value::Object(entry.clone()));
                    } else {
                        push(target, "ipv4_secondaries", entry.clone());
                    }
                    if secondary && label != device {
                        push(found.entry(device), "ipv4_secondaries", entry);
                    }
                }
                Some("inet6") => {
                    if let Some(entry) = ipv6(words) {
                        push(found.entry(device), "ipv6", entry);
                    }
                }
                _ => {}
            }
        }
    }
}

/// `interfaces` (names, `:` turned into `_`) and one fact per interface, named like Ansible
/// names it (`-` also turned into `_`; the list keeps the dash).
pub fn facts(sysnet: &str, addr: &str) -> Map {
    let mut found = Found::default();
    let lines = addr_lines(addr);
    for dev in sysfs(&mut found, sysnet) {
        addresses(&mut found, &dev, &lines);
    }
    let mut m = Map::new();
    let names: Vec<String> = found.0.iter().map(|(n, _)| n.replace(':', "_")).collect();
    m.insert("interfaces".into(), Value::Array(names.iter().cloned().map(Value::String).collect()));
    for (name, (_, facts)) in names.iter().zip(found.0) {
        m.insert(name.replace('-', "_"), Value::Object(facts));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SYSNET: &str = "dev=eth0\naddress=02:fc:00:00:00:01\nmtu=1400\noperstate=up\ntype=1\nflags=0x1003\nspeed=-1\npciid=../../../virtio2\nmodule=/sys/module/virtio_net\ndev=lo\naddress=00:00:00:00:00:00\nmtu=65536\noperstate=unknown\ntype=772\nflags=0x9\ndev=br-lan\naddress=aa:bb:cc:00:00:01\nmtu=1500\noperstate=down\ntype=1\nflags=0x1103\nbridge/bridge_id=8000.aabbcc000001\nbridge/stp_state=0\nbrif=veth0 veth1\n";
    const ADDR: &str = "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever\n4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever\n4: eth0    inet 192.0.2.9/24 brd 192.0.2.255 scope global secondary eth0:1\\       valid_lft forever\n4: eth0    inet6 fd00::2/64 scope global nodad \\       valid_lft forever\n4: eth0    inet6 fe80::fc:ff:fe00:1/64 scope link \\       valid_lft forever\n";

    #[test]
    fn sysfs_and_addresses() {
        let f = facts(SYSNET, ADDR);
        assert_eq!(f["interfaces"], json!(["eth0", "lo", "br-lan", "eth0_1"]));
        let eth0 = &f["eth0"];
        assert_eq!(eth0["device"], "eth0");
        assert_eq!(eth0["active"], true);
        assert_eq!(eth0["mtu"], 1400);
        assert_eq!(eth0["macaddress"], "02:fc:00:00:00:01");
        assert_eq!(eth0["type"], "ether");
        assert_eq!(eth0["pciid"], "virtio2");
        assert_eq!(eth0["module"], "virtio_net");
        assert_eq!(eth0["speed"], -1);
        assert_eq!(eth0["promisc"], false);
        assert_eq!(
            eth0["ipv4"],
            json!({"address": "192.0.2.2", "broadcast": "192.0.2.255", "netmask": "255.255.255.0", "network": "192.0.2.0", "prefix": "24"})
        );
        assert_eq!(eth0["ipv4_secondaries"][0]["address"], "192.0.2.9");
        assert_eq!(
            eth0["ipv6"],
            json!([{"address": "fd00::2", "prefix": "64", "scope": "global"}, {"address": "fe80::fc:ff:fe00:1", "prefix": "64", "scope": "link"}])
        );
        assert_eq!(f["eth0_1"]["ipv4_secondaries"][0]["address"], "192.0.2.9");
        let lo = &f["lo"];
        assert!(lo.get("macaddress").is_none());
        assert_eq!((lo["type"].as_str(), lo["active"].as_bool()), (Some("loopback"), Some(true)));
        assert_eq!(lo["ipv4"]["broadcast"], "");
        assert_eq!(lo["ipv4"]["netmask"], "255.0.0.0");
        let br = &f["br_lan"];
        assert_eq!(br["device"], "br-lan");
        assert_eq!((br["type"].as_str(), br["active"].as_bool()), (Some("bridge"), Some(false)));
        assert_eq!(br["interfaces"], json!(["veth0", "veth1"]));
        assert_eq!((br["stp"].as_bool(), br["promisc"].as_bool()), (Some(false), Some(true)));
    }

    #[test]
    fn nothing_gathered() {
        assert_eq!(facts("", ""), json!({"interfaces": []}).as_object().cloned().unwrap_or_default());
    }
}
