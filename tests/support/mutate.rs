//! Near-valid inputs for the fuzz tests: a valid sample with a few edits a person or a broken
//! tool might make (bytes inserted, deleted or replaced, brackets, tabs, invalid UTF-8, deep
//! nesting, lines duplicated), so the parsers are driven past their first check. Bounded so
//! the whole fuzz set stays fast in debug builds.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

/// Bytes that matter to YAML, INI, Jinja and host patterns, plus tabs, NUL and invalid UTF-8.
const INTERESTING: &[u8] = b"[]{}()<>:,;=-'\"\\#&!~*?%|.\t\n\r \x00\xff\xfe\xc3\xe9\x80_0123456789azAZ@$^`+/";

/// Openers and their closers for deep nesting.
const NESTS: &[(&str, &str)] = &[
    ("[", "]"),
    ("{", "}"),
    ("{{ (", ") }}"),
    ("{% if 1 %}", "{% endif %}"),
    ("- ", ""),
    ("(", ")"),
    ("a:\n  ", ""),
];

/// One edit of a sample.
#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, u8),
    Delete(Index, usize),
    Replace(Index, u8),
    Nest(Index, usize, usize),
    Unbalanced(Index, usize, usize),
    DuplicateLine(Index),
    Indent(Index, bool),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(INTERESTING);
    prop_oneof![
        3 => (any::<Index>(), byte.clone()).prop_map(|(i, b)| Edit::Insert(i, b)),
        2 => (any::<Index>(), 1usize..8).prop_map(|(i, n)| Edit::Delete(i, n)),
        3 => (any::<Index>(), byte).prop_map(|(i, b)| Edit::Replace(i, b)),
        1 => (any::<Index>(), 0..NESTS.len(), 1usize..300).prop_map(|(i, k, d)| Edit::Nest(i, k, d)),
        1 => (any::<Index>(), 0..NESTS.len(), 1usize..4).prop_map(|(i, k, d)| Edit::Unbalanced(i, k, d)),
        1 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => (any::<Index>(), any::<bool>()).prop_map(|(i, tab)| Edit::Indent(i, tab)),
    ]
}

impl Edit {
    fn apply(&self, b: &mut Vec<u8>) {
        let at = |i: &Index, b: &Vec<u8>| i.index(b.len() + 1);
        match self {
            Edit::Insert(i, c) => {
                let p = at(i, b);
                b.insert(p, *c);
            }
            Edit::Delete(i, n) if !b.is_empty() => {
                let p = i.index(b.len());
                b.drain(p..(p + n).min(b.len()));
            }
            Edit::Replace(i, c) if !b.is_empty() => {
                let p = i.index(b.len());
                b[p] = *c;
            }
            Edit::Nest(i, k, depth) => {
                let (open, close) = NESTS[*k];
                let p = at(i, b);
                let mid = format!("{}x{}", open.repeat(*depth), close.repeat(*depth));
                b.splice(p..p, mid.into_bytes());
            }
            Edit::Unbalanced(i, k, n) => {
                let (open, close) = NESTS[*k];
                let p = at(i, b);
                let piece = if n % 2 == 0 { close } else { open };
                b.splice(p..p, piece.repeat(*n).into_bytes());
            }
            Edit::DuplicateLine(i) => {
                let lines: Vec<&[u8]> = b.split(|c| *c == b'\n').collect();
                let line = lines[i.index(lines.len())].to_vec();
                let p = at(i, b);
                let start = b[..p].iter().rposition(|c| *c == b'\n').map_or(0, |s| s + 1);
                let mut piece = line;
                piece.push(b'\n');
                b.splice(start..start, piece);
            }
            Edit::Indent(i, tab) => {
                let p = at(i, b);
                let start = b[..p].iter().rposition(|c| *c == b'\n').map_or(0, |s| s + 1);
                let piece: &[u8] = if *tab { b"\t" } else { b"  " };
                b.splice(start..start, piece.iter().copied());
            }
            Edit::Delete(..) | Edit::Replace(..) => {}
        }
    }
}

/// A sample from `samples` with up to seven edits.
pub fn near(samples: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (prop::sample::select(samples), prop::collection::vec(edit(), 0..8)).prop_map(|(s, edits)| {
        let mut b = s.as_bytes().to_vec();
        for e in &edits {
            e.apply(&mut b);
        }
        b
    })
}

/// Like [`near`], as text (invalid UTF-8 replaced), for the APIs that take `&str`.
pub fn near_text(samples: &'static [&'static str]) -> impl Strategy<Value = String> {
    near(samples).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Runs `test` on `cases` inputs from `strategy`; a panic or an `Err` fails with the input.
/// It runs on an 8 MiB stack, like hearth's main thread and its host threads (a test thread
/// has 2 MiB), so a stack overflow here is one the binary would have too.
pub fn run<S: Strategy + Send>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError> + Send,
) {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let outcome = std::thread::scope(|s| {
        let fuzz = move || TestRunner::new(config).run(&strategy, test).map_err(|e| e.to_string());
        std::thread::Builder::new().stack_size(8 << 20).spawn_scoped(s, fuzz).expect("fuzz thread").join()
    });
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Checks an error message: not empty, and every `NAME:LINE:COLUMN` naming `file` points
/// inside `input` (at most its line count, the empty line after a final line break included).
pub fn check_message(message: &str, file: &str, input: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(!message.trim().is_empty(), "empty error message");
    // YAML breaks lines at `\r\n`, `\r` and `\n`.
    let text = String::from_utf8_lossy(input).replace("\r\n", "\n").replace('\r', "\n");
    let lines = text.split('\n').count() as u64;
    let needle = format!("{file}:");
    for (at, _) in message.match_indices(&needle) {
        let rest = &message[at + needle.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(line) = digits.parse::<u64>() {
            prop_assert!(line >= 1 && line <= lines, "line {line} outside 1..={lines}: {message}");
        }
    }
    Ok(())
}
