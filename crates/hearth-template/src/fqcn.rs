//! Fully qualified names of filters and tests (`ansible.builtin.to_json`,
//! `ansible.utils.ipaddr`, `x is ansible.builtin.match(...)`): the collection each name of
//! hearth's belongs to in Ansible, so that `rewrite` can turn `x | ansible.builtin.to_json` into
//! `x | to_json` before minijinja compiles it.
//! A name under the wrong collection (`ansible.builtin.ipaddr`, `ansible.builtin.lower`: Jinja's
//! own filters have no FQCN) is left as written and fails as an unknown filter, as in Ansible.

/// Ansible's own filters that hearth has, by collection.
#[rustfmt::skip]
const FILTERS: &[(&str, &[&str])] = &[
    ("ansible.builtin", &[
        "b64decode", "b64encode", "basename", "bool", "checksum", "combine", "comment", "dict2items",
        "difference", "dirname", "expanduser", "flatten", "from_json", "from_yaml", "hash",
        "intersect", "items2dict", "mandatory", "md5", "password_hash", "path_join", "product",
        "quote", "realpath", "regex_escape", "regex_findall", "regex_replace", "regex_search",
        "sha1", "shuffle", "split", "splitext", "subelements", "symmetric_difference", "ternary",
        "to_json", "to_nice_json", "to_nice_yaml", "to_yaml", "type_debug", "union", "unique", "zip",
    ]),
    ("ansible.utils", &["ipaddr", "ipsubnet", "ipv4", "ipv6", "ipwrap"]),
];

/// Ansible's own tests that hearth has, by collection.
#[rustfmt::skip]
const TESTS: &[(&str, &[&str])] = &[
    ("ansible.builtin", &[
        "abs", "all", "any", "change", "changed", "contains", "directory", "exists", "failed",
        "failure", "falsy", "file", "is_abs", "is_dir", "is_file", "is_link", "issubset",
        "issuperset", "link", "link_exists", "match", "reachable", "regex", "search", "skip",
        "skipped", "subset", "succeeded", "success", "successful", "superset", "truthy",
        "unreachable", "version", "version_compare",
    ]),
];

/// The short name of a fully qualified filter hearth has.
pub fn short_filter(name: &str) -> Option<&'static str> {
    short(FILTERS, name)
}

/// The short name of a fully qualified test hearth has.
pub fn short_test(name: &str) -> Option<&'static str> {
    short(TESTS, name)
}

fn short(table: &[(&str, &'static [&'static str])], name: &str) -> Option<&'static str> {
    let (collection, short) = name.rsplit_once('.')?;
    let (_, names) = table.iter().find(|(c, _)| *c == collection)?;
    names.iter().copied().find(|n| *n == short)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Templar;

    #[test]
    fn lookups() {
        assert_eq!(short_filter("ansible.builtin.to_json"), Some("to_json"));
        assert_eq!(short_filter("ansible.builtin.ipaddr"), None);
        assert_eq!(short_filter("ansible.builtin.lower"), None);
        assert_eq!(short_test("ansible.builtin.match"), Some("match"));
        assert_eq!(short_test("match"), None);
    }

    /// Every name in the tables is one hearth registers (an unknown one would fail as such; the
    /// bogus argument makes every real one fail fast, before `password_hash` hashes).
    #[test]
    fn every_short_name_exists() {
        let t = Templar::new();
        let ctx = t.context(&Default::default());
        for (_, names) in FILTERS {
            for n in *names {
                let e = t
                    .eval(&format!("none | {n}(hearth_probe=1)"), &ctx)
                    .err()
                    .map(|e| e.message)
                    .unwrap_or_default();
                assert!(!e.contains("unknown filter"), "{n}: {e}");
            }
        }
        for (_, names) in TESTS {
            for n in *names {
                let e = t.eval(&format!("none is {n}"), &ctx).err().map(|e| e.message).unwrap_or_default();
                assert!(!e.contains("unknown test"), "{n}: {e}");
            }
        }
    }
}
