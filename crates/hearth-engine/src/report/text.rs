//! Ansible-style text output: PLAY/TASK banners, one line per host, unified diffs and the PLAY
//! RECAP, matching ansible-playbook's default callback so users read it without surprise.

use std::io::Write;

use similar::TextDiff;

use super::event::{Event, HostResult, Reporter, Stats, Status};
use hearth_formats::value::{Map, Value};
use hearth_modules::Diff;

/// Writes ansible-playbook-like text to a writer (stdout in the CLI).
pub struct TextReporter<W: Write> {
    out: W,
    verbosity: u8,
    diff: bool,
}

impl<W: Write> TextReporter<W> {
    /// A reporter; `verbosity` is the number of `-v`, `diff` enables diff output.
    pub fn new(out: W, verbosity: u8, diff: bool) -> Self {
        TextReporter { out, verbosity, diff }
    }

    /// The writer, so a wrapping reporter (progress) can drain buffered lines.
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.out
    }

    fn line(&mut self, s: &str) {
        // Output errors (closed pipe) must not abort a provisioning run half-way.
        let _ = writeln!(self.out, "{s}");
    }

    fn host(&mut self, r: &HostResult) {
        if self.diff {
            for d in &r.diffs {
                let text = unified_diff(d);
                let _ = write!(self.out, "{text}");
            }
        }
        let host = match &r.delegated_to {
            Some(d) => format!("[{} -> {d}]", r.host),
            None => format!("[{}]", r.host),
        };
        let item = r.item.as_ref().map(|i| format!(" (item={i})")).unwrap_or_default();
        let line = match r.status {
            Status::Ok | Status::Changed | Status::Skipped => {
                let word = match r.status {
                    Status::Ok => "ok",
                    Status::Changed => "changed",
                    _ => "skipping",
                };
                let sep = if item.is_empty() { "" } else { " =>" };
                let mut l = format!("{word}: {host}{sep}{item}");
                if r.verbose_always {
                    l.push_str(&format!(" => {}", pretty(&shown(&r.result))));
                } else if self.verbosity > 0 && r.status != Status::Skipped {
                    l.push_str(&format!(" => {}", compact(&shown(&r.result))));
                }
                l
            }
            Status::Failed => {
                let word = if item.is_empty() { "fatal" } else { "failed" };
                let colon = if item.is_empty() { ":" } else { "" };
                format!("{word}: {host}{colon}{item} FAILED! => {}", compact(&shown(&r.result)))
            }
            Status::Unreachable => format!("fatal: {host}: UNREACHABLE! => {}", compact(&r.result)),
        };
        self.line(&line);
        if self.verbosity >= 2
            && !r.verbose_always
            && let Some(reason) = &r.reason
        {
            self.line(&format!("  reason: {reason}"));
        }
        if r.ignored {
            self.line("...ignoring");
        }
    }

    fn recap(&mut self, stats: &[(String, Stats)]) {
        self.line("");
        self.line(&banner("PLAY RECAP"));
        for (host, s) in stats {
            self.line(&recap_line(host, s));
        }
        self.line("");
    }
}

impl<W: Write> Reporter for TextReporter<W> {
    fn event(&mut self, ev: &Event) {
        match ev {
            Event::PlayStart { name } => {
                self.line("");
                self.line(&banner(&format!("PLAY [{name}]")));
            }
            Event::NoHostsMatched => self.line("skipping: no hosts matched"),
            Event::TaskStart { name, handler, .. } => {
                self.line("");
                let kind = if *handler { "RUNNING HANDLER" } else { "TASK" };
                self.line(&banner(&format!("{kind} [{name}]")));
            }
            Event::Host(r) => self.host(r),
            Event::HostDone { .. } => {}
            Event::Retry { host, task, left, result } => {
                let mut l = format!("FAILED - RETRYING: [{host}]: {task} ({left} retries left).");
                if self.verbosity >= 2 {
                    l.push_str(&format!("Result was: {}", compact(&shown(result))));
                }
                self.line(&l);
            }
            Event::Included { file, hosts, item } => {
                let item = item.as_ref().map(|i| format!(" => (item={i})")).unwrap_or_default();
                self.line(&format!("included: {file} for {hosts}{item}"));
            }
            Event::Warning(w) => self.line(&format!("[WARNING]: {w}")),
            Event::Recap(stats) => self.recap(stats),
        }
        let _ = self.out.flush();
    }
}

/// `TASK [x] ****`: padded with stars to 80 columns like Ansible on a non-terminal.
pub fn banner(msg: &str) -> String {
    let stars = 80usize.saturating_sub(msg.chars().count() + 1).max(3);
    format!("{msg} {}", "*".repeat(stars))
}

/// One PLAY RECAP line, spaced exactly like Ansible's.
pub fn recap_line(host: &str, s: &Stats) -> String {
    let field = |name: &str, n: u32| format!("{name}={:<4}", n);
    format!(
        "{host:<26} : {} {} {} {} {} {} {}",
        field("ok", s.ok),
        field("changed", s.changed),
        field("unreachable", s.unreachable),
        field("failed", s.failed),
        field("skipped", s.skipped),
        field("rescued", s.rescued),
        field("ignored", s.ignored)
    )
}

/// A unified diff with Ansible's `before: <header>`/`after: <header>` lines (bare `before` /
/// `after` when a module gives no header, as Ansible's callback does).
pub fn unified_diff(d: &Diff) -> String {
    let diff = TextDiff::from_lines(&d.before, &d.after);
    let mut out = String::new();
    let head = |side: &str, h: &str| if h.is_empty() { side.to_string() } else { format!("{side}: {h}") };
    out.push_str(&format!(
        "--- {}\n+++ {}\n",
        head("before", &d.before_header),
        head("after", &d.after_header)
    ));
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&hunk.to_string());
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The result without keys Ansible's callback never prints.
fn shown(result: &Map) -> Map {
    let mut m = result.clone();
    m.remove("failed");
    m
}

/// Indented JSON with sorted keys, like Ansible's `json.dumps(sort_keys=True, indent=4)`.
fn pretty(m: &Map) -> String {
    let mut sorted: Vec<(&String, &Value)> = m.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let v = Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    match serde::Serialize::serialize(&v, &mut ser) {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        Err(_) => v.to_string(),
    }
}

fn compact(m: &Map) -> String {
    let mut sorted: Vec<(&String, &Value)> = m.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let inner: Vec<String> =
        sorted.iter().map(|(k, v)| format!("{}: {}", Value::String((*k).clone()), python_json(v))).collect();
    format!("{{{}}}", inner.join(", "))
}

/// JSON with Python's `json.dumps` separators (", " and ": ").
fn python_json(v: &Value) -> String {
    match v {
        Value::Array(a) => format!("[{}]", a.iter().map(python_json).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => compact(o),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_is_80_columns() {
        assert_eq!(banner("PLAY RECAP").len(), 80);
        assert!(banner(&"x".repeat(100)).ends_with(" ***"));
    }

    #[test]
    fn recap_matches_ansible_spacing() {
        let s = Stats { ok: 2, changed: 1, ..Stats::default() };
        assert_eq!(
            recap_line("localhost", &s),
            "localhost                  : ok=2    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   "
        );
    }

    #[test]
    fn diff_has_headers_and_hunks() {
        let d = Diff {
            before_header: "/f".into(),
            after_header: "/f".into(),
            before: "a\n".into(),
            after: "a\nb\n".into(),
        };
        assert_eq!(unified_diff(&d), "--- before: /f\n+++ after: /f\n@@ -1 +1,2 @@\n a\n+b\n");
        let bare = Diff { before_header: String::new(), after_header: String::new(), ..d };
        assert!(unified_diff(&bare).starts_with("--- before\n+++ after\n@@"));
    }
}
