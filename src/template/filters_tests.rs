//! Filters and tests rendered through a full `Templar`, with outputs checked against
//! ansible-core 2.18 (`ansible localhost -m debug -a 'msg=...'`).

use serde_json::json;

use crate::template::Templar;
use crate::value::Value;

/// Renders a template with the given variables.
fn render(text: &str, vars: Value) -> String {
    let t = Templar::new();
    let ctx = t.context(vars.as_object().unwrap());
    t.render_str(text, &ctx).unwrap_or_else(|e| panic!("{text}: {}", e.message))
}

/// Renders each template with no variables and compares with the expected text.
fn check(cases: &[(&str, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(text, want)| {
            let got = render(text, json!({}));
            (got != *want).then(|| format!("{text}\n  want {want:?}\n  got  {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn python_rendering() {
    check(&[
        ("{{ [1, 'a'] }}", "[1, 'a']"),
        ("{{ {'a': True} }}", "{'a': True}"),
        ("{{ none }}", "None"),
        ("{{ 1.0 }}", "1.0"),
        ("{{ 2 * 1.5 }}", "3.0"),
    ]);
}
