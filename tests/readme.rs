//! README.md is the user's door: this keeps its module tables and CLI reference in sync with the
//! code. Every registered module needs a `### name` section whose parameter table lists exactly
//! the module's parameters (aliases may appear in any column), and every flag of every
//! subcommand must be mentioned. It does not check prose, types or defaults.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use hearth::cli::Cli;
use hearth::modules::REGISTRY;

/// The README's text.
fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The lines after the heading `### name`, up to the next `##`/`###` heading.
fn section<'a>(text: &'a str, name: &str) -> Option<Vec<&'a str>> {
    let heading = format!("### {name}");
    let mut lines = text.lines().skip_while(|l| l.trim_end() != heading);
    lines.next()?;
    Some(lines.take_while(|l| !l.starts_with("### ") && !l.starts_with("## ")).collect())
}

/// The lines of the chapter `## title`, up to the next `## ` heading.
fn chapter<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    let heading = format!("## {title}");
    text.lines()
        .skip_while(|l| l.trim_end() != heading)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .collect()
}

/// First-column names of the table rows in a section (header and separator rows skipped).
fn first_column(lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.trim_start().starts_with('|'))
        .filter_map(|l| l.trim_start().trim_start_matches('|').split('|').next())
        .map(|cell| cell.trim().trim_matches('`').to_string())
        .filter(|cell| cell != "Parameter" && !cell.chars().all(|c| matches!(c, '-' | ':' | ' ')))
        .collect()
}

/// True when `flag` appears in backticks as a whole word (`` `--tags` ``, `` `--graph [GROUP]` ``).
fn mentions(text: &str, flag: &str) -> bool {
    let needle = format!("`{flag}");
    text.match_indices(&needle)
        .any(|(i, _)| text[i + needle.len()..].chars().next().is_some_and(|c| matches!(c, '`' | ' ' | '=')))
}

#[test]
fn every_module_has_a_section() {
    let text = readme();
    let missing: Vec<&str> =
        REGISTRY.iter().map(|s| s.name).filter(|n| section(&text, n).is_none()).collect();
    assert!(missing.is_empty(), "README.md has no `### <module>` section for: {missing:?}");
}

#[test]
fn module_sections_list_every_parameter() {
    let text = readme();
    let mut problems = Vec::new();
    for spec in REGISTRY {
        let Some(lines) = section(&text, spec.name) else { continue };
        let body = lines.join("\n");
        for p in (spec.params)() {
            if !body.contains(&format!("`{p}`")) {
                problems.push(format!("{}: parameter `{p}` is not in its README section", spec.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn module_tables_list_no_unknown_parameter() {
    let text = readme();
    let mut problems = Vec::new();
    for spec in REGISTRY {
        let Some(lines) = section(&text, spec.name) else { continue };
        let params = (spec.params)();
        for name in first_column(&lines) {
            if !params.contains(&name.as_str()) {
                problems.push(format!(
                    "{}: the README lists `{name}`, which the module does not take",
                    spec.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn modules_chapter_has_only_registered_modules() {
    let text = readme();
    let known: BTreeSet<&str> = REGISTRY.iter().map(|s| s.name).collect();
    let extra: Vec<&str> = chapter(&text, "Modules")
        .iter()
        .filter_map(|l| l.strip_prefix("### "))
        .map(str::trim)
        .filter(|n| !known.contains(n))
        .collect();
    assert!(extra.is_empty(), "README documents modules that are not in the registry: {extra:?}");
}

#[test]
fn every_cli_flag_is_documented() {
    let text = readme();
    let mut missing = Vec::new();
    for sub in Cli::command().get_subcommands() {
        for arg in sub.get_arguments() {
            let flags = arg
                .get_long()
                .map(|l| format!("--{l}"))
                .into_iter()
                .chain(arg.get_short().map(|s| format!("-{s}")));
            for flag in flags {
                if !mentions(&text, &flag) {
                    missing.push(format!("hearth {} {flag}", sub.get_name()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "README.md does not mention these flags: {missing:?}");
}

#[test]
fn table_parsing() {
    let lines = ["| Parameter | Type |", "|---|---|", "| `path` | string |", "text | not a row"];
    assert_eq!(first_column(&lines), vec!["path".to_string()]);
    let doc = "## Modules\n### a\n| `x` |\n### b\nbody\n## Next\n### c\n";
    assert_eq!(section(doc, "a"), Some(vec!["| `x` |"]));
    assert_eq!(section(doc, "b"), Some(vec!["body"]));
    assert!(mentions("use `--tags` or `--graph [G]`", "--graph"));
    assert!(!mentions("use `--tags-x`", "--tags"));
    assert_eq!(chapter(doc, "Modules").iter().filter(|l| l.starts_with("### ")).count(), 2);
}
