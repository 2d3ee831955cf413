//! `--output json`: one JSON object per line for every engine event, for CI and scripts. The
//! field names are a stable interface (documented in the README's CLI chapter). It encodes only
//! what the event carries — results are already redacted under `no_log` and secrets masked in diffs by
//! the engine — and deliberately adds nothing of its own (no variables, no host facts).

use std::io::Write;

use serde_json::json;

use super::event::{Event, HostResult, Reporter, Stats, Status};
use super::text::unified_diff;
use hearth_formats::value::{Map, Value};

/// Writes one JSON line per event to a writer (stdout in the CLI).
pub struct JsonReporter<W: Write> {
    out: W,
    diff: bool,
}

impl<W: Write> JsonReporter<W> {
    /// A reporter; `diff` (`--diff`) includes the unified diffs of host results.
    pub fn new(out: W, diff: bool) -> Self {
        JsonReporter { out, diff }
    }
}

impl<W: Write> Reporter for JsonReporter<W> {
    fn event(&mut self, ev: &Event) {
        // Output errors (closed pipe) must not abort a provisioning run half-way.
        let _ = writeln!(self.out, "{}", encode(ev, self.diff));
        let _ = self.out.flush();
    }
}

/// The JSON object for one event; `diff` says whether host results carry their diffs.
pub fn encode(ev: &Event, diff: bool) -> Value {
    match ev {
        Event::PlayStart { name } => json!({"event": "play_start", "play": name}),
        Event::NoHostsMatched => json!({"event": "no_hosts_matched"}),
        Event::TaskStart { name, handler, hosts } => {
            json!({"event": "task_start", "task": name, "handler": handler, "hosts": hosts})
        }
        Event::HostDone { host, status } => {
            json!({"event": "host_done", "host": host, "status": status_name(*status)})
        }
        Event::Host(r) => host_result(r, diff),
        Event::Retry { host, task, left, result } => {
            json!({"event": "retry", "host": host, "task": task, "retries_left": left, "result": result})
        }
        Event::Included { file, hosts, item } => {
            let mut v = json!({"event": "included", "file": file, "hosts": hosts});
            if let (Some(item), Some(m)) = (item, v.as_object_mut()) {
                m.insert("item".into(), Value::String(item.clone()));
            }
            v
        }
        Event::Warning(w) => json!({"event": "warning", "message": w}),
        Event::Recap(stats) => {
            let hosts: Map = stats.iter().map(|(h, s)| (h.clone(), recap_stats(s))).collect();
            json!({"event": "recap", "hosts": hosts})
        }
    }
}

/// The lowercase status word used in JSON (`ok`, `changed`, `skipped`, `failed`, `unreachable`).
pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Changed => "changed",
        Status::Skipped => "skipped",
        Status::Failed => "failed",
        Status::Unreachable => "unreachable",
    }
}

fn host_result(r: &HostResult, diff: bool) -> Value {
    let diffs: Vec<Value> = if diff {
        r.diffs
            .iter()
            .map(|d| {
                json!({
                    "before_header": d.before_header,
                    "after_header": d.after_header,
                    "unified": unified_diff(d),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    json!({
        "event": "host_result",
        "host": r.host,
        "delegated_to": r.delegated_to,
        "status": status_name(r.status),
        "changed": r.status == Status::Changed,
        "failed": r.status == Status::Failed,
        "unreachable": r.status == Status::Unreachable,
        "ignored": r.ignored,
        "item": r.item,
        "reason": r.reason,
        "result": r.result,
        "diff": diffs,
    })
}

fn recap_stats(s: &Stats) -> Value {
    json!({
        "ok": s.ok,
        "changed": s.changed,
        "unreachable": s.unreachable,
        "failed": s.failed,
        "skipped": s.skipped,
        "rescued": s.rescued,
        "ignored": s.ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_modules::Diff;

    fn result(status: Status) -> HostResult {
        let mut result = Map::new();
        result.insert("msg".into(), json!("hi"));
        HostResult {
            host: "web1".into(),
            delegated_to: None,
            status,
            item: None,
            result,
            diffs: vec![Diff {
                before_header: "/f".into(),
                after_header: "/f".into(),
                before: "a\n".into(),
                after: "b\n".into(),
            }],
            reason: Some("already as wanted".into()),
            ignored: false,
            verbose_always: false,
        }
    }

    #[test]
    fn play_task_and_warning_events() {
        assert_eq!(
            encode(&Event::PlayStart { name: "p".into() }, false),
            json!({"event": "play_start", "play": "p"})
        );
        assert_eq!(encode(&Event::NoHostsMatched, false), json!({"event": "no_hosts_matched"}));
        assert_eq!(
            encode(&Event::TaskStart { name: "t".into(), handler: true, hosts: 3 }, false),
            json!({"event": "task_start", "task": "t", "handler": true, "hosts": 3})
        );
        assert_eq!(
            encode(&Event::HostDone { host: "h".into(), status: Status::Unreachable }, false),
            json!({"event": "host_done", "host": "h", "status": "unreachable"})
        );
        assert_eq!(
            encode(&Event::Included { file: "x.yml".into(), hosts: "a, b".into(), item: None }, false),
            json!({"event": "included", "file": "x.yml", "hosts": "a, b"})
        );
        assert_eq!(
            encode(&Event::Warning("careful".into()), false),
            json!({"event": "warning", "message": "careful"})
        );
    }

    #[test]
    fn host_result_with_and_without_diff() {
        let v = encode(&Event::Host(result(Status::Changed)), true);
        assert_eq!(v["event"], "host_result");
        assert_eq!(v["status"], "changed");
        assert_eq!((v["changed"].clone(), v["failed"].clone()), (json!(true), json!(false)));
        assert_eq!(v["item"], Value::Null);
        assert_eq!(v["delegated_to"], Value::Null);
        assert_eq!(v["result"], json!({"msg": "hi"}));
        assert_eq!(v["reason"], "already as wanted");
        assert_eq!(v["diff"][0]["before_header"], "/f");
        assert_eq!(v["diff"][0]["unified"], "--- before: /f\n+++ after: /f\n@@ -1 +1 @@\n-a\n+b\n");
        let quiet = encode(&Event::Host(result(Status::Changed)), false);
        assert_eq!(quiet["diff"], json!([]));
    }

    #[test]
    fn failed_and_ignored_result() {
        let mut r = result(Status::Failed);
        r.ignored = true;
        r.item = Some("x".into());
        let v = encode(&Event::Host(r), false);
        assert_eq!(v["status"], "failed");
        assert_eq!((v["failed"].clone(), v["ignored"].clone()), (json!(true), json!(true)));
        assert_eq!(v["item"], "x");
    }

    #[test]
    fn recap_lists_every_counter() {
        let s = Stats { ok: 2, changed: 1, failed: 1, ..Stats::default() };
        let v = encode(&Event::Recap(vec![("h".into(), s)]), false);
        assert_eq!(
            v,
            json!({"event": "recap", "hosts": {"h": {"ok": 2, "changed": 1, "unreachable": 0,
                "failed": 1, "skipped": 0, "rescued": 0, "ignored": 0}}})
        );
    }

    #[test]
    fn one_line_per_event() {
        let mut out = Vec::new();
        let mut rep = JsonReporter::new(&mut out, false);
        rep.event(&Event::PlayStart { name: "p\nq".into() });
        rep.event(&Event::NoHostsMatched);
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(text.lines().count(), 2);
    }
}
