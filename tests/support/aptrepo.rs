//! A local signed apt repository for lab tests, laid out like Docker's
//! (`{url}/gpg`, `{url}/dists/<codename>/stable/binary-<arch>/Packages`, `{url}/pool/`) and served
//! over HTTP on the lab bridge so lab hosts can reach it. It holds small `hearth-hello` test
//! packages built here with dpkg-deb (two versions, a conffile) and the real `docker.io` with
//! the dependencies this machine (and so every lab host, an overlay of it) lacks, fetched once
//! with `apt-get download` into a cache outside the clone. The Release file is signed (InRelease
//! and Release.gpg) with a throwaway GPG key made for this test run. The server also serves any
//! file tests `put` under the root; paths under `/private/` need the header
//! `X-Hearth-Token: letmein`, paths under `/auth/` basic auth `hearth:s3cret`.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use sha2::Digest;

use super::lab::Lab;

/// Where downloaded .debs are kept between runs (outside the clone, like the CI cache).
pub const POOL_CACHE: &str = "/var/cache/hearth-ci/apt-pool";
/// The test package's name.
pub const HELLO: &str = "hearth-hello";
/// The component, as in Docker's repository.
pub const COMPONENT: &str = "stable";

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
    pub requests: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

static SHARED: OnceLock<AptRepo> = OnceLock::new();

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl AptRepo {
    /// The repository for this test binary, built and served once on `lab`'s bridge.
    pub fn get(lab: &Lab) -> &'static AptRepo {
        SHARED.get_or_init(|| AptRepo::build(&lab.gateway()))
    }

    fn build(bind: &str) -> AptRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        let pool = root.join("pool");
        fs::create_dir_all(&pool).expect("pool");
        let arch = sh(Command::new("dpkg").arg("--print-architecture")).trim().to_string();
        let suite = codename();
        for v in ["1.0", "2.0"] {
            build_deb(dir.path(), &pool, HELLO, v);
        }
        for deb in docker_closure() {
            let to = pool.join(deb.file_name().expect("name"));
            fs::hard_link(&deb, &to).or_else(|_| fs::copy(&deb, &to).map(|_| ())).expect("link deb");
        }
        let key = index_and_sign(dir.path(), &root, &suite, &arch);
        fs::write(root.join("gpg"), &key).expect("gpg");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let url = serve(bind, root.clone(), requests.clone());
        AptRepo { url, suite, arch, key, root, requests, _dir: dir }
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
        serve(&gateway, self.root.clone(), self.requests.clone())
    }

    /// How many requests for `path` the server saw.
    pub fn hits(&self, path: &str) -> usize {
        let want = format!("GET {path}");
        self.requests.lock().expect("requests").iter().filter(|r| **r == want).count()
    }
}

fn codename() -> String {
    let text = fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|c| c.trim_matches('"').to_string())
        .unwrap_or_else(|| "bookworm".into())
}

/// A tiny architecture-independent package: a versioned file and a conffile (for purge).
fn build_deb(work: &Path, pool: &Path, name: &str, version: &str) {
    let tree = work.join(format!("{name}-{version}"));
    fs::create_dir_all(tree.join("DEBIAN")).expect("DEBIAN");
    fs::create_dir_all(tree.join("etc")).expect("etc");
    fs::create_dir_all(tree.join(format!("usr/share/{name}"))).expect("share");
    let control = format!(
        "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: hearth tests <t@hearth.invalid>\n\
         Description: hearth test package\n a package built by the hearth test suite\n"
    );
    fs::write(tree.join("DEBIAN/control"), control).expect("control");
    fs::write(tree.join("DEBIAN/conffiles"), format!("/etc/{name}.conf\n")).expect("conffiles");
    fs::write(tree.join(format!("etc/{name}.conf")), format!("greeting = hello {version}\n")).expect("conf");
    fs::write(tree.join(format!("usr/share/{name}/version")), format!("{version}\n")).expect("version");
    let out = pool.join(format!("{name}_{version}_all.deb"));
    sh(Command::new("dpkg-deb").args(["--root-owner-group", "-Zgzip", "--build"]).arg(&tree).arg(out));
}

/// The real docker.io and what this machine lacks for it (`apt-get install --simulate`),
/// downloaded once into [`POOL_CACHE`].
fn docker_closure() -> Vec<PathBuf> {
    let sim = sh(Command::new("apt-get").args(["install", "--simulate", "-q", "docker.io"]));
    let wanted: Vec<(String, String)> = sim
        .lines()
        .filter_map(|l| l.strip_prefix("Inst "))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next()?.to_string();
            let version = w.next()?.trim_start_matches('(').to_string();
            Some((name, version))
        })
        .collect();
    fs::create_dir_all(POOL_CACHE).expect("pool cache");
    let cached = |name: &str, version: &str| {
        let enc = version.replace(':', "%3a");
        fs::read_dir(POOL_CACHE).expect("cache dir").flatten().map(|e| e.path()).find(|p| {
            let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
            f.starts_with(&format!("{name}_{enc}_")) && f.ends_with(".deb")
        })
    };
    let missing: Vec<String> =
        wanted.iter().filter(|(n, v)| cached(n, v).is_none()).map(|(n, v)| format!("{n}={v}")).collect();
    if !missing.is_empty() {
        let out = Command::new("apt-get").arg("download").args(&missing).current_dir(POOL_CACHE).output();
        let out = out.expect("apt-get download");
        assert!(
            out.status.success(),
            "apt-get download for the docker.io test repository failed (needs the Debian mirror once, \
             then {POOL_CACHE} is reused): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    wanted
        .iter()
        .map(|(n, v)| cached(n, v).unwrap_or_else(|| panic!("{n} {v} not in {POOL_CACHE}")))
        .collect()
}

/// Packages index, Release with SHA256 sums, signed with a throwaway key; returns the armored key.
fn index_and_sign(work: &Path, root: &Path, suite: &str, arch: &str) -> String {
    let dist = root.join("dists").join(suite);
    let bin = dist.join(COMPONENT).join(format!("binary-{arch}"));
    fs::create_dir_all(&bin).expect("binary dir");
    let packages =
        sh(Command::new("dpkg-scanpackages").args(["--multiversion", "pool", "/dev/null"]).current_dir(root));
    fs::write(bin.join("Packages"), &packages).expect("Packages");
    let rel = format!("{COMPONENT}/binary-{arch}/Packages");
    let release = format!(
        "Origin: hearth-test\nLabel: hearth-test\nSuite: {suite}\nCodename: {suite}\nDate: {}\n\
         Architectures: {arch} all\nComponents: {COMPONENT}\nDescription: hearth test repository\nSHA256:\n \
         {} {} {rel}\n",
        chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S UTC"),
        super::hex(&sha2::Sha256::digest(packages.as_bytes())),
        packages.len()
    );
    fs::write(dist.join("Release"), release).expect("Release");
    let home = work.join("gnupg");
    fs::create_dir_all(&home).expect("gnupg");
    fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("chmod");
    let gpg = |args: &[&str]| {
        sh(Command::new("gpg")
            .env("GNUPGHOME", &home)
            .args(["--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .current_dir(&dist))
    };
    gpg(&["--quick-gen-key", "hearth test repository <repo@hearth.invalid>", "ed25519", "sign", "1d"]);
    gpg(&["--clearsign", "-o", "InRelease", "Release"]);
    gpg(&["--armor", "--detach-sign", "-o", "Release.gpg", "Release"]);
    let key = gpg(&["--armor", "--export"]);
    // The agent gpg started for this home: ours, so stop it.
    let _ = Command::new("gpgconf").env("GNUPGHOME", &home).args(["--kill", "gpg-agent"]).status();
    key
}

/// Starts the file server on `bind` (any port); returns its base URL.
fn serve(bind: &str, root: PathBuf, requests: Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind((bind, 0)).expect("bind repo server");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (root, requests) = (root.clone(), requests.clone());
            std::thread::spawn(move || {
                let _ = handle(stream, &root, &requests);
            });
        }
    });
    format!("http://{bind}:{port}")
}

fn handle(mut stream: TcpStream, root: &Path, requests: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            headers.push(h.trim().to_string());
        }
        let header = |name: &str| {
            headers.iter().find_map(|h| {
                let (k, v) = h.split_once(':')?;
                k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
        };
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let path = percent_decode(target.split('?').next().unwrap_or("/"));
        requests.lock().expect("requests").push(format!("{method} {path}"));
        let close = header("Connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let basic = base64::engine::general_purpose::STANDARD.encode("hearth:s3cret");
        let (status, body) = if path.split('/').any(|s| s == "..") {
            ("403 Forbidden", Vec::new())
        } else if path.starts_with("/private/") && header("X-Hearth-Token").as_deref() != Some("letmein") {
            ("403 Forbidden", b"missing token\n".to_vec())
        } else if path.starts_with("/auth/") && header("Authorization") != Some(format!("Basic {basic}")) {
            ("401 Unauthorized", b"auth required\n".to_vec())
        } else {
            match fs::read(root.join(path.trim_start_matches('/'))) {
                Ok(b) => ("200 OK", b),
                Err(_) => ("404 Not Found", b"not found\n".to_vec()),
            }
        };
        let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
        if status.starts_with("401") {
            head.push_str("WWW-Authenticate: Basic realm=\"hearth\"\r\n");
        }
        head.push_str(if close { "Connection: close\r\n\r\n" } else { "\r\n" });
        stream.write_all(head.as_bytes())?;
        if method != "HEAD" {
            stream.write_all(&body)?;
        }
        if close {
            return Ok(());
        }
    }
}

/// `%2b` → `+` (apt escapes `+` and `~` in pool file names).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
