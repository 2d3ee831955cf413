//! Ansible's `_escape_backslashes`: inside `{{ ... }}` of a playbook string, backslashes in
//! string literals are doubled before Jinja sees them, so `regex_replace('\d+', '\1')` written
//! once in YAML reaches the filter as `\d+` and `\1`. Ansible does this for task arguments and
//! variables, not for template files or `when:` (which it wraps in `{% if %}`).
//! Not here: `{% %}` blocks (Ansible leaves them alone too).

use std::borrow::Cow;

/// Doubles backslashes inside string literals of `{{ }}` expressions.
pub fn escape_backslashes(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') || !text.contains("{{") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut in_var = false;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        out.push(c);
        match (in_var, quote) {
            (false, _) => {
                if c == '{' && chars.next_if_eq(&'{').is_some() {
                    out.push('{');
                    in_var = true;
                }
            }
            (true, None) => match c {
                '\'' | '"' => quote = Some(c),
                '}' if chars.next_if_eq(&'}').is_some() => {
                    out.push('}');
                    in_var = false;
                }
                _ => {}
            },
            (true, Some(q)) => {
                if c == '\\' {
                    out.push('\\');
                    // The escaped character never ends the literal.
                    if let Some(next) = chars.next() {
                        out.push(next);
                        if next == '\\' {
                            out.push('\\');
                        }
                    }
                } else if c == q {
                    quote = None;
                }
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_only_inside_expression_literals() {
        assert_eq!(escape_backslashes(r"a\b {{ x }}"), r"a\b {{ x }}");
        assert_eq!(
            escape_backslashes(r"{{ x | regex_replace('\d', '\1') }}"),
            r"{{ x | regex_replace('\\d', '\\1') }}"
        );
        assert_eq!(escape_backslashes(r#"{{ "it\"s" ~ 'a\\b' }} \n"#), r#"{{ "it\\"s" ~ 'a\\\\b' }} \n"#);
        assert_eq!(escape_backslashes(r"{% if '\d' %}"), r"{% if '\d' %}");
    }
}
