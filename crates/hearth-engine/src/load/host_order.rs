//! A play's `order:`: which order its hosts run in (and are batched by `serial`).

use super::error::LoadError;
use hearth_formats::yaml::Node;

/// A play's `order:`, the order its hosts are taken in (and batched by `serial`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HostOrder {
    /// As the inventory lists them (the default).
    #[default]
    Inventory,
    /// The inventory's order, reversed.
    ReverseInventory,
    /// By name.
    Sorted,
    /// By name, reversed.
    ReverseSorted,
    /// A random order, new every run.
    Shuffle,
}

impl HostOrder {
    /// Puts `hosts` (in inventory order) in this order.
    pub fn arrange(self, hosts: &mut [String]) {
        match self {
            HostOrder::Inventory => {}
            HostOrder::ReverseInventory => hosts.reverse(),
            HostOrder::Sorted => hosts.sort(),
            HostOrder::ReverseSorted => hosts.sort_by(|a, b| b.cmp(a)),
            HostOrder::Shuffle => shuffle(hosts),
        }
    }
}

/// A Fisher-Yates shuffle seeded from the clock: `order: shuffle` needs no repeatability.
fn shuffle(hosts: &mut [String]) {
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e37_79b9_7f4a_7c15)
        | 1;
    for i in (1..hosts.len()).rev() {
        // xorshift64: enough to mix hosts, not cryptographic.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        hosts.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// Reads `order:`.
pub fn host_order(node: &Node) -> Result<HostOrder, LoadError> {
    Ok(match node.as_str() {
        Some("inventory") => HostOrder::Inventory,
        Some("reverse_inventory") => HostOrder::ReverseInventory,
        Some("sorted") => HostOrder::Sorted,
        Some("reverse_sorted") => HostOrder::ReverseSorted,
        Some("shuffle") => HostOrder::Shuffle,
        _ => {
            return Err(LoadError::at(
                &node.pos,
                "order must be one of inventory, reverse_inventory, sorted, reverse_sorted, shuffle",
            ));
        }
    })
}
