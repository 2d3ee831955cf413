//! The mirror's metadata: the tiny `hearth-hello` test packages (built with dpkg-deb), the
//! Packages index (dpkg-scanpackages), and the Release file with its SHA-256 sums, signed
//! (InRelease and Release.gpg) with a throwaway ed25519 key in a private GnuPG home. It does not
//! fetch packages (see the parent module) and keeps no key beyond the build.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use sha2::Digest;

use crate::error::LabError;
use crate::run::run_output;

/// The test package's name.
pub const HELLO: &str = "hearth-hello";
/// The component, as in Docker's repository.
pub const COMPONENT: &str = "stable";

fn write(path: &Path, text: &str) -> Result<(), LabError> {
    fs::write(path, text).map_err(|e| LabError::io(path, e))
}

fn mkdir(path: &Path) -> Result<(), LabError> {
    fs::create_dir_all(path).map_err(|e| LabError::io(path, e))
}

/// The control file of `hearth-hello` at `version`.
fn hello_control(version: &str) -> String {
    format!(
        "Package: {HELLO}\nVersion: {version}\nArchitecture: all\nMaintainer: hearth tests <t@hearth.invalid>\n\
         Description: hearth test package\n a package built by the hearth test suite\n"
    )
}

/// Builds `hearth-hello` `version` into `pool`: a versioned file and a conffile (for purge).
pub fn build_hello(work: &Path, pool: &Path, version: &str) -> Result<(), LabError> {
    let tree = work.join(format!("{HELLO}-{version}"));
    mkdir(&tree.join("DEBIAN"))?;
    mkdir(&tree.join("etc"))?;
    mkdir(&tree.join(format!("usr/share/{HELLO}")))?;
    write(&tree.join("DEBIAN/control"), &hello_control(version))?;
    write(&tree.join("DEBIAN/conffiles"), &format!("/etc/{HELLO}.conf\n"))?;
    write(&tree.join(format!("etc/{HELLO}.conf")), &format!("greeting = hello {version}\n"))?;
    write(&tree.join(format!("usr/share/{HELLO}/version")), &format!("{version}\n"))?;
    let out = pool.join(format!("{HELLO}_{version}_all.deb"));
    run_output(
        Command::new("dpkg-deb").args(["--root-owner-group", "-Zgzip", "--build"]).arg(&tree).arg(out),
    )?;
    Ok(())
}

/// Lower-case hex of a digest.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Release file for one Packages index at `rel` (relative to the dist directory).
fn release(suite: &str, arch: &str, date: &str, packages: &str, rel: &str) -> String {
    format!(
        "Origin: hearth-test\nLabel: hearth-test\nSuite: {suite}\nCodename: {suite}\nDate: {date}\n\
         Architectures: {arch} all\nComponents: {COMPONENT}\nDescription: hearth test repository\nSHA256:\n \
         {} {} {rel}\n",
        hex(&sha2::Sha256::digest(packages.as_bytes())),
        packages.len()
    )
}

/// Packages index and signed Release under `root`; returns the armored public key.
pub fn index_and_sign(work: &Path, root: &Path, suite: &str, arch: &str) -> Result<String, LabError> {
    let dist = root.join("dists").join(suite);
    let bin = dist.join(COMPONENT).join(format!("binary-{arch}"));
    mkdir(&bin)?;
    let packages = run_output(
        Command::new("dpkg-scanpackages").args(["--multiversion", "pool", "/dev/null"]).current_dir(root),
    )?;
    write(&bin.join("Packages"), &packages)?;
    let rel = format!("{COMPONENT}/binary-{arch}/Packages");
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S UTC").to_string();
    write(&dist.join("Release"), &release(suite, arch, &date, &packages, &rel))?;
    let home = work.join("gnupg");
    mkdir(&home)?;
    fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).map_err(|e| LabError::io(&home, e))?;
    let gpg = |args: &[&str]| {
        run_output(
            Command::new("gpg")
                .env("GNUPGHOME", &home)
                .args(["--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""])
                .args(args)
                .current_dir(&dist),
        )
    };
    let signed =
        gpg(&["--quick-gen-key", "hearth test repository <repo@hearth.invalid>", "ed25519", "sign", "1d"])
            .and_then(|_| gpg(&["--clearsign", "-o", "InRelease", "Release"]))
            .and_then(|_| gpg(&["--armor", "--detach-sign", "-o", "Release.gpg", "Release"]))
            .and_then(|_| gpg(&["--armor", "--export"]));
    // The agent gpg started for this home is ours: stop it, whatever happened.
    let _ = Command::new("gpgconf").env("GNUPGHOME", &home).args(["--kill", "gpg-agent"]).status();
    signed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_lists_the_packages_index_with_its_sha256_and_size() {
        let text = release(
            "bookworm",
            "amd64",
            "Sat, 01 Jan 2000 00:00:00 UTC",
            "abc",
            "stable/binary-amd64/Packages",
        );
        assert!(text.contains("Codename: bookworm\n"), "{text}");
        assert!(text.contains("Architectures: amd64 all\n"), "{text}");
        let sum = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert!(text.ends_with(&format!(" {sum} 3 stable/binary-amd64/Packages\n")), "{text}");
    }

    #[test]
    fn the_hello_package_has_its_version() {
        let c = hello_control("2.0");
        assert!(c.starts_with("Package: hearth-hello\nVersion: 2.0\nArchitecture: all\n"), "{c}");
    }
}
