//! Ansible's `comment` filter: wraps text in a comment block of a predefined style (`plain`,
//! `erlang`, `c`, `cblock`, `xml`) with Ansible's `decoration`, `prefix`, `postfix`,
//! `beginning`, `end`, `newline` and count parameters.
//! Not here: other text filters (`filters_text.rs`). Unknown keyword arguments are an error
//! (Ansible ignores them).

use minijinja::value::Kwargs;
use minijinja::{Environment, Error};

use super::filter_support::filter_error;

/// Registers `comment`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("comment", comment);
}

/// The parts of one comment block, as Ansible's `comment` filter names them.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentStyle {
    /// Line separator of the input and the output.
    pub newline: String,
    /// A line before everything (`/*`), omitted when empty.
    pub beginning: String,
    /// A line repeated `prefix_count` times before the text, omitted when empty.
    pub prefix: String,
    /// How many prefix lines.
    pub prefix_count: i64,
    /// What starts every line of the text.
    pub decoration: String,
    /// A line repeated `postfix_count` times after the text (each preceded by a newline).
    pub postfix: String,
    /// How many postfix lines.
    pub postfix_count: i64,
    /// A line after everything (` */`), omitted when empty.
    pub end: String,
}

impl CommentStyle {
    /// A predefined style, with prefix and postfix derived from `decoration` (the style's own
    /// unless given) like Ansible does; `None` for an unknown style name.
    pub fn named(style: &str, decoration: Option<&str>) -> Option<CommentStyle> {
        let (beginning, own, end) = match style {
            "plain" => ("", "# ", ""),
            "erlang" => ("", "% ", ""),
            "c" => ("", "// ", ""),
            "cblock" => ("/*", " * ", " */"),
            "xml" => ("<!--", " - ", "-->"),
            _ => return None,
        };
        let fix = decoration.unwrap_or(own).trim_end().to_string();
        Some(CommentStyle {
            newline: "\n".into(),
            beginning: beginning.into(),
            prefix: fix.clone(),
            prefix_count: 1,
            decoration: decoration.unwrap_or(own).into(),
            postfix: fix,
            postfix_count: 1,
            end: end.into(),
        })
    }

    /// The comment block around `text`.
    pub fn render(&self, text: &str) -> String {
        let nl = &self.newline;
        let count = |n: i64| usize::try_from(n).unwrap_or(0);
        let mut out = String::new();
        if !self.beginning.is_empty() {
            out.push_str(&format!("{}{nl}", self.beginning));
        }
        if !self.prefix.is_empty() {
            let line = if self.prefix == *nl { nl.clone() } else { format!("{}{nl}", self.prefix) };
            out.push_str(&line.repeat(count(self.prefix_count)));
        }
        let deco = &self.decoration;
        let body = format!("{deco}{}", text.replace(nl.as_str(), &format!("{nl}{deco}")));
        out.push_str(&body.replace(&format!("{deco}{nl}"), &format!("{}{nl}", deco.trim_end())));
        out.push_str(&format!("{nl}{}", self.postfix).repeat(count(self.postfix_count)));
        if !self.end.is_empty() {
            out.push_str(&format!("{nl}{}", self.end));
        }
        out
    }
}

/// `comment(style='plain', **kw)`.
fn comment(text: &str, style: Option<&str>, kwargs: Kwargs) -> Result<String, Error> {
    let style = kwargs.get::<Option<&str>>("style")?.or(style).unwrap_or("plain");
    let decoration = kwargs.get::<Option<&str>>("decoration")?;
    let mut c = CommentStyle::named(style, decoration)
        .ok_or_else(|| filter_error(format!("comment: unknown style '{style}'")))?;
    for (key, slot) in [
        ("newline", &mut c.newline),
        ("beginning", &mut c.beginning),
        ("prefix", &mut c.prefix),
        ("postfix", &mut c.postfix),
        ("end", &mut c.end),
    ] {
        if let Some(v) = kwargs.get::<Option<String>>(key)? {
            *slot = v;
        }
    }
    c.prefix_count = kwargs.get::<Option<i64>>("prefix_count")?.unwrap_or(1);
    c.postfix_count = kwargs.get::<Option<i64>>("postfix_count")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    Ok(c.render(text))
}

#[cfg(test)]
mod tests {
    use crate::Templar;

    /// (template, what ansible-core 2.18 rendered)
    const CASES: &[(&str, &str)] = &[
        ("{{ 'managed' | comment }}", "#\n# managed\n#"),
        ("{{ 'a\\nb' | comment('c') }}", "//\n// a\n// b\n//"),
        ("{{ 'a\\n\\nb' | comment('cblock') }}", "/*\n *\n * a\n *\n * b\n *\n */"),
        ("{{ 'a\\nb' | comment('xml') }}", "<!--\n -\n - a\n - b\n -\n-->"),
        ("{{ 'a' | comment('erlang') }}", "%\n% a\n%"),
        ("{{ 'a' | comment(decoration='! ') }}", "!\n! a\n!"),
        (
            "{{ 'a' | comment('plain', prefix='#', prefix_count=2, postfix='#', postfix_count=3) }}",
            "#\n#\n# a\n#\n#\n#",
        ),
        ("{{ 'a' | comment(beginning='BEGIN', end='END', decoration='; ') }}", "BEGIN\n;\n; a\n;\nEND"),
        ("{{ 'a\\nb' | comment(prefix='', postfix='') }}", "# a\n# b\n"),
        ("{{ 'a' | comment(prefix='\\n') }}", "\n# a\n#"),
        ("{{ 'a;b' | comment(newline=';') }}", "#;# a;# b;#"),
        ("{{ 'a' | comment('c', decoration='') }}", "a\n"),
    ];

    #[test]
    fn renders_like_ansible() {
        let t = Templar::new();
        let ctx = t.context(&Default::default());
        for (src, want) in CASES {
            assert_eq!(t.render_str(src, &ctx).unwrap(), *want, "{src}");
        }
    }

    #[test]
    fn unknown_style_is_an_error() {
        let t = Templar::new();
        let err = t.render_str("{{ 'a' | comment('nope') }}", &t.context(&Default::default())).unwrap_err();
        assert!(err.message.contains("unknown style 'nope'"), "{}", err.message);
    }
}
