//! The vault secrets of a run: where each comes from (`--vault-password-file`, `--vault-id
//! [label@]source`, `--ask-vault-pass`, `ANSIBLE_VAULT_PASSWORD_FILE`), and trying them like
//! Ansible: the secrets whose label matches a 1.2 envelope's vault id first, then all the others.
//! The keyring is installed once per process so the YAML loader can decrypt without carrying it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, RwLock};

use super::error::VaultError;
use super::{cipher, envelope};

/// One vault password with its label (`default` unless given as `label@source`).
#[derive(Clone)]
pub struct Secret {
    /// The vault id the secret is known by.
    pub label: String,
    password: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({}, ********)", self.label)
    }
}

impl Secret {
    /// A secret from a password already in hand (tests, prompts).
    pub fn new(label: &str, password: &[u8]) -> Secret {
        Secret { label: label.to_string(), password: password.to_vec() }
    }
}

/// Where one secret comes from, as written on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// The vault id (`default` when none was given).
    pub label: String,
    /// A file, an executable script, or `prompt`.
    pub source: String,
}

impl SourceSpec {
    /// Reads `--vault-id` syntax: `label@source` or a bare `source`.
    pub fn parse(arg: &str) -> SourceSpec {
        match arg.split_once('@') {
            Some((label, source)) if !label.is_empty() => {
                SourceSpec { label: label.to_string(), source: source.to_string() }
            }
            _ => SourceSpec { label: "default".into(), source: arg.trim_start_matches('@').to_string() },
        }
    }
}

/// The secrets of a run, in the order they were given.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    secrets: Vec<Secret>,
}

impl Keyring {
    /// A keyring of secrets already read.
    pub fn new(secrets: Vec<Secret>) -> Keyring {
        Keyring { secrets }
    }

    /// Reads every source; `new_password` asks prompts twice ("New Vault password"), for encrypting.
    pub fn load(specs: &[SourceSpec], new_password: bool) -> Result<Keyring, VaultError> {
        let mut secrets = Vec::new();
        for spec in specs {
            let password = read_source(spec, new_password)?;
            secrets.push(Secret { label: spec.label.clone(), password });
        }
        Ok(Keyring { secrets })
    }

    /// True when no secret was given.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Decrypts vaulted bytes; `origin` names the file (or file:line:column) for errors.
    pub fn decrypt(&self, data: &[u8], origin: &str) -> Result<Vec<u8>, VaultError> {
        let format = |source| VaultError::Format { origin: origin.to_string(), source };
        let text = std::str::from_utf8(data).map_err(|_| format(envelope::FormatError::NotVault))?;
        let env = envelope::parse(text).map_err(format)?;
        if self.secrets.is_empty() {
            return Err(VaultError::NoSecret { origin: origin.to_string() });
        }
        let id = env.vault_id.as_deref();
        let matching = self.secrets.iter().filter(|s| Some(s.label.as_str()) == id);
        let others = self.secrets.iter().filter(|s| Some(s.label.as_str()) != id);
        for secret in matching.chain(others) {
            match cipher::decrypt(&env.body, &secret.password) {
                Ok(plain) => return Ok(plain),
                Err(cipher::CipherError::WrongKey) => continue,
                Err(source) => return Err(VaultError::Cipher { origin: origin.to_string(), source }),
            }
        }
        match id {
            Some(id) if !self.secrets.iter().any(|s| s.label == id) => Err(VaultError::UnknownVaultId {
                origin: origin.to_string(),
                id: id.to_string(),
                known: self.labels().join(", "),
            }),
            _ => Err(VaultError::WrongPassword { origin: origin.to_string() }),
        }
    }

    /// Encrypts with the secret labelled `label`, or the only secret when `label` is `None`.
    pub fn encrypt(&self, plaintext: &[u8], label: Option<&str>) -> Result<String, VaultError> {
        let secret = self.encrypting_secret(label)?;
        let salt =
            cipher::new_salt().map_err(|source| VaultError::Io { path: "random salt".into(), source })?;
        let body = cipher::encrypt(plaintext, &secret.password, &salt);
        Ok(envelope::format(Some(&secret.label), &body))
    }

    /// Which secret encrypts, like ansible-vault's `--encrypt-vault-id` rules.
    fn encrypting_secret(&self, label: Option<&str>) -> Result<&Secret, VaultError> {
        match (label, self.secrets.as_slice()) {
            (_, []) => Err(VaultError::Encrypt(
                "a vault secret is needed to encrypt (use --vault-password-file, --vault-id or --ask-vault-pass)".into(),
            )),
            (Some(l), all) => all.iter().find(|s| s.label == l).ok_or_else(|| {
                VaultError::Encrypt(format!("no vault secret with the vault id '{l}' was given to encrypt with"))
            }),
            (None, [one]) => Ok(one),
            (None, _) => Err(VaultError::Encrypt(format!(
                "The vault-ids {} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id",
                self.labels().join(",")
            ))),
        }
    }

    /// The labels, in order, without repeats.
    fn labels(&self) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        for s in &self.secrets {
            if !labels.contains(&s.label) {
                labels.push(s.label.clone());
            }
        }
        labels
    }
}

/// Reads one secret: a prompt, an executable script's stdout, or a file's text (stripped).
fn read_source(spec: &SourceSpec, new_password: bool) -> Result<Vec<u8>, VaultError> {
    let err = |message: String| VaultError::Source { source_name: spec.source.clone(), message };
    if spec.source == "prompt" {
        return prompt(&spec.label, new_password).map_err(err);
    }
    let path = Path::new(&spec.source);
    let meta =
        std::fs::metadata(path).map_err(|e| err(format!("the vault password file was not found ({e})")))?;
    let (raw, kind) = if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
        (run_script(path, &spec.label).map_err(err)?, "script")
    } else {
        (std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?, "file")
    };
    let password = raw.trim_ascii().to_vec();
    if password.is_empty() {
        return Err(err(format!("Invalid vault password was provided from {kind} (it is empty)")));
    }
    Ok(password)
}

/// Runs a password script; a `*-client` script is told the vault id, like Ansible's client scripts.
fn run_script(path: &Path, label: &str) -> Result<Vec<u8>, String> {
    // An absolute path, so that `pw.sh` runs the file here rather than a `pw.sh` on $PATH.
    let mut cmd =
        std::process::Command::new(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if stem.ends_with("-client") {
        cmd.args(["--vault-id", label]);
    }
    let out = cmd
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the vault password script: {e}"))?;
    if !out.status.success() {
        return Err(format!("the vault password script failed ({})", out.status));
    }
    Ok(out.stdout)
}

/// Asks on the terminal without echo; twice when setting a new password.
fn prompt(label: &str, new_password: bool) -> Result<Vec<u8>, String> {
    let suffix = if label == "default" { String::new() } else { format!(" ({label})") };
    let ask =
        |p: String| rpassword::prompt_password(p).map_err(|e| format!("cannot read the vault password: {e}"));
    let first = if new_password {
        let first = ask(format!("New Vault password{suffix}: "))?;
        if ask(format!("Confirm New Vault password{suffix}: "))? != first {
            return Err("the passwords do not match".into());
        }
        first
    } else {
        ask(format!("Vault password{suffix}: "))?
    };
    let password = first.trim().as_bytes().to_vec();
    if password.is_empty() {
        return Err("Invalid vault password was provided from prompt (it is empty)".into());
    }
    Ok(password)
}

/// The keyring the loaders use; replaced whole by [`install`].
static INSTALLED: RwLock<Option<Arc<Keyring>>> = RwLock::new(None);

/// Makes `keyring` the process's keyring (done once by the CLI before loading anything).
pub fn install(keyring: Keyring) {
    let mut slot = INSTALLED.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    *slot = Some(Arc::new(keyring));
}

/// Decrypts with the installed keyring (`NoSecret` when there is none).
pub(super) fn installed_decrypt(data: &[u8], origin: &str) -> Result<Vec<u8>, VaultError> {
    let keyring = INSTALLED.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    keyring.unwrap_or_default().decrypt(data, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(secrets: &[(&str, &str)]) -> Keyring {
        Keyring::new(secrets.iter().map(|(l, p)| Secret::new(l, p.as_bytes())).collect())
    }

    #[test]
    fn vault_id_syntax() {
        assert_eq!(
            SourceSpec::parse("dev@pw.txt"),
            SourceSpec { label: "dev".into(), source: "pw.txt".into() }
        );
        assert_eq!(
            SourceSpec::parse("prompt"),
            SourceSpec { label: "default".into(), source: "prompt".into() }
        );
    }

    #[test]
    fn matching_label_first_then_all() {
        let text = ring(&[("prod", "p1")]).encrypt(b"x", None).unwrap();
        assert!(text.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
        assert_eq!(ring(&[("a", "nope"), ("prod", "p1")]).decrypt(text.as_bytes(), "f").unwrap(), b"x");
        // Like Ansible without vault_id_match: a secret under another label still decrypts.
        assert_eq!(ring(&[("other", "p1")]).decrypt(text.as_bytes(), "f").unwrap(), b"x");
    }

    #[test]
    fn errors_name_the_origin() {
        let text = ring(&[("prod", "p1")]).encrypt(b"x", None).unwrap();
        let e = ring(&[("dev", "p2")]).decrypt(text.as_bytes(), "vars.yml").unwrap_err();
        assert!(matches!(e, VaultError::UnknownVaultId { .. }), "{e}");
        assert!(e.to_string().contains("vars.yml") && e.to_string().contains("'prod'"), "{e}");
        let e = ring(&[("prod", "p2")]).decrypt(text.as_bytes(), "vars.yml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Decryption failed (no vault secrets were found that could decrypt) on vars.yml"
        );
        let e = Keyring::default().decrypt(text.as_bytes(), "vars.yml").unwrap_err();
        assert!(matches!(e, VaultError::NoSecret { .. }), "{e}");
        let e = ring(&[("a", "b")]).decrypt(b"$ANSIBLE_VAULT;1.1;AES256\nxyz\n", "v").unwrap_err();
        assert!(matches!(e, VaultError::Format { .. }), "{e}");
    }

    #[test]
    fn choosing_the_encrypting_secret() {
        let two = ring(&[("a", "1"), ("b", "2")]);
        assert!(matches!(two.encrypt(b"x", None), Err(VaultError::Encrypt(_))));
        assert!(two.encrypt(b"x", Some("b")).unwrap().contains(";1.2;AES256;b\n"));
        assert!(ring(&[("default", "1")]).encrypt(b"x", None).unwrap().starts_with("$ANSIBLE_VAULT;1.1;"));
    }

    #[test]
    fn password_files_and_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw.txt");
        std::fs::write(&file, "secret\n").unwrap();
        let script = dir.path().join("pw.sh");
        std::fs::write(&script, "#!/bin/sh\necho from-script\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let spec = |p: &Path| SourceSpec { label: "default".into(), source: p.display().to_string() };
        assert_eq!(read_source(&spec(&file), false).unwrap(), b"secret");
        assert_eq!(read_source(&spec(&script), false).unwrap(), b"from-script");
        std::fs::write(&file, "\n").unwrap();
        assert!(read_source(&spec(&file), false).unwrap_err().to_string().contains("empty"));
        assert!(read_source(&spec(&dir.path().join("none")), false).is_err());
    }
}
