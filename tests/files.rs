//! File modules end to end: lineinfile, blockinfile, copy, template, file, stat. Each test asserts
//! what a user sees: contents and modes on disk, recap counts, idempotence, `--check` leaving the
//! tree untouched, `--diff` output and backups. Does not compare with ansible-playbook (`compat`).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::support::{Project, Run};

/// A one-play playbook on the implicit localhost.
fn play(tasks: &str) -> String {
    format!("- hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}")
}

/// Every entry under the project: relative path, kind, mode and content or link target. Unlike
/// `snapshot` it sees directories, modes and links, so a `--check` run creating any is caught.
fn tree(p: &Project) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for e in fs::read_dir(dir).expect("readdir").flatten() {
            let path = e.path();
            let rel = path.strip_prefix(root).expect("prefix").display().to_string();
            let meta = fs::symlink_metadata(&path).expect("lstat");
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                out.push((rel, format!("link -> {}", fs::read_link(&path).expect("readlink").display())));
            } else if meta.is_dir() {
                out.push((rel, format!("dir {mode:o} uid={}", meta.uid())));
                walk(root, &path, out);
            } else {
                let body = String::from_utf8_lossy(&fs::read(&path).expect("read")).into_owned();
                out.push((rel, format!("file {mode:o} uid={} {body:?}", meta.uid())));
            }
        }
    }
    let mut out = Vec::new();
    walk(p.dir.path(), p.dir.path(), &mut out);
    out.sort();
    out
}

/// Runs `site.yml` with `--check --diff` (asserting nothing on disk moved), then for real, then a
/// second time; returns the check run and the first real run. Both report `changed` changes, the
/// second real run none.
fn check_apply_again(p: &Project, changed: u32) -> (Run, Run) {
    let before = tree(p);
    let check = p.hearth(&["apply", "site.yml", "--check", "--diff"]);
    check.code(0);
    assert_eq!(tree(p), before, "--check must leave every file untouched\n{}", check.stdout);
    assert_eq!(check.recap("localhost", "changed"), changed, "--check changed count\n{}", check.stdout);
    let run = p.hearth(&["apply", "site.yml", "--diff"]);
    run.code(0);
    assert_eq!(run.recap("localhost", "changed"), changed, "changed count\n{}", run.stdout);
    let again = p.hearth(&["apply", "site.yml"]);
    again.code(0);
    assert_eq!(again.recap("localhost", "changed"), 0, "second run must change nothing\n{}", again.stdout);
    (check, run)
}

/// Backup files of `name` in the project root, checked to be named
/// `<name>.<pid>.<YYYY-MM-DD@HH:MM:SS>~` like Ansible's.
fn backups(p: &Project, name: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in fs::read_dir(p.dir.path()).expect("readdir").flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&format!("{name}.")) else { continue };
        let (pid, stamp) = rest.split_once('.').unwrap_or_else(|| panic!("backup name {file:?}"));
        assert!(!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()), "pid in {file:?}");
        let shape: String = stamp.chars().map(|c| if c.is_ascii_digit() { 'D' } else { c }).collect();
        assert_eq!(shape, "DDDD-DD-DD@DD:DD:DD~", "timestamp in backup name {file:?}");
        found.push(file);
    }
    found.sort();
    found
}

const GITLAB_RB: &str = "external_url 'https://gitlab.example.com'\n\
# gitlab_rails['initial_root_password'] = \"password\"\n\
# gitlab_rails['initial_shared_runners_registration_token'] = \"token\"\n\
nginx['listen_port'] = 80\n";

const GITLAB_TOKEN_TASK: &str = r#"    - name: set the runner token
      lineinfile:
        path: "{root}/gitlab.rb"
        regexp: "^#? *gitlab_rails\\['initial_shared_runners_registration_token'\\]"
        line: "gitlab_rails['initial_shared_runners_registration_token'] = \"s3cr3t\""
        backup: true
      register: edit
    - debug: msg="backup={{ edit.backup }}"
"#;

#[test]
fn lineinfile_replaces_the_commented_default_once_and_keeps_a_backup() {
    let p = Project::new();
    p.write("site.yml", &play(GITLAB_TOKEN_TASK)).write("gitlab.rb", GITLAB_RB);
    fs::set_permissions(p.path("gitlab.rb"), fs::Permissions::from_mode(0o640)).expect("chmod");
    let (check, run) = check_apply_again(&p, 1);
    let path = p.path("gitlab.rb").display().to_string();
    for r in [&check, &run] {
        r.stdout_has(&format!("--- before: {path} (content)\n+++ after: {path} (content)\n"))
            .stdout_has("-# gitlab_rails['initial_shared_runners_registration_token'] = \"token\"\n")
            .stdout_has("+gitlab_rails['initial_shared_runners_registration_token'] = \"s3cr3t\"\n");
    }
    let want = GITLAB_RB.replace(
        "# gitlab_rails['initial_shared_runners_registration_token'] = \"token\"",
        "gitlab_rails['initial_shared_runners_registration_token'] = \"s3cr3t\"",
    );
    assert_eq!(p.read("gitlab.rb"), want, "replaced in place, not appended, not duplicated");
    assert_eq!(p.mode("gitlab.rb"), 0o640, "mode kept when content changes");
    let b = backups(&p, "gitlab.rb");
    assert_eq!(b.len(), 1, "one backup from the one changing run: {b:?}");
    assert_eq!(p.read(&b[0]), GITLAB_RB, "the backup holds the old content");
    run.stdout_has(&format!("\"msg\": \"backup={}\"", p.path(&b[0]).display()));
}

#[test]
fn lineinfile_appends_removes_and_creates() {
    let p = Project::new();
    p.write("hosts", "127.0.0.1 localhost\n10.0.0.9 old.example\n# 10.0.0.9 old.example\n");
    p.write(
        "site.yml",
        &play(
            r##"    - lineinfile: {path: "{root}/hosts", line: "10.0.0.5 gitlab.example"}
    - lineinfile: {path: "{root}/hosts", regexp: 'old\.example', state: absent}
    - lineinfile: {path: "{root}/hosts", line: "# managed", insertbefore: BOF}
    - lineinfile: {path: "{root}/new.conf", line: "a=1", create: true, mode: "0600"}
    - lineinfile: {path: "{root}/new.conf", line: "b=2", insertafter: '^a=', create: true}
"##,
        ),
    );
    check_apply_again(&p, 5);
    assert_eq!(p.read("hosts"), "# managed\n127.0.0.1 localhost\n10.0.0.5 gitlab.example\n");
    assert_eq!(p.read("new.conf"), "a=1\nb=2\n");
    assert_eq!(p.mode("new.conf"), 0o600);
}

#[test]
fn lineinfile_without_create_fails_on_a_missing_file() {
    let p = Project::new();
    p.write("site.yml", &play("    - lineinfile: {path: \"{root}/missing\", line: x}\n"));
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(2).stdout_has("fatal: [localhost]");
    assert!(!p.path("missing").exists());
}

#[test]
fn failing_validate_leaves_the_file_untouched() {
    let p = Project::new();
    p.write("app.conf", "port=80\n");
    p.write(
        "site.yml",
        &play(
            r#"    - lineinfile: {path: "{root}/app.conf", regexp: '^port=', line: "port=oops", validate: "grep -q '^port=[0-9]*$' %s"}
"#,
        ),
    );
    let before = tree(&p);
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(2).stdout_has("fatal: [localhost]");
    assert_eq!(run.recap("localhost", "failed"), 1);
    assert_eq!(tree(&p), before, "a rejected edit must not touch the file nor leave temp files");
    p.write(
        "site.yml",
        &play("    - copy: {content: \"port=x\\n\", dest: \"{root}/app.conf\", validate: \"grep -q '^port=[0-9]*$' %s\"}\n"),
    );
    let before = tree(&p);
    p.hearth(&["apply", "site.yml"]).code(2);
    assert_eq!(tree(&p), before);
    p.write(
        "site.yml",
        &play("    - copy: {content: \"port=81\\n\", dest: \"{root}/app.conf\", validate: \"grep -q '^port=[0-9]*$' %s\"}\n"),
    );
    p.hearth(&["apply", "site.yml"]).code(0);
    assert_eq!(p.read("app.conf"), "port=81\n");
}

#[test]
fn owner_group_and_mode_kept_when_content_changes() {
    let p = Project::new();
    p.write("owned.conf", "a=1\n").write("copied.conf", "old\n").write("tmpl.conf", "old\n");
    p.write("templates/t.j2", "new {{ 1 + 1 }}\n");
    let uid = fs::metadata(p.path("owned.conf")).expect("stat").uid();
    let other = if uid == 0 { Some(65534) } else { None };
    for f in ["owned.conf", "copied.conf", "tmpl.conf"] {
        fs::set_permissions(p.path(f), fs::Permissions::from_mode(0o604)).expect("chmod");
        if let Some(id) = other {
            std::os::unix::fs::chown(p.path(f), Some(id), Some(id)).expect("chown");
        }
    }
    p.write(
        "site.yml",
        &play(
            r#"    - lineinfile: {path: "{root}/owned.conf", line: "b=2"}
    - copy: {content: "new\n", dest: "{root}/copied.conf"}
    - template: {src: t.j2, dest: "{root}/tmpl.conf"}
"#,
        ),
    );
    check_apply_again(&p, 3);
    assert_eq!(p.read("owned.conf"), "a=1\nb=2\n");
    assert_eq!(p.read("copied.conf"), "new\n");
    assert_eq!(p.read("tmpl.conf"), "new 2\n");
    for f in ["owned.conf", "copied.conf", "tmpl.conf"] {
        let meta = fs::metadata(p.path(f)).expect("stat");
        assert_eq!(meta.permissions().mode() & 0o7777, 0o604, "{f} mode");
        if let Some(id) = other {
            assert_eq!((meta.uid(), meta.gid()), (id, id), "{f} owner and group");
        }
    }
}

#[test]
fn editing_through_a_symlink_keeps_the_link() {
    let p = Project::new();
    p.write("real.conf", "a=1\n");
    std::os::unix::fs::symlink("real.conf", p.path("link.conf")).expect("symlink");
    p.write("site.yml", &play("    - lineinfile: {path: \"{root}/link.conf\", line: \"b=2\"}\n"));
    check_apply_again(&p, 1);
    assert!(fs::symlink_metadata(p.path("link.conf")).expect("lstat").file_type().is_symlink());
    assert_eq!(p.read("real.conf"), "a=1\nb=2\n");
}

#[test]
fn blockinfile_inserts_updates_in_place_and_removes() {
    let p = Project::new();
    p.write("sshd_config", "Port 22\nPermitRootLogin no\n");
    let task = |block: &str, state: &str| {
        play(&format!(
            "    - blockinfile:\n        path: \"{{root}}/sshd_config\"\n        block: |\n{block}        state: {state}\n        backup: yes\n"
        ))
    };
    p.write(
        "site.yml",
        &task("          Match User git\n            PasswordAuthentication no\n", "present"),
    );
    let (_, run) = check_apply_again(&p, 1);
    run.stdout_has("+# BEGIN ANSIBLE MANAGED BLOCK\n+Match User git\n");
    assert_eq!(
        p.read("sshd_config"),
        "Port 22\nPermitRootLogin no\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch User git\n  PasswordAuthentication no\n# END ANSIBLE MANAGED BLOCK\n"
    );

    // Lines added after the block stay after it when the block changes.
    let mut text = p.read("sshd_config");
    text.push_str("UsePAM yes\n");
    p.write("sshd_config", &text);
    p.write("site.yml", &task("          Match User deploy\n", "present"));
    check_apply_again(&p, 1);
    assert_eq!(
        p.read("sshd_config"),
        "Port 22\nPermitRootLogin no\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch User deploy\n# END ANSIBLE MANAGED BLOCK\nUsePAM yes\n"
    );

    p.write("site.yml", &task("          ignored\n", "absent"));
    check_apply_again(&p, 1);
    assert_eq!(p.read("sshd_config"), "Port 22\nPermitRootLogin no\nUsePAM yes\n");
    let b = backups(&p, "sshd_config");
    assert_eq!(b.len(), 3, "one backup per changing run: {b:?}");
    assert!(b.iter().any(|f| p.read(f) == text), "a backup holds the pre-update content");
}

#[test]
fn blockinfile_custom_marker_and_insertbefore() {
    let p = Project::new();
    p.write("app.js", "const a = 1;\nmodule.exports = a;\n");
    p.write(
        "site.yml",
        &play(
            r#"    - blockinfile:
        path: "{root}/app.js"
        marker: "// {mark} hearth config"
        marker_begin: start
        marker_end: stop
        insertbefore: '^module\.exports'
        block: "const b = 2;"
"#,
        ),
    );
    check_apply_again(&p, 1);
    assert_eq!(
        p.read("app.js"),
        "const a = 1;\n// start hearth config\nconst b = 2;\n// stop hearth config\nmodule.exports = a;\n"
    );
}

#[test]
fn copy_content_src_directory_dest_mode_and_force() {
    let p = Project::new();
    p.write("files/app.conf", "listen 8080\n");
    p.write("keep.conf", "mine\n");
    p.write(
        "site.yml",
        &play(
            r#"    - copy: {content: "hello\nworld\n", dest: "{root}/out/hello.txt", mode: "0640"}
    - copy: {src: app.conf, dest: "{root}/conf.d/", mode: "u=rw,g=r,o="}
    - copy: {content: "theirs\n", dest: "{root}/keep.conf", force: false}
    - copy: {content: "fresh\n", dest: "{root}/fresh.conf", force: no}
"#,
        ),
    );
    fs::create_dir(p.path("out")).expect("mkdir");
    check_apply_again(&p, 3);
    assert_eq!(p.read("out/hello.txt"), "hello\nworld\n");
    assert_eq!(p.mode("out/hello.txt"), 0o640);
    assert_eq!(p.read("conf.d/app.conf"), "listen 8080\n");
    assert_eq!(p.mode("conf.d/app.conf"), 0o640);
    assert_eq!(p.read("keep.conf"), "mine\n", "force: false never overwrites");
    assert_eq!(p.read("fresh.conf"), "fresh\n", "force: false still creates");
}

#[test]
fn copy_diff_and_backup() {
    let p = Project::new();
    p.write("motd", "old line\nsame\n");
    p.write(
        "site.yml",
        &play("    - copy: {content: \"new line\\nsame\\n\", dest: \"{root}/motd\", backup: true}\n"),
    );
    let (check, run) = check_apply_again(&p, 1);
    for r in [&check, &run] {
        r.stdout_has(&format!("--- before: {}\n", p.path("motd").display()))
            .stdout_has("+++ after: ")
            .stdout_has("-old line\n+new line\n same\n");
    }
    assert_eq!(p.read("motd"), "new line\nsame\n");
    let b = backups(&p, "motd");
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(p.read(&b[0]), "old line\nsame\n");
}

#[test]
fn copy_mode_only_change_is_a_change() {
    let p = Project::new();
    p.write("run.sh", "#!/bin/sh\n");
    p.write(
        "site.yml",
        &play("    - copy: {content: \"#!/bin/sh\\n\", dest: \"{root}/run.sh\", mode: \"0755\"}\n"),
    );
    check_apply_again(&p, 1);
    assert_eq!(p.mode("run.sh"), 0o755);
}

#[test]
fn template_renders_loops_booleans_and_keeps_the_trailing_newline() {
    let p = Project::new();
    p.write(
        "templates/nginx.conf.j2",
        "# {{ ansible_managed }}\nenabled={{ true }}\nflag={{ flag }}\n{% for site in sites %}\nserver {{ site.name }}:{{ site.port }};\n{% endfor %}\nend\n\n",
    );
    p.write(
        "site.yml",
        r#"- hosts: localhost
  gather_facts: false
  vars:
    flag: false
    sites:
      - {name: a.example, port: 80}
      - {name: b.example, port: 443}
  tasks:
    - template: {src: nginx.conf.j2, dest: "{root}/nginx.conf", mode: "0640"}
"#,
    );
    check_apply_again(&p, 1);
    assert_eq!(
        p.read("nginx.conf"),
        "# Ansible managed\nenabled=True\nflag=False\nserver a.example:80;\nserver b.example:443;\nend\n\n"
    );
    assert_eq!(p.mode("nginx.conf"), 0o640);
}

#[test]
fn template_change_shows_a_diff() {
    let p = Project::new();
    p.write("templates/app.j2", "port={{ port }}\n").write("app.conf", "port=1\n");
    p.write(
        "site.yml",
        &play("    - template: {src: app.j2, dest: \"{root}/app.conf\"}\n      vars: {port: 2}\n"),
    );
    let (_, run) = check_apply_again(&p, 1);
    run.stdout_has(&format!("--- before: {}\n", p.path("app.conf").display()))
        .stdout_has("-port=1\n+port=2\n");
    assert_eq!(p.read("app.conf"), "port=2\n");
}

#[test]
fn file_directory_with_mode_link_and_absent() {
    let p = Project::new();
    p.write("target.txt", "t\n").write("gone/inner/x", "x\n").write("gone.txt", "g\n");
    p.write(
        "site.yml",
        &play(
            r#"    - file: {path: "{root}/data/a/b", state: directory, mode: "0750"}
    - file: {src: "{root}/target.txt", dest: "{root}/current", state: link}
    - file: {path: "{root}/gone", state: absent}
    - file: {path: "{root}/gone.txt", state: absent}
    - file: {path: "{root}/never-there", state: absent}
    - file: {path: "{root}/target.txt", mode: "0600"}
"#,
        ),
    );
    check_apply_again(&p, 5);
    assert!(p.path("data/a/b").is_dir());
    assert_eq!(p.mode("data/a/b"), 0o750);
    assert_eq!(fs::read_link(p.path("current")).expect("link"), p.path("target.txt"));
    assert!(!p.path("gone").exists() && !p.path("gone.txt").exists());
    assert_eq!(p.mode("target.txt"), 0o600);
}

#[test]
fn file_touch_is_always_changed_and_creates_with_mode() {
    let p = Project::new();
    p.write("site.yml", &play("    - file: {path: \"{root}/stamp\", state: touch, mode: \"0644\"}\n"));
    let before = tree(&p);
    let check = p.hearth(&["apply", "site.yml", "--check"]);
    assert_eq!(check.code(0).recap("localhost", "changed"), 1);
    assert_eq!(tree(&p), before);
    for _ in 0..2 {
        assert_eq!(p.hearth(&["apply", "site.yml"]).code(0).recap("localhost", "changed"), 1);
    }
    assert_eq!(p.read("stamp"), "");
    assert_eq!(p.mode("stamp"), 0o644);
}

#[test]
fn file_recurse_applies_symbolic_mode_to_the_tree() {
    let p = Project::new();
    p.write("www/index.html", "i\n").write("www/css/site.css", "c\n").write("www/run.sh", "r\n");
    fs::set_permissions(p.path("www/run.sh"), fs::Permissions::from_mode(0o700)).expect("chmod");
    p.write(
        "site.yml",
        &play(
            "    - file: {path: \"{root}/www\", state: directory, recurse: true, mode: \"u=rwX,g=rX,o=\"}\n",
        ),
    );
    check_apply_again(&p, 1);
    assert_eq!(p.mode("www"), 0o750);
    assert_eq!(p.mode("www/css"), 0o750);
    assert_eq!(p.mode("www/index.html"), 0o640);
    assert_eq!(p.mode("www/css/site.css"), 0o640);
    assert_eq!(p.mode("www/run.sh"), 0o750, "X keeps execute on files that had it");
}

#[test]
fn stat_drives_when_and_reports_checksum() {
    let p = Project::new();
    p.write("present.txt", "hello\n");
    p.write(
        "site.yml",
        &play(
            r#"    - stat: {path: "{root}/present.txt"}
      register: here
    - stat: {path: "{root}/absent.txt"}
      register: missing
    - debug: msg="exists={{ here.stat.exists }} sum={{ here.stat.checksum }} size={{ here.stat.size }} reg={{ here.stat.isreg }} mode={{ here.stat.mode }}"
    - debug: msg=ran-when-present
      when: here.stat.exists
    - debug: msg=ran-when-missing
      when: not missing.stat.exists
    - copy: {content: "created\n", dest: "{root}/absent.txt"}
      when: missing.stat.exists
"#,
        ),
    );
    fs::set_permissions(p.path("present.txt"), fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0)
        .stdout_has(
            "\"msg\": \"exists=True sum=f572d396fae9206628714fb2ce00f72e94f2258f size=6 reg=True mode=0644\"",
        )
        .stdout_has("ran-when-present")
        .stdout_has("ran-when-missing");
    assert_eq!(run.recap("localhost", "changed"), 0);
    assert_eq!(run.recap("localhost", "skipped"), 1);
    assert!(!p.path("absent.txt").exists());
}

/// A name a shell would mangle: spaces, both quotes, `$`, `;`, a backtick and non-ASCII.
const WEIRD: &str = "it's \"q\" $HOME; `x` ü ☃.conf";

#[test]
fn awkward_names_and_contents_arrive_intact() {
    let p = Project::new();
    // JSON is YAML: the strings need no further quoting in the playbook.
    let vars = format!(
        "{{\"weird\": {name:?}, \"text\": {text:?}}}\n",
        name = WEIRD,
        text = "x='$HOME'; echo \"ü\" `pwd` $(id) \\n ☃"
    );
    p.write("vars.yml", &vars);
    p.write("templates/t.j2", "{{ text }}\n");
    fs::create_dir(p.path("my dir")).expect("mkdir");
    p.write(
        "site.yml",
        r#"- hosts: localhost
  gather_facts: false
  vars_files: [vars.yml]
  tasks:
    - copy: {content: "{{ text }}\n", dest: "{root}/my dir/{{ weird }}"}
    - lineinfile: {path: "{root}/my dir/l {{ weird }}", line: "{{ text }} again", create: true}
    - template: {src: t.j2, dest: "{root}/my dir/t {{ weird }}"}
    - file: {path: "{root}/my dir/d {{ weird }}", state: directory}
    - file: {path: "{root}/my dir/d {{ weird }}/touched", state: touch}
    - blockinfile: {path: "{root}/my dir/b {{ weird }}", create: true, block: "{{ text }}"}
    - stat: {path: "{root}/my dir/{{ weird }}"}
      register: st
    - debug: msg="exists={{ st.stat.exists }}"
"#,
    );
    let run = p.hearth(&["apply", "site.yml"]);
    run.code(0).stdout_has("\"msg\": \"exists=True\"");
    assert_eq!(run.recap("localhost", "changed"), 6);
    let text = "x='$HOME'; echo \"ü\" `pwd` $(id) \\n ☃";
    assert_eq!(p.read(&format!("my dir/{WEIRD}")), format!("{text}\n"));
    assert_eq!(p.read(&format!("my dir/l {WEIRD}")), format!("{text} again\n"));
    assert_eq!(p.read(&format!("my dir/t {WEIRD}")), format!("{text}\n"));
    assert!(p.path(&format!("my dir/d {WEIRD}/touched")).is_file());
    assert_eq!(
        p.read(&format!("my dir/b {WEIRD}")),
        format!("# BEGIN ANSIBLE MANAGED BLOCK\n{text}\n# END ANSIBLE MANAGED BLOCK\n")
    );
    let again = p.hearth(&["apply", "site.yml"]);
    assert_eq!(again.code(0).recap("localhost", "changed"), 1, "only the touch changes again");
}
