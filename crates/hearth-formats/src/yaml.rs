//! YAML documents as a tree of nodes that remember where they came from, so every later error
//! (unknown module, bad parameter, undefined variable) can name file:line:column.
//! It does not interpret Ansible keywords: that is the playbook and inventory loaders' job.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::value::{Map, Value};

/// Where a node starts in its source file, for error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pos {
    /// The file the node was read from (shared by every node of that file).
    pub file: Arc<PathBuf>,
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
}

impl Pos {
    /// A position for values that did not come from a file (command line, defaults).
    pub fn synthetic(what: &str) -> Pos {
        Pos { file: Arc::new(PathBuf::from(what)), line: 0, column: 0 }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
        }
    }
}

/// A YAML value with its position; mappings keep key order and key positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the value starts.
    pub pos: Pos,
    /// The value itself.
    pub kind: NodeKind,
}

/// The shape of a YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `~`, `null` or an empty value.
    Null,
    /// `true`/`false` (and YAML 1.1 `yes`/`no`/`on`/`off`, as Ansible reads them).
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A string scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order: (key, key position, value).
    Map(Vec<(String, Pos, Node)>),
}

/// A YAML file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file is not UTF-8.
    #[error("{path}: not valid UTF-8 (byte {offset})")]
    Utf8 { path: PathBuf, offset: usize },
    /// The YAML syntax is wrong.
    #[error("{path}:{line}:{column}: YAML syntax error: {message}")]
    Syntax { path: PathBuf, line: u64, column: u64, message: String },
    /// A vaulted file or `!vault` value could not be decrypted.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    /// A vars file holds something other than a mapping of names to values.
    #[error("{pos}: a vars file must be a mapping, got a {got}")]
    NotMapping { pos: Pos, got: &'static str },
}

/// Reads a vars file (`vars_files:`, `include_vars`, group_vars): a mapping, or nothing.
pub fn parse_vars_file(path: &Path) -> Result<Map, YamlError> {
    vars_of(&parse_file(path)?)
}

/// The variables of a parsed vars file: a mapping, or nothing.
pub fn vars_of(node: &Node) -> Result<Map, YamlError> {
    match node.to_value() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(YamlError::NotMapping { pos: node.pos.clone(), got: node.type_name() }),
    }
}

/// Reads and parses a YAML file into a node tree (`Null` for an empty file).
pub fn parse_file(path: &Path) -> Result<Node, YamlError> {
    let bytes = std::fs::read(path).map_err(|source| YamlError::Io { path: path.to_path_buf(), source })?;
    let text = String::from_utf8(bytes)
        .map_err(|e| YamlError::Utf8 { path: path.to_path_buf(), offset: e.utf8_error().valid_up_to() })?;
    parse_str(&text, path)
}

/// Parses YAML text; `path` is used only for positions and messages. Vaulted text (a whole
/// vault-encrypted file) and `!vault` values are decrypted with the installed keyring.
pub fn parse_str(text: &str, path: &Path) -> Result<Node, YamlError> {
    if crate::vault::is_vaulted(text.as_bytes()) {
        let plain = crate::vault::decrypt_file_bytes(text.as_bytes().to_vec(), path)?;
        let plain = String::from_utf8(plain).map_err(|e| YamlError::Utf8 {
            path: path.to_path_buf(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        let node = parse_str(&plain, path).map_err(|e| match e {
            // The parser's message may quote the secret text: keep only where it is.
            YamlError::Syntax { path, line, column, .. } => YamlError::Syntax {
                path,
                line,
                column,
                message: "in the decrypted vault content (see it with `hearth vault view`)".into(),
            },
            other => other,
        })?;
        crate::vault::mask::register_strings(&node.to_value());
        return Ok(node);
    }
    let file = Arc::new(path.to_path_buf());
    if text.trim().is_empty()
        || text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        return Ok(Node { pos: Pos { file, line: 1, column: 1 }, kind: NodeKind::Null });
    }
    let raw: Spanned<Raw> = serde_saphyr::from_str(text).map_err(|e| syntax_error(path, &e, text))?;
    raw_to_node(raw, &file, text)
}

fn syntax_error(path: &Path, e: &serde_saphyr::Error, text: &str) -> YamlError {
    let (mut line, mut column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
    let mut message = crate::yaml_message::syntax_message(&e.to_string());
    if message.contains("tab")
        && let Some(at) = crate::yaml_message::indenting_tab(text)
    {
        (line, column) = at;
        message = "a tab in the indentation (YAML indents with spaces only)".to_string();
    }
    YamlError::Syntax { path: path.to_path_buf(), line, column, message }
}

fn raw_to_node(raw: Spanned<Raw>, file: &Arc<PathBuf>, text: &str) -> Result<Node, YamlError> {
    let pos = Pos { file: file.clone(), line: raw.referenced.line(), column: raw.referenced.column() };
    let kind = match raw.value {
        Raw::Null => NodeKind::Null,
        // PyYAML (Ansible) reads a plain `y`/`n` as a string; serde-saphyr as a boolean.
        Raw::Bool(b) => match source_text(text, &raw.referenced) {
            Some(t @ ("y" | "Y" | "n" | "N")) => NodeKind::Str(t.to_string()),
            _ => NodeKind::Bool(b),
        },
        Raw::Int(i) => yaml11_number(&raw.referenced, text).unwrap_or(NodeKind::Int(i)),
        Raw::Float(f) => yaml11_number(&raw.referenced, text).unwrap_or(NodeKind::Float(f)),
        Raw::Str(s) => NodeKind::Str(s),
        Raw::Vault(s) => NodeKind::Str(crate::vault::decrypt_str(&s, &pos.to_string())?),
        Raw::Seq(items) => {
            NodeKind::Seq(items.into_iter().map(|i| raw_to_node(i, file, text)).collect::<Result<_, _>>()?)
        }
        Raw::Map(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let kpos =
                        Pos { file: file.clone(), line: k.referenced.line(), column: k.referenced.column() };
                    // Like values, a plain `y`/`n` key is a string for PyYAML.
                    let key = match (&k.value, source_text(text, &k.referenced)) {
                        (Raw::Bool(_), Some(t @ ("y" | "Y" | "n" | "N"))) => t.to_string(),
                        _ => k.value.into_key(),
                    };
                    Ok((key, kpos, raw_to_node(v, file, text)?))
                })
                .collect::<Result<_, YamlError>>()?,
        ),
    };
    Ok(Node { pos, kind })
}

/// PyYAML (YAML 1.1) reads a plain `0644` as octal and `0o17` or `089` as strings, where
/// serde-saphyr (YAML 1.2) reads decimal numbers or floats; `None` when the two agree.
fn yaml11_number(loc: &serde_saphyr::Location, text: &str) -> Option<NodeKind> {
    let src = source_text(text, loc)?;
    let digits = src.trim_start_matches(['-', '+']);
    if digits.starts_with("0o") {
        return Some(NodeKind::Str(src.to_string()));
    }
    let rest = digits.strip_prefix('0').filter(|r| !r.is_empty())?;
    if !rest.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    let clean: String = rest.chars().filter(|&c| c != '_').collect();
    match i64::from_str_radix(&clean, 8) {
        Ok(n) if src.starts_with('-') => Some(NodeKind::Int(-n)),
        Ok(n) => Some(NodeKind::Int(n)),
        Err(_) => Some(NodeKind::Str(src.to_string())),
    }
}

fn source_text<'a>(text: &'a str, loc: &serde_saphyr::Location) -> Option<&'a str> {
    let span = loc.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    text.get(start..start + len)
}

impl Node {
    /// Converts to a plain value, dropping positions (for variables and module parameters).
    pub fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number).unwrap_or(Value::Null),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeKind::Map(entries) => {
                Value::Object(entries.iter().map(|(k, _, v)| (k.clone(), v.to_value())).collect::<Map>())
            }
        }
    }

    /// The entries when this is a mapping.
    pub fn as_map(&self) -> Option<&[(String, Pos, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items when this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The text when this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v)
    }

    /// A short name of the node's type for "expected X, got Y" messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "boolean",
            NodeKind::Int(_) => "integer",
            NodeKind::Float(_) => "float",
            NodeKind::Str(_) => "string",
            NodeKind::Seq(_) => "list",
            NodeKind::Map(_) => "mapping",
        }
    }
}

/// What serde-saphyr hands us before positions are attached.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A `!vault`-tagged string: the vaulted text, decrypted when positions are attached.
    Vault(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl Raw {
    fn into_key(self) -> String {
        match self {
            Raw::Null => String::new(),
            Raw::Bool(b) => if b { "True" } else { "False" }.to_string(),
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
            Raw::Str(s) | Raw::Vault(s) => s,
            Raw::Seq(_) | Raw::Map(_) => "<complex key>".to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // serde-saphyr's `Tagged` protocol: the node as `[value, tag?]`, so `!vault` is seen.
        d.deserialize_newtype_struct("__yaml_tagged", TaggedVisitor)
    }
}

/// A node read without asking for its tag (the inner value of the tag protocol).
struct Untagged(Raw);

impl<'de> Deserialize<'de> for Untagged {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor).map(Untagged)
    }
}

struct TaggedVisitor;

impl<'de> Visitor<'de> for TaggedVisitor {
    type Value = Raw;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let Untagged(value) = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let tag: Option<String> = seq.next_element()?;
        match (tag.as_deref(), value) {
            (Some("!vault"), Raw::Str(s)) => Ok(Raw::Vault(s)),
            (Some("!vault"), _) => Err(de::Error::custom("a !vault value must be a string of vaulted text")),
            (_, value) => Ok(value),
        }
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map(Raw::Int).unwrap_or(Raw::Float(v as f64)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Spanned<Raw>, Spanned<Raw>>()? {
            entries.push((k, v));
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_str(text, Path::new("t.yml")).unwrap()
    }

    #[test]
    fn positions_are_kept() {
        let n = parse("- name: a\n  debug:\n    msg: hi\n");
        let task = &n.as_seq().unwrap()[0];
        assert_eq!((task.pos.line, task.pos.column), (1, 3));
        let (k, kpos, v) = &task.as_map().unwrap()[1];
        assert_eq!(k, "debug");
        assert_eq!((kpos.line, kpos.column), (2, 3));
        assert_eq!(v.get("msg").unwrap().pos.line, 3);
    }

    #[test]
    fn yaml11_booleans_and_types() {
        let n = parse("a: yes\nb: no\nc: 'yes'\nd: 3\ne: 1.5\nf: ~\ng: y\n");
        assert_eq!(n.get("a").unwrap().kind, NodeKind::Bool(true));
        assert_eq!(n.get("b").unwrap().kind, NodeKind::Bool(false));
        assert_eq!(n.get("c").unwrap().kind, NodeKind::Str("yes".into()));
        assert_eq!(n.get("d").unwrap().kind, NodeKind::Int(3));
        assert_eq!(n.get("e").unwrap().kind, NodeKind::Float(1.5));
        assert_eq!(n.get("f").unwrap().kind, NodeKind::Null);
        assert_eq!(n.get("g").unwrap().kind, NodeKind::Str("y".into()));
        assert_eq!(parse("y: 1\n").as_map().unwrap()[0].0, "y");
    }

    #[test]
    fn yaml11_octal_numbers() {
        let n = parse("a: 0644\nb: 0o17\nc: 089\nd: -010\ne: 0\nf: '0644'\ng: 0.5\nh: 0x1F\n");
        assert_eq!(n.get("a").unwrap().kind, NodeKind::Int(0o644));
        assert_eq!(n.get("b").unwrap().kind, NodeKind::Str("0o17".into()));
        assert_eq!(n.get("c").unwrap().kind, NodeKind::Str("089".into()));
        assert_eq!(n.get("d").unwrap().kind, NodeKind::Int(-8));
        assert_eq!(n.get("e").unwrap().kind, NodeKind::Int(0));
        assert_eq!(n.get("f").unwrap().kind, NodeKind::Str("0644".into()));
        assert_eq!(n.get("g").unwrap().kind, NodeKind::Float(0.5));
        assert_eq!(n.get("h").unwrap().kind, NodeKind::Int(31));
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse_str("a: [1, 2\nb: c\n", Path::new("bad.yml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("bad.yml:"), "{msg}");
    }

    /// The keyring every unit test that decrypts through the loader shares.
    fn test_keyring() -> crate::vault::Keyring {
        let ring = crate::vault::Keyring::new(vec![crate::vault::Secret::new("default", b"unit-test-pw")]);
        crate::vault::keyring::install(ring.clone());
        ring
    }

    #[test]
    fn vault_tagged_scalars_and_vaulted_files_decrypt() {
        let ring = test_keyring();
        let text = ring.encrypt(b"yaml-unit-secret", None).unwrap();
        let indented: String = text.lines().map(|l| format!("  {l}\n")).collect();
        let n = parse(&format!("pw: !vault |\n{indented}plain: !!str 1\n"));
        assert_eq!(n.get("pw").unwrap().as_str(), Some("yaml-unit-secret"));
        assert_eq!(n.get("plain").unwrap().as_str(), Some("1"));
        assert_eq!(crate::vault::mask::mask("yaml-unit-secret"), crate::vault::mask::MASK);
        let file = ring.encrypt(b"a: yaml-unit-file-value\n", None).unwrap();
        assert_eq!(parse(&file).get("a").unwrap().as_str(), Some("yaml-unit-file-value"));
        assert_eq!(crate::vault::mask::mask("yaml-unit-file-value"), crate::vault::mask::MASK);
    }

    #[test]
    fn vault_errors_name_the_position() {
        let ring = test_keyring();
        let other = crate::vault::Keyring::new(vec![crate::vault::Secret::new("default", b"other")]);
        let text = other.encrypt(b"x", None).unwrap().replace('\n', "\n  ");
        let e = parse_str(&format!("a: 1\npw: !vault |\n  {text}"), Path::new("v.yml")).unwrap_err();
        assert!(e.to_string().contains("on v.yml:3:"), "{e}");
        let bad = ring.encrypt(b"a: [secret-in-bad-yaml\n", None).unwrap();
        let e = parse_str(&bad, Path::new("v.yml")).unwrap_err();
        assert!(
            !e.to_string().contains("secret-in-bad-yaml") && e.to_string().contains("hearth vault view"),
            "{e}"
        );
        let e = parse_str("pw: !vault [1]\n", Path::new("v.yml")).unwrap_err();
        assert!(e.to_string().contains("!vault"), "{e}");
    }

    #[test]
    fn empty_file_is_null() {
        assert_eq!(parse("# only a comment\n").kind, NodeKind::Null);
    }
}
