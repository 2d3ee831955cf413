//! The YAML parser's error text made into one plain sentence: the position it repeats is
//! dropped (hearth puts file:line:column in front) and its resource limits are said in words.
//! It does not find positions: `yaml` takes them from the parser's error.

/// One line of what went wrong, without the parser's own "line N column M" decorations.
pub(crate) fn syntax_message(raw: &str) -> String {
    let mut m = raw.lines().next().unwrap_or("").trim();
    if let Some(rest) = m.strip_prefix("error: ") {
        m = rest;
    }
    if let Some(rest) = m.strip_prefix("line ").and_then(|r| r.split_once(": ")).map(|(_, r)| r) {
        m = rest;
    }
    if let Some((head, tail)) = m.rsplit_once(" at line ")
        && tail.split(", column ").all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    {
        m = head;
    }
    if let Some(depth) = m.strip_prefix("budget breached: Depth { depth: ").and_then(|d| d.strip_suffix(" }"))
    {
        return format!("nested {depth} levels deep, more than hearth reads (64)");
    }
    if let Some(key) = m.strip_prefix("duplicate mapping key: ").and_then(|k| k.split(", set ").next()) {
        return format!("duplicate key '{key}' (Ansible warns and keeps the last value; hearth refuses it)");
    }
    match m {
        "" => "invalid YAML".to_string(),
        "recursion limit exceeded" => "nested too deep (recursion limit exceeded)".to_string(),
        _ => m.to_string(),
    }
}

/// The parser reports a tab at the scalar before it; a tab that indents a line is the usual
/// cause, so point there: `Some((line, column))` of the first one, 1-based.
pub(crate) fn indenting_tab(text: &str) -> Option<(u64, u64)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let indent = &l[..l.len() - l.trim_start_matches([' ', '\t']).len()];
        indent.find('\t').map(|c| (i as u64 + 1, c as u64 + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::syntax_message;

    #[test]
    fn drops_repeated_positions_and_names_limits() {
        assert_eq!(
            syntax_message("error: line 3 column 263: recursion limit exceeded"),
            "nested too deep (recursion limit exceeded)"
        );
        assert_eq!(
            syntax_message("error: line 3 column 129: budget breached: Depth { depth: 65 }"),
            "nested 65 levels deep, more than hearth reads (64)"
        );
        assert_eq!(syntax_message("unclosed bracket '{' at line 2, column 18"), "unclosed bracket '{'");
        assert_eq!(syntax_message("did not find expected key\nmore"), "did not find expected key");
        assert_eq!(syntax_message("a value at line one"), "a value at line one");
        assert_eq!(syntax_message(""), "invalid YAML");
        assert_eq!(
            syntax_message(
                "error: line 3 column 3: duplicate mapping key: hosts, set DuplicateKeyPolicy in Options if acceptable"
            ),
            "duplicate key 'hosts' (Ansible warns and keeps the last value; hearth refuses it)"
        );
    }

    #[test]
    fn finds_the_tab_that_indents() {
        assert_eq!(super::indenting_tab("- a: 1\n\tb: 2\n"), Some((2, 1)));
        assert_eq!(super::indenting_tab("a: 1\n  \tb: 2\n"), Some((2, 3)));
        assert_eq!(super::indenting_tab("a: \"x\ty\"\n"), None);
    }
}
