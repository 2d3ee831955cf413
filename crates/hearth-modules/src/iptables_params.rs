//! The parameters of `ansible.builtin.iptables` (the one schema of its arguments) and their
//! choice enums, shared by the module (`iptables.rs`) and its rule builder (`iptables_rule.rs`).
//! Pure data: no checks beyond serde's, no host access.

use serde::Deserialize;

/// Parameters of `iptables`, named and typed as Ansible's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iptables {
    /// `filter` (default), `nat`, `mangle`, `raw` or `security`.
    #[serde(default)]
    pub table: Table,
    /// `present` (default) or `absent`.
    #[serde(default)]
    pub state: State,
    /// `append` (default: `-A`) or `insert` (`-I`).
    #[serde(default)]
    pub action: Action,
    /// `ipv4` (iptables, default) or `ipv6` (ip6tables).
    #[serde(default)]
    pub ip_version: IpVersion,
    /// The chain; required unless `flush`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub chain: Option<String>,
    /// Position for `action: insert`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub rule_num: Option<String>,
    /// `-p`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub protocol: Option<String>,
    /// `-w SECONDS`: wait for the xtables lock.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub wait: Option<String>,
    /// `-s`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub source: Option<String>,
    /// `--to-source` (SNAT).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub to_source: Option<String>,
    /// `-d`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub destination: Option<String>,
    /// `--to-destination` (DNAT).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub to_destination: Option<String>,
    /// `-m NAME` each.
    #[serde(default, rename = "match", deserialize_with = "super::args::de_list")]
    pub matches: Vec<String>,
    /// `--tcp-flags FLAGS FLAGS_SET`.
    #[serde(default)]
    pub tcp_flags: Option<TcpFlags>,
    /// `-j TARGET`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub jump: Option<String>,
    /// `--gateway` for the TEE target.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub gateway: Option<String>,
    /// `--log-prefix` (implies `jump: LOG`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub log_prefix: Option<String>,
    /// `--log-level` (implies `jump: LOG`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub log_level: Option<String>,
    /// `-g CHAIN`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub goto: Option<String>,
    /// `-i`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub in_interface: Option<String>,
    /// `-o`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub out_interface: Option<String>,
    /// `-f`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub fragment: Option<String>,
    /// `-c PACKETS BYTES`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub set_counters: Option<String>,
    /// `--source-port`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub source_port: Option<String>,
    /// `--destination-port`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub destination_port: Option<String>,
    /// `-m multiport --dports a,b`.
    #[serde(default, deserialize_with = "super::args::de_list")]
    pub destination_ports: Vec<String>,
    /// `--to-ports` (REDIRECT, MASQUERADE).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub to_ports: Option<String>,
    /// `--set-dscp` (DSCP target).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub set_dscp_mark: Option<String>,
    /// `--set-dscp-class` (DSCP target).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub set_dscp_mark_class: Option<String>,
    /// `-m comment --comment`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub comment: Option<String>,
    /// `-m conntrack --ctstate a,b` (or `--state` after `match: state`).
    #[serde(default, deserialize_with = "super::args::de_list")]
    pub ctstate: Vec<String>,
    /// `-m iprange --src-range`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub src_range: Option<String>,
    /// `-m iprange --dst-range`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub dst_range: Option<String>,
    /// `-m set --match-set NAME`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub match_set: Option<String>,
    /// The flags after `--match-set NAME` (`src`, `dst`, `src,dst`, ...).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub match_set_flags: Option<String>,
    /// `-m limit --limit`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub limit: Option<String>,
    /// `-m limit --limit-burst`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub limit_burst: Option<String>,
    /// `-m owner --uid-owner`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub uid_owner: Option<String>,
    /// `-m owner --gid-owner`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub gid_owner: Option<String>,
    /// `--reject-with` (implies `-j REJECT` without `jump`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub reject_with: Option<String>,
    /// `--icmp-type` / `--icmpv6-type`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub icmp_type: Option<String>,
    /// `ignore` (default), `match` (`--syn`) or `negate` (`! --syn`).
    #[serde(default)]
    pub syn: Syn,
    /// Flush the chain (or the whole table without `chain`).
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub flush: bool,
    /// Set the chain's policy: ACCEPT, DROP, QUEUE or RETURN.
    #[serde(default)]
    pub policy: Option<Policy>,
    /// Create (present) or delete (absent) the user chain when no rule is given.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub chain_management: bool,
    /// `--numeric` when listing a chain.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub numeric: bool,
}

/// `tcp_flags`: the flags examined and those that must be set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpFlags {
    /// Examined flags.
    #[serde(default, deserialize_with = "de_opt_list")]
    pub flags: Option<Vec<String>>,
    /// Flags that must be set.
    #[serde(default, deserialize_with = "de_opt_list")]
    pub flags_set: Option<Vec<String>>,
}

fn de_opt_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    super::args::de_list(d).map(Some)
}

/// The netfilter table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Table {
    #[default]
    Filter,
    Nat,
    Mangle,
    Raw,
    Security,
}

impl Table {
    /// The name iptables takes after `-t`.
    pub fn name(self) -> &'static str {
        match self {
            Table::Filter => "filter",
            Table::Nat => "nat",
            Table::Mangle => "mangle",
            Table::Raw => "raw",
            Table::Security => "security",
        }
    }
}

/// Whether the rule (or chain) must exist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum State {
    #[default]
    Present,
    Absent,
}

/// Where a new rule goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Action {
    #[default]
    Append,
    Insert,
}

/// Which program: iptables or ip6tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum IpVersion {
    #[default]
    Ipv4,
    Ipv6,
}

/// The `syn` choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Syn {
    #[default]
    Ignore,
    Match,
    Negate,
}

/// A built-in chain policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum Policy {
    Accept,
    Drop,
    Queue,
    Return,
}

impl Policy {
    /// The word iptables takes after `-P CHAIN`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Accept => "ACCEPT",
            Policy::Drop => "DROP",
            Policy::Queue => "QUEUE",
            Policy::Return => "RETURN",
        }
    }
}
