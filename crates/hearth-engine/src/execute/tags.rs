//! `--tags` / `--skip-tags` selection with Ansible's special tags (`all`, `always`, `never`,
//! `tagged`, `untagged`). Pure; the engine calls it per task with the task's effective tags.

/// Whether a task with `tags` runs under `--tags only` and `--skip-tags skip`
/// (an empty `only` means Ansible's default `all`).
pub fn selected(tags: &[String], only: &[String], skip: &[String]) -> bool {
    let has = |list: &[String], t: &str| list.iter().any(|x| x == t);
    let intersects = |list: &[String]| tags.iter().any(|t| has(list, t));
    let always = has(tags, "always");
    let explicitly_wanted = intersects(only);

    let mut run = if only.is_empty() || has(only, "all") {
        // `never` tasks run only when one of their other tags is asked for.
        !has(tags, "never") || explicitly_wanted && !only.iter().all(|t| t == "all")
    } else {
        explicitly_wanted
            || (has(only, "tagged") && !tags.is_empty())
            || (has(only, "untagged") && tags.is_empty())
            || always
    };
    if always && !has(skip, "always") && (only.is_empty() || has(only, "all") || !has(tags, "never")) {
        run = true;
    }
    if !skip.is_empty() {
        let skipped = intersects(skip)
            || (has(skip, "tagged") && !tags.is_empty())
            || (has(skip, "untagged") && tags.is_empty())
            || has(skip, "all");
        if skipped && !(always && !has(skip, "always") && !intersects(skip)) {
            run = false;
        }
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn table() {
        // (task tags, --tags, --skip-tags, runs)
        type Case<'a> = (&'a [&'a str], &'a [&'a str], &'a [&'a str], bool);
        let cases: &[Case] = &[
            (&[], &[], &[], true),
            (&["a"], &[], &[], true),
            (&["a"], &["a"], &[], true),
            (&["b"], &["a"], &[], false),
            (&[], &["a"], &[], false),
            (&["always"], &["a"], &[], true),
            (&["always"], &["a"], &["always"], false),
            (&["never"], &[], &[], false),
            (&["never", "debug"], &["debug"], &[], true),
            (&["never", "debug"], &["all"], &[], false),
            (&["a"], &[], &["a"], false),
            (&["a", "always"], &[], &["b"], true),
            (&["x"], &["tagged"], &[], true),
            (&[], &["untagged"], &[], true),
            (&["x"], &["untagged"], &[], false),
            (&["x"], &[], &["tagged"], false),
            (&[], &[], &["untagged"], false),
            (&["always"], &[], &["all"], true),
        ];
        for (tags, only, skip, want) in cases {
            assert_eq!(
                selected(&v(tags), &v(only), &v(skip)),
                *want,
                "tags={tags:?} only={only:?} skip={skip:?}"
            );
        }
    }
}
