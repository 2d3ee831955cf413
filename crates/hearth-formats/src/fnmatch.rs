//! Python's `fnmatch` globs as regular expressions, for host patterns and apt version globs.

/// Python's `fnmatch.translate`: `*`, `?`, `[seq]`, `[!seq]`; everything else literal.
pub fn glob_to_regex(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => match class_end(&chars, i) {
                Some(end) => {
                    out.push_str(&class_to_regex(&chars[i..end]));
                    i = end + 1;
                }
                None => out.push_str("\\["),
            },
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out
}

/// Index of the `]` closing a class that starts at `start` (after `[`), fnmatch rules.
fn class_end(chars: &[char], start: usize) -> Option<usize> {
    let mut j = start;
    if chars.get(j) == Some(&'!') {
        j += 1;
    }
    if chars.get(j) == Some(&']') {
        j += 1;
    }
    (j..chars.len()).find(|&k| chars[k] == ']')
}

fn class_to_regex(body: &[char]) -> String {
    let (negate, body) = match body.first() {
        Some('!') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut out = String::from(if negate { "[^" } else { "[" });
    for &c in body {
        if matches!(c, '\\' | '[' | ']' | '^' | '&' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_translation() {
        assert_eq!(glob_to_regex("a.b*"), r"a\.b.*");
        assert_eq!(glob_to_regex("x[abc"), r"x\[abc");
        assert_eq!(glob_to_regex("[]]"), r"[\]]");
    }
}
