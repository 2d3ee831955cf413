//! `community.general.timezone`: the host's time zone (and, with timedatectl, whether the RTC
//! keeps local time). Like community.general's Linux code: when `timedatectl status` works it
//! reads and sets through it; otherwise (containers, hosts without systemd) the zone is the
//! first word of `/etc/timezone` checked against the `/etc/localtime` link, and a change
//! rewrites `/etc/timezone`, relinks `/etc/localtime` and runs `dpkg-reconfigure tzdata`. One
//! script reads everything; the decisions are the pure [`current_zone`]. It does not handle
//! RHEL's `/etc/sysconfig/clock` or set `hwclock` without timedatectl.

use serde::Deserialize;

use crate::module::{Ctx, Diff, Module, ModuleError, Plan};
use hearth_formats::value::Map;
use hearth_transport::{Attrs, Cmd};

/// Parameters of `timezone`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timezone {
    /// Zone name under /usr/share/zoneinfo (`Europe/Berlin`, `Etc/UTC`).
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub name: Option<String>,
    /// `local` or `UTC`: what the hardware clock keeps (timedatectl hosts only).
    #[serde(default, alias = "rtc", deserialize_with = "super::args::de_opt_str")]
    pub hwclock: Option<String>,
}

/// Prints `timedatectl status` (after `T`) when it works, else the files the fallback reads.
/// A first line `nozonefile` says the zone `$1` does not exist.
const SCRIPT: &str = r#"[ -n "$1" ] && [ ! -f "/usr/share/zoneinfo/$1" ] && echo nozonefile
if out=$(timedatectl status 2>/dev/null); then printf 'T\n%s\n' "$out"; exit 0; fi
echo F
if [ -L /etc/localtime ]; then
  if [ -e /etc/localtime ]; then echo "link $(readlink /etc/localtime)"; else echo broken; fi
elif [ -n "$1" ] && cmp -s /etc/localtime "/usr/share/zoneinfo/$1"; then echo same; else echo differs; fi
command -v dpkg-reconfigure >/dev/null 2>&1 && echo dpkg
[ -f /etc/timezone ] && { echo timezone; cat /etc/timezone; }
exit 0"#;

/// What the host's clock settings are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// `timedatectl status` output.
    Systemd(String),
    /// The fallback files, as [`SCRIPT`] printed them.
    Files(String),
}

/// Parses [`SCRIPT`]'s output.
pub fn parse(out: &str) -> Found {
    let out = out.strip_prefix("nozonefile\n").unwrap_or(out);
    match out.split_once('\n') {
        Some(("T", rest)) => Found::Systemd(rest.to_string()),
        Some((_, rest)) => Found::Files(rest.to_string()),
        None => Found::Files(String::new()),
    }
}

/// The value after `label:` on a `timedatectl status` line (`Time zone: Etc/UTC (UTC, +0000)`).
fn status_field<'a>(status: &'a str, labels: &[&str]) -> Option<&'a str> {
    status.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        labels.contains(&k.trim()).then(|| v.split_whitespace().next()).flatten()
    })
}

/// The zone the host has, as community.general decides it ("n/a" when unknown): timedatectl's
/// `Time zone`, or `/etc/timezone`'s first word when `/etc/localtime` agrees with it.
pub fn current_zone(found: &Found, planned: &str) -> String {
    let files = match found {
        Found::Systemd(s) => return status_field(s, &["Time zone", "Timezone"]).unwrap_or("n/a").to_string(),
        Found::Files(f) => f,
    };
    let from_file = files
        .split_once("timezone\n")
        .and_then(|(_, tz)| {
            tz.lines().find_map(|l| l.split_whitespace().next().filter(|_| !l.starts_with(' ')))
        })
        .unwrap_or("n/a");
    if from_file != planned {
        return from_file.to_string();
    }
    let has = |w: &str| files.lines().any(|l| l == w);
    if let Some(target) = files.lines().find_map(|l| l.strip_prefix("link ")) {
        let zone = ["/usr/share/zoneinfo/", "/etc/zoneinfo/"]
            .iter()
            .find_map(|d| target.split_once(d).map(|(_, z)| z));
        return zone.unwrap_or("n/a").to_string();
    }
    if has("same") { from_file.to_string() } else { "n/a".to_string() }
}

/// `/etc/timezone` with the zone line replaced (every line starting with a non-space removed,
/// the new one where the first was), as community.general edits it.
pub fn edit_timezone_file(old: &str, zone: &str) -> String {
    let mut lines: Vec<String> = old.split_inclusive('\n').map(str::to_string).collect();
    let hits: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with(|c: char| !c.is_whitespace()))
        .map(|(i, _)| i)
        .collect();
    let at = hits.first().copied().unwrap_or(0);
    for i in hits.iter().rev() {
        lines.remove(*i);
    }
    lines.insert(at.min(lines.len()), format!("{zone}\n"));
    lines.concat()
}

fn abort(msg: &str) -> ModuleError {
    ModuleError::msg(format!("Error message:\n{msg}"))
}

impl Module for Timezone {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        if self.name.is_none() && self.hwclock.is_none() {
            return Err(ModuleError::msg("one of the following is required: name, hwclock"));
        }
        if let Some(h) = self.hwclock.as_deref().filter(|h| !matches!(*h, "local" | "UTC")) {
            return Err(ModuleError::msg(format!("value of hwclock must be one of: local, UTC, got: {h}")));
        }
        let planned = self.name.clone().unwrap_or_default();
        let out = ctx.host.run(&Cmd::new(["/bin/sh", "-c", SCRIPT, "sh", &planned]))?;
        let text = String::from_utf8_lossy(&out.stdout);
        // A `..` would point /etc/localtime outside the zone files.
        if self.name.is_some() && (text.starts_with("nozonefile\n") || planned.split('/').any(|c| c == ".."))
        {
            return Err(abort(&format!("given timezone \"{planned}\" is not available")));
        }
        let found = parse(&text);
        let files = match &found {
            Found::Files(f) => Some(f.clone()),
            Found::Systemd(_) => None,
        };
        let mut steps: Vec<Vec<String>> = Vec::new();
        let (mut before, mut after) = (String::new(), String::new());
        if let Some(name) = &self.name {
            let now = current_zone(&found, name);
            before += &format!("name: {now}\n");
            after += &format!("name: {name}\n");
            if &now != name {
                steps.push(match &files {
                    None => vec!["timedatectl".into(), "set-timezone".into(), name.clone()],
                    Some(_) => vec!["hearth:files".into(), name.clone()],
                });
            }
        }
        if let Some(h) = &self.hwclock {
            let Found::Systemd(status) = &found else {
                return Err(abort("hwclock is managed only through timedatectl, which this host cannot use"));
            };
            let local = status_field(status, &["RTC in local TZ"]).is_some_and(|v| v == "yes");
            let now = if local { "local" } else { "UTC" };
            before += &format!("hwclock: {now}\n");
            after += &format!("hwclock: {h}\n");
            if now != h {
                let v = if h == "local" { "yes" } else { "no" };
                steps.push(vec!["timedatectl".into(), "set-local-rtc".into(), v.into()]);
            }
        }
        if steps.is_empty() {
            return Ok(Plan::ok(format!("already {}", after.trim().replace('\n', ", "))));
        }
        let diff = Diff { before_header: "before".into(), after_header: "after".into(), before, after };
        let dpkg = files.as_ref().is_some_and(|f| f.lines().any(|l| l == "dpkg"));
        let old_file =
            files.and_then(|f| f.split_once("timezone\n").map(|(_, t)| t.to_string())).unwrap_or_default();
        let summary = steps.iter().map(|s| s.join(" ")).collect::<Vec<_>>().join(", ");
        let action: crate::module::Action = Box::new(move |ctx: &Ctx| {
            for step in &steps {
                if step[0] == "hearth:files" {
                    set_with_files(ctx, &step[1], &old_file, dpkg)?;
                } else {
                    run_checked(ctx, step)?;
                }
            }
            Ok(Map::new())
        });
        Ok(Plan::change(summary, action).with_diff(diff))
    }
}

/// The fallback change: `/etc/timezone`, the `/etc/localtime` link, `dpkg-reconfigure tzdata`.
fn set_with_files(ctx: &Ctx, zone: &str, old: &str, dpkg: bool) -> Result<(), ModuleError> {
    ctx.host.write_file("/etc/timezone", edit_timezone_file(old, zone).as_bytes(), &Attrs::default())?;
    let zonefile = format!("/usr/share/zoneinfo/{zone}");
    ctx.host.symlink(&zonefile, "/etc/localtime")?;
    if dpkg {
        run_checked(
            ctx,
            &["dpkg-reconfigure".into(), "--frontend".into(), "noninteractive".into(), "tzdata".into()],
        )?;
    }
    Ok(())
}

fn run_checked(ctx: &Ctx, argv: &[String]) -> Result<(), ModuleError> {
    let out = ctx.host.run(&Cmd::new(argv))?;
    if out.rc != 0 {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(super::fileedit::fail_rc(format!("{}: {}", argv.join(" "), err.trim()), out.rc.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_from_timedatectl_or_files() {
        let status =
            "Local time: Thu\n                Time zone: Europe/Berlin (CET, +0100)\nRTC in local TZ: no\n";
        assert_eq!(current_zone(&Found::Systemd(status.into()), "x"), "Europe/Berlin");
        let files = |s: &str| Found::Files(s.into());
        let linked = "link /usr/share/zoneinfo/Etc/UTC\ndpkg\ntimezone\nEtc/UTC\n";
        assert_eq!(current_zone(&files(linked), "Etc/UTC"), "Etc/UTC");
        assert_eq!(current_zone(&files(linked), "Europe/Berlin"), "Etc/UTC");
        let stale = "link /usr/share/zoneinfo/Asia/Tokyo\ntimezone\nEurope/Berlin\n";
        assert_eq!(current_zone(&files(stale), "Europe/Berlin"), "Asia/Tokyo", "the link wins");
        assert_eq!(current_zone(&files("differs\n"), "Etc/UTC"), "n/a");
        assert_eq!(current_zone(&files("same\ntimezone\nEtc/UTC\n"), "Etc/UTC"), "Etc/UTC");
        assert_eq!(parse("T\nTime zone: UTC\n"), Found::Systemd("Time zone: UTC\n".into()));
        assert_eq!(parse("nozonefile\nF\ndiffers\n"), Found::Files("differs\n".into()));
    }

    #[test]
    fn timezone_file_edit() {
        assert_eq!(edit_timezone_file("", "Etc/UTC"), "Etc/UTC\n");
        assert_eq!(edit_timezone_file("Old/Zone\n", "Etc/UTC"), "Etc/UTC\n");
        assert_eq!(edit_timezone_file("\nA\nB\n", "Etc/UTC"), "\nEtc/UTC\n");
    }
}
