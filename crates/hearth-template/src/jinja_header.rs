//! The Jinja2 environment settings of one template file: the `template` module's defaults and
//! options, overridden by a `#jinja2: key: value, ...` first line the way Ansible's templar
//! reads it (comma-separated pairs, values read as Python literals, the line dropped), and
//! Ansible's restoring of the source's trailing newlines after rendering.
//! It does not apply `newline_sequence` (the caller does) and does not warn about keys that are
//! no Jinja2 setting (Ansible warns; hearth ignores them, which renders the same text).

use minijinja::syntax::SyntaxConfig;

use hearth_formats::pyliteral::literal_eval;
use hearth_formats::value::Value;

/// What marks a first line as an override header.
pub const HEADER: &str = "#jinja2:";

/// Jinja2 settings that would change the output and that hearth cannot honour.
const UNSUPPORTED: &[&str] = &["autoescape", "extensions", "finalize", "undefined", "enable_async"];

/// A `#jinja2:` header that cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// A pair without `:` (Ansible's wording).
    #[error(
        "failed to parse jinja2 override '{0}'. Did you use something different from colon as \
         key-value separator?"
    )]
    NoColon(String),
    /// The value is not a Python literal (`yes` instead of `True`, an unquoted string).
    #[error("jinja2 override {key}: {value} is not a Python literal")]
    NotLiteral {
        /// The setting.
        key: String,
        /// The text after the colon.
        value: String,
    },
    /// A delimiter or prefix given as something other than a string.
    #[error("jinja2 override {0} must be a string")]
    NotString(String),
    /// `newline_sequence` other than `'\n'`, `'\r'`, `'\r\n'`.
    #[error("jinja2 override newline_sequence must be one of '\\n', '\\r' or '\\r\\n'")]
    BadNewline,
    /// A real Jinja2 setting hearth does not implement.
    #[error("jinja2 override {0} is not supported by hearth")]
    Unsupported(String),
}

/// The Jinja2 environment one template renders with.
#[derive(Debug, Clone, PartialEq)]
pub struct JinjaSettings {
    /// `block_start_string`, `block_end_string`.
    pub block: (String, String),
    /// `variable_start_string`, `variable_end_string`.
    pub variable: (String, String),
    /// `comment_start_string`, `comment_end_string`.
    pub comment: (String, String),
    /// `line_statement_prefix` (none by default).
    pub line_statement_prefix: Option<String>,
    /// `line_comment_prefix` (none by default).
    pub line_comment_prefix: Option<String>,
    /// Remove the first newline after a block tag.
    pub trim_blocks: bool,
    /// Strip spaces and tabs before a block tag at the start of a line.
    pub lstrip_blocks: bool,
    /// Keep the template's final newline (Ansible restores trailing newlines anyway).
    pub keep_trailing_newline: bool,
    /// Line ending of the output.
    pub newline_sequence: &'static str,
}

impl Default for JinjaSettings {
    /// The `template` module's defaults: Jinja2's, with `trim_blocks` on.
    fn default() -> Self {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        JinjaSettings {
            block: pair("{%", "%}"),
            variable: pair("{{", "}}"),
            comment: pair("{#", "#}"),
            line_statement_prefix: None,
            line_comment_prefix: None,
            trim_blocks: true,
            lstrip_blocks: false,
            keep_trailing_newline: false,
            newline_sequence: "\n",
        }
    }
}

impl JinjaSettings {
    /// Applies a leading `#jinja2:` line and returns the text without it (all of `text` when
    /// there is no header).
    pub fn apply_header<'a>(&mut self, text: &'a str) -> Result<&'a str, HeaderError> {
        let Some(rest) = text.strip_prefix(HEADER) else {
            return Ok(text);
        };
        let (line, body) = rest.split_once('\n').unwrap_or((rest, ""));
        for pair in line.split(',') {
            let (key, value) =
                pair.split_once(':').ok_or_else(|| HeaderError::NoColon(pair.trim().into()))?;
            let (key, value) = (key.trim(), value.trim());
            let parsed = literal_eval(value)
                .ok_or_else(|| HeaderError::NotLiteral { key: key.into(), value: value.into() })?;
            self.set(key, parsed)?;
        }
        Ok(body)
    }

    /// Sets one Jinja2 environment attribute from its literal value.
    fn set(&mut self, key: &str, value: Value) -> Result<(), HeaderError> {
        let text = || value.as_str().map(str::to_string).ok_or_else(|| HeaderError::NotString(key.into()));
        match key {
            "block_start_string" => self.block.0 = text()?,
            "block_end_string" => self.block.1 = text()?,
            "variable_start_string" => self.variable.0 = text()?,
            "variable_end_string" => self.variable.1 = text()?,
            "comment_start_string" => self.comment.0 = text()?,
            "comment_end_string" => self.comment.1 = text()?,
            "line_statement_prefix" => {
                self.line_statement_prefix = prefix(&value).ok_or(HeaderError::NotString(key.into()))?
            }
            "line_comment_prefix" => {
                self.line_comment_prefix = prefix(&value).ok_or(HeaderError::NotString(key.into()))?
            }
            "trim_blocks" => self.trim_blocks = py_truthy(&value),
            "lstrip_blocks" => self.lstrip_blocks = py_truthy(&value),
            "keep_trailing_newline" => self.keep_trailing_newline = py_truthy(&value),
            "newline_sequence" => {
                self.newline_sequence = value.as_str().and_then(newline).ok_or(HeaderError::BadNewline)?;
            }
            k if UNSUPPORTED.contains(&k) => return Err(HeaderError::Unsupported(k.into())),
            _ => {}
        }
        Ok(())
    }

    /// The delimiters, for the source rewriting that runs before minijinja.
    pub fn delimiters(&self) -> super::lexer::Delimiters {
        super::lexer::Delimiters {
            variable: self.variable.clone(),
            block: self.block.clone(),
            comment: self.comment.clone(),
        }
    }

    /// The minijinja syntax for these settings.
    pub fn syntax(&self) -> Result<SyntaxConfig, minijinja::Error> {
        let mut b = SyntaxConfig::builder();
        b.block_delimiters(self.block.0.clone(), self.block.1.clone())
            .variable_delimiters(self.variable.0.clone(), self.variable.1.clone())
            .comment_delimiters(self.comment.0.clone(), self.comment.1.clone())
            .trim_blocks(self.trim_blocks)
            .lstrip_blocks(self.lstrip_blocks)
            .keep_trailing_newline(self.keep_trailing_newline);
        if let Some(p) = &self.line_statement_prefix {
            b.line_statement_prefix(p.clone());
        }
        if let Some(p) = &self.line_comment_prefix {
            b.line_comment_prefix(p.clone());
        }
        b.build()
    }
}

/// `None` (no prefix) or a string; `Some(None)` for Python's `None`, `None` for other types.
fn prefix(v: &Value) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        _ => None,
    }
}

/// One of the line endings Jinja2 accepts, also in the escaped forms Ansible's `template`
/// options accept (`"\\n"`).
pub fn newline(s: &str) -> Option<&'static str> {
    match s {
        "\n" | "\\n" => Some("\n"),
        "\r" | "\\r" => Some("\r"),
        "\r\n" | "\\r\\n" => Some("\r\n"),
        _ => None,
    }
}

/// Python's `bool(value)`, as Jinja2 reads its flags.
fn py_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Ansible's `preserve_trailing_newlines`: the output ends in at least as many `\n` as the
/// source (`source` being the whole file, header included).
pub fn restore_trailing_newlines(source: &str, mut rendered: String) -> String {
    let count = |s: &str| s.len() - s.trim_end_matches('\n').len();
    let missing = count(source).saturating_sub(count(&rendered));
    rendered.push_str(&"\n".repeat(missing));
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str) -> Result<(JinjaSettings, String), HeaderError> {
        let mut s = JinjaSettings::default();
        let body = s.apply_header(text)?.to_string();
        Ok((s, body))
    }

    #[test]
    fn no_header_keeps_text_and_defaults() {
        let (s, body) = apply("x\n#jinja2: trim_blocks: False\n").unwrap();
        assert_eq!((s, body.as_str()), (JinjaSettings::default(), "x\n#jinja2: trim_blocks: False\n"));
        assert_eq!(apply(" #jinja2: lstrip_blocks: True\n").unwrap().0, JinjaSettings::default());
    }

    #[test]
    fn header_pairs_are_python_literals() {
        let text = "#jinja2: lstrip_blocks: True, trim_blocks:0,newline_sequence:'\\r\\n', \
                    variable_start_string: \"[[\", variable_end_string: ']]', keep_trailing_newline: 1\nbody\n";
        let (s, body) = apply(text).unwrap();
        assert_eq!(body, "body\n");
        assert!(s.lstrip_blocks && !s.trim_blocks && s.keep_trailing_newline);
        assert_eq!(s.newline_sequence, "\r\n");
        assert_eq!(s.variable, ("[[".to_string(), "]]".to_string()));
        assert_eq!(s.block, ("{%".to_string(), "%}".to_string()));
    }

    #[test]
    fn all_delimiters_and_prefixes() {
        let text = "#jinja2:block_start_string:'<%',block_end_string:'%>',comment_start_string:'<#',\
                    comment_end_string:'#>',line_statement_prefix:'%%',line_comment_prefix:None\n";
        let (s, body) = apply(text).unwrap();
        assert_eq!(body, "");
        assert_eq!((s.block.0.as_str(), s.block.1.as_str()), ("<%", "%>"));
        assert_eq!((s.comment.0.as_str(), s.comment.1.as_str()), ("<#", "#>"));
        assert_eq!(
            (s.line_statement_prefix.as_deref(), s.line_comment_prefix.as_deref()),
            (Some("%%"), None)
        );
        assert!(s.syntax().is_ok());
    }

    #[test]
    fn bad_headers_are_errors_like_ansible() {
        let err = |t: &str| apply(t).unwrap_err().to_string();
        assert!(
            err("#jinja2:lstrip_blocks\nz\n").contains("failed to parse jinja2 override 'lstrip_blocks'")
        );
        assert!(err("#jinja2:lstrip_blocks: yes\n").contains("not a Python literal"));
        assert!(err("#jinja2:variable_start_string: 1\n").contains("must be a string"));
        assert!(err("#jinja2:newline_sequence: 'x'\n").contains("newline_sequence"));
        assert!(err("#jinja2:autoescape: True\n").contains("not supported"));
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let (s, body) = apply("#jinja2: lstrip_blocks: True, bogus: 1\nz\n").unwrap();
        assert!(s.lstrip_blocks);
        assert_eq!(body, "z\n");
    }

    #[test]
    fn trailing_newlines_follow_the_source() {
        assert_eq!(restore_trailing_newlines("{{ x }}\n", "b".into()), "b\n");
        assert_eq!(restore_trailing_newlines("{{ x }}\n", "b\n".into()), "b\n");
        assert_eq!(restore_trailing_newlines("x\n\n\n", "x\n".into()), "x\n\n\n");
        assert_eq!(restore_trailing_newlines("", "".into()), "");
        assert_eq!(restore_trailing_newlines("x", "x\n\n".into()), "x\n\n");
    }
}
