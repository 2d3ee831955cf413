//! "Did you mean" hints for misspelt module, parameter and keyword names.

/// "did you mean" hint: the closest candidate when it is close enough.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("lineinfle", ["copy", "lineinfile", "file"]), Some("lineinfile"));
        assert_eq!(did_you_mean("zzz", ["copy", "file"]), None);
    }
}
