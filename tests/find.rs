//! `find` over SSH on lab hosts: a directory the user may not list lands in `skipped_paths`
//! with Python's wording, the same search with become finds the files, and `~` is the
//! connecting user's home.

use crate::support::lab::Lab;
use crate::support::{Project, play_on};

#[test]
fn find_permissions_become_and_home() {
    let Some(lab) = Lab::get() else { return };
    lab.ok(1, "root", "mkdir -p /root/hearth-find && touch /root/hearth-find/a.conf /root/hearth-find/b.txt");
    lab.ok(1, "root", "mkdir -p ~hearth/hearth-find && touch ~hearth/hearth-find/mine.conf");
    let p = Project::new();
    let tasks = "    - find: {paths: /root, patterns: '*.conf'}\n      register: denied\n    \
                 - assert: {that: [\"denied.matched == 0\", \"denied.skipped_paths['/root'] == \\\"[Errno 13] Permission denied: '/root'\\\"\", \"denied.msg == 'All paths examined'\"]}\n    \
                 - find: {paths: /root/hearth-find, patterns: '*.conf'}\n      become: true\n      register: root\n    \
                 - assert: {that: [\"root.files | map(attribute='path') | list == ['/root/hearth-find/a.conf']\", \"root.files[0].pw_name == 'root'\", \"root.examined == 2\"]}\n    \
                 - find: {paths: '~/hearth-find'}\n      register: home\n    \
                 - assert: {that: [\"home.files[0].path.endswith('/hearth-find/mine.conf')\", \"home.files[0].path.startswith('/')\"]}\n";
    p.write("site.yml", &play_on("lab2_user", tasks));
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    assert_eq!(run.recap("lab2_user", "changed"), 0, "{}", run.stdout);
}
