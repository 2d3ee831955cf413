//! Python literals as `ast.literal_eval` reads them, for INI inventory values (`a=1`, `b=True`,
//! `c="x y"`, `d=[1, 2]`, `e={'k': 'v'}`) and `#jinja2:` template headers. It returns `None`
//! wherever Python would raise, so the caller keeps the raw string like Ansible does. It does
//! not evaluate anything beyond literals (no names, calls, operators other than a sign on a
//! number; complex numbers and sets-as-sets are not represented).

use crate::value::{Map, Value};

/// Evaluates `src` as a Python literal; `None` when Python's `literal_eval` would fail.
pub fn literal_eval(src: &str) -> Option<Value> {
    parse(src, false)
}

/// Like [`literal_eval`], with JSON's `true`, `false` and `null` read as Python's constants:
/// how Ansible converts a rendered template that looks like a list or mapping
/// (its `Json2Python` pass before `literal_eval`).
pub fn literal_eval_json(src: &str) -> Option<Value> {
    parse(src, true)
}

fn parse(src: &str, json_names: bool) -> Option<Value> {
    let mut p = Parser { s: src.trim_start_matches([' ', '\t']).as_bytes(), i: 0, depth: 0, json_names };
    let v = p.tuple_or_expr()?;
    p.skip_ws();
    (p.i == p.s.len()).then_some(v)
}

/// Deeper nesting is refused (kept as a string) instead of exhausting the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    /// Whether `true`/`false`/`null` are names of constants too.
    json_names: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' => self.i += 1,
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// `a, b` at the top level is a tuple (a list here).
    fn tuple_or_expr(&mut self) -> Option<Value> {
        let first = self.expr()?;
        if !self.eat(b',') {
            return Some(first);
        }
        let mut items = vec![first];
        self.skip_ws();
        while self.peek().is_some() {
            items.push(self.expr()?);
            if !self.eat(b',') {
                break;
            }
            self.skip_ws();
        }
        Some(Value::Array(items))
    }

    fn expr(&mut self) -> Option<Value> {
        self.depth += 1;
        let v = if self.depth > MAX_DEPTH { None } else { self.expr_inner() };
        self.depth -= 1;
        v
    }

    fn expr_inner(&mut self) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            b'-' | b'+' => {
                let neg = self.peek() == Some(b'-');
                self.i += 1;
                self.skip_ws();
                let n = self.number()?;
                Some(if neg { negate(n)? } else { n })
            }
            b'0'..=b'9' | b'.' => self.number(),
            b'[' => self.seq(b']').map(Value::Array),
            b'(' => self.paren(),
            b'{' => self.brace(),
            _ => self.string_or_name(),
        }
    }

    fn seq(&mut self, close: u8) -> Option<Vec<Value>> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.expr()?);
            if !self.eat(b',') {
                return self.eat(close).then_some(items);
            }
        }
    }

    fn paren(&mut self) -> Option<Value> {
        let start = self.i;
        self.i += 1;
        if self.eat(b')') {
            return Some(Value::Array(Vec::new()));
        }
        let v = self.expr()?;
        if self.eat(b')') {
            return Some(v);
        }
        self.i = start;
        self.seq(b')').map(Value::Array)
    }

    fn brace(&mut self) -> Option<Value> {
        self.i += 1;
        if self.eat(b'}') {
            return Some(Value::Object(Map::new()));
        }
        let first = self.expr()?;
        if self.eat(b':') {
            return self.dict_rest(first);
        }
        // A set: kept as a list, the closest JSON shape.
        let mut items = vec![first];
        loop {
            if self.eat(b'}') {
                return Some(Value::Array(items));
            }
            if !self.eat(b',') {
                return None;
            }
            if self.eat(b'}') {
                return Some(Value::Array(items));
            }
            items.push(self.expr()?);
        }
    }

    fn dict_rest(&mut self, first_key: Value) -> Option<Value> {
        let mut map = Map::new();
        let mut key = first_key;
        loop {
            let value = self.expr()?;
            map.insert(key_string(&key)?, value);
            if self.eat(b'}') {
                return Some(Value::Object(map));
            }
            if !self.eat(b',') {
                return None;
            }
            if self.eat(b'}') {
                return Some(Value::Object(map));
            }
            key = self.expr()?;
            if !self.eat(b':') {
                return None;
            }
        }
    }

    fn string_or_name(&mut self) -> Option<Value> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
            self.i += 1;
        }
        let word = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        if matches!(self.peek(), Some(b'\'' | b'"')) {
            return self.strings(word);
        }
        match word {
            "True" => Some(Value::Bool(true)),
            "False" => Some(Value::Bool(false)),
            "None" => Some(Value::Null),
            "true" if self.json_names => Some(Value::Bool(true)),
            "false" if self.json_names => Some(Value::Bool(false)),
            "null" if self.json_names => Some(Value::Null),
            _ => None,
        }
    }

    /// One or more adjacent string literals, the first with prefix `prefix` already consumed.
    fn strings(&mut self, prefix: &str) -> Option<Value> {
        let mut out = String::new();
        let mut prefix = prefix.to_string();
        let mut bytes_kind = None;
        loop {
            let p = prefix.to_ascii_lowercase();
            if !matches!(p.as_str(), "" | "r" | "u" | "b" | "br" | "rb") {
                return None; // f-strings and unknown prefixes are not literals
            }
            let is_bytes = p.contains('b');
            if *bytes_kind.get_or_insert(is_bytes) != is_bytes {
                return None; // Python refuses to mix bytes and str
            }
            out.push_str(&self.one_string(p.contains('r'))?);
            self.skip_ws();
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'\'' | b'"')) {
                self.i = start;
                return Some(Value::String(out));
            }
            prefix = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        }
    }

    fn one_string(&mut self, raw: bool) -> Option<String> {
        let q = self.peek()?;
        let triple = self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..]);
        self.i += if triple { 3 } else { 1 };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            if c == q && (!triple || self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..])) {
                self.i += if triple { 3 } else { 1 };
                return String::from_utf8(out).ok();
            }
            if c == b'\n' && !triple {
                return None;
            }
            self.i += 1;
            if c != b'\\' {
                out.push(c);
            } else if raw {
                out.push(c);
                out.push(self.peek()?);
                self.i += 1;
            } else {
                self.escape(&mut out)?;
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let c = self.peek()?;
        self.i += 1;
        let simple = match c {
            b'\n' => Some(""),
            b'\\' => Some("\\"),
            b'\'' => Some("'"),
            b'"' => Some("\""),
            b'n' => Some("\n"),
            b't' => Some("\t"),
            b'r' => Some("\r"),
            b'a' => Some("\x07"),
            b'b' => Some("\x08"),
            b'f' => Some("\x0c"),
            b'v' => Some("\x0b"),
            _ => None,
        };
        if let Some(s) = simple {
            out.extend_from_slice(s.as_bytes());
            return Some(());
        }
        let code = match c {
            b'0'..=b'7' => {
                let start = self.i - 1;
                while self.i < start + 3 && matches!(self.peek(), Some(b'0'..=b'7')) {
                    self.i += 1;
                }
                u32::from_str_radix(std::str::from_utf8(&self.s[start..self.i]).ok()?, 8).ok()?
            }
            b'x' => self.hex(2)?,
            b'u' => self.hex(4)?,
            b'U' => self.hex(8)?,
            b'N' => return None,
            _ => {
                out.push(b'\\');
                out.push(c);
                return Some(());
            }
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(char::from_u32(code)?.encode_utf8(&mut buf).as_bytes());
        Some(())
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + n)?;
        self.i += n;
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.') {
            let c = self.s[self.i];
            self.i += 1;
            // an exponent sign belongs to the number: 1e-5
            if matches!(c, b'e' | b'E')
                && matches!(self.peek(), Some(b'+' | b'-'))
                && !is_radix(&self.s[start..])
            {
                self.i += 1;
            }
        }
        parse_number(std::str::from_utf8(&self.s[start..self.i]).ok()?)
    }
}

fn is_radix(s: &[u8]) -> bool {
    s.len() > 1 && s[0] == b'0' && matches!(s[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
}

fn parse_number(tok: &str) -> Option<Value> {
    if tok.starts_with('_') || tok.ends_with('_') || tok.contains("__") {
        return None;
    }
    let t = tok.replace('_', "");
    let lower = t.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            return i64::from_str_radix(digits, radix).ok().map(Value::from);
        }
    }
    if lower.bytes().all(|c| c.is_ascii_digit()) {
        // Python rejects leading zeros in decimal integers ("0644"), except all zeros.
        if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|c| c != b'0') {
            return None;
        }
        return lower.parse::<i64>().ok().map(Value::from);
    }
    let valid_float = lower.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
        && lower.bytes().any(|c| c.is_ascii_digit());
    if !valid_float {
        return None;
    }
    let f: f64 = lower.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

fn negate(v: Value) -> Option<Value> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(Value::from(i.checked_neg()?))
            } else {
                serde_json::Number::from_f64(-n.as_f64()?).map(Value::Number)
            }
        }
        _ => None,
    }
}

/// JSON needs string keys; other hashable literals get the spelling `json.dumps` gives them.
fn key_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(s: &str) -> Option<Value> {
        literal_eval(s)
    }

    #[test]
    fn scalars() {
        assert_eq!(ev("1"), Some(json!(1)));
        assert_eq!(ev("-5"), Some(json!(-5)));
        assert_eq!(ev("1.5"), Some(json!(1.5)));
        assert_eq!(ev("1e3"), Some(json!(1000.0)));
        assert_eq!(ev("0x1f"), Some(json!(31)));
        assert_eq!(ev("1_000"), Some(json!(1000)));
        assert_eq!(ev("True"), Some(json!(true)));
        assert_eq!(ev("None"), Some(Value::Null));
        assert_eq!(ev("8080 # a comment"), Some(json!(8080)));
        assert_eq!(ev("  7"), Some(json!(7)));
    }

    #[test]
    fn not_literals_stay_strings() {
        for s in
            ["0644", "03", "yes", "FALSE", "hello world", "1 2", "abc", "{k:v}", "f'x'", "1abc", "", "a,b"]
        {
            assert_eq!(ev(s), None, "{s}");
        }
    }

    #[test]
    fn strings_and_containers() {
        assert_eq!(ev("'03#pa33w0rd'"), Some(json!("03#pa33w0rd")));
        assert_eq!(ev(r#""a\tb" 'c'"#), Some(json!("a\tbc")));
        assert_eq!(ev(r"r'a\tb'"), Some(json!(r"a\tb")));
        assert_eq!(ev("[1, 'two', [3]]"), Some(json!([1, "two", [3]])));
        assert_eq!(ev("(1,)"), Some(json!([1])));
        assert_eq!(ev("(1)"), Some(json!(1)));
        assert_eq!(ev("1, 2"), Some(json!([1, 2])));
        assert_eq!(ev("{'k': 'v', 1: [2]}"), Some(json!({"k": "v", "1": [2]})));
        assert_eq!(ev("{}"), Some(json!({})));
        assert_eq!(ev("[1, 2,]"), Some(json!([1, 2])));
        assert_eq!(ev("[1, 2"), None);
        assert_eq!(ev("'unterminated"), None);
        assert_eq!(ev(&"[".repeat(100_000)), None);
        assert_eq!(ev("[[[1]]]"), Some(json!([[[1]]])));
    }
}
