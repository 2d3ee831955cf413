//! Jinja templating with Ansible's semantics: strict undefined variables, `{{ }}` in any string,
//! a lone `{{ expr }}` keeps its native type (lists stay lists), booleans render as
//! `True`/`False`, and Ansible's filters, tests and lookups (see `filters`, `lookups`).

mod chain;
mod escape;
mod file_render;
mod filter_support;
pub mod filters;
mod filters_comment;
mod filters_data;
mod filters_ip;
mod filters_lists;
mod filters_password;
mod filters_regex;
mod filters_text;
mod fqcn;
mod ipaddr;
pub mod jinja_header;
mod jinja_tests;
pub mod lexer;
pub mod lookups;
pub mod plugins;
pub mod pyjson;
mod pymethods;
pub mod pyrepr;
mod rewrite;
mod version;

use minijinja::value::ValueKind;
use minijinja::{Environment, UndefinedBehavior};

use hearth_formats::value::{Map, Value};

/// A template or expression that failed to compile or render.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// What went wrong, including the undefined variable's name or the bad syntax's position.
    pub message: String,
}

impl From<minijinja::Error> for TemplateError {
    fn from(e: minijinja::Error) -> Self {
        TemplateError { message: describe(&e) }
    }
}

/// Builds a readable message from a minijinja error and its causes.
fn describe(e: &minijinja::Error) -> String {
    let mut msg = match e.kind() {
        minijinja::ErrorKind::UndefinedError => match e.detail() {
            Some(d) => format!("undefined variable: {d}"),
            None => "undefined variable".to_string(),
        },
        minijinja::ErrorKind::UnknownFilter => {
            let name = e.detail().and_then(|d| d.strip_prefix("filter ")?.strip_suffix(" is unknown"));
            match name.and_then(plugins::unknown_filter_message) {
                Some(m) => m,
                None => e.to_string(),
            }
        }
        // A filter's own failure: its message as Ansible words it, without minijinja's prefix.
        minijinja::ErrorKind::InvalidOperation => e.detail().map_or_else(|| e.to_string(), str::to_string),
        _ => e.to_string(),
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

/// The template engine shared by every task of a run.
pub struct Templar {
    env: Environment<'static>,
}

impl Default for Templar {
    fn default() -> Self {
        Templar::new()
    }
}

impl Templar {
    /// An environment configured like Ansible's Jinja2.
    pub fn new() -> Templar {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Ansible keeps a template's final newline (Jinja2's default drops it), and its Templar
        // environment has `trim_blocks=True` for every string, not only for template files.
        if let Ok(syntax) =
            minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).trim_blocks(true).build()
        {
            env.set_syntax(syntax);
        }
        env.set_formatter(filters::ansible_formatter);
        env.set_unknown_method_callback(pymethods::call_method);
        filters::register(&mut env);
        lookups::register(&mut env);
        chain::register(&mut env);
        Templar { env }
    }

    /// Turns variables into a template context once, to be reused for every string of a task.
    pub fn context(&self, vars: &Map) -> minijinja::Value {
        minijinja::Value::from(minijinja::value::Serde(vars))
    }

    /// Renders a template file's text to a string (string literals keep Jinja's escapes, as in
    /// Ansible's `template` module; playbook strings go through `render_value`).
    pub fn render_str(&self, text: &str, ctx: &minijinja::Value) -> Result<String, TemplateError> {
        let text = rewrite::rewrite_template(text, &lexer::Delimiters::default());
        Ok(self.env.render_str(&text, ctx)?)
    }

    /// Evaluates a bare expression (`when:`, `changed_when:`, `that:`) to its truth value,
    /// with Ansible's reading of strings ("yes", "true", "1" are true).
    pub fn eval_bool(&self, expr: &str, ctx: &minijinja::Value) -> Result<bool, TemplateError> {
        let v = self.eval(expr, ctx)?;
        Ok(truthy(&v))
    }

    /// Evaluates a bare expression to a value.
    pub fn eval(&self, expr: &str, ctx: &minijinja::Value) -> Result<Value, TemplateError> {
        let expr = expr.trim();
        // Ansible accepts `when: "{{ x }}"` too (with a warning); strip the braces.
        let expr = lone_expression(expr).unwrap_or(expr);
        let expr = rewrite::rewrite_expression(expr);
        let compiled = self.env.compile_expression(&expr)?;
        let v = compiled.eval(ctx)?;
        to_value(&v)
    }

    /// Resolves variables whose values are themselves templates (`b: "{{ a }}-x"`), the way
    /// Ansible templates variables lazily on use. Values that cannot be rendered yet (undefined
    /// names) stay as written. `extra` is merged into the context only (e.g. `hostvars`).
    pub fn resolve_vars(&self, vars: &mut Map, extra: impl Fn(&Map) -> minijinja::Value) {
        // Dependency order: a variable is rendered only once the variables it names are plain
        // values, so `c: "{{ 'x' in b }}"` never sees `b` still as its template text. When no
        // variable is ready (a cycle, or a name that cannot be resolved), everything left is
        // tried as it is, which leaves what cannot render as written.
        for _ in 0..32 {
            let pending: Vec<String> =
                vars.iter().filter(|(_, v)| value_has_template(v)).map(|(k, _)| k.clone()).collect();
            if pending.is_empty() {
                return;
            }
            let ready: Vec<String> = pending
                .iter()
                .filter(|k| {
                    let refs = self.referenced_vars(&vars[k.as_str()]);
                    !pending.iter().any(|p| p != *k && refs.contains(p))
                })
                .cloned()
                .collect();
            if !(self.render_pending(vars, &ready, &extra) || self.render_pending(vars, &pending, &extra)) {
                return;
            }
        }
    }

    /// Renders the given variables in place; true when any of them changed.
    fn render_pending(
        &self,
        vars: &mut Map,
        keys: &[String],
        extra: &impl Fn(&Map) -> minijinja::Value,
    ) -> bool {
        if keys.is_empty() {
            return false;
        }
        let ctx = extra(vars);
        let mut progressed = false;
        for k in keys {
            if let Ok(r) = self.render_value(&vars[k.as_str()], &ctx)
                && r != vars[k.as_str()]
            {
                vars.insert(k.clone(), r);
                progressed = true;
            }
        }
        progressed
    }

    /// The top-level variable names the templates inside a value read (e.g. to know which
    /// values a `no_log` task must mask).
    pub fn referenced_vars(&self, v: &Value) -> std::collections::HashSet<String> {
        match v {
            Value::String(s) if is_template(s) => {
                let escaped = escape::escape_backslashes(s);
                self.env
                    .template_from_str(&escaped)
                    .map(|t| t.undeclared_variables(false))
                    .unwrap_or_default()
            }
            Value::Array(items) => items.iter().flat_map(|i| self.referenced_vars(i)).collect(),
            Value::Object(m) => m.values().flat_map(|i| self.referenced_vars(i)).collect(),
            _ => Default::default(),
        }
    }

    /// Renders every string inside a value; a string that is a lone `{{ expr }}` becomes the
    /// expression's native value, as in Ansible. Backslashes in the expressions' string literals
    /// are taken literally (Ansible's `_escape_backslashes`), so `'\d+'` written once in YAML
    /// reaches `regex_replace` as `\d+`.
    pub fn render_value(&self, v: &Value, ctx: &minijinja::Value) -> Result<Value, TemplateError> {
        Ok(match v {
            Value::String(s) => self.render_string_value(s, ctx)?,
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.render_value(i, ctx)).collect::<Result<_, _>>()?)
            }
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let key = if is_template(k) { self.render_str(k, ctx)? } else { k.clone() };
                    out.insert(key, self.render_value(v, ctx)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// A string value as Ansible 2.18 templates it (without jinja2_native): a bare defined
    /// variable keeps its bool, number or null; anything else is rendered to text, and text
    /// that looks like a list, mapping or bool is read back as one (`ansible_eval_concat`).
    /// Jinja drops one final newline before that reading; a string result gets the text's
    /// final newlines back.
    fn render_string_value(&self, s: &str, ctx: &minijinja::Value) -> Result<Value, TemplateError> {
        if !is_template(s) {
            return Ok(Value::String(s.to_string()));
        }
        if let Some(v) = single_var(s, ctx) {
            return Ok(v);
        }
        let escaped = escape::escape_backslashes(s);
        let src = escaped.strip_suffix('\n').unwrap_or(&escaped);
        let v = match self.lone_value(src, ctx)? {
            Some(v) => v,
            None => text_to_value(self.render_str(src, ctx)?),
        };
        Ok(match v {
            Value::String(mut text) => {
                let missing = trailing_newlines(s).saturating_sub(trailing_newlines(&text));
                text.push_str(&"\n".repeat(missing));
                Value::String(text)
            }
            native => native,
        })
    }

    /// The value of a text that is one `{{ expression }}` (final newlines aside), as Ansible's
    /// concat gives it; `None` for any other text.
    fn lone_value(&self, src: &str, ctx: &minijinja::Value) -> Result<Option<Value>, TemplateError> {
        let body = src.trim_end_matches('\n');
        let Some(expr) = lone_expression(body).filter(|_| body.starts_with("{{") && body.ends_with("}}"))
        else {
            return Ok(None);
        };
        let expr = rewrite::rewrite_expression(expr);
        let v = self.env.compile_expression(&expr)?.eval(ctx)?;
        let text = match v.kind() {
            ValueKind::Undefined => {
                return Err(TemplateError { message: format!("undefined variable in '{src}'") });
            }
            // Ansible reads the repr of a list or mapping back: the same value.
            ValueKind::Seq | ValueKind::Map => return to_value(&v).map(Some),
            // Text from `to_json`, `to_yaml` or `string` stays text.
            ValueKind::String if v.is_safe() => return Ok(v.as_str().map(|t| Value::String(t.to_string()))),
            // Ansible's finalize turns None into ''.
            ValueKind::None => String::new(),
            ValueKind::Bool => if v.is_true() { "True" } else { "False" }.to_string(),
            _ => v.as_str().map_or_else(|| v.to_string(), str::to_string),
        };
        Ok(Some(text_to_value(text + &src[body.len()..])))
    }
}

/// How many newlines end a text.
fn trailing_newlines(s: &str) -> usize {
    s.len() - s.trim_end_matches('\n').len()
}

/// Ansible's `SINGLE_VAR` shortcut: `{{ name }}` (one final newline allowed, as Python's `$`
/// allows it) naming a defined variable whose value is a bool, a number or null gives that
/// value unrendered.
fn single_var(s: &str, ctx: &minijinja::Value) -> Option<Value> {
    let t = s.strip_suffix('\n').unwrap_or(s);
    let name = t.strip_prefix("{{")?.strip_suffix("}}")?.trim();
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let v = ctx.get_attr(name).ok()?;
    match v.kind() {
        ValueKind::Bool | ValueKind::Number => to_value(&v).ok(),
        ValueKind::None => Some(Value::Null),
        _ => None,
    }
}

/// Rendered text that looks like a list, a mapping or a bool becomes one when it parses as a
/// Python literal (JSON's `true`/`false`/`null` included); any other text stays a string.
fn text_to_value(text: String) -> Value {
    if (text.starts_with(['{', '[']) || text == "True" || text == "False")
        && let Some(v) = hearth_formats::pyliteral::literal_eval_json(&text)
    {
        return v;
    }
    Value::String(text)
}

/// An environment used only to check syntax at load time (no filters needed: they resolve at
/// render time).
fn syntax_env() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(Environment::new)
}

/// Checks the Jinja syntax of every string inside a value (for load-time errors).
pub fn check_value_syntax(v: &Value) -> Result<(), String> {
    match v {
        Value::String(s) if is_template(s) => {
            let escaped = escape::escape_backslashes(s);
            syntax_env()
                .template_from_str(&escaped)
                .map(|_| ())
                .map_err(|e| format!("template error in '{s}': {e}"))
        }
        Value::Array(a) => a.iter().try_for_each(check_value_syntax),
        Value::Object(m) => m.values().try_for_each(check_value_syntax),
        _ => Ok(()),
    }
}

/// Checks the syntax of a bare expression (`when:`), for load-time errors.
pub fn check_expression_syntax(expr: &str) -> Result<(), String> {
    let e = expr.trim();
    let e = lone_expression(e).unwrap_or(e);
    syntax_env()
        .compile_expression(e)
        .map(|_| ())
        .map_err(|err| format!("invalid conditional '{expr}': {err}"))
}

/// True when any string inside a value contains Jinja syntax.
pub fn value_has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => is_template(s),
        Value::Array(a) => a.iter().any(value_has_template),
        Value::Object(m) => m.values().any(value_has_template),
        _ => false,
    }
}

/// True when a string contains Jinja syntax.
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// The inner expression when the whole string is one `{{ expr }}`.
fn lone_expression(s: &str) -> Option<&str> {
    let t = s.trim();
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") {
        return None;
    }
    Some(inner.trim())
}

/// Converts a template value to our data model.
pub fn to_value(v: &minijinja::Value) -> Result<Value, TemplateError> {
    serde_json::to_value(v)
        .map_err(|e| TemplateError { message: format!("cannot convert template result: {e}") })
}

/// Ansible's truth: booleans, non-zero numbers, non-empty collections; strings by their
/// boolean reading (`"false"`, `"no"`, `"0"`, `""` are false).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "" | "false" | "no" | "0" | "off" | "n" | "none"
        ),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(t: &Templar, v: Value) -> minijinja::Value {
        t.context(v.as_object().unwrap())
    }

    #[test]
    fn resolve_vars_renders_in_dependency_order() {
        let t = Templar::new();
        let mut vars = json!({
            "c": "{{ 'x' in b }}", "b": "{{ a }}", "a": ["x", "y"],
            "d": "{{ missing }}-1", "e": "{{ d }}"
        })
        .as_object()
        .unwrap()
        .clone();
        t.resolve_vars(&mut vars, |m| t.context(m));
        assert_eq!(vars["b"], json!(["x", "y"]));
        assert_eq!(vars["c"], json!(true));
        assert_eq!(vars["d"], json!("{{ missing }}-1"), "unresolvable stays as written");
    }

    #[test]
    fn lone_expression_keeps_type() {
        let t = Templar::new();
        let c = ctx(&t, json!({"xs": [1, 2], "n": 3}));
        assert_eq!(t.render_value(&json!("{{ xs }}"), &c).unwrap(), json!([1, 2]));
        assert_eq!(t.render_value(&json!("n={{ n }}"), &c).unwrap(), json!("n=3"));
    }

    #[test]
    fn null_is_kept_only_for_a_bare_variable() {
        let t = Templar::new();
        let c = ctx(&t, json!({"nothing": null, "d": {"k": null}}));
        assert_eq!(t.render_value(&json!("{{ nothing }}"), &c).unwrap(), json!(null));
        assert_eq!(t.render_value(&json!("{{ None }}"), &c).unwrap(), json!(""));
        assert_eq!(t.render_value(&json!("{{ d.k }}"), &c).unwrap(), json!(""));
        assert_eq!(t.render_value(&json!("{{ d.x | default(None) }}"), &c).unwrap(), json!(""));
        assert_eq!(t.render_value(&json!("{{ [None] }}"), &c).unwrap(), json!([null]));
    }

    #[test]
    fn final_newline_kept_on_strings_not_on_lists() {
        let t = Templar::new();
        let c = ctx(&t, json!({"xs": [1, 2], "n": 3, "s": "x=1"}));
        assert_eq!(t.render_value(&json!("{{ s }}\n"), &c).unwrap(), json!("x=1\n"));
        assert_eq!(t.render_value(&json!("{{ n }}\n\n"), &c).unwrap(), json!("3\n\n"));
        assert_eq!(t.render_value(&json!("{{ xs }}\n"), &c).unwrap(), json!([1, 2]));
        // As ansible-playbook 2.18 writes `content: "{{ port }}\n"`: the bare number.
        assert_eq!(t.render_value(&json!("{{ n }}\n"), &c).unwrap(), json!(3));
    }

    #[test]
    fn undefined_is_an_error_naming_the_variable() {
        let t = Templar::new();
        let c = ctx(&t, json!({}));
        let e = t.render_value(&json!("a {{ nope }}"), &c).unwrap_err();
        assert!(e.message.contains("undefined"), "{}", e.message);
    }

    #[test]
    fn booleans_render_like_python() {
        let t = Templar::new();
        let c = ctx(&t, json!({"b": true}));
        assert_eq!(t.render_str("{{ b }} {{ not b }}", &c).unwrap(), "True False");
    }

    #[test]
    fn when_expressions() {
        let t = Templar::new();
        let c = ctx(&t, json!({"x": "yes", "n": 2}));
        assert!(t.eval_bool("n > 1", &c).unwrap());
        assert!(t.eval_bool("{{ n == 2 }}", &c).unwrap());
        assert!(!t.eval_bool("n is not defined", &c).unwrap());
    }
}
