//! The parameters of `community.general.ufw` (the one schema of its arguments), shared by the
//! module (`ufw.rs`) and the command lines of its pure half (`ufw_plan.rs`). Pure data: the
//! argument-spec checks are the module's.

use serde::Deserialize;

/// Parameters of `ufw`, named as community.general's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ufw {
    /// `enabled`, `disabled`, `reloaded` or `reset`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub state: Option<String>,
    /// Default policy `allow`, `deny` or `reject` for `direction`.
    #[serde(default, alias = "policy", deserialize_with = "super::args::de_opt_str")]
    pub default: Option<String>,
    /// `on`, `off`, `low`, `medium`, `high` or `full`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub logging: Option<String>,
    /// `in`/`out` for rules, `incoming`/`outgoing`/`routed` for `default`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub direction: Option<String>,
    /// Delete the rule instead of adding it.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub delete: bool,
    /// A routed (forward) rule.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub route: bool,
    /// Insert the rule at this number (relative to `insert_relative_to`).
    #[serde(default, deserialize_with = "super::args::de_opt_int")]
    pub insert: Option<i64>,
    /// `zero` (default), `first-ipv4`, `last-ipv4`, `first-ipv6` or `last-ipv6`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub insert_relative_to: Option<String>,
    /// `allow`, `deny`, `limit` or `reject`.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub rule: Option<String>,
    /// `on IF` (needs `direction`).
    #[serde(default, alias = "if", deserialize_with = "super::args::de_opt_str")]
    pub interface: Option<String>,
    /// `in on IF`.
    #[serde(default, alias = "if_in", deserialize_with = "super::args::de_opt_str")]
    pub interface_in: Option<String>,
    /// `out on IF`.
    #[serde(default, alias = "if_out", deserialize_with = "super::args::de_opt_str")]
    pub interface_out: Option<String>,
    /// Log new connections matching the rule.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub log: bool,
    /// Source address (`any`).
    #[serde(default, alias = "from", alias = "src", deserialize_with = "super::args::de_opt_str")]
    pub from_ip: Option<String>,
    /// Source port.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub from_port: Option<String>,
    /// Destination address (`any`).
    #[serde(default, alias = "dest", alias = "to", deserialize_with = "super::args::de_opt_str")]
    pub to_ip: Option<String>,
    /// Destination port or range.
    #[serde(default, alias = "port", deserialize_with = "super::args::de_opt_str")]
    pub to_port: Option<String>,
    /// Protocol.
    #[serde(default, alias = "protocol", deserialize_with = "super::args::de_opt_str")]
    pub proto: Option<String>,
    /// An application profile (`OpenSSH`).
    #[serde(default, alias = "app", deserialize_with = "super::args::de_opt_str")]
    pub name: Option<String>,
    /// The rule's comment.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub comment: Option<String>,
}
