use super::*;
use crate::runner::{LocalRunner, Runner};

/// A local runner that keeps a shell like the ssh one does, in a private temp directory,
/// optionally with a `prefix` run before the loop (to fake a host).
struct KeptLocal {
    shells: Shells,
    tmp: tempfile::TempDir,
    prefix: String,
}

impl KeptLocal {
    fn new() -> KeptLocal {
        KeptLocal { shells: Shells::default(), tmp: tempfile::tempdir().unwrap(), prefix: String::new() }
    }

    fn kept(&self, script: &str, stdin: &[u8]) -> Option<Result<CmdOutput, ShellError>> {
        let boot =
            format!("TMPDIR='{}'; export TMPDIR\n{}{BOOTSTRAP}", self.tmp.path().display(), self.prefix);
        self.shells.exec(Login::Own, || LocalRunner.spawn_owned(&boot), script, stdin)
    }

    fn run(&self, script: &str, stdin: &[u8]) -> CmdOutput {
        self.kept(script, stdin).expect("kept shell").expect("result")
    }

    /// Names left in the temp directory (the loop's own directory while it runs).
    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

/// What a fresh `sh -c` channel gives (the loop runs `sh`, the local runner `/bin/sh`).
fn local(script: &str, stdin: &[u8]) -> CmdOutput {
    let mut out = LocalRunner.exec(script, Some(stdin)).unwrap();
    if let Some(rest) = out.stderr.strip_prefix(b"/bin/sh:") {
        out.stderr = [b"sh:".as_slice(), rest].concat();
    }
    out
}

#[test]
fn results_match_a_fresh_shell_byte_for_byte() {
    let k = KeptLocal::new();
    let binary: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("echo hi; echo err >&2; exit 3", vec![]),
        ("cat", binary.clone()),
        ("cat; printf 'hearth-done 0\\n12 x\\n'", b"hearth-frame 1 1\n#hearth-end\n".to_vec()),
        ("printf 'no newline'", vec![]),
        ("true\n\n\n", vec![]),
        ("for i in 1 2 3; do\n  echo \"$i\"\ndone\n", vec![]),
        ("exit 0", binary.clone()),
        ("head -c 10; echo; cat >/dev/null", b"0123456789abc".to_vec()),
        ("printf '\\000\\001\\377' >&2", vec![]),
        ("'unbalanced", vec![]),
        ("nosuchprogram-hearth", vec![]),
    ];
    for (script, stdin) in cases {
        let fresh = local(script, &stdin);
        let kept = k.run(script, &stdin);
        // The shell names itself in its own error messages; both are `sh -c`.
        assert_eq!(kept, fresh, "{script:?}");
    }
}

#[test]
fn one_shell_serves_every_operation_and_leaves_nothing_behind() {
    let k = KeptLocal::new();
    let first = k.run("echo $PPID", b"");
    let second = k.run("echo $PPID", b"");
    assert_eq!(first.stdout, second.stdout, "the same loop runs both");
    assert_eq!(k.leftovers().len(), 1, "the loop's directory while it runs");
    k.shells.clear();
    assert!(k.leftovers().is_empty(), "{:?}", k.leftovers());
}

#[test]
fn a_background_writer_does_not_leak_into_the_next_result() {
    let k = KeptLocal::new();
    let out = k.run("(sleep 0.3; echo late; echo late >&2) & echo now", b"");
    assert_eq!(out.stdout, b"now\n");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let next = k.run("echo next", b"");
    assert_eq!((next.stdout.as_slice(), next.stderr.as_slice()), (b"next\n".as_slice(), b"".as_slice()));
}

#[test]
fn a_shell_that_ended_while_idle_is_replaced_silently() {
    let k = KeptLocal::new();
    let pid = String::from_utf8(k.run("echo $PPID", b"").stdout).unwrap();
    std::process::Command::new("kill").arg(pid.trim()).status().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let again = k.run("echo $PPID", b"");
    assert_ne!(String::from_utf8(again.stdout).unwrap(), pid, "a new loop");
}

#[test]
fn a_shell_killed_mid_operation_is_an_error_then_channels_take_over() {
    let k = KeptLocal::new();
    for _ in 0..MAX_DEATHS {
        let err = k.kept("kill -KILL $PPID; sleep 1", b"").expect("kept").expect_err("died");
        assert!(matches!(err, ShellError::Died(_)), "{err}");
        let unreachable = into_error(err, "web1");
        assert!(unreachable.to_string().contains("web1: hearth's shell on the host ended"), "{unreachable}");
    }
    assert!(k.kept("true", b"").is_none(), "given up for channels");
}

#[test]
fn a_host_whose_head_reads_too_much_uses_channels() {
    let mut k = KeptLocal::new();
    let fake = k.tmp.path().join("bin");
    std::fs::create_dir(&fake).unwrap();
    std::fs::write(fake.join("head"), "#!/bin/sh\nexec cat\n").unwrap();
    std::process::Command::new("chmod").arg("+x").arg(fake.join("head")).status().unwrap();
    k.prefix = format!("PATH='{}':$PATH\n", fake.display());
    assert!(k.kept("true", b"").is_none());
    assert!(k.kept("true", b"").is_none(), "stays off without trying again");
}

#[test]
fn a_busy_shell_sends_parallel_operations_to_channels() {
    let k = std::sync::Arc::new(KeptLocal::new());
    k.run("true", b"");
    let busy = {
        let k = k.clone();
        std::thread::spawn(move || k.run("sleep 0.5", b""))
    };
    std::thread::sleep(std::time::Duration::from_millis(150));
    assert!(k.kept("true", b"").is_none(), "busy: the caller opens a channel");
    busy.join().unwrap();
    assert!(k.kept("true", b"").is_some());
}

#[test]
fn frames_are_length_prefixed() {
    assert_eq!(frame("echo a", 5), b"hearth-frame 18 5\necho a\n#hearth-end".to_vec());
    assert_eq!(parse_done("hearth-done 127"), Some(127));
    assert_eq!(parse_done("noise"), None);
    assert_eq!(parse_count("  42 /tmp/x/o"), Some(42));
}
