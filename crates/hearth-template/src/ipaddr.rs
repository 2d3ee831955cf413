//! One IP value as `ansible.utils.ipaddr` reads it (an address, `addr/prefix` or
//! `addr/netmask`, or an integer) and the answer to one query about it, with the answers
//! ansible.utils 5 (netaddr 1.3) gives, checked value by value against ansible-core 2.18.
//! All arithmetic is on `u128`, so no network crate is needed.
//! Not here: list handling and the filters themselves (`filters_ip.rs`); the `peer`,
//! `next_usable` and `previous_usable` queries and IPv6 usable ranges (errors).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use minijinja::Value;
use minijinja::value::ValueKind;

use super::filter_support::filter_error;

/// An address with its prefix length.
#[derive(Debug, Clone, PartialEq)]
pub struct Ip {
    /// The address as written (not the network's).
    pub addr: IpAddr,
    /// The prefix length (32 or 128 for a plain address).
    pub prefix: u8,
    /// True when no `/prefix` was written (an address, not a network).
    pub plain: bool,
    /// The value as given, for queries that answer with it (`private`, membership); integers
    /// give `addr/32` or `addr/128`.
    pub original: String,
}

/// Which IP versions a filter takes (`ipv4`, `ipv6` or both).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Version {
    /// `ipaddr`: both versions; integers below 2**32 are IPv4.
    Any,
    /// `ipv4`: IPv4 only.
    V4,
    /// `ipv6`: IPv6 only; integers are IPv6 addresses.
    V6,
}

impl Ip {
    /// Reads a template value; `None` when it is no IP (Ansible's `False`).
    pub fn from_value(v: &Value, version: Version) -> Option<Ip> {
        match v.kind() {
            ValueKind::String => Ip::parse(v.as_str()?),
            ValueKind::Number if v.is_integer() => {
                let n = u128::try_from(v.clone()).ok()?;
                let addr = match (version, u32::try_from(n)) {
                    (Version::V6, _) | (_, Err(_)) => IpAddr::V6(Ipv6Addr::from(n)),
                    (_, Ok(n4)) => IpAddr::V4(Ipv4Addr::from(n4)),
                };
                let prefix = max_prefix(addr);
                Some(Ip { addr, prefix, plain: true, original: format!("{addr}/{prefix}") })
            }
            _ => None,
        }
    }

    /// `addr`, `addr/prefix` or `addr/dotted-netmask`.
    pub fn parse(s: &str) -> Option<Ip> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let prefix = match p {
            None => max_prefix(addr),
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|n| *n <= max_prefix(addr))?
            }
            Some(p) => netmask_prefix(addr, p)?,
        };
        Some(Ip { addr, prefix, plain: p.is_none(), original: s.to_string() })
    }

    fn bits(&self) -> u8 {
        max_prefix(self.addr)
    }
    fn is_v4(&self) -> bool {
        self.addr.is_ipv4()
    }
    /// Every bit of an address of this version.
    fn all(&self) -> u128 {
        if self.is_v4() { u128::from(u32::MAX) } else { u128::MAX }
    }
    /// The prefix's mask as a number.
    fn mask(&self) -> u128 {
        let host = u32::from(self.bits() - self.prefix);
        self.all() & u128::MAX.checked_shl(host).unwrap_or(0)
    }
    fn num(&self) -> u128 {
        to_num(self.addr)
    }
    /// The network's first address.
    pub fn network(&self) -> u128 {
        self.num() & self.mask()
    }
    /// The network's last address.
    pub fn last(&self) -> u128 {
        self.network() | (!self.mask() & self.all())
    }
    /// Addresses in the network (`None` for an IPv6 /0, which does not fit).
    pub fn size(&self) -> Option<u128> {
        1u128.checked_shl(u32::from(self.bits() - self.prefix))
    }
    /// A number as an address of this value's version.
    pub fn at(&self, n: u128) -> IpAddr {
        match self.addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX))),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(n)),
        }
    }
    /// IPv4 broadcast (none for /31 and /32), or an IPv6 network's last address.
    fn broadcast(&self) -> Option<IpAddr> {
        let limit = if self.is_v4() { 31 } else { 128 };
        (!self.plain && self.prefix < limit).then(|| self.at(self.last()))
    }
    /// True when the value is its network's own address (`192.168.0.0/24`).
    fn is_network(&self) -> bool {
        !self.plain && self.size().is_none_or(|s| s > 1) && self.num() == self.network()
    }
    /// True when `other` lies inside this network.
    pub fn contains(&self, other: &Ip) -> bool {
        self.is_v4() == other.is_v4()
            && other.prefix >= self.prefix
            && other.network() & self.mask() == self.network()
    }
    fn cidr(&self) -> String {
        format!("{}/{}", self.addr, self.prefix)
    }
    fn subnet(&self) -> String {
        format!("{}/{}", self.at(self.network()), self.prefix)
    }
}

fn max_prefix(a: IpAddr) -> u8 {
    if a.is_ipv4() { 32 } else { 128 }
}

fn to_num(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The prefix length of a dotted IPv4 netmask (`255.255.255.0`), when contiguous.
fn netmask_prefix(addr: IpAddr, mask: &str) -> Option<u8> {
    let m = u32::from(mask.parse::<Ipv4Addr>().ok()?);
    (addr.is_ipv4() && m.leading_ones() + m.trailing_zeros() == 32).then(|| m.leading_ones() as u8)
}

/// What a query answers: a value (Ansible's `False` and `None` included), or the filter's error.
pub type Answer = Result<Value, minijinja::Error>;

fn none() -> Value {
    Value::from(())
}

/// Answers one query (`address`, `network`, an index, a network to test membership, ...).
pub fn query(ip: &Ip, q: &Value) -> Answer {
    if let Some(i) = index(q) {
        return Ok(nth(ip, i));
    }
    let q = q.as_str().unwrap_or_default();
    let s = |t: String| Ok(Value::from(t));
    let orig = || Ok(Value::from(ip.original.clone()));
    let when = |c: bool| if c { orig() } else { Ok(none()) };
    match q {
        "" => s(if ip.plain { ip.addr.to_string() } else { ip.cidr() }),
        "address" if !ip.plain && ip.is_v4() && ip.prefix < 31 && ip.is_network() => Ok(none()),
        "address" => s(ip.addr.to_string()),
        "network" => s(ip.at(ip.network()).to_string()),
        "netmask" => s(ip.at(ip.mask()).to_string()),
        "hostmask" => s(ip.at(!ip.mask() & ip.all()).to_string()),
        "prefix" => Ok(Value::from(ip.prefix)),
        "broadcast" => Ok(ip.broadcast().map_or_else(none, |b| Value::from(b.to_string()))),
        "host" if ip.is_network() => Ok(none()),
        "host" | "cidr" => s(ip.cidr()),
        "host/prefix" if ip.is_network() || ip.broadcast().is_some_and(|b| ip.is_v4() && b == ip.addr) => {
            Ok(Value::from(false))
        }
        "host/prefix" => s(ip.cidr()),
        "net" => Ok(if ip.is_network() { Value::from(ip.subnet()) } else { none() }),
        "subnet" | "network/prefix" => s(ip.subnet()),
        "size" => ip
            .size()
            .map(Value::from)
            .ok_or_else(|| filter_error("ipaddr: the size of an IPv6 /0 does not fit")),
        "loopback" | "lo" => when(ip.addr.is_loopback()),
        "multicast" => when(ip.addr.is_multicast()),
        "unicast" => when(!ip.addr.is_multicast()),
        "link-local" => when(link_local(ip.addr)),
        "private" => when(!ip.addr.is_multicast() && !is_global(ip.addr)),
        "public" => when(!ip.addr.is_multicast() && is_global(ip.addr)),
        "revdns" => s(revdns(ip.addr)),
        "version" => Ok(Value::from(if ip.is_v4() { 4 } else { 6 })),
        "int" if ip.plain => Ok(Value::from(ip.num())),
        "int" => s(format!("{}/{}", ip.num(), ip.prefix)),
        "bool" => Ok(Value::from(true)),
        "type" => s(if ip.is_network() { "network" } else { "address" }.into()),
        "wrap" if ip.is_v4() => orig(),
        "wrap" if ip.plain => s(format!("[{}]", ip.addr)),
        "wrap" => s(format!("[{}]/{}", ip.addr, ip.prefix)),
        "ipv4" | "ipv6" => Ok(convert(ip, q == "ipv4")),
        "first_usable" | "last_usable" | "range_usable" => usable(ip, q),
        "peer" | "next_usable" | "previous_usable" => {
            Err(filter_error(format!("ipaddr: query '{q}' is not supported by hearth")))
        }
        other => match Ip::parse(other) {
            Some(net) => when(net.contains(ip)),
            None => Err(filter_error(format!("ipaddr: unknown filter type: {other}"))),
        },
    }
}

/// An integer query (`0`, `-1`, `'1'`).
fn index(q: &Value) -> Option<i128> {
    match q.kind() {
        ValueKind::Number if q.is_integer() => i128::try_from(q.clone()).ok(),
        ValueKind::String => q.as_str()?.parse().ok(),
        _ => None,
    }
}

/// The `i`-th address of the network (negative from the end), `False` outside it.
fn nth(ip: &Ip, i: i128) -> Value {
    if ip.plain {
        return Value::from(ip.addr.to_string());
    }
    if ip.size() == Some(1) {
        return Value::from(ip.cidr());
    }
    let size = ip.size().and_then(|s| i128::try_from(s).ok()).unwrap_or(i128::MAX);
    let off = if i < 0 { size + i } else { i };
    if !(0..size).contains(&off) {
        return Value::from(false);
    }
    let n = ip.network() + off.unsigned_abs();
    Value::from(format!("{}/{}", ip.at(n), ip.prefix))
}

/// `first_usable`, `last_usable`, `range_usable` of an IPv4 network.
fn usable(ip: &Ip, q: &str) -> Answer {
    if ip.plain {
        return Err(filter_error("Not a network address"));
    }
    if !ip.is_v4() {
        return Err(filter_error(format!("ipaddr: query '{q}' on IPv6 is not supported by hearth")));
    }
    let (first, last) = match ip.prefix {
        32 => (ip.network(), ip.network()),
        31 => (ip.network(), ip.last()),
        _ => (ip.network() + 1, ip.last() - 1),
    };
    let (f, l) = (ip.at(first), ip.at(last));
    Ok(Value::from(match q {
        "first_usable" => f.to_string(),
        "last_usable" => l.to_string(),
        _ => format!("{f}-{l}"),
    }))
}

/// `ipv4`/`ipv6` queries: the value in the other version where it has one.
fn convert(ip: &Ip, to_v4: bool) -> Value {
    match (ip.addr, to_v4) {
        (IpAddr::V4(_), true) | (IpAddr::V6(_), false) => Value::from(ip.original.clone()),
        (IpAddr::V4(a), false) => Value::from(format!("{}/{}", a.to_ipv6_mapped(), ip.prefix + 96)),
        (IpAddr::V6(a), true) => match (u128::from(a) >> 32, ip.prefix.checked_sub(96)) {
            (0, Some(p)) => Value::from(format!("{}/{p}", Ipv4Addr::from(u128::from(a) as u32))),
            _ => Value::from(false),
        },
    }
}

fn link_local(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => a.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// True for addresses the IANA special-purpose registries call globally reachable.
fn is_global(a: IpAddr) -> bool {
    const V4: &[(u32, u8)] = &[
        (0x0000_0000, 8),  // "this network"
        (0x0a00_0000, 8),  // private
        (0x6440_0000, 10), // shared address space
        (0x7f00_0000, 8),  // loopback
        (0xa9fe_0000, 16), // link-local
        (0xac10_0000, 12), // private
        (0xc000_0000, 24), // IETF protocol assignments
        (0xc000_0200, 24), // documentation
        (0xc612_0000, 15), // benchmarking
        (0xc633_6400, 24), // documentation
        (0xcb00_7100, 24), // documentation
        (0xc0a8_0000, 16), // private
        (0xf000_0000, 4),  // reserved, broadcast
    ];
    const V6: &[(u128, u8)] = &[
        (0, 127),                     // unspecified and loopback
        (0xffff_0000_0000, 96),       // IPv4-mapped
        (0x0064_ff9b_0001 << 80, 48), // local-use translation
        (0x0100 << 112, 64),          // discard-only
        (0x2001_0000 << 96, 23),      // IETF protocol assignments
        (0x2001_0db8 << 96, 32),      // documentation
        (0x2002 << 112, 16),          // 6to4
        (0xfc00 << 112, 7),           // unique local
        (0xfe80 << 112, 10),          // link-local
    ];
    let inside = |n: u128, net: u128, p: u8, bits: u32| {
        let host = bits - u32::from(p);
        n >> host == net >> host
    };
    match a {
        IpAddr::V4(a) => {
            !V4.iter().any(|(net, p)| inside(u128::from(u32::from(a)), u128::from(*net), *p, 32))
        }
        IpAddr::V6(a) => !V6.iter().any(|(net, p)| inside(u128::from(a), *net, *p, 128)),
    }
}

/// The reverse-DNS name (`1.2.24.192.in-addr.arpa.`).
fn revdns(a: IpAddr) -> String {
    match a {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(a) => {
            let hex = format!("{:032x}", u128::from(a));
            let mut out: Vec<String> = hex.chars().rev().map(String::from).collect();
            out.push("ip6.arpa.".into());
            out.join(".")
        }
    }
}
