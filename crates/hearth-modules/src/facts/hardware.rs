//! CPU and memory facts from `/proc/cpuinfo` and `/proc/meminfo`, counted the way Ansible 2.18's
//! `hardware/linux.py` counts them (including its ARM rule: one vCPU per `processor` entry).
//! Not collected: devices, mounts, DMI data, Xen paravirtualisation detection.

use std::collections::HashMap;

use hearth_formats::value::{Map, Value};

/// `memtotal_mb`, `memfree_mb`, `swaptotal_mb`, `swapfree_mb` (MiB, rounded down).
pub fn memory(meminfo: &str) -> Map {
    let kb: HashMap<&str, u64> = meminfo
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim(), v.split_whitespace().next()?.parse().ok()?))
        })
        .collect();
    let mut m = Map::new();
    for (key, fact) in [
        ("MemTotal", "memtotal_mb"),
        ("MemFree", "memfree_mb"),
        ("SwapTotal", "swaptotal_mb"),
        ("SwapFree", "swapfree_mb"),
    ] {
        if let Some(v) = kb.get(key) {
            m.insert(fact.into(), Value::from(v / 1024));
        }
    }
    m
}

/// `processor`, `processor_count`, `processor_cores`, `processor_threads_per_core`,
/// `processor_vcpus`, `processor_nproc`.
pub fn cpu(cpuinfo: &str, architecture: &str, nproc: Option<u64>) -> Map {
    let mut processor = Vec::new();
    let (mut i, mut vendor_ids, mut model_names, mut processors) = (0u64, 0u64, 0u64, 0u64);
    let mut sockets: Vec<(String, u64)> = Vec::new();
    let mut cores: Vec<(String, u64)> = Vec::new();
    let (mut physid, mut coreid) = (String::from("0"), String::from("0"));
    let set = |v: &mut Vec<(String, u64)>, k: &str, n: u64| match v.iter_mut().find(|(x, _)| x == k) {
        Some(e) => e.1 = n,
        None => v.push((k.to_string(), n)),
    };
    for line in cpuinfo.lines() {
        let (key, val) = match line.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (line.trim(), ""),
        };
        match key {
            "model name" | "Processor" | "vendor_id" | "cpu" | "Vendor" | "processor" => {
                processor.push(Value::String(val.into()));
                match key {
                    "vendor_id" => vendor_ids += 1,
                    "model name" => model_names += 1,
                    "processor" => processors += 1,
                    _ => {}
                }
                i += 1;
            }
            "physical id" => {
                physid = val.into();
                if !sockets.iter().any(|(k, _)| *k == physid) {
                    sockets.push((physid.clone(), 1));
                }
            }
            "core id" => {
                coreid = val.into();
                // Ansible checks `coreid not in sockets` here (sic); followed to count alike.
                if !sockets.iter().any(|(k, _)| *k == coreid) {
                    set(&mut cores, &coreid, 1);
                }
            }
            "cpu cores" => set(&mut sockets, &physid, val.parse().unwrap_or(0)),
            "siblings" => set(&mut cores, &coreid, val.parse().unwrap_or(0)),
            _ => {}
        }
    }
    if vendor_ids > 0 && vendor_ids == model_names {
        i = vendor_ids;
    }
    if ["armv", "aarch", "ppc"].iter().any(|p| architecture.starts_with(p)) {
        i = processors;
    }
    let count = if sockets.is_empty() { i } else { sockets.len() as u64 };
    let per_socket = sockets.first().map(|s| s.1).filter(|&c| c > 0).unwrap_or(1);
    let threads = match cores.first() {
        Some((_, c)) => (*c as f64 / per_socket as f64).round() as u64,
        None => (1.0 / per_socket as f64).round() as u64,
    };
    let mut m = Map::new();
    m.insert("processor".into(), Value::Array(processor));
    m.insert("processor_count".into(), Value::from(count));
    m.insert("processor_cores".into(), Value::from(per_socket));
    m.insert("processor_threads_per_core".into(), Value::from(threads));
    m.insert("processor_vcpus".into(), Value::from(threads * count * per_socket));
    m.insert("processor_nproc".into(), Value::from(nproc.unwrap_or(processors)));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_in_mib() {
        let m = memory("MemTotal:        3882924 kB\nMemFree:          123456 kB\nSwapTotal: 0 kB\n");
        assert_eq!(m["memtotal_mb"], 3791);
        assert_eq!(m["memfree_mb"], 120);
        assert_eq!(m["swaptotal_mb"], 0);
    }

    #[test]
    fn x86_with_hyperthreads() {
        let mut text = String::new();
        for p in 0..4 {
            text.push_str(&format!(
                "processor\t: {p}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i5\nphysical id\t: 0\nsiblings\t: 4\ncore id\t\t: {}\ncpu cores\t: 2\n\n",
                p / 2
            ));
        }
        let m = cpu(&text, "x86_64", Some(4));
        assert_eq!(m["processor_count"], 1);
        assert_eq!(m["processor_cores"], 2);
        assert_eq!(m["processor_threads_per_core"], 2);
        assert_eq!(m["processor_vcpus"], 4);
    }
}
