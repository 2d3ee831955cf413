//! The lab's package mirror (`hearth::lab::mirror`, the one `hearth lab demo` serves) for lab
//! tests: built once per test binary in a temp dir, with docker.io's packages from the CI cache,
//! and served over HTTP on the lab bridge so lab hosts can reach it. Laid out like Docker's
//! repository (`{url}/gpg`, `{url}/dists/<codename>/stable/binary-<arch>/Packages`, `{url}/pool/`);
//! holds `hearth-hello` 1.0 and 2.0 and docker.io. The server also serves any file tests `put`
//! under the root; paths under `/private/` need the header `X-Hearth-Token: letmein`, paths under
//! `/auth/` basic auth `hearth:s3cret`.

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use hearth::lab::mirror::{self, RequestLog};

use super::lab::Lab;

/// Where downloaded .debs are kept between runs (outside the clone, like the CI cache).
pub const POOL_CACHE: &str = "/var/cache/hearth-ci/apt-pool";
/// The test package's name.
pub const HELLO: &str = mirror::HELLO;
/// The component, as in Docker's repository.
pub const COMPONENT: &str = mirror::COMPONENT;

/// A served repository.
pub struct AptRepo {
    /// Base URL, e.g. `http://10.77.3.1:41234`.
    pub url: String,
    /// Distribution codename (the machine's, so lab hosts match it).
    pub suite: String,
    /// Debian architecture of this machine.
    pub arch: String,
    /// The armored public key (also served at `{url}/gpg`).
    pub key: String,
    /// Served root directory.
    pub root: PathBuf,
    /// Request lines seen (`GET /path`), for asserting on downloads.
    pub requests: RequestLog,
    _dir: tempfile::TempDir,
}

static SHARED: OnceLock<AptRepo> = OnceLock::new();

impl AptRepo {
    /// The repository for this test binary, built and served once on `lab`'s bridge.
    pub fn get(lab: &Lab) -> &'static AptRepo {
        SHARED.get_or_init(|| AptRepo::build(&lab.gateway()))
    }

    fn build(bind: &str) -> AptRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = mirror::build(dir.path(), PathBuf::from(POOL_CACHE).as_path())
            .unwrap_or_else(|e| panic!("the test apt repository: {e}"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let url = mirror::serve(bind, m.root.clone(), requests.clone()).expect("serve the apt repository");
        AptRepo { url, suite: m.suite, arch: m.arch, key: m.key, root: m.root, requests, _dir: dir }
    }

    /// Writes a file under the served root (`rel` like `files/a.txt`); returns its URL.
    pub fn put(&self, rel: &str, content: &[u8]) -> String {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, content).expect("write");
        format!("{}/{rel}", self.url)
    }

    /// A deb822 source for this repository, signed by `key_path` on the host.
    pub fn deb822(&self, key_path: &str) -> String {
        format!(
            "Types: deb\nURIs: {}\nSuites: {}\nComponents: {COMPONENT}\nSigned-By: {key_path}\n",
            self.url, self.suite
        )
    }

    /// The repository served on another lab's bridge too (one more listener, same files and
    /// request log); returns the base URL that lab's hosts use.
    pub fn url_on(&self, lab: &Lab) -> String {
        let gateway = lab.gateway();
        if self.url.starts_with(&format!("http://{gateway}:")) {
            return self.url.clone();
        }
        mirror::serve(&gateway, self.root.clone(), self.requests.clone()).expect("serve on another lab")
    }

    /// How many requests for `path` the server saw.
    pub fn hits(&self, path: &str) -> usize {
        let want = format!("GET {path}");
        self.requests.lock().expect("requests").iter().filter(|r| **r == want).count()
    }
}
