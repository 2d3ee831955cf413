//! Scalar rules of the YAML emitter in `pyyaml.rs`: libyaml's analysis of which quoting styles
//! a string allows, YAML 1.1 implicit types (a plain `yes` or `1.5` would not read back as a
//! string), double-quoted escapes and PyYAML's float format. Not here: layout (`pyyaml.rs`).

use std::sync::LazyLock;

use regex::Regex;

use crate::pyfloat::float_repr;
use crate::value::Value;

/// libyaml's escape of one character inside a double-quoted scalar.
pub(super) fn double_escape(c: char) -> String {
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

/// True for anything but a list or a mapping.
pub(super) fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// Empty lists and mappings always print in flow style (`[]`, `{}`).
pub(super) fn is_empty_collection(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// A key short and single-line enough for `key: value` (else `? key`).
pub(super) fn is_simple_key(k: &str) -> bool {
    k.len() <= 128 && !k.chars().any(is_break)
}

/// YAML line-break characters.
pub(super) fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Characters libyaml prints as they are (with `allow_unicode`).
pub(super) fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

/// A blank, a break, or the end of the text.
pub(super) fn is_blankz(c: Option<&char>) -> bool {
    c.is_none_or(|c| matches!(c, ' ' | '\t' | '\0') || is_break(*c))
}

/// PyYAML's `represent_float`: `1.0e+20`, `.inf`, `.nan`.
pub(super) fn yaml_float(f: f64) -> String {
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
pub(super) struct Analysis {
    pub multiline: bool,
    pub flow_plain: bool,
    pub block_plain: bool,
    pub single_quoted: bool,
}

/// Analyses a non-empty or empty string for the quoting styles it allows.
pub(super) fn analyze(s: &str) -> Analysis {
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
pub(super) fn resolves_as_str(s: &str) -> bool {
    !IMPLICIT.iter().any(|re| re.is_match(s))
}
