//! `ansible.posix.mount` on lab hosts over SSH: real tmpfs mounts inside a lab host's own mount
//! namespace, with an fstab file of the test's own and once with the host's /etc/fstab
//! (restored afterwards); and the same `state: mounted` sequence run by ansible-playbook on one
//! lab host and by hearth on another, comparing fstab, findmnt and recaps (needs
//! HEARTH_ANSIBLE_PLAYBOOK, else that part is skipped). Read back with the system ssh.

use crate::support::ansible;
use crate::support::lab::Lab;
use crate::support::{Project, Run, play_on};

/// lab2: the paths below are used by no other test.
const HOST: usize = 1;
const FSTAB: &str = "/etc/hearth-test-fstab";
const POINT: &str = "/mnt/hearth-test-mount/t";

/// One mount task on lab2 with these extra parameters, registering `r`.
fn task(extra: &str) -> String {
    format!(
        "    - ansible.posix.mount:\n        path: {POINT}\n        src: tmpfs\n        fstype: tmpfs\n        \
         fstab: {FSTAB}\n{extra}      register: r\n"
    )
}

/// What lab host `i` has: the fstab file and findmnt's line for the mount point.
fn state(lab: &Lab, i: usize, fstab: &str, point: &str) -> (String, String) {
    let tab = lab.ok(i, "root", &format!("cat {fstab} 2>/dev/null || echo missing"));
    let mnt = lab.ok(i, "root", &format!("findmnt -n -o SOURCE,FSTYPE,OPTIONS '{point}' || echo unmounted"));
    (tab, mnt)
}

#[test]
fn mount_states_on_a_custom_fstab() {
    let Some(lab) = Lab::get() else { return };
    lab.ok(
        HOST,
        "root",
        &format!("umount {POINT} 2>/dev/null; rm -rf /mnt/hearth-test-mount; printf '# mine\\n' > {FSTAB}"),
    );
    let p = Project::new();
    let mounted = task("        opts: size=1m\n        state: mounted\n");
    p.write("site.yml", &play_on("lab2", &mounted));
    let check = lab.apply(&p, &["site.yml", "--check", "--diff"]);
    check.code(0).stdout_has(&format!("+tmpfs {POINT} tmpfs size=1m 0 0"));
    assert_eq!(check.recap("lab2", "changed"), 1, "{}", check.stdout);
    assert_eq!(
        state(lab, HOST, FSTAB, POINT),
        ("# mine".into(), "unmounted".into()),
        "check mode changes nothing"
    );
    assert!(!lab.ssh(HOST, "root", "test -e /mnt/hearth-test-mount").status.success());

    let run = lab.apply(&p, &["site.yml"]);
    assert_eq!(run.code(0).recap("lab2", "changed"), 1, "{}", run.stdout);
    let (tab, mnt) = state(lab, HOST, FSTAB, POINT);
    assert_eq!(tab, format!("# mine\ntmpfs {POINT} tmpfs size=1m 0 0"));
    assert!(mnt.starts_with("tmpfs  tmpfs  rw") && mnt.contains("size=1024k"), "{mnt}");
    let again = lab.apply(&p, &["site.yml"]);
    assert_eq!(again.code(0).recap("lab2", "changed"), 0, "{}", again.stdout);

    // Other options: the line is rewritten in place and the mounted tmpfs remounted.
    let bigger = task("        opts: size=2m\n        state: mounted\n");
    p.write(
        "bigger.yml",
        &play_on(
            "lab2",
            &format!(
                "{bigger}    - assert: {{that: [r.changed, \"r.opts == 'size=2m'\", \"r.boot == 'yes'\"]}}\n"
            ),
        ),
    );
    lab.apply(&p, &["bigger.yml"]).code(0);
    let (tab, mnt) = state(lab, HOST, FSTAB, POINT);
    assert_eq!(tab, format!("# mine\ntmpfs {POINT} tmpfs size=2m 0 0"));
    assert!(mnt.contains("size=2048k"), "remounted: {mnt}");

    p.write("unmounted.yml", &play_on("lab2", &task("        state: unmounted\n")));
    assert_eq!(lab.apply(&p, &["unmounted.yml"]).code(0).recap("lab2", "changed"), 1);
    assert_eq!(state(lab, HOST, FSTAB, POINT).1, "unmounted");
    assert!(lab.ok(HOST, "root", &format!("cat {FSTAB}")).contains("size=2m"), "fstab untouched");
    assert_eq!(lab.apply(&p, &["unmounted.yml"]).code(0).recap("lab2", "changed"), 0);

    p.write("absent.yml", &play_on("lab2", &task("        state: absent\n")));
    lab.apply(&p, &["bigger.yml"]).code(0);
    assert_eq!(lab.apply(&p, &["absent.yml"]).code(0).recap("lab2", "changed"), 1);
    assert_eq!(state(lab, HOST, FSTAB, POINT), ("# mine".into(), "unmounted".into()));
    assert!(!lab.ssh(HOST, "root", &format!("test -e {POINT}")).status.success(), "mount point removed");
    assert_eq!(lab.apply(&p, &["absent.yml"]).code(0).recap("lab2", "changed"), 0);

    // A bad fstype: mount's own message, fstab put back and the made directory removed.
    p.write(
        "bad.yml",
        &play_on(
            "lab2",
            &task("        fstype: hearthfs\n        state: mounted\n")
                .replace("        fstype: tmpfs\n", ""),
        ),
    );
    lab.apply(&p, &["bad.yml"])
        .code(2)
        .stdout_has(&format!("Error mounting {POINT}: mount: {POINT}: unknown filesystem type 'hearthfs'"));
    assert_eq!(state(lab, HOST, FSTAB, POINT), ("# mine".into(), "unmounted".into()));
    assert!(!lab.ssh(HOST, "root", &format!("test -e {POINT}")).status.success());

    p.write("typo.yml", &play_on("lab2", "    - mount: {path: /x, state: mounted, fstyp: tmpfs}\n"));
    lab.apply(&p, &["typo.yml"]).code(4).stderr_has("Did you mean 'fstype'?");
    lab.ok(HOST, "root", &format!("rm -rf {FSTAB} /mnt/hearth-test-mount"));
}

#[test]
fn mount_on_the_real_fstab_and_ephemeral() {
    let Some(lab) = Lab::get() else { return };
    let point = "/mnt/hearth-test-real";
    lab.ok(HOST, "root", "cp -p /etc/fstab /etc/fstab.hearth-test-saved");
    let p = Project::new();
    let tasks = format!(
        "    - mount: {{path: {point}, src: tmpfs, fstype: tmpfs, opts: 'size=1m', boot: false, state: mounted}}\n      \
         register: r\n    - assert: {{that: [\"r.fstab == '/etc/fstab'\", \"r.opts == 'size=1m,noauto'\", \"r.boot == 'no'\"]}}\n"
    );
    p.write("site.yml", &play_on("lab2", &tasks));
    let run = lab.apply(&p, &["site.yml"]);
    assert_eq!(run.code(0).recap("lab2", "changed"), 1, "{}", run.stdout);
    let saved = lab.ok(HOST, "root", "cat /etc/fstab.hearth-test-saved");
    let (tab, mnt) = state(lab, HOST, "/etc/fstab", point);
    assert_eq!(tab, format!("{saved}\ntmpfs {point} tmpfs size=1m,noauto 0 0").trim_start());
    assert!(mnt.starts_with("tmpfs"), "{mnt}");
    assert_eq!(lab.apply(&p, &["site.yml"]).code(0).recap("lab2", "changed"), 0);

    // ephemeral ignores fstab: an unmounted point is mounted from the parameters; remounted
    // always reports a change.
    let more = format!(
        "    - mount: {{path: {point}, state: unmounted}}\n    \
         - mount: {{path: {point}, src: tmpfs, fstype: tmpfs, opts: 'size=3m', state: ephemeral}}\n    \
         - mount: {{path: {point}, state: remounted}}\n    \
         - mount: {{path: {point}, src: tmpfs, fstype: tmpfs, state: absent}}\n"
    );
    p.write("more.yml", &play_on("lab2", &more));
    let run = lab.apply(&p, &["more.yml"]);
    assert_eq!(run.code(0).recap("lab2", "changed"), 4, "{}", run.stdout);
    assert_eq!(state(lab, HOST, "/etc/fstab", point), (saved.clone(), "unmounted".into()));
    lab.ok(
        HOST,
        "root",
        &format!("mv /etc/fstab.hearth-test-saved /etc/fstab; umount {point} 2>/dev/null; rm -rf {point}"),
    );
}

#[test]
fn mounted_like_ansible_on_the_lab() {
    let Some(lab) = Lab::get() else { return };
    let Some(ansible) = ansible::playbook("the mount comparison") else { return };
    let (tab, point) = ("/etc/hearth-test-cmp-fstab", "/mnt/hearth-test-cmp/a b");
    let p = Project::new();
    let play = |host: &str, opts: &str| {
        play_on(
            host,
            &format!(
                "    - ansible.posix.mount: {{path: '{point}', src: tmpfs, fstype: tmpfs, opts: '{opts}', \
                 dump: 1, fstab: {tab}, state: mounted}}\n"
            ),
        )
    };
    let mut seen = Vec::new();
    for (i, host) in [(0, "lab1"), (HOST, "lab2")] {
        lab.ok(i, "root", &format!("printf '# keep\\nproc /proc proc defaults 0 0' > {tab}"));
        let mut runs = Vec::new();
        for (round, opts) in ["size=1m", "size=1m", "size=2m,mode=0750"].iter().enumerate() {
            p.write("site.yml", &play(host, opts));
            let run: Run = if i == 0 {
                ansible::on_lab(&ansible, &p.path(""), lab, &["site.yml"])
            } else {
                lab.apply(&p, &["site.yml"])
            };
            let (t, m) = state(lab, i, tab, point);
            runs.push((round, run.code, run.recap(host, "changed"), t, m));
        }
        lab.ok(i, "root", &format!("umount '{point}'; rm -rf /mnt/hearth-test-cmp {tab}"));
        seen.push(runs);
    }
    assert_eq!(seen[0], seen[1], "ansible-playbook (lab1) and hearth (lab2) differ");
    assert!(
        seen[1][2].3.ends_with("tmpfs /mnt/hearth-test-cmp/a\\040b tmpfs size=2m,mode=0750 1 0"),
        "{:?}",
        seen[1]
    );
}
