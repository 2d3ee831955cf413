//! Ansible's `key=value` argument strings (`copy: src=a dest="b c"`, `shell: |` scripts,
//! `-e a=1`), read as ansible-core's `parse_kv`/`split_args`/`join_args` read them: words split
//! on spaces and newlines but kept whole inside quotes and Jinja blocks, and the free-form rest
//! rebuilt with its original newlines and spacing, so a multi-line `shell: |` script stays the
//! script that was written.

use crate::value::{Map, Value};

/// The `key=value` words a free-form module (`command`, `shell`, `raw`, `script`) takes as
/// parameters; any other `k=v` word stays part of its command, as in Ansible.
pub const FREE_FORM_KEYS: &[&str] =
    &["creates", "removes", "chdir", "executable", "warn", "stdin", "stdin_add_newline", "strip_empty_ends"];

/// A string with unbalanced quotes or Jinja delimiters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed at splitting arguments, either an unbalanced jinja2 block or quotes: {0}")]
pub struct SplitError(pub String);

/// Reads `key=value` pairs; the other words, rejoined as written, are the free-form rest (''
/// when none). With `free_form_keys`, only those keys are parameters (Ansible's `check_raw`).
pub fn parse_kv(args: &str, free_form_keys: Option<&[&str]>) -> Result<(Map, String), SplitError> {
    let mut options = Map::new();
    let mut raw = Vec::new();
    for orig in split_args(args)? {
        let x = decode_escapes(&orig);
        let Some(pos) = unescaped_equals(&x) else {
            raw.push(if x.contains('=') { x.replace("\\=", "=") } else { orig });
            continue;
        };
        let (k, v) = (&x[..pos], &x[pos + 1..]);
        if free_form_keys.is_some_and(|keys| !keys.contains(&k)) {
            raw.push(orig);
        } else {
            options.insert(k.trim().to_string(), Value::String(unquote(v.trim()).to_string()));
        }
    }
    Ok((options, join_args(&raw)))
}

/// The first `=` after the first character that no backslash escapes.
fn unescaped_equals(x: &str) -> Option<usize> {
    x.char_indices().skip(1).find(|&(i, c)| c == '=' && !x[..i].ends_with('\\')).map(|(i, _)| i)
}

/// Splits on spaces and newlines, keeping quoted strings and Jinja blocks whole; a word that
/// ended a line carries the newline, and runs of spaces are kept on the word before them.
pub fn split_args(args: &str) -> Result<Vec<String>, SplitError> {
    let mut params: Vec<String> = Vec::new();
    if args.is_empty() {
        return Ok(params);
    }
    let lines: Vec<&str> = args.split('\n').collect();
    let mut st = SplitState::default();
    for (n, line) in lines.iter().enumerate() {
        let continued = st.line(line, &mut params);
        if lines.len() > 1 && n != lines.len() - 1 && !continued {
            last(&mut params).push('\n');
        }
    }
    if st.depth.iter().any(|d| *d > 0) || st.quote.is_some() {
        return Err(SplitError(args.to_string()));
    }
    Ok(params)
}

/// Rebuilds a command from split words: a space between words, none after a newline.
pub fn join_args(words: &[String]) -> String {
    let mut out = String::new();
    for w in words {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// The open quote and the depths of `{{ }}`, `{% %}` and `{# #}` while splitting.
#[derive(Default)]
struct SplitState {
    quote: Option<char>,
    depth: [usize; 3],
}

/// Jinja's block delimiters, in the order of [`SplitState::depth`].
const BLOCKS: [(&str, &str); 3] = [("{{", "}}"), ("{%", "%}"), ("{#", "#}")];

impl SplitState {
    /// Splits one line into `params`; true when it ends with a line continuation (`\`).
    fn line(&mut self, line: &str, params: &mut Vec<String>) -> bool {
        let mut continued = false;
        for (idx, token) in line.split(' ').enumerate() {
            if token.is_empty() && idx != 0 {
                last(params).push(' ');
                continue;
            }
            if token == "\\" && self.quote.is_none() {
                continued = true;
                continue;
            }
            self.token(idx, token, params);
        }
        continued
    }

    fn token(&mut self, idx: usize, token: &str, params: &mut Vec<String>) {
        let was_quoted = self.quote.is_some();
        self.quote = quote_state(token, self.quote);
        let quoted = self.quote.is_some();
        let in_block = self.depth.iter().any(|d| *d > 0);
        let mut appended = false;
        if quoted && !was_quoted && !in_block {
            params.push(token.to_string());
            appended = true;
        } else if in_block || quoted || was_quoted {
            let spacer = if idx > 0 { " " } else { "" };
            let prev = last(params);
            prev.push_str(spacer);
            prev.push_str(token);
            appended = true;
        }
        for (depth, (open, close)) in self.depth.iter_mut().zip(BLOCKS) {
            let before = *depth;
            *depth = count_blocks(token, before, open, close);
            if *depth != before && !appended {
                params.push(token.to_string());
                appended = true;
            }
        }
        if self.depth.iter().all(|d| *d == 0) && !quoted && !appended && !token.is_empty() {
            params.push(token.to_string());
        }
    }
}

/// The last word, made when there is none yet.
fn last(params: &mut Vec<String>) -> &mut String {
    if params.is_empty() {
        params.push(String::new());
    }
    let end = params.len() - 1;
    &mut params[end]
}

/// The quote still open after `token`, given the one open before it (unescaped quotes only).
fn quote_state(token: &str, mut open: Option<char>) -> Option<char> {
    let mut prev = None;
    for c in token.chars() {
        if (c == '"' || c == '\'') && prev != Some('\\') {
            match open {
                Some(q) if q == c => open = None,
                Some(_) => {}
                None => open = Some(c),
            }
        }
        prev = Some(c);
    }
    open
}

/// The block depth after `token`: its opening minus closing delimiters, never below 0.
fn count_blocks(token: &str, depth: usize, open: &str, close: &str) -> usize {
    let (opens, closes) = (token.matches(open).count(), token.matches(close).count());
    (depth + opens).saturating_sub(closes)
}

/// Python's escapes (`\n`, `\t`, `\\`, `\'`, `\"`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`, ...), as
/// Ansible decodes them in `key=value` words; anything else stays as written.
fn decode_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        match escape(tail) {
            Some((c, used)) => {
                out.push(c);
                rest = &tail[used..];
            }
            None => {
                out.push('\\');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character an escape after a backslash stands for, and the bytes it takes.
fn escape(tail: &str) -> Option<(char, usize)> {
    let first = tail.chars().next()?;
    let simple = match first {
        '\\' => Some('\\'),
        '\'' => Some('\''),
        '"' => Some('"'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, 1));
    }
    let digits = match first {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        _ => return None,
    };
    let hex = tail.get(1..1 + digits).filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))?;
    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some((c, 1 + digits))
}

/// Drops matching outer quotes, unless the closing one is escaped (Ansible's `unquote`).
fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    let quoted =
        b.len() > 1 && b[0] == b[b.len() - 1] && matches!(b[0], b'"' | b'\'') && b[b.len() - 2] != b'\\';
    if quoted { &v[1..v.len() - 1] } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(s: &str, keys: Option<&[&str]>) -> (Map, String) {
        parse_kv(s, keys).unwrap()
    }

    #[test]
    fn key_values_with_quotes_and_jinja() {
        let (m, rest) = kv(r#"src=a dest="b c" mode=0644"#, None);
        assert_eq!(
            (m["src"].as_str(), m["dest"].as_str(), m["mode"].as_str()),
            (Some("a"), Some("b c"), Some("0644"))
        );
        assert_eq!(rest, "");
        let (m, _) = kv("msg={{ x | default('a b') }} other=1", None);
        assert_eq!(m["msg"], "{{ x | default('a b') }}");
    }

    #[test]
    fn a_multi_line_script_keeps_its_lines_and_indentation() {
        let script = "echo a\nfor i in 1 2; do\n  echo $i\ndone\n";
        let (m, rest) = kv(script, Some(FREE_FORM_KEYS));
        assert!(m.is_empty());
        assert_eq!(rest, script);
        let (m, rest) = kv("chdir=/tmp\necho a\necho b\n", Some(FREE_FORM_KEYS));
        assert_eq!(m["chdir"], "/tmp");
        assert_eq!(rest, "echo a\necho b\n");
    }

    #[test]
    fn free_form_keeps_other_key_values_as_words() {
        let (m, rest) = kv("echo a=b 'x y' creates=/tmp/f", Some(FREE_FORM_KEYS));
        assert_eq!(rest, "echo a=b 'x y'");
        assert_eq!(m["creates"], "/tmp/f");
        assert_eq!(kv("echo  two  spaces", Some(FREE_FORM_KEYS)).1, "echo  two  spaces");
    }

    #[test]
    fn escapes_are_decoded_in_values_only() {
        let (m, _) = kv(r#"msg="a\nb" path=c:\\x"#, None);
        assert_eq!(m["msg"], "a\nb");
        assert_eq!(m["path"], "c:\\x");
        assert_eq!(kv(r"printf 'a\n'", Some(FREE_FORM_KEYS)).1, r"printf 'a\n'");
    }

    #[test]
    fn unbalanced_quotes_and_blocks_are_errors() {
        assert!(parse_kv("msg='open", None).is_err());
        assert!(parse_kv("msg={{ x", None).is_err());
    }
}
