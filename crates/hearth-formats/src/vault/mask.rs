//! Decrypted vault values are secrets: every value decrypted in this process is registered here,
//! and the report layer (and the CLI's error and warning lines) replace each occurrence with
//! `********` before anything is printed. Ansible itself prints vaulted values as they are;
//! hearth treats them like `no_log` data. Only exact occurrences are found: a value transformed
//! by a filter (`| b64encode`, `| upper`) is not recognised.

use std::borrow::Cow;
use std::sync::RwLock;

use crate::value::Value;

/// What a masked secret looks like in output.
pub const MASK: &str = "********";

/// Shortest line of a decrypted whole file that is masked on its own (shorter lines such as
/// `---` or `}` are everywhere; masking them would hide the output without protecting anything).
const MIN_LINE: usize = 4;

/// The registered secrets, longest first so a secret containing another is masked whole.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers one decrypted value (and, for multi-line values, each of its longer lines, which is
/// how diffs and line-wise output show them).
pub fn register(secret: &str) {
    // A file's final newline is layout, not secret: masking it would break diffs' line structure.
    let mut all: Vec<&str> = vec![secret.trim_end_matches(['\n', '\r'])];
    if secret.contains('\n') {
        all.extend(secret.lines().map(str::trim).filter(|l| l.len() >= MIN_LINE));
    }
    let mut list = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    for s in all {
        if !s.trim().is_empty() && !list.iter().any(|have| have == s) {
            list.push(s.to_string());
        }
    }
    list.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Registers the strings of a value decrypted from a whole vaulted file (short ones excepted).
pub fn register_strings(v: &Value) {
    match v {
        Value::String(s) if s.trim().len() >= MIN_LINE => register(s),
        Value::Array(items) => items.iter().for_each(register_strings),
        Value::Object(m) => m.values().for_each(register_strings),
        _ => {}
    }
}

/// True when something was decrypted, i.e. when output needs masking at all.
pub fn active() -> bool {
    !SECRETS.read().unwrap_or_else(|p| p.into_inner()).is_empty()
}

/// `text` with every registered secret replaced by [`MASK`].
pub fn mask(text: &str) -> Cow<'_, str> {
    let list = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = Cow::Borrowed(text);
    for s in list.iter() {
        if out.contains(s.as_str()) {
            out = Cow::Owned(out.replace(s.as_str(), MASK));
        }
    }
    out
}

/// Masks a string in place.
pub fn mask_string(text: &mut String) {
    if let Cow::Owned(masked) = mask(text) {
        *text = masked;
    }
}

/// Masks every string (keys included) inside a value, in place.
pub fn mask_value(v: &mut Value) {
    match v {
        Value::String(s) => mask_string(s),
        Value::Array(items) => items.iter_mut().for_each(mask_value),
        Value::Object(m) => {
            let masked: crate::value::Map = std::mem::take(m)
                .into_iter()
                .map(|(mut k, mut v)| {
                    mask_string(&mut k);
                    mask_value(&mut v);
                    (k, v)
                })
                .collect();
            *m = masked;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_masked_everywhere() {
        register("vault-mask-unit-secret");
        register("multi\nvault-mask-line-two\n");
        assert!(active());
        assert_eq!(mask("pw=vault-mask-unit-secret;"), "pw=********;");
        assert_eq!(mask("+vault-mask-line-two"), "+********");
        let mut v = serde_json::json!({"msg": ["x vault-mask-unit-secret"], "n": 1});
        mask_value(&mut v);
        assert_eq!(v, serde_json::json!({"msg": ["x ********"], "n": 1}));
        assert!(matches!(mask("nothing here"), Cow::Borrowed(_)));
    }
}
