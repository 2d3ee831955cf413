//! Ansible's chained undefined and fully qualified filter and test names, by rewriting the
//! source before minijinja compiles it. `x | ansible.builtin.to_json` becomes `x | to_json`
//! (see `fqcn`). An attribute chain (`a.b.c`, `a['b'][k].c`) directly under `default`/`d`,
//! `is defined`/`is undefined` (and the type tests that answer on undefined: `is none`,
//! `is string`, ...) or `mandatory` becomes a call to `__hearth_chain` (or
//! `__hearth_mandatory`), which yields undefined as soon as one step is missing instead of
//! failing on the next step. Everywhere else the chain is left alone, so a plain `{{ a.b.c }}`
//! with `a.b` missing stays the strict error it is in Ansible. (minijinja 3.1's
//! `UndefinedBehavior::Chainable` is not used: it is lenient, so a plain `{{ a.b.c }}` would
//! print nothing and `when: a.b.c` would be false instead of failing.)
//! Not handled: a parenthesized chain (`(a.b).c | default`) and line statements; both keep
//! minijinja's strict behaviour (an error, never a wrong value).

use std::borrow::Cow;

use super::fqcn::{short_filter, short_test};
use super::lexer::{Delimiters, Kind, Tok, expression_tokens, template_tokens};

/// The function a chain under `default`/`is defined` becomes.
pub const CHAIN_FN: &str = "__hearth_chain";
/// The function a chain under `mandatory` becomes.
pub const MANDATORY_FN: &str = "__hearth_mandatory";
/// The keyword argument carrying the source text of `[expr]` steps.
pub const KEYS_KWARG: &str = "_hearth_keys";

/// Tests that answer on an undefined value without failing, in Ansible and in hearth
/// (`iterable`, `truthy` and `falsy` fail in Ansible).
#[rustfmt::skip]
const TOLERANT_TESTS: &[&str] = &[
    "defined", "undefined", "none", "string", "number", "mapping", "boolean", "integer", "float",
    "true", "false", "sequence",
];

/// Words that are never a variable starting a chain.
const KEYWORDS: &[&str] =
    &["and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"];

/// A template's text with its tolerant chains rewritten (borrowed when nothing changes).
pub fn rewrite_template<'a>(text: &'a str, d: &Delimiters) -> Cow<'a, str> {
    if !might_need(text) {
        return Cow::Borrowed(text);
    }
    apply(text, &template_tokens(text, d))
}

/// A bare expression with its tolerant chains rewritten.
pub fn rewrite_expression(text: &str) -> Cow<'_, str> {
    if !might_need(text) {
        return Cow::Borrowed(text);
    }
    apply(text, &expression_tokens(text))
}

/// A cheap test that spares the lexer for most strings.
fn might_need(text: &str) -> bool {
    ["default", "defined", "mandatory", "d(", "d ", "is ", "ansible."].iter().any(|w| text.contains(w))
}

/// Applies every rewrite found in the tokens to the text.
fn apply<'a>(text: &'a str, toks: &[Tok]) -> Cow<'a, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < toks.len() {
        match rewrite_at(text, toks, i) {
            Some((end_tok, end_byte, replacement)) => {
                out.push_str(&text[copied..toks[i].start]);
                out.push_str(&replacement);
                copied = end_byte;
                i = end_tok;
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// One step of a chain, as written.
enum Step<'a> {
    /// `.name` or `.0`: the literal key.
    Attr(&'a str, Kind),
    /// `[expr]`: the expression's text.
    Item(&'a str),
}

/// When a tolerant chain starts at token `i`: the token index to continue from, the byte where
/// the replaced text ends, and the replacement.
fn rewrite_at(text: &str, toks: &[Tok], i: usize) -> Option<(usize, usize, String)> {
    if let Some(short) = fqcn_at(text, toks, i) {
        return Some(short);
    }
    let name = &text[toks[i].start..toks[i].end];
    if toks[i].kind != Kind::Name || KEYWORDS.contains(&name) || !starts_chain(text, toks, i) {
        return None;
    }
    let (steps, j) = steps(text, toks, i + 1)?;
    let base = name;
    match follower(text, toks, j)? {
        Follower::Tolerant if !steps.is_empty() => Some((
            j,
            toks[j - 1].end,
            format!("{CHAIN_FN}({base}{}{})", step_args(&steps), key_sources(&steps)),
        )),
        Follower::Mandatory { name_tok } => {
            let (args, end_tok) = match toks.get(name_tok + 1) {
                Some(t) if t.kind == Kind::Op('(') => {
                    let close = matching(toks, name_tok + 1)?;
                    (rewrite_expression(&text[t.end..toks[close].start]).into_owned(), close)
                }
                _ => (String::new(), name_tok),
            };
            let keys = step_args(&steps);
            let keys = keys.strip_prefix(", ").unwrap_or(&keys);
            let args = if args.trim().is_empty() { String::new() } else { format!(", {args}") };
            let call = format!("{MANDATORY_FN}('{base}', {base}, [{keys}]{args}{})", key_sources(&steps));
            Some((end_tok + 1, toks[end_tok].end, call))
        }
        Follower::Tolerant => None,
    }
}

/// A fully qualified filter or test name at `i` that hearth knows: its short name.
fn fqcn_at(text: &str, toks: &[Tok], i: usize) -> Option<(usize, usize, String)> {
    let after_pipe = i >= 1 && toks[i - 1].kind == Kind::Op('|');
    if !after_pipe && !after_is(text, toks, i) {
        return None;
    }
    let (name, last) = filter_name(text, toks, i)?;
    let short = if after_pipe { short_filter(&name) } else { short_test(&name) }?;
    Some((last + 1, toks[last].end, short.to_string()))
}

/// True when the token at `i` is a test name (after `is` or `is not`).
fn after_is(text: &str, toks: &[Tok], i: usize) -> bool {
    let word = |k: usize| (toks[k].kind == Kind::Name).then(|| &text[toks[k].start..toks[k].end]);
    i >= 1 && word(i - 1) == Some("is") || i >= 2 && word(i - 1) == Some("not") && word(i - 2) == Some("is")
}

/// True when the name at `i` is a variable (not an attribute, filter or test name, not a call).
fn starts_chain(text: &str, toks: &[Tok], i: usize) -> bool {
    let prev_op = i.checked_sub(1).map(|k| toks[k].kind);
    let next_op = toks.get(i + 1).map(|t| t.kind);
    !after_is(text, toks, i)
        && !matches!(prev_op, Some(Kind::Op('.' | '|')))
        && next_op != Some(Kind::Op('('))
}

/// The attribute and item steps after a chain's base; `None` when the chain ends in a method
/// call (`a.b.get(...)`), which is never rewritten.
fn steps<'a>(text: &'a str, toks: &[Tok], mut j: usize) -> Option<(Vec<Step<'a>>, usize)> {
    let mut steps = Vec::new();
    loop {
        match (toks.get(j).map(|t| t.kind), toks.get(j + 1)) {
            (Some(Kind::Op('.')), Some(t)) if matches!(t.kind, Kind::Name | Kind::Num) => {
                steps.push(Step::Attr(&text[t.start..t.end], t.kind));
                j += 2;
            }
            (Some(Kind::Op('[')), _) => {
                let close = matching(toks, j)?;
                steps.push(Step::Item(&text[toks[j].end..toks[close].start]));
                j = close + 1;
            }
            _ => break,
        }
    }
    let is_call = toks.get(j).is_some_and(|t| t.kind == Kind::Op('('));
    (!is_call).then_some((steps, j))
}

/// The index of the bracket closing the one at `open`, within the same expression.
fn matching(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Op('(' | '[' | '{') => depth += 1,
            Kind::Op(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            Kind::End => return None,
            _ => {}
        }
    }
    None
}

/// The steps as call arguments: `, 'b', 0, (k)`.
fn step_args(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Attr(key, Kind::Num) => format!(", {key}"),
            Step::Attr(key, _) => format!(", '{key}'"),
            Step::Item(expr) => format!(", ({})", rewrite_expression(expr)),
        })
        .collect()
}

/// `, _keys=['', 'k']`: the source of each `[expr]` step, for the error when it is undefined
/// (nothing when the chain has none).
fn key_sources(steps: &[Step]) -> String {
    if !steps.iter().any(|s| matches!(s, Step::Item(_))) {
        return String::new();
    }
    let quoted: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::Item(expr) => format!("'{}'", expr.trim().replace('\\', "\\\\").replace('\'', "\\'")),
            Step::Attr(..) => "''".to_string(),
        })
        .collect();
    format!(", {KEYS_KWARG}=[{}]", quoted.join(", "))
}

/// What follows a chain, when it tolerates an undefined value.
enum Follower {
    /// `| default`, `| d`, `is [not] defined`, `is [not] undefined`.
    Tolerant,
    /// `| mandatory`, with the index of the filter name's last token.
    Mandatory { name_tok: usize },
}

fn follower(text: &str, toks: &[Tok], j: usize) -> Option<Follower> {
    let word = |k: usize| toks.get(k).filter(|t| t.kind == Kind::Name).map(|t| &text[t.start..t.end]);
    match toks.get(j)?.kind {
        Kind::Op('|') => {
            let (name, last) = filter_name(text, toks, j + 1)?;
            match name.as_str() {
                "default" | "d" => Some(Follower::Tolerant),
                "mandatory" | "ansible.builtin.mandatory" => Some(Follower::Mandatory { name_tok: last }),
                _ => None,
            }
        }
        Kind::Name if word(j) == Some("is") => {
            let test = if word(j + 1) == Some("not") { j + 2 } else { j + 1 };
            let (name, _) = filter_name(text, toks, test)?;
            TOLERANT_TESTS.contains(&name.as_str()).then_some(Follower::Tolerant)
        }
        _ => None,
    }
}

/// A filter or test name, possibly dotted (`ansible.builtin.mandatory`), and its last token.
fn filter_name(text: &str, toks: &[Tok], mut k: usize) -> Option<(String, usize)> {
    let first = toks.get(k).filter(|t| t.kind == Kind::Name)?;
    let mut name = text[first.start..first.end].to_string();
    while let (Some(dot), Some(next)) = (toks.get(k + 1), toks.get(k + 2)) {
        if dot.kind != Kind::Op('.') || next.kind != Kind::Name {
            break;
        }
        name.push('.');
        name.push_str(&text[next.start..next.end]);
        k += 2;
    }
    Some((name, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> String {
        rewrite_template(s, &Delimiters::default()).into_owned()
    }

    #[test]
    fn chains_under_default_and_defined_are_rewritten() {
        assert_eq!(t("{{ a.b.c | default('x') }}"), "{{ __hearth_chain(a, 'b', 'c') | default('x') }}");
        assert_eq!(
            t("{{ a['b'].c|d(1) }}"),
            "{{ __hearth_chain(a, ('b'), 'c', _hearth_keys=['\\'b\\'', ''])|d(1) }}"
        );
        assert_eq!(t("{% if a.b.0 is not defined %}"), "{% if __hearth_chain(a, 'b', 0) is not defined %}");
        assert_eq!(
            rewrite_expression("x.y is defined and x.y.z is undefined"),
            "__hearth_chain(x, 'y') is defined and __hearth_chain(x, 'y', 'z') is undefined"
        );
        assert_eq!(
            t("{{ a[k.l.m | default('q')].c | default(omit) }}"),
            "{{ __hearth_chain(a, (__hearth_chain(k, 'l', 'm') | default('q')), 'c', \
             _hearth_keys=['k.l.m | default(\\'q\\')', '']) | default(omit) }}"
        );
    }

    #[test]
    fn plain_uses_and_other_filters_stay_strict() {
        for s in [
            "{{ a.b.c }}",
            "{{ a.b.c | upper | default('x') }}",
            "{{ a.b.get('c') | default('x') }}",
            "{{ x | default('y') }}",
            "{{ 'a.b' | default('y') }}",
            "{{ f(a).b | default('y') }}",
            "{% raw %}{{ a.b.c | default('x') }}{% endraw %}",
            "{{ 1 is divisibleby 3 }}{{ x is defined }}",
        ] {
            assert_eq!(t(s), s);
        }
    }

    #[test]
    fn fully_qualified_names_become_short() {
        assert_eq!(t("{{ x | ansible.builtin.to_json }}"), "{{ x | to_json }}");
        assert_eq!(t("{{ x|ansible.builtin.regex_search('a') }}"), "{{ x|regex_search('a') }}");
        assert_eq!(
            rewrite_expression(
                "x is ansible.builtin.match('a') and y is not ansible.builtin.version('1', '>')"
            ),
            "x is match('a') and y is not version('1', '>')"
        );
        assert_eq!(t("{{ a.b | ansible.builtin.mandatory }}"), "{{ __hearth_mandatory('a', a, ['b']) }}");
        for s in [
            "{{ x | ansible.builtin.lower }}",
            "{{ 'ansible.builtin.to_json' }}",
            "{{ ansible.builtin.to_json }}",
        ] {
            assert_eq!(t(s), s);
        }
    }

    #[test]
    fn mandatory_gets_the_names() {
        assert_eq!(t("{{ a.b.c | mandatory }}"), "{{ __hearth_mandatory('a', a, ['b', 'c']) }}");
        assert_eq!(
            t("{{ nope | ansible.builtin.mandatory('set ' ~ x.y) | upper }}"),
            "{{ __hearth_mandatory('nope', nope, [], 'set ' ~ x.y) | upper }}"
        );
    }
}
