//! `community.general.modprobe`: load or unload a kernel module and keep it loaded at boot
//! (`persistent`) through `/etc/modules-load.d/NAME.conf` and `/etc/modprobe.d/NAME.conf`, with
//! the rules of community.general's module: a module is persistent when any file in
//! modules-load.d lists it on a line of its own, its options are the `options NAME key=value`
//! lines (one each) in modprobe.d, and old ones are commented out, never deleted. One script
//! reads /proc/modules, modules.builtin and both directories; [`persistence`] decides the file
//! edits as a pure function. It does not run `depmod` or touch the initramfs.

use serde::Deserialize;

use crate::module::{Ctx, Diff, Module, ModuleError, Plan};

use super::fileedit;
use hearth_formats::value::Map;
use hearth_transport::{Attrs, Cmd, CmdOutput, TransportError};

/// Parameters of `modprobe`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modprobe {
    /// The kernel module's name.
    pub name: String,
    /// `present` (loaded, default) or `absent` (unloaded).
    #[serde(default)]
    pub state: State,
    /// Module parameters, `key=value` words, for loading and for the options file.
    #[serde(default, deserialize_with = "super::args::de_opt_str")]
    pub params: Option<String>,
    /// `disabled` (default: leave the boot files alone), `present` or `absent`.
    #[serde(default)]
    pub persistent: Persistent,
    /// Where the host's filesystem starts: empty on real hosts; unit tests point it at a temp dir.
    #[serde(skip)]
    pub root: String,
}

/// Whether the module must be loaded now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Loaded.
    #[default]
    Present,
    /// Not loaded.
    Absent,
}

/// Whether the module must be loaded at boot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Persistent {
    /// Boot files are not looked at.
    #[default]
    Disabled,
    /// Listed in modules-load.d with exactly `params` as options in modprobe.d.
    Present,
    /// Not listed, no options.
    Absent,
}

/// Where the boot lists live.
const MODULES_LOAD: &str = "/etc/modules-load.d";
/// Where module options live.
const MODPROBE_D: &str = "/etc/modprobe.d";

/// What the host has: whether the module is loaded (or built in) and every file of both
/// directories with its content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// In /proc/modules or modules.builtin.
    pub loaded: bool,
    /// (path without the root, content) of each regular file of both directories.
    pub files: Vec<(String, String)>,
}

/// Reads loaded state and both directories in one round trip; each file is framed by
/// `file SIZE PATH` and then exactly SIZE bytes. $1 is the module, $2 the root.
const SCRIPT: &str = r#"m=$(printf %s "$1" | tr - _)
[ -r "$2/proc/modules" ] || { echo "[Errno 2] No such file or directory: '/proc/modules'" >&2; exit 3; }
if awk -v m="$m" '$1 == m { f = 1 } END { exit !f }' "$2/proc/modules" ||
  awk -v s="/$1.ko" 'substr($0, length($0) - length(s) + 1) == s { f = 1 } END { exit !f }' \
    "$2/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then echo loaded; else echo unloaded; fi
for f in "$2"/etc/modules-load.d/* "$2"/etc/modprobe.d/*; do
  [ -f "$f" ] || continue
  printf 'file %s %s\n' "$(wc -c < "$f" | tr -d ' ')" "${f#"$2"}"
  cat "$f"
done"#;

/// Parses what [`SCRIPT`] printed.
pub fn parse(out: &[u8]) -> Result<Found, String> {
    let text = String::from_utf8_lossy(out);
    let (first, mut rest) = text.split_once('\n').ok_or("no output from the modprobe probe")?;
    let mut found = Found { loaded: first == "loaded", files: Vec::new() };
    while let Some((header, body)) = rest.split_once('\n') {
        let mut words = header.splitn(3, ' ');
        let (Some("file"), Some(size), Some(path)) = (words.next(), words.next(), words.next()) else {
            return Err(format!("unexpected probe line {header:?}"));
        };
        let size: usize = size.parse().map_err(|_| format!("unexpected size in {header:?}"))?;
        let content = body.get(..size).ok_or_else(|| format!("{path} is shorter than {size} bytes"))?;
        found.files.push((path.to_string(), content.to_string()));
        rest = &body[size..];
    }
    Ok(found)
}

/// A modules-load.d line that lists `name`: optional spaces, the name, optional spaces, then
/// the end or a `#`/`;` comment.
fn lists(line: &str, name: &str) -> bool {
    let rest = line.trim_start_matches(' ').strip_prefix(name).unwrap_or("\0");
    let rest = rest.trim_end_matches('\n').trim_start_matches(' ');
    rest.is_empty() || rest.starts_with(['#', ';'])
}

/// The `key=value` of a modprobe.d line `options NAME key=value [# comment]` (one per line).
fn option(line: &str, name: &str) -> Option<String> {
    let rest = line.strip_prefix("options ")?.strip_prefix(name)?.strip_prefix(' ')?;
    let rest = rest.trim_end_matches('\n');
    let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    let (key, value) = word.split_once('=')?;
    let wordy = |c: char| c.is_alphanumeric() || c == '_';
    let tail = tail.trim_start_matches(' ');
    let ok = !key.is_empty() && key.chars().all(wordy) && !value.is_empty();
    (ok && (tail.is_empty() || tail.starts_with(['#', ';']))).then(|| word.to_string())
}

/// `content` with `#` before each line `hit` selects; None when nothing matched.
fn comment_out(content: &str, hit: impl Fn(&str) -> bool) -> Option<String> {
    let mut out = String::with_capacity(content.len() + 1);
    let mut changed = false;
    for line in content.split_inclusive('\n') {
        if hit(line) {
            out.push('#');
            changed = true;
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

fn in_dir<'a>(files: &'a [(String, String)], dir: &'a str) -> impl Iterator<Item = &'a (String, String)> {
    files.iter().filter(move |(p, _)| p.strip_prefix(dir).is_some_and(|r| r.starts_with('/')))
}

/// The file writes (path, new content) that make the boot files say what `persistent` asks.
pub fn persistence(
    name: &str,
    params: &str,
    persistent: Persistent,
    files: &[(String, String)],
) -> Vec<(String, String)> {
    let listed = in_dir(files, MODULES_LOAD).any(|(_, c)| c.split_inclusive('\n').any(|l| lists(l, name)));
    let mut options: Vec<String> = in_dir(files, MODPROBE_D)
        .flat_map(|(_, c)| c.split_inclusive('\n').filter_map(|l| option(l, name)).collect::<Vec<_>>())
        .collect();
    options.sort();
    options.dedup();
    let mut wanted: Vec<String> = params.split_whitespace().map(str::to_string).collect();
    wanted.sort();
    wanted.dedup();
    let disable_options = || {
        in_dir(files, MODPROBE_D)
            .filter_map(|(p, c)| comment_out(c, |l| option(l, name).is_some()).map(|n| (p.clone(), n)))
            .collect::<Vec<_>>()
    };
    let mut writes = Vec::new();
    match persistent {
        Persistent::Disabled => {}
        Persistent::Present => {
            if !listed {
                writes.push((format!("{MODULES_LOAD}/{name}.conf"), format!("{name}\n")));
            }
            if options != wanted {
                let own = format!("{MODPROBE_D}/{name}.conf");
                writes.extend(disable_options().into_iter().filter(|(p, _)| *p != own));
                let lines: Vec<String> =
                    params.split_whitespace().map(|p| format!("options {name} {p}")).collect();
                writes.push((own, lines.join("\n") + "\n"));
            }
        }
        Persistent::Absent => {
            for (p, c) in in_dir(files, MODULES_LOAD) {
                if let Some(n) = comment_out(c, |l| lists(l, name)) {
                    writes.push((p.clone(), n));
                }
            }
            writes.extend(disable_options());
        }
    }
    writes
}

impl Module for Modprobe {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let params = self.params.clone().unwrap_or_default();
        let mut result = Map::new();
        result.insert("name".into(), self.name.clone().into());
        result.insert("params".into(), params.clone().into());
        result.insert("state".into(), if self.state == State::Present { "present" } else { "absent" }.into());
        let script = Cmd::new(["/bin/sh", "-c", SCRIPT, "sh", &self.name, &self.root]);
        let out = ctx.host.run(&script)?;
        if out.rc != 0 {
            return Err(ModuleError::Failed { msg: text(&out.stderr).trim().to_string(), result });
        }
        let found = parse(&out.stdout).map_err(ModuleError::msg)?;
        let words = shlex::split(&params)
            .ok_or_else(|| ModuleError::msg(format!("cannot split params {params:?}")))?;
        let load = match (self.state, found.loaded) {
            (State::Present, false) => Some([vec![self.name.clone()], words].concat()),
            (State::Absent, true) => Some(vec!["-r".into(), self.name.clone()]),
            _ => None,
        };
        if let Some(argv) = &load {
            // Like Ansible in check mode: modprobe -n proves the (un)load would work.
            let dry = [&["modprobe".to_string(), "-n".into()][..], argv].concat();
            modprobe(ctx, &dry, &result)?;
        }
        let writes = persistence(&self.name, &params, self.persistent, &found.files);
        if load.is_none() && writes.is_empty() {
            let mut plan = Plan::ok(format!(
                "{} is already {}",
                self.name,
                if found.loaded { "loaded" } else { "unloaded" }
            ));
            plan.result = result;
            return Ok(plan);
        }
        let mut summary: Vec<String> = load.iter().map(|a| format!("modprobe {}", a.join(" "))).collect();
        summary.extend(writes.iter().map(|(p, _)| format!("write {p}")));
        let mut plan = Plan::change(summary.join(", "), self.action(load, writes.clone(), result.clone()));
        for (path, after) in &writes {
            let before = found.files.iter().find(|(p, _)| p == path).map_or("", |(_, c)| c.as_str());
            plan = plan.with_diff(Diff {
                before_header: path.clone(),
                after_header: path.clone(),
                before: before.to_string(),
                after: after.clone(),
            });
        }
        plan.result = result;
        Ok(plan)
    }
}

impl Modprobe {
    /// The change step: (un)load, then the boot files.
    fn action(
        &self,
        load: Option<Vec<String>>,
        writes: Vec<(String, String)>,
        result: Map,
    ) -> crate::module::Action {
        let root = self.root.clone();
        Box::new(move |ctx: &Ctx| {
            if let Some(argv) = load {
                modprobe(ctx, &[&["modprobe".to_string()][..], &argv].concat(), &result)?;
            }
            for (path, content) in writes {
                let real = format!("{root}{path}");
                fileedit::ensure_parent(ctx.host, &real)?;
                ctx.host.write_file(&real, content.as_bytes(), &Attrs::default())?;
            }
            Ok(Map::new())
        })
    }
}

/// Runs modprobe; a failure carries Ansible's `msg` (stderr), `rc`, `stdout` and `stderr`.
fn modprobe(ctx: &Ctx, argv: &[String], result: &Map) -> Result<(), ModuleError> {
    let out = match ctx.host.run(&Cmd::new(argv)) {
        Ok(out) if out.rc == 127 || text(&out.stderr).contains(hearth_transport::script::NO_PROGRAM) => None,
        Ok(out) => Some(out),
        Err(TransportError::Spawn { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let Some(out) = out else {
        return Err(ModuleError::Failed {
            msg: "Failed to find required executable \"modprobe\"".into(),
            result: result.clone(),
        });
    };
    if out.rc == 0 {
        return Ok(());
    }
    Err(failure(&out, result))
}

fn failure(out: &CmdOutput, result: &Map) -> ModuleError {
    let mut result = result.clone();
    result.insert("rc".into(), out.rc.into());
    result.insert("stdout".into(), text(&out.stdout).into());
    result.insert("stderr".into(), text(&out.stderr).into());
    ModuleError::Failed { msg: text(&out.stderr), result }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect()
    }

    #[test]
    fn lines_that_list_a_module_or_its_options() {
        assert!(lists("br_netfilter\n", "br_netfilter"));
        assert!(lists("  br_netfilter  # for k3s\n", "br_netfilter"));
        assert!(lists("overlay;x", "overlay"));
        assert!(!lists("#overlay\n", "overlay"));
        assert!(!lists("overlayfs\n", "overlay"));
        assert_eq!(option("options nf a=1\n", "nf"), Some("a=1".into()));
        assert_eq!(option("options nf a=1  # c\n", "nf"), Some("a=1".into()));
        assert_eq!(option("options nf a=1 b=2\n", "nf"), None, "one option per line, as Ansible reads them");
        assert_eq!(option("options nfx a=1\n", "nf"), None);
        assert_eq!(option("#options nf a=1\n", "nf"), None);
    }

    #[test]
    fn probe_output_is_framed_by_sizes() {
        let out = b"loaded\nfile 3 /etc/modules-load.d/a b.conf\nab\nfile 0 /etc/modprobe.d/e.conf\nfile 2 /etc/modprobe.d/x\nno";
        let found = parse(out).unwrap();
        assert!(found.loaded);
        assert_eq!(
            found.files,
            files(&[
                ("/etc/modules-load.d/a b.conf", "ab\n"),
                ("/etc/modprobe.d/e.conf", ""),
                ("/etc/modprobe.d/x", "no")
            ])
        );
        assert!(parse(b"unloaded\nfile 9 /x\nab").is_err());
    }

    #[test]
    fn persistent_present_writes_both_files_and_disables_old_options() {
        let none = persistence("nf", "a=1 b=2", Persistent::Present, &[]);
        assert_eq!(
            none,
            files(&[
                ("/etc/modules-load.d/nf.conf", "nf\n"),
                ("/etc/modprobe.d/nf.conf", "options nf a=1\noptions nf b=2\n")
            ])
        );
        let have = files(&[
            ("/etc/modules-load.d/k3s.conf", "overlay\nnf\n"),
            ("/etc/modprobe.d/old.conf", "options nf a=0\nblacklist x\n"),
        ]);
        assert_eq!(
            persistence("nf", "a=1", Persistent::Present, &have),
            files(&[
                ("/etc/modprobe.d/old.conf", "#options nf a=0\nblacklist x\n"),
                ("/etc/modprobe.d/nf.conf", "options nf a=1\n")
            ])
        );
        assert!(persistence("nf", "a=0", Persistent::Present, &have).is_empty(), "already so");
        assert!(persistence("nf", "a=1", Persistent::Disabled, &have).is_empty());
        assert!(persistence("overlay", "", Persistent::Present, &have).is_empty());
    }

    #[test]
    fn persistent_absent_comments_out() {
        let have = files(&[
            ("/etc/modules-load.d/k3s.conf", "overlay\nnf # boot\n"),
            ("/etc/modprobe.d/nf.conf", "options nf a=0\n"),
            ("/etc/other/nf.conf", "nf\n"),
        ]);
        assert_eq!(
            persistence("nf", "", Persistent::Absent, &have),
            files(&[
                ("/etc/modules-load.d/k3s.conf", "overlay\n#nf # boot\n"),
                ("/etc/modprobe.d/nf.conf", "#options nf a=0\n")
            ])
        );
        assert!(persistence("zz", "", Persistent::Absent, &have).is_empty());
    }
}

#[cfg(test)]
mod module_tests {
    use super::*;
    use crate::module::Outcome;
    use crate::put::testing::Env;
    use serde_json::json;

    fn module(env: &Env, args: serde_json::Value) -> Modprobe {
        let mut m: Modprobe = serde_json::from_value(args).unwrap();
        m.root = env.path("");
        m.root.pop();
        m
    }

    #[test]
    fn boot_files_on_a_fake_root() {
        let env = Env::new();
        env.write("proc/modules", "overlay 151552 0 - Live 0x0\nbr_netfilter 32768 0 - Live 0x0\n");
        env.write("etc/modules-load.d/k3s.conf", "overlay\n");
        let ctx = env.ctx();
        let m = module(&env, json!({"name": "br-netfilter", "persistent": "present", "params": "x=1"}));
        let plan = m.plan(&ctx).unwrap();
        assert_eq!(plan.result["state"], "present");
        assert_eq!(plan.diffs.len(), 2);
        let Outcome::Change { action, .. } = plan.outcome else { panic!("no change") };
        action(&ctx).unwrap();
        assert_eq!(env.read("etc/modules-load.d/br-netfilter.conf"), "br-netfilter\n");
        assert_eq!(env.read("etc/modprobe.d/br-netfilter.conf"), "options br-netfilter x=1\n");
        assert!(matches!(m.plan(&ctx).unwrap().outcome, Outcome::Ok(_)), "second run is ok");

        let m = module(&env, json!({"name": "overlay", "persistent": "absent", "state": "present"}));
        let Outcome::Change { action, .. } = m.plan(&ctx).unwrap().outcome else { panic!("no change") };
        action(&ctx).unwrap();
        assert_eq!(env.read("etc/modules-load.d/k3s.conf"), "#overlay\n");
    }

    #[test]
    fn missing_proc_modules_fails_like_ansible() {
        let env = Env::new();
        let m = module(&env, json!({"name": "overlay"}));
        let Err(ModuleError::Failed { msg, result }) = m.plan(&env.ctx()) else { panic!("no failure") };
        assert_eq!(msg, "[Errno 2] No such file or directory: '/proc/modules'");
        assert_eq!(result["name"], "overlay");
    }
}
