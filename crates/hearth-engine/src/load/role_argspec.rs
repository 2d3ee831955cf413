//! Role argument specs (`meta/argument_specs.yml`, or `argument_specs:` in `meta/main.yml`):
//! like Ansible, a role entry point with a spec starts with a validation task, "Validating
//! arguments against arg spec 'ENTRY' - SHORT_DESCRIPTION", tagged `always`, that runs
//! `validate_argument_spec` on the role's variables.

use std::path::Path;
use std::sync::Arc;

use super::error::LoadError;
use super::role::Role;
use super::source::Source;
use super::task::Task;
use hearth_formats::yaml::{self, Node, NodeKind};

/// The validation task for `entry` (`main`, or the `tasks_from` name) of `role`, when the role
/// declares a spec for it.
/// `params` are the role's parameters (its `roles:` entry's keys), which must be options too.
pub fn validation_task(
    role: &Arc<Role>,
    entry: &str,
    params: &[String],
    src: &Source,
    meta: Option<&(std::path::PathBuf, Node)>,
) -> Result<Option<Task>, LoadError> {
    let Some((file, specs)) = argument_specs(&role.path, meta)? else { return Ok(None) };
    let Some(spec) = specs.get(entry) else { return Ok(None) };
    let pos = spec.pos.clone();
    let options =
        spec.get("options").cloned().unwrap_or(Node { pos: pos.clone(), kind: NodeKind::Map(vec![]) });
    // Defaults and descriptions play no part in validation (Ansible does not apply spec
    // defaults), and may hold templates that must not be rendered here.
    let options = without_docs(options);
    if options.as_map().is_none() {
        return Err(LoadError::at(
            &options.pos,
            format!("argument spec '{entry}': 'options' must be a mapping"),
        ));
    }
    let mut name = format!("Validating arguments against arg spec '{entry}'");
    if let Some(d) = spec.get("short_description").and_then(Node::as_str) {
        name.push_str(&format!(" - {d}"));
    }
    let text = |s: &str| Node { pos: pos.clone(), kind: NodeKind::Str(s.to_string()) };
    let map = |items: Vec<(&str, Node)>| Node {
        pos: pos.clone(),
        kind: NodeKind::Map(items.into_iter().map(|(k, v)| (k.to_string(), pos.clone(), v)).collect()),
    };
    let context = map(vec![
        ("argument_spec_name", text(entry)),
        ("name", text(&role.name)),
        ("path", text(&role.path.display().to_string())),
        ("type", text("role")),
    ]);
    let mut args = vec![("argument_spec", options), ("validate_args_context", context)];
    if !params.is_empty() {
        args.push((
            "_role_params",
            Node { pos: pos.clone(), kind: NodeKind::Seq(params.iter().map(|p| text(p)).collect()) },
        ));
    }
    let task = map(vec![
        ("name", text(&name)),
        ("validate_argument_spec", map(args)),
        ("tags", Node { pos: pos.clone(), kind: NodeKind::Seq(vec![text("always")]) }),
    ]);
    let list = Node { pos: pos.clone(), kind: NodeKind::Seq(vec![task]) };
    let mut tasks = src.file(&file, Some(role.clone())).tasks(&list)?;
    Ok(tasks.pop())
}

/// The options with `default` and `description` dropped, at every level.
fn without_docs(node: Node) -> Node {
    let NodeKind::Map(options) = node.kind else { return node };
    let kept = options
        .into_iter()
        .map(|(name, pos, opt)| {
            let opt = match opt.kind {
                NodeKind::Map(keys) => Node {
                    pos: opt.pos,
                    kind: NodeKind::Map(
                        keys.into_iter()
                            .filter(|(k, _, _)| k != "default" && k != "description")
                            .map(|(k, p, v)| if k == "options" { (k, p, without_docs(v)) } else { (k, p, v) })
                            .collect(),
                    ),
                },
                other => Node { pos: opt.pos, kind: other },
            };
            (name, pos, opt)
        })
        .collect();
    Node { pos: node.pos, kind: NodeKind::Map(kept) }
}

/// The role's `argument_specs` mapping and the file it is in, if any: `meta/argument_specs.yml`
/// first, then `meta/main.yml` (already read, as `meta`).
fn argument_specs(
    role_dir: &Path,
    meta: Option<&(std::path::PathBuf, Node)>,
) -> Result<Option<(std::path::PathBuf, Node)>, LoadError> {
    let dir = role_dir.join("meta");
    let own = ["argument_specs.yml", "argument_specs.yaml"].iter().map(|f| dir.join(f)).find(|p| p.is_file());
    let own = own.map(|f| yaml::parse_file(&f).map(|n| (f, n))).transpose()?;
    for (file, node) in own.iter().chain(meta) {
        if let Some(specs) = node.get("argument_specs") {
            if specs.as_map().is_none() {
                return Err(LoadError::at(&specs.pos, "argument_specs must be a mapping of entry points"));
            }
            return Ok(Some((file.clone(), specs.clone())));
        }
    }
    Ok(None)
}

/// The entry point a `tasks_from` value names (`install.yml` → `install`).
pub fn entry_point(tasks_from: Option<&str>) -> String {
    let name = tasks_from.unwrap_or("main");
    let name = name.strip_suffix(".yml").or_else(|| name.strip_suffix(".yaml")).unwrap_or(name);
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::entry_point;

    #[test]
    fn entry_points_drop_the_extension() {
        assert_eq!(entry_point(None), "main");
        assert_eq!(entry_point(Some("install.yml")), "install");
        assert_eq!(entry_point(Some("setup")), "setup");
    }
}
