//! A YAML emitter that prints what Ansible's `to_yaml` / `to_nice_yaml` print: PyYAML's
//! representer (sorted keys, flow style for collections of scalars unless
//! `default_flow_style=False`) and libyaml's emitter (indentless sequences in mappings, plain /
//! single / double quoted scalar choice, folding at 80 columns). Not here: anchors and aliases
//! (values never share identity here), block literal scalars (PyYAML never picks them).

use crate::value::Value;

use super::pyyaml_scalar::{
    Analysis, analyze, double_escape, is_break, is_empty_collection, is_printable, is_scalar, is_simple_key,
    resolves_as_str, yaml_float,
};

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

#[cfg(test)]
#[path = "pyyaml_tests.rs"]
mod tests;
