//! Python's `shlex.split(line, comments=True)` (POSIX mode), which Ansible uses to split INI
//! host lines into `name key=value ...` tokens. Not a shell parser: no expansions, no operators.

/// Why a line could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShlexError {
    /// A quote was opened and never closed.
    #[error("No closing quotation")]
    NoClosingQuote,
    /// A backslash at the very end of the line.
    #[error("No escaped character")]
    NoEscapedChar,
}

/// Splits `line` into words; `#` outside quotes starts a comment that ends the line.
pub fn split(line: &str) -> Result<Vec<String>, ShlexError> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    let mut word: Option<String> = None;
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => words.extend(word.take()),
            '#' => break,
            '\\' => word.get_or_insert_default().push(chars.next().ok_or(ShlexError::NoEscapedChar)?),
            '\'' => {
                let w = word.get_or_insert_default();
                loop {
                    match chars.next().ok_or(ShlexError::NoClosingQuote)? {
                        '\'' => break,
                        ch => w.push(ch),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_default();
                loop {
                    match chars.next().ok_or(ShlexError::NoClosingQuote)? {
                        '"' => break,
                        '\\' => match chars.next().ok_or(ShlexError::NoClosingQuote)? {
                            e @ ('"' | '\\') => w.push(e),
                            e => {
                                w.push('\\');
                                w.push(e);
                            }
                        },
                        ch => w.push(ch),
                    }
                }
            }
            ch => word.get_or_insert_default().push(ch),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_quotes_and_comments() {
        assert_eq!(split("h a=1 c=\"hello world\" d='03'").unwrap(), ["h", "a=1", "c=hello world", "d=03"]);
        assert_eq!(split("h k=abc#rest l=x").unwrap(), ["h", "k=abc"]);
        assert_eq!(split("h mysecret=\"'03#pa33w0rd'\"").unwrap(), ["h", "mysecret='03#pa33w0rd'"]);
        assert_eq!(split(r#"h a="x\"y\z" b=c\ d"#).unwrap(), ["h", r#"a=x"y\z"#, "b=c d"]);
        assert_eq!(split("h e=''").unwrap(), ["h", "e="]);
        assert_eq!(split("  # only comment").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn errors() {
        assert_eq!(split("h a='x"), Err(ShlexError::NoClosingQuote));
        assert_eq!(split("h a=\\"), Err(ShlexError::NoEscapedChar));
    }
}
