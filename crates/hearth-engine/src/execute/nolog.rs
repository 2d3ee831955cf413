//! `no_log` and `--diff`: Ansible drops a `no_log` task's diff; hearth keeps it, reduced to the
//! changed lines and with the task's secrets masked, so `hearth plan` can show that a secret
//! line will change without showing the secret. Results themselves are censored in `host_line.rs`.

use super::outcome::TaskOutcome;
use super::state::Env;
use hearth_formats::value::{Map, Value};

/// The values a `no_log` task's diffs must not show: every string variable its arguments read
/// (the token in `line: "token = '{{ runner_token }}'"`) and every literal string argument
/// (`line: token = s3cr3t`). Short values (`true`, `22`) are left, since masking them would
/// hide everything and protect nothing.
pub(super) fn secrets(args: &Value, vars: &Map, env: &Env) -> Vec<String> {
    let mut secrets = Vec::new();
    collect_strings(args, &mut secrets);
    secrets.retain(|s| !hearth_template::is_template(s));
    for name in env.templar.referenced_vars(args) {
        if let Some(v) = vars.get(&name) {
            collect_strings(v, &mut secrets);
        }
    }
    secrets.retain(|s| s.len() >= 6);
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// Every string inside a value (a mapping variable may hold the secret).
fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(m) => m.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// Under `no_log`, hearth still shows `--diff` (Ansible hides it) so that a plan can show *that*
/// a secret line changes: only the changed lines (unchanged ones may hold other secrets), with
/// the task's secrets replaced.
pub(super) fn mask_diffs(out: &mut TaskOutcome, secrets: &[String]) {
    for line in &mut out.lines {
        for d in &mut line.diffs {
            let (before, after) = changed_lines_only(&d.before, &d.after);
            d.before = mask(before, secrets);
            d.after = mask(after, secrets);
        }
    }
}

/// The removed lines and the added lines of a text change, without the lines both sides share.
fn changed_lines_only(before: &str, after: &str) -> (String, String) {
    let diff = similar::TextDiff::from_lines(before, after);
    let (mut old, mut new) = (String::new(), String::new());
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => old.push_str(change.value()),
            similar::ChangeTag::Insert => new.push_str(change.value()),
            similar::ChangeTag::Equal => {}
        }
    }
    (old, new)
}

/// Replaces every secret in `text`.
fn mask(mut text: String, secrets: &[String]) -> String {
    for s in secrets {
        text = text.replace(s.as_str(), NO_LOG_MASK);
    }
    text
}

/// What a secret looks like in a `no_log` task's diff.
const NO_LOG_MASK: &str = "********";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_lines_are_kept() {
        let (b, a) = changed_lines_only("keep\ntoken = old\nother\n", "keep\ntoken = new\nother\n");
        assert_eq!((b.as_str(), a.as_str()), ("token = old\n", "token = new\n"));
    }

    #[test]
    fn longest_secret_is_masked_whole() {
        let secrets = vec!["abcdef-123".to_string(), "abcdef".to_string()];
        assert_eq!(mask("x abcdef-123 abcdef\n".into(), &secrets), "x ******** ********\n");
    }
}
