//! `PyRegex`: one compiled Python regular expression for every place hearth takes a user's
//! pattern (lineinfile, blockinfile, replace, wait_for, include_vars, the `regex_*` filters and
//! the `match`/`search`/`regex` tests). It runs on the linear-time `regex` crate and falls back
//! to `fancy-regex` (backtracking) only when that crate refuses the pattern, which is what
//! look-around (`(?!...)`, `(?<=...)`) and backreferences (`\1`, `(?P=name)`) need.
//! Not here: translating Python's spellings (`pyre::translate`) and replacement templates
//! (`pyre::expand`).

use std::sync::Arc;

/// A pattern or replacement template the regex crate cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PyReError {
    /// The pattern does not compile.
    #[error("invalid regular expression {pattern:?}: {message}")]
    Pattern { pattern: String, message: String },
    /// The replacement template is malformed or names a missing group.
    #[error("invalid replacement {template:?}: {message}")]
    Template { template: String, message: String },
    /// Matching failed: the backtracking fallback gave up, or a str pattern met non-UTF-8 text.
    #[error("regular expression {pattern:?} cannot be matched: {message}")]
    Match { pattern: String, message: String },
}

/// How the pattern reads its haystack, as Python compiled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// A bytes pattern (modules): ASCII classes, `.` matches any byte.
    Bytes,
    /// A str pattern (filters and tests): Unicode classes; the haystack must be UTF-8.
    Text,
}

/// The engine a pattern compiled with.
#[derive(Debug)]
enum Engine {
    Bytes(regex::bytes::Regex),
    Text(regex::Regex),
    Fancy(Box<fancy_regex::Regex>, Syntax),
}

/// A compiled pattern.
#[derive(Debug)]
pub struct PyRegex {
    engine: Engine,
    /// The pattern as the user wrote it (for messages).
    pattern: String,
    /// Group names by index (`None` for unnamed groups and group 0).
    names: Arc<Vec<Option<String>>>,
}

/// One match: a span of the haystack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match<'h> {
    hay: &'h [u8],
    start: usize,
    end: usize,
}

impl<'h> Match<'h> {
    /// First byte of the match.
    pub fn start(&self) -> usize {
        self.start
    }
    /// One past the last byte.
    pub fn end(&self) -> usize {
        self.end
    }
    /// The matched bytes.
    pub fn as_bytes(&self) -> &'h [u8] {
        &self.hay[self.start..self.end]
    }
    /// The matched text (a `Text` pattern on a str haystack always matches whole characters).
    pub fn as_str(&self) -> std::borrow::Cow<'h, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

/// The groups of one match.
#[derive(Debug, Clone)]
pub struct Captures<'h> {
    hay: &'h [u8],
    spans: Vec<Option<(usize, usize)>>,
    names: Arc<Vec<Option<String>>>,
}

impl<'h> Captures<'h> {
    /// Group `i` (0 is the whole match), `None` when it did not take part.
    pub fn get(&self, i: usize) -> Option<Match<'h>> {
        let (start, end) = (*self.spans.get(i)?)?;
        Some(Match { hay: self.hay, start, end })
    }
    /// The named group, `None` when there is none or it did not take part.
    pub fn name(&self, name: &str) -> Option<Match<'h>> {
        let i = self.names.iter().position(|n| n.as_deref() == Some(name))?;
        self.get(i)
    }
    /// Number of groups, group 0 included.
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    /// True when there are no groups at all (never for a real match).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

impl PyRegex {
    /// Compiles an already translated pattern; `shown` is the pattern as written.
    pub fn new(shown: &str, translated: &str, syntax: Syntax) -> Result<PyRegex, PyReError> {
        let fast = match syntax {
            Syntax::Bytes => regex::bytes::Regex::new(&format!("(?-u){translated}")).map(Engine::Bytes),
            Syntax::Text => regex::Regex::new(translated).map(Engine::Text),
        };
        let engine = match fast {
            Ok(e) => e,
            Err(fast_err) => {
                let mode = match syntax {
                    Syntax::Bytes => fancy_regex::BytesMode::Ascii,
                    Syntax::Text => fancy_regex::BytesMode::Unicode,
                };
                let fancy = fancy_regex::RegexBuilder::new(translated).bytes_mode(mode).build();
                match fancy {
                    Ok(re) => Engine::Fancy(Box::new(re), syntax),
                    // Neither engine takes it: the fast engine's message is the more precise
                    // unless the pattern uses what only the fallback knows.
                    Err(fancy_err) => {
                        let message = if needs_fancy(translated) {
                            fancy_err.to_string()
                        } else {
                            fast_err.to_string()
                        };
                        return Err(PyReError::Pattern { pattern: shown.to_string(), message });
                    }
                }
            }
        };
        let names: Vec<Option<String>> = match &engine {
            Engine::Bytes(re) => re.capture_names().map(|n| n.map(str::to_string)).collect(),
            Engine::Text(re) => re.capture_names().map(|n| n.map(str::to_string)).collect(),
            Engine::Fancy(re, _) => re.capture_names().map(|n| n.map(str::to_string)).collect(),
        };
        Ok(PyRegex { engine, pattern: shown.to_string(), names: Arc::new(names) })
    }

    /// True when the backtracking fallback runs this pattern.
    pub fn is_fancy(&self) -> bool {
        matches!(self.engine, Engine::Fancy(..))
    }

    /// Number of groups, group 0 included.
    pub fn captures_len(&self) -> usize {
        self.names.len()
    }

    /// True when a group of that name exists.
    pub fn has_group(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.as_deref() == Some(name))
    }

    /// True when the pattern matches anywhere in `hay`.
    pub fn is_match(&self, hay: &[u8]) -> Result<bool, PyReError> {
        Ok(match &self.engine {
            Engine::Bytes(re) => re.is_match(hay),
            Engine::Text(re) => re.is_match(self.text(hay)?),
            Engine::Fancy(re, Syntax::Bytes) => re.is_match(hay).map_err(|e| self.failed(e))?,
            Engine::Fancy(re, Syntax::Text) => re.is_match(self.text(hay)?).map_err(|e| self.failed(e))?,
        })
    }

    /// The first match.
    pub fn find<'h>(&self, hay: &'h [u8]) -> Result<Option<Match<'h>>, PyReError> {
        Ok(self.captures(hay)?.and_then(|c| c.get(0)))
    }

    /// The groups of the first match.
    pub fn captures<'h>(&self, hay: &'h [u8]) -> Result<Option<Captures<'h>>, PyReError> {
        Ok(self.captures_iter_limit(hay, 1)?.pop())
    }

    /// The groups of every non-overlapping match, in order.
    pub fn captures_iter<'h>(&self, hay: &'h [u8]) -> Result<Vec<Captures<'h>>, PyReError> {
        self.captures_iter_limit(hay, usize::MAX)
    }

    fn captures_iter_limit<'h>(&self, hay: &'h [u8], limit: usize) -> Result<Vec<Captures<'h>>, PyReError> {
        let wrap = |spans: Vec<Option<(usize, usize)>>| Captures { hay, spans, names: self.names.clone() };
        let mut out = Vec::new();
        match &self.engine {
            Engine::Bytes(re) => {
                for c in re.captures_iter(hay).take(limit) {
                    out.push(wrap(c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()));
                }
            }
            Engine::Text(re) => {
                for c in re.captures_iter(self.text(hay)?).take(limit) {
                    out.push(wrap(c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()));
                }
            }
            Engine::Fancy(re, Syntax::Bytes) => {
                for c in re.captures_iter(hay).take(limit) {
                    let c = c.map_err(|e| self.failed(e))?;
                    out.push(wrap(c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()));
                }
            }
            Engine::Fancy(re, Syntax::Text) => {
                for c in re.captures_iter(self.text(hay)?).take(limit) {
                    let c = c.map_err(|e| self.failed(e))?;
                    out.push(wrap(c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()));
                }
            }
        }
        Ok(out)
    }

    /// The haystack as text, for a `Text` pattern.
    fn text<'h>(&self, hay: &'h [u8]) -> Result<&'h str, PyReError> {
        std::str::from_utf8(hay).map_err(|e| PyReError::Match {
            pattern: self.pattern.clone(),
            message: format!("the text is not UTF-8: {e}"),
        })
    }

    /// A failure of the backtracking engine while matching (its backtrack limit).
    fn failed(&self, e: fancy_regex::Error) -> PyReError {
        PyReError::Match { pattern: self.pattern.clone(), message: e.to_string() }
    }
}

/// True when a pattern spells look-around or a backreference.
fn needs_fancy(p: &str) -> bool {
    ["(?=", "(?!", "(?<=", "(?<!", "(?P=", "\\k<"].iter().any(|s| p.contains(s))
        || p.as_bytes().windows(2).any(|w| w[0] == b'\\' && (b'1'..=b'9').contains(&w[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(p: &str) -> PyRegex {
        PyRegex::new(p, p, Syntax::Bytes).unwrap()
    }

    #[test]
    fn fast_unless_needed() {
        assert!(!bytes("a+b").is_fancy());
        assert!(bytes("a(?!b)").is_fancy());
        assert!(bytes(r"(\w+) \1").is_fancy());
        assert!(PyRegex::new("(?<=x)y", "(?<=x)y", Syntax::Text).unwrap().is_fancy());
    }

    #[test]
    fn both_engines_match_bytes_like_python() {
        let hay = b"ab ac \xff the the";
        let neg = bytes("a(?!b)");
        assert_eq!(neg.find(hay).unwrap().map(|m| m.start()), Some(3));
        let dup = bytes(r"(?P<w>\w+) (?P=w)");
        let c = dup.captures(hay).unwrap().unwrap();
        assert_eq!(c.name("w").unwrap().as_bytes(), b"the");
        // ASCII classes and `.` on any byte in both engines, as in Python's bytes patterns.
        assert!(bytes(r"\s.\s").is_match(hay).unwrap());
        assert!(bytes(r"(?=\s)\s.\s").is_match(hay).unwrap());
        assert!(!bytes(r"(?=\w)\w\w\w\w").is_match("é1".as_bytes()).unwrap());
        assert_eq!(bytes("x(?=y)").captures_iter(b"xy xz xy").unwrap().len(), 2);
    }

    #[test]
    fn text_patterns_are_unicode() {
        let re = PyRegex::new(r"(?<=c)\w+", r"(?<=c)\w+", Syntax::Text).unwrap();
        assert_eq!(re.find("café".as_bytes()).unwrap().unwrap().as_str(), "afé");
        assert!(re.is_match(b"\xff").is_err(), "a str pattern needs UTF-8 text");
    }

    #[test]
    fn errors_name_the_pattern() {
        let e = PyRegex::new("(?<=a+", "(?<=a+", Syntax::Bytes).unwrap_err();
        assert!(e.to_string().contains("(?<=a+"), "{e}");
        let e = PyRegex::new("a)", "a)", Syntax::Bytes).unwrap_err();
        assert!(e.to_string().contains("unopened group"), "{e}");
    }
}
