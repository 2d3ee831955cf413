//! Ansible's list-combining filters: `product` (Python's `itertools.product`, a list of tuples),
//! `subelements` (each item paired with every entry of one of its lists), `shuffle` and
//! `extract` (a lookup by key, mostly `map('extract', hostvars, 'ansible_host')`).
//! Not here: set operations and `flatten` (`filters_data.rs`), Jinja's own `zip`.
//! `product` returns a list where Python returns a one-shot iterator (both print the same after
//! `| list`); `shuffle(seed=...)` is repeatable but not in Python's order.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use minijinja::value::{Kwargs, Rest, Tuple, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filter_support::{filter_error, py_truthy};
use super::pyrepr::{py_repr, py_str};

/// Registers the list-combining filters.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("product", product);
    env.add_filter("subelements", subelements);
    env.add_filter("shuffle", shuffle);
    env.add_filter("extract", extract);
}

/// `extract(container, morekeys=None)`: `container[item]`, then each of `morekeys` (a list or
/// one key) looked up in turn; a missing key gives undefined, as Jinja's `getitem` does.
fn extract(item: &Value, container: &Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut keys = vec![item.clone()];
    match morekeys {
        None => {}
        Some(m) if m.kind() == ValueKind::Seq => keys.extend(m.try_iter()?),
        Some(m) => keys.push(m),
    }
    let mut value = container.clone();
    for key in keys {
        value = value.get_item(&key).unwrap_or(Value::UNDEFINED);
    }
    Ok(value)
}

/// `product(*others, repeat=1)`: every combination, the last list varying fastest.
fn product(first: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let repeat: usize = kwargs.get::<Option<usize>>("repeat")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    let mut pools = Vec::new();
    for v in std::iter::once(first).chain(others.iter()) {
        pools.push(v.try_iter()?.collect::<Vec<_>>());
    }
    let pools: Vec<Vec<Value>> = (0..repeat).flat_map(|_| pools.iter().cloned()).collect();
    let combos = cartesian(&pools);
    Ok(Value::from(combos.into_iter().map(|c| Value::from(Tuple::from(c))).collect::<Vec<_>>()))
}

/// The cartesian product of `pools` in `itertools.product` order (one empty combination for
/// no pools, none when a pool is empty).
pub fn cartesian<T: Clone>(pools: &[Vec<T>]) -> Vec<Vec<T>> {
    pools.iter().fold(vec![Vec::new()], |acc, pool| {
        acc.iter()
            .flat_map(|prefix| {
                pool.iter().map(move |item| {
                    let mut next = prefix.clone();
                    next.push(item.clone());
                    next
                })
            })
            .collect()
    })
}

/// `subelements(key_path, skip_missing=False)`: `(item, entry)` for every entry of the list
/// at `key_path` (dotted string or list of keys) in each item of a list or dict's values.
fn subelements(
    obj: &Value,
    path: &Value,
    skip_missing: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let skip = skip_missing.or(kwargs.get("skip_missing")?).is_some_and(|v| py_truthy(&v));
    kwargs.assert_all_used()?;
    let items: Vec<Value> = match obj.kind() {
        ValueKind::Map => obj.try_iter()?.map(|k| obj.get_item(&k)).collect::<Result<_, _>>()?,
        ValueKind::Seq | ValueKind::Iterable => obj.try_iter()?.collect(),
        _ => return Err(filter_error("obj must be a list of dicts or a nested dict")),
    };
    let keys: Vec<Value> = match path.kind() {
        ValueKind::Seq => path.try_iter()?.collect(),
        ValueKind::String => py_str(path).split('.').map(Value::from).collect(),
        _ => return Err(filter_error("subelements must be a list or a string")),
    };
    let mut out = Vec::new();
    for item in items {
        let Some(list) = walk(&item, &keys, skip)? else { continue };
        if !matches!(list.kind(), ValueKind::Seq | ValueKind::Iterable) {
            let msg = format!(
                "the key {} should point to a list, got {}",
                py_repr(&keys[keys.len() - 1]),
                py_repr(&list)
            );
            return Err(filter_error(msg));
        }
        for entry in list.try_iter()? {
            out.push(Value::from(Tuple::from(vec![item.clone(), entry])));
        }
    }
    Ok(Value::from(out))
}

/// Follows `keys` from `item`; `None` when a key is missing and `skip` is set.
fn walk(item: &Value, keys: &[Value], skip: bool) -> Result<Option<Value>, Error> {
    let mut cur = item.clone();
    for key in keys {
        if cur.kind() != ValueKind::Map {
            let msg = format!("the key {} should point to a dictionary, got {}", py_str(key), py_repr(&cur));
            return Err(filter_error(msg));
        }
        match Some(cur.get_item(key)?).filter(|v| !v.is_undefined()) {
            Some(next) => cur = next,
            None if skip => return Ok(None),
            None => {
                let msg = format!("could not find {} key in iterated item {}", py_repr(key), py_repr(&cur));
                return Err(filter_error(msg));
            }
        }
    }
    Ok(Some(cur))
}

/// `shuffle(seed=None)`: the items in random order (a repeatable order for a given seed); a
/// value that is not iterable comes back unchanged, like in Ansible.
fn shuffle(v: &Value, seed: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let seed = seed.or(kwargs.get("seed")?).filter(py_truthy);
    kwargs.assert_all_used()?;
    let Ok(items) = v.try_iter() else { return Ok(v.clone()) };
    let mut items: Vec<Value> = items.collect();
    let state = match seed {
        Some(s) => fnv1a(py_str(&s).as_bytes()),
        None => RandomState::new().hash_one(0u8),
    };
    shuffle_with(&mut items, state);
    Ok(Value::from(items))
}

/// Fisher-Yates with a splitmix64 stream started at `state`.
pub fn shuffle_with<T>(items: &mut [T], mut state: u64) {
    for i in (1..items.len()).rev() {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        items.swap(i, (z % (i as u64 + 1)) as usize);
    }
}

/// A stable 64-bit hash of the seed (FNV-1a), the same on every run and platform.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Templar;

    fn render(src: &str) -> Result<String, String> {
        let t = Templar::new();
        let vars = serde_json::json!({
            "users": [
                {"name": "alice", "groups": ["wheel", "dev"], "auth": {"keys": ["k1", "k2"]}},
                {"name": "bob", "groups": [], "auth": {"keys": ["k3"]}},
                {"name": "carol"},
            ],
            "byname": {"x": {"name": "x", "groups": ["g"]}},
        });
        t.render_str(src, &t.context(vars.as_object().unwrap())).map_err(|e| e.message)
    }

    /// (template, what ansible-core 2.18 rendered)
    const CASES: &[(&str, &str)] = &[
        ("{{ ['a', 'b'] | product([1, 2]) | list }}", "[('a', 1), ('a', 2), ('b', 1), ('b', 2)]"),
        (
            "{{ ['a', 'b'] | product([1, 2], ['x']) | list }}",
            "[('a', 1, 'x'), ('a', 2, 'x'), ('b', 1, 'x'), ('b', 2, 'x')]",
        ),
        ("{{ ['a'] | product | list }}", "[('a',)]"),
        ("{{ ['a'] | product([]) | list }}", "[]"),
        ("{{ 'ab' | product('xy') | list }}", "[('a', 'x'), ('a', 'y'), ('b', 'x'), ('b', 'y')]"),
        ("{{ ['a', 'b'] | product(repeat=2) | list }}", "[('a', 'a'), ('a', 'b'), ('b', 'a'), ('b', 'b')]"),
        ("{{ ['a', 'b'] | product([1]) | map('join', '-') | list }}", "['a-1', 'b-1']"),
        (
            "{{ users[:2] | subelements('groups') }}",
            "[({'name': 'alice', 'groups': ['wheel', 'dev'], 'auth': {'keys': ['k1', 'k2']}}, 'wheel'), \
             ({'name': 'alice', 'groups': ['wheel', 'dev'], 'auth': {'keys': ['k1', 'k2']}}, 'dev')]",
        ),
        (
            "{{ users | subelements('groups', skip_missing=True) | map(attribute='1') | list }}",
            "['wheel', 'dev']",
        ),
        ("{{ users | subelements('auth.keys', True) | map('last') | list }}", "['k1', 'k2', 'k3']"),
        (
            "{{ users | subelements(['auth', 'keys'], skip_missing=True) | map('last') | list }}",
            "['k1', 'k2', 'k3']",
        ),
        ("{{ byname | subelements('groups') }}", "[({'name': 'x', 'groups': ['g']}, 'g')]"),
        ("{{ [1, 2, 3] | shuffle | sort }}", "[1, 2, 3]"),
        ("{{ 'abc' | shuffle | sort }}", "['a', 'b', 'c']"),
    ];

    #[test]
    fn renders_like_ansible() {
        for (src, want) in CASES {
            assert_eq!(render(src).as_deref(), Ok(*want), "{src}");
        }
    }

    #[test]
    fn subelements_errors_like_ansible() {
        for (src, want) in [
            (
                "{{ users | subelements('groups') }}",
                "could not find 'groups' key in iterated item {'name': 'carol'}",
            ),
            ("{{ [{'a': 1}] | subelements('a') }}", "the key 'a' should point to a list, got 1"),
            ("{{ 'x' | subelements('a') }}", "obj must be a list of dicts or a nested dict"),
            ("{{ [{'a': 'x'}] | subelements('a.b') }}", "the key b should point to a dictionary, got 'x'"),
        ] {
            let err = render(src).unwrap_err();
            assert!(err.contains(want), "{src}: {err}");
        }
    }

    #[test]
    fn shuffle_is_a_permutation_and_seeded_shuffles_repeat() {
        let seeded = render("{{ range(20) | shuffle(seed='host1') }}").unwrap();
        assert_eq!(render("{{ range(20) | shuffle('host1') }}").unwrap(), seeded);
        assert_ne!(seeded, render("{{ range(20) | list }}").unwrap());
        let mut v: Vec<u32> = (0..50).collect();
        shuffle_with(&mut v, 7);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_eq!(render("{{ 5 | shuffle }}").unwrap(), "5");
    }

    #[test]
    fn cartesian_edges() {
        assert_eq!(cartesian::<u8>(&[]), vec![Vec::<u8>::new()]);
        assert_eq!(cartesian(&[vec![1], vec![]]), Vec::<Vec<i32>>::new());
        assert_eq!(cartesian(&[vec![1, 2], vec![3]]), vec![vec![1, 3], vec![2, 3]]);
    }
}
