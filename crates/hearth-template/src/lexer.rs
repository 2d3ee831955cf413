//! A small lexer for the expressions inside a Jinja template (`{{ }}` and `{% %}`), just good
//! enough to find names, dots, brackets, pipes and string literals with their byte positions, so
//! that `rewrite` can change a few constructs before minijinja compiles the text.
//! It does not parse: operators are single characters, numbers are runs of digits, and
//! line statements (`line_statement_prefix`) are not seen.

/// The delimiters of a template (Jinja2's defaults unless a `#jinja2:` header changes them).
#[derive(Debug, Clone, PartialEq)]
pub struct Delimiters {
    /// `variable_start_string`, `variable_end_string`.
    pub variable: (String, String),
    /// `block_start_string`, `block_end_string`.
    pub block: (String, String),
    /// `comment_start_string`, `comment_end_string`.
    pub comment: (String, String),
}

impl Default for Delimiters {
    fn default() -> Self {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        Delimiters { variable: pair("{{", "}}"), block: pair("{%", "%}"), comment: pair("{#", "#}") }
    }
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// An identifier (`a`, `default`, `is`).
    Name,
    /// A quoted string literal, quotes included.
    Str,
    /// A run of digits.
    Num,
    /// Any other single character (`.`, `|`, `[`, `(`, ...).
    Op(char),
    /// The end of one `{{ }}` or `{% %}` (nothing spans it).
    End,
}

/// One token: its kind and its byte range in the source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tok {
    /// What it is.
    pub kind: Kind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// The tokens of every expression in a template, each expression followed by an `End`.
/// Comments and `{% raw %}` blocks are skipped.
pub fn template_tokens(text: &str, d: &Delimiters) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some((at, which)) = next_open(text, pos, d) {
        match which {
            Open::Comment => {
                let body = at + d.comment.0.len();
                pos = find_from(text, body, &d.comment.1).map_or(text.len(), |e| e + d.comment.1.len());
            }
            Open::Block if is_raw(text, at + d.block.0.len(), d) => {
                pos = end_of_raw(text, at, d);
            }
            Open::Block => pos = expression(text, at + d.block.0.len(), Some(&d.block.1), &mut out),
            Open::Variable => pos = expression(text, at + d.variable.0.len(), Some(&d.variable.1), &mut out),
        }
    }
    out
}

/// The tokens of a bare expression (`when:`), followed by an `End`.
pub fn expression_tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    expression(text, 0, None, &mut out);
    out
}

/// Which kind of tag opens at a position.
enum Open {
    Variable,
    Block,
    Comment,
}

/// The first tag opening at or after `pos`.
fn next_open(text: &str, pos: usize, d: &Delimiters) -> Option<(usize, Open)> {
    [(&d.variable.0, Open::Variable), (&d.block.0, Open::Block), (&d.comment.0, Open::Comment)]
        .into_iter()
        .filter(|(s, _)| !s.is_empty())
        .filter_map(|(s, o)| find_from(text, pos, s).map(|at| (at, o)))
        .min_by_key(|(at, _)| *at)
}

fn find_from(text: &str, pos: usize, needle: &str) -> Option<usize> {
    text.get(pos..)?.find(needle).map(|i| i + pos)
}

/// The word after a block tag's opening (`raw` in `{%- raw %}`) and where it ends.
fn block_word(text: &str, body: usize) -> (&str, usize) {
    let rest = text.get(body..).unwrap_or_default();
    let trimmed = rest.trim_start_matches(['-', '+']).trim_start();
    let start = body + rest.len() - trimmed.len();
    let len = trimmed.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(trimmed.len());
    (&trimmed[..len], start + len)
}

fn is_raw(text: &str, body: usize, d: &Delimiters) -> bool {
    let (word, after) = block_word(text, body);
    let rest = text.get(after..).unwrap_or_default().trim_start().trim_start_matches(['-', '+']);
    word == "raw" && rest.starts_with(&d.block.1)
}

/// Where the text after `{% raw %}`'s matching `{% endraw %}` starts.
fn end_of_raw(text: &str, at: usize, d: &Delimiters) -> usize {
    let mut pos = at + d.block.0.len();
    while let Some(open) = find_from(text, pos, &d.block.0) {
        let (word, after) = block_word(text, open + d.block.0.len());
        if word == "endraw" {
            return find_from(text, after, &d.block.1).map_or(text.len(), |e| e + d.block.1.len());
        }
        pos = open + d.block.0.len();
    }
    text.len()
}

/// Lexes one expression from `pos` up to `close` (at bracket depth 0, outside strings) or the
/// end of the text; returns the position after `close`.
fn expression(text: &str, mut pos: usize, close: Option<&str>, out: &mut Vec<Tok>) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    while pos < bytes.len() {
        if depth == 0
            && let Some(c) = close
            && text[pos..].starts_with(c)
        {
            out.push(Tok { kind: Kind::End, start: pos, end: pos });
            return pos + c.len();
        }
        let b = bytes[pos];
        let start = pos;
        let kind = if b.is_ascii_whitespace() {
            pos += 1;
            continue;
        } else if b.is_ascii_alphabetic() || b == b'_' {
            pos = run(bytes, pos, |c| c.is_ascii_alphanumeric() || c == b'_');
            Kind::Name
        } else if b.is_ascii_digit() {
            pos = run(bytes, pos, |c| c.is_ascii_digit() || c == b'_');
            Kind::Num
        } else if b == b'\'' || b == b'"' {
            pos = string_end(bytes, pos);
            Kind::Str
        } else {
            // One character, which may be multi-byte.
            let ch = text[pos..].chars().next().unwrap_or(' ');
            pos += ch.len_utf8();
            match ch {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            Kind::Op(ch)
        };
        out.push(Tok { kind, start, end: pos });
    }
    out.push(Tok { kind: Kind::End, start: pos, end: pos });
    pos
}

fn run(bytes: &[u8], mut pos: usize, keep: impl Fn(u8) -> bool) -> usize {
    while pos < bytes.len() && keep(bytes[pos]) {
        pos += 1;
    }
    pos
}

/// One past a string literal's closing quote (or the end of the text).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut pos = start + 1;
    while pos < bytes.len() {
        match bytes[pos] {
            b'\\' => pos += 2,
            c if c == quote => return pos + 1,
            _ => pos += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str, toks: &[Tok]) -> Vec<String> {
        toks.iter()
            .map(|t| if t.kind == Kind::End { "$".to_string() } else { src[t.start..t.end].to_string() })
            .collect()
    }

    #[test]
    fn lexes_expressions_and_skips_text_comments_and_raw() {
        let src = "x {{ a.b['c}}'] }} {# {{ no }} #}{% raw %}{{ no }}{% endraw %}{%- if d | e -%}";
        let toks = template_tokens(src, &Delimiters::default());
        assert_eq!(
            texts(src, &toks),
            ["a", ".", "b", "[", "'c}}'", "]", "$", "-", "if", "d", "|", "e", "-", "$"]
        );
    }

    #[test]
    fn braces_inside_an_expression_do_not_close_it() {
        let src = "{{ {'a': {'b': 1}} }}";
        let toks = template_tokens(src, &Delimiters::default());
        assert_eq!(texts(src, &toks).last().map(String::as_str), Some("$"));
        assert_eq!(toks.iter().filter(|t| t.kind == Kind::End).count(), 1);
        assert_eq!(toks.last().map(|t| t.start), Some(src.len() - 2));
    }

    #[test]
    fn odd_input_never_panics() {
        for src in [
            "{{",
            "{{ 'unterminated",
            "{{ '\\é' }}é",
            "{% raw %}",
            "{% raw %}{{ x }}",
            "{#",
            "{{ é.ü | d }}",
            "}}{{ a[ }}",
            "{{ a) }}",
            "{%- raw -%}x{%- endraw -%}{{ a.b|d }}",
            "\u{1F600}{{ \"\\\u{1F600}\" }}",
        ] {
            let toks = template_tokens(src, &Delimiters::default());
            assert!(
                toks.iter().all(|t| src.is_char_boundary(t.start) && src.is_char_boundary(t.end)),
                "{src}"
            );
            let _ = crate::rewrite::rewrite_template(src, &Delimiters::default());
            let _ = expression_tokens(src);
        }
    }

    #[test]
    fn bare_expression() {
        let src = "a.0 is defined and \"x\\\"y\"";
        assert_eq!(
            texts(src, &expression_tokens(src)),
            ["a", ".", "0", "is", "defined", "and", "\"x\\\"y\"", "$"]
        );
    }
}
