//! The workspace keeps its shape (ARCHITECTURE.md): each crate depends only on the crates
//! below it, no two files of a crate import each other round a circle (a parent file that
//! children import and that names them back is a circle too), no source file grows past 500
//! lines, and no function (outside tests) past 80. Read from the source tree, so a new `use`
//! that points back up fails here with the files it joins.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each crate with the hearth crates it may depend on.
const LAYERS: &[(&str, &[&str])] = &[
    ("hearth-formats", &[]),
    ("hearth-template", &["hearth-formats"]),
    ("hearth-transport", &["hearth-formats"]),
    ("hearth-kube", &["hearth-formats", "hearth-transport"]),
    ("hearth-lab", &["hearth-formats"]),
    ("hearth-modules", &["hearth-formats", "hearth-template", "hearth-transport", "hearth-kube"]),
    ("hearth-engine", &["hearth-formats", "hearth-template", "hearth-transport", "hearth-modules"]),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn crates_depend_only_on_the_crates_below_them() {
    let mut found = Vec::new();
    for (name, allowed) in LAYERS {
        let manifest = fs::read_to_string(root().join("crates").join(name).join("Cargo.toml")).unwrap();
        let deps = manifest.split("[dev-dependencies]").next().unwrap_or_default();
        for line in deps.lines() {
            let dep = line.split(['.', ' ', '=']).next().unwrap_or_default();
            if dep.starts_with("hearth") && !allowed.contains(&dep) {
                found.push(format!("{name} depends on {dep}"));
            }
        }
    }
    let dirs: BTreeSet<String> = fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = LAYERS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(dirs, listed, "every crate has its place in LAYERS");
    assert!(found.is_empty(), "dependencies pointing up or sideways: {found:?}");
}

#[test]
fn no_two_files_of_a_crate_import_each_other_round_a_circle() {
    let mut circles = Vec::new();
    for (name, _) in LAYERS {
        let graph = import_graph(&root().join("crates").join(name).join("src"));
        for circle in strongly_connected(&graph) {
            let shown: Vec<&str> = circle.iter().map(|m| if m.is_empty() { "lib.rs" } else { m }).collect();
            circles.push(format!("{name}: {}", shown.join(" ↔ ")));
        }
    }
    assert!(circles.is_empty(), "file import circles:\n{}", circles.join("\n"));
}

#[test]
fn no_source_file_is_longer_than_500_lines() {
    let mut long = Vec::new();
    for dir in [root().join("src"), root().join("crates")] {
        for file in rust_files(&dir) {
            let lines = fs::read_to_string(&file).unwrap().lines().count();
            if lines > 500 {
                long.push(format!("{} ({lines})", file.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(long.is_empty(), "files over 500 lines: {long:?}");
}

#[test]
fn no_function_is_longer_than_80_lines() {
    let mut long = Vec::new();
    for dir in [root().join("src"), root().join("crates")] {
        for file in rust_files(&dir) {
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name == "tests.rs" || name.ends_with("_tests.rs") {
                continue;
            }
            let text = fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (line, len) in function_lengths(code) {
                if len > 80 {
                    long.push(format!(
                        "{}:{line} ({len} lines)",
                        file.strip_prefix(root()).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(long.is_empty(), "functions over 80 lines: {long:?}");
}

/// Each function's first line (1-based) and length, by matching its braces.
fn function_lengths(code: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split_whitespace().take_while(|w| *w != "fn").collect();
        let is_fn = line.split_whitespace().any(|w| w == "fn")
            && words
                .iter()
                .all(|w| w.starts_with("pub") || ["async", "const", "unsafe", "extern"].contains(w))
            && !line.trim_end().ends_with(';');
        if !is_fn {
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        for (end, l) in lines.iter().enumerate().skip(start) {
            depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
            opened |= l.contains('{');
            if opened && depth <= 0 {
                out.push((start + 1, end - start + 1));
                break;
            }
        }
    }
    out
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// A crate's files by module path (`load::task`), each with the modules its code (not its
/// tests) names through `crate::`, `super::` or `self::` paths.
fn import_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files: BTreeMap<String, PathBuf> =
        rust_files(src).into_iter().map(|p| (module_of(src, &p), p)).collect();
    let mut graph = BTreeMap::new();
    for (module, path) in &files {
        let text = fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let own: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        let mut edges = BTreeSet::new();
        for path in paths(code) {
            let Some((first, rest)) = path.split_first() else { continue };
            // `self` is the module itself and `super` its parent, whatever file holds it.
            let mut base: Vec<&str> = match *first {
                "crate" => vec![],
                "self" => own.clone(),
                _ => own[..own.len().saturating_sub(1)].to_vec(),
            };
            let mut rest = rest;
            while let Some((&"super", more)) = rest.split_first() {
                base.pop();
                rest = more;
            }
            let full: Vec<&str> = base.into_iter().chain(rest.iter().copied()).collect();
            if let Some(target) = longest_module(&files, &full).filter(|t| t != module) {
                edges.insert(target);
            }
        }
        // A parent names its child modules by bare paths (`plan::run(...)`).
        for child in children(&files, module) {
            let name = child.rsplit("::").next().unwrap_or_default();
            if names_bare(code, name) {
                edges.insert(child);
            }
        }
        graph.insert(module.clone(), edges);
    }
    graph
}

/// `src/load/task.rs` → `load::task`; `src/load/mod.rs` → `load`; `src/lib.rs` → ``.
fn module_of(src: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> =
        rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The longest prefix of `path` that is a file of the crate (the crate root, ``, when only
/// the root defines it).
fn longest_module(files: &BTreeMap<String, PathBuf>, path: &[&str]) -> Option<String> {
    (0..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| files.contains_key(m))
}

/// The modules directly below `module`.
fn children(files: &BTreeMap<String, PathBuf>, module: &str) -> Vec<String> {
    let prefix = if module.is_empty() { String::new() } else { format!("{module}::") };
    files
        .keys()
        .filter(|m| m.strip_prefix(&prefix).is_some_and(|rest| !rest.is_empty() && !rest.contains("::")))
        .cloned()
        .collect()
}

/// Whether some code starts a path with `name::` (not as the tail of a longer path or name).
fn names_bare(code: &str, name: &str) -> bool {
    let needle = format!("{name}::");
    code.match_indices(&needle).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

/// The `crate::a::b`, `super::a` and `self::a` paths in some code, with `{x, y}` groups
/// expanded one level.
fn paths(code: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start).map(|i| i + from) {
            from = i + start.len();
            // Only where a path starts: not inside a longer name or after `::`.
            if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b':')) {
                continue;
            }
            let tail = &code[i..];
            let end =
                tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
            let head: Vec<&str> = tail[..end].split("::").filter(|s| !s.is_empty()).collect();
            if tail[end..].starts_with('{') {
                let group = &tail[end + 1..tail[end..].find('}').map_or(end + 1, |j| end + j)];
                for item in group.split(',') {
                    let item = item
                        .trim()
                        .split("::")
                        .next()
                        .unwrap_or_default()
                        .split(' ')
                        .next()
                        .unwrap_or_default();
                    if !item.is_empty() && item != "self" {
                        out.push(head.iter().copied().chain([item]).collect());
                    }
                }
            } else {
                out.push(head);
            }
        }
    }
    out
}

/// The circles of a graph (Tarjan's strongly connected components of more than one node).
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let lw = s.low[w.as_str()];
                s.low.insert(v, s.low[v].min(lw));
            } else if s.on_stack.contains(w.as_str()) {
                let iw = s.index[w.as_str()];
                s.low.insert(v, s.low[v].min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}
