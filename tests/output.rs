//! Output formats: `--json` event lines (sequence, statuses, diffs, no_log secrets kept out) and
//! the live progress display on a pseudo-terminal (via `script`, skipped when it is missing).

use std::process::Command;

use serde_json::Value;

use crate::support::Project;

const PLAY: &str = r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - name: write a file
      copy:
        dest: "{root}/f.txt"
        content: "hello\n"
    - name: say
      debug:
        msg: hi
    - name: break
      command: /bin/false
      ignore_errors: true
    - name: hidden
      copy:
        dest: "{root}/secret.txt"
        content: "{{ item }}\n"
      loop: ["TOPSECRET-42"]
      no_log: true
"#;

/// Every stdout line parsed as JSON (panics on a line that is not).
fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn json_lines_for_every_event() {
    let p = Project::new();
    p.write("site.yml", PLAY);
    let run = p.hearth(&["apply", "site.yml", "--json", "--diff"]);
    run.code(0);
    let evs = events(&run.stdout);
    let kinds: Vec<&str> = evs.iter().map(|e| e["event"].as_str().unwrap_or("?")).collect();
    let task = ["task_start", "host_done", "host_result"];
    let want: Vec<&str> =
        std::iter::once("play_start").chain(task.repeat(4)).chain(std::iter::once("recap")).collect();
    assert_eq!(kinds, want, "{}", run.stdout);

    let results: Vec<&Value> = evs.iter().filter(|e| e["event"] == "host_result").collect();
    let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap_or("?")).collect();
    assert_eq!(statuses, ["changed", "ok", "failed", "changed"]);
    assert_eq!(evs[1]["task"], "write a file");
    assert_eq!(evs[1]["hosts"], 1);
    assert_eq!(results[0]["changed"], true);
    assert!(results[0]["diff"][0]["unified"].as_str().is_some_and(|d| d.contains("+hello\n")));
    assert_eq!(results[1]["result"]["msg"], "hi");
    assert_eq!((results[2]["failed"].clone(), results[2]["ignored"].clone()), (true.into(), true.into()));
    let masked = results[3]["diff"][0]["unified"].as_str().unwrap_or_default();
    assert!(masked.contains("+********"), "no_log masks the diff:\n{masked}");
    let recap = &evs[evs.len() - 1]["hosts"]["localhost"];
    assert_eq!((recap["failed"].clone(), recap["ignored"].clone()), (0.into(), 1.into()));
    assert!(!run.stdout.contains("TOPSECRET"), "a no_log value leaked:\n{}", run.stdout);
    assert_eq!(p.read("secret.txt"), "TOPSECRET-42\n");
}

#[test]
fn output_json_flag_and_diffs_only_with_diff() {
    let p = Project::new();
    p.write("site.yml", PLAY);
    let run = p.hearth(&["plan", "site.yml", "--output", "json"]);
    run.code(0);
    let evs = events(&run.stdout);
    assert!(evs.iter().any(|e| e["event"] == "host_result" && e["diff"][0]["unified"].is_string()));
    assert!(!run.stdout.contains("TOPSECRET"));
    let apply = p.hearth(&["apply", "site.yml", "--json"]);
    let evs = events(&apply.stdout);
    assert!(evs.iter().all(|e| e.get("diff").is_none_or(|d| d == &Value::Array(Vec::new()))));
}

#[test]
fn text_output_stays_plain_when_piped() {
    let p = Project::new();
    p.write("site.yml", PLAY);
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0).stdout_has("TASK [write a file] ***").stdout_has("changed: [localhost]");
    assert!(!run.stdout.contains("0/1"), "no progress line on a pipe:\n{}", run.stdout);
}

#[test]
fn progress_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: `script` (util-linux) is not installed");
        return;
    }
    let p = Project::new();
    p.write(
        "slow.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: wait\n      command: sleep 1\n",
    );
    let cmd = format!("{} apply slow.yml", env!("CARGO_BIN_EXE_hearth"));
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(p.dir.path())
        .env("TERM", "xterm")
        .output()
        .expect("run script");
    let stdout = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(stdout.contains("TASK [wait]  0/1  changed 0  failed 0"), "no progress line:\n{stdout}");
    assert!(stdout.contains("\nTASK [wait] ****"), "the banner follows the spinner:\n{stdout}");
    assert!(stdout.contains("\nchanged: [localhost]\n"), "{stdout}");
}
