//! `fetch` and `slurp` over SSH on lab hosts: files land on the controller under
//! `dest/<inventory_hostname>/<src>`, only when they differ, nothing in check mode; `slurp`
//! reads a root-only file with become.

use crate::support::lab::Lab;
use crate::support::{Project, play_on};

#[test]
fn fetch_layout_idempotence_check_mode_and_become_slurp() {
    let Some(lab) = Lab::get() else { return };
    lab.ok(0, "root", "printf 'fetched from lab1\\n' > /tmp/hearth-fetch.txt");
    let p = Project::new();
    let tasks = "    - fetch: {src: /tmp/hearth-fetch.txt, dest: fetched}\n      register: f\n    \
                 - assert: {that: [\"f.dest.endswith('/fetched/lab1/tmp/hearth-fetch.txt')\", \"f.checksum | length == 40\"]}\n";
    p.write("site.yml", &play_on("lab1", tasks));
    let check = lab.apply(&p, &["site.yml", "--check"]);
    check.code(0);
    assert!(!p.path("fetched").exists(), "check mode writes nothing on the controller");

    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap("lab1", "changed"), 1, "{}", run.stdout);
    assert_eq!(p.read("fetched/lab1/tmp/hearth-fetch.txt"), "fetched from lab1\n");
    let again = lab.apply(&p, &["site.yml"]);
    again.code(0);
    assert_eq!(again.recap("lab1", "changed"), 0, "{}", again.stdout);

    let slurp = "    - slurp: {src: /etc/shadow}\n      become: true\n      register: s\n    \
                 - assert: {that: [\"(s.content | b64decode).startswith('root:')\", \"s.source == '/etc/shadow'\"]}\n    \
                 - slurp: {src: /etc/shadow}\n      register: denied\n      ignore_errors: true\n    \
                 - assert: {that: [\"denied.msg == 'file is not readable: /etc/shadow'\"]}\n    \
                 - slurp: {src: /root/hearth-nope/x}\n      register: hidden\n      ignore_errors: true\n    \
                 - assert: {that: [\"hidden.msg == 'file is not readable: /root/hearth-nope/x'\"]}\n    \
                 - slurp: {src: /tmp/hearth-nope/x}\n      register: gone\n      ignore_errors: true\n    \
                 - assert: {that: [\"gone.msg == 'file not found: /tmp/hearth-nope/x'\"]}\n";
    p.write("slurp.yml", &play_on("lab1_user", slurp));
    lab.apply(&p, &["slurp.yml"]).code(0);
}
