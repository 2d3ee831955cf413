//! apt, package, deb822_repository and apt_repository over SSH on lab hosts, against the local
//! signed repository of `support::aptrepo` (real apt-get, dpkg and gpgv in the hosts): signed
//! source setup, install, idempotence, upgrade, downgrade, `--check`, a held dpkg lock, removal
//! and purge, one-line sources, and the real docker.io as a smoke test. Skipped when not root.

use std::time::Instant;

use crate::support::aptrepo::{AptRepo, COMPONENT, HELLO};
use crate::support::lab::Lab;
use crate::support::{Project, Run, play_on as play};

fn apply(p: &Project, lab: &Lab, args: &[&str]) -> Run {
    lab.apply(p, &[args, &["site.yml"]].concat())
}

/// `version status` of a package on host `i` per dpkg, or "" when unknown.
fn dpkg(lab: &Lab, i: usize, name: &str) -> String {
    let out = lab.ssh(
        i,
        "root",
        &format!("dpkg-query -W -f '${{Version}} ${{db:Status-Abbrev}}' {name} 2>/dev/null"),
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn source_task(repo: &AptRepo) -> String {
    format!(
        "    - deb822_repository:\n        name: hearth-test\n        uris: {}\n        suites: {}\n        \
         components: {COMPONENT}\n        signed_by: {}/gpg\n",
        repo.url, repo.suite, repo.url
    )
}

#[test]
fn apt_installs_upgrades_downgrades_and_purges_from_a_signed_repo() {
    let Some(lab) = Lab::get() else { return };
    let repo = AptRepo::get(lab);
    let (i, host) = (1, lab.hosts[1].0.clone());
    let p = Project::new();
    let install = |spec: &str, extra: &str| {
        format!("    - apt:\n        name: {spec}\n        update_cache: true\n{extra}")
    };
    p.write("site.yml", &play(&host, &(source_task(repo) + &install(&format!("{HELLO}=1.0"), ""))));
    let r = apply(&p, lab, &["-v"]);
    r.code(0);
    assert_eq!(r.recap(&host, "changed"), 2, "{}", r.stdout);
    assert_eq!(dpkg(lab, i, HELLO), "1.0 ii");
    assert_eq!(lab.ok(i, "root", "cat /etc/apt/keyrings/hearth-test.asc"), repo.key.trim());
    let sources = lab.ok(i, "root", "cat /etc/apt/sources.list.d/hearth-test.sources");
    assert!(
        sources.contains(&format!("Signed-By: /etc/apt/keyrings/hearth-test.asc\nSuites: {}", repo.suite))
    );
    r.stdout_has(&format!("install: {HELLO} (1.0)"));

    // Again: the cache is updated, nothing else changes.
    let r = apply(&p, lab, &[]);
    r.code(0);
    assert_eq!(r.recap(&host, "changed"), 0, "{}", r.stdout);

    // --check with a newer version: reported, not done.
    p.write("site.yml", &play(&host, &install(&format!("{HELLO}=2.0"), "")));
    let r = apply(&p, lab, &["--check", "-vv"]);
    r.code(0);
    assert_eq!(r.recap(&host, "changed"), 1);
    r.stdout_has(&format!("{HELLO} (1.0 => 2.0)"));
    assert_eq!(dpkg(lab, i, HELLO), "1.0 ii");

    // latest upgrades, then is idempotent.
    p.write("site.yml", &play(&host, &format!("    - apt: name={HELLO} state=latest\n")));
    apply(&p, lab, &[]).code(0);
    assert_eq!(dpkg(lab, i, HELLO), "2.0 ii");
    assert_eq!(apply(&p, lab, &[]).code(0).recap(&host, "changed"), 0);

    // A downgrade needs allow_downgrade.
    p.write("site.yml", &play(&host, &format!("    - apt: name={HELLO}=1.0\n")));
    apply(&p, lab, &[]).code(2).stdout_has("allow_downgrade");
    p.write("site.yml", &play(&host, &format!("    - apt: name={HELLO}=1.* allow_downgrade=true\n")));
    apply(&p, lab, &[]).code(0);
    assert_eq!(dpkg(lab, i, HELLO), "1.0 ii");

    // Removal waits for a dpkg lock held for 4 seconds (as unattended-upgrades would).
    let hold = "nohup python3 -c 'import fcntl,time; f=open(\"/var/lib/dpkg/lock-frontend\",\"w\"); \
                fcntl.lockf(f, fcntl.LOCK_EX); open(\"/tmp/locked\",\"w\"); time.sleep(4)' >/dev/null 2>&1 &\n\
                for i in $(seq 50); do [ -e /tmp/locked ] && break; sleep 0.1; done";
    lab.ok(i, "root", hold);
    p.write("site.yml", &play(&host, &format!("    - apt: name={HELLO} state=absent lock_timeout=30\n")));
    let start = Instant::now();
    apply(&p, lab, &[]).code(0);
    assert!(start.elapsed().as_secs_f64() > 2.0, "did not wait for the lock");
    assert_eq!(dpkg(lab, i, HELLO), "1.0 rc");
    lab.ok(i, "root", "test -f /etc/hearth-hello.conf");

    // purge removes the configuration; then nothing is left to do.
    p.write("site.yml", &play(&host, &format!("    - apt: name={HELLO} state=absent purge=true\n")));
    assert_eq!(apply(&p, lab, &[]).code(0).recap(&host, "changed"), 1);
    assert_eq!(dpkg(lab, i, HELLO), "");
    lab.ok(i, "root", "test ! -e /etc/hearth-hello.conf");
    assert_eq!(apply(&p, lab, &[]).code(0).recap(&host, "changed"), 0);

    // A one-line source instead of the deb822 one; `package` installs through apt.
    let line =
        format!("deb [signed-by=/etc/apt/keyrings/hearth-line.asc] {} {} {COMPONENT}", repo.url, repo.suite);
    let tasks = format!(
        "    - deb822_repository: name=hearth-test state=absent\n    - apt_repository:\n        repo: \"{line}\"\n        \
         filename: hearth-line\n    - package: name={HELLO} state=present\n"
    );
    // The deb822 removal deletes its key: the one-line source gets its own copy.
    let key = format!(
        "    - copy:\n        src: {}/gpg\n        dest: /etc/apt/keyrings/hearth-line.asc\n",
        repo.root.display()
    );
    let tasks = tasks.replace("    - apt_repository", &format!("{key}    - apt_repository"));
    p.write("site.yml", &play(&host, &tasks));
    apply(&p, lab, &[]).code(0);
    assert_eq!(lab.ok(i, "root", "cat /etc/apt/sources.list.d/hearth-line.list"), line);
    lab.ok(
        i,
        "root",
        "test ! -e /etc/apt/sources.list.d/hearth-test.sources -a ! -e /etc/apt/keyrings/hearth-test.asc",
    );
    assert_eq!(dpkg(lab, i, HELLO), "2.0 ii");
    assert_eq!(apply(&p, lab, &[]).code(0).recap(&host, "changed"), 0);
}

#[test]
fn the_real_docker_io_installs_from_the_local_repo() {
    let Some(lab) = Lab::get() else { return };
    let repo = AptRepo::get(lab);
    let (i, host) = (2, lab.hosts[2].0.clone());
    let p = Project::new();
    let tasks = source_task(repo) + "    - apt:\n        name: docker.io\n        update_cache: true\n";
    p.write("site.yml", &play(&host, &tasks));
    let r = apply(&p, lab, &["-v"]);
    r.code(0).stdout_has("docker.io (");
    assert!(dpkg(lab, i, "docker.io").ends_with(" ii"), "{}", dpkg(lab, i, "docker.io"));
    lab.ok(i, "root", "test -x /usr/sbin/dockerd && getent group docker");
    assert_eq!(apply(&p, lab, &[]).code(0).recap(&host, "changed"), 0);
}
