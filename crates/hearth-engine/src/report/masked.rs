//! A reporter wrapper that masks decrypted vault values (see `vault::mask`) in every event before
//! the inner reporter sees it, so text, `-v` results, `--diff`, progress and JSON lines all go
//! through one place. Events pass untouched while nothing was decrypted.

use super::event::{Event, HostResult, Reporter};
use hearth_formats::vault::mask::{active, mask_string, mask_value};

/// Masks vault secrets, then hands the event on.
pub struct Masked<R: Reporter + ?Sized>(pub Box<R>);

impl<R: Reporter + ?Sized> Reporter for Masked<R> {
    fn event(&mut self, ev: &Event) {
        if !active() {
            return self.0.event(ev);
        }
        let mut ev = ev.clone();
        mask_event(&mut ev);
        self.0.event(&ev);
    }
}

/// Masks every text an event carries. Exhaustive on purpose: a new event kind must say here
/// what it shows.
fn mask_event(ev: &mut Event) {
    match ev {
        Event::PlayStart { name } | Event::TaskStart { name, .. } => mask_string(name),
        Event::NoHostsMatched | Event::HostDone { .. } | Event::Recap(_) => {}
        Event::Host(r) => mask_result(r),
        Event::Retry { task, result, .. } => {
            mask_string(task);
            result.values_mut().for_each(mask_value);
        }
        Event::Included { file, item, .. } => {
            mask_string(file);
            item.iter_mut().for_each(mask_string);
        }
        Event::Warning(w) => mask_string(w),
    }
}

fn mask_result(r: &mut HostResult) {
    r.item.iter_mut().for_each(mask_string);
    r.reason.iter_mut().for_each(mask_string);
    let mut result = hearth_formats::value::Value::Object(std::mem::take(&mut r.result));
    mask_value(&mut result);
    if let hearth_formats::value::Value::Object(m) = result {
        r.result = m;
    }
    for d in &mut r.diffs {
        for text in [&mut d.before_header, &mut d.after_header, &mut d.before, &mut d.after] {
            mask_string(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    struct Keep(Vec<Event>);
    impl Reporter for Keep {
        fn event(&mut self, ev: &Event) {
            self.0.push(ev.clone());
        }
    }

    #[test]
    fn results_diffs_and_names_are_masked() {
        hearth_formats::vault::mask::register("masked-reporter-secret");
        let mut r = Masked(Box::new(Keep(Vec::new())));
        let result = serde_json::json!({"msg": "pw masked-reporter-secret"});
        r.event(&Event::Host(HostResult {
            host: "h".into(),
            delegated_to: None,
            status: Status::Ok,
            item: Some("masked-reporter-secret".into()),
            result: result.as_object().cloned().unwrap_or_default(),
            diffs: vec![hearth_modules::Diff {
                before_header: "a".into(),
                after_header: "b".into(),
                before: String::new(),
                after: "x=masked-reporter-secret\n".into(),
            }],
            reason: None,
            ignored: false,
            verbose_always: true,
        }));
        r.event(&Event::TaskStart { name: "use masked-reporter-secret".into(), handler: false, hosts: 1 });
        let shown = format!("{:?}", r.0.0);
        assert!(!shown.contains("masked-reporter-secret"), "{shown}");
        assert!(shown.contains("pw ********") && shown.contains("x=********"), "{shown}");
    }
}
