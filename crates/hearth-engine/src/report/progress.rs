//! Live progress on a terminal: while a task runs, one spinner line
//! `TASK [name]  done/total  changed N  failed N`, updated as each host finishes; when the task's
//! results arrive the line is cleared and replaced by the usual Ansible-style text (written by
//! [`TextReporter`], so both displays print the same lines). Only used when stdout is a terminal;
//! it does not decide that itself, and it never writes while its bar is on screen.

use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::event::{Event, Reporter, Status};
use super::text::TextReporter;

/// Host counters of the running task, and the label shown for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskCounts {
    /// `TASK [name]` or `RUNNING HANDLER [name]`.
    pub title: String,
    /// Hosts the task runs on.
    pub total: usize,
    /// Hosts that finished.
    pub done: usize,
    /// Hosts that reported a change.
    pub changed: usize,
    /// Hosts that failed.
    pub failed: usize,
    /// Hosts that could not be reached.
    pub unreachable: usize,
}

impl TaskCounts {
    /// Counters for a task starting on `total` hosts.
    pub fn new(name: &str, handler: bool, total: usize) -> TaskCounts {
        let kind = if handler { "RUNNING HANDLER" } else { "TASK" };
        TaskCounts { title: format!("{kind} [{name}]"), total, ..TaskCounts::default() }
    }

    /// Counts one host that finished with `status`.
    pub fn record(&mut self, status: Status) {
        self.done += 1;
        match status {
            Status::Changed => self.changed += 1,
            Status::Failed => self.failed += 1,
            Status::Unreachable => self.unreachable += 1,
            Status::Ok | Status::Skipped => {}
        }
    }

    /// The spinner's text, e.g. `TASK [ping]  3/10  changed 1  failed 0`.
    pub fn label(&self) -> String {
        let mut l = format!(
            "{}  {}/{}  changed {}  failed {}",
            self.title, self.done, self.total, self.changed, self.failed
        );
        if self.unreachable > 0 {
            l.push_str(&format!("  unreachable {}", self.unreachable));
        }
        l
    }
}

/// The task on screen: its counters, spinner, and the banner held back until its results.
struct Running {
    counts: TaskCounts,
    bar: ProgressBar,
    banner: Vec<u8>,
}

/// Text output with a live spinner per task (for a terminal).
pub struct ProgressReporter<W: Write> {
    text: TextReporter<Vec<u8>>,
    out: W,
    live: bool,
    task: Option<Running>,
}

impl<W: Write> ProgressReporter<W> {
    /// A reporter drawing its spinner on stdout; lines go to `out` (stdout in the CLI).
    pub fn new(out: W, verbosity: u8, diff: bool) -> Self {
        Self::with_live(out, verbosity, diff, true)
    }

    /// A reporter whose spinner is never drawn (tests).
    pub fn hidden(out: W, verbosity: u8, diff: bool) -> Self {
        Self::with_live(out, verbosity, diff, false)
    }

    fn with_live(out: W, verbosity: u8, diff: bool, live: bool) -> Self {
        ProgressReporter { text: TextReporter::new(Vec::new(), verbosity, diff), out, live, task: None }
    }

    /// The counters of the task on screen, if any.
    pub fn counts(&self) -> Option<&TaskCounts> {
        self.task.as_ref().map(|r| &r.counts)
    }

    fn start(&mut self, name: &str, handler: bool, hosts: usize, ev: &Event) {
        self.text.event(ev);
        let banner = std::mem::take(self.text.writer_mut());
        let counts = TaskCounts::new(name, handler, hosts);
        let bar = self.bar();
        bar.set_message(counts.label());
        self.task = Some(Running { counts, bar, banner });
    }

    fn bar(&self) -> ProgressBar {
        if !self.live {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
        // The template is a constant; should it ever be rejected, a bare spinner still works.
        if let Ok(style) = ProgressStyle::with_template("{spinner} {wide_msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    fn host_done(&mut self, status: Status) {
        if let Some(r) = &mut self.task {
            r.counts.record(status);
            r.bar.set_message(r.counts.label());
        }
    }

    /// Clears the spinner and prints the banner it stood for.
    fn settle(&mut self) {
        if let Some(r) = self.task.take() {
            r.bar.finish_and_clear();
            self.write(&r.banner);
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        // Output errors (closed pipe) must not abort a provisioning run half-way.
        let _ = self.out.write_all(bytes);
        let _ = self.out.flush();
    }
}

impl<W: Write> Reporter for ProgressReporter<W> {
    fn event(&mut self, ev: &Event) {
        match ev {
            Event::HostDone { status, .. } => self.host_done(*status),
            Event::TaskStart { name, handler, hosts } => {
                self.settle();
                self.start(name, *handler, *hosts, ev);
            }
            _ => {
                self.settle();
                self.text.event(ev);
                let lines = std::mem::take(self.text.writer_mut());
                self.write(&lines);
            }
        }
    }
}

impl<W: Write> Drop for ProgressReporter<W> {
    fn drop(&mut self) {
        self.settle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{HostResult, Stats};
    use hearth_formats::value::Map;

    fn host(name: &str, status: Status) -> Event {
        Event::Host(HostResult {
            host: name.into(),
            delegated_to: None,
            status,
            item: None,
            result: Map::new(),
            diffs: Vec::new(),
            reason: None,
            ignored: false,
            verbose_always: false,
        })
    }

    fn events() -> Vec<Event> {
        vec![
            Event::PlayStart { name: "p".into() },
            Event::TaskStart { name: "t".into(), handler: false, hosts: 2 },
            Event::HostDone { host: "b".into(), status: Status::Changed },
            Event::HostDone { host: "a".into(), status: Status::Ok },
            host("a", Status::Ok),
            host("b", Status::Changed),
            Event::TaskStart { name: "h".into(), handler: true, hosts: 1 },
            Event::Warning("w".into()),
            Event::Recap(vec![("a".into(), Stats::default())]),
        ]
    }

    #[test]
    fn label_counts_hosts() {
        let mut c = TaskCounts::new("ping", false, 3);
        assert_eq!(c.label(), "TASK [ping]  0/3  changed 0  failed 0");
        c.record(Status::Changed);
        c.record(Status::Failed);
        c.record(Status::Skipped);
        assert_eq!(c.label(), "TASK [ping]  3/3  changed 1  failed 1");
        c.record(Status::Unreachable);
        assert!(c.label().ends_with("  unreachable 1"));
        assert_eq!(TaskCounts::new("r", true, 1).title, "RUNNING HANDLER [r]");
    }

    #[test]
    fn prints_exactly_the_text_lines() {
        let mut plain = Vec::new();
        let mut live = Vec::new();
        {
            let mut text = TextReporter::new(&mut plain, 0, false);
            let mut progress = ProgressReporter::hidden(&mut live, 0, false);
            for ev in events() {
                text.event(&ev);
                progress.event(&ev);
            }
        }
        assert_eq!(String::from_utf8_lossy(&live), String::from_utf8_lossy(&plain));
    }

    #[test]
    fn holds_the_banner_while_hosts_run() {
        let mut out = Vec::new();
        let mut p = ProgressReporter::hidden(&mut out, 0, false);
        let evs = events();
        for ev in &evs[..4] {
            p.event(ev);
        }
        assert_eq!(p.counts().map(TaskCounts::label).as_deref(), Some("TASK [t]  2/2  changed 1  failed 0"));
        p.event(&evs[4]);
        assert!(p.counts().is_none(), "the first result ends the spinner");
        drop(p);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("TASK [t]") && text.ends_with("ok: [a]\n"), "{text}");
    }
}
