//! A YAML emitter that prints what Ansible's `to_yaml` / `to_nice_yaml` print: PyYAML's
//! representer (sorted keys, flow style for collections of scalars unless
//! `default_flow_style=False`) and libyaml's emitter (indentless sequences in mappings, plain /
//! single / double quoted scalar choice, folding at 80 columns). Not here: anchors and aliases
//! (values never share identity here), block literal scalars (PyYAML never picks them).

use std::sync::LazyLock;

use regex::Regex;

use crate::value::Value;

use super::pyrepr::float_repr;

/// Options of `yaml.dump` that Ansible's filters pass.
#[derive(Debug, Clone)]
pub struct YamlStyle {
    /// Spaces per nesting level (2 for `to_yaml`, 4 for `to_nice_yaml`).
    pub indent: usize,
    /// Line width for folding long scalars and flow collections.
    pub width: usize,
    /// `default_flow_style`: `None` uses flow style for collections of scalars only.
    pub flow: Option<bool>,
    /// Sort mapping keys (`sort_keys=True`, PyYAML's default).
    pub sort_keys: bool,
}

impl YamlStyle {
    /// `to_yaml`'s defaults.
    pub fn compact() -> YamlStyle {
        YamlStyle { indent: 2, width: 80, flow: None, sort_keys: true }
    }

    /// `to_nice_yaml`'s defaults.
    pub fn nice() -> YamlStyle {
        YamlStyle { indent: 4, width: 80, flow: Some(false), sort_keys: true }
    }
}

/// Serializes a value like `yaml.dump(value, Dumper=AnsibleDumper, allow_unicode=True, ...)`.
pub fn dump(v: &Value, style: &YamlStyle) -> String {
    let indent = if (2..10).contains(&style.indent) { style.indent } else { 2 };
    let width = if style.width > indent * 2 { style.width } else { 80 };
    let mut e = Emitter {
        style: style.clone(),
        best_indent: indent,
        best_width: width,
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: None,
        indents: Vec::new(),
        flow_level: 0,
    };
    e.node(v, Ctx { mapping: false, simple_key: false });
    e.write_indent();
    e.out
}

#[derive(Clone, Copy)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    style: YamlStyle,
    best_indent: usize,
    best_width: usize,
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
}

impl Emitter {
    fn node(&mut self, v: &Value, ctx: Ctx) {
        let flow = self.flow_level > 0 || is_empty_collection(v) || self.flow_style(v);
        match v {
            Value::Array(items) if flow => self.flow_sequence(items),
            Value::Array(items) => self.block_sequence(items, ctx),
            Value::Object(_) if flow => self.flow_mapping(&self.entries(v)),
            Value::Object(_) => self.block_mapping(&self.entries(v)),
            scalar => {
                self.increase_indent(true, false);
                self.scalar(scalar, ctx);
                self.indent = self.indents.pop().flatten();
            }
        }
    }

    fn flow_style(&self, v: &Value) -> bool {
        match self.style.flow {
            Some(f) => f,
            None => match v {
                Value::Array(items) => items.iter().all(is_scalar),
                Value::Object(m) => m.values().all(is_scalar),
                _ => false,
            },
        }
    }

    fn entries<'a>(&self, v: &'a Value) -> Vec<(&'a String, &'a Value)> {
        let Value::Object(m) = v else { return Vec::new() };
        let mut entries: Vec<_> = m.iter().collect();
        if self.style.sort_keys {
            entries.sort_by(|a, b| a.0.cmp(b.0));
        }
        entries
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { self.best_indent } else { 0 }),
            Some(i) if !indentless => Some(i + self.best_indent),
            same => same,
        };
    }

    fn flow_sequence(&mut self, items: &[Value]) {
        self.write_indicator("[", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.best_width {
                self.write_indent();
            }
            self.node(item, Ctx { mapping: false, simple_key: false });
        }
        self.indent = self.indents.pop().flatten();
        self.flow_level -= 1;
        self.write_indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, entries: &[(&String, &Value)]) {
        self.write_indicator("{", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.best_width {
                self.write_indent();
            }
            if is_simple_key(k) {
                self.key(k, Ctx { mapping: true, simple_key: true });
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, false);
                self.key(k, Ctx { mapping: true, simple_key: false });
                if self.column > self.best_width {
                    self.write_indent();
                }
                self.write_indicator(":", true, false, false);
            }
            self.node(v, Ctx { mapping: true, simple_key: false });
        }
        self.indent = self.indents.pop().flatten();
        self.flow_level -= 1;
        self.write_indicator("}", false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value], ctx: Ctx) {
        let indentless = ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx { mapping: false, simple_key: false });
        }
        self.indent = self.indents.pop().flatten();
    }

    fn block_mapping(&mut self, entries: &[(&String, &Value)]) {
        self.increase_indent(false, false);
        for (k, v) in entries {
            self.write_indent();
            if is_simple_key(k) {
                self.key(k, Ctx { mapping: true, simple_key: true });
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.key(k, Ctx { mapping: true, simple_key: false });
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(v, Ctx { mapping: true, simple_key: false });
        }
        self.indent = self.indents.pop().flatten();
    }

    fn scalar(&mut self, v: &Value, ctx: Ctx) {
        let text = match v {
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) if n.is_f64() => yaml_float(n.as_f64().unwrap_or(0.0)),
            Value::Number(n) => n.to_string(),
            Value::String(s) => return self.string(s, ctx),
            _ => String::new(),
        };
        self.write_plain(&text, false);
    }

    /// A mapping key: a string scalar node, indented like any scalar node.
    fn key(&mut self, k: &str, ctx: Ctx) {
        self.increase_indent(true, false);
        self.string(k, ctx);
        self.indent = self.indents.pop().flatten();
    }

    /// A string scalar, in the style libyaml picks for it.
    fn string(&mut self, s: &str, ctx: Ctx) {
        let a = analyze(s);
        let split = !ctx.simple_key;
        match self.choose_style(s, &a, ctx) {
            Style::Plain => self.write_plain(s, split),
            Style::Single => self.write_single_quoted(s, split),
            Style::Double => self.write_double_quoted(s, split),
        }
    }

    fn choose_style(&self, s: &str, a: &Analysis, ctx: Ctx) -> Style {
        if ctx.simple_key && a.multiline {
            return Style::Double;
        }
        let plain_allowed = if self.flow_level > 0 { a.flow_plain } else { a.block_plain };
        let empty_needs_quotes = s.is_empty() && (self.flow_level > 0 || ctx.simple_key);
        if plain_allowed && !empty_needs_quotes && resolves_as_str(s) {
            Style::Plain
        } else if a.single_quoted {
            Style::Single
        } else {
            Style::Double
        }
    }
}

/// How a scalar is quoted.
enum Style {
    Plain,
    Single,
    Double,
}

/// Writers for indicators, indentation and the three scalar styles.
impl Emitter {
    fn put(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }

    fn write_indicator(&mut self, ind: &str, need_whitespace: bool, whitespace: bool, indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(" ");
        }
        self.put(ind);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.line_break();
        }
        while self.column < indent {
            self.put(" ");
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn line_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        self.whitespace = true;
        self.indention = true;
    }

    fn write_plain(&mut self, text: &str, split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.put(" ");
        }
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if split && !spaces && self.column > self.best_width && !next_is_space {
                    self.write_indent();
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                self.put(c.encode_utf8(&mut [0; 4]));
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let inner = i != 0 && i + 1 != chars.len() && chars.get(i + 1) != Some(&' ');
                if split && !spaces && self.column > self.best_width && inner {
                    self.write_indent();
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.line_break();
                }
                self.line_break();
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                let mut buf = [0; 4];
                self.put(if c == '\'' { "''" } else { c.encode_utf8(&mut buf) });
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if breaks {
            self.write_indent();
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
                self.put(&double_escape(c));
                spaces = false;
            } else if c == ' ' {
                let inner = i != 0 && i + 1 != chars.len();
                if split && !spaces && self.column > self.best_width && inner {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put("\\");
                    }
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                self.put(c.encode_utf8(&mut [0; 4]));
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
    }
}

fn double_escape(c: char) -> String {
    let short = match c {
        '\0' => "0",
        '\u{7}' => "a",
        '\u{8}' => "b",
        '\t' => "t",
        '\n' => "n",
        '\u{b}' => "v",
        '\u{c}' => "f",
        '\r' => "r",
        '\u{1b}' => "e",
        '"' => "\"",
        '\\' => "\\",
        '\u{85}' => "N",
        '\u{a0}' => "_",
        '\u{2028}' => "L",
        '\u{2029}' => "P",
        _ => "",
    };
    if !short.is_empty() {
        return format!("\\{short}");
    }
    match c as u32 {
        n @ 0..=0xff => format!("\\x{n:02X}"),
        n @ 0x100..=0xffff => format!("\\u{n:04X}"),
        n => format!("\\U{n:08X}"),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn is_empty_collection(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn is_simple_key(k: &str) -> bool {
    k.len() <= 128 && !k.chars().any(is_break)
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

fn is_blankz(c: Option<&char>) -> bool {
    c.is_none_or(|c| matches!(c, ' ' | '\t' | '\0') || is_break(*c))
}

/// PyYAML's `represent_float`: `1.0e+20`, `.inf`, `.nan`.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    let r = float_repr(f).to_lowercase();
    if !r.contains('.') && r.contains('e') { r.replacen('e', ".0e", 1) } else { r }
}

/// Which styles a scalar allows (libyaml's `yaml_emitter_analyze_scalar`).
struct Analysis {
    multiline: bool,
    flow_plain: bool,
    block_plain: bool,
    single_quoted: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis { multiline: false, flow_plain: false, block_plain: true, single_quoted: true };
    }
    let chars: Vec<char> = s.chars().collect();
    let doc_marker = s.starts_with("---") || s.starts_with("...");
    let (mut flow_ind, mut block_ind) = (doc_marker, doc_marker);
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading, mut trailing, mut break_space, mut space_break) = (false, false, false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_ws = is_blankz(chars.get(i + 1));
        let preceded_ws = i == 0 || is_blankz(chars.get(i - 1));
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                (flow_ind, block_ind) = (true, true);
            }
            if c == '?' || c == ':' {
                flow_ind = true;
                block_ind |= followed_ws;
            }
            if c == '-' && followed_ws {
                (flow_ind, block_ind) = (true, true);
            }
        } else {
            if ",?[]{}".contains(c) {
                flow_ind = true;
            }
            if c == ':' {
                flow_ind = true;
                block_ind |= followed_ws;
            }
            if c == '#' && preceded_ws {
                (flow_ind, block_ind) = (true, true);
            }
        }
        special |= !is_printable(c);
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            leading |= i == 0;
            trailing |= i == last;
            break_space |= prev_break;
            (prev_space, prev_break) = (true, false);
        } else if is_break(c) {
            leading |= i == 0;
            trailing |= i == last;
            space_break |= prev_space;
            (prev_space, prev_break) = (false, true);
        } else {
            (prev_space, prev_break) = (false, false);
        }
    }
    let plain_ok = !(leading || trailing || break_space || space_break || special || line_breaks);
    Analysis {
        multiline: line_breaks,
        flow_plain: plain_ok && !flow_ind,
        block_plain: plain_ok && !block_ind,
        single_quoted: !(break_space || space_break || special),
    }
}

static IMPLICIT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
        r"^(?:<<|=|~|null|Null|NULL|)$",
        r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?)$",
    ]
    .iter()
    // Invariant: the patterns above are constant and valid.
    .map(|p| Regex::new(p).expect("valid YAML resolver pattern"))
    .collect()
});

/// True when a plain scalar with this text would read back as a string (YAML 1.1 resolvers).
fn resolves_as_str(s: &str) -> bool {
    !IMPLICIT.iter().any(|re| re.is_match(s))
}

#[cfg(test)]
#[path = "pyyaml_tests.rs"]
mod tests;
