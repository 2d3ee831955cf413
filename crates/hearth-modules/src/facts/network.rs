//! Network facts from `ip -4 route get`, `ip -o addr` and `ip -o link`: the default IPv4/IPv6
//! address with its interface, gateway, netmask, network, MAC address and MTU, and the list of
//! addresses — the fields of Ansible's `default_ipv4`. Per-interface facts are in
//! `interfaces.rs`. Not collected: DNS, routing tables.

use std::net::Ipv4Addr;

use hearth_formats::value::{Map, Value};

/// One address line of `ip -o addr`.
struct Addr {
    dev: String,
    family: String,
    address: String,
    prefix: u8,
    broadcast: Option<String>,
}

fn addrs(text: &str) -> Vec<Addr> {
    text.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let dev = w.get(1)?.trim_end_matches(':').split('@').next()?.to_string();
            let family = w.get(2)?.to_string();
            let (address, prefix) = w.get(3)?.split_once('/')?;
            let broadcast =
                w.iter().position(|x| *x == "brd").and_then(|i| w.get(i + 1)).map(|s| s.to_string());
            Some(Addr { dev, family, address: address.into(), prefix: prefix.parse().ok()?, broadcast })
        })
        .collect()
}

/// The word after `key` in a whitespace-separated line.
fn after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let mut w = line.split_whitespace();
    while let Some(x) = w.next() {
        if x == key {
            return w.next();
        }
    }
    None
}

/// MAC address, MTU and type of a device from `ip -o link`.
fn link(text: &str, dev: &str) -> (Option<String>, Option<u64>, Option<String>) {
    for l in text.lines() {
        let name =
            l.split_whitespace().nth(1).map(|n| n.trim_end_matches(':').split('@').next().unwrap_or(n));
        if name != Some(dev) {
            continue;
        }
        let mtu = after(l, "mtu").and_then(|m| m.parse().ok());
        let kind = l.split_whitespace().find_map(|w| w.strip_prefix("link/")).map(|k| match k {
            "ether" => "ether".to_string(),
            "loopback" => "loopback".to_string(),
            other => other.to_string(),
        });
        let mac = kind.as_ref().and_then(|k| after(l, &format!("link/{k}"))).map(str::to_string);
        return (mac, mtu, kind);
    }
    (None, None, None)
}

fn netmask(prefix: u8) -> Ipv4Addr {
    let bits = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) };
    Ipv4Addr::from(bits)
}

/// `default_ipv4`, `default_ipv6`, `all_ipv4_addresses`, `all_ipv6_addresses` (the
/// per-interface facts are [`super::interfaces`]).
pub fn facts(route4: &str, route6: &str, addr: &str, links: &str) -> Map {
    let all = addrs(addr);
    let mut m = Map::new();
    for (fact, route, family) in [("default_ipv4", route4, "inet"), ("default_ipv6", route6, "inet6")] {
        let line = route.lines().next().unwrap_or("");
        let mut d = Map::new();
        if let Some(dev) = after(line, "dev") {
            let src = after(line, "src");
            let chosen = all
                .iter()
                .filter(|a| a.dev == dev && a.family == family)
                .find(|a| src.is_none_or(|s| s == a.address))
                .or_else(|| all.iter().find(|a| a.dev == dev && a.family == family));
            if let Some(a) = chosen {
                d.insert("address".into(), Value::String(a.address.clone()));
                if family == "inet" {
                    d.insert("alias".into(), Value::String(dev.into()));
                    if let Some(b) = &a.broadcast {
                        d.insert("broadcast".into(), Value::String(b.clone()));
                    }
                }
            } else if let Some(s) = src {
                d.insert("address".into(), Value::String(s.into()));
            }
            if let Some(g) = after(line, "via") {
                d.insert("gateway".into(), Value::String(g.into()));
            }
            d.insert("interface".into(), Value::String(dev.into()));
            let (mac, mtu, kind) = link(links, dev);
            if let Some(mac) = mac {
                d.insert("macaddress".into(), Value::String(mac));
            }
            if let Some(mtu) = mtu {
                d.insert("mtu".into(), Value::from(mtu));
            }
            if let Some(a) = chosen {
                if family == "inet" {
                    let mask = netmask(a.prefix);
                    let net = a
                        .address
                        .parse::<Ipv4Addr>()
                        .map(|ip| Ipv4Addr::from(u32::from(ip) & u32::from(mask)));
                    d.insert("netmask".into(), Value::String(mask.to_string()));
                    if let Ok(net) = net {
                        d.insert("network".into(), Value::String(net.to_string()));
                    }
                }
                d.insert("prefix".into(), Value::String(a.prefix.to_string()));
            }
            if let Some(k) = kind {
                d.insert("type".into(), Value::String(k));
            }
        }
        m.insert(fact.into(), Value::Object(d));
    }
    let list = |family: &str| -> Value {
        Value::Array(
            all.iter()
                .filter(|a| a.family == family && a.dev != "lo")
                .map(|a| Value::String(a.address.clone()))
                .collect(),
        )
    };
    m.insert("all_ipv4_addresses".into(), list("inet"));
    m.insert("all_ipv6_addresses".into(), list("inet6"));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_route_with_interface_details() {
        let route = "8.8.8.8 via 192.168.1.1 dev wlan0 src 192.168.1.23 uid 1000 \n    cache \n";
        let addr = "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n3: wlan0    inet 192.168.1.23/24 brd 192.168.1.255 scope global dynamic noprefixroute wlan0\\       valid_lft 86000sec preferred_lft 86000sec\n";
        let links = "3: wlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP mode DORMANT group default qlen 1000\\    link/ether b8:27:eb:12:34:56 brd ff:ff:ff:ff:ff:ff\n";
        let f = facts(route, "", addr, links);
        let d = &f["default_ipv4"];
        assert_eq!(d["address"], "192.168.1.23");
        assert_eq!(d["gateway"], "192.168.1.1");
        assert_eq!(d["interface"], "wlan0");
        assert_eq!(d["netmask"], "255.255.255.0");
        assert_eq!(d["network"], "192.168.1.0");
        assert_eq!(d["prefix"], "24");
        assert_eq!(d["macaddress"], "b8:27:eb:12:34:56");
        assert_eq!(d["mtu"], 1500);
        assert_eq!(f["all_ipv4_addresses"], serde_json::json!(["192.168.1.23"]));
        assert_eq!(f["default_ipv6"], serde_json::json!({}));
    }
}
