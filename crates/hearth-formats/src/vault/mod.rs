//! Ansible Vault: reading and writing `$ANSIBLE_VAULT` envelopes (`envelope`), the AES256 cipher
//! (`cipher`), the secrets given on the command line (`keyring`), and the process-wide list of
//! decrypted values that every output path masks (`mask`).
//!
//! The loaders decrypt through the installed keyring ([`decrypt_str`], [`decrypt_file_bytes`]),
//! so no loader signature carries secrets. This module never prints.

pub mod cipher;
pub mod envelope;
pub mod keyring;
pub mod mask;

use std::path::Path;

pub use envelope::is_vaulted;
pub use keyring::{Keyring, Secret};

/// A vault problem, naming the file (or file:line:column) of the vaulted content.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Vaulted content was found but no secret was given.
    #[error(
        "found vaulted content in {origin} but no vault secret was given (use --vault-password-file FILE, \
         --vault-id [LABEL@]SOURCE or --ask-vault-pass)"
    )]
    NoSecret {
        /// Where the vaulted content is.
        origin: String,
    },
    /// None of the given secrets decrypts the content.
    #[error("Decryption failed (no vault secrets were found that could decrypt) on {origin}")]
    WrongPassword {
        /// Where the vaulted content is.
        origin: String,
    },
    /// The content names a vault id that was not given, and no other secret decrypts it.
    #[error(
        "Decryption failed (no vault secrets were found that could decrypt) on {origin}: it was \
         encrypted for vault id '{id}', and the given vault ids are: {known}"
    )]
    UnknownVaultId {
        /// Where the vaulted content is.
        origin: String,
        /// The id in the content's 1.2 header.
        id: String,
        /// The labels that were given.
        known: String,
    },
    /// The envelope or the payload is damaged or of an unsupported kind.
    #[error("{origin}: {source}")]
    Format {
        /// Where the vaulted content is.
        origin: String,
        /// What is wrong with it.
        source: envelope::FormatError,
    },
    /// The payload decrypted with a matching HMAC but is still damaged.
    #[error("{origin}: {source}")]
    Cipher {
        /// Where the vaulted content is.
        origin: String,
        /// What is wrong with it.
        source: cipher::CipherError,
    },
    /// Decrypted content that must be text is not UTF-8.
    #[error("{origin}: the decrypted content is not valid UTF-8")]
    NotText {
        /// Where the vaulted content is.
        origin: String,
    },
    /// A password source could not be used (unreadable file, failing script, empty password).
    #[error("vault password source {source_name}: {message}")]
    Source {
        /// The file, script or `prompt`.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// Encrypting needs one secret, and there is none or a choice to make.
    #[error("{0}")]
    Encrypt(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The system's error.
        source: std::io::Error,
    },
}

/// Decrypts vaulted text (a `!vault` scalar) with the installed keyring, as a registered secret.
pub fn decrypt_str(text: &str, origin: &str) -> Result<String, VaultError> {
    let plain = keyring::installed_decrypt(text.as_bytes(), origin)?;
    let plain = String::from_utf8(plain).map_err(|_| VaultError::NotText { origin: origin.to_string() })?;
    mask::register(&plain);
    Ok(plain)
}

/// File bytes as they are meant to be read: decrypted when vaulted, unchanged otherwise. The
/// caller registers what should be masked (it knows whether the content is YAML or a blob).
pub fn decrypt_file_bytes(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>, VaultError> {
    if !is_vaulted(&bytes) {
        return Ok(bytes);
    }
    keyring::installed_decrypt(&bytes, &path.display().to_string())
}

/// A control-node file (copy `src`, template, `lookup('file')`) as Ansible's loader reads it:
/// decrypted when vaulted, with the decrypted text registered for masking.
pub fn decrypt_source(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>, VaultError> {
    if !is_vaulted(&bytes) {
        return Ok(bytes);
    }
    let plain = decrypt_file_bytes(bytes, path)?;
    mask::register(&String::from_utf8_lossy(&plain));
    Ok(plain)
}
