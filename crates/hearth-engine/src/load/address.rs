//! Host addresses and host ranges as Ansible reads them: `host:port`, `[v6::addr]:port`, and
//! `web[01:03].example.com` / `db-[a:c]` range expansion (ansible.parsing.utils.addresses and the
//! inventory plugins' `expand_hostname_range`), and the names Ansible takes for the control
//! node. Pure string work shared by the inventory parsers and host patterns; it knows nothing of
//! groups.

use std::sync::LazyLock;

use regex::Regex;

/// `[beg:end(:step)]` with numbers.
const NUMERIC_RANGE: &str = r"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]";
/// `[beg:end(:step)]` with hex numbers (IPv6 components).
const HEX_RANGE: &str = r"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]";
/// `[a:z]` or a numeric range, for host name labels.
const ALNUM_RANGE: &str = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";

/// Names Ansible treats as the control node when they are not in the inventory.
pub const LOCALHOST_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// Upper bound on the hosts one range may expand to, so a typo cannot exhaust memory.
const MAX_RANGE_HOSTS: usize = 100_000;

fn compile(re: &str) -> Regex {
    // Invariant: every pattern in this file is a constant known to compile (covered by tests).
    Regex::new(re).expect("constant regex compiles")
}

static BRACKETED_HOSTPORT: LazyLock<Regex> = LazyLock::new(|| compile(r"^\[(.+)\]:([0-9]+)$"));
static HOSTPORT: LazyLock<Regex> = LazyLock::new(|| compile(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{NUMERIC_RANGE})");
    compile(&format!(r"(?i)^(?:{c}\.){{3}}{c}$"))
});
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[0-9a-f]{{1,4}}|{HEX_RANGE})");
    let alts = [
        format!("(?:{c}:){{7}}{c}"),
        format!("(?:{c}:){{1,6}}:"),
        format!("(?:{c}:)(?::{c}){{1,6}}"),
        format!("(?:{c}:){{2}}(?::{c}){{1,5}}"),
        format!("(?:{c}:){{3}}(?::{c}){{1,4}}"),
        format!("(?:{c}:){{4}}(?::{c}){{1,3}}"),
        format!("(?:{c}:){{5}}(?::{c}){{1,2}}"),
        format!("(?:{c}:){{6}}(?::{c})"),
        format!(":(?::{c}){{1,6}}"),
        format!("{c}?::"),
        format!(r"(?:0:){{6}}(?:{c}\.){{3}}{c}"),
        format!(r"::(?:ffff:)?(?:{c}\.){{3}}{c}"),
        format!(r"(?:0:){{5}}ffff:(?:{c}\.){{3}}{c}"),
    ];
    compile(&format!("(?i)^(?:{})$", alts.join("|")))
});
static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    // Ansible's label uses a look-behind ("must not end in _ or -"); spelled out here instead.
    let r = ALNUM_RANGE;
    let label = format!(r"(?:(?:\w|{r})(?:[\w-]|{r})*(?:[^\W_]|{r})|[^\W_]|{r})");
    compile(&format!(r"(?i)^{label}(?:\.{label})*$"))
});

/// A string that is not a host name, IP address or host range Ansible would accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not a host name, IPv4 or IPv6 address.
    #[error("Not a valid network hostname: {0}")]
    Invalid(String),
    /// A `[x:y]` range where ranges are not allowed.
    #[error("Detected range in host but was asked to ignore ranges")]
    RangeNotAllowed,
}

/// Splits `host[:port]` / `[host]:port` and checks the host part (Ansible's `parse_address`).
pub fn parse_address(address: &str, allow_ranges: bool) -> Result<(String, Option<u64>), AddressError> {
    let mut host = address.to_string();
    let mut port = None;
    for re in [&*BRACKETED_HOSTPORT, &*HOSTPORT] {
        if let Some(c) = re.captures(&host) {
            let p = c[2].parse::<u64>().map_err(|_| AddressError::Invalid(address.to_string()))?;
            port = Some(p);
            host = c[1].to_string();
        }
    }
    if !(IPV4.is_match(&host) || IPV6.is_match(&host) || HOSTNAME.is_match(&host)) {
        return Err(AddressError::Invalid(host));
    }
    if !allow_ranges && host.contains('[') {
        return Err(AddressError::RangeNotAllowed);
    }
    Ok((host, port))
}

/// Splits an inventory host key into names and an optional port, expanding ranges
/// (Ansible's `_expand_hostpattern`: an unparsable address is taken as a plain name).
pub fn expand_host_pattern(pattern: &str) -> Result<(Vec<String>, Option<u64>), String> {
    let (name, port) = match parse_address(pattern, true) {
        Ok((h, p)) => (h, p),
        Err(_) => (pattern.to_string(), None),
    };
    if name.contains('[') { Ok((expand_range(&name)?, port)) } else { Ok((vec![name], port)) }
}

/// Expands every `[beg:end(:step)]` in a host name (`db[01:10:3]-[a:b]`), like Ansible.
pub fn expand_range(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    expand_into(line, &mut out)?;
    Ok(out)
}

fn expand_into(line: &str, out: &mut Vec<String>) -> Result<(), String> {
    let (head, nrange, tail) = split_range(line)?;
    let bounds: Vec<&str> = nrange.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err("host range must be begin:end or begin:end:step".into());
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    let step = bounds.get(2).copied().unwrap_or("1");
    if end.is_empty() {
        return Err("host range must specify end value".into());
    }
    let width = if beg.starts_with('0') && beg.len() > 1 {
        if beg.len() != end.len() {
            return Err("host range must specify equal-length begin and end formats".into());
        }
        beg.len()
    } else {
        0
    };
    for item in range_items(beg, end, step)? {
        let name = format!("{head}{}{tail}", zfill(&item, width));
        if name.contains('[') {
            expand_into(&name, out)?;
        } else {
            out.push(name);
        }
        if out.len() > MAX_RANGE_HOSTS {
            return Err(format!("host range expands to more than {MAX_RANGE_HOSTS} hosts"));
        }
    }
    Ok(())
}

/// Splits at the first `[` and the first `]` exactly like Ansible's `replace(...).split('|')`.
fn split_range(line: &str) -> Result<(&str, &str, &str), String> {
    let bad = || format!("invalid host range in '{line}': expected one [begin:end] expression");
    let (open, close) = match (line.find('['), line.find(']')) {
        (Some(o), Some(c)) if !line.contains('|') => (o, c),
        _ => return Err(bad()),
    };
    let (a, b) = if open < close { (open, close) } else { (close, open) };
    Ok((&line[..a], &line[a + 1..b], &line[b + 1..]))
}

const ASCII_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn range_items(beg: &str, end: &str, step: &str) -> Result<Vec<String>, String> {
    let bad = || format!("invalid host range [{beg}:{end}:{step}]: bounds must be numbers or letters");
    let step: i64 = step.trim().parse().map_err(|_| bad())?;
    if step == 0 {
        return Err("host range step must not be zero".into());
    }
    if let (Some(b), Some(e)) = (ASCII_LETTERS.find(beg), ASCII_LETTERS.find(end))
        && step > 0
    {
        if b > e {
            return Err("host range must have begin <= end".into());
        }
        let letters = &ASCII_LETTERS.as_bytes()[b..=e];
        return Ok(letters.iter().step_by(step as usize).map(|c| (*c as char).to_string()).collect());
    }
    let b: i128 = beg.trim().parse::<i64>().map_err(|_| bad())?.into();
    let e: i128 = end.trim().parse::<i64>().map_err(|_| bad())?.into();
    let step = i128::from(step);
    let count = if step > 0 { (e + 1 - b).max(0) / step } else { (b - e - 1).max(0) / -step };
    if count > MAX_RANGE_HOSTS as i128 {
        return Err(format!("host range expands to more than {MAX_RANGE_HOSTS} hosts"));
    }
    let mut items = Vec::new();
    let mut i = b;
    while (step > 0 && i < e + 1) || (step < 0 && i > e + 1) {
        items.push(i.to_string());
        i += step;
    }
    Ok(items)
}

/// Python's `str.zfill`: pads with zeros after an optional sign.
fn zfill(s: &str, width: usize) -> String {
    if s.len() >= width {
        return s.to_string();
    }
    let (sign, digits) = match s.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", s),
    };
    format!("{sign}{}{digits}", "0".repeat(width - s.len()))
}

/// Whether `s` is a single host address (name, IP, optionally with port or ranges), which
/// pattern splitting must not cut at its colons.
pub fn is_address(s: &str) -> bool {
    parse_address(s, true).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ports() {
        assert_eq!(parse_address("web1", false).unwrap(), ("web1".into(), None));
        assert_eq!(parse_address("web1:2222", false).unwrap(), ("web1".into(), Some(2222)));
        assert_eq!(parse_address("10.0.0.1:22", false).unwrap(), ("10.0.0.1".into(), Some(22)));
        assert_eq!(parse_address("[::1]:22", false).unwrap(), ("::1".into(), Some(22)));
        assert_eq!(parse_address("::1", false).unwrap(), ("::1".into(), None));
        assert_eq!(parse_address("fe80::1", false).unwrap(), ("fe80::1".into(), None));
        assert_eq!(parse_address("web[1:3]:22", true).unwrap(), ("web[1:3]".into(), Some(22)));
        assert_eq!(parse_address("web[1:3]", false), Err(AddressError::RangeNotAllowed));
        assert!(parse_address("web_", false).is_err());
        assert!(parse_address("a:b", true).is_err());
        assert!(parse_address("web*", true).is_err());
        assert!(parse_address("_x.example.com", false).is_ok());
    }

    #[test]
    fn numeric_alpha_and_nested_ranges() {
        assert_eq!(
            expand_range("web[01:03].example.com").unwrap(),
            ["web01.example.com", "web02.example.com", "web03.example.com"]
        );
        assert_eq!(expand_range("db-[a:c]").unwrap(), ["db-a", "db-b", "db-c"]);
        assert_eq!(expand_range("h[1:10:4]").unwrap(), ["h1", "h5", "h9"]);
        assert_eq!(expand_range("h[:2]").unwrap(), ["h0", "h1", "h2"]);
        assert_eq!(expand_range("n[1:2]-[a:b]").unwrap(), ["n1-a", "n1-b", "n2-a", "n2-b"]);
        assert!(expand_range("h[3:1]").unwrap().is_empty());
    }

    #[test]
    fn bad_ranges_are_errors() {
        assert!(expand_range("h[1:]").unwrap_err().contains("end value"));
        assert!(expand_range("h[01:3]").unwrap_err().contains("equal-length"));
        assert!(expand_range("h[c:a]").unwrap_err().contains("begin <= end"));
        assert!(expand_range("h[1]").unwrap_err().contains("begin:end"));
        assert!(expand_range("h[1:2").is_err());
        assert!(expand_range("h[a:3]").is_err());
        assert!(expand_range("h[1:9999999999]").unwrap_err().contains("more than"));
        assert!(expand_range("h[1:3:0]").is_err());
        assert!(expand_range("h[0:9223372036854775807]").is_err());
        assert_eq!(expand_range("h[3:1:-1]").unwrap(), ["h3"]); // Python: range(3, 2, -1)
    }

    #[test]
    fn host_patterns_with_ports() {
        assert_eq!(
            expand_host_pattern("web[1:2]:2222").unwrap(),
            (vec!["web1".into(), "web2".into()], Some(2222))
        );
        assert_eq!(expand_host_pattern("odd name!").unwrap(), (vec!["odd name!".into()], None));
    }
}
