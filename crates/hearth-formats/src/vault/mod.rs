//! Ansible Vault: reading and writing `$ANSIBLE_VAULT` envelopes (`envelope`), the AES256 cipher
//! (`cipher`), the secrets given on the command line (`keyring`), and the process-wide list of
//! decrypted values that every output path masks (`mask`).
//!
//! The loaders decrypt through the installed keyring ([`decrypt_str`], [`decrypt_file_bytes`]),
//! so no loader signature carries secrets. This module never prints.

pub mod cipher;
mod decrypt;
pub mod envelope;
mod error;
pub mod keyring;
pub mod mask;

pub use decrypt::{decrypt_file_bytes, decrypt_source, decrypt_str};
pub use envelope::is_vaulted;
pub use error::VaultError;
pub use keyring::{Keyring, Secret};
