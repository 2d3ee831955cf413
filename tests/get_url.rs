//! get_url over SSH on a lab host, downloading from the test HTTP server on the lab bridge:
//! checksum verification (inline and from a checksum file), idempotence, a bad checksum
//! (clear error, nothing left at `dest`), headers, basic auth kept out of argv, `--check`.

use sha2::Digest;

use crate::support::aptrepo::AptRepo;
use crate::support::lab::Lab;
use crate::support::{Project, Run, hex, play_on as play};

fn apply(p: &Project, lab: &Lab, args: &[&str]) -> Run {
    lab.apply(p, &[args, &["site.yml"]].concat())
}

#[test]
fn get_url_verifies_checksums_and_is_idempotent() {
    let Some(lab) = Lab::get() else { return };
    let repo = AptRepo::get(lab);
    let (i, host) = (0, lab.hosts[0].0.clone());
    let body = b"hello from the lab server\n";
    let url = repo.put("files/hello.txt", body);
    let sum = hex(&sha2::Sha256::digest(body));
    repo.put("files/SHA256SUMS", format!("{sum}  hello.txt\n0000  other.txt\n").as_bytes());
    lab.ok(i, "root", "rm -rf /srv/dl && mkdir -p /srv/dl");
    let p = Project::new();
    let task = |checksum: &str, dest: &str| {
        format!(
            "    - get_url:\n        url: {url}\n        dest: {dest}\n        mode: '0640'\n        checksum: \"{checksum}\"\n"
        )
    };
    p.write("site.yml", &play(&host, &task(&format!("sha256:{sum}"), "/srv/dl/hello.txt")));
    let r = apply(&p, lab, &["--check"]);
    assert_eq!(r.code(0).recap(&host, "changed"), 1);
    lab.ok(i, "root", "test ! -e /srv/dl/hello.txt");
    assert_eq!(apply(&p, lab, &[]).code(0).recap(&host, "changed"), 1);
    assert_eq!(
        lab.ok(i, "root", "cat /srv/dl/hello.txt; stat -c %a /srv/dl/hello.txt"),
        "hello from the lab server\n640"
    );
    let before = repo.hits("/files/hello.txt");
    assert_eq!(apply(&p, lab, &[]).code(0).recap(&host, "changed"), 0);
    assert_eq!(repo.hits("/files/hello.txt"), before, "a matching checksum must skip the download");

    // Checksum from a file; dest a directory (the URL's name is used).
    p.write("site.yml", &play(&host, &task(&format!("sha256:{}/files/SHA256SUMS", repo.url), "/srv/dl/")));
    assert_eq!(apply(&p, lab, &[]).code(0).recap(&host, "changed"), 0);

    // A wrong checksum: a clear error and nothing at dest, no temp file left.
    p.write("site.yml", &play(&host, &task("sha256:0123abcd", "/srv/dl/bad.txt")));
    let r = apply(&p, lab, &[]);
    r.code(2).stdout_has(&format!("did not match 0123abcd; it was {sum}"));
    assert_eq!(lab.ok(i, "root", "ls -A /srv/dl"), "hello.txt");

    // Headers reach the server; without them it refuses (403).
    let secret = repo.put("private/token.txt", b"secret\n");
    let with_header = format!(
        "    - get_url:\n        url: {secret}\n        dest: /srv/dl/token.txt\n        headers:\n          X-Hearth-Token: letmein\n"
    );
    p.write("site.yml", &play(&host, &with_header));
    apply(&p, lab, &[]).code(0);
    assert_eq!(lab.ok(i, "root", "cat /srv/dl/token.txt"), "secret");
    let without = format!("    - get_url:\n        url: {secret}\n        dest: /srv/dl/none.txt\n");
    p.write("site.yml", &play(&host, &without));
    apply(&p, lab, &[]).code(2).stdout_has("HTTP Error 403");
    lab.ok(i, "root", "test ! -e /srv/dl/none.txt");

    // Basic auth; the password never shows in output.
    let auth = repo.put("auth/a.txt", b"auth ok\n");
    let task = format!(
        "    - get_url:\n        url: {auth}\n        dest: /srv/dl/a.txt\n        url_username: hearth\n        url_password: s3cret\n"
    );
    p.write("site.yml", &play(&host, &task));
    let r = apply(&p, lab, &["-vvv"]);
    r.code(0);
    assert!(!r.stdout.contains("s3cret") && !r.stderr.contains("s3cret"));
    assert_eq!(lab.ok(i, "root", "cat /srv/dl/a.txt"), "auth ok");
}
