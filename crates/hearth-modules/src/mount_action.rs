//! The change step of `mount`: the [`Step`]s the module's decision chose, run in order
//! with Ansible's commands (`mount [-T FSTAB] PATH`, `mount -o remount`, umount + mount as the
//! fallback, `umount`, `rmdir`) and its undo after a failed mount (fstab put back, directories
//! made for the mount point removed). Deciding what to do is not done here.

use super::fileedit;
use super::mount_args::{Args, State};
use super::mount_probe::Found;
use crate::module::{Ctx, ModuleError};
use hearth_formats::value::Map;
use hearth_transport::{Attrs, Cmd, TransportError};

/// One thing the change step does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create the mount point and its missing parents (removed again if mounting fails).
    MakeDirs,
    /// Write this fstab text (after a backup, when asked).
    WriteFstab(String),
    /// `mount [-T FSTAB] NAME`, or `mount -t TYPE [-o OPTS] SRC NAME` for ephemeral.
    Mount,
    /// `mount -o remount ...`, falling back to umount + mount like Ansible.
    Remount,
    /// `umount NAME`.
    Umount,
    /// `rmdir NAME`.
    Rmdir,
}

/// Ansible's refusal to fall back to umount + mount when `remounted` has options.
const REMOUNT_OPTS: &str = "Options were specified with remounted, but the remount command failed. Failing in \
     order to prevent an unexpected mount result. Try replacing this command with a \"state: unmounted\" \
     followed by a \"state: mounted\" using the full desired mount options instead.";

/// The change step: runs `steps` in order; a failed (re)mount puts fstab back and removes the
/// directories it created, as Ansible does.
pub fn act(
    ctx: &Ctx,
    state: State,
    backup: bool,
    a: &Args,
    found: &Found,
    steps: &[Step],
) -> Result<Map, ModuleError> {
    let mut out = Map::new();
    let (mut created, mut wrote) = (Vec::new(), false);
    let name = &a.name;
    for step in steps {
        let failed = match step {
            Step::MakeDirs => {
                created = make_dirs(ctx, name)?;
                None
            }
            Step::WriteFstab(text) => {
                let file = write_fstab(ctx, found, &a.fstab, text, backup)?;
                out.insert("backup_file".into(), file.into());
                wrote = true;
                None
            }
            Step::Mount => run(ctx, mount_argv(a, state, false))?,
            Step::Remount => remount(ctx, a, state)?,
            Step::Umount => match run(ctx, vec!["umount".into(), name.clone()])? {
                Some(msg) => return Err(ModuleError::msg(format!("Error unmounting {name}: {msg}"))),
                None => None,
            },
            Step::Rmdir => match run(ctx, vec!["rmdir".into(), "--".into(), name.clone()])? {
                Some(msg) => return Err(ModuleError::msg(format!("Error rmdir {name}: {}", msg.trim_end()))),
                None => None,
            },
        };
        let Some(msg) = failed else { continue };
        if state == State::Remounted {
            return Err(ModuleError::msg(format!("Error remounting {name}: {msg}")));
        }
        if wrote {
            let mut old = found.fstab_text().to_string();
            if !old.is_empty() && !old.ends_with('\n') {
                old.push('\n');
            }
            let _ = write_fstab(ctx, found, &a.fstab, &old, false);
        }
        for dir in created.iter().rev() {
            let _ = ctx.host.run(&Cmd::new(["rmdir", "--", dir]));
        }
        return Err(ModuleError::msg(format!("Error mounting {name}: {msg}")));
    }
    Ok(out)
}

/// `mkdir` of each missing ancestor of `name` and `name` itself; returns those it made.
fn make_dirs(ctx: &Ctx, name: &str) -> Result<Vec<String>, ModuleError> {
    const SCRIPT: &str =
        r#"for d do [ -e "$d" ] && continue; mkdir -- "$d" || exit 1; printf '%s\n' "$d"; done"#;
    let dirs = hearth_transport::script::ancestors(name);
    let argv = [vec!["/bin/sh".to_string(), "-c".into(), SCRIPT.into(), "sh".into()], dirs].concat();
    let out = ctx.host.run(&Cmd::new(argv))?;
    if out.rc != 0 {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(ModuleError::msg(format!("Error making dir {name}: {}", err.trim())));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect())
}

/// Writes fstab (through links), creating its directory when missing; returns the backup's name.
fn write_fstab(
    ctx: &Ctx,
    found: &Found,
    path: &str,
    text: &str,
    backup: bool,
) -> Result<String, ModuleError> {
    let file = found.fstab.as_ref();
    let real = file.map_or(path, |f| f.real.as_str());
    let exists = file.is_some_and(|f| f.text.is_some());
    let backup_file = if backup && exists { fileedit::backup(ctx.host, path)? } else { String::new() };
    if !exists {
        fileedit::ensure_parent(ctx.host, real)?;
    }
    ctx.host.write_file(real, text.as_bytes(), &Attrs::default())?;
    Ok(backup_file)
}

/// Ansible's mount arguments: `-T FSTAB` for another fstab than /etc/fstab, or for ephemeral
/// `-t TYPE [-o OPTS] SRC`; then the mount point.
fn mount_argv(a: &Args, state: State, remount: bool) -> Vec<String> {
    let mut argv = vec!["mount".to_string()];
    if remount {
        let with_opts = state == State::Remounted && a.opts != "defaults";
        argv.extend(["-o".into(), if with_opts { format!("remount,{}", a.opts) } else { "remount".into() }]);
    }
    if state == State::Ephemeral {
        argv.extend(["-t".into(), a.fstype.clone().unwrap_or_default()]);
        if a.opts != "defaults" {
            argv.extend(["-o".into(), a.opts.clone()]);
        }
        argv.push(a.src.clone().unwrap_or_default());
    } else if a.fstab != "/etc/fstab" {
        argv.extend(["-T".into(), a.fstab.clone()]);
    }
    argv.push(a.name.clone());
    argv
}

/// `mount -o remount`; when that fails, umount and mount (except `remounted` with options,
/// which fails like Ansible). Returns the failing command's output, if any.
fn remount(ctx: &Ctx, a: &Args, state: State) -> Result<Option<String>, ModuleError> {
    if run(ctx, mount_argv(a, state, true))?.is_none() {
        return Ok(None);
    }
    if state == State::Remounted && a.opts != "defaults" {
        return Err(ModuleError::msg(REMOUNT_OPTS));
    }
    if let Some(msg) = run(ctx, vec!["umount".into(), a.name.clone()])? {
        return Ok(Some(msg));
    }
    run(ctx, mount_argv(a, state, false))
}

/// Runs a command; Some(stdout + stderr) when it failed, as Ansible reports it.
fn run(ctx: &Ctx, argv: Vec<String>) -> Result<Option<String>, ModuleError> {
    let program = argv.first().cloned().unwrap_or_default();
    let missing = || ModuleError::msg(format!("Failed to find required executable \"{program}\""));
    let out = match ctx.host.run(&Cmd::new(argv)) {
        Ok(out) => out,
        Err(TransportError::Spawn { .. }) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    let err = String::from_utf8_lossy(&out.stderr);
    if out.rc == 127 || err.contains(hearth_transport::script::NO_PROGRAM) {
        return Err(missing());
    }
    Ok((out.rc != 0).then(|| format!("{}{err}", String::from_utf8_lossy(&out.stdout))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mount::Mount;
    use serde_json::json;

    fn args(extra: serde_json::Value) -> Args {
        let mut base = json!({"path": "/mnt/t", "src": "tmpfs", "fstype": "tmpfs", "state": "mounted"});
        base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value::<Mount>(base).unwrap().args().unwrap()
    }

    #[test]
    fn mount_commands() {
        let a = args(json!({"fstab": "/etc/other", "opts": "size=1m"}));
        assert_eq!(mount_argv(&a, State::Mounted, false), ["mount", "-T", "/etc/other", "/mnt/t"]);
        assert_eq!(
            mount_argv(&a, State::Mounted, true),
            ["mount", "-o", "remount", "-T", "/etc/other", "/mnt/t"]
        );
        assert_eq!(mount_argv(&a, State::Remounted, true)[..3], ["mount", "-o", "remount,size=1m"]);
        assert_eq!(
            mount_argv(&a, State::Ephemeral, false),
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", "/mnt/t"]
        );
        assert_eq!(mount_argv(&args(json!({})), State::Mounted, false), ["mount", "/mnt/t"]);
    }
}
