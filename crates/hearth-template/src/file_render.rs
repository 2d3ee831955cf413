//! Rendering a template file (the `template` module's source): like a string, but an error
//! names the file and the line, as an editor counts it. It does not find or read the file.

use crate::{Templar, TemplateError, describe, lexer, rewrite};

impl Templar {
    /// Renders a template file's text with its own syntax (delimiters, `trim_blocks`,
    /// `lstrip_blocks`, as the `template` module's options say; filters, tests and lookups stay
    /// the same); an error starts with `name:line` (lines counted from `first_line`, after a
    /// `#jinja2:` header), so a Jinja syntax error in a file says where it is.
    pub fn render_file(
        &self,
        (name, first_line): (&str, usize),
        text: &str,
        ctx: &minijinja::Value,
        syntax: minijinja::syntax::SyntaxConfig,
        delimiters: &lexer::Delimiters,
    ) -> Result<String, TemplateError> {
        let mut env = self.env.clone();
        env.set_syntax(syntax);
        let text = rewrite::rewrite_template(text, delimiters);
        env.render_str(&text, ctx).map_err(|e| {
            let mut message = describe(&e);
            let at = match e.line() {
                Some(line) => {
                    // minijinja names the text it was given `<string>`: say the file instead.
                    message = message.replacen(&format!(" (in <string>:{line})"), "", 1);
                    format!("{name}:{}", line + first_line.max(1) - 1)
                }
                None => name.to_string(),
            };
            TemplateError { message: format!("{at}: {message}") }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Templar;
    use crate::lexer::Delimiters;
    use hearth_formats::value::Map;

    fn render(text: &str, first_line: usize) -> Result<String, String> {
        let t = Templar::new();
        let syntax = minijinja::syntax::SyntaxConfig::default();
        t.render_file(("t.j2", first_line), text, &t.context(&Map::new()), syntax, &Delimiters::default())
            .map_err(|e| e.message)
    }

    #[test]
    fn errors_name_the_file_and_line() {
        assert_eq!(render("a\nb {{ 1 }}\n", 1).as_deref(), Ok("a\nb 1"));
        let e = render("one\ntwo {{ foo( }}\n", 1).unwrap_err();
        assert!(e.starts_with("t.j2:2: syntax error: unexpected"), "{e}");
        assert!(!e.contains("<string>"), "{e}");
        // After a one-line `#jinja2:` header the body starts on line 2.
        assert!(render("{% if %}\n", 2).unwrap_err().starts_with("t.j2:2: syntax error"));
        assert!(render("{{ nope }}", 1).unwrap_err().starts_with("t.j2:1: undefined variable"));
    }
}
