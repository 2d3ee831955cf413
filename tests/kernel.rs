//! Kernel settings on lab hosts over SSH: `ansible.posix.sysctl` on `net.ipv4.ip_forward`
//! (per network namespace, so a lab host's change stays inside it) and
//! `community.general.modprobe`'s files and `community.general.timezone` without timedatectl.
//! Read back with the system ssh.

use crate::support::lab::Lab;
use crate::support::{Project, play_on};

/// lab3 only: other lab tests leave its kernel settings alone.
const HOST: usize = 2;

#[test]
fn sysctl_file_kernel_check_mode_and_errors() {
    let Some(lab) = Lab::get() else { return };
    let file = "/etc/sysctl.d/90-hearth-test.conf";
    lab.ok(HOST, "root", &format!("sysctl -qw net.ipv4.ip_forward=0 && printf 'net.ipv4.ip_forward = 0\\n  # keep\\nnet.ipv4.ip_forward=0\\n' > {file}"));
    let p = Project::new();
    let task = format!(
        "    - ansible.posix.sysctl: {{name: net.ipv4.ip_forward, value: 'yes', sysctl_file: {file}, sysctl_set: true}}\n      register: r\n"
    );
    p.write("site.yml", &play_on("lab3", &format!("{task}    - assert: {{that: [r.changed]}}\n")));
    let check = lab.apply(&p, &["site.yml", "--check", "--diff"]);
    check.code(0).stdout_has("+net.ipv4.ip_forward=1");
    assert_eq!(check.recap("lab3", "changed"), 1, "{}", check.stdout);
    assert_eq!(lab.ok(HOST, "root", "sysctl -n net.ipv4.ip_forward"), "0", "check mode changes nothing");
    assert!(lab.ok(HOST, "root", &format!("cat {file}")).starts_with("net.ipv4.ip_forward = 0"));

    lab.apply(&p, &["site.yml"]).code(0);
    assert_eq!(lab.ok(HOST, "root", &format!("cat {file}")), "net.ipv4.ip_forward=1\n# keep");
    assert_eq!(lab.ok(HOST, "root", "sysctl -n net.ipv4.ip_forward"), "1");

    p.write("again.yml", &play_on("lab3", &format!("{task}    - assert: {{that: [not r.changed]}}\n")));
    let again = lab.apply(&p, &["again.yml"]);
    again.code(0);
    assert_eq!(again.recap("lab3", "changed"), 0, "{}", again.stdout);

    // The file is right but the kernel is not: the default reload (sysctl -p FILE) fixes it.
    lab.ok(HOST, "root", "sysctl -qw net.ipv4.ip_forward=0");
    let reload = format!("    - sysctl: {{name: net.ipv4.ip_forward, value: 1, sysctl_file: {file}}}\n");
    p.write("reload.yml", &play_on("lab3", &reload));
    let run = lab.apply(&p, &["reload.yml"]);
    run.code(0);
    assert_eq!(run.recap("lab3", "changed"), 1, "{}", run.stdout);
    assert_eq!(lab.ok(HOST, "root", "sysctl -n net.ipv4.ip_forward"), "1");

    let absent = format!(
        "    - sysctl: {{name: net.ipv4.ip_forward, state: absent, reload: false, sysctl_file: {file}}}\n    \
         - sysctl: {{name: hearth.invalid, value: 1, sysctl_set: true, reload: false, sysctl_file: {file}}}\n"
    );
    p.write("absent.yml", &play_on("lab3", &absent));
    let run = lab.apply(&p, &["absent.yml"]);
    run.code(2).stdout_has("setting hearth.invalid failed");
    assert_eq!(lab.ok(HOST, "root", &format!("cat {file}")), "# keep", "the failed key is not written");

    p.write("typo.yml", &play_on("lab3", "    - sysctl: {name: a, value: 1, sysctl_fil: /x}\n"));
    lab.apply(&p, &["typo.yml"]).code(4).stderr_has("Did you mean 'sysctl_file'?");
}

#[test]
fn modprobe_reads_proc_modules_or_fails_clearly() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let tasks = "    - community.general.modprobe: {name: br_netfilter, persistent: present}\n      register: r\n      ignore_errors: true\n    \
                 - copy: {dest: /tmp/hearth-modprobe.json, content: '{{ r | to_json }}'}\n";
    p.write("site.yml", &play_on("lab3", tasks));
    let run = lab.apply(&p, &["site.yml"]);
    run.code(0);
    let r: serde_json::Value =
        serde_json::from_str(&lab.ok(HOST, "root", "cat /tmp/hearth-modprobe.json")).expect("json");
    if lab.ssh(HOST, "root", "test -r /proc/modules").status.success() {
        // A kernel with loadable modules: br_netfilter is either loaded or loadable.
        assert_eq!(r["name"], "br_netfilter", "{r}");
        assert!(lab.ssh(HOST, "root", "test -f /etc/modules-load.d/br_netfilter.conf").status.success());
    } else {
        assert_eq!(r["failed"], true, "{r}");
        assert_eq!(r["msg"], "[Errno 2] No such file or directory: '/proc/modules'");
        assert_eq!(r["name"], "br_netfilter");
        assert_eq!(r["state"], "present");
    }
}

#[test]
fn timezone_without_timedatectl_uses_the_files() {
    let Some(lab) = Lab::get() else { return };
    let p = Project::new();
    let task = "    - community.general.timezone: {name: Europe/Berlin}\n      register: tz\n";
    p.write("site.yml", &play_on("lab3", task));
    let check = lab.apply(&p, &["site.yml", "--check", "--diff"]);
    check.code(0).stdout_has("+name: Europe/Berlin");
    assert_eq!(check.recap("lab3", "changed"), 1, "{}", check.stdout);
    let before = lab.ok(HOST, "root", "readlink /etc/localtime");
    assert!(!before.ends_with("Europe/Berlin"), "check mode changes nothing");

    lab.apply(&p, &["site.yml"]).code(0);
    assert_eq!(lab.ok(HOST, "root", "readlink /etc/localtime"), "/usr/share/zoneinfo/Europe/Berlin");
    assert_eq!(lab.ok(HOST, "root", "cat /etc/timezone"), "Europe/Berlin");
    let again = lab.apply(&p, &["site.yml"]);
    again.code(0);
    assert_eq!(again.recap("lab3", "changed"), 0, "{}", again.stdout);

    p.write("bad.yml", &play_on("lab3", "    - timezone: {name: Mars/Olympus}\n"));
    lab.apply(&p, &["bad.yml"]).code(2).stdout_has("given timezone \\\"Mars/Olympus\\\" is not available");
    p.write("utc.yml", &play_on("lab3", "    - timezone: {name: Etc/UTC}\n"));
    lab.apply(&p, &["utc.yml"]).code(0);
}
