//! The AES256 vault cipher (format 1.1/1.2): PBKDF2-HMAC-SHA256 (10000 rounds) turns the password
//! and a 32-byte salt into an AES-256-CTR key, an HMAC-SHA256 key and a 16-byte counter block;
//! the plaintext is PKCS7-padded, encrypted, and the ciphertext authenticated. All primitives
//! are RustCrypto's; only the byte layout lives here. Nothing here reads files or headers.

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// PBKDF2 rounds Ansible uses.
const ROUNDS: u32 = 10_000;
/// Bytes of salt ansible-vault generates.
pub const SALT_LEN: usize = 32;
/// The padding block (AES's block size).
const BLOCK: usize = 16;

type Aes256Ctr = ctr::Ctr128BE<Aes256>;

/// Why a body could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    /// The body is not `salt\nhmac\nciphertext` in hex, or the padding is broken.
    #[error("the vault payload is corrupted: {0}")]
    Corrupt(String),
    /// The HMAC does not match: another password (or a tampered ciphertext).
    #[error("HMAC verification failed")]
    WrongKey,
}

/// The three keys derived from a password and a salt.
struct Keys {
    cipher: [u8; 32],
    mac: [u8; 32],
    iv: [u8; 16],
}

fn derive(password: &[u8], salt: &[u8]) -> Keys {
    let mut out = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, ROUNDS, &mut out);
    let mut keys = Keys { cipher: [0; 32], mac: [0; 32], iv: [0; 16] };
    keys.cipher.copy_from_slice(&out[..32]);
    keys.mac.copy_from_slice(&out[32..64]);
    keys.iv.copy_from_slice(&out[64..]);
    keys
}

fn mac(key: &[u8; 32]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"))
}

fn ctr(keys: &Keys) -> Aes256Ctr {
    Aes256Ctr::new(&keys.cipher.into(), &keys.iv.into())
}

/// Encrypts `plaintext` into a body `hex(salt)\nhex(hmac)\nhex(ciphertext)`.
pub fn encrypt(plaintext: &[u8], password: &[u8], salt: &[u8; SALT_LEN]) -> Vec<u8> {
    let keys = derive(password, salt);
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut data = plaintext.to_vec();
    data.extend(std::iter::repeat_n(pad as u8, pad));
    ctr(&keys).apply_keystream(&mut data);
    let mut m = mac(&keys.mac);
    m.update(&data);
    let tag = m.finalize().into_bytes();
    format!("{}\n{}\n{}", hex::encode(salt), hex::encode(tag), hex::encode(&data)).into_bytes()
}

/// Decrypts a body with one password; `WrongKey` when the password is not the one used.
pub fn decrypt(body: &[u8], password: &[u8]) -> Result<Vec<u8>, CipherError> {
    let mut parts = body.splitn(3, |&b| b == b'\n');
    let mut next = |what: &str| {
        let part = parts.next().ok_or_else(|| CipherError::Corrupt(format!("the {what} is missing")))?;
        hex::decode(part.trim_ascii())
            .map_err(|e| CipherError::Corrupt(format!("the {what} is not hexadecimal: {e}")))
    };
    let (salt, tag, mut data) = (next("salt")?, next("HMAC")?, next("ciphertext")?);
    let keys = derive(password, &salt);
    let mut m = mac(&keys.mac);
    m.update(&data);
    m.verify_slice(&tag).map_err(|_| CipherError::WrongKey)?;
    ctr(&keys).apply_keystream(&mut data);
    let pad = data.last().copied().map(usize::from).unwrap_or(0);
    if pad == 0
        || pad > BLOCK
        || pad > data.len()
        || !data[data.len() - pad..].iter().all(|&b| usize::from(b) == pad)
    {
        return Err(CipherError::Corrupt("bad padding after decryption".into()));
    }
    data.truncate(data.len() - pad);
    Ok(data)
}

/// A fresh random salt from the operating system.
pub fn new_salt() -> std::io::Result<[u8; SALT_LEN]> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| std::io::Error::other(format!("no random salt: {e}")))?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_padding() {
        let salt = [3u8; SALT_LEN];
        for text in [&b""[..], b"a", b"exactly sixteen!", b"multi\nline secret\n"] {
            let body = encrypt(text, b"pw", &salt);
            assert_eq!(decrypt(&body, b"pw").unwrap(), text);
        }
    }

    #[test]
    fn wrong_password_and_tampering() {
        let body = encrypt(b"secret", b"pw", &[1u8; SALT_LEN]);
        assert_eq!(decrypt(&body, b"other"), Err(CipherError::WrongKey));
        let mut bad = body.clone();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(decrypt(&bad, b"pw"), Err(CipherError::WrongKey));
        assert!(matches!(decrypt(b"abcd", b"pw"), Err(CipherError::Corrupt(_))));
        assert!(matches!(decrypt(b"zz\n00\n00", b"pw"), Err(CipherError::Corrupt(_))));
    }

    /// A value written by ansible-vault 2.18 (`encrypt_string --vault-password-file` with `pw`).
    #[test]
    fn decrypts_ansible_vault_output() {
        let text = include_str!("testdata/ansible_1_1.txt");
        let env = super::super::envelope::parse(text).unwrap();
        assert_eq!(decrypt(&env.body, b"pw").unwrap(), b"hello from ansible");
    }
}
