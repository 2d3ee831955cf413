//! One table of Transport operations and expectations, run against `Local`, `Posix` over a
//! local shell, and SSH: every transport must observe the same thing.

use hearth::transport::{Attrs, Cmd, FileKind, Probe, Transport, TransportError};

/// A name with everything a shell could misread.
pub const ODD: &str = "a b'c\"d$e;f`g\\h\nü ✓ *";

/// Runs the table under `root` (an existing, empty directory) and returns what was observed.
pub fn run_table(t: &dyn Transport, root: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let dir = format!("{root}/{ODD}/sub");
    let file = format!("{dir}/file {ODD}");
    assert_eq!(t.stat(&file, false).unwrap(), None);
    assert_eq!(t.read_file(&file).unwrap(), None);

    // make_dir: parents created with attrs, an existing root untouched.
    let root_mode = t.stat(root, true).unwrap().unwrap().mode;
    t.make_dir(&dir, &Attrs { mode: Some(0o750), ..Attrs::default() }).unwrap();
    assert_eq!(t.stat(&format!("{root}/{ODD}"), true).unwrap().unwrap().mode, 0o750);
    let st = t.stat(&dir, true).unwrap().unwrap();
    assert_eq!((st.kind, st.mode), (FileKind::Directory, 0o750));
    assert_eq!(t.stat(root, true).unwrap().unwrap().mode, root_mode);
    t.make_dir(&dir, &Attrs::default()).unwrap();

    // write_file: content intact (NUL, newlines, non-ASCII), modes kept unless given.
    let content = format!("line 1\n\0binary\u{1}\n{ODD}\n").into_bytes();
    t.write_file(&file, &content, &Attrs::default()).unwrap();
    assert_eq!(t.read_file(&file).unwrap().unwrap(), content);
    let st = t.stat(&file, false).unwrap().unwrap();
    seen.push(format!("new file: {:?} {:o} size {}", st.kind, st.mode, st.size));
    t.write_file(&file, b"x", &Attrs { mode: Some(0o600), ..Attrs::default() }).unwrap();
    t.write_file(&file, b"y", &Attrs::default()).unwrap();
    assert_eq!(t.stat(&file, true).unwrap().unwrap().mode, 0o600);
    t.set_attrs(&file, &Attrs { mode: Some(0o640), ..Attrs::default() }).unwrap();
    if nix::unistd::geteuid().is_root() {
        t.set_attrs(
            &file,
            &Attrs { mode: None, owner: Some("nobody".into()), group: Some("nogroup".into()) },
        )
        .unwrap();
    }
    t.write_file(&file, &content, &Attrs::default()).unwrap();
    let st = t.stat(&file, true).unwrap().unwrap();
    seen.push(format!("rewritten: {:o} {:?}:{:?} {}:{}", st.mode, st.owner, st.group, st.uid, st.gid));
    let big: Vec<u8> = (0..(1 << 20)).map(|i| (i % 251) as u8).collect();
    let big_file = format!("{dir}/big");
    t.write_file(&big_file, &big, &Attrs::default()).unwrap();
    assert_eq!(t.read_file(&big_file).unwrap().unwrap(), big);

    // copy_file keeps content, mode and mtime.
    let copy = format!("{file}.bak");
    t.copy_file(&file, &copy).unwrap();
    let (a, b) = (t.stat(&file, true).unwrap().unwrap(), t.stat(&copy, true).unwrap().unwrap());
    assert_eq!((a.mode, a.mtime, a.size, a.uid), (b.mode, b.mtime, b.size, b.uid));
    assert_eq!(t.read_file(&copy).unwrap().unwrap(), content);

    // symlink: created, replaced, seen as a link or followed.
    let link = format!("{dir}/link {ODD}");
    t.symlink("nowhere", &link).unwrap();
    assert_eq!(t.stat(&link, true).unwrap(), None);
    assert_eq!(t.read_file(&link).unwrap(), None);
    t.symlink(&format!("file {ODD}"), &link).unwrap();
    let st = t.stat(&link, false).unwrap().unwrap();
    assert_eq!((st.kind, st.link_target.as_deref()), (FileKind::Link, Some(format!("file {ODD}").as_str())));
    assert_eq!(t.stat(&link, true).unwrap().unwrap().kind, FileKind::File);
    assert_eq!(t.read_file(&link).unwrap().unwrap(), content);
    assert!(t.symlink("x", &dir).is_err(), "a directory is never replaced by a link");

    // probe: lstat, stat through links and small content in one look.
    let p = t.probe(&link).unwrap();
    assert_eq!(p.lstat.map(|s| s.kind), Some(FileKind::Link));
    assert_eq!(p.stat.map(|s| s.kind), Some(FileKind::File));
    assert_eq!(p.content.as_deref(), Some(content.as_slice()));
    assert_eq!(t.probe(&big_file).unwrap().content.map(|c| c.len()), Some(1 << 20));
    let p = t.probe(&dir).unwrap();
    assert_eq!((p.stat.map(|s| s.kind), p.content), (Some(FileKind::Directory), None));
    let in_dir = Probe { parent_dir: Some(true), ..Probe::default() };
    assert_eq!(t.probe(&format!("{dir}/missing")).unwrap(), in_dir);
    let nowhere = Probe { parent_dir: Some(false), ..Probe::default() };
    assert_eq!(t.probe(&format!("{dir}/missing/deeper")).unwrap(), nowhere);
    let dangling_link = format!("{dir}/link {ODD}.dangling");
    t.symlink("nowhere", &dangling_link).unwrap();
    let dangling = t.probe(&dangling_link).unwrap();
    assert_eq!(dangling.lstat.map(|s| s.kind), Some(FileKind::Link));
    assert_eq!((dangling.stat, dangling.content, dangling.parent_dir), (None, None, None));
    t.remove(&dangling_link).unwrap();
    seen.extend(run_place(t, &dir));

    // list_dir: odd names, sorted, hidden files included.
    t.write_file(&format!("{dir}/.hidden"), b"", &Attrs::default()).unwrap();
    seen.push(format!("list: {:?}", t.list_dir(&dir).unwrap()));
    assert!(t.list_dir(&file).is_err());

    // errors: a directory is not a file.
    assert!(t.read_file(&dir).is_err());
    assert!(t.write_file(&dir, b"x", &Attrs::default()).is_err());
    assert!(t.make_dir(&format!("{file}/x"), &Attrs::default()).is_err());

    seen.extend(run_commands(t, &dir));

    // remove: trees, links, and nothing at all.
    t.remove(&link).unwrap();
    assert!(t.stat(&file, false).unwrap().is_some(), "removing a link keeps its target");
    t.remove(&format!("{root}/{ODD}")).unwrap();
    assert_eq!(t.stat(&file, false).unwrap(), None);
    t.remove(&format!("{root}/{ODD}")).unwrap();
    seen
}

/// `place` (backup + write + stat in one), `backup` and `make_dir_stat`.
fn run_place(t: &dyn Transport, dir: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let file = format!("{dir}/placed {ODD}");
    let attrs = Attrs { mode: Some(0o640), ..Attrs::default() };
    let new = t.place(&file, b"one\n", &attrs, true).unwrap();
    assert_eq!(new.backup, None, "nothing to back up yet");
    assert_eq!(new.stat, t.stat(&file, false).unwrap().unwrap());
    seen.push(format!("placed: {:?} {:o} size {}", new.stat.kind, new.stat.mode, new.stat.size));
    let again = t.place(&file, b"two\n", &Attrs::default(), true).unwrap();
    let backup = again.backup.expect("a backup of the old file");
    assert!(backup.starts_with(&format!("{file}.")) && backup.ends_with('~'), "{backup}");
    assert_eq!(t.read_file(&backup).unwrap().unwrap(), b"one\n");
    assert_eq!((again.stat.mode, t.read_file(&file).unwrap().unwrap()), (0o640, b"two\n".to_vec()));
    t.remove(&backup).unwrap();
    let named = t.backup(&file).unwrap();
    assert_eq!(t.read_file(&named).unwrap().unwrap(), b"two\n");
    t.remove(&named).unwrap();
    assert!(matches!(t.backup(&format!("{dir}/missing")), Err(TransportError::Io { op: "backup", .. })));
    assert!(t.place(&format!("{dir}/missing/x"), b"x", &Attrs::default(), false).is_err());
    let made = t.make_dir_stat(&format!("{dir}/made/deep"), &Attrs { mode: Some(0o700), ..Attrs::default() });
    let made = made.unwrap();
    seen.push(format!("made: {:?} {:o}", made.kind, made.mode));
    t.remove(&format!("{dir}/made")).unwrap();
    t.remove(&file).unwrap();
    seen
}

/// `run`: argv intact, chdir, env, stdin, exit codes, a missing program.
fn run_commands(t: &dyn Transport, dir: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let out = t.run(&Cmd::new(["printf", "[%s]", ODD, "", "$HOME", "-n"])).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("[{ODD}][][$HOME][-n]"));
    let mut cmd = Cmd::new(["/bin/sh", "-c", "pwd; printf %s \"$V\"", "sh"]);
    cmd.chdir = Some(dir.to_string());
    cmd.env = vec![("V".into(), ODD.into())];
    let out = t.run(&cmd).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{dir}\n{ODD}"));
    let mut cat = Cmd::new(["cat"]);
    cat.stdin = Some(format!("in\0put {ODD}").into_bytes());
    assert_eq!(t.run(&cat).unwrap().stdout, cat.stdin.clone().unwrap());
    let out = t.run(&Cmd::new(["sh", "-c", "echo out; echo err >&2; exit 3"])).unwrap();
    seen.push(format!("rc {} out {:?} err {:?}", out.rc, out.stdout, out.stderr));
    match t.run(&Cmd::new(["no-such-program-hearth"])) {
        Err(TransportError::Spawn { program, .. }) => seen.push(format!("missing program: {program}")),
        other => panic!("expected a spawn error, got {other:?}"),
    }
    let mut bad_dir = Cmd::new(["true"]);
    bad_dir.chdir = Some(format!("{dir}/missing"));
    assert!(matches!(t.run(&bad_dir), Err(TransportError::Spawn { .. })));
    seen
}
