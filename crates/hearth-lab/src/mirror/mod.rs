//! The lab's package mirror: a local signed apt repository laid out like Docker's (`{url}/gpg`,
//! `{url}/dists/<codename>/stable/binary-<arch>/Packages`, `{url}/pool/`), served over HTTP on a
//! lab bridge so lab hosts can install Docker without reaching the internet. It holds the real
//! `docker.io` with the dependencies this machine (and so every lab host, an overlay of it)
//! lacks, fetched once with `apt-get download` into a cache that later builds reuse, and two tiny
//! `hearth-hello` packages (the apt tests need them). The Release file is signed with a throwaway
//! GPG key made per build. It does not mirror a whole distribution, nor sign with a lasting key.

mod index;
mod serve;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use index::{COMPONENT, HELLO};
pub use serve::{RequestLog, serve};

use crate::error::LabError;
use crate::run::run_output;

/// Where downloaded .debs are kept between runs unless `HEARTH_LAB_MIRROR_CACHE` says otherwise.
pub const DEFAULT_CACHE: &str = "/var/cache/hearth/lab-mirror";
/// The package the mirror exists for.
pub const DOCKER: &str = "docker.io";

/// The cache of downloaded .debs: `$HEARTH_LAB_MIRROR_CACHE` or [`DEFAULT_CACHE`].
pub fn cache_dir() -> PathBuf {
    std::env::var_os("HEARTH_LAB_MIRROR_CACHE").map_or_else(|| PathBuf::from(DEFAULT_CACHE), PathBuf::from)
}

/// A built repository on disk (serve it with [`serve`]).
#[derive(Debug, Clone)]
pub struct Mirror {
    /// The directory to serve (`gpg`, `dists/`, `pool/`).
    pub root: PathBuf,
    /// Distribution codename (the machine's, so lab hosts match it).
    pub suite: String,
    /// Debian architecture of this machine.
    pub arch: String,
    /// The armored public key (also at `{root}/gpg`).
    pub key: String,
}

/// Builds the repository under `work` (`work/repo`, plus a temporary GnuPG home and package
/// trees), taking docker.io's packages from `cache` and downloading the missing ones into it.
pub fn build(work: &Path, cache: &Path) -> Result<Mirror, LabError> {
    for (tool, package) in
        [("apt-get", "apt"), ("dpkg-deb", "dpkg"), ("dpkg-scanpackages", "dpkg-dev"), ("gpg", "gnupg")]
    {
        if crate::machine::find_in_path(tool).is_none() {
            return Err(LabError::Missing { tool: tool.into(), package: package.into() });
        }
    }
    let root = work.join("repo");
    let pool = root.join("pool");
    fs::create_dir_all(&pool).map_err(|e| LabError::io(&pool, e))?;
    let arch = run_output(Command::new("dpkg").arg("--print-architecture"))?.trim().to_string();
    let suite = codename(&fs::read_to_string("/etc/os-release").unwrap_or_default());
    for version in ["1.0", "2.0"] {
        index::build_hello(work, &pool, version)?;
    }
    for deb in docker_closure(cache)? {
        let name = deb.file_name().map(PathBuf::from).unwrap_or_default();
        let to = pool.join(name);
        if fs::hard_link(&deb, &to).is_err() {
            fs::copy(&deb, &to).map_err(|e| LabError::io(&to, e))?;
        }
    }
    let key = index::index_and_sign(work, &root, &suite, &arch)?;
    let gpg = root.join("gpg");
    fs::write(&gpg, &key).map_err(|e| LabError::io(&gpg, e))?;
    Ok(Mirror { root, suite, arch, key })
}

/// The distribution codename from os-release text (bookworm when it names none).
fn codename(os_release: &str) -> String {
    os_release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|c| c.trim_matches('"').to_string())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "bookworm".into())
}

/// `(name, version)` of every package `apt-get install --simulate` would install.
fn simulated_installs(sim: &str) -> Vec<(String, String)> {
    sim.lines()
        .filter_map(|l| l.strip_prefix("Inst "))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next()?.to_string();
            let version = w.next()?.trim_start_matches('(').trim_end_matches(')').to_string();
            Some((name, version))
        })
        .collect()
}

/// Whether `file` is the .deb `apt-get download` saves for `name` at `version` (`:` as `%3a`).
fn is_deb_of(file: &str, name: &str, version: &str) -> bool {
    let enc = version.replace(':', "%3a");
    file.starts_with(&format!("{name}_{enc}_")) && file.ends_with(".deb")
}

/// docker.io and what this machine lacks for it, downloaded into `cache` unless already there.
fn docker_closure(cache: &Path) -> Result<Vec<PathBuf>, LabError> {
    let sim = run_output(Command::new("apt-get").args(["install", "--simulate", "-q", DOCKER]))?;
    let wanted = simulated_installs(&sim);
    fs::create_dir_all(cache).map_err(|e| LabError::io(cache, e))?;
    let cached = |name: &str, version: &str| -> Result<Option<PathBuf>, LabError> {
        let entries = fs::read_dir(cache).map_err(|e| LabError::io(cache, e))?;
        Ok(entries
            .flatten()
            .map(|e| e.path())
            .find(|p| p.file_name().and_then(|f| f.to_str()).is_some_and(|f| is_deb_of(f, name, version))))
    };
    let mut missing = Vec::new();
    for (n, v) in &wanted {
        if cached(n, v)?.is_none() {
            missing.push(format!("{n}={v}"));
        }
    }
    if !missing.is_empty() {
        run_output(Command::new("apt-get").arg("download").args(&missing).current_dir(cache))
            .map_err(|e| LabError::Download { cache: cache.to_path_buf(), why: e.to_string() })?;
    }
    let mut debs = Vec::new();
    for (n, v) in &wanted {
        let found = cached(n, v)?;
        debs.push(found.ok_or_else(|| LabError::Download {
            cache: cache.to_path_buf(),
            why: format!("{n} {v} is not in the cache after apt-get download"),
        })?);
    }
    Ok(debs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codename_comes_from_os_release() {
        assert_eq!(codename("ID=debian\nVERSION_CODENAME=trixie\n"), "trixie");
        assert_eq!(codename("VERSION_CODENAME=\"noble\"\n"), "noble");
        assert_eq!(codename("ID=debian\n"), "bookworm");
    }

    #[test]
    fn simulated_installs_are_read_from_inst_lines() {
        let sim = "NOTE: simulation\nInst runc (1.1.5+ds1-1 Debian:12/stable [amd64])\n\
                   Inst docker.io (20.10.24+dfsg1-1+b6 Debian:12/stable [amd64]) []\nConf runc (1.1.5)\n";
        assert_eq!(
            simulated_installs(sim),
            [
                ("runc".to_string(), "1.1.5+ds1-1".to_string()),
                ("docker.io".into(), "20.10.24+dfsg1-1+b6".into())
            ]
        );
    }

    #[test]
    fn cached_debs_match_name_and_encoded_version() {
        assert!(is_deb_of("tini_0.19.0-1+b3_amd64.deb", "tini", "0.19.0-1+b3"));
        assert!(is_deb_of("x_1%3a2.0_all.deb", "x", "1:2.0"));
        assert!(!is_deb_of("tini-extra_0.19.0-1+b3_amd64.deb", "tini", "0.19.0-1+b3"));
        assert!(!is_deb_of("tini_0.19.0-1+b3_amd64.deb.part", "tini", "0.19.0-1+b3"));
    }
}
