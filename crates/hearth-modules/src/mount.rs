//! `ansible.posix.mount`: a filesystem's fstab entry and whether it is mounted, with the
//! collection's Linux semantics (`present` edits fstab only, `mounted` also creates the mount
//! point and mounts, remounting when the entry changed, `unmounted` only unmounts, `absent`
//! removes the entry and then unmounts and removes the mount point, `remounted` always
//! remounts, `ephemeral` mounts from the parameters without fstab). One script reads the mount
//! point's stats, the fstab file and /proc/self/mountinfo ([`mount_probe`]); the fstab editing
//! is the pure [`super::mount_fstab`], the change step [`super::mount_action`]. Not handled:
//! Solaris' vfstab, the BSDs, `~` in paths.

use serde::Deserialize;

use super::mount_action::{self, Step};
use super::mount_args::{Args, State};
use super::mount_fstab::{self as fstab, Wanted};
use super::mount_probe::{self, Found};
use crate::module::{Ctx, Diff, Module, ModuleError, Plan};
use hearth_formats::value::{Map, Value};

/// Parameters of `mount`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    /// The mount point.
    #[serde(alias = "name")]
    pub path: String,
    /// Device, label, share or `tmpfs`; required for mounted, present and ephemeral.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub src: Option<String>,
    /// Filesystem type; required for mounted, present and ephemeral.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub fstype: Option<String>,
    /// Mount options (default `defaults`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub opts: Option<String>,
    /// Keep `opts` out of the output.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub opts_no_log: bool,
    /// fstab's dump field (default `0`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub dump: Option<String>,
    /// fstab's passno field (default `0`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub passno: Option<String>,
    /// mounted, unmounted, present, absent, absent_from_fstab, remounted or ephemeral.
    pub state: State,
    /// The fstab file (default /etc/fstab); mount runs with `-T FILE` for another one.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub fstab: Option<String>,
    /// Mount at boot; false adds `noauto` to the options.
    #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
    pub boot: bool,
    /// Keep a dated copy of fstab before changing it.
    #[serde(default, deserialize_with = "super::args::de_bool")]
    pub backup: bool,
}

fn yes() -> bool {
    true
}

impl Mount {
    /// Defaults, `boot` and Ansible's `required_if` checks.
    pub fn args(&self) -> Result<Args, ModuleError> {
        if matches!(self.state, State::Mounted | State::Present | State::Ephemeral) {
            let missing: Vec<&str> = [("src", &self.src), ("fstype", &self.fstype)]
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(k, _)| *k)
                .collect();
            if !missing.is_empty() {
                let state =
                    serde_json::to_value(self.state).ok().and_then(|v| v.as_str().map(str::to_string));
                return Err(ModuleError::msg(format!(
                    "state is {} but all of the following are missing: {}",
                    state.unwrap_or_default(),
                    missing.join(", ")
                )));
            }
        }
        let mut opts: Vec<String> =
            self.opts.as_deref().unwrap_or("defaults").split(',').map(str::to_string).collect();
        let mut warnings = Vec::new();
        if self.boot && opts.iter().any(|o| o == "noauto") {
            warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.".to_string());
        } else if !self.boot {
            opts.push("noauto".into());
        }
        Ok(Args {
            name: self.path.clone(),
            src: self.src.clone(),
            fstype: self.fstype.clone(),
            opts: opts.join(","),
            dump: self.dump.clone().unwrap_or_else(|| "0".into()),
            passno: self.passno.clone().unwrap_or_else(|| "0".into()),
            fstab: self.fstab.clone().unwrap_or_else(|| "/etc/fstab".into()),
            boot: self.boot,
            warnings,
        })
    }

    /// The result keys Ansible's module returns (`boot` is `yes`/`no`, numbers are text).
    fn result(&self, a: &Args) -> Map {
        let mut r = Map::new();
        let text = |s: &str| Value::String(s.to_string());
        r.insert("name".into(), text(&a.name));
        for (k, v) in [("src", &a.src), ("fstype", &a.fstype)] {
            if let Some(v) = v {
                r.insert(k.into(), text(v));
            }
        }
        r.insert("opts".into(), text(if self.opts_no_log { "********" } else { &a.opts }));
        r.insert("dump".into(), text(&a.dump));
        r.insert("passno".into(), text(&a.passno));
        r.insert("fstab".into(), text(&a.fstab));
        r.insert("boot".into(), text(if a.boot { "yes" } else { "no" }));
        r.insert("backup_file".into(), text(""));
        if !a.warnings.is_empty() {
            r.insert("warnings".into(), a.warnings.clone().into());
        }
        r
    }
}

/// What the task has to do: nothing (and why), or steps with a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Already so.
    Ok(String),
    /// These steps, described by the summary.
    Change(String, Vec<Step>),
}

/// Ansible's refusal to override an ephemeral mount point that holds another source.
const OTHER_SOURCE: &str = "Ephemeral mount point is already mounted with a different source than the specified \
     one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command \
     with a \"state: unmounted\" followed by a \"state: ephemeral\", or use a different destination path.";

/// The fstab entry `args` describe.
fn wanted(a: &Args) -> Wanted {
    Wanted {
        src: a.src.clone().unwrap_or_default(),
        name: a.name.clone(),
        fstype: a.fstype.clone().unwrap_or_default(),
        opts: a.opts.clone(),
        dump: a.dump.clone(),
        passno: a.passno.clone(),
    }
}

/// The module's decision from what the host has, state by state as in Ansible's `main`.
pub fn decide(state: State, a: &Args, found: &Found) -> Result<Decision, ModuleError> {
    use Decision::{Change, Ok as Fine};
    let (name, tab, text) = (&a.name, &a.fstab, found.fstab_text());
    let missing_dir = if found.exists() { vec![] } else { vec![Step::MakeDirs] };
    Ok(match state {
        State::Present | State::Mounted => {
            let (after, changed) = fstab::set_entry(text, &wanted(a));
            let write = changed.then_some(Step::WriteFstab(after));
            let entry = if changed { format!("write the entry of {name} in {tab}") } else { String::new() };
            match (state, found.mounted(name, a.src.as_deref()), write) {
                (State::Present, _, None) => Fine(format!("{tab} has the entry of {name}")),
                (State::Present, _, Some(w)) => Change(entry, vec![w]),
                (_, true, None) => Fine(format!("{name} is mounted and {tab} has its entry")),
                (_, true, Some(w)) => Change(format!("{entry}, remount {name}"), vec![w, Step::Remount]),
                (_, false, w) => {
                    let steps = [missing_dir, w.into_iter().collect(), vec![Step::Mount]].concat();
                    Change([entry, format!("mount {name}")].join(", ").trim_start_matches(", ").into(), steps)
                }
            }
        }
        State::Absent | State::AbsentFromFstab => {
            let (after, changed) = fstab::remove_entry(text, name, a.src.as_deref());
            if !changed {
                return Ok(Fine(format!("{tab} has no entry for {name}")));
            }
            let mut steps = vec![Step::WriteFstab(after)];
            let mut summary = format!("remove the entry of {name} from {tab}");
            if state == State::Absent && found.mounted(name, None) {
                steps.push(Step::Umount);
                summary += &format!(", unmount {name}");
            }
            if state == State::Absent && found.exists() {
                steps.push(Step::Rmdir);
                summary += &format!(", remove {name}");
            }
            Change(summary, steps)
        }
        State::Unmounted if found.mounted(name, None) => {
            Change(format!("unmount {name}"), vec![Step::Umount])
        }
        State::Unmounted => Fine(format!("{name} is not mounted")),
        State::Remounted => Change(format!("remount {name}"), vec![Step::Remount]),
        State::Ephemeral => {
            let src = a.src.as_deref().unwrap_or_default();
            if !found.mounted(name, Some(src)) {
                Change(format!("mount {src} on {name}"), [missing_dir, vec![Step::Mount]].concat())
            } else if found.same_source(name, src) {
                Change(format!("remount {name}"), vec![Step::Remount])
            } else {
                return Err(ModuleError::msg(OTHER_SOURCE));
            }
        }
    })
}

impl Module for Mount {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let a = self.args()?;
        let tab = (self.state != State::Ephemeral).then_some(a.fstab.as_str());
        let found = mount_probe::probe(ctx.host, &a.name, tab)?;
        let result = self.result(&a);
        let (summary, steps) = match decide(self.state, &a, &found)? {
            Decision::Ok(why) => {
                let mut plan = Plan::ok(why);
                plan.result = result;
                return Ok(plan);
            }
            Decision::Change(summary, steps) => (summary, steps),
        };
        let diff = steps.iter().find_map(|s| match s {
            Step::WriteFstab(after) => Some(self.diff(&a.fstab, found.fstab_text(), after, &a.opts)),
            _ => None,
        });
        let (state, backup) = (self.state, self.backup);
        let action: crate::module::Action =
            Box::new(move |ctx: &Ctx| mount_action::act(ctx, state, backup, &a, &found, &steps));
        let mut plan = diff.into_iter().fold(Plan::change(summary, action), Plan::with_diff);
        plan.result = result;
        Ok(plan)
    }
}

impl Mount {
    /// The fstab diff, with the options masked under `opts_no_log`.
    fn diff(&self, path: &str, before: &str, after: &str, opts: &str) -> Diff {
        let mask = |t: &str| match self.opts_no_log {
            true => t.replace(&fstab::escape(opts), "********"),
            false => t.to_string(),
        };
        Diff {
            before_header: path.into(),
            after_header: path.into(),
            before: mask(before),
            after: mask(after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::mount_fstab::Stats;
    use super::super::mount_probe::{FstabFile, Point};
    use super::*;
    use serde_json::json;

    fn module(args: serde_json::Value) -> Mount {
        serde_json::from_value(args).unwrap()
    }

    fn args(extra: serde_json::Value) -> Args {
        let mut base = json!({"path": "/mnt/t", "src": "tmpfs", "fstype": "tmpfs", "state": "mounted"});
        base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        module(base).args().unwrap()
    }

    /// A host where /mnt/t exists (mounted or not) and fstab holds `text`.
    fn found(mounted: bool, text: &str) -> Found {
        let table = "22 1 0:21 / / rw - overlay overlay rw\n90 22 0:40 / /mnt/t rw - tmpfs tmpfs rw\n";
        Found {
            point: Point::Stat(Stats { own: (if mounted { 40 } else { 21 }, 2), parent: (21, 1) }),
            fstab: Some(FstabFile { real: "/etc/fstab".into(), text: Some(text.into()) }),
            mounts: Some(fstab::parse_mountinfo(if mounted { table } else { "" })),
        }
    }

    const LINE: &str = "tmpfs /mnt/t tmpfs defaults 0 0\n";

    #[test]
    fn defaults_boot_and_required_parameters() {
        let a = args(json!({}));
        assert_eq!((a.opts.as_str(), a.dump.as_str(), a.fstab.as_str()), ("defaults", "0", "/etc/fstab"));
        assert_eq!(args(json!({"boot": false, "opts": "size=1m"})).opts, "size=1m,noauto");
        assert_eq!(args(json!({"opts": "noauto"})).warnings.len(), 1);
        assert_eq!(args(json!({"dump": 1, "passno": "2"})).passno, "2");
        let err = module(json!({"name": "/m", "state": "present", "fstype": "x"})).args().unwrap_err();
        assert_eq!(err.to_string(), "state is present but all of the following are missing: src");
        assert!(module(json!({"path": "/m", "state": "unmounted"})).args().is_ok());
        assert!(serde_json::from_value::<Mount>(json!({"path": "/m", "state": "gone"})).is_err());
    }

    #[test]
    fn result_keys_like_ansible() {
        let m =
            module(json!({"name": "/m", "src": "s", "fstype": "t", "state": "present", "opts_no_log": true}));
        let r = m.result(&m.args().unwrap());
        assert_eq!(r["boot"], "yes");
        assert_eq!(r["opts"], "********");
        assert_eq!(r["dump"], "0");
        assert_eq!(r["backup_file"], "");
        assert!(
            !module(json!({"name": "/m", "state": "unmounted"}))
                .result(&args(json!({})))
                .contains_key("warnings")
        );
    }

    #[test]
    fn mounted_decisions() {
        let a = args(json!({}));
        let d = |f: &Found| decide(State::Mounted, &a, f).unwrap();
        assert!(matches!(d(&found(true, LINE)), Decision::Ok(_)));
        assert_eq!(
            d(&found(true, "")),
            Decision::Change(
                "write the entry of /mnt/t in /etc/fstab, remount /mnt/t".into(),
                vec![Step::WriteFstab(LINE.into()), Step::Remount]
            )
        );
        assert_eq!(d(&found(false, LINE)), Decision::Change("mount /mnt/t".into(), vec![Step::Mount]));
        let mut gone = found(false, "");
        gone.point = Point::Missing;
        let Decision::Change(_, steps) = d(&gone) else { panic!() };
        assert_eq!(steps, [Step::MakeDirs, Step::WriteFstab(LINE.into()), Step::Mount]);
        let Decision::Change(_, steps) = decide(State::Present, &a, &gone).unwrap() else { panic!() };
        assert_eq!(steps, [Step::WriteFstab(LINE.into())], "present only edits fstab");
    }

    #[test]
    fn other_states() {
        let a = args(json!({}));
        let d = |s: State, f: &Found| decide(s, &a, f).unwrap();
        let Decision::Change(_, steps) = d(State::Absent, &found(true, LINE)) else { panic!() };
        assert_eq!(steps, [Step::WriteFstab(String::new()), Step::Umount, Step::Rmdir]);
        assert!(
            matches!(d(State::Absent, &found(true, "")), Decision::Ok(_)),
            "no entry: Ansible does nothing"
        );
        let Decision::Change(_, steps) = d(State::AbsentFromFstab, &found(true, LINE)) else { panic!() };
        assert_eq!(steps, [Step::WriteFstab(String::new())]);
        assert_eq!(
            d(State::Unmounted, &found(true, LINE)),
            Decision::Change("unmount /mnt/t".into(), vec![Step::Umount])
        );
        assert!(matches!(d(State::Unmounted, &found(false, LINE)), Decision::Ok(_)));
        assert!(matches!(d(State::Remounted, &found(false, "")), Decision::Change(..)));
        assert_eq!(
            d(State::Ephemeral, &found(true, "")),
            Decision::Change("remount /mnt/t".into(), vec![Step::Remount])
        );
        let other = args(json!({"src": "/dev/x"}));
        assert_eq!(decide(State::Ephemeral, &other, &found(true, "")).unwrap_err().to_string(), OTHER_SOURCE);
    }

    #[test]
    fn present_on_the_local_host() {
        use crate::fileedit::testing::run;
        let dir = tempfile::tempdir().unwrap();
        let tab = dir.path().join("sub/fstab").display().to_string();
        let task = json!({"path": "/mnt/a b", "src": "tmpfs", "fstype": "tmpfs", "opts": "size=1m", "state": "present", "fstab": tab});
        let first = run("ansible.posix.mount", task.clone()).unwrap();
        assert!(first.changed && first.diffs == 1);
        assert_eq!(std::fs::read_to_string(&tab).unwrap(), "tmpfs /mnt/a\\040b tmpfs size=1m 0 0\n");
        assert!(!run("mount", task).unwrap().changed, "second run is ok");
        let gone = json!({"path": "/mnt/a b", "state": "absent_from_fstab", "fstab": tab, "backup": true});
        let r = run("mount", gone).unwrap();
        assert!(r.changed);
        assert_eq!(std::fs::read_to_string(&tab).unwrap(), "");
        let backup = r.result["backup_file"].as_str().unwrap();
        assert!(backup.starts_with(&tab), "{backup}");
    }
}
