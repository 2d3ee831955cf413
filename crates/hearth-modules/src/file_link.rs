//! `file`'s link states: symbolic links with Ansible's `force`/`follow` rules, and hard links.

use super::file_attrs::FileAttrs;
use super::file_plan::{Stamps, failed, merge, plan_attrs, prev_state, state_diff};
use super::fileedit::{join, parent};
use super::mode::{DiffMap, attrs_differ};
use crate::module::{Ctx, ModuleError, Plan};
use hearth_formats::value::Map;
use hearth_transport::{Attrs, Cmd, FileKind, FileStat};

/// Ensures a symbolic link `path` → `src`, with Ansible's `force` rules; shared with `copy`.
pub fn ensure_link(
    ctx: &Ctx,
    path: &str,
    src: Option<&str>,
    force: bool,
    follow: bool,
    spec: FileAttrs,
) -> Result<Plan, ModuleError> {
    let prev = ctx.host.stat(path, false)?;
    let existing_target = prev.as_ref().and_then(|s| s.link_target.clone());
    let src = match src {
        Some(s) => Some(s.to_string()),
        None if follow => existing_target.clone(),
        None => None,
    };
    let base = match &prev {
        Some(s) if s.kind == FileKind::Directory => path,
        _ => parent(path),
    };
    let absrc = src.as_deref().map(|s| if s.starts_with('/') { s.to_string() } else { join(base, s) });
    if let Some(abs) = absrc.as_deref().filter(|_| !force)
        && ctx.host.stat(abs, true)?.is_none()
    {
        let msg = format!(
            "src file does not exist, use \"force=yes\" if you really want to create the link: {abs}"
        );
        return Err(failed(msg, path));
    }
    check_link_conflicts(ctx, path, prev.as_ref(), force)?;
    let prev_name = prev_state(prev.as_ref());
    let relink = match (&prev, &src) {
        (Some(s), Some(want)) if s.kind == FileKind::Link => existing_target.as_deref() != Some(want),
        (Some(s), None) if s.kind == FileKind::Link => false,
        (_, Some(_)) => true,
        (_, None) => return Err(failed("src is required for creating new symlinks", path)),
    };
    let src = src.unwrap_or_default();
    let mut plans = Vec::new();
    if relink {
        let (p, s, was_dir) = (path.to_string(), src.clone(), prev_name == "directory");
        let before: DiffMap = existing_target.map(|t| ("src", t.to_string())).into_iter().collect();
        let diff = state_diff(path, prev_name, "link", (before, DiffMap::from([("src", src.clone())])));
        plans.push(
            Plan::change(
                format!("link {path} -> {src}"),
                Box::new(move |ctx| {
                    if was_dir {
                        ctx.host.remove(&p)?;
                    }
                    ctx.host.symlink(&s, &p)?;
                    Ok(Map::new())
                }),
            )
            .with_diff(diff),
        );
    }
    if let Some(target) = absrc.filter(|_| follow)
        && let Some(st) = ctx.host.stat(&target, true)?
    {
        plans.push(plan_attrs(&target, &st, spec, Stamps::default(), prev_state(Some(&st)))?);
    } else if !follow && (spec.owner.is_some() || spec.group.is_some()) {
        let want = Attrs { mode: None, owner: spec.owner.map(Into::into), group: spec.group.map(Into::into) };
        let needed = relink || prev.as_ref().is_none_or(|s| attrs_differ(s, &want));
        if needed {
            let p = path.to_string();
            plans.push(Plan::change(
                format!("set owner of link {path}"),
                Box::new(move |ctx| Ok(ctx.host.set_attrs(&p, &want).map(|()| Map::new())?)),
            ));
        }
    }
    let mut plan = merge(plans, format!("{path} already links to {src}"));
    plan.result = Map::new();
    Ok(plan.with("dest", path).with("src", src).with("state", "link"))
}

/// Ansible's refusals to turn a file or a non-empty directory into a link.
fn check_link_conflicts(
    ctx: &Ctx,
    path: &str,
    prev: Option<&FileStat>,
    force: bool,
) -> Result<(), ModuleError> {
    match prev.map(|s| s.kind) {
        Some(FileKind::Directory) if !force => {
            Err(failed(format!("refusing to convert from directory to symlink for {path}"), path))
        }
        Some(FileKind::Directory) if !ctx.host.list_dir(path)?.is_empty() => {
            Err(failed(format!("the directory {path} is not empty, refusing to convert it"), path))
        }
        Some(FileKind::File | FileKind::Other) if !force => {
            Err(failed(format!("refusing to convert from file to symlink for {path}"), path))
        }
        _ => Ok(()),
    }
}

/// A hard link `path` → `src`, compared by inode with `test -ef`, made with `ln -f`.
pub(crate) fn hard(
    ctx: &Ctx,
    path: &str,
    src: Option<&str>,
    prev: Option<&FileStat>,
    force: bool,
    spec: FileAttrs,
) -> Result<Plan, ModuleError> {
    let src = src.ok_or_else(|| failed("src is required for creating new hardlinks", path))?;
    let Some(src_stat) = ctx.host.stat(src, true)? else {
        return Err(failed("src does not exist", path));
    };
    let same = match prev {
        Some(st) if st.kind != FileKind::Link => ctx.host.run(&Cmd::new(["test", path, "-ef", src]))?.rc == 0,
        _ => false,
    };
    if same {
        let mut plan = plan_attrs(path, &src_stat, spec, Stamps::default(), "hard")?;
        plan.result.insert("src".into(), src.into());
        return Ok(plan);
    }
    match prev.map(|s| s.kind) {
        Some(FileKind::Directory) => {
            return Err(failed(format!("refusing to convert from directory to hard link for {path}"), path));
        }
        Some(FileKind::File | FileKind::Other) if !force => {
            return Err(failed("Cannot link, file exists at destination", path));
        }
        _ => {}
    }
    let want = spec.resolve(Some(&src_stat))?;
    let (p, s) = (path.to_string(), src.to_string());
    let diff = state_diff(path, prev_state(prev), "hard", Default::default());
    let plan = Plan::change(
        format!("hard link {path} -> {src}"),
        Box::new(move |ctx| {
            let out = ctx.host.run(&Cmd::new(["ln", "-f", "--", s.as_str(), p.as_str()]))?;
            if out.rc != 0 {
                let msg = format!("Error while linking: {}", String::from_utf8_lossy(&out.stderr).trim());
                return Err(failed(msg, &p));
            }
            ctx.host.set_attrs(&p, &want)?;
            Ok(Map::new())
        }),
    );
    Ok(plan.with_diff(diff).with("dest", path).with("src", src).with("state", "hard"))
}
