//! The IP filters against the answers of ansible-core 2.18 with ansible.utils 5 and netaddr
//! 1.3, on the same values.

use serde_json::json;

use crate::Templar;
use hearth_formats::value::Value;

/// The values of the Ansible runs (without its integer beyond 64 bits).
fn render(text: &str) -> Result<Value, String> {
    let t = Templar::new();
    let vals = json!([
        "192.24.2.1",
        "host.fqdn",
        "::1",
        "",
        "192.168.32.0/24",
        "fe80::100/10",
        true,
        "2001:db8:32c:faad::/64",
        "10.0.0.300",
        "192.168.1.5/255.255.255.0",
        "10.1.1.7/30",
        "192.168.0.1/32",
        7
    ]);
    let ctx = t.context(json!({ "vals": vals }).as_object().unwrap());
    t.render_value(&json!(text), &ctx).map_err(|e| e.message)
}

#[test]
fn list_queries() {
    for (q, want) in [
        (
            "",
            json!([
                "192.24.2.1",
                "::1",
                "192.168.32.0/24",
                "fe80::100/10",
                "2001:db8:32c:faad::/64",
                "192.168.1.5/24",
                "10.1.1.7/30",
                "192.168.0.1/32",
                "0.0.0.7"
            ]),
        ),
        (
            "'address'",
            json!([
                "192.24.2.1",
                "::1",
                "fe80::100",
                "2001:db8:32c:faad::",
                "192.168.1.5",
                "10.1.1.7",
                "192.168.0.1",
                "0.0.0.7"
            ]),
        ),
        (
            "'network'",
            json!([
                "192.24.2.1",
                "::1",
                "192.168.32.0",
                "fe80::",
                "2001:db8:32c:faad::",
                "192.168.1.0",
                "10.1.1.4",
                "192.168.0.1",
                "0.0.0.7"
            ]),
        ),
        (
            "'netmask'",
            json!([
                "255.255.255.255",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "255.255.255.0",
                "ffc0::",
                "ffff:ffff:ffff:ffff::",
                "255.255.255.0",
                "255.255.255.252",
                "255.255.255.255",
                "255.255.255.255"
            ]),
        ),
        (
            "'hostmask'",
            json!([
                "0.0.0.0",
                "::",
                "0.0.0.255",
                "3f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "::ffff:ffff:ffff:ffff",
                "0.0.0.255",
                "0.0.0.3",
                "0.0.0.0",
                "0.0.0.0"
            ]),
        ),
        ("'prefix'", json!([32, 128, 24, 10, 64, 24, 30, 32, 32])),
        (
            "'broadcast'",
            json!([
                "192.168.32.255",
                "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "2001:db8:32c:faad:ffff:ffff:ffff:ffff",
                "192.168.1.255",
                "10.1.1.7"
            ]),
        ),
        (
            "'host'",
            json!([
                "192.24.2.1/32",
                "::1/128",
                "fe80::100/10",
                "192.168.1.5/24",
                "10.1.1.7/30",
                "192.168.0.1/32",
                "0.0.0.7/32"
            ]),
        ),
        (
            "'host/prefix'",
            json!([
                "192.24.2.1/32",
                "::1/128",
                "fe80::100/10",
                "192.168.1.5/24",
                "192.168.0.1/32",
                "0.0.0.7/32"
            ]),
        ),
        (
            "'private'",
            json!([
                "::1",
                "192.168.32.0/24",
                "fe80::100/10",
                "2001:db8:32c:faad::/64",
                "192.168.1.5/255.255.255.0",
                "10.1.1.7/30",
                "192.168.0.1/32",
                "0.0.0.7/32"
            ]),
        ),
        ("'public'", json!(["192.24.2.1"])),
        (
            "'cidr'",
            json!([
                "192.24.2.1/32",
                "::1/128",
                "192.168.32.0/24",
                "fe80::100/10",
                "2001:db8:32c:faad::/64",
                "192.168.1.5/24",
                "10.1.1.7/30",
                "192.168.0.1/32",
                "0.0.0.7/32"
            ]),
        ),
        ("'net'", json!(["192.168.32.0/24", "2001:db8:32c:faad::/64"])),
        (
            "'subnet'",
            json!([
                "192.24.2.1/32",
                "::1/128",
                "192.168.32.0/24",
                "fe80::/10",
                "2001:db8:32c:faad::/64",
                "192.168.1.0/24",
                "10.1.1.4/30",
                "192.168.0.1/32",
                "0.0.0.7/32"
            ]),
        ),
        (
            "1",
            json!([
                "192.24.2.1",
                "::1",
                "192.168.32.1/24",
                "fe80::1/10",
                "2001:db8:32c:faad::1/64",
                "192.168.1.1/24",
                "10.1.1.5/30",
                "192.168.0.1/32",
                "0.0.0.7"
            ]),
        ),
        (
            "-1",
            json!([
                "192.24.2.1",
                "::1",
                "192.168.32.255/24",
                "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff/10",
                "2001:db8:32c:faad:ffff:ffff:ffff:ffff/64",
                "192.168.1.255/24",
                "10.1.1.7/30",
                "192.168.0.1/32",
                "0.0.0.7"
            ]),
        ),
        ("'loopback'", json!(["::1"])),
        (
            "'revdns'",
            json!([
                "1.2.24.192.in-addr.arpa.",
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
                "0.32.168.192.in-addr.arpa.",
                "0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa.",
                "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.a.a.f.c.2.3.0.8.b.d.0.1.0.0.2.ip6.arpa.",
                "5.1.168.192.in-addr.arpa.",
                "7.1.1.10.in-addr.arpa.",
                "1.0.168.192.in-addr.arpa.",
                "7.0.0.0.in-addr.arpa."
            ]),
        ),
        ("'version'", json!([4, 6, 4, 6, 6, 4, 4, 4, 4])),
        ("'192.168.0.0/16'", json!(["192.168.32.0/24", "192.168.1.5/255.255.255.0", "192.168.0.1/32"])),
        (
            "'wrap'",
            json!([
                "192.24.2.1",
                "[::1]",
                "192.168.32.0/24",
                "[fe80::100]/10",
                "[2001:db8:32c:faad::]/64",
                "192.168.1.5/255.255.255.0",
                "10.1.1.7/30",
                "192.168.0.1/32",
                "0.0.0.7/32"
            ]),
        ),
        (
            "'ipv4'",
            json!([
                "192.24.2.1",
                "0.0.0.1/32",
                "192.168.32.0/24",
                "192.168.1.5/255.255.255.0",
                "10.1.1.7/30",
                "192.168.0.1/32",
                "0.0.0.7/32"
            ]),
        ),
        (
            "'ipv6'",
            json!([
                "::ffff:192.24.2.1/128",
                "::1",
                "::ffff:192.168.32.0/120",
                "fe80::100/10",
                "2001:db8:32c:faad::/64",
                "::ffff:192.168.1.5/120",
                "::ffff:10.1.1.7/126",
                "::ffff:192.168.0.1/128",
                "::ffff:0.0.0.7/128"
            ]),
        ),
        ("'link-local'", json!(["fe80::100/10"])),
        (
            "'type'",
            json!([
                "address", "address", "network", "address", "network", "address", "address", "address",
                "address"
            ]),
        ),
    ] {
        let text = if q.is_empty() {
            "{{ vals | ansible.utils.ipaddr }}".to_string()
        } else {
            format!("{{{{ vals | ipaddr({q}) }}}}")
        };
        assert_eq!(render(&text), Ok(want), "{text}");
    }
}

#[test]
fn sizes() {
    assert_eq!(render("{{ (vals[4:5] + vals[9:]) | ipaddr('size') }}"), Ok(json!([256, 256, 4, 1, 1])));
    assert_eq!(render("{{ 'fe80::100/10' | ipaddr('size') > 2 ** 100 }}"), Ok(json!(true)));
    // A computed number leaves a template as text, so sizes beyond 64 bits survive too.
    assert_eq!(
        render("{{ 'fe80::100/10' | ipaddr('size') }}"),
        Ok(json!("332306998946228968225951765070086144"))
    );
}

#[test]
fn single_values_ipv4_ipv6_ipwrap_ipsubnet() {
    for (text, want) in [
        (
            "{{ vals | ipv4 }}",
            json!([
                "192.24.2.1",
                "192.168.32.0/24",
                "192.168.1.5/24",
                "10.1.1.7/30",
                "192.168.0.1/32",
                "0.0.0.7"
            ]),
        ),
        ("{{ vals | ansible.utils.ipv6 }}", json!(["::1", "fe80::100/10", "2001:db8:32c:faad::/64", "::7"])),
        (
            "{{ vals | ipv4('address') }}",
            json!(["192.24.2.1", "192.168.1.5", "10.1.1.7", "192.168.0.1", "0.0.0.7"]),
        ),
        (
            "{{ vals[:6] | ipwrap }}",
            json!(["192.24.2.1", "host.fqdn", "[::1]", "", "192.168.32.0/24", "[fe80::100]/10"]),
        ),
        ("{{ 'abc' | ipaddr }}", json!(false)),
        ("{{ ' 10.0.0.1 ' | ipaddr }} {{ '10.0.0.1/33' | ipaddr }}", json!("False False")),
        ("{{ '10.0.0.5/24' | ipaddr(300) }}", json!(false)),
        (
            "{{ '10.0.0.0/24' | ipaddr('first_usable') }} {{ '10.0.0.0/24' | ipaddr('last_usable') }} {{ '10.0.0.0/24' | ipaddr('range_usable') }} {{ '10.0.0.0/31' | ipaddr('first_usable') }}",
            json!("10.0.0.1 10.0.0.254 10.0.0.1-10.0.0.254 10.0.0.0"),
        ),
        (
            "{{ ['10.0.0.1', '172.16.5.4', '100.64.1.1', '8.8.8.8', '127.0.0.1', '169.254.1.1', 'fd00::1', '2a00:1450::1', '224.0.0.1', 'ff02::1', '0.0.0.0'] | ipaddr('private') }}",
            json!(["10.0.0.1", "172.16.5.4", "100.64.1.1", "127.0.0.1", "169.254.1.1", "fd00::1", "0.0.0.0"]),
        ),
        (
            "{{ ['8.8.8.8', '2a00:1450::1', '224.0.0.1', 'ff02::1'] | ipaddr('public') }}",
            json!(["8.8.8.8", "2a00:1450::1"]),
        ),
        (
            "{{ '192.168.0.1' | ipwrap }} {{ '::1' | ipwrap }} {{ 'abc' | ipwrap }}",
            json!("192.168.0.1 [::1] abc"),
        ),
        ("{{ '192.168.0.0/16' | ipsubnet }}", json!("192.168.0.0/16")),
        ("{{ '192.168.0.0/16' | ipsubnet(20) }}", json!("16")),
        ("{{ '192.168.0.0/16' | ipsubnet(20, 0) }}", json!("192.168.0.0/20")),
        ("{{ '192.168.0.0/16' | ipsubnet(20, -1) }}", json!("192.168.240.0/20")),
        ("{{ '192.168.0.0/16' | ipsubnet(20, 5) }}", json!("192.168.80.0/20")),
        ("{{ '192.168.144.5' | ipsubnet(20) }}", json!("192.168.144.0/20")),
        ("{{ '192.168.144.5/18' | ipsubnet(20) }}", json!("4")),
        ("{{ '192.168.144.0/20' | ipsubnet('192.168.0.0/16') }}", json!("10")),
        ("{{ '192.168.144.5' | ipsubnet('192.168.0.0/16') }}", json!("36870")),
        ("{{ 'fe80::/64' | ansible.utils.ipsubnet(66, 2) }}", json!("fe80::8000:0:0:0/66")),
        ("{{ '10.0.0.1/0' | ipaddr('network') }}", json!("0.0.0.0")),
    ] {
        assert_eq!(render(text), Ok(want), "{text}");
    }
    for (text, needle) in [
        ("{{ '192.168.0.0/16' | ipsubnet(15) }}", "Requested subnet size of 15 is invalid"),
        ("{{ vals | ipaddr('bogus') }}", "ipaddr: unknown filter type: bogus"),
        ("{{ vals | ipaddr('first_usable') }}", "Not a network address"),
        ("{{ 7 | ipwrap }}", "Unrecognized type <<class 'int'>> for ipwrap filter <value>"),
    ] {
        let e = render(text).unwrap_err();
        assert!(e.contains(needle), "{text}: {e}");
    }
}
