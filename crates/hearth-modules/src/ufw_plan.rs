//! The pure half of `community.general.ufw`: the command lines community.general's module
//! builds (`ufw [--dry-run] [route] [delete | insert N] allow ... [comment 'C']`) and its change
//! predictions from `ufw status verbose`, the `### tuple` lines of the user rules files and a
//! `--dry-run`'s output. Tested against expected command lines and real ufw 0.36 outputs.

use std::sync::LazyLock;

use regex::Regex;

use super::ufw_params::Ufw;

/// community.general's IPv4 pattern.
const IPV4: &str =
    r"((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])";

/// community.general's IPv6 pattern (from the well-known Stack Overflow answer).
const IPV6: &str = concat!(
    r"(([0-9a-fA-F]{1,4}:){7,7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:",
    r"|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}",
    r"(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4})",
    r"{1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]",
    r"{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]",
    r"{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(:[0-9a-fA-F]{0,4})",
    r"{0,4}%[0-9a-zA-Z]{1,}|::(ffff(:0{1,4}){0,1}:){0,1}((25[0-5]|(2[0-4]",
    r"|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}",
    r"[0-9])|([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}",
    r"[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9]))"
);

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static V4: LazyLock<Option<Regex>> = LazyLock::new(|| re(IPV4));
static V6: LazyLock<Option<Regex>> = LazyLock::new(|| re(IPV6));
static V4_START: LazyLock<Option<Regex>> = LazyLock::new(|| re(&format!("^(?:{IPV4})")));
static V6_START: LazyLock<Option<Regex>> = LazyLock::new(|| re(&format!("^(?:{IPV6})")));
static VERSION: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"^ufw.+(\d+)\.(\d+)(?:\.(\d+))?.*$"));
static LOGGING: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"Logging: (on|off)(?: \(([a-z]+)\))?"));
static DEFAULTS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"Default: (deny|allow|reject) \(incoming\), (deny|allow|reject) \(outgoing\), (deny|allow|reject|disabled) \(routed\)",
    )
});

fn matches(r: &LazyLock<Option<Regex>>, s: &str) -> bool {
    r.as_ref().is_some_and(|r| r.is_match(s))
}

/// The `### tuple` lines of the user rules files community.general reads.
pub const RULES_FILES: &[&str] = &[
    "/lib/ufw/user.rules",
    "/lib/ufw/user6.rules",
    "/etc/ufw/user.rules",
    "/etc/ufw/user6.rules",
    "/var/lib/ufw/user.rules",
    "/var/lib/ufw/user6.rules",
];

/// (major, minor) the way community.general's greedy pattern reads `ufw 0.36.2` (6, 2).
pub fn version(first_line: &str) -> Option<(u32, u32)> {
    let c = VERSION.as_ref()?.captures(first_line)?;
    Some((c.get(1)?.as_str().parse().ok()?, c.get(2)?.as_str().parse().ok()?))
}

/// Whether `state` would change: reload and reset always do; enable/disable when the status
/// says otherwise (" active", with the space, so "inactive" does not count).
pub fn state_changes(value: &str, pre_state: &str) -> bool {
    let enabled = pre_state.contains(" active");
    match value {
        "reloaded" | "reset" => true,
        "enabled" => !enabled,
        "disabled" => enabled,
        _ => false,
    }
}

/// Whether `logging: value` would change the `Logging: on (low)` line.
pub fn logging_changes(value: &str, pre_state: &str) -> bool {
    let Some(c) = LOGGING.as_ref().and_then(|r| r.captures(pre_state)) else { return true };
    let on_off = c.get(1).map_or("", |m| m.as_str());
    let level = c.get(2).map(|m| m.as_str());
    if value == "off" {
        return on_off != "off";
    }
    on_off == "off" || (value != "on" && Some(value) != level)
}

/// Whether `default: value` for `direction` would change the `Default:` line (a `disabled`
/// routed policy never counts, as in community.general; no line at all does).
pub fn default_changes(value: &str, direction: Option<&str>, pre_state: &str) -> bool {
    let Some(c) = DEFAULTS.as_ref().and_then(|r| r.captures(pre_state)) else { return true };
    let group = match direction.unwrap_or("incoming") {
        "outgoing" => 2,
        "routed" => 3,
        _ => 1,
    };
    let have = c.get(group).map_or("", |m| m.as_str());
    have != value && have != "disabled"
}

fn lines_with(text: &str, keep: impl Fn(&str) -> bool) -> String {
    text.split_inclusive('\n').filter(|l| keep(l)).collect()
}

/// Whether a rule's `--dry-run` output shows other `### tuple` lines than the rules files have
/// now: all-"Skipping" output never does; an IPv4 (IPv6) `from_ip`/`to_ip` compares only the
/// lines with IPv4 (IPv6) addresses, since the dry run prints one family then.
pub fn rule_changes(from_ip: &str, to_ip: &str, pre_rules: &str, dry: &str) -> bool {
    let total = dry.split_inclusive('\n').count();
    let skipping = dry.split_inclusive('\n').filter(|l| l.contains("Skipping")).count();
    if skipping > 0 && skipping == total {
        return false;
    }
    let dry = lines_with(dry, |l| l.starts_with("### tuple"));
    if matches(&V4_START, from_ip) || matches(&V4_START, to_ip) {
        let v4 = |l: &str| matches(&V4, l);
        lines_with(pre_rules, v4) != lines_with(&dry, v4)
    } else if matches(&V6_START, from_ip) || matches(&V6_START, to_ip) {
        let v6 = |l: &str| matches(&V6, l);
        lines_with(pre_rules, v6) != lines_with(&dry, v6)
    } else {
        pre_rules != dry
    }
}

/// The rule number `insert` means relative to `insert_relative_to`, from `ufw status
/// numbered`; None (append) when past the last rule, as community.general does.
pub fn insert_position(insert: i64, relative: &str, numbered: &str) -> Option<i64> {
    if relative == "zero" {
        return Some(insert);
    }
    let rules: Vec<(i64, bool)> = numbered
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix('[')?;
            let (n, tail) = rest.split_once(']')?;
            tail.starts_with(' ').then_some(())?;
            Some((n.trim_start().parse().ok()?, l.contains("(v6)")))
        })
        .collect();
    let last = rules.iter().map(|r| r.0).max().unwrap_or(0);
    let last_v4 = rules.iter().filter(|r| !r.1).map(|r| r.0).max();
    let has_v6 = rules.iter().any(|r| r.1);
    let base = match relative {
        "first-ipv4" => 1,
        "last-ipv4" => last_v4.unwrap_or(1),
        "first-ipv6" => last_v4.map_or(1, |n| n + 1),
        _ if has_v6 => last,
        _ => last + 1,
    };
    let to = insert + base;
    (to <= last).then_some(to)
}

/// A set, non-empty value (Python's truthiness).
fn opt(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// Appends `word` when `on`.
fn push(cmd: &mut Vec<String>, on: bool, word: String) {
    if on {
        cmd.push(word);
    }
}

/// The rule's command line, community.general's long form; `insert_to` from [`insert_position`].
pub fn rule_command(p: &Ufw, ufw: &str, dry: bool, insert_to: Option<i64>, comments: bool) -> String {
    let mut c = vec![ufw.to_string()];
    push(&mut c, dry, "--dry-run".into());
    push(&mut c, p.route, "route".into());
    push(&mut c, p.delete, "delete".into());
    if p.insert.is_some() && !p.delete {
        push(&mut c, insert_to.is_some(), format!("insert {}", insert_to.unwrap_or_default()));
    }
    c.extend(p.rule.clone());
    for (v, form) in [
        (&p.direction, "{}"),
        (&p.interface, "on {}"),
        (&p.interface_in, "in on {}"),
        (&p.interface_out, "out on {}"),
    ] {
        if let Some(v) = opt(v) {
            c.push(form.replace("{}", v));
        }
    }
    push(&mut c, p.log, "log".into());
    let any = |v: &Option<String>| Some(v.clone().unwrap_or_else(|| "any".into()));
    for (v, form) in [
        (&any(&p.from_ip), "from {}"),
        (&p.from_port, "port {}"),
        (&any(&p.to_ip), "to {}"),
        (&p.to_port, "port {}"),
        (&p.proto, "proto {}"),
        (&p.name, "app '{}'"),
    ] {
        if let Some(v) = opt(v) {
            c.push(form.replace("{}", v));
        }
    }
    if comments && let Some(v) = opt(&p.comment) {
        c.push(format!("comment '{v}'"));
    }
    c.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STATUS: &str = "Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), disabled (routed)\nNew profiles: skip\n";

    #[test]
    fn versions_states_logging_defaults() {
        assert_eq!(version("ufw 0.36.2"), Some((6, 2)), "community.general's greedy reading");
        assert_eq!(version("nope"), None);
        assert!(state_changes("enabled", "Status: inactive\n"));
        assert!(!state_changes("enabled", STATUS));
        assert!(state_changes("disabled", STATUS));
        assert!(state_changes("reloaded", STATUS));
        assert!(!logging_changes("on", STATUS));
        assert!(!logging_changes("low", STATUS));
        assert!(logging_changes("high", STATUS));
        assert!(logging_changes("off", STATUS));
        assert!(logging_changes("low", "Status: inactive\n"), "no Logging line");
        assert!(!default_changes("deny", None, STATUS));
        assert!(default_changes("deny", Some("outgoing"), STATUS));
        assert!(!default_changes("allow", Some("routed"), STATUS), "disabled routed never counts");
        assert!(default_changes("deny", None, "Status: inactive\n"));
    }

    #[test]
    fn dry_runs_compared_with_the_rules_files() {
        let pre = "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n### tuple ### allow tcp 22 ::/0 any ::/0 in\n";
        let dry_same = format!(
            "*filter\n:ufw-user-input - [0:0]\n### RULES ###\n\n{pre}-A ufw-user-input -p tcp --dport 22 -j ACCEPT\nCOMMIT\nRules updated\n"
        );
        assert!(!rule_changes("any", "any", pre, &dry_same));
        assert!(rule_changes("any", "any", "", &dry_same));
        let skip = "Skipping adding existing rule\nSkipping adding existing rule (v6)\n";
        assert!(!rule_changes("any", "any", "", skip));
        let v4_dry = "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n### tuple ### deny any any 0.0.0.0/0 any 10.0.0.1 in\n";
        assert!(rule_changes("10.0.0.1", "any", pre, v4_dry));
        assert!(!rule_changes(
            "10.0.0.1",
            "any",
            pre,
            "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n"
        ));
    }

    #[test]
    fn insert_positions() {
        let numbered = "Status: active\n\n     To   Action  From\n[ 1] 22/tcp  ALLOW IN  Anywhere\n[ 2] 80/tcp  ALLOW IN  Anywhere\n[ 3] 22/tcp (v6)  ALLOW IN  Anywhere (v6)\n";
        assert_eq!(insert_position(2, "zero", ""), Some(2));
        assert_eq!(insert_position(0, "first-ipv4", numbered), Some(1));
        assert_eq!(insert_position(0, "last-ipv4", numbered), Some(2));
        assert_eq!(insert_position(0, "first-ipv6", numbered), Some(3));
        assert_eq!(insert_position(0, "last-ipv6", numbered), Some(3));
        assert_eq!(insert_position(1, "last-ipv6", numbered), None, "past the end: append");
        assert_eq!(insert_position(0, "last-ipv6", ""), None);
    }

    #[test]
    fn rule_command_lines() {
        let p: Ufw = serde_json::from_value(json!({"rule": "allow", "port": 22, "proto": "tcp"})).unwrap();
        assert_eq!(
            rule_command(&p, "/usr/sbin/ufw", true, None, true),
            "/usr/sbin/ufw --dry-run allow from any to any port 22 proto tcp"
        );
        let p: Ufw = serde_json::from_value(
            json!({"rule": "deny", "direction": "in", "interface": "eth0", "src": "10.0.0.0/8",
            "log": true, "comment": "no lan", "delete": true, "route": true}),
        )
        .unwrap();
        assert_eq!(
            rule_command(&p, "ufw", false, None, true),
            "ufw route delete deny in on eth0 log from 10.0.0.0/8 to any comment 'no lan'"
        );
        let p: Ufw = serde_json::from_value(json!({"rule": "limit", "app": "OpenSSH", "insert": 1})).unwrap();
        assert_eq!(
            rule_command(&p, "ufw", false, Some(1), false),
            "ufw insert 1 limit from any to any app 'OpenSSH'"
        );
    }
}
