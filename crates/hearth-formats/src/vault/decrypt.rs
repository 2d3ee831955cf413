//! Decrypting what the loaders read (`!vault` scalars, vaulted files) through the installed keyring,
//! registering the plain text for masking.

use std::path::Path;

use super::envelope::is_vaulted;
use super::error::VaultError;
use super::{keyring, mask};

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
