//! The argument words of an `ansible.builtin.iptables` rule, in exactly the order Ansible's
//! `construct_rule` writes them: `iptables -C` compares rules as the kernel stores them, but a
//! rule Ansible added and one hearth added must be the same rule, and `rule` in the result must
//! read the same. Pure functions, tested against expected argv.

use super::iptables_params::{IpVersion, Iptables, Syn};

/// `FLAG VALUE`, or `! FLAG REST` when the value starts with `!` (Ansible's negation).
fn param(rule: &mut Vec<String>, value: Option<&str>, flag: &str) {
    if let Some(v) = value {
        match v.strip_prefix('!') {
            Some(rest) => rule.extend(["!".to_string(), flag.to_string(), rest.to_string()]),
            None => rule.extend([flag.to_string(), v.to_string()]),
        }
    }
}

/// `FLAG` for `match`, `! FLAG` for `negate` when negatable.
fn match_flag(rule: &mut Vec<String>, value: Option<&str>, flag: &str, negatable: bool) {
    match value {
        Some("match") => rule.push(flag.to_string()),
        Some("negate") if negatable => rule.extend(["!".to_string(), flag.to_string()]),
        _ => {}
    }
}

/// `FLAG a,b,c` when the list is not empty.
fn csv(rule: &mut Vec<String>, values: &[String], flag: &str) {
    if !values.is_empty() {
        rule.extend([flag.to_string(), values.join(",")]);
    }
}

/// `-m NAME` when `on`.
fn module(rule: &mut Vec<String>, on: bool, name: &str) {
    if on {
        rule.extend(["-m".to_string(), name.to_string()]);
    }
}

/// `-j TARGET` when `on`.
fn jump(rule: &mut Vec<String>, on: bool, target: &str) {
    if on {
        rule.extend(["-j".to_string(), target.to_string()]);
    }
}

/// True for a set, non-empty string parameter (Python's truthiness of `str`).
fn set(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

/// The rule's words after `-t TABLE -X CHAIN`, as Ansible's `construct_rule` builds them.
pub fn construct(p: &Iptables) -> Vec<String> {
    let mut r = Vec::new();
    if set(&p.wait) {
        r.extend(["-w".to_string(), p.wait.clone().unwrap_or_default()]);
    }
    param(&mut r, p.protocol.as_deref(), "-p");
    param(&mut r, p.source.as_deref(), "-s");
    param(&mut r, p.destination.as_deref(), "-d");
    for m in &p.matches {
        param(&mut r, Some(m), "-m");
    }
    if let Some(t) = &p.tcp_flags
        && let (Some(flags), Some(on)) = (&t.flags, &t.flags_set)
    {
        r.extend(["--tcp-flags".to_string(), flags.join(","), on.join(",")]);
    }
    param(&mut r, p.jump.as_deref(), "-j");
    if p.jump.as_deref().is_some_and(|j| j.eq_ignore_ascii_case("tee")) {
        param(&mut r, p.gateway.as_deref(), "--gateway");
    }
    param(&mut r, p.log_prefix.as_deref(), "--log-prefix");
    param(&mut r, p.log_level.as_deref(), "--log-level");
    param(&mut r, p.to_destination.as_deref(), "--to-destination");
    module(&mut r, !p.destination_ports.is_empty(), "multiport");
    csv(&mut r, &p.destination_ports, "--dports");
    param(&mut r, p.to_source.as_deref(), "--to-source");
    param(&mut r, p.goto.as_deref(), "-g");
    param(&mut r, p.in_interface.as_deref(), "-i");
    param(&mut r, p.out_interface.as_deref(), "-o");
    param(&mut r, p.fragment.as_deref(), "-f");
    param(&mut r, p.set_counters.as_deref(), "-c");
    param(&mut r, p.source_port.as_deref(), "--source-port");
    param(&mut r, p.destination_port.as_deref(), "--destination-port");
    param(&mut r, p.to_ports.as_deref(), "--to-ports");
    let not_dscp = !p.jump.as_deref().is_some_and(|j| j.eq_ignore_ascii_case("dscp"));
    param(&mut r, p.set_dscp_mark.as_deref(), "--set-dscp");
    jump(&mut r, set(&p.set_dscp_mark) && not_dscp, "DSCP");
    param(&mut r, p.set_dscp_mark_class.as_deref(), "--set-dscp-class");
    jump(&mut r, set(&p.set_dscp_mark_class) && not_dscp, "DSCP");
    let syn = match p.syn {
        Syn::Ignore => None,
        Syn::Match => Some("match"),
        Syn::Negate => Some("negate"),
    };
    match_flag(&mut r, syn, "--syn", true);
    states(&mut r, p);
    ranges_and_sets(&mut r, p);
    module(&mut r, set(&p.limit) || set(&p.limit_burst), "limit");
    param(&mut r, p.limit.as_deref(), "--limit");
    param(&mut r, p.limit_burst.as_deref(), "--limit-burst");
    for (owner, flag) in [(&p.uid_owner, "--uid-owner"), (&p.gid_owner, "--gid-owner")] {
        module(&mut r, set(owner), "owner");
        match_flag(&mut r, owner.as_deref(), flag, true);
        param(&mut r, owner.as_deref(), flag);
    }
    if p.jump.is_none() {
        jump(&mut r, set(&p.reject_with), "REJECT");
        jump(&mut r, set(&p.set_dscp_mark_class), "DSCP");
        jump(&mut r, set(&p.set_dscp_mark), "DSCP");
    }
    param(&mut r, p.reject_with.as_deref(), "--reject-with");
    let icmp = if p.ip_version == IpVersion::Ipv6 { "--icmpv6-type" } else { "--icmp-type" };
    param(&mut r, p.icmp_type.as_deref(), icmp);
    module(&mut r, set(&p.comment), "comment");
    param(&mut r, p.comment.as_deref(), "--comment");
    r
}

/// `ctstate`: after an explicit `conntrack`/`state` match, or with its own `-m conntrack`.
fn states(r: &mut Vec<String>, p: &Iptables) {
    if p.matches.iter().any(|m| m == "conntrack") {
        csv(r, &p.ctstate, "--ctstate");
    } else if p.matches.iter().any(|m| m == "state") {
        csv(r, &p.ctstate, "--state");
    } else if !p.ctstate.is_empty() {
        module(r, true, "conntrack");
        csv(r, &p.ctstate, "--ctstate");
    }
}

/// `src_range`/`dst_range` (iprange) and `match_set` (set), each with its own `-m` unless the
/// match list already has it.
fn ranges_and_sets(r: &mut Vec<String>, p: &Iptables) {
    let has = |name: &str| p.matches.iter().any(|m| m == name);
    module(r, !has("iprange") && (set(&p.src_range) || set(&p.dst_range)), "iprange");
    param(r, p.src_range.as_deref(), "--src-range");
    param(r, p.dst_range.as_deref(), "--dst-range");
    module(r, !has("set") && set(&p.match_set), "set");
    if has("set") || set(&p.match_set) {
        param(r, p.match_set.as_deref(), "--match-set");
        if let Some(flags) = &p.match_set_flags {
            r.push(flags.clone());
        }
    }
}

/// The full argv for `ACTION` (`-C`, `-A`, `-I`, `-D`, `-F`, `-P`, `-L`, `-N`, `-X`), as
/// Ansible's `push_arguments`: program, table, action, chain, rule number for `-I`, rule.
pub fn command(p: &Iptables, program: &str, action: &str, with_rule: bool) -> Vec<String> {
    let mut argv = vec![program.to_string(), "-t".into(), p.table.name().into(), action.into()];
    argv.extend(p.chain.clone());
    if action == "-I"
        && let Some(n) = p.rule_num.as_deref().filter(|n| !n.is_empty())
    {
        argv.push(n.to_string());
    }
    if with_rule {
        argv.extend(construct(p));
    }
    argv
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(args: serde_json::Value) -> Vec<String> {
        let p: Iptables = serde_json::from_value(args).unwrap();
        construct(&p)
    }

    fn words(s: &str) -> Vec<String> {
        shlex::split(s).unwrap()
    }

    #[test]
    fn common_rule_in_ansibles_order() {
        let r = rule(json!({
            "chain": "INPUT", "protocol": "tcp", "destination_port": 22, "ctstate": ["NEW", "ESTABLISHED"],
            "jump": "ACCEPT", "comment": "ssh from anywhere", "in_interface": "eth0", "source": "!10.0.0.0/8"
        }));
        assert_eq!(
            r,
            words(
                "-p tcp ! -s 10.0.0.0/8 -j ACCEPT -i eth0 --destination-port 22 -m conntrack \
                 --ctstate NEW,ESTABLISHED -m comment --comment 'ssh from anywhere'"
            )
        );
    }

    #[test]
    fn explicit_matches_take_their_options() {
        let r = rule(json!({"chain": "INPUT", "match": ["state", "iprange"], "ctstate": "RELATED",
            "src_range": "10.0.0.1-10.0.0.9", "jump": "ACCEPT", "wait": "5"}));
        assert_eq!(
            r,
            words("-w 5 -m state -m iprange -j ACCEPT --state RELATED --src-range 10.0.0.1-10.0.0.9")
        );
        let r = rule(json!({"chain": "INPUT", "dst_range": "10.0.0.1-10.0.0.9", "protocol": "tcp",
            "destination_ports": ["80", "443:445"], "syn": "negate", "tcp_flags": {"flags": ["ALL"], "flags_set": ["ACK", "SYN"]}}));
        assert_eq!(
            r,
            words(
                "-p tcp --tcp-flags ALL ACK,SYN -m multiport --dports 80,443:445 ! --syn \
                 -m iprange --dst-range 10.0.0.1-10.0.0.9"
            )
        );
    }

    #[test]
    fn nat_log_limit_owner_reject_and_icmp() {
        let r =
            rule(json!({"chain": "PREROUTING", "table": "nat", "protocol": "tcp", "in_interface": "eth0",
            "destination_port": "80", "jump": "REDIRECT", "to_ports": "8080"}));
        assert_eq!(r, words("-p tcp -j REDIRECT -i eth0 --destination-port 80 --to-ports 8080"));
        let r = rule(json!({"chain": "INPUT", "jump": "LOG", "log_prefix": "dropped: ", "log_level": "info",
            "limit": "5/min", "limit_burst": 10}));
        assert_eq!(
            r,
            words("-j LOG --log-prefix 'dropped: ' --log-level info -m limit --limit 5/min --limit-burst 10")
        );
        let r = rule(
            json!({"chain": "OUTPUT", "uid_owner": "!1000", "gid_owner": "0", "reject_with": "tcp-reset",
            "protocol": "tcp"}),
        );
        assert_eq!(
            r,
            words(
                "-p tcp -m owner ! --uid-owner 1000 -m owner --gid-owner 0 -j REJECT --reject-with tcp-reset"
            )
        );
        let r = rule(
            json!({"chain": "INPUT", "ip_version": "ipv6", "protocol": "ipv6-icmp", "icmp_type": "echo-request",
            "jump": "ACCEPT"}),
        );
        assert_eq!(r, words("-p ipv6-icmp -j ACCEPT --icmpv6-type echo-request"));
        let r = rule(json!({"chain": "POSTROUTING", "table": "nat", "out_interface": "eth0", "jump": "SNAT",
            "to_source": "192.0.2.1", "goto": "x", "fragment": "!x"}));
        assert_eq!(r, words("-j SNAT --to-source 192.0.2.1 -g x -o eth0 ! -f x"));
    }

    #[test]
    fn dscp_tee_and_sets() {
        let r = rule(json!({"chain": "OUTPUT", "table": "mangle", "jump": "DSCP", "set_dscp_mark": "10"}));
        assert_eq!(r, words("-j DSCP --set-dscp 10"));
        let r =
            rule(json!({"chain": "PREROUTING", "table": "mangle", "jump": "TEE", "gateway": "192.0.2.9"}));
        assert_eq!(r, words("-j TEE --gateway 192.0.2.9"));
        let r = rule(
            json!({"chain": "INPUT", "match_set": "admins", "match_set_flags": "src", "jump": "ACCEPT"}),
        );
        assert_eq!(r, words("-j ACCEPT -m set --match-set admins src"));
    }

    #[test]
    fn commands_put_the_rule_after_table_action_chain() {
        let p: Iptables = serde_json::from_value(
            json!({"chain": "INPUT", "rule_num": 3, "action": "insert", "jump": "DROP"}),
        )
        .unwrap();
        assert_eq!(command(&p, "iptables", "-I", true), words("iptables -t filter -I INPUT 3 -j DROP"));
        assert_eq!(command(&p, "iptables", "-C", true), words("iptables -t filter -C INPUT -j DROP"));
        assert_eq!(command(&p, "iptables", "-F", false), words("iptables -t filter -F INPUT"));
        let p: Iptables = serde_json::from_value(json!({"flush": true, "table": "nat"})).unwrap();
        assert_eq!(command(&p, "iptables", "-F", false), words("iptables -t nat -F"));
    }
}
