//! The `ansible.utils` IP filters: `ipaddr(query='')`, `ipv4(query='')`, `ipv6(query='')`,
//! `ipwrap` and `ipsubnet(query='', index=None)`. A list is filtered: each item is answered and
//! only truthy answers are kept, as ansible.utils does; a single value gets its answer, `False`
//! when it is no IP.
//! Not here: the value model and the queries (`ipaddr.rs`).

use minijinja::value::ValueKind;
use minijinja::{Environment, Error, Value};

use super::filter_support::filter_error;
use super::ipaddr::{Ip, Version, query};

/// Registers the IP filters.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("ipaddr", |v: &Value, q: Option<Value>| ip_filter(v, q, Version::Any));
    env.add_filter("ipv4", |v: &Value, q: Option<Value>| ip_filter(v, q, Version::V4));
    env.add_filter("ipv6", |v: &Value, q: Option<Value>| ip_filter(v, q, Version::V6));
    env.add_filter("ipwrap", ipwrap);
    env.add_filter("ipsubnet", ipsubnet);
}

/// `ipaddr`, `ipv4`, `ipv6`: one value's answer, or a list's truthy answers.
fn ip_filter(v: &Value, q: Option<Value>, version: Version) -> Result<Value, Error> {
    let q = q.unwrap_or(Value::from(""));
    if matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) {
        let mut out = Vec::new();
        for item in v.try_iter()? {
            let answer = one(&item, &q, version)?;
            if answer.is_true() {
                out.push(answer);
            }
        }
        return Ok(Value::from(out));
    }
    one(v, &q, version)
}

/// One value's answer: `False` when it is no IP of the filter's version.
fn one(v: &Value, q: &Value, version: Version) -> Result<Value, Error> {
    let Some(ip) = Ip::from_value(v, version) else { return Ok(Value::from(false)) };
    let wanted = match version {
        Version::Any => true,
        Version::V4 => ip.addr.is_ipv4(),
        Version::V6 => ip.addr.is_ipv6(),
    };
    if !wanted {
        return Ok(Value::from(false));
    }
    query(&ip, q)
}

/// `ipwrap`: IPv6 addresses in brackets (`[::1]`, `[fe80::1]/64`); IPv4 and non-IP strings as
/// they are. In a list, integers are read as addresses; alone they are an error (as in Ansible).
fn ipwrap(v: &Value) -> Result<Value, Error> {
    let wrap = |item: &Value| match Ip::from_value(item, Version::Any) {
        Some(ip) => query(&ip, &Value::from("wrap")),
        None => Ok(item.clone()),
    };
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => {
            Ok(Value::from(v.try_iter()?.map(|i| wrap(&i)).collect::<Result<Vec<_>, _>>()?))
        }
        ValueKind::String => wrap(v),
        _ => Err(filter_error(format!(
            "Unrecognized type <<class '{}'>> for ipwrap filter <value>",
            super::filter_support::type_debug(v)
        ))),
    }
}

/// `ipsubnet(query='', index=None)`: with a prefix length, the number of such subnets (or the
/// `index`-th one, or for an address the subnet holding it); with a network, the 1-based
/// position of the value's subnet or address inside it. Counts and positions are strings, as
/// Ansible returns them.
fn ipsubnet(v: &Value, q: Option<Value>, index: Option<i128>) -> Result<Value, Error> {
    let Some(ip) = Ip::from_value(v, Version::Any) else { return Ok(Value::from(false)) };
    let q = q.unwrap_or(Value::from(""));
    let size = match q.kind() {
        ValueKind::Number => i64::try_from(q.clone()).ok(),
        _ => q.as_str().and_then(|s| s.parse().ok()),
    };
    if let Some(size) = size {
        return subnets(&ip, size, index);
    }
    let text = q.as_str().unwrap_or_default();
    if text.is_empty() {
        return Ok(Value::from(format!("{}/{}", ip.addr, ip.prefix)));
    }
    let Some(net) = Ip::parse(text) else { return Ok(Value::from(false)) };
    if !net.contains(&ip) {
        return Ok(Value::from(false));
    }
    // Position of the value's subnet (of the value's own size) among the network's.
    let step = u32::from(max_bits(&ip) - ip.prefix);
    let pos = (ip.network() - net.network()).checked_shr(step).unwrap_or(0);
    Ok(Value::from((pos + 1).to_string()))
}

fn max_bits(ip: &Ip) -> u8 {
    if ip.addr.is_ipv4() { 32 } else { 128 }
}

/// The subnets of prefix `size` of the value (a count, one of them, or the address's own).
fn subnets(ip: &Ip, size: i64, index: Option<i128>) -> Result<Value, Error> {
    let invalid = || filter_error(format!("Requested subnet size of {size} is invalid"));
    let size = u8::try_from(size).ok().filter(|s| *s <= max_bits(ip)).ok_or_else(invalid)?;
    let sub = |n: u128| format!("{}/{size}", ip.at(n));
    if ip.plain {
        let host = u32::from(max_bits(ip) - size);
        let net = ip.network().checked_shr(host).and_then(|n| n.checked_shl(host)).unwrap_or(0);
        return Ok(Value::from(sub(net)));
    }
    if size < ip.prefix {
        return Err(invalid());
    }
    let step = u32::from(max_bits(ip) - size);
    let count = 1u128.checked_shl(u32::from(size - ip.prefix)).ok_or_else(invalid)?;
    let Some(i) = index else { return Ok(Value::from(count.to_string())) };
    let count = i128::try_from(count).map_err(|_| invalid())?;
    let off = if i < 0 { count + i } else { i };
    if !(0..count).contains(&off) {
        return Ok(Value::from(false));
    }
    let start = ip.network() + off.unsigned_abs().checked_shl(step).unwrap_or(0);
    Ok(Value::from(sub(start)))
}

#[cfg(test)]
#[path = "filters_ip_tests.rs"]
mod tests;
