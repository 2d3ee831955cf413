//! Plan pieces shared by `file`'s states and `copy`: state names, diff dicts, attribute plans, merging.

use super::file_attrs::FileAttrs;
use super::mode::{self, DiffMap, attrs_diff_maps, attrs_differ, path_fields};
use crate::module::{Ctx, Diff, ModuleError, Outcome, Plan};
use hearth_formats::value::Map;
use hearth_transport::{Cmd, FileKind, FileStat};

/// Ansible's name for what is at a path now.
pub fn prev_state(st: Option<&FileStat>) -> &'static str {
    match st.map(|s| s.kind) {
        None => "absent",
        Some(FileKind::Directory) => "directory",
        Some(FileKind::Link) => "link",
        Some(FileKind::File | FileKind::Other) => "file",
    }
}

/// Whether timestamps are set to the current time (`modification_time`/`access_time: now`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamps {
    /// Set the modification time to now.
    pub mtime_now: bool,
    /// Set the access time to now.
    pub atime_now: bool,
}

impl Stamps {
    /// True when any timestamp is to be set.
    pub fn any(self) -> bool {
        self.mtime_now || self.atime_now
    }
}

/// A failure carrying `path` in its result, like Ansible's.
pub(crate) fn failed(msg: impl Into<String>, path: &str) -> ModuleError {
    let mut result = Map::new();
    result.insert("path".into(), path.into());
    ModuleError::Failed { msg: msg.into(), result }
}

/// Ansible's `file` diff: dicts with `path`, `state` when it changes, and `extra` entries
/// (attributes, link `src`), serialized like its callback; `file` diffs have no headers.
pub(crate) fn state_diff(path: &str, prev: &str, next: &str, extra: (DiffMap, DiffMap)) -> Diff {
    let side = |mut m: DiffMap, state: &str| {
        m.insert("path", path.to_string());
        if prev != next {
            m.insert("state", state.to_string());
        }
        mode::serialize_diff(&m)
    };
    Diff {
        before_header: String::new(),
        after_header: String::new(),
        before: side(extra.0, prev),
        after: side(extra.1, next),
    }
}

/// Plans mode/owner/group (and `now` timestamps) on an existing path.
pub(crate) fn plan_attrs(
    path: &str,
    st: &FileStat,
    spec: FileAttrs,
    stamps: Stamps,
    state: &str,
) -> Result<Plan, ModuleError> {
    let mut want = spec.resolve(Some(st))?;
    if st.kind == FileKind::Link {
        want.mode = None;
    }
    let mut fields = path_fields(st);
    fields.insert("path".into(), path.into());
    fields.insert("state".into(), state.into());
    if let Some(m) = want.mode {
        fields.insert("mode".into(), mode::format_mode(m).into());
    }
    let differ = attrs_differ(st, &want);
    if !differ && !stamps.any() {
        let mut plan = Plan::ok(format!("{path} already as desired"));
        plan.result = fields;
        return Ok(plan);
    }
    let lines = attrs_diff_maps(st, &want);
    let owned = path.to_string();
    let summary = if differ { format!("set attributes of {path}") } else { format!("touch {path}") };
    let mut plan = Plan::change(
        summary,
        Box::new(move |ctx| {
            if differ {
                ctx.host.set_attrs(&owned, &want)?;
            }
            run_touch(ctx, &owned, stamps)?;
            Ok(Map::new())
        }),
    )
    .with_diff(state_diff(path, state, state, lines));
    plan.result = fields;
    Ok(plan)
}

/// Sets the requested timestamps to now with `touch -c` on the host.
fn run_touch(ctx: &Ctx, path: &str, stamps: Stamps) -> Result<(), ModuleError> {
    if !stamps.any() {
        return Ok(());
    }
    // `-h`: a path that is still a link here is one the user chose not to follow.
    let mut argv = vec!["touch", "-c", "-h"];
    match (stamps.mtime_now, stamps.atime_now) {
        (true, false) => argv.push("-m"),
        (false, true) => argv.push("-a"),
        _ => {}
    }
    argv.extend(["--", path]);
    let out = ctx.host.run(&Cmd::new(argv))?;
    if out.rc != 0 {
        return Err(failed(format!("touch failed: {}", String::from_utf8_lossy(&out.stderr).trim()), path));
    }
    Ok(())
}

/// Combines plans into one: ok when all are ok, else one change running every action in order.
pub fn merge(plans: Vec<Plan>, ok_reason: String) -> Plan {
    let (mut actions, mut summaries, mut diffs, mut result) =
        (Vec::new(), Vec::new(), Vec::new(), Map::new());
    for p in plans {
        diffs.extend(p.diffs);
        if result.is_empty() {
            result = p.result;
        }
        match p.outcome {
            Outcome::Ok(_) => {}
            Outcome::Change { summary, action } => {
                summaries.push(summary);
                actions.push(action);
            }
            Outcome::Run(action) => actions.push(action),
        }
    }
    let mut plan = if actions.is_empty() {
        Plan::ok(ok_reason)
    } else {
        let summary = match summaries.len() {
            0..=3 => summaries.join(", "),
            n => format!("{} and {} more", summaries[..3].join(", "), n - 3),
        };
        let mut plan = Plan::change(
            summary,
            Box::new(move |ctx| {
                let mut out = Map::new();
                for (i, action) in actions.into_iter().enumerate() {
                    let fields = action(ctx)?;
                    if i == 0 {
                        out = fields;
                    }
                }
                Ok(out)
            }),
        );
        plan.diffs = diffs;
        plan
    };
    plan.result = result;
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_diff_names_state_only_when_it_changes() {
        let d = state_diff("/p", "file", "file", (DiffMap::from([("mode", "0644".into())]), DiffMap::new()));
        assert_eq!(d.before, "{\n    \"mode\": \"0644\",\n    \"path\": \"/p\"\n}\n");
        let d = state_diff("/p", "absent", "directory", Default::default());
        assert_eq!(d.after, "{\n    \"path\": \"/p\",\n    \"state\": \"directory\"\n}\n");
        assert!(d.before_header.is_empty() && d.after_header.is_empty());
    }

    #[test]
    fn merge_is_ok_only_when_every_plan_is() {
        let ok = merge(vec![Plan::ok("a").with("path", "/a"), Plan::ok("b")], "all fine".into());
        assert!(matches!(ok.outcome, Outcome::Ok(ref r) if r == "all fine"));
        assert_eq!(ok.result["path"], "/a");
        let act = || -> crate::module::Action { Box::new(|_| Ok(Map::new())) };
        let plans = (0..5).map(|i| Plan::change(format!("c{i}"), act())).collect();
        let Outcome::Change { summary, .. } = merge(plans, String::new()).outcome else {
            panic!("expected a change");
        };
        assert_eq!(summary, "c0, c1, c2 and 2 more");
    }

    #[test]
    fn attribute_plan_on_a_link_ignores_mode() {
        let st = mode::new_stat(FileKind::Link);
        let m = serde_json::json!("0600");
        let spec = FileAttrs { mode: Some(&m), ..FileAttrs::default() };
        let plan = plan_attrs("/l", &st, spec, Stamps::default(), "link").unwrap();
        assert!(matches!(plan.outcome, Outcome::Ok(_)));
    }
}
