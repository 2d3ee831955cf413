//! The functions `rewrite` turns tolerant chains into: `__hearth_chain(base, keys...)` walks
//! the keys and yields undefined from the first missing step on (Ansible's chainable
//! undefined), and `__hearth_mandatory(name, base, keys, msg=None)` is Ansible's `mandatory`
//! naming the first missing step as Ansible does.
//! Not here: finding the chains (`rewrite.rs`).

use minijinja::value::{Kwargs, Rest};
use minijinja::{Environment, Error, ErrorKind, Value};

use super::pyrepr::py_str;
use super::rewrite::{CHAIN_FN, KEYS_KWARG, MANDATORY_FN};

/// Registers the two functions.
pub fn register(env: &mut Environment<'static>) {
    env.add_function(CHAIN_FN, chain);
    env.add_function(MANDATORY_FN, mandatory_chain);
}

/// The value at the end of the chain, or undefined with the name of the first missing step.
/// `sources` are the `[expr]` steps as written (`_hearth_keys`), to name an undefined key.
fn walk(base: &Value, keys: &[Value], kwargs: &Kwargs) -> Result<Result<Value, Option<String>>, Error> {
    let sources: Option<Vec<String>> = kwargs.get(KEYS_KWARG)?;
    kwargs.assert_all_used()?;
    if base.is_undefined() {
        return Ok(Err(None));
    }
    let mut cur = base.clone();
    for (i, key) in keys.iter().enumerate() {
        if key.is_undefined() {
            // `a[nope]`: Ansible fails on the undefined key even under `default`.
            let src = sources.as_ref().and_then(|s| s.get(i)).map_or("a key", String::as_str);
            return Err(Error::new(ErrorKind::UndefinedError, format!("'{src}' is undefined")));
        }
        cur = cur.get_item(key).unwrap_or(Value::UNDEFINED);
        if cur.is_undefined() {
            return Ok(Err(Some(py_str(key))));
        }
    }
    Ok(Ok(cur))
}

/// `a.b.c` that is undefined (not an error) when any step is missing.
fn chain(base: &Value, keys: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    Ok(walk(base, &keys, &kwargs)?.unwrap_or(Value::UNDEFINED))
}

/// Ansible's `mandatory(msg=None)` on a chain: the value, or an error naming the first missing
/// step (`Mandatory variable 'b'  not defined.`, with Ansible's two spaces).
fn mandatory_chain(
    name: &str,
    base: &Value,
    keys: Vec<Value>,
    msg: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let msg = match msg {
        Some(m) => Some(m),
        None => kwargs.get::<Option<Value>>("msg")?,
    };
    match walk(base, &keys, &kwargs)? {
        Ok(v) => Ok(v),
        Err(missing) => {
            let text = match msg.filter(|m| !m.is_none()) {
                Some(m) => py_str(&m),
                None => format!("Mandatory variable '{}'  not defined.", missing.as_deref().unwrap_or(name)),
            };
            Err(Error::new(ErrorKind::InvalidOperation, text))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Templar;
    use hearth_formats::value::Value;

    /// Renders with `a = {x: 1, l: [1, 2]}` and `n = None`, as the Ansible runs had.
    fn render(text: &str) -> Result<Value, String> {
        let t = Templar::new();
        let ctx = t.context(json!({"a": {"x": 1, "l": [1, 2]}, "n": null}).as_object().unwrap());
        t.render_value(&json!(text), &ctx).map_err(|e| e.message)
    }

    #[test]
    fn missing_steps_are_undefined_under_default_and_defined() {
        // Outputs of ansible-core 2.18 for the same expressions.
        for (text, want) in [
            ("{{ a.b.c | default('x') }}", json!("x")),
            (
                "{{ a.b.c is defined }} {{ a.b.c is undefined }} {{ a.b.c is not defined }}",
                json!("False True True"),
            ),
            (
                "{{ a.b.c | d('y') }} {{ a['b']['c'] | default('z') }} {{ nope.b.c | default('w') }}",
                json!("y z w"),
            ),
            (
                "{{ n.b.c | default('nn') }} {{ a.l.5.x | default('ll') }} {{ a.x.y | default('xx') }}",
                json!("nn ll xx"),
            ),
            // A computed number is rendered to text, as Ansible does.
            ("{{ a.l.1 | default(0) }}", json!("2")),
            ("{{ a.x | mandatory }}", json!("1")),
            (
                "{{ a.b.c is none }} {{ a.b.c is string }} {{ a.b.c is not mapping }} {{ a.b.c is sequence }}",
                json!("False False True False"),
            ),
        ] {
            assert_eq!(render(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn plain_uses_stay_errors() {
        for text in [
            "{{ a.b.c }}",
            "{{ a.b }}",
            "{{ a.b.c == 1 }}",
            "{{ a.b.c | upper | default('x') }}",
            "x{{ a.b.c }}",
        ] {
            assert!(render(text).is_err(), "{text}: {:?}", render(text));
        }
        // An undefined key fails as in Ansible, naming it.
        assert_eq!(
            render("{{ a[nope] | default('x') }}"),
            Err("undefined variable: 'nope' is undefined".into())
        );
        assert_eq!(
            render("{{ a[no.pe] | default(1) }}"),
            Err("undefined variable: `no` is undefined".into())
        );
    }

    #[test]
    fn mandatory_names_the_first_missing_step() {
        assert_eq!(render("{{ a.b.c | mandatory }}"), Err("Mandatory variable 'b'  not defined.".into()));
        assert_eq!(render("{{ nope | mandatory }}"), Err("Mandatory variable 'nope'  not defined.".into()));
        assert_eq!(render("{{ a.b.c | mandatory('m ' ~ a.x) }}"), Err("m 1".into()));
        assert_eq!(render("{{ a.b | mandatory(msg='gone') }}"), Err("gone".into()));
    }

    #[test]
    fn templates_and_conditions_too() {
        let t = Templar::new();
        let ctx = t.context(json!({"a": {}}).as_object().unwrap());
        assert_eq!(t.render_str("{% if a.b.c is defined %}y{% else %}n{% endif %}", &ctx).unwrap(), "n");
        assert!(!t.eval_bool("a.b.c is defined", &ctx).unwrap());
        assert!(t.eval_bool("a.b.c | default(true)", &ctx).unwrap());
        assert!(t.eval_bool("a.b.c", &ctx).is_err());
    }
}
