//! `community.general.alternatives`: Debian's alternatives system through `update-alternatives`,
//! with community.general's rules: `--display NAME` is parsed (the pure [`parse`]), an
//! alternative is (re)installed when it is missing or its priority or subcommands differ, then
//! `--set` (state `selected`, the default) or `--auto` (state `auto`) only when needed;
//! `absent` removes it. Results: `msg` listing what was done. RHEL's `family` is not supported.

use serde::Deserialize;

use crate::module::{Ctx, Diff, Module, ModuleError, Plan};
use hearth_formats::value::Map;
use hearth_transport::Cmd;

/// Parameters of `alternatives`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternatives {
    /// The generic name (`editor`, `iptables`).
    pub name: String,
    /// The alternative's target (`/usr/sbin/iptables-legacy`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub path: Option<String>,
    /// The generic link (`/usr/bin/editor`); needed only to install a new group.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub link: Option<String>,
    /// Priority when installing (default: the current one, else 50).
    #[serde(default, deserialize_with = "super::args::de_opt_int")]
    pub priority: Option<i64>,
    /// `selected` (default), `present`, `auto` or `absent`.
    #[serde(default)]
    pub state: State,
    /// Followers installed with it: `{name, path, link}` each.
    #[serde(default, alias = "slaves")]
    pub subcommands: Option<Vec<Sub>>,
}

/// One follower link (`--slave LINK NAME PATH`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sub {
    /// Follower name.
    pub name: String,
    /// Its target.
    pub path: String,
    /// Its link.
    pub link: String,
}

/// What the alternative must be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Installed and chosen (manual mode).
    #[default]
    Selected,
    /// Installed; the choice is left alone.
    Present,
    /// Installed, group in auto mode.
    Auto,
    /// Not installed.
    Absent,
}

/// What `update-alternatives --display` says about a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// `auto` or `manual`.
    pub mode: String,
    /// The chosen target.
    pub current: Option<String>,
    /// The generic link.
    pub link: Option<String>,
    /// The installed alternatives.
    pub alternatives: Vec<Installed>,
}

/// One installed alternative: (path, priority, followers as (name, path)).
pub type Installed = (String, i64, Vec<(String, String)>);

/// Parses `update-alternatives --display NAME` (LC_ALL=C); None when the group is unknown.
pub fn parse(out: &str) -> Option<Group> {
    let mut lines = out.lines();
    let first = lines.next()?;
    let mode = first.rsplit_once(" - ")?.1;
    let mode = mode.strip_prefix("status is ").unwrap_or(mode).trim_end_matches('.');
    let mut g = Group { mode: mode.trim_end_matches(" mode").to_string(), ..Group::default() };
    for line in lines {
        let t = line.trim();
        if let Some(p) = t.strip_prefix("link currently points to ") {
            g.current = Some(p.to_string());
        } else if let Some(rest) = t.strip_prefix("link ").filter(|r| !r.starts_with("best version")) {
            g.link = rest.split_once(" is ").map(|(_, l)| l.to_string()).or(g.link);
        } else if line.starts_with('/') {
            let Some((path, prio)) = line.split_once(" - priority ") else { continue };
            g.alternatives.push((path.to_string(), prio.trim().parse().unwrap_or(0), Vec::new()));
        } else if let (Some(rest), Some(last)) =
            (t.strip_prefix("slave ").or(t.strip_prefix("follower ")), g.alternatives.last_mut())
            && let Some((name, path)) = rest.split_once(": ").filter(|(_, p)| *p != "(null)")
        {
            last.2.push((name.to_string(), path.to_string()));
        }
    }
    Some(g)
}

impl Alternatives {
    /// The update-alternatives calls needed, in order.
    fn steps(&self, g: &Group) -> Result<Vec<Vec<String>>, ModuleError> {
        let name = self.name.clone();
        let installed = |p: &str| g.alternatives.iter().find(|a| a.0 == p);
        if self.state == State::Absent {
            return Ok(match self.path.as_deref().filter(|p| installed(p).is_some()) {
                Some(p) => vec![vec!["--remove".into(), name, p.into()]],
                None => Vec::new(),
            });
        }
        let path =
            self.path.clone().ok_or_else(|| ModuleError::msg("Either path or family must be specified"))?;
        let mut steps = Vec::new();
        let subs_differ = |have: &[(String, String)]| {
            self.subcommands.as_ref().is_some_and(|want| {
                let want: Vec<(String, String)> =
                    want.iter().map(|s| (s.name.clone(), s.path.clone())).collect();
                want.iter().any(|w| !have.contains(w)) || have.iter().any(|h| !want.contains(h))
            })
        };
        let needs_install = match installed(&path) {
            None => true,
            Some((_, prio, subs)) => self.priority.is_some_and(|p| p != *prio) || subs_differ(subs),
        };
        if needs_install {
            let link = self.link.clone().or_else(|| g.link.clone()).ok_or_else(|| {
                ModuleError::msg(
                    "Needed to install the alternative, but unable to do so as we are missing the link",
                )
            })?;
            let prio = self.priority.or(installed(&path).map(|a| a.1)).unwrap_or(50);
            let mut cmd = vec!["--install".into(), link, name.clone(), path.clone(), prio.to_string()];
            for s in self.subcommands.iter().flatten() {
                cmd.extend(["--slave".into(), s.link.clone(), s.name.clone(), s.path.clone()]);
            }
            steps.push(cmd);
        }
        if self.state == State::Selected && g.current.as_deref() != Some(&path) {
            steps.push(vec!["--set".into(), name.clone(), path.clone()]);
        }
        if self.state == State::Auto && g.mode == "manual" {
            steps.push(vec!["--auto".into(), name]);
        }
        Ok(steps)
    }
}

/// The message community.general gives for a step.
fn message(step: &[String]) -> String {
    match step[0].as_str() {
        "--install" => format!("Install alternative '{}' for '{}'.", step[3], step[2]),
        "--remove" => format!("Remove alternative '{}' from '{}'.", step[2], step[1]),
        "--set" => format!("Set alternative '{}' for '{}'.", step[2], step[1]),
        _ => format!("Set alternative to auto for '{}'.", step[1]),
    }
}

impl Module for Alternatives {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let mut display = Cmd::new(["update-alternatives", "--display", &self.name]);
        display.env.push(("LC_ALL".into(), "C".into()));
        let out = ctx.host.run(&display)?;
        let group =
            if out.rc == 0 { parse(&String::from_utf8_lossy(&out.stdout)) } else { None }.unwrap_or_default();
        if let Some(p) = self.path.as_deref().filter(|_| self.state != State::Absent)
            && !group.alternatives.iter().any(|a| a.0 == p)
            && ctx.host.stat(p, true)?.is_none()
        {
            return Err(ModuleError::msg(format!("Specified path {p} does not exist")));
        }
        let steps = self.steps(&group)?;
        let msg = steps.iter().map(|s| message(s)).collect::<Vec<_>>().join(" ");
        if steps.is_empty() {
            return Ok(Plan::ok(format!("{} is as wanted", self.name)).with("msg", msg));
        }
        let before =
            format!("mode: {}\ncurrent: {}\n", group.mode, group.current.as_deref().unwrap_or("none"));
        let diff = Diff {
            before_header: format!("{} (alternatives)", self.name),
            after_header: format!("{} (alternatives)", self.name),
            before,
            after: steps.iter().map(|s| format!("update-alternatives {}\n", s.join(" "))).collect(),
        };
        let action: crate::module::Action = Box::new(move |ctx: &Ctx| {
            for step in &steps {
                let mut cmd =
                    Cmd::new(std::iter::once("update-alternatives".to_string()).chain(step.iter().cloned()));
                cmd.env.push(("LC_ALL".into(), "C".into()));
                let out = ctx.host.run(&cmd)?;
                if out.rc != 0 {
                    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
                    return Err(super::fileedit::fail_rc(err, out.rc.into()));
                }
            }
            Ok(Map::new())
        });
        Ok(Plan::change(msg.clone(), action).with_diff(diff).with("msg", msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DISPLAY: &str = "editor - manual mode\n  link best version is /bin/nano\n  link currently points to /usr/bin/vim.basic\n  link editor is /usr/bin/editor\n  slave editor.1.gz is /usr/share/man/man1/editor.1.gz\n/bin/nano - priority 40\n  slave editor.1.gz: /usr/share/man/man1/nano.1.gz\n/usr/bin/vim.basic - priority 30\n  slave editor.1.gz: (null)\n";

    fn module(args: serde_json::Value) -> Alternatives {
        serde_json::from_value(args).unwrap()
    }

    #[test]
    fn display_output_is_parsed() {
        let g = parse(DISPLAY).unwrap();
        assert_eq!(g.mode, "manual");
        assert_eq!(g.current.as_deref(), Some("/usr/bin/vim.basic"));
        assert_eq!(g.link.as_deref(), Some("/usr/bin/editor"));
        assert_eq!(
            g.alternatives[0],
            ("/bin/nano".into(), 40, vec![("editor.1.gz".into(), "/usr/share/man/man1/nano.1.gz".into())])
        );
        assert_eq!(g.alternatives[1].2, vec![]);
    }

    #[test]
    fn only_needed_steps() {
        let g = parse(DISPLAY).unwrap();
        let steps = |args| module(args).steps(&g).unwrap();
        assert_eq!(
            steps(json!({"name": "editor", "path": "/bin/nano"})),
            [vec!["--set", "editor", "/bin/nano"]]
        );
        assert!(steps(json!({"name": "editor", "path": "/usr/bin/vim.basic"})).is_empty());
        assert_eq!(
            steps(json!({"name": "editor", "path": "/bin/nano", "state": "auto"})),
            [vec!["--auto", "editor"]]
        );
        assert!(steps(json!({"name": "editor", "path": "/bin/nano", "state": "present"})).is_empty());
        assert_eq!(
            steps(json!({"name": "editor", "path": "/bin/nano", "state": "present", "priority": 60})),
            [vec!["--install", "/usr/bin/editor", "editor", "/bin/nano", "60"]]
        );
        assert_eq!(
            steps(json!({"name": "editor", "path": "/bin/ed", "state": "absent"})),
            Vec::<Vec<String>>::new()
        );
        assert_eq!(
            steps(json!({"name": "editor", "path": "/bin/nano", "state": "absent"})),
            [vec!["--remove", "editor", "/bin/nano"]]
        );
        let new = module(json!({"name": "x", "path": "/bin/x"})).steps(&Group::default());
        assert!(new.unwrap_err().to_string().contains("missing the link"));
    }
}
