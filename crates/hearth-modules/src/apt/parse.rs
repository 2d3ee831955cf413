//! Pure parsers for the apt module: package specs (`pkg`, `pkg=1.2-1`, `pkg=1.2*`), `dpkg-query`
//! status lines, `apt-get -s` simulation lines (Inst/Remv/Purg) and `apt-cache policy` version
//! tables. No I/O here; `apt.rs` runs the commands and feeds their output in.

use std::collections::BTreeMap;

use super::debver;
use hearth_formats::fnmatch::glob_to_regex;

/// One requested package: name and optional version (exact or an fnmatch glob).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkgSpec {
    /// Package name (may carry `:arch`).
    pub name: String,
    /// Requested version, when `name=version` was given.
    pub version: Option<String>,
}

impl PkgSpec {
    /// Whether the version is a glob (`1.2*`) that must be resolved against available versions.
    pub fn is_glob(&self) -> bool {
        self.version.as_deref().is_some_and(|v| v.contains(['*', '?', '[']))
    }

    /// Whether an installed version satisfies the request.
    pub fn accepts(&self, installed: &str) -> bool {
        match &self.version {
            None => true,
            Some(v) if self.is_glob() => glob_matches(v, installed),
            Some(v) => v == installed,
        }
    }
}

/// Whether `version` matches an fnmatch glob, like Python's `fnmatch.fnmatch`.
pub fn glob_matches(glob: &str, version: &str) -> bool {
    regex::Regex::new(&format!("^(?s:{})$", glob_to_regex(glob))).is_ok_and(|r| r.is_match(version))
}

/// Parses `pkg`, `pkg=version`; more than one `=` is an error, as in Ansible.
pub fn parse_spec(s: &str) -> Result<PkgSpec, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty package name".into());
    }
    if s.matches('=').count() > 1 {
        return Err(format!("invalid package spec: {s}"));
    }
    Ok(match s.split_once('=') {
        Some((n, v)) if !n.trim().is_empty() && !v.trim().is_empty() => {
            PkgSpec { name: n.trim().to_string(), version: Some(v.trim().to_string()) }
        }
        Some(_) => return Err(format!("invalid package spec: {s}")),
        None => PkgSpec { name: s.to_string(), version: None },
    })
}

/// What dpkg knows about one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Installed (or config-files) version.
    pub version: String,
    /// Fully installed (`ii`, or triggers pending/awaited).
    pub installed: bool,
    /// Removed with its configuration files left (`rc`): `purge` still has work.
    pub config_files: bool,
}

/// Parses `dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n'` output.
/// Unknown packages do not appear; `not-installed` lines are dropped.
pub fn parse_dpkg_query(text: &str) -> BTreeMap<String, Installed> {
    let mut out: BTreeMap<String, Installed> = BTreeMap::new();
    for line in text.lines() {
        let mut f = line.split('\t');
        let (Some(name), Some(version), Some(abbrev)) = (f.next(), f.next(), f.next()) else { continue };
        let status = abbrev.chars().nth(1).unwrap_or('n');
        let installed = matches!(status, 'i' | 'W' | 't');
        let config_files = status == 'c';
        if !installed && !config_files {
            continue;
        }
        let entry = Installed { version: version.to_string(), installed, config_files };
        // Multi-arch: keep an installed entry over a config-files one.
        if out.get(name).is_none_or(|e| !e.installed) {
            out.insert(name.to_string(), entry);
        }
    }
    out
}

/// What a simulated apt-get run would do to one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimOp {
    /// Install or upgrade/downgrade: name, old version (when replacing), new version.
    Inst { name: String, from: Option<String>, to: String },
    /// Remove (configuration kept).
    Remv { name: String, version: String },
    /// Remove with configuration files.
    Purg { name: String, version: String },
}

impl SimOp {
    /// `name (version)` or `name (old => new)` for summaries.
    pub fn describe(&self) -> String {
        match self {
            SimOp::Inst { name, from: Some(f), to } => format!("{name} ({f} => {to})"),
            SimOp::Inst { name, from: None, to } => format!("{name} ({to})"),
            SimOp::Remv { name, version } => format!("{name} ({version}, removed)"),
            SimOp::Purg { name, version } => format!("{name} ({version}, purged)"),
        }
    }
}

/// Parses `apt-get -s` output: `Inst name [old] (new ...)`, `Remv name [old]`, `Purg name [old]`.
pub fn parse_simulation(text: &str) -> Vec<SimOp> {
    let mut ops = Vec::new();
    for line in text.lines() {
        let Some((op, rest)) = line.split_once(' ') else { continue };
        let Some((name, rest)) = rest.split_once(' ').or(Some((rest, ""))) else { continue };
        let old = if rest.starts_with('[') { between(rest, '[', ']') } else { None };
        let new = between(rest, '(', ')').and_then(|s| s.split_whitespace().next());
        match op {
            "Inst" => ops.push(SimOp::Inst {
                name: name.to_string(),
                from: old.map(str::to_string),
                to: new.unwrap_or_default().to_string(),
            }),
            "Remv" => {
                ops.push(SimOp::Remv { name: name.to_string(), version: old.unwrap_or_default().to_string() })
            }
            "Purg" => {
                ops.push(SimOp::Purg { name: name.to_string(), version: old.unwrap_or_default().to_string() })
            }
            _ => {}
        }
    }
    ops
}

fn between(s: &str, open: char, close: char) -> Option<&str> {
    let start = s.find(open)? + 1;
    let end = start + s[start..].find(close)?;
    Some(&s[start..end])
}

/// One package's `apt-cache policy` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// The version apt would install (`None` for `(none)`).
    pub candidate: Option<String>,
    /// Every version in the version table, as listed (highest first).
    pub versions: Vec<String>,
}

/// Parses `apt-cache policy name...` output into name → policy.
pub fn parse_policy(text: &str) -> BTreeMap<String, Policy> {
    let mut out: BTreeMap<String, Policy> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            let name = line.trim_end_matches(':').to_string();
            out.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        let Some(p) = current.as_ref().and_then(|n| out.get_mut(n)) else { continue };
        let t = line.trim_start();
        if let Some(c) = t.strip_prefix("Candidate:") {
            let c = c.trim();
            p.candidate = (c != "(none)").then(|| c.to_string());
        } else if let Some(v) = version_row(line) {
            p.versions.push(v.to_string());
        }
    }
    out
}

/// A version-table row: ` *** 1.0 100` or `     2.0 500` (5-character prefix, then version, prio).
fn version_row(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(" *** ").or_else(|| line.strip_prefix("     "))?;
    if rest.starts_with(' ') {
        return None;
    }
    let mut f = rest.split_whitespace();
    let (v, prio) = (f.next()?, f.next()?);
    (prio.trim_start_matches('-').chars().all(|c| c.is_ascii_digit()) && f.next().is_none()).then_some(v)
}

/// The highest available version matching a glob.
pub fn resolve_glob(glob: &str, available: &[String]) -> Option<String> {
    available.iter().filter(|v| glob_matches(glob, v)).max_by(|a, b| debver::compare(a, b)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(parse_spec(" nginx ").unwrap(), PkgSpec { name: "nginx".into(), version: None });
        let s = parse_spec("foo=1.2*").unwrap();
        assert_eq!(s.version.as_deref(), Some("1.2*"));
        assert!(s.is_glob() && s.accepts("1.2.3-1") && !s.accepts("1.3"));
        let exact = parse_spec("foo=1:2.0-1").unwrap();
        assert!(!exact.is_glob() && exact.accepts("1:2.0-1") && !exact.accepts("2.0-1"));
        assert!(parse_spec("a=1=2").unwrap_err().contains("invalid package spec"));
        assert!(parse_spec("=1").is_err());
        assert!(parse_spec("").is_err());
    }

    #[test]
    fn dpkg_query_lines() {
        let text = "curl\t7.88.1-10\tii \nold\t1.0\trc \ngone\t\tun \nhalf\t2.0\tiU \n";
        let m = parse_dpkg_query(text);
        assert_eq!(m.len(), 2);
        assert!(m["curl"].installed && m["curl"].version == "7.88.1-10");
        assert!(!m["old"].installed && m["old"].config_files);
    }

    #[test]
    fn simulation_lines() {
        let text = "NOTE: This is only a simulation!\n\
            Inst runc (1.1.5+ds1-1+deb12u1 Debian:12.15/oldstable [amd64])\n\
            Inst hello [1.0] (2.0 localhost:bookworm [all])\n\
            Conf runc (1.1.5+ds1-1+deb12u1 Debian:12.15/oldstable [amd64])\n\
            Remv old [3.1-2]\n\
            Purg cfg [0.9]\n";
        let ops = parse_simulation(text);
        assert_eq!(ops.len(), 4);
        assert_eq!(ops[0].describe(), "runc (1.1.5+ds1-1+deb12u1)");
        assert_eq!(ops[1].describe(), "hello (1.0 => 2.0)");
        assert_eq!(ops[2], SimOp::Remv { name: "old".into(), version: "3.1-2".into() });
        assert_eq!(ops[3].describe(), "cfg (0.9, purged)");
        assert!(parse_simulation("0 upgraded, 0 newly installed\n").is_empty());
    }

    #[test]
    fn policy_tables() {
        let text = "hello:\n  Installed: 1.0\n  Candidate: 2.0\n  Version table:\n     2.0 500\n        500 \
            http://10.77.0.1:8080 bookworm/main amd64 Packages\n *** 1.0 100\n        100 \
            /var/lib/dpkg/status\nnone:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n";
        let p = parse_policy(text);
        assert_eq!(p["hello"].candidate.as_deref(), Some("2.0"));
        assert_eq!(p["hello"].versions, vec!["2.0", "1.0"]);
        assert_eq!(p["none"], Policy::default());
        assert_eq!(resolve_glob("1.*", &p["hello"].versions).as_deref(), Some("1.0"));
        assert_eq!(resolve_glob("*", &p["hello"].versions).as_deref(), Some("2.0"));
        assert_eq!(resolve_glob("3*", &p["hello"].versions), None);
    }
}
